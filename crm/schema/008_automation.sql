-- Stage automation: each rule fires at most once per deal; a delayed one
-- waits here, due, for the scheduler, and survives restarts.
CREATE TABLE automation_runs (
    id         bigserial PRIMARY KEY,
    rule       text NOT NULL,
    deal_id    bigint NOT NULL REFERENCES deals ON DELETE CASCADE,
    due_at     timestamptz NOT NULL,
    done_at    timestamptz,
    result     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (rule, deal_id)
);
CREATE INDEX automation_runs_due ON automation_runs (due_at) WHERE done_at IS NULL;
ALTER TABLE deals ADD COLUMN source_deal_id bigint REFERENCES deals;
