-- "Reached" (the speed report's «Дозвонились») means the department and
-- the client were in contact (issue 15): a call that was answered, in or
-- out; an answer to the client's letter or message (they wrote, we
-- replied: a letter/message activity done, or a reply in the messenger
-- chat); a call activity completed as done or answered. Taking a lead
-- («Взять») or converting it is no contact, and no longer counts: every
-- lead that was taken read as reached, so every bucket of the curve showed
-- 100 %.

CREATE OR REPLACE FUNCTION report_lead_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'new' AND NEW.status IN ('in_progress', 'converted') THEN
        NEW.taken_at := coalesce(NEW.taken_at, NEW.status_changed_at);
        IF NEW.first_response_at IS NULL OR NEW.status_changed_at < NEW.first_response_at THEN
            NEW.first_response_at := NEW.status_changed_at;
            NEW.first_response_kind := 'taken';
        END IF;
    END IF;
    RETURN NEW;
END $$;

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
    -- A call done or answered, or a letter or message answered: contact.
    IF NEW.outcome <> 'no_answer' THEN
        UPDATE leads SET reached_at = NEW.done_at
        WHERE id = NEW.lead_id AND (reached_at IS NULL OR reached_at > NEW.done_at);
    END IF;
    RETURN NULL;
END $$;

-- A call on the lead that was answered (in or out), or the manager's reply
-- in the client's messenger chat, reaches the person.
CREATE FUNCTION report_touch_reached() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE leads SET reached_at = NEW.at
    WHERE id = NEW.lead_id AND (reached_at IS NULL OR reached_at > NEW.at);
    RETURN NULL;
END $$;
CREATE TRIGGER report_touch_reached AFTER INSERT OR UPDATE OF data, lead_id ON touches
    FOR EACH ROW WHEN (NEW.lead_id IS NOT NULL AND (
        NEW.channel = 'call' AND coalesce((NEW.data->'call'->>'answered')::boolean, false)
        OR NEW.channel = 'messenger' AND NEW.kind = 'outbound'))
    EXECUTE FUNCTION report_touch_reached();

-- The same facts from the raw tables (report_rebuild, and the backfill
-- below): the first contact of each lead.
CREATE FUNCTION report_rebuild_reached() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE leads SET reached_at = NULL WHERE reached_at IS NOT NULL;
    UPDATE leads l SET reached_at = r.at
    FROM (SELECT lead_id, min(at) AS at FROM (
            SELECT a.lead_id, a.done_at AS at FROM activities a
            WHERE a.lead_id IS NOT NULL AND a.done_at IS NOT NULL AND a.type IN ('call', 'email')
              AND (a.outcome IN ('done', 'answered') OR a.outcome LIKE 'answered: %')
            UNION ALL
            SELECT t.lead_id, t.at FROM touches t
            WHERE t.lead_id IS NOT NULL AND (
                t.channel = 'call' AND coalesce((t.data->'call'->>'answered')::boolean, false)
                OR t.channel = 'messenger' AND t.kind = 'outbound')) c
          GROUP BY lead_id) r
    WHERE r.lead_id = l.id;
END $$;

CREATE OR REPLACE FUNCTION report_rebuild_leads() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Leads: the first answer, from the taking and the activities.
    UPDATE leads l SET
        taken_at = CASE WHEN l.status IN ('in_progress', 'converted') THEN coalesce(l.taken_at, l.status_changed_at) ELSE l.taken_at END,
        first_response_at = NULL, first_response_kind = NULL;
    UPDATE leads l SET first_response_at = l.taken_at, first_response_kind = 'taken'
    WHERE l.taken_at IS NOT NULL;
    UPDATE leads l SET first_response_at = r.at, first_response_kind = r.kind
    FROM (SELECT DISTINCT ON (a.lead_id) a.lead_id, a.done_at AS at,
            CASE WHEN a.type = 'call' THEN 'call' WHEN a.subject = 'Answer the message' THEN 'message' ELSE 'letter' END AS kind
          FROM activities a
          WHERE a.lead_id IS NOT NULL AND a.done_at IS NOT NULL AND a.type IN ('call', 'email')
            AND (a.outcome IN ('done', 'no_answer', 'answered') OR a.outcome LIKE 'answered: %')
          ORDER BY a.lead_id, a.done_at, a.id) r
    WHERE r.lead_id = l.id AND (l.first_response_at IS NULL OR r.at < l.first_response_at);
    PERFORM report_rebuild_reached();
END $$;

SELECT report_rebuild_reached();
