-- The system of record for the walking skeleton: managers, the people we
-- know, leads and what happened to them, the inbox of raw inbound events
-- and the outbox of side effects.

CREATE TABLE managers (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL CHECK (name <> ''),
    role             text NOT NULL DEFAULT 'manager' CHECK (role IN ('manager', 'supervisor', 'admin')),
    time_zone        text NOT NULL DEFAULT 'UTC',
    active           boolean NOT NULL DEFAULT true,
    telegram_chat_id bigint UNIQUE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE companies (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    inn        text,
    manager_id bigint REFERENCES managers,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX companies_inn ON companies (inn) WHERE inn IS NOT NULL;

CREATE TABLE contacts (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    company_id bigint REFERENCES companies,
    manager_id bigint REFERENCES managers,
    phones     text[] NOT NULL DEFAULT '{}',
    emails     text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per normalized identity ("tel:+79123456789", "email:a@b.ru"):
-- a person is found by any of theirs, and no identity names two contacts.
CREATE TABLE contact_identities (
    identity   text PRIMARY KEY,
    contact_id bigint NOT NULL REFERENCES contacts ON DELETE CASCADE
);
CREATE INDEX contact_identities_contact ON contact_identities (contact_id);

-- Raw inbound events, keyed by where they came from. Accepted means a row here.
CREATE TABLE inbox (
    id              uuid PRIMARY KEY,
    source          text NOT NULL,
    external_id     text NOT NULL,
    body_hash       bytea,
    event           jsonb NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    processed_at    timestamptz,
    outcome         text,
    lead_id         bigint,
    last_error      text,
    UNIQUE (source, external_id)
);
CREATE INDEX inbox_pending ON inbox (next_attempt_at) WHERE processed_at IS NULL;

CREATE TABLE leads (
    id                bigserial PRIMARY KEY,
    status            text NOT NULL DEFAULT 'new'
                      CHECK (status IN ('new', 'in_progress', 'converted', 'junk')),
    junk_reason       text CHECK (junk_reason IN ('spam', 'test', 'job_seeker', 'duplicate', 'unreachable', 'other')),
    channel           text NOT NULL,
    source            text NOT NULL DEFAULT '',
    name              text NOT NULL DEFAULT '',
    phones            text[] NOT NULL DEFAULT '{}',
    raw_phones        text[] NOT NULL DEFAULT '{}',
    emails            text[] NOT NULL DEFAULT '{}',
    comment           text NOT NULL DEFAULT '',
    utm               jsonb NOT NULL DEFAULT '{}',
    page_url          text NOT NULL DEFAULT '',
    referrer          text NOT NULL DEFAULT '',
    fields            jsonb NOT NULL DEFAULT '{}',
    consent           jsonb,
    manager_id        bigint REFERENCES managers,
    contact_id        bigint REFERENCES contacts,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'junk') = (junk_reason IS NOT NULL))
);
CREATE INDEX leads_manager ON leads (manager_id, id DESC);
CREATE INDEX leads_status ON leads (status, id DESC);
CREATE INDEX leads_contact ON leads (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX leads_phones ON leads USING gin (phones);
CREATE INDEX leads_emails ON leads USING gin (emails);

-- The identities of open leads only (new, in_progress): the constraint that
-- keeps "one person, one open lead" true on any number of replicas.
CREATE TABLE lead_identities (
    identity text PRIMARY KEY,
    lead_id  bigint NOT NULL REFERENCES leads ON DELETE CASCADE
);
CREATE INDEX lead_identities_lead ON lead_identities (lead_id);

CREATE TABLE touches (
    id         bigserial PRIMARY KEY,
    lead_id    bigint REFERENCES leads,
    contact_id bigint REFERENCES contacts,
    event_id   uuid UNIQUE REFERENCES inbox,
    channel    text NOT NULL,
    kind       text NOT NULL DEFAULT 'inbound',
    source     text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL,
    text       text NOT NULL DEFAULT '',
    data       jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX touches_lead ON touches (lead_id, at);

CREATE TABLE activities (
    id         bigserial PRIMARY KEY,
    type       text NOT NULL CHECK (type IN ('call', 'meeting', 'task', 'email')),
    subject    text NOT NULL DEFAULT '',
    lead_id    bigint REFERENCES leads,
    contact_id bigint REFERENCES contacts,
    manager_id bigint NOT NULL REFERENCES managers,
    due_at     timestamptz NOT NULL,
    done_at    timestamptz,
    outcome    text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activities_open ON activities (manager_id, due_at) WHERE done_at IS NULL;
CREATE INDEX activities_lead ON activities (lead_id);

CREATE TABLE assignments (
    id         bigserial PRIMARY KEY,
    lead_id    bigint NOT NULL REFERENCES leads,
    manager_id bigint REFERENCES managers,
    rule       text NOT NULL,
    strategy   text NOT NULL,
    candidates jsonb NOT NULL DEFAULT '[]',
    reason     text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assignments_lead ON assignments (lead_id, id);

-- Side effects, written in the transaction that decided them and delivered
-- at least once by whoever reads this table.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    last_error      text
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL;
