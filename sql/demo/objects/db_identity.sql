-- db_identity: the demo production's audit trigger (amrit_assets.demo.objects applies it after the data).

DELIMITER $$

/*******************************************************************************************************
--  Trigger     : trg_BenContacts_AuditUpdate
--  Purpose     : keep the contact row as it was before a phone number or e-mail changes, in the
--                contacts history table: the old numbers stay in production (personal data the
--                refresh must anonymize, and that anonymizing UPDATEs must not copy again).
*******************************************************************************************************/
CREATE DEFINER=`amrit_prod`@`%` TRIGGER `trg_BenContacts_AuditUpdate`
AFTER UPDATE ON `i_beneficiarycontacts` FOR EACH ROW
BEGIN
  IF NOT (OLD.PreferredPhoneNum <=> NEW.PreferredPhoneNum)
     OR NOT (OLD.PreferredSMSPhoneNum <=> NEW.PreferredSMSPhoneNum)
     OR NOT (OLD.EmergencyContactNum <=> NEW.EmergencyContactNum)
     OR NOT (OLD.PhoneNum1 <=> NEW.PhoneNum1)
     OR NOT (OLD.EmailId <=> NEW.EmailId) THEN
    INSERT INTO i_beneficiarycontacts_bkp_24092019
      (BenContactsID, PreferredPhoneNum, PreferredPhoneTyp, PreferredSMSPhoneNum, PreferredSMSPhoneTyp,
       EmergencyContactNum, EmergencyContactTyp, PhoneNum1, PhoneTyp1, PhoneNum2, PhoneTyp2, PhoneNum3, PhoneTyp3,
       PhoneNum4, PhoneTyp4, PhoneNum5, PhoneTyp5, EmailId, Deleted, Processed, CreatedBy, CreatedDate,
       Reserved, ReservedFor, ReservedOn, ReservedById, ModifiedBy, LastModDate, VanSerialNo, VanID, VehicalNo,
       ParkingPlaceID, SyncedBy, SyncedDate, ReservedForChange)
    VALUES
      (OLD.BenContactsID, OLD.PreferredPhoneNum, OLD.PreferredPhoneTyp, OLD.PreferredSMSPhoneNum, OLD.PreferredSMSPhoneTyp,
       OLD.EmergencyContactNum, OLD.EmergencyContactTyp, OLD.PhoneNum1, OLD.PhoneTyp1, OLD.PhoneNum2, OLD.PhoneTyp2,
       OLD.PhoneNum3, OLD.PhoneTyp3, OLD.PhoneNum4, OLD.PhoneTyp4, OLD.PhoneNum5, OLD.PhoneTyp5, OLD.EmailId,
       OLD.Deleted, OLD.Processed, OLD.CreatedBy, OLD.CreatedDate, OLD.Reserved, OLD.ReservedFor, OLD.ReservedOn,
       OLD.ReservedById, NEW.ModifiedBy, NOW(), OLD.VanSerialNo, OLD.VanID, OLD.VehicalNo, OLD.ParkingPlaceID,
       OLD.SyncedBy, OLD.SyncedDate, OLD.ReservedForChange);
  END IF;
END$$

DELIMITER ;
