-- A consumer's claim of its new rows starts after a watermark (crm/outbox_fresh.go)
-- that is safe only if a row's id is taken once its transaction has an xid:
-- then a row not yet visible with an id below a visible one belongs to a
-- transaction that a snapshot lists as in progress. pg_current_xact_id()
-- assigns the xid (the first write of a transaction otherwise does, after
-- its defaults are evaluated).
ALTER TABLE outbox ALTER COLUMN id SET DEFAULT
    CASE WHEN pg_current_xact_id() IS NOT NULL THEN nextval('outbox_id_seq'::regclass) END;
