-- report_rebuild_deals() in set statements: the deals' facts from one
-- pass over each source table (grouped by deal) instead of subqueries per
-- deal. With fresh, unanalyzed tables (a restore, an import) the planner
-- ran "max(done_at) of this deal's activities" backwards over the
-- activities_done index for every deal: a million activities times a
-- hundred thousand deals. Same facts as before (the reports' test
-- compares the triggers' facts with the rebuilt ones).
CREATE OR REPLACE FUNCTION report_rebuild_deals() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Deals: stays per stage, from consecutive moves.
    DELETE FROM deal_stage_time;
    INSERT INTO deal_stage_time (deal_id, stage_id, seconds, exits, since)
    SELECT deal_id, to_stage_id,
        coalesce(sum(greatest(0, floor(extract(epoch FROM next_at - at)))::bigint) FILTER (WHERE next_at IS NOT NULL), 0),
        count(next_at),
        max(at) FILTER (WHERE next_at IS NULL)
    FROM (SELECT deal_id, to_stage_id, at, lead(at) OVER (PARTITION BY deal_id ORDER BY id) AS next_at
          FROM deal_stage_history) h
    GROUP BY deal_id, to_stage_id;
    WITH moves AS (
        SELECT h.deal_id,
            max(s.position) FILTER (WHERE s.semantic = 'progress') AS reached,
            (array_agg(h.from_stage_id ORDER BY h.id DESC))[1] AS last_from,
            max(h.at) AS last_at
        FROM deal_stage_history h JOIN stages s ON s.id = h.to_stage_id
        GROUP BY h.deal_id),
    done AS (SELECT deal_id, max(done_at) AS at FROM activities WHERE deal_id IS NOT NULL GROUP BY deal_id),
    touched AS (SELECT deal_id, max(at) AS at FROM touches WHERE deal_id IS NOT NULL GROUP BY deal_id)
    UPDATE deals d SET reached_position = coalesce(m.reached, 0),
        lost_from_stage_id = CASE WHEN cs.semantic = 'lost' THEN m.last_from END,
        last_activity_at = greatest(m.last_at, a.at, t.at)
    FROM deals x JOIN stages cs ON cs.id = x.stage_id
        LEFT JOIN moves m ON m.deal_id = x.id LEFT JOIN done a ON a.deal_id = x.id LEFT JOIN touched t ON t.deal_id = x.id
    WHERE x.id = d.id;
END $$;

-- A touch or a done activity that comes to a deal later (a lead's history
-- moved onto the deal it became) is activity on the deal, as the rebuild
-- has always counted it: the triggers now see the move too, so the facts
-- they keep and the facts rebuilt from the raw tables agree.
DROP TRIGGER report_deal_touch ON touches;
CREATE TRIGGER report_deal_touch AFTER INSERT OR UPDATE OF deal_id ON touches
    FOR EACH ROW WHEN (NEW.deal_id IS NOT NULL) EXECUTE FUNCTION report_deal_touch();

CREATE OR REPLACE FUNCTION report_activity_done() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text;
BEGIN
    IF NEW.done_at IS NULL THEN
        RETURN NULL;
    END IF;
    IF NEW.deal_id IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.done_at IS NULL OR OLD.deal_id IS DISTINCT FROM NEW.deal_id) THEN
        UPDATE deals SET last_activity_at = NEW.done_at
        WHERE id = NEW.deal_id AND (last_activity_at IS NULL OR last_activity_at < NEW.done_at);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.done_at IS NOT NULL THEN
        RETURN NULL;
    END IF;
    IF NEW.lead_id IS NULL OR NOT (NEW.outcome IN ('done', 'no_answer', 'answered') OR NEW.outcome LIKE 'answered: %') THEN
        RETURN NULL;
    END IF;
    kind := CASE WHEN NEW.type = 'call' THEN 'call'
                 WHEN NEW.type = 'email' AND NEW.subject = 'Answer the message' THEN 'message'
                 WHEN NEW.type = 'email' THEN 'letter' END;
    IF kind IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE leads SET first_response_at = NEW.done_at, first_response_kind = kind
    WHERE id = NEW.lead_id AND (first_response_at IS NULL OR first_response_at > NEW.done_at);
    IF kind = 'call' AND NEW.outcome <> 'no_answer' THEN
        UPDATE leads SET reached_at = NEW.done_at
        WHERE id = NEW.lead_id AND (reached_at IS NULL OR reached_at > NEW.done_at);
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER report_activity_done ON activities;
CREATE TRIGGER report_activity_done AFTER INSERT OR UPDATE OF done_at, deal_id ON activities
    FOR EACH ROW WHEN (NEW.done_at IS NOT NULL AND (NEW.lead_id IS NOT NULL OR NEW.deal_id IS NOT NULL))
    EXECUTE FUNCTION report_activity_done();
