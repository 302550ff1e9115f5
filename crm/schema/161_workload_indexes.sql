-- The workload report over a year answers from indexes alone: activities
-- done in a period per manager (the key of activities_done, now with the
-- manager and the outcome beside it), and the calls made and missed (one
-- partial index each, with the lead and the deal they are on), instead of
-- visiting every activity and parsing every call's JSON.
CREATE INDEX activities_done_report ON activities (done_at) INCLUDE (manager_id, outcome) WHERE done_at IS NOT NULL;
DROP INDEX activities_done;
CREATE INDEX touches_calls_made ON touches (at) INCLUDE (lead_id, deal_id)
    WHERE channel = 'call' AND data->'call'->>'direction' = 'out';
CREATE INDEX touches_calls_missed ON touches (at) INCLUDE (lead_id, deal_id)
    WHERE channel = 'call' AND data->'call'->>'direction' = 'in' AND NOT coalesce((data->'call'->>'answered')::boolean, false)
        AND data->'call'->'states' ? 'ended';
