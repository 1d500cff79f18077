-- Red flags (issue 14, item 5): what the nightly job computed from the
-- current data, per tender, contract or subdistrict. Each run replaces the
-- whole set in one transaction; red_flag_runs keeps one row per run, so the
-- catch-up at start knows when the last one was.

-- +goose Up
CREATE TABLE red_flag_runs (
    id          bigserial PRIMARY KEY,
    trigger     text NOT NULL CHECK (trigger IN ('nightly', 'catch_up', 'manual')),
    flags       integer NOT NULL CHECK (flags >= 0),
    computed_at timestamptz NOT NULL
);
CREATE INDEX red_flag_runs_computed_idx ON red_flag_runs (computed_at DESC);

CREATE TABLE red_flags (
    id              bigserial PRIMARY KEY,
    run_id          bigint NOT NULL REFERENCES red_flag_runs (id),
    kind            text NOT NULL CHECK (kind IN ('single_bid', 'short_window', 'repeat_winner', 'abnormally_low',
                        'amended_after_bids', 'contract_amended_over_10', 'overdue_complaints', 'withheld_payments')),
    subdistrict_id  bigint NOT NULL REFERENCES subdistricts (id),
    tender_id       bigint REFERENCES tenders (id),
    contract_id     bigint REFERENCES contracts (id),
    organization_id bigint REFERENCES organizations (id),
    -- The numbers behind the flag, as the explanation shows them.
    detail          jsonb NOT NULL CHECK (jsonb_typeof(detail) = 'object'),
    computed_at     timestamptz NOT NULL,
    -- Each kind names the record it is about.
    CHECK (kind NOT IN ('single_bid', 'short_window', 'abnormally_low', 'amended_after_bids') OR tender_id IS NOT NULL),
    CHECK (kind NOT IN ('contract_amended_over_10', 'withheld_payments') OR contract_id IS NOT NULL),
    CHECK (kind <> 'repeat_winner' OR organization_id IS NOT NULL)
);
CREATE INDEX red_flags_subdistrict_idx ON red_flags (subdistrict_id, kind);
CREATE INDEX red_flags_tender_idx ON red_flags (tender_id) WHERE tender_id IS NOT NULL;
CREATE INDEX red_flags_contract_idx ON red_flags (contract_id) WHERE contract_id IS NOT NULL;

-- +goose Down
DROP TABLE red_flags;
DROP TABLE red_flag_runs;
