-- E-mail (issue 15, item 3, first half): every account may have an address,
-- verified by a link before anything else is sent to it; one-time links for
-- verification and password recovery; the outbox of mails to send.

-- +goose Up
ALTER TABLE users
    ADD COLUMN email text CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$')),
    -- Set when the owner followed the link sent to email; cleared when email changes.
    ADD COLUMN email_verified_at timestamptz,
    ADD CONSTRAINT users_verified_has_email CHECK (email_verified_at IS NULL OR email IS NOT NULL);
CREATE INDEX users_verified_email_idx ON users (lower(email)) WHERE email_verified_at IS NOT NULL;

-- A one-time link: verify an address, or reset a password. Only the SHA-256 of
-- the random token is kept. Reset links also serve as the recovery throttle:
-- how many were issued to an account or an address within the window.
CREATE TABLE email_tokens (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    purpose    text NOT NULL CHECK (purpose IN ('verify', 'reset')),
    email      text NOT NULL,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
    used_at    timestamptz
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose, created_at);
CREATE INDEX email_tokens_email_idx ON email_tokens (lower(email), purpose, created_at);

-- The outbox: a mail is written in the transaction of the change that causes
-- it, then sent by one River job per message (internal/mail). A queued message
-- lacking a job is enqueued by the sweep, so a crash loses nothing.
CREATE TABLE mail_messages (
    id         bigserial PRIMARY KEY,
    user_id    bigint REFERENCES users (id),
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]{1,63}$'),
    to_address text NOT NULL,
    subject    text NOT NULL,
    body       text NOT NULL,
    -- A path under the public URL, made absolute when the mail is sent.
    link       text NOT NULL DEFAULT '' CHECK (link = '' OR link LIKE '/%'),
    status     text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts   int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    sent_at    timestamptz,
    CONSTRAINT mail_messages_sent_at CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX mail_messages_queued_idx ON mail_messages (id) WHERE status = 'queued';
CREATE INDEX mail_messages_user_idx ON mail_messages (user_id, created_at);

-- +goose Down
DROP TABLE mail_messages;
DROP TABLE email_tokens;
DROP INDEX users_verified_email_idx;
ALTER TABLE users DROP CONSTRAINT users_verified_has_email, DROP COLUMN email_verified_at, DROP COLUMN email;
