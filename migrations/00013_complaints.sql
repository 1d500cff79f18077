-- Complaints (投诉) about a service (issue 12, item 4). A complaint names the
-- provider, the community and so the subdistrict whose procurement officers
-- triage it; a rating code also names the record and its contract. The
-- complainant follows it by an unguessable reference; the contact, when
-- given, is for the subdistrict's officers alone.
--
-- received → assigned (to a contract, the organization asked to respond) →
-- responded → decided (upheld | not_upheld). The due times of the first
-- response (triage) and of the decision are stored at receipt; a job per
-- deadline and a sweep flag those not met (the *_overdue_at columns).

-- +goose Up
CREATE TABLE complaints (
    id                        bigserial PRIMARY KEY,
    reference                 text NOT NULL UNIQUE CHECK (reference ~ '^TS-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$'),
    subdistrict_id            bigint NOT NULL REFERENCES subdistricts (id),
    community_id              bigint NOT NULL REFERENCES communities (id),
    organization_id           bigint NOT NULL REFERENCES organizations (id),
    contract_id               bigint REFERENCES contracts (id),
    record_id                 bigint REFERENCES service_records (id),
    description               text NOT NULL CHECK (btrim(description) <> '' AND char_length(description) <= 2000),
    contact                   text CHECK (char_length(contact) BETWEEN 1 AND 254),
    status                    text NOT NULL CHECK (status IN ('received', 'assigned', 'responded', 'decided')),
    outcome                   text CHECK (outcome IN ('upheld', 'not_upheld')),
    decision_reason           text CHECK (char_length(decision_reason) <= 2000),
    response                  text CHECK (char_length(response) <= 2000),
    received_at               timestamptz NOT NULL,
    first_response_due        timestamptz NOT NULL CHECK (first_response_due > received_at),
    decision_due              timestamptz NOT NULL CHECK (decision_due >= first_response_due),
    first_response_overdue_at timestamptz,
    decision_overdue_at       timestamptz,
    assigned_at               timestamptz,
    assigned_by               bigint REFERENCES users (id),
    responded_at              timestamptz,
    responded_by              bigint REFERENCES users (id),
    decided_at                timestamptz,
    decided_by                bigint REFERENCES users (id),
    created_by                bigint REFERENCES users (id),
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL,
    CHECK ((status = 'decided') = (outcome IS NOT NULL)),
    CHECK ((status = 'decided') = (decided_at IS NOT NULL AND decision_reason IS NOT NULL)),
    CHECK ((status = 'responded') <= (response IS NOT NULL AND responded_at IS NOT NULL)),
    CHECK ((status IN ('assigned', 'responded')) <= (assigned_at IS NOT NULL AND contract_id IS NOT NULL)),
    CHECK (outcome IS DISTINCT FROM 'upheld' OR contract_id IS NOT NULL)
);
CREATE INDEX complaints_subdistrict_idx ON complaints (subdistrict_id, id DESC);
CREATE INDEX complaints_organization_idx ON complaints (organization_id, id DESC);
CREATE INDEX complaints_upheld_idx ON complaints (contract_id, received_at) WHERE outcome = 'upheld';
CREATE INDEX complaints_open_idx ON complaints (decision_due) WHERE status <> 'decided';

ALTER TABLE notifications ADD COLUMN complaint_id bigint REFERENCES complaints (id);

-- +goose Down
ALTER TABLE notifications DROP COLUMN complaint_id;
DROP TABLE complaints;
