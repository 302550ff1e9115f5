-- The board finds each column's newest cards, and counts and sums its
-- deals, from this index alone for the filters it has (manager, period):
-- deals_pipeline had the keys but not what the filters and the sums read.
CREATE INDEX deals_board ON deals (pipeline_id, stage_id, id DESC) INCLUDE (manager_id, created_at, amount);
DROP INDEX deals_pipeline;

-- A column's count and sum, for the whole department or one manager,
-- from deal_counts: rows of changes written by statement triggers, folded
-- by the counts job, as lead_counts (152). A board filtered by period or
-- source still counts its deals.
CREATE TABLE deal_counts (
    pipeline_id bigint NOT NULL,
    stage_id    bigint NOT NULL,
    manager_id  bigint,
    n           bigint NOT NULL,
    amount      numeric NOT NULL
);
CREATE INDEX deal_counts_pipeline ON deal_counts (pipeline_id, stage_id);

CREATE FUNCTION deal_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deal_counts (pipeline_id, stage_id, manager_id, n, amount)
    SELECT pipeline_id, stage_id, manager_id, count(*), sum(amount) FROM new_rows GROUP BY 1, 2, 3;
    RETURN NULL;
END $$;

CREATE FUNCTION deal_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deal_counts (pipeline_id, stage_id, manager_id, n, amount)
    SELECT pipeline_id, stage_id, manager_id, sum(n), sum(amount) FROM (
        SELECT pipeline_id, stage_id, manager_id, -1 AS n, -amount AS amount FROM old_rows
        UNION ALL
        SELECT pipeline_id, stage_id, manager_id, 1, amount FROM new_rows) d
    GROUP BY 1, 2, 3 HAVING sum(n) <> 0 OR sum(amount) <> 0;
    RETURN NULL;
END $$;

CREATE FUNCTION deal_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deal_counts (pipeline_id, stage_id, manager_id, n, amount)
    SELECT pipeline_id, stage_id, manager_id, -count(*), -sum(amount) FROM old_rows GROUP BY 1, 2, 3;
    RETURN NULL;
END $$;

CREATE FUNCTION deal_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM deal_counts;
    RETURN NULL;
END $$;

CREATE TRIGGER deals_count_insert AFTER INSERT ON deals REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deal_counts_insert();
CREATE TRIGGER deals_count_update AFTER UPDATE ON deals REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deal_counts_update();
CREATE TRIGGER deals_count_delete AFTER DELETE ON deals REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deal_counts_delete();
CREATE TRIGGER deals_count_truncate AFTER TRUNCATE ON deals
    FOR EACH STATEMENT EXECUTE FUNCTION deal_counts_truncate();

INSERT INTO deal_counts (pipeline_id, stage_id, manager_id, n, amount)
SELECT pipeline_id, stage_id, manager_id, count(*), sum(amount) FROM deals GROUP BY 1, 2, 3;
