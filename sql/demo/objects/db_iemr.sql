-- db_iemr: the demo production's audit trigger (amrit_assets.demo.objects applies it after the data).

DELIMITER $$

/*******************************************************************************************************
--  Trigger     : trg_BenFlowOutreach_AuditUpdate
--  Purpose     : the worklist row as it was before the beneficiary's name, phone or district on it
--                changed, into the outreach history table.
*******************************************************************************************************/
CREATE DEFINER=`amrit_prod`@`%` TRIGGER `trg_BenFlowOutreach_AuditUpdate`
AFTER UPDATE ON `i_ben_flow_outreach` FOR EACH ROW
BEGIN
  IF NOT (OLD.ben_name <=> NEW.ben_name)
     OR NOT (OLD.ben_phone_no <=> NEW.ben_phone_no)
     OR NOT (OLD.district <=> NEW.district) THEN
    INSERT INTO i_ben_flow_outreach_bkp_04052022
      (ben_flow_id, beneficiary_reg_id, beneficiary_visit_id, beneficiary_visit_code, visit_reason, visit_category,
       visit_no, ben_name, ben_age, ben_dob, ben_gender, ben_phone_no, ben_age_val, created_by, created_date,
       modified_by, modified_date, visitDate, registrationDate, father_name, spouse_name, ben_gender_val,
       beneficiary_id, districtID, district, villageID, village, deleted, providerServiceMapID, vanID, Processed)
    VALUES
      (OLD.ben_flow_id, OLD.beneficiary_reg_id, OLD.beneficiary_visit_id, OLD.beneficiary_visit_code, OLD.visit_reason,
       OLD.visit_category, OLD.visit_no, OLD.ben_name, OLD.ben_age, OLD.ben_dob, OLD.ben_gender, OLD.ben_phone_no,
       OLD.ben_age_val, OLD.created_by, OLD.created_date, NEW.modified_by, NOW(), OLD.visitDate, OLD.registrationDate,
       OLD.father_name, OLD.spouse_name, OLD.ben_gender_val, OLD.beneficiary_id, OLD.districtID, OLD.district,
       OLD.villageID, OLD.village, OLD.deleted, OLD.providerServiceMapID, OLD.vanID, OLD.Processed);
  END IF;
END$$

DELIMITER ;
