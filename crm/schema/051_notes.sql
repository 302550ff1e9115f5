-- Notes on every record (issue 16): a lead, a deal, a contact or a company.
-- A note on a lead or a deal also names its contact, so the person's card
-- shows it; a converted lead's notes follow it to the deal. Who wrote it is
-- kept as for stage moves.
CREATE TABLE notes (
    id            bigserial PRIMARY KEY,
    lead_id       bigint REFERENCES leads,
    deal_id       bigint REFERENCES deals ON DELETE CASCADE,
    contact_id    bigint REFERENCES contacts,
    company_id    bigint REFERENCES companies,
    text          text NOT NULL CHECK (text <> ''),
    at            timestamptz NOT NULL DEFAULT now(),
    by_manager_id bigint,
    by_kind       text,
    by_name       text NOT NULL DEFAULT '',
    CHECK (num_nonnulls(lead_id, deal_id, contact_id, company_id) > 0)
);
CREATE INDEX notes_lead ON notes (lead_id, at) WHERE lead_id IS NOT NULL;
CREATE INDEX notes_deal ON notes (deal_id, at) WHERE deal_id IS NOT NULL;
CREATE INDEX notes_contact ON notes (contact_id, at) WHERE contact_id IS NOT NULL;
CREATE INDEX notes_company ON notes (company_id, at) WHERE company_id IS NOT NULL;

-- Lead notes were touches of kind note until now: they move here.
INSERT INTO notes (lead_id, deal_id, contact_id, text, at, by_manager_id, by_kind)
SELECT lead_id, deal_id, contact_id, text, at, (data->>'by_manager_id')::bigint,
       CASE WHEN data->>'by_manager_id' IS NOT NULL THEN 'manager' END
FROM touches WHERE kind = 'note' AND text <> '' AND num_nonnulls(lead_id, deal_id, contact_id) > 0;
UPDATE messenger_replies SET touch_id = NULL WHERE touch_id IN (SELECT id FROM touches WHERE kind = 'note');
DELETE FROM touches WHERE kind = 'note';

-- Timelines read a record's assignments, documents and payments newest first.
CREATE INDEX touches_lead_at ON touches (lead_id, at DESC) WHERE lead_id IS NOT NULL;
