-- A contract signed outside Leadd (on paper, in another system): the deal
-- records its number and date, and invoices and acts name it as their
-- basis («Договор № 17/2026 от 20.11.2026»). It has no PDF here and takes
-- no number of Leadd's own; two companies' contracts may share a number.
ALTER TABLE documents ADD COLUMN external boolean NOT NULL DEFAULT false;
ALTER TABLE documents ADD CONSTRAINT documents_external_contract CHECK (NOT external OR (type = 'contract' AND NOT draft));
DROP INDEX documents_number_version;
CREATE UNIQUE INDEX documents_number_version ON documents (type, number, version) WHERE NOT draft AND NOT external;
