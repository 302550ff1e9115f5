-- The clients search finds a name by any part of it (ILIKE '%…%'), which
-- no b-tree can serve: at 500,000 contacts it walked the whole table
-- (0.25 s). pg_trgm's GIN indexes answer ILIKE by trigrams, Cyrillic and
-- case-insensitively. pg_trgm is a trusted contrib extension (PostgreSQL
-- 13+, in Debian's postgresql package): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX contacts_name_trgm ON contacts USING gin (name gin_trgm_ops) WHERE merged_into IS NULL;
CREATE INDEX companies_name_trgm ON companies USING gin (name gin_trgm_ops) WHERE merged_into IS NULL;
