-- Products and deal lines in exact money: VAT per line, rounded to kopecks
-- per line; a deal's amount and VAT are the sums of its rounded lines.
CREATE TABLE products (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL CHECK (name <> ''),
    sku          text UNIQUE,
    unit         text NOT NULL DEFAULT 'шт',
    price        numeric(18, 2) NOT NULL CHECK (price >= 0),
    vat          text NOT NULL,
    vat_included boolean NOT NULL DEFAULT true,
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deal_lines (
    id           bigserial PRIMARY KEY,
    deal_id      bigint NOT NULL REFERENCES deals ON DELETE CASCADE,
    product_id   bigint REFERENCES products,
    name         text NOT NULL,
    sku          text,
    unit         text NOT NULL DEFAULT 'шт',
    quantity     numeric(18, 3) NOT NULL CHECK (quantity > 0),
    price        numeric(18, 2) NOT NULL CHECK (price >= 0),
    discount     numeric(5, 2) NOT NULL DEFAULT 0 CHECK (discount >= 0 AND discount <= 100), -- percent
    vat          text NOT NULL,
    vat_rate     numeric(5, 2),                                                             -- NULL: without VAT
    vat_included boolean NOT NULL,
    net          numeric(18, 2) NOT NULL,
    vat_amount   numeric(18, 2) NOT NULL,
    total        numeric(18, 2) NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deal_lines_deal ON deal_lines (deal_id, id);

ALTER TABLE deals ADD COLUMN vat_amount numeric(18, 2) NOT NULL DEFAULT 0;
