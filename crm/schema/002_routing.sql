-- Routing and follow-up: managers' availability, the SLA clock on leads,
-- the cadence of calls, reminders and the scheduler's once-per-tick runs.

ALTER TABLE managers
    ADD COLUMN away      boolean NOT NULL DEFAULT false,
    ADD COLUMN weight    int NOT NULL DEFAULT 1 CHECK (weight BETWEEN 0 AND 1000),
    ADD COLUMN capacity  int CHECK (capacity > 0),             -- open new leads at most; NULL: no cap
    ADD COLUMN hours     jsonb,                                -- {"mon": "09:00-18:00", ...}; NULL: around the clock
    ADD COLUMN time_off  jsonb NOT NULL DEFAULT '[]',          -- [{"from": "2026-12-01", "to": "2026-12-10"}]
    ADD COLUMN unreachable_at timestamptz;                     -- Telegram refuses to deliver to them

ALTER TABLE leads
    ADD COLUMN rule       text NOT NULL DEFAULT '',
    ADD COLUMN sla_due_at timestamptz,                          -- still new by then: re-assign
    ADD COLUMN hops       int NOT NULL DEFAULT 0;
CREATE INDEX leads_sla_due ON leads (sla_due_at) WHERE status = 'new' AND sla_due_at IS NOT NULL;
CREATE INDEX leads_open_manager ON leads (manager_id, status) WHERE status IN ('new', 'in_progress');
CREATE INDEX leads_queue ON leads (id DESC) WHERE manager_id IS NULL AND status IN ('new', 'in_progress');

ALTER TABLE activities
    ADD COLUMN reminded_at timestamptz,
    ADD COLUMN attempt     int NOT NULL DEFAULT 1;              -- which call of the cadence this is
CREATE INDEX activities_overdue ON activities (due_at) WHERE done_at IS NULL AND reminded_at IS NULL;

ALTER TABLE assignments
    ADD COLUMN by_manager_id bigint REFERENCES managers;       -- a person's hand, not a rule

-- One row per job per tick: whoever inserts it runs the job, in the same
-- transaction, so each tick runs once however many replicas fire it.
CREATE TABLE scheduler_runs (
    job    text NOT NULL,
    tick   timestamptz NOT NULL,
    ran_at timestamptz NOT NULL DEFAULT now(),
    result text NOT NULL DEFAULT '',
    PRIMARY KEY (job, tick)
);
