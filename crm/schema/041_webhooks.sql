-- Outgoing webhooks (Standard Webhooks): the endpoints admins subscribe,
-- one message per event and endpoint (its webhook-id and body are the same
-- on every attempt), and every attempt with its answer.

CREATE TABLE webhook_endpoints (
    id                  bigserial PRIMARY KEY,
    url                 text NOT NULL,
    description         text NOT NULL DEFAULT '',
    events              text[] NOT NULL,
    secret              text NOT NULL,            -- whsec_…: signs every message
    previous_secret     text,                     -- after a rotation, still signs...
    previous_expires_at timestamptz,              -- ...until then
    enabled             boolean NOT NULL DEFAULT true,
    disabled_at         timestamptz,
    disabled_reason     text,
    failing_since       timestamptz,              -- the first failure since the last success
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);

CREATE TABLE webhook_messages (
    id              bigserial PRIMARY KEY,
    msg_id          text NOT NULL UNIQUE,          -- the webhook-id header
    endpoint_id     bigint NOT NULL REFERENCES webhook_endpoints ON DELETE CASCADE,
    outbox_id       bigint,                        -- the event; the outbox row may be pruned
    event_type      text NOT NULL,
    body            text NOT NULL,                 -- exactly what is signed and sent
    created_at      timestamptz NOT NULL,          -- the event's time
    -- pending: to send; delivered; failed: given up (or the endpoint was
    -- disabled); skipped: the endpoint was disabled when it happened.
    status          text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    delivered_at    timestamptz,
    last_error      text,
    UNIQUE (endpoint_id, outbox_id, event_type)
);
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_endpoint ON webhook_messages (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    id            bigserial PRIMARY KEY,
    message_id    bigint NOT NULL REFERENCES webhook_messages ON DELETE CASCADE,
    endpoint_id   bigint NOT NULL REFERENCES webhook_endpoints ON DELETE CASCADE,
    attempt       int NOT NULL,
    at            timestamptz NOT NULL,
    status        text NOT NULL CHECK (status IN ('succeeded', 'failed')),
    response_code int,
    error         text,
    duration_ms   int NOT NULL
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
