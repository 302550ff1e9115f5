-- A manager's own e-mail address: a letter from it to a company mailbox
-- is the company writing, never a lead (a forwarded client letter is the
-- client's). Empty when not given; no two managers share one.
ALTER TABLE managers ADD COLUMN email text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX managers_email ON managers (lower(email)) WHERE email <> '';
