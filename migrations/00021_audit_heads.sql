-- Published heads of the audit chain (issue 14, item 7): once a day a job
-- copies the chain's head (the last entry's seq and hash) into this public,
-- append-only list. Anyone who keeps a copy can later prove that history was
-- rewritten: `jiedao audit verify --against FILE` checks that every kept head's
-- entry still has the hash that was published.

-- +goose Up
CREATE TABLE audit_heads (
    id           bigserial PRIMARY KEY,
    -- The China-time date the head was published on: one head a day.
    day          date NOT NULL UNIQUE,
    seq          bigint NOT NULL CHECK (seq > 0),
    hash         text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    published_at timestamptz NOT NULL
);

CREATE TRIGGER audit_heads_append_only BEFORE UPDATE OR DELETE ON audit_heads
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();

-- +goose Down
DROP TABLE audit_heads;
