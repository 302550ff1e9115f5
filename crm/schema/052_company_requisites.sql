-- Companies as a B2B client base keeps them (issue 16): the bank details
-- an invoice to them needs, checksum-validated on every write; and the
-- name key a company is matched by when no INN says who it is — the name
-- without its legal form and quotes, one spelling for Cyrillic and Latin
-- (dedupe.CompanyKey; filled from Go, so rows made before it are keyed at
-- start).
ALTER TABLE companies
    ADD COLUMN bank         text NOT NULL DEFAULT '',
    ADD COLUMN bik          text,
    ADD COLUMN account      text,
    ADD COLUMN corr_account text,
    ADD COLUMN name_key     text;
CREATE INDEX companies_name_key ON companies (name_key) WHERE merged_into IS NULL;
