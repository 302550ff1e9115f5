-- Reports (issue 15): the facts the reports read, kept beside the records
-- they come from and maintained by triggers in the transaction of every
-- write, so that whichever code path writes (intake, the API, the bots,
-- automation, imports) the facts cannot drift, and a report reads narrow
-- indexes instead of scanning history. report_rebuild() recomputes every
-- fact from the raw tables: the migration backfills with it, the
-- benchmark's seed uses it, and a test proves it agrees with the triggers.

-- Leads: where a lead came from as one key (utm_source when the visit had
-- one, else channel:form/line/mailbox), and when the department first
-- answered it and first reached the person.
ALTER TABLE leads
    ADD COLUMN rep_source text GENERATED ALWAYS AS (left(coalesce(nullif(utm->>'utm_source', ''),
        channel || CASE WHEN source <> '' THEN ':' || source ELSE '' END), 200)) STORED,
    ADD COLUMN rep_origin text GENERATED ALWAYS AS (left(source, 200)) STORED,
    ADD COLUMN rep_utm_source text GENERATED ALWAYS AS (left(nullif(utm->>'utm_source', ''), 200)) STORED,
    ADD COLUMN rep_utm_campaign text GENERATED ALWAYS AS (left(nullif(utm->>'utm_campaign', ''), 200)) STORED,
    ADD COLUMN taken_at timestamptz,           -- left "new" for in progress or converted
    ADD COLUMN first_response_at timestamptz,  -- taken, a call made or answered, a letter or message answered
    ADD COLUMN first_response_kind text,       -- taken, call, letter, message
    ADD COLUMN reached_at timestamptz;         -- taken, converted, or a call that connected
-- Every lead report reads this index only: a month is a range of it.
CREATE INDEX leads_report ON leads (created_at) INCLUDE (manager_id, channel, rep_source, rep_origin, rep_utm_source,
    rep_utm_campaign, status, junk_reason, taken_at, first_response_at, reached_at, hops);

-- Stages may carry the probability of winning (the pipeline report weighs by it).
ALTER TABLE stages ADD COLUMN probability int CHECK (probability BETWEEN 0 AND 100);

-- Deals: the furthest progress stage a deal reached (a skipped stage counts
-- as passed), the stage it was lost from, and when anything last happened.
ALTER TABLE deals
    ADD COLUMN reached_position int NOT NULL DEFAULT 0,
    ADD COLUMN lost_from_stage_id bigint REFERENCES stages ON DELETE SET NULL,
    ADD COLUMN last_activity_at timestamptz;
CREATE INDEX deals_report ON deals (pipeline_id, created_at);
CREATE INDEX deals_lead ON deals (lead_id) WHERE lead_id IS NOT NULL;
CREATE INDEX deals_open_report ON deals (pipeline_id, stage_id) INCLUDE (amount, manager_id, last_activity_at, lead_id)
    WHERE closed_at IS NULL;
CREATE INDEX deals_closed ON deals (closed_at) WHERE closed_at IS NOT NULL;

-- Time a deal spent in each stage it visited: completed stays summed, and
-- since when it is in the stage now.
CREATE TABLE deal_stage_time (
    deal_id  bigint NOT NULL REFERENCES deals ON DELETE CASCADE,
    stage_id bigint NOT NULL REFERENCES stages ON DELETE CASCADE,
    seconds  bigint NOT NULL DEFAULT 0,
    exits    int NOT NULL DEFAULT 0,
    since    timestamptz,
    PRIMARY KEY (deal_id, stage_id)
);

-- The workload report: activities done in a period, calls in a period.
CREATE INDEX activities_done ON activities (done_at) WHERE done_at IS NOT NULL;
CREATE INDEX touches_calls ON touches (at) WHERE channel = 'call';

