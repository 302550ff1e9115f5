-- A contact's card lists all their deals, closed ones too: by an index,
-- not by reading the deals newest first until 50 of theirs turn up.
CREATE INDEX deals_contact ON deals (contact_id, id DESC) WHERE contact_id IS NOT NULL;
