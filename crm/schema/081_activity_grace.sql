-- A missed call's call-back is due at once but counts as overdue only
-- after a grace period (followup.missed_call_grace): overdue is
-- due_at + grace < now. Every other activity has none.
ALTER TABLE activities ADD COLUMN grace interval NOT NULL DEFAULT '0';
