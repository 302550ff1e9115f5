-- The team without restarts (issue 16): API tokens live here, stored as the
-- SHA-256 of the secret (shown once, when made); a revoked token stops
-- working at once. The configuration's tokens only seed an empty table.
CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (name <> ''),
    role        text NOT NULL CHECK (role IN ('admin', 'supervisor', 'manager', 'integration')),
    manager_id  bigint,                       -- not a foreign key: a seed may name a manager made later
    hash        bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT '',
    revoked_at  timestamptz,
    CHECK (role <> 'manager' OR manager_id IS NOT NULL)
);

-- Who moved a deal: a manager, an API token, an automation rule or a
-- payment. by_manager_id stays for a manager's hand; by_kind and by_name
-- say who it was when it was not a manager (or which token a manager used).
ALTER TABLE deal_stage_history
    ADD COLUMN by_kind text,
    ADD COLUMN by_name text NOT NULL DEFAULT '';
