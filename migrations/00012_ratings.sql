-- Residents' ratings (issue 12, items 1–3): ratings by one-time code and by
-- follow-up call (回访), the follow-up samples, the providers' replies and the
-- officers' moderation, the aggregates kept in each rating's transaction, and
-- the wrong codes counted per address.
--
-- A rating links its record, contract, organization and community, never a
-- person, and stores no address. One rating of each kind per record: the
-- unique key stands behind the record's row lock.

-- +goose Up
CREATE TABLE ratings (
    id                bigserial PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('code', 'follow_up')),
    record_id         bigint NOT NULL REFERENCES service_records (id),
    contract_id       bigint NOT NULL REFERENCES contracts (id),
    organization_id   bigint NOT NULL REFERENCES organizations (id),
    community_id      bigint NOT NULL REFERENCES communities (id),
    timeliness        smallint NOT NULL CHECK (timeliness BETWEEN 1 AND 5),
    professionalism   smallint NOT NULL CHECK (professionalism BETWEEN 1 AND 5),
    attitude          smallint NOT NULL CHECK (attitude BETWEEN 1 AND 5),
    effectiveness     smallint NOT NULL CHECK (effectiveness BETWEEN 1 AND 5),
    overall           smallint NOT NULL CHECK (overall BETWEEN 1 AND 5),
    comment           text NOT NULL DEFAULT '' CHECK (char_length(comment) <= 500),
    comment_hidden_at timestamptz,
    hidden_by         bigint REFERENCES users (id),
    hidden_reason     text CHECK (btrim(hidden_reason) <> ''),
    reply             text CHECK (char_length(btrim(reply)) BETWEEN 1 AND 1000),
    replied_at        timestamptz,
    replied_by        bigint REFERENCES users (id),
    created_at        timestamptz NOT NULL,
    UNIQUE (record_id, kind),
    CHECK ((comment_hidden_at IS NULL) = (hidden_reason IS NULL)),
    CHECK ((reply IS NULL) = (replied_at IS NULL))
);
CREATE INDEX ratings_organization_idx ON ratings (organization_id, id DESC);
CREATE INDEX ratings_contract_idx ON ratings (contract_id, kind);
CREATE INDEX ratings_community_idx ON ratings (community_id, kind);

-- A follow-up sample: the records of a contract an officer drew at random to
-- call, and the rating each call recorded.
CREATE TABLE follow_ups (
    id          bigserial PRIMARY KEY,
    contract_id bigint NOT NULL REFERENCES contracts (id),
    record_id   bigint NOT NULL UNIQUE REFERENCES service_records (id),
    drawn_by    bigint REFERENCES users (id),
    drawn_at    timestamptz NOT NULL,
    rating_id   bigint UNIQUE REFERENCES ratings (id)
);
CREATE INDEX follow_ups_contract_idx ON follow_ups (contract_id, id);

-- Sums per scope (the platform, an organization, a contract, a community) and
-- kind, updated in each rating's transaction; equal to a recomputation from
-- ratings at all times.
CREATE TABLE rating_aggregates (
    scope               text NOT NULL CHECK (scope IN ('platform', 'organization', 'contract', 'community')),
    scope_id            bigint NOT NULL CHECK (scope_id >= 0),
    kind                text NOT NULL CHECK (kind IN ('code', 'follow_up')),
    n                   bigint NOT NULL CHECK (n >= 0),
    sum_timeliness      bigint NOT NULL CHECK (sum_timeliness BETWEEN n AND 5 * n),
    sum_professionalism bigint NOT NULL CHECK (sum_professionalism BETWEEN n AND 5 * n),
    sum_attitude        bigint NOT NULL CHECK (sum_attitude BETWEEN n AND 5 * n),
    sum_effectiveness   bigint NOT NULL CHECK (sum_effectiveness BETWEEN n AND 5 * n),
    sum_overall         bigint NOT NULL CHECK (sum_overall BETWEEN n AND 5 * n),
    satisfied           bigint NOT NULL CHECK (satisfied BETWEEN 0 AND n),
    PRIMARY KEY (scope, scope_id, kind)
);

-- Wrong rating codes, per client address (a keyed hash of it, never the
-- address), for the throttle; rows older than the window are deleted.
CREATE TABLE rating_code_failures (
    id        bigserial PRIMARY KEY,
    client    bytea NOT NULL,
    failed_at timestamptz NOT NULL
);
CREATE INDEX rating_code_failures_client_idx ON rating_code_failures (client, failed_at);

-- +goose Down
DROP TABLE rating_code_failures;
DROP TABLE rating_aggregates;
DROP TABLE follow_ups;
DROP TABLE ratings;
