-- db_1097_identity: the demo production's views (amrit_assets.demo.objects applies them after the data).

/*******************************************************************************************************
--  View        : v_centraldashboard
--  Purpose     : the helpline's registrations per service, state and provider for the central
--                dashboard, with each beneficiary's gender and age. Reads db_iemr's provider
--                mapping and gender master: a view across databases, which a restore can create only
--                once db_iemr is there.
*******************************************************************************************************/
CREATE OR REPLACE ALGORITHM=UNDEFINED DEFINER=`amrit_prod`@`%` SQL SECURITY DEFINER VIEW `v_centraldashboard` AS
SELECT sm.BenServiceMapID AS BenServiceMapID,
       sm.BenMapID AS BenMapID,
       sm.ProviderServiceMapId AS ProviderServiceMapId,
       sm.VanID AS VanID,
       psm.ServiceID AS ServiceID,
       psm.ServiceProviderID AS ServiceProviderID,
       psm.StateID AS StateID,
       bm.BenDetailsId AS BenDetailsId,
       bd.GenderId AS GenderId,
       g.GenderName AS Gender,
       bd.DOB AS DOB,
       TIMESTAMPDIFF(YEAR, bd.DOB, CURDATE()) AS age
FROM db_1097_identity.i_beneficiaryservicemapping sm
JOIN db_1097_identity.i_beneficiarymapping bm ON bm.BenMapId = sm.BenMapID
JOIN db_1097_identity.i_beneficiarydetails bd ON bd.BeneficiaryDetailsId = bm.BenDetailsId
LEFT JOIN db_iemr.m_providerservicemapping psm ON psm.ProviderServiceMapID = sm.ProviderServiceMapId
LEFT JOIN db_iemr.m_gender g ON g.GenderID = bd.GenderId
WHERE sm.Deleted IS NULL OR sm.Deleted = 0;
