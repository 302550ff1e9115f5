-- A company's requisites can be filled from a registry by INN (issue 9).
-- The registry's answers are kept per INN, so a second lookup within the
-- cache's age costs no request; the director has a place on the company.
CREATE TABLE registry_parties (
    inn        text PRIMARY KEY,
    response   jsonb NOT NULL,
    fetched_at timestamptz NOT NULL
);

ALTER TABLE companies
    ADD COLUMN director text NOT NULL DEFAULT '',
    ADD COLUMN director_post text NOT NULL DEFAULT '';
