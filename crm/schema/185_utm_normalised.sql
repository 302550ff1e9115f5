-- Reports read a visit's utm_source and utm_campaign as a person means
-- them: "Yandex", "yandex" and " yandex " are one source (issue 15). The
-- report columns are lower-cased and trimmed (spaces, tabs, line breaks)
-- where they are computed, here, and ad spend is keyed the same way
-- (crm.NormalizeUTM in Go, for the spend entered and the filters asked).
-- The raw utm stays as it came.
--
-- Postgres 15 cannot change a generated column's expression, so the
-- columns are dropped and added again in one ALTER: one rewrite of the
-- table (seconds at a million leads), then the report index is rebuilt.
ALTER TABLE leads
    DROP COLUMN rep_source,
    DROP COLUMN rep_utm_source,
    DROP COLUMN rep_utm_campaign,
    ADD COLUMN rep_source text GENERATED ALWAYS AS (left(coalesce(nullif(lower(btrim(utm->>'utm_source', E' \t\r\n')), ''),
        channel || CASE WHEN source <> '' THEN ':' || source ELSE '' END), 200)) STORED,
    ADD COLUMN rep_utm_source text GENERATED ALWAYS AS (left(nullif(lower(btrim(utm->>'utm_source', E' \t\r\n')), ''), 200)) STORED,
    ADD COLUMN rep_utm_campaign text GENERATED ALWAYS AS (left(nullif(lower(btrim(utm->>'utm_campaign', E' \t\r\n')), ''), 200)) STORED;
DROP INDEX IF EXISTS leads_report;
CREATE INDEX leads_report ON leads (created_at) INCLUDE (manager_id, channel, rep_source, rep_origin, rep_utm_source,
    rep_utm_campaign, status, junk_reason, taken_at, first_response_at, reached_at, hops);

-- Spend entered under two spellings of one source for the same month: the
-- one entered last is what the supervisor meant.
CREATE TEMP TABLE ad_spend_normalised ON COMMIT DROP AS
    SELECT DISTINCT ON (lower(btrim(utm_source, E' \t\r\n')), month)
        lower(btrim(utm_source, E' \t\r\n')) AS utm_source, month, amount, updated_at
    FROM ad_spend WHERE btrim(utm_source, E' \t\r\n') <> ''
    ORDER BY lower(btrim(utm_source, E' \t\r\n')), month, updated_at DESC;
DELETE FROM ad_spend;
INSERT INTO ad_spend (utm_source, month, amount, updated_at) SELECT utm_source, month, amount, updated_at FROM ad_spend_normalised;
ALTER TABLE ad_spend ADD CONSTRAINT ad_spend_normalised CHECK (utm_source = lower(btrim(utm_source, E' \t\r\n')));
