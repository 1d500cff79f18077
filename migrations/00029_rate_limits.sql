-- Request limits that hold across replicas (issue 16, item 5): the anonymous
-- writes and lookups per client address, counted in PostgreSQL instead of
-- each process's memory. One row per key holding its current window (which
-- starts at the window's first hit, as the in-memory limiter's did), upserted
-- by one statement per request (internal/limit), which also prunes a few rows
-- whose window has ended.

-- +goose Up
-- UNLOGGED: a crash of PostgreSQL empties it, which forgets at most one
-- window's counts, and it is not copied to read replicas, which never read it;
-- in return no write-ahead log is written per anonymous request.
CREATE UNLOGGED TABLE rate_limits (
    -- "<kind>:<client address>", e.g. "write:203.0.113.7".
    key        text PRIMARY KEY CHECK (length(key) BETWEEN 3 AND 200),
    window_end timestamptz NOT NULL,
    hits       integer NOT NULL CHECK (hits > 0)
);
CREATE INDEX rate_limits_window_end_idx ON rate_limits (window_end);

-- +goose Down
DROP TABLE rate_limits;
