-- Payments asked of a person for a deal (a payment link) and what the
-- provider reported. inv_id is the number the provider knows the payment by
-- (Robokassa's InvId); it is the row's id today, kept apart so that a shop
-- shared with another system can take an offset later. A payment is paid
-- once: a repeated notice changes nothing. Rows are money records, so a
-- deal with payments cannot be deleted.
CREATE TABLE payments (
    id         bigserial PRIMARY KEY,
    deal_id    bigint NOT NULL REFERENCES deals,
    provider   text NOT NULL DEFAULT 'robokassa',
    inv_id     bigint NOT NULL UNIQUE CHECK (inv_id > 0),
    amount     numeric(18, 2) NOT NULL CHECK (amount > 0),
    currency   text NOT NULL DEFAULT 'RUB' CHECK (currency ~ '^[A-Z]{3}$'),
    status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid')),
    created_at timestamptz NOT NULL DEFAULT now(),
    paid_at    timestamptz,
    raw        jsonb,                -- the provider's notice, as received
    CHECK ((status = 'paid') = (paid_at IS NOT NULL))
);
CREATE INDEX payments_deal ON payments (deal_id, id);
