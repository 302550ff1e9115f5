-- Secrets are stored hashed (SHA-256, hex): a calendar feed's address and
-- a Telegram link code are shown once, when made, and a copy of the
-- database does not open anyone's calendar or link anyone's chat.
ALTER TABLE managers
    ADD COLUMN calendar_secret_hash text UNIQUE,
    ADD COLUMN calendar_secret_at   timestamptz;
UPDATE managers SET calendar_secret_hash = encode(sha256(convert_to(calendar_token, 'UTF8')), 'hex'), calendar_secret_at = now()
WHERE calendar_token IS NOT NULL;
ALTER TABLE managers DROP COLUMN calendar_token;

ALTER TABLE telegram_link_codes RENAME COLUMN code TO code_hash;
UPDATE telegram_link_codes SET code_hash = encode(sha256(convert_to(code_hash, 'UTF8')), 'hex');
