-- E-mail of notifications (issue 15, item 3, second half): each user's choice
-- per notification kind (immediately, in the daily digest, or not at all), and
-- a unique key on the outbox so that a notification's mail, a user's digest of
-- a day and a deadline reminder are each queued once, whatever replica tries.

-- +goose Up
-- A kind without a row here takes its default (internal/notify DefaultMode).
CREATE TABLE mail_preferences (
    user_id    bigint NOT NULL REFERENCES users (id),
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{1,63}$'),
    mode       text NOT NULL CHECK (mode IN ('immediate', 'digest', 'off')),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, kind)
);

ALTER TABLE mail_messages
    -- "notice:<notification>:<user>", "digest:<user>:<yyyy-mm-dd>", "remind:…":
    -- what the mail is, once. NULL for the one-time links (each is its own).
    ADD COLUMN dedup_key text CHECK (dedup_key IS NULL OR length(dedup_key) BETWEEN 3 AND 200),
    -- The notification a notice mail tells of (its subject is the notification's).
    ADD COLUMN notification_id bigint REFERENCES notifications (id);
CREATE UNIQUE INDEX mail_messages_dedup_idx ON mail_messages (dedup_key) WHERE dedup_key IS NOT NULL;

-- Each user's daily digest, once a day (China time): written when the day's
-- digest was considered, with the mail when there was something to report.
CREATE TABLE mail_digests (
    user_id    bigint NOT NULL REFERENCES users (id),
    day        date NOT NULL,
    mail_id    bigint REFERENCES mail_messages (id),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- +goose Down
DROP TABLE mail_digests;
DROP INDEX mail_messages_dedup_idx;
ALTER TABLE mail_messages DROP COLUMN notification_id, DROP COLUMN dedup_key;
DROP TABLE mail_preferences;
