-- Every new lead, its call and its assignment name one of a handful of
-- managers. A foreign key check takes a key-share lock on the referenced
-- row, and many processors locking the same few manager rows at once turn
-- those locks into multixacts — measurable on the intake path. Managers
-- are never deleted (they are deactivated), so these references lose
-- little by not being enforced by the database.
ALTER TABLE leads DROP CONSTRAINT leads_manager_id_fkey;
ALTER TABLE activities DROP CONSTRAINT activities_manager_id_fkey;
ALTER TABLE assignments DROP CONSTRAINT assignments_manager_id_fkey;
