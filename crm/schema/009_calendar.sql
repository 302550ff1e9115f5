-- The shared calendar: how long an activity takes, who else is in a
-- meeting, and each manager's secret feed address.
ALTER TABLE activities
    ADD COLUMN duration     interval NOT NULL DEFAULT interval '15 minutes',
    ADD COLUMN participants bigint[] NOT NULL DEFAULT '{}';
CREATE INDEX activities_participants ON activities USING gin (participants) WHERE done_at IS NULL;
ALTER TABLE managers ADD COLUMN calendar_token text UNIQUE;