-- Monthly targets per manager, set by supervisors.
CREATE TABLE plans (
    manager_id bigint NOT NULL REFERENCES managers,
    month      date NOT NULL CHECK (extract(day FROM month) = 1),
    revenue    numeric(18, 2) NOT NULL DEFAULT 0 CHECK (revenue >= 0),
    won        int NOT NULL DEFAULT 0 CHECK (won >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT '',
    PRIMARY KEY (manager_id, month)
);

-- Advertising spend per utm_source per month, for the cost of a lead.
CREATE TABLE ad_spend (
    utm_source text NOT NULL CHECK (utm_source <> ''),
    month      date NOT NULL CHECK (extract(day FROM month) = 1),
    amount     numeric(18, 2) NOT NULL CHECK (amount >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (utm_source, month)
);

-- A lead leaving "new" for work or a deal is taken: the first response
-- when nothing came earlier, and the person reached.
CREATE FUNCTION report_lead_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'new' AND NEW.status IN ('in_progress', 'converted') THEN
        NEW.taken_at := coalesce(NEW.taken_at, NEW.status_changed_at);
        IF NEW.first_response_at IS NULL OR NEW.status_changed_at < NEW.first_response_at THEN
            NEW.first_response_at := NEW.status_changed_at;
            NEW.first_response_kind := 'taken';
        END IF;
    END IF;
    IF NEW.status IN ('in_progress', 'converted') AND (NEW.reached_at IS NULL OR NEW.status_changed_at < NEW.reached_at) THEN
        NEW.reached_at := NEW.status_changed_at;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER report_lead_status BEFORE UPDATE OF status ON leads
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION report_lead_status();

-- An activity done on a lead answers it: a call made (answered or not) or
-- a letter or message answered. A call that connected reaches the person.
-- An activity done on a deal is activity on the deal.
CREATE FUNCTION report_activity_done() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text;
BEGIN
    IF NEW.done_at IS NULL OR (TG_OP = 'UPDATE' AND OLD.done_at IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    IF NEW.deal_id IS NOT NULL THEN
        UPDATE deals SET last_activity_at = NEW.done_at
        WHERE id = NEW.deal_id AND (last_activity_at IS NULL OR last_activity_at < NEW.done_at);
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
CREATE TRIGGER report_activity_done AFTER INSERT OR UPDATE OF done_at ON activities
    FOR EACH ROW WHEN (NEW.done_at IS NOT NULL AND (NEW.lead_id IS NOT NULL OR NEW.deal_id IS NOT NULL))
    EXECUTE FUNCTION report_activity_done();

-- A touch on a deal (a call, a letter, a message, a note) is activity on it.
CREATE FUNCTION report_deal_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE deals SET last_activity_at = NEW.at
    WHERE id = NEW.deal_id AND (last_activity_at IS NULL OR last_activity_at < NEW.at);
    RETURN NULL;
END $$;
CREATE TRIGGER report_deal_touch AFTER INSERT ON touches
    FOR EACH ROW WHEN (NEW.deal_id IS NOT NULL) EXECUTE FUNCTION report_deal_touch();

-- A stage move: the stay in the stage left ends, the stay in the stage
-- entered begins, and the deal's furthest stage and lost-from stage follow.
CREATE FUNCTION report_stage_move() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pos int;
    sem text;
BEGIN
    SELECT position, semantic INTO pos, sem FROM stages WHERE id = NEW.to_stage_id;
    IF NEW.from_stage_id IS NOT NULL THEN
        UPDATE deal_stage_time SET seconds = seconds + greatest(0, floor(extract(epoch FROM NEW.at - since)))::bigint,
            exits = exits + 1, since = NULL
        WHERE deal_id = NEW.deal_id AND stage_id = NEW.from_stage_id AND since IS NOT NULL;
    END IF;
    INSERT INTO deal_stage_time (deal_id, stage_id, since) VALUES (NEW.deal_id, NEW.to_stage_id, NEW.at)
        ON CONFLICT (deal_id, stage_id) DO UPDATE SET since = EXCLUDED.since;
    UPDATE deals SET
        reached_position = CASE WHEN sem = 'progress' THEN greatest(reached_position, pos) ELSE reached_position END,
        lost_from_stage_id = CASE WHEN sem = 'lost' THEN NEW.from_stage_id END,
        last_activity_at = CASE WHEN last_activity_at IS NULL OR last_activity_at < NEW.at THEN NEW.at ELSE last_activity_at END
    WHERE id = NEW.deal_id;
    RETURN NULL;
END $$;
CREATE TRIGGER report_stage_move AFTER INSERT ON deal_stage_history
    FOR EACH ROW EXECUTE FUNCTION report_stage_move();

-- report_rebuild recomputes every fact above from the raw tables, in set
-- statements: what the triggers keep, from scratch. A lead's "taken" has no
-- history of its own, so a lead past "new" keeps the time it has, or takes
-- the time its status last changed.
CREATE FUNCTION report_rebuild_deals() RETURNS void LANGUAGE plpgsql AS $$
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
    UPDATE deals d SET reached_position = coalesce(f.reached, 0), lost_from_stage_id = f.lost_from,
        last_activity_at = f.last_at
    FROM (SELECT d.id,
            (SELECT max(s.position) FROM deal_stage_history h JOIN stages s ON s.id = h.to_stage_id
             WHERE h.deal_id = d.id AND s.semantic = 'progress') AS reached,
            CASE WHEN cs.semantic = 'lost' THEN
                (SELECT h.from_stage_id FROM deal_stage_history h WHERE h.deal_id = d.id ORDER BY h.id DESC LIMIT 1) END AS lost_from,
            greatest((SELECT max(at) FROM deal_stage_history h WHERE h.deal_id = d.id),
                     (SELECT max(done_at) FROM activities a WHERE a.deal_id = d.id),
                     (SELECT max(at) FROM touches t WHERE t.deal_id = d.id)) AS last_at
          FROM deals d JOIN stages cs ON cs.id = d.stage_id) f
    WHERE f.id = d.id;
END $$;

CREATE FUNCTION report_rebuild_leads() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Leads: the first answer and the first reach, from activities.
    UPDATE leads l SET
        taken_at = CASE WHEN l.status IN ('in_progress', 'converted') THEN coalesce(l.taken_at, l.status_changed_at) ELSE l.taken_at END,
        first_response_at = NULL, first_response_kind = NULL, reached_at = NULL;
    UPDATE leads l SET first_response_at = l.taken_at, first_response_kind = 'taken', reached_at = l.taken_at
    WHERE l.taken_at IS NOT NULL;
    UPDATE leads l SET first_response_at = r.at, first_response_kind = r.kind
    FROM (SELECT DISTINCT ON (a.lead_id) a.lead_id, a.done_at AS at,
            CASE WHEN a.type = 'call' THEN 'call' WHEN a.subject = 'Answer the message' THEN 'message' ELSE 'letter' END AS kind
          FROM activities a
          WHERE a.lead_id IS NOT NULL AND a.done_at IS NOT NULL AND a.type IN ('call', 'email')
            AND (a.outcome IN ('done', 'no_answer', 'answered') OR a.outcome LIKE 'answered: %')
          ORDER BY a.lead_id, a.done_at, a.id) r
    WHERE r.lead_id = l.id AND (l.first_response_at IS NULL OR r.at < l.first_response_at);
    UPDATE leads l SET reached_at = r.at
    FROM (SELECT a.lead_id, min(a.done_at) AS at FROM activities a
          WHERE a.lead_id IS NOT NULL AND a.done_at IS NOT NULL AND a.type = 'call'
            AND (a.outcome IN ('done', 'answered') OR a.outcome LIKE 'answered: %')
          GROUP BY a.lead_id) r
    WHERE r.lead_id = l.id AND (l.reached_at IS NULL OR r.at < l.reached_at);
END $$;

CREATE FUNCTION report_rebuild() RETURNS void LANGUAGE sql AS $$
    SELECT report_rebuild_deals();
    SELECT report_rebuild_leads();
$$;

SELECT report_rebuild();
