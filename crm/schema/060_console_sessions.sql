-- The console's sign-in: one-time login links for managers and browser
-- sessions. Both keep only the SHA-256 of their secret, so a copy of the
-- database signs nobody in.

CREATE TABLE console_login_codes (
    code_hash  bytea PRIMARY KEY,
    manager_id bigint NOT NULL REFERENCES managers ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX console_login_codes_manager ON console_login_codes (manager_id);

CREATE TABLE console_sessions (
    id         bigserial PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    manager_id bigint REFERENCES managers ON DELETE CASCADE, -- NULL: an admin or supervisor signed in by API token
    name       text NOT NULL,
    role       text NOT NULL,
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL,
    seen_at    timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    ended_at   timestamptz
);
CREATE INDEX console_sessions_manager ON console_sessions (manager_id) WHERE ended_at IS NULL;
