-- Deals in pipelines: stages with a meaning (in progress, won, lost), the
-- history of every move, and the people and companies they are with.

CREATE TABLE pipelines (
    id           bigserial PRIMARY KEY,
    key          text NOT NULL UNIQUE,
    name         text NOT NULL,
    is_default   boolean NOT NULL DEFAULT false,
    position     int NOT NULL DEFAULT 0,
    loss_reasons text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX pipelines_one_default ON pipelines (is_default) WHERE is_default;

CREATE TABLE stages (
    id          bigserial PRIMARY KEY,
    pipeline_id bigint NOT NULL REFERENCES pipelines ON DELETE CASCADE,
    key         text NOT NULL,
    name        text NOT NULL,
    semantic    text NOT NULL DEFAULT 'progress' CHECK (semantic IN ('progress', 'won', 'lost')),
    position    int NOT NULL,
    UNIQUE (pipeline_id, key)
);

ALTER TABLE companies
    ADD COLUMN kpp        text,
    ADD COLUMN ogrn       text,
    ADD COLUMN address    text NOT NULL DEFAULT '',
    ADD COLUMN phones     text[] NOT NULL DEFAULT '{}',
    ADD COLUMN emails     text[] NOT NULL DEFAULT '{}',
    ADD COLUMN merged_into bigint REFERENCES companies,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX companies_name ON companies (lower(name));

ALTER TABLE contacts
    ADD COLUMN position    text NOT NULL DEFAULT '',
    ADD COLUMN telegram_id bigint,
    ADD COLUMN merged_into bigint REFERENCES contacts,
    ADD COLUMN updated_at  timestamptz NOT NULL DEFAULT now();
CREATE INDEX contacts_manager ON contacts (manager_id, id DESC);
CREATE INDEX contacts_company ON contacts (company_id) WHERE company_id IS NOT NULL;
CREATE INDEX contacts_phones ON contacts USING gin (phones);

CREATE TABLE deals (
    id             bigserial PRIMARY KEY,
    title          text NOT NULL,
    pipeline_id    bigint NOT NULL REFERENCES pipelines,
    stage_id       bigint NOT NULL REFERENCES stages,
    contact_id     bigint REFERENCES contacts,
    company_id     bigint REFERENCES companies,
    manager_id     bigint REFERENCES managers,
    lead_id        bigint REFERENCES leads,
    currency       text NOT NULL DEFAULT 'RUB' CHECK (currency ~ '^[A-Z]{3}$'),
    amount         numeric(18, 2) NOT NULL DEFAULT 0,
    expected_close date,
    loss_reason    text,
    closed_at      timestamptz,                                 -- won or lost
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deals_manager ON deals (manager_id, id DESC);
CREATE INDEX deals_pipeline ON deals (pipeline_id, stage_id, id DESC);
CREATE INDEX deals_open_contact ON deals (contact_id, id DESC) WHERE closed_at IS NULL;
CREATE INDEX deals_company ON deals (company_id) WHERE company_id IS NOT NULL;

CREATE TABLE deal_stage_history (
    id            bigserial PRIMARY KEY,
    deal_id       bigint NOT NULL REFERENCES deals ON DELETE CASCADE,
    from_stage_id bigint REFERENCES stages,
    to_stage_id   bigint NOT NULL REFERENCES stages,
    at            timestamptz NOT NULL DEFAULT now(),
    by_manager_id bigint REFERENCES managers
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history (deal_id, id);
CREATE INDEX deal_stage_history_at ON deal_stage_history (to_stage_id, at);

ALTER TABLE touches ADD COLUMN deal_id bigint REFERENCES deals;
CREATE INDEX touches_deal ON touches (deal_id, at) WHERE deal_id IS NOT NULL;
CREATE INDEX touches_contact ON touches (contact_id) WHERE contact_id IS NOT NULL;
ALTER TABLE activities ADD COLUMN deal_id bigint REFERENCES deals;
CREATE INDEX activities_deal ON activities (deal_id) WHERE deal_id IS NOT NULL;
CREATE INDEX activities_contact ON activities (contact_id) WHERE contact_id IS NOT NULL;

-- Merges, kept 30 days so that one can be undone.
CREATE TABLE merges (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('contact', 'company')),
    kept_id    bigint NOT NULL,
    merged_id  bigint NOT NULL,
    moved      jsonb NOT NULL,      -- what moved, to move it back
    at         timestamptz NOT NULL DEFAULT now(),
    by_manager_id bigint REFERENCES managers,
    undone_at  timestamptz
);
