-- A phone may be stored with its extension ("+79123456789;ext=123");
-- a person is found by the number alone. phone_keys gives the numbers of
-- an array without their extensions, and the leads' phone index is on it.
CREATE FUNCTION phone_keys(phones text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(SELECT split_part(p, ';', 1) FROM unnest(phones) p);

DROP INDEX IF EXISTS leads_phones;
CREATE INDEX leads_phone_keys ON leads USING gin (phone_keys(phones));
