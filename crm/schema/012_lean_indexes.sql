-- Intake writes a touch and an activity for nearly every event: keep the
-- indexes that only a few rows need from costing every row. A touch has a
-- call key only when it is a call; an activity has participants only when
-- it is a meeting with colleagues.
ALTER TABLE touches DROP CONSTRAINT touches_call_key_key;
CREATE UNIQUE INDEX touches_call_key ON touches (call_key) WHERE call_key IS NOT NULL;
DROP INDEX activities_participants;
CREATE INDEX activities_participants ON activities USING gin (participants)
    WHERE done_at IS NULL AND cardinality(participants) > 0;
-- A lead's open call is found through activities_lead already.
DROP INDEX activities_open_call;
