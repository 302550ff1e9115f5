-- A lead's cards in managers' chats are found by the lead: every status
-- change redraws them, and a lead handed on tells the old manager's card.
CREATE INDEX outbox_lead_assigned ON outbox ((payload->>'lead_id')) WHERE kind = 'lead.assigned';
