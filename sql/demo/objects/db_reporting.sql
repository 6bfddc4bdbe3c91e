-- db_reporting: the demo production's reporting loads, in AMRIT's style: procedures that copy what the
-- applications wrote in db_iemr and db_identity (names, phones, birth dates, districts) into the
-- reporting facts, the daily events that call them, and a view across databases.
-- amrit_assets.demo.objects applies this after the data and then calls the loads once (the night's run).

/*******************************************************************************************************
--  View        : fac_bencall
--  Purpose     : calls per permanent district and call sub-type. The district is the caller's
--                address in db_identity: a view across databases.
*******************************************************************************************************/
CREATE OR REPLACE ALGORITHM=UNDEFINED DEFINER=`amrit_prod`@`%` SQL SECURITY DEFINER VIEW `fac_bencall` AS
SELECT ad.PermDistrict AS PermDistrict,
       fbc.CallSubTypeName AS CallSubTypeName,
       COUNT(fbc.BenCallID) AS `count(fbc.BenCallID)`
FROM db_reporting.fact_bencall fbc
JOIN db_identity.i_beneficiarymapping bm ON bm.BenRegId = fbc.BeneficiaryRegID
JOIN db_identity.i_beneficiaryaddress ad ON ad.BenAddressID = bm.BenAddressId
GROUP BY ad.PermDistrict, fbc.CallSubTypeName;

DELIMITER $$

/*******************************************************************************************************
--  Procedure   : SP_Log_Scheduler
--  Purpose     : one line in scheduler_status per start and end of a load, as the nightly jobs write.
*******************************************************************************************************/
CREATE DEFINER=`amrit_prod`@`%` PROCEDURE `SP_Log_Scheduler`(IN p_proc_name VARCHAR(45), IN p_status VARCHAR(45))
BEGIN
  INSERT INTO db_reporting.scheduler_status (id, proc_name, status, `time`)
  SELECT COALESCE(MAX(s.id), 0) + 1, p_proc_name, p_status, NOW() FROM db_reporting.scheduler_status s;
END$$

/*******************************************************************************************************
--  Procedure   : SP_Refresh_Fact_ChildValidRecord
--  Purpose     : the MCTS child register (db_iemr.t_childvaliddata) into fact_childvalidrecord:
--                child, mother and father names, phone numbers, birth date, district, village.
--                Incremental: rows after the highest RowID loaded so far.
*******************************************************************************************************/
CREATE DEFINER=`amrit_prod`@`%` PROCEDURE `SP_Refresh_Fact_ChildValidRecord`()
BEGIN
  DECLARE v_last_row BIGINT DEFAULT 0;
  DECLARE v_last_id BIGINT DEFAULT 0;
  CALL db_reporting.SP_Log_Scheduler('SP_Refresh_Fact_ChildValidRecord', 'started');
  SELECT COALESCE(MAX(RowID), 0), COALESCE(MAX(Fact_ChildValidRecordID), 0) INTO v_last_row, v_last_id
    FROM db_reporting.fact_childvalidrecord;
  INSERT INTO db_reporting.fact_childvalidrecord
    (Fact_ChildValidRecordID,
     RowID, BeneficiaryRegID, Date_of_Entry, Entry_type, entrytype, MCTSID_no_Child_ID, Child_RCH_ID_No,
     Mother_RCH_ID_No, Child_Name, Father_Name, Mother_Name, Mother_ID, DOB, Place_of_Birth, Gender,
     Caste, BloodGroup, Child_Aadhaar_No, Weight_of_Child, Child_EID, Child_EID_Time, Emamta_Health_ID,
     Emamta_Family_ID, Phone_No_of, Phone_No, Registration_Date, Updated_Date, CityID, City, State_ID,
     State_Name, District_ID, District_Name, Taluka_Name, Taluka_ID, Block_ID, Block_Name, PHC_ID,
     PHC_Name, SubCenter_ID, SubCenter_Name, SubCenter_Name1, Village_ID, Village_Name, GP_Village,
     Address, Year, ANM_ID, ANM_Name, ANM_Phone_No, ASHA_ID, ASHA_Name, ASHA_Phone_No, BCG_Date,
     OPV0_Date, HepatitisB0_Dt, Hepatitis_B1_Date, DPT1_Date, OPV1_Date, Hepatitis_B2_Date, DPT2_Date,
     OPV2_Date, Hepatitis_B3_Date, DPT3_Date, OPV3_Date, Hepatitis_B4_Date, Measles_Date,
     VitA_Dose1_Date, MR_Date, DPTBooster_Date, OPVBooster_Date, VitA_Dose2_Date, VitA_Dose3_Date,
     VitA_Dose99_Date, VitA_Dose5_Date, VitA_Dose6_Date, VitA_Dose7_Date, VitA_Dose8_Date,
     VitA_Dose9_Date, JE_Date, DT5_Date, TT10_Date, TT16_Date, Measles_2_Date, PentaValent1_Date,
     PentaValent2_Date, PentaValent3_Date, is_Upload, Status, Remarks, Delete_Mother, Delete_Reason,
     Deleted_ON, SMS_Status, Created_By, Updated_By, MDDS_StateID, MDDS_District_ID, MDDS_Taluka_ID,
     MDDS_Village_ID, BirthCertificateNo, Rural_urban, SNO, Lead_ID, My_ID, CID_NO, MID_NO,
     Duplicate_Bit, FacilityType, DueServices, OverDueServices, GivenServices, Source, Is_Valid,
     Is_Error, Error_Reason, FileID, IsAllocated, IsHrni, Hrni_Reason, Deleted, Processed, CreatedBy,
     CreatedDate, ModifiedBy, LastModDate,
     fact_CreatedDate, LoadedBy, LodadedDate)
  SELECT v_last_id + ROW_NUMBER() OVER (ORDER BY c.RowID),
         c.RowID, c.BeneficiaryRegID, c.Date_of_Entry, c.Entry_type, c.entrytype, c.MCTSID_no_Child_ID,
         c.Child_RCH_ID_No, c.Mother_RCH_ID_No, c.Child_Name, c.Father_Name, c.Mother_Name, c.Mother_ID,
         c.DOB, c.Place_of_Birth, c.Gender, c.Caste, c.BloodGroup, c.Child_Aadhaar_No,
         c.Weight_of_Child, c.Child_EID, c.Child_EID_Time, c.Emamta_Health_ID, c.Emamta_Family_ID,
         c.Phone_No_of, c.Phone_No, c.Registration_Date, c.Updated_Date, c.CityID, c.City, c.State_ID,
         c.State_Name, c.District_ID, c.District_Name, c.Taluka_Name, c.Taluka_ID, c.Block_ID,
         c.Block_Name, c.PHC_ID, c.PHC_Name, c.SubCenter_ID, c.SubCenter_Name, c.SubCenter_Name1,
         c.Village_ID, LEFT(c.Village_Name, 100), c.GP_Village, c.Address, c.Year, c.ANM_ID, c.ANM_Name,
         c.ANM_Phone_No, c.ASHA_ID, c.ASHA_Name, c.ASHA_Phone_No, c.BCG_Date, c.OPV0_Date,
         c.HepatitisB0_Dt, c.Hepatitis_B1_Date, c.DPT1_Date, c.OPV1_Date, c.Hepatitis_B2_Date,
         c.DPT2_Date, c.OPV2_Date, c.Hepatitis_B3_Date, c.DPT3_Date, c.OPV3_Date, c.Hepatitis_B4_Date,
         c.Measles_Date, c.VitA_Dose1_Date, c.MR_Date, c.DPTBooster_Date, c.OPVBooster_Date,
         c.VitA_Dose2_Date, c.VitA_Dose3_Date, c.VitA_Dose99_Date, c.VitA_Dose5_Date, c.VitA_Dose6_Date,
         c.VitA_Dose7_Date, c.VitA_Dose8_Date, c.VitA_Dose9_Date, c.JE_Date, c.DT5_Date, c.TT10_Date,
         c.TT16_Date, c.Measles_2_Date, c.PentaValent1_Date, c.PentaValent2_Date, c.PentaValent3_Date,
         c.is_Upload, c.Status, c.Remarks, c.Delete_Mother, c.Delete_Reason, c.Deleted_ON, c.SMS_Status,
         c.Created_By, c.Updated_By, c.MDDS_StateID, c.MDDS_District_ID, c.MDDS_Taluka_ID,
         c.MDDS_Village_ID, c.BirthCertificateNo, c.Rural_urban, c.SNO, c.Lead_ID, c.My_ID, c.CID_NO,
         c.MID_NO, c.Duplicate_Bit, c.FacilityType, c.DueServices, c.OverDueServices, c.GivenServices,
         c.Source, c.Is_Valid, c.Is_Error, c.Error_Reason, c.FileID, c.IsAllocated, c.IsHrni,
         c.Hrni_Reason, c.Deleted, c.Processed, c.CreatedBy, c.CreatedDate, c.ModifiedBy, c.LastModDate,
         CAST(DATE_FORMAT(c.CreatedDate, '%Y%m%d') AS UNSIGNED), 'SP_Refresh_Fact_ChildValidRecord', NOW()
    FROM db_iemr.t_childvaliddata c
   WHERE c.RowID > v_last_row;
  CALL db_reporting.SP_Log_Scheduler('SP_Refresh_Fact_ChildValidRecord', 'completed');
END$$

/*******************************************************************************************************
--  Procedure   : SP_Refresh_Fact_1097CallSummary
--  Purpose     : the 1097 helpline's calls (db_iemr.t_bencall) into fact_1097callsummary, with the
--                caller's preferred phone number and language from db_identity and the agent's
--                user name. Incremental: calls after the highest BenCallID loaded so far.
*******************************************************************************************************/
CREATE DEFINER=`amrit_prod`@`%` PROCEDURE `SP_Refresh_Fact_1097CallSummary`()
BEGIN
  DECLARE v_last_call BIGINT DEFAULT 0;
  DECLARE v_last_id BIGINT DEFAULT 0;
  CALL db_reporting.SP_Log_Scheduler('SP_Refresh_Fact_1097CallSummary', 'started');
  SELECT COALESCE(MAX(BenCallID), 0), COALESCE(MAX(Fact_1097CallSummaryID), 0) INTO v_last_call, v_last_id
    FROM db_reporting.fact_1097callsummary;
  INSERT INTO db_reporting.fact_1097callsummary
    (Fact_1097CallSummaryID, UserID, CallStartTime, CallEndTime, BenCallID, CZCallID, AgentID, PhoneNo, Remarks,
     IsOutbound, IsCalledEarlier, CallType, CallSubType, Rec_UserName, Rec_UserRole, BenOutboundPreferedLang,
     BeneficiaryRegID, ProviderServiceMapID, CreatedBy, CreatedDate, ModifiedBy, LastModDate, fact_CreatedDate,
     LoadedBy, LodadedDate)
  SELECT v_last_id + ROW_NUMBER() OVER (ORDER BY bc.BenCallID),
         bc.CallReceivedUserID, bc.CallTime, bc.CallEndTime, bc.BenCallID, bc.CallID, bc.ReceivedAgentID,
         COALESCE(ct.PreferredPhoneNum, bc.PhoneNo), LEFT(bc.Remarks, 100), bc.IsOutbound, bc.IsCalledEarlier,
         LEFT(t.CallGroupType, 50), LEFT(t.CallType, 50), u.UserName, bc.ReceivedRoleName,
         LEFT(bd.preferredLanguage, 30), bc.BeneficiaryRegID, t.ProviderServiceMapID, bc.CreatedBy, bc.CreatedDate,
         bc.ModifiedBy, bc.LastModDate, CAST(DATE_FORMAT(bc.CreatedDate, '%Y%m%d') AS UNSIGNED),
         'SP_Refresh_Fact_1097CallSummary', NOW()
    FROM db_iemr.t_bencall bc
    LEFT JOIN db_iemr.m_calltype t ON t.CallTypeID = bc.CallTypeID
    LEFT JOIN db_iemr.m_user u ON u.UserID = bc.CallReceivedUserID
    LEFT JOIN db_identity.i_beneficiarymapping bm ON bm.BenRegId = bc.BeneficiaryRegID
    LEFT JOIN db_identity.i_beneficiarycontacts ct ON ct.BenContactsID = bm.BenContactsId
    LEFT JOIN db_identity.i_beneficiarydetails bd ON bd.BeneficiaryDetailsId = bm.BenDetailsId
   WHERE bc.is1097 = 1 AND bc.BenCallID > v_last_call;
  CALL db_reporting.SP_Log_Scheduler('SP_Refresh_Fact_1097CallSummary', 'completed');
END$$

/*******************************************************************************************************
--  Events      : the nightly loads, enabled in production (a refresh creates them disabled in UAT).
*******************************************************************************************************/
CREATE DEFINER=`amrit_prod`@`%` EVENT `Event_Daily_ChildValidRecord`
ON SCHEDULE EVERY 1 DAY STARTS '2024-01-01 01:30:00'
ON COMPLETION PRESERVE ENABLE COMMENT 'Load_ChildValidRecord'
DO BEGIN
  CALL db_reporting.SP_Refresh_Fact_ChildValidRecord();
END$$

CREATE DEFINER=`amrit_prod`@`%` EVENT `Event_Daily_1097CallSummary`
ON SCHEDULE EVERY 1 DAY STARTS '2024-01-01 02:00:00'
ON COMPLETION PRESERVE ENABLE COMMENT 'Load_1097CallSummary'
DO BEGIN
  CALL db_reporting.SP_Refresh_Fact_1097CallSummary();
END$$

DELIMITER ;
