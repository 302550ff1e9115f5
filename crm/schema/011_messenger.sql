-- The company's bot: a manager answers a client by replying, in their own
-- chat with the managers' bot, to the client's message the bot forwarded.
-- The reply is found by the message it answers, and each reply is sent to
-- the client and recorded once, however often Telegram repeats the update.

CREATE INDEX telegram_sent_message ON telegram_sent (chat_id, message_id);

CREATE TABLE messenger_replies (
    chat_id         bigint NOT NULL, -- the manager's chat
    message_id      bigint NOT NULL, -- their reply in it
    sent_message_id bigint NOT NULL, -- the message the client got
    touch_id        bigint REFERENCES touches ON DELETE SET NULL,
    at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chat_id, message_id)
);
