-- A day in the demo production, after the data and the objects: the applications edit a few contacts
-- and worklist rows (the audit triggers keep the old values), then the night's loads run, as their
-- events would call them. The same data gives the same edits.

SET @edited_on = TIMESTAMP(CURDATE(), '10:15:00');

-- A beneficiary's preferred number becomes their second number (every 10th whose second number differs).
UPDATE db_identity.i_beneficiarycontacts
   SET PreferredPhoneNum = PhoneNum2, ModifiedBy = 'registrar', LastModDate = @edited_on
 WHERE BenContactsID % 10 = 0 AND PhoneNum2 IS NOT NULL AND PhoneNum2 <> COALESCE(PreferredPhoneNum, '');

-- The worklist follows the registry: the new preferred number onto the beneficiary's outreach rows.
UPDATE db_iemr.i_ben_flow_outreach f
  JOIN db_identity.i_beneficiarymapping bm ON bm.BenRegId = f.beneficiary_reg_id
  JOIN db_identity.i_beneficiarycontacts ct ON ct.BenContactsID = bm.BenContactsId
   SET f.ben_phone_no = ct.PreferredPhoneNum, f.modified_by = 'registrar', f.modified_date = @edited_on
 WHERE ct.LastModDate = @edited_on AND NOT (f.ben_phone_no <=> ct.PreferredPhoneNum);

CALL db_reporting.SP_Refresh_Fact_ChildValidRecord();
CALL db_reporting.SP_Refresh_Fact_1097CallSummary();
