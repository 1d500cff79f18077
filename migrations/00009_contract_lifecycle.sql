-- The contract lifecycle (issue 11): signing by both parties within the
-- signing period, the payment policy fixed on the contract, versions made by
-- accepted amendments, termination requests and decisions, and each
-- community's eligible population (the denominator of coverage metrics).
--
-- A draft that is never signed (the signing period passed, or the winner's
-- eligibility failed at signing) is dropped by the officer: status lapsed,
-- the reason in end_reason. It never held an encumbrance. When the officer
-- awards the next-ranked bid in its place, the final award is superseded by
-- a replacement proposal (the standing winners and the new one) with its own
-- challenge period.

-- +goose Up
ALTER TABLE contracts DROP CONSTRAINT contracts_status_check;
ALTER TABLE contracts
    ADD CONSTRAINT contracts_status_check CHECK (status IN ('draft', 'signed', 'active', 'completed', 'terminated', 'lapsed')),
    ADD COLUMN version           integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    ADD COLUMN sign_by           timestamptz,
    ADD COLUMN payment_policy    jsonb NOT NULL DEFAULT '{"full_at": 80, "floor_at": 60, "floor_percent": 80}',
    ADD COLUMN officer_signed_by bigint REFERENCES users (id),
    ADD COLUMN officer_signed_at timestamptz,
    ADD COLUMN org_signed_by     bigint REFERENCES users (id),
    ADD COLUMN org_signed_at     timestamptz,
    ADD COLUMN signed_at         timestamptz,
    ADD COLUMN signed_amount_fen bigint CHECK (signed_amount_fen > 0),
    ADD COLUMN activated_at      timestamptz,
    ADD COLUMN ended_at          timestamptz,
    ADD COLUMN ended_by          bigint REFERENCES users (id),
    ADD COLUMN end_reason        text,
    ADD CONSTRAINT contracts_signed_check CHECK ((status IN ('draft', 'lapsed')) = (signed_at IS NULL)),
    ADD CONSTRAINT contracts_signatures_check CHECK (signed_at IS NULL OR (officer_signed_at IS NOT NULL AND org_signed_at IS NOT NULL)),
    ADD CONSTRAINT contracts_end_check CHECK ((status IN ('completed', 'terminated', 'lapsed')) = (ended_at IS NOT NULL)),
    ADD CONSTRAINT contracts_period_check CHECK (service_start <= service_end);
-- Contracts made before this migration: the award's day plus 30 days.
UPDATE contracts SET sign_by = created_at + interval '30 days';
ALTER TABLE contracts ALTER COLUMN sign_by SET NOT NULL;
CREATE INDEX contracts_due_start_idx ON contracts (service_start) WHERE status = 'signed';
CREATE INDEX contracts_tender_idx ON contracts (tender_id);

ALTER TABLE contract_communities ADD COLUMN eligible_population integer CHECK (eligible_population > 0);

ALTER TABLE contract_milestones ADD COLUMN status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'payable', 'paid'));

-- Every version of a contract: version 1 at signing, one more per accepted
-- amendment. The snapshot is the whole contract as it stood (terms,
-- communities, metrics, milestones), so an old version stays readable.
CREATE TABLE contract_versions (
    contract_id  bigint NOT NULL REFERENCES contracts (id),
    version      integer NOT NULL CHECK (version >= 1),
    amendment_id bigint,
    snapshot     jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (contract_id, version)
);

-- An amendment proposed by one party and accepted or rejected by the other.
CREATE TABLE contract_amendments (
    id            bigserial PRIMARY KEY,
    contract_id   bigint NOT NULL REFERENCES contracts (id),
    base_version  integer NOT NULL,
    proposed_side text NOT NULL CHECK (proposed_side IN ('subdistrict', 'organization')),
    proposed_by   bigint REFERENCES users (id),
    reason        text NOT NULL CHECK (btrim(reason) <> ''),
    changes       jsonb NOT NULL,
    status        text NOT NULL CHECK (status IN ('proposed', 'accepted', 'rejected', 'withdrawn')),
    decided_by    bigint REFERENCES users (id),
    decision_note text NOT NULL DEFAULT '',
    proposed_at   timestamptz NOT NULL,
    decided_at    timestamptz,
    CHECK ((status = 'proposed') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX contract_amendments_open_idx ON contract_amendments (contract_id) WHERE status = 'proposed';

-- A request to terminate a contract, by either party; the officer decides.
CREATE TABLE contract_termination_requests (
    id            bigserial PRIMARY KEY,
    contract_id   bigint NOT NULL REFERENCES contracts (id),
    proposed_side text NOT NULL CHECK (proposed_side IN ('subdistrict', 'organization')),
    proposed_by   bigint REFERENCES users (id),
    reason        text NOT NULL CHECK (btrim(reason) <> ''),
    status        text NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected')),
    decided_by    bigint REFERENCES users (id),
    decision_note text NOT NULL DEFAULT '',
    proposed_at   timestamptz NOT NULL,
    decided_at    timestamptz,
    CHECK ((status = 'proposed') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX contract_terminations_open_idx ON contract_termination_requests (contract_id) WHERE status = 'proposed';

ALTER TABLE notifications ADD COLUMN contract_id bigint REFERENCES contracts (id);

ALTER TABLE award_proposals DROP CONSTRAINT award_proposals_status_check;
ALTER TABLE award_proposals ADD CONSTRAINT award_proposals_status_check CHECK (status IN ('proposed', 'final', 'withdrawn', 'superseded'));

-- +goose Down
UPDATE award_proposals SET status = 'withdrawn' WHERE status = 'superseded';
ALTER TABLE award_proposals DROP CONSTRAINT award_proposals_status_check;
ALTER TABLE award_proposals ADD CONSTRAINT award_proposals_status_check CHECK (status IN ('proposed', 'final', 'withdrawn'));
ALTER TABLE notifications DROP COLUMN contract_id;
DROP TABLE contract_termination_requests;
DROP TABLE contract_amendments;
DROP TABLE contract_versions;
ALTER TABLE contract_milestones DROP COLUMN status;
ALTER TABLE contract_communities DROP COLUMN eligible_population;
DROP INDEX contracts_tender_idx;
DROP INDEX contracts_due_start_idx;
UPDATE contracts SET status = 'draft' WHERE status = 'lapsed';
ALTER TABLE contracts DROP CONSTRAINT contracts_status_check,
    DROP CONSTRAINT contracts_signed_check, DROP CONSTRAINT contracts_signatures_check,
    DROP CONSTRAINT contracts_end_check, DROP CONSTRAINT contracts_period_check,
    DROP COLUMN version, DROP COLUMN sign_by, DROP COLUMN payment_policy,
    DROP COLUMN officer_signed_by, DROP COLUMN officer_signed_at, DROP COLUMN org_signed_by, DROP COLUMN org_signed_at,
    DROP COLUMN signed_at, DROP COLUMN signed_amount_fen, DROP COLUMN activated_at,
    DROP COLUMN ended_at, DROP COLUMN ended_by, DROP COLUMN end_reason;
ALTER TABLE contracts ADD CONSTRAINT contracts_status_check CHECK (status IN ('draft', 'signed', 'active', 'completed', 'terminated'));
