-- The outbox gets many readers. Each consumer (telegram, webhooks, mail)
-- registers the kinds it reads in outbox_consumers; a statement trigger
-- gives each new outbox row one delivery per consumer reading its kind,
-- and each consumer claims, retries and dead-letters only its own. The
-- outbox row itself is the event, never changed after it is written.

CREATE TABLE outbox_consumers (
    name       text PRIMARY KEY,
    kinds      text[] NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE outbox_deliveries (
    consumer        text NOT NULL,
    outbox_id       bigint NOT NULL REFERENCES outbox ON DELETE CASCADE,
    attempts        int NOT NULL DEFAULT 0,
    -- -infinity: due at once whatever the claimer's clock says.
    next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
    delivered_at    timestamptz,
    dead_at         timestamptz, -- a dead letter: given up, kept with why
    last_error      text,
    PRIMARY KEY (consumer, outbox_id)
);
CREATE INDEX outbox_deliveries_due ON outbox_deliveries (consumer, next_attempt_at, outbox_id)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_deliveries_outbox ON outbox_deliveries (outbox_id);
ALTER TABLE outbox_deliveries SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- One statement per INSERT, however many rows it wrote (the intake batch
-- writes many at once): the fan-out costs one join, not a call per row.
CREATE FUNCTION outbox_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox_deliveries (consumer, outbox_id)
    SELECT c.name, n.id FROM new_rows n JOIN outbox_consumers c ON n.kind = ANY (c.kinds);
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_fan_out AFTER INSERT ON outbox REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_fan_out();

-- Until now Telegram was the only reader: what it had not delivered yet
-- is its own.
INSERT INTO outbox_deliveries (consumer, outbox_id, attempts, next_attempt_at, last_error)
SELECT 'telegram', id, attempts, next_attempt_at, last_error FROM outbox WHERE delivered_at IS NULL;

DROP INDEX outbox_pending;
ALTER TABLE outbox DROP COLUMN attempts, DROP COLUMN next_attempt_at, DROP COLUMN delivered_at, DROP COLUMN last_error;
CREATE INDEX outbox_created ON outbox (created_at);
