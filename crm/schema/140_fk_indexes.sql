-- Every foreign key into a table the code deletes from has an index that
-- leads with its columns (TestEveryForeignKeyIntoADeletedTableIsIndexed).
-- Without one, each deleted parent row checks or cascades by scanning the
-- whole child table: deleting a webhook endpoint with 33,000 messages took
-- minutes, because every message's cascade scanned webhook_attempts.
CREATE INDEX webhook_attempts_message ON webhook_attempts (message_id);
CREATE INDEX deal_stage_time_stage ON deal_stage_time (stage_id);
CREATE INDEX deals_stage ON deals (stage_id);
CREATE INDEX deals_lost_from_stage ON deals (lost_from_stage_id) WHERE lost_from_stage_id IS NOT NULL;
CREATE INDEX deal_stage_history_from_stage ON deal_stage_history (from_stage_id) WHERE from_stage_id IS NOT NULL;
