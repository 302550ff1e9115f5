-- Mailboxes: where each one's reading stands, so a restart or a dropped
-- connection resumes exactly; letters' Message-IDs, so a reply finds its
-- thread.
CREATE TABLE mailbox_state (
    mailbox      text PRIMARY KEY,
    uid_validity bigint NOT NULL DEFAULT 0,
    last_uid     bigint NOT NULL DEFAULT 0,
    connected    boolean NOT NULL DEFAULT false,
    last_sync    timestamptz,
    last_error   text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE touches ADD COLUMN message_id text;
CREATE INDEX touches_message_id ON touches (message_id) WHERE message_id IS NOT NULL;
