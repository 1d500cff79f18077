-- Service requests (菜单式服务, issue 12 item 5): a resident, or an officer
-- entering a call on a resident's behalf (the 12345 hotline), asks for a
-- service from the menu of active contracts serving a community, or describes
-- a need no contract covers (私人定制: no contract, no organization).
--
-- A resident account is bound to its community (users.community_id, for
-- residents only). A request moves requested → accepted (optionally with a
-- scheduled time) → fulfilled (linked to a service record of the same
-- contract, organization and community), or requested → declined with a
-- reason. A request without a contract stays requested: it is unmet by
-- definition. The hours from requested_at to accepted_at are the contract's
-- response_time metric. The contact (name, phone) is shown only to the
-- subdistrict's procurement officers, the organization handling the request
-- and the resident who made it.

-- +goose Up
ALTER TABLE users ADD COLUMN community_id bigint REFERENCES communities (id);
ALTER TABLE users ADD CONSTRAINT users_community_resident CHECK (community_id IS NULL OR role = 'resident');

CREATE TABLE service_requests (
    id                bigserial PRIMARY KEY,
    subdistrict_id    bigint NOT NULL REFERENCES subdistricts (id),
    community_id      bigint NOT NULL REFERENCES communities (id),
    contract_id       bigint REFERENCES contracts (id),
    organization_id   bigint REFERENCES organizations (id),
    category_code     text REFERENCES service_categories (code),
    channel           text NOT NULL CHECK (channel IN ('self', 'hotline')),
    resident_id       bigint REFERENCES users (id),
    entered_by        bigint REFERENCES users (id),
    contact_name      text NOT NULL DEFAULT '' CHECK (char_length(contact_name) <= 40),
    contact_phone     text NOT NULL DEFAULT '' CHECK (contact_phone ~ '^[0-9+() -]{0,20}$'),
    note              text NOT NULL DEFAULT '' CHECK (char_length(note) <= 1000),
    preferred_at      timestamptz,
    status            text NOT NULL CHECK (status IN ('requested', 'accepted', 'declined', 'fulfilled')),
    requested_at      timestamptz NOT NULL,
    accepted_at       timestamptz,
    accepted_by       bigint REFERENCES users (id),
    scheduled_at      timestamptz,
    declined_at       timestamptz,
    declined_by       bigint REFERENCES users (id),
    decline_reason    text CHECK (char_length(btrim(decline_reason)) BETWEEN 1 AND 500),
    fulfilled_at      timestamptz,
    fulfilled_by      bigint REFERENCES users (id),
    service_record_id bigint UNIQUE REFERENCES service_records (id),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    FOREIGN KEY (contract_id, community_id) REFERENCES contract_communities (contract_id, community_id),
    CHECK ((contract_id IS NULL) = (organization_id IS NULL)),
    -- A need no contract covers is described; it is never accepted.
    CHECK (contract_id IS NOT NULL OR (btrim(note) <> '' AND status = 'requested')),
    -- A resident asks for itself; the hotline names the caller.
    CHECK (CASE channel WHEN 'self' THEN resident_id IS NOT NULL
                        ELSE resident_id IS NULL AND btrim(contact_name) <> '' AND contact_phone <> '' END),
    CHECK ((accepted_at IS NULL) = (status IN ('requested', 'declined'))),
    CHECK (accepted_at IS NULL OR accepted_at >= requested_at),
    CHECK ((declined_at IS NULL) = (status <> 'declined') AND (decline_reason IS NULL) = (status <> 'declined')),
    CHECK ((fulfilled_at IS NULL) = (status <> 'fulfilled') AND (service_record_id IS NULL) = (status <> 'fulfilled'))
);
CREATE INDEX service_requests_subdistrict_idx ON service_requests (subdistrict_id, requested_at);
CREATE INDEX service_requests_contract_idx ON service_requests (contract_id, requested_at) WHERE contract_id IS NOT NULL;
CREATE INDEX service_requests_organization_idx ON service_requests (organization_id, id) WHERE organization_id IS NOT NULL;
CREATE INDEX service_requests_resident_idx ON service_requests (resident_id, id) WHERE resident_id IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION service_requests_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'service requests are never deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.id, NEW.subdistrict_id, NEW.community_id, NEW.contract_id, NEW.organization_id, NEW.channel, NEW.resident_id, NEW.requested_at, NEW.created_at)
       IS DISTINCT FROM (OLD.id, OLD.subdistrict_id, OLD.community_id, OLD.contract_id, OLD.organization_id, OLD.channel, OLD.resident_id, OLD.requested_at, OLD.created_at) THEN
        RAISE EXCEPTION 'a service request keeps its community, contract, requester and time' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER service_requests_keep BEFORE UPDATE OR DELETE ON service_requests
    FOR EACH ROW EXECUTE FUNCTION service_requests_keep();

-- +goose Down
DROP TABLE service_requests;
DROP FUNCTION service_requests_keep();
ALTER TABLE users DROP CONSTRAINT users_community_resident;
ALTER TABLE users DROP COLUMN community_id;
