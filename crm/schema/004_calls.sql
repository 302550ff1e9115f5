-- Calls: the events of one call fold into one touch, keyed by provider and
-- call id; its result is one activity (a completed call or a call-back).
ALTER TABLE touches ADD COLUMN call_key text UNIQUE;
ALTER TABLE activities
    ADD COLUMN call_key text,
    ADD COLUMN data     jsonb NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX activities_call ON activities (call_key) WHERE call_key IS NOT NULL;
CREATE INDEX activities_open_call ON activities (lead_id) WHERE type = 'call' AND done_at IS NULL;
