-- Counters that read a few rows, not every open lead and activity.
--
-- A manager's load (open and new leads) was counted lead by lead on every
-- page that names managers: 92 ms at 500,000 open leads. lead_counts keeps
-- it as rows of changes, written by statement triggers (one insert a
-- statement, no row every writer waits on) and folded into one row per
-- manager and status by the lead_counts job; a reader sums the few rows.
CREATE TABLE lead_counts (
    manager_id bigint,
    status     text NOT NULL,
    n          bigint NOT NULL
);
CREATE INDEX lead_counts_manager ON lead_counts (manager_id);

CREATE FUNCTION lead_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lead_counts (manager_id, status, n)
    SELECT manager_id, status, count(*) FROM new_rows WHERE status IN ('new', 'in_progress') GROUP BY 1, 2;
    RETURN NULL;
END $$;

CREATE FUNCTION lead_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lead_counts (manager_id, status, n)
    SELECT manager_id, status, sum(n) FROM (
        SELECT manager_id, status, -1 AS n FROM old_rows WHERE status IN ('new', 'in_progress')
        UNION ALL
        SELECT manager_id, status, 1 FROM new_rows WHERE status IN ('new', 'in_progress')) d
    GROUP BY 1, 2 HAVING sum(n) <> 0;
    RETURN NULL;
END $$;

CREATE FUNCTION lead_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lead_counts (manager_id, status, n)
    SELECT manager_id, status, -count(*) FROM old_rows WHERE status IN ('new', 'in_progress') GROUP BY 1, 2;
    RETURN NULL;
END $$;

CREATE FUNCTION lead_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM lead_counts;
    RETURN NULL;
END $$;

CREATE TRIGGER leads_count_insert AFTER INSERT ON leads REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_counts_insert();
CREATE TRIGGER leads_count_update AFTER UPDATE ON leads REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_counts_update();
CREATE TRIGGER leads_count_delete AFTER DELETE ON leads REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_counts_delete();
CREATE TRIGGER leads_count_truncate AFTER TRUNCATE ON leads
    FOR EACH STATEMENT EXECUTE FUNCTION lead_counts_truncate();

-- The triggers' lock on leads keeps writers out until this commits, so
-- the first count and the changes after it add up.
INSERT INTO lead_counts (manager_id, status, n)
SELECT manager_id, status, count(*) FROM leads WHERE status IN ('new', 'in_progress') GROUP BY 1, 2;

-- A manager's activities due today and overdue are counted from the index
-- alone (grace in it), the unanswered ones from an index of only those.
CREATE INDEX activities_open_grace ON activities (manager_id, due_at, id) INCLUDE (grace) WHERE done_at IS NULL;
DROP INDEX activities_open;
CREATE INDEX activities_unanswered ON activities (manager_id)
    WHERE done_at IS NULL AND (type = 'email' OR subject = 'Missed call: call back');

-- Overdue is due_at + grace < now (overdue.go). Grace is never negative,
-- so an overdue activity was due before now and the conditions can range
-- over due_at; the few open activities with a grace (missed calls' call-
-- backs) have an index of their own for "due today, still in its grace".
ALTER TABLE activities ADD CONSTRAINT activities_grace_not_negative CHECK (grace >= interval '0');
CREATE INDEX activities_in_grace ON activities (due_at, id) INCLUDE (manager_id, grace) WHERE done_at IS NULL AND grace > interval '0';
