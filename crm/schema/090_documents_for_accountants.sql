-- Documents an accountant signs without edits (issue 18).
--
-- One document, one number: making a document again for an unchanged deal
-- returns it; a changed deal gets a new version of the same number (an
-- earlier version is superseded, its PDF marked so and its payment QR no
-- longer offered); a new number only when asked. A version is unique per
-- number now, not per deal; content is what the document was made of, so
-- a superseded version can be drawn again with its mark, and fingerprint
-- is the hash of what it prints, to tell an unchanged deal. A draft
-- (a preview, a test) takes no number and is never current.
ALTER TABLE documents DROP CONSTRAINT documents_deal_id_type_version_key;
ALTER TABLE documents DROP CONSTRAINT documents_type_number_key;
ALTER TABLE documents
    ADD COLUMN fingerprint   text NOT NULL DEFAULT '',
    ADD COLUMN content       jsonb,
    ADD COLUMN draft         boolean NOT NULL DEFAULT false,
    ADD COLUMN superseded_by bigint REFERENCES documents ON DELETE SET NULL,
    ADD CHECK (draft = (number = ''));
CREATE UNIQUE INDEX documents_number_version ON documents (type, number, version) WHERE NOT draft;
CREATE INDEX documents_current ON documents (deal_id, type, id) WHERE superseded_by IS NULL AND NOT draft;

-- What a product or a line is: goods (commodity) or a service; a receipt's
-- payment_object and the act's list follow it.
ALTER TABLE products ADD COLUMN type text NOT NULL DEFAULT 'commodity' CHECK (type IN ('commodity', 'service'));
ALTER TABLE deal_lines ADD COLUMN type text NOT NULL DEFAULT 'commodity' CHECK (type IN ('commodity', 'service'));

-- The buyer's signatory in a contract: the director and post are there
-- (016); the basis they act on («Устава», «доверенности № 5 от 01.02.2026»).
ALTER TABLE companies ADD COLUMN signatory_basis text NOT NULL DEFAULT '';
