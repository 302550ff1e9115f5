-- Custom fields (configs: fields.<kind>) on every record: key → value in
-- its canonical text. Leads have kept their form's fields in `fields`
-- since 001; deals, contacts and companies get theirs. Lists filter by
-- equality through containment (fields @> '{"key": "value"}'), which the
-- GIN indexes serve; ranges read the few rows left.
ALTER TABLE deals ADD COLUMN fields jsonb NOT NULL DEFAULT '{}';
ALTER TABLE contacts ADD COLUMN fields jsonb NOT NULL DEFAULT '{}';
ALTER TABLE companies ADD COLUMN fields jsonb NOT NULL DEFAULT '{}';
CREATE INDEX leads_fields ON leads USING gin (fields jsonb_path_ops);
CREATE INDEX deals_fields ON deals USING gin (fields jsonb_path_ops);
CREATE INDEX contacts_fields ON contacts USING gin (fields jsonb_path_ops);
CREATE INDEX companies_fields ON companies USING gin (fields jsonb_path_ops);
