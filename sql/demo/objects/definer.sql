-- The production account AMRIT's objects are defined under (DEFINER=`amrit_prod`@`%`).
-- Locked: nobody logs in as it; views, procedures, triggers and events run with its rights.
-- A refresh must not need it: the workspace and UAT have no such user (resources/portable.py).
CREATE USER IF NOT EXISTS 'amrit_prod'@'%' ACCOUNT LOCK;
GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE, SHOW VIEW, TRIGGER ON `db_identity`.* TO 'amrit_prod'@'%';
GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE, SHOW VIEW, TRIGGER ON `db_1097_identity`.* TO 'amrit_prod'@'%';
GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE, SHOW VIEW, TRIGGER ON `db_iemr`.* TO 'amrit_prod'@'%';
GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE, SHOW VIEW, TRIGGER ON `db_reporting`.* TO 'amrit_prod'@'%';
