-- E-mailing documents goes through the outbox: the request files a send
-- (queued) and its document.email row; the mail consumer sends the letter
-- and marks the send sent, with the deal's e-mail activity, when the SMTP
-- server takes it — or failed, with why.

CREATE TABLE document_sends (
    id           bigserial PRIMARY KEY,
    deal_id      bigint NOT NULL REFERENCES deals ON DELETE CASCADE,
    document_ids bigint[] NOT NULL,
    contact_id   bigint REFERENCES contacts ON DELETE SET NULL,
    to_address   text NOT NULL,
    manager_id   bigint REFERENCES managers ON DELETE SET NULL, -- whose e-mail activity it is
    state        text NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts     int NOT NULL DEFAULT 0,
    last_error   text,
    activity_id  bigint REFERENCES activities ON DELETE SET NULL,
    created_at   timestamptz NOT NULL,
    sent_at      timestamptz
);
CREATE INDEX document_sends_deal ON document_sends (deal_id, id);
