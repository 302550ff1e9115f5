-- Junk reasons come from the configuration (leads.junk_reasons), checked
-- where a lead is closed, not by a list in the schema. Leads of one person
-- can be merged by hand, and the merge undone, as contacts and companies.
ALTER TABLE leads DROP CONSTRAINT IF EXISTS leads_junk_reason_check;
ALTER TABLE leads ADD COLUMN merged_into bigint REFERENCES leads;
ALTER TABLE merges DROP CONSTRAINT IF EXISTS merges_kind_check;
ALTER TABLE merges ADD CONSTRAINT merges_kind_check CHECK (kind IN ('contact', 'company', 'lead'));
