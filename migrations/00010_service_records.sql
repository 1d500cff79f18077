-- Service records (服务记录): each service an organization delivers on a
-- signed or active contract, their corrections, and the one-time rating code
-- each record issues for the resident served (issue 11, items 5–7).
--
-- A record names a pseudonymous beneficiary reference, never a personal
-- identifier (the service refuses ID-number and mobile-number shapes). The
-- rating code is never stored in clear: only its keyed hash (HMAC-SHA256
-- under JIEDAO_RATING_KEY), unique; the code itself is derived again from the
-- key, the record id and rating_code_nonce when it is printed again.
-- Records are never deleted; a correction keeps the previous values in
-- service_record_revisions.

-- +goose Up
CREATE TABLE service_records (
    id                bigserial PRIMARY KEY,
    contract_id       bigint NOT NULL REFERENCES contracts (id),
    organization_id   bigint NOT NULL REFERENCES organizations (id),
    community_id      bigint NOT NULL,
    service_date      date NOT NULL,
    service_type      text NOT NULL,
    duration_minutes  integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 1440),
    staff_user_id     bigint REFERENCES users (id),
    staff_name        text CHECK (char_length(btrim(staff_name)) BETWEEN 1 AND 40),
    beneficiary_ref   text NOT NULL CHECK (char_length(btrim(beneficiary_ref)) BETWEEN 1 AND 64),
    notes             text NOT NULL DEFAULT '' CHECK (octet_length(notes) <= 2000),
    rating_code_hash  bytea NOT NULL CHECK (octet_length(rating_code_hash) = 32),
    rating_code_nonce integer NOT NULL DEFAULT 0 CHECK (rating_code_nonce >= 0),
    rating_expires_at timestamptz NOT NULL,
    rating_used_at    timestamptz,
    revision          integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    recorded_by       bigint REFERENCES users (id),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    FOREIGN KEY (contract_id, community_id) REFERENCES contract_communities (contract_id, community_id),
    FOREIGN KEY (contract_id, service_type) REFERENCES contract_metrics (contract_id, code),
    CHECK ((staff_user_id IS NULL) <> (staff_name IS NULL)),
    CHECK (rating_expires_at > created_at)
);
CREATE UNIQUE INDEX service_records_rating_code_idx ON service_records (rating_code_hash);
CREATE INDEX service_records_contract_idx ON service_records (contract_id, service_date, id);

-- The values a correction replaced, who corrected and why.
CREATE TABLE service_record_revisions (
    id         bigserial PRIMARY KEY,
    record_id  bigint NOT NULL REFERENCES service_records (id),
    revision   integer NOT NULL CHECK (revision >= 1),
    previous   jsonb NOT NULL,
    reason     text NOT NULL CHECK (btrim(reason) <> ''),
    revised_by bigint REFERENCES users (id),
    revised_at timestamptz NOT NULL,
    UNIQUE (record_id, revision)
);

-- +goose StatementBegin
CREATE FUNCTION service_records_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'service records are never deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.id, NEW.contract_id, NEW.organization_id, NEW.rating_code_hash, NEW.rating_code_nonce, NEW.rating_expires_at, NEW.created_at, NEW.recorded_by)
       IS DISTINCT FROM (OLD.id, OLD.contract_id, OLD.organization_id, OLD.rating_code_hash, OLD.rating_code_nonce, OLD.rating_expires_at, OLD.created_at, OLD.recorded_by) THEN
        RAISE EXCEPTION 'a service record keeps its contract, rating code and creation' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER service_records_keep BEFORE UPDATE OR DELETE ON service_records
    FOR EACH ROW EXECUTE FUNCTION service_records_keep();

-- +goose StatementBegin
CREATE FUNCTION service_record_revisions_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'service record revisions are append-only' USING ERRCODE = 'restrict_violation';
END $$;
-- +goose StatementEnd
CREATE TRIGGER service_record_revisions_append_only BEFORE UPDATE OR DELETE ON service_record_revisions
    FOR EACH ROW EXECUTE FUNCTION service_record_revisions_append_only();

-- +goose Down
DROP TABLE service_record_revisions;
DROP FUNCTION service_record_revisions_append_only();
DROP TABLE service_records;
DROP FUNCTION service_records_keep();
