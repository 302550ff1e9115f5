-- The managers' Telegram bot: one-time codes that link a manager to their
-- private chat, and which chats each outbox row already reached (so a retry
-- of a row with several recipients resends only to those it missed).

CREATE TABLE telegram_link_codes (
    code       text PRIMARY KEY,
    manager_id bigint NOT NULL REFERENCES managers ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    chat_id    bigint
);
CREATE INDEX telegram_link_codes_manager ON telegram_link_codes (manager_id);

CREATE TABLE telegram_sent (
    outbox_id  bigint NOT NULL REFERENCES outbox ON DELETE CASCADE,
    chat_id    bigint NOT NULL,
    message_id bigint NOT NULL,
    sent_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (outbox_id, chat_id)
);
