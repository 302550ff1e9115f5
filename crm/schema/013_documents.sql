-- Documents made from a deal: each a PDF kept as it was issued. A number is
-- taken from its type's counter for the year in the transaction that
-- creates the document, so a number is never reused, even when the
-- document is made again (that is a new version with a new number).
CREATE TABLE document_counters (
    type text NOT NULL,
    year int  NOT NULL,
    seq  int  NOT NULL,
    PRIMARY KEY (type, year)
);

CREATE TABLE documents (
    id         bigserial PRIMARY KEY,
    deal_id    bigint NOT NULL REFERENCES deals ON DELETE CASCADE,
    type       text NOT NULL CHECK (type IN ('quote', 'invoice', 'contract', 'act')),
    number     text NOT NULL,
    version    int NOT NULL CHECK (version > 0),
    date       date NOT NULL,
    total      numeric(18, 2) NOT NULL,
    pdf        bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (deal_id, type, version),
    UNIQUE (type, number)
);
CREATE INDEX documents_deal ON documents (deal_id, id);
