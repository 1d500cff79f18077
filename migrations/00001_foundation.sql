-- Places, organizations, accounts, sessions and the hash-chained audit trail.

-- +goose Up
CREATE TABLE districts (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{6}$'),
    name_zh     text NOT NULL CHECK (btrim(name_zh) <> ''),
    name_en     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE subdistricts (
    id          bigserial PRIMARY KEY,
    district_id bigint NOT NULL REFERENCES districts (id),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{9}$'),
    name_zh     text NOT NULL CHECK (btrim(name_zh) <> ''),
    name_en     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (district_id, name_zh)
);
CREATE INDEX subdistricts_district_idx ON subdistricts (district_id);

CREATE TABLE communities (
    id             bigserial PRIMARY KEY,
    subdistrict_id bigint NOT NULL REFERENCES subdistricts (id),
    code           text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{12}$'),
    name_zh        text NOT NULL CHECK (btrim(name_zh) <> ''),
    name_en        text NOT NULL DEFAULT '',
    households     integer NOT NULL CHECK (households >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subdistrict_id, name_zh)
);
CREATE INDEX communities_subdistrict_idx ON communities (subdistrict_id);

CREATE TABLE organizations (
    id                       bigserial PRIMARY KEY,
    credit_code              text NOT NULL UNIQUE CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    legal_name               text NOT NULL CHECK (btrim(legal_name) <> ''),
    org_type                 text NOT NULL CHECK (org_type IN ('social_group', 'social_service_institution', 'foundation', 'enterprise')),
    district_id              bigint NOT NULL REFERENCES districts (id),
    registration_date        date,
    legal_representative     text NOT NULL DEFAULT '',
    contact_name             text NOT NULL DEFAULT '',
    contact_phone            text NOT NULL DEFAULT '',
    contact_email            text NOT NULL DEFAULT '',
    address                  text NOT NULL DEFAULT '',
    staff_count              integer NOT NULL DEFAULT 0 CHECK (staff_count >= 0),
    certified_social_workers integer NOT NULL DEFAULT 0 CHECK (certified_social_workers >= 0 AND certified_social_workers <= staff_count),
    status                   text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organizations_district_idx ON organizations (district_id);

CREATE TABLE users (
    id              bigserial PRIMARY KEY,
    username        text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    display_name    text NOT NULL DEFAULT '',
    password_hash   text NOT NULL,
    role            text NOT NULL CHECK (role IN ('platform_admin', 'district_admin', 'procurement_officer',
                                                  'finance_officer', 'evaluator', 'org_admin', 'org_member', 'resident')),
    district_id     bigint REFERENCES districts (id),
    subdistrict_id  bigint REFERENCES subdistricts (id),
    organization_id bigint REFERENCES organizations (id),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    locale          text NOT NULL DEFAULT 'zh-CN' CHECK (locale IN ('zh-CN', 'en')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- Each role carries exactly the scope it works in.
    CONSTRAINT users_scope_matches_role CHECK (
        CASE role
            WHEN 'district_admin' THEN district_id IS NOT NULL AND subdistrict_id IS NULL AND organization_id IS NULL
            WHEN 'evaluator' THEN district_id IS NOT NULL AND subdistrict_id IS NULL AND organization_id IS NULL
            WHEN 'procurement_officer' THEN subdistrict_id IS NOT NULL AND district_id IS NULL AND organization_id IS NULL
            WHEN 'finance_officer' THEN subdistrict_id IS NOT NULL AND district_id IS NULL AND organization_id IS NULL
            WHEN 'org_admin' THEN organization_id IS NOT NULL AND district_id IS NULL AND subdistrict_id IS NULL
            WHEN 'org_member' THEN organization_id IS NOT NULL AND district_id IS NULL AND subdistrict_id IS NULL
            ELSE district_id IS NULL AND subdistrict_id IS NULL AND organization_id IS NULL
        END)
);
CREATE INDEX users_subdistrict_idx ON users (subdistrict_id) WHERE subdistrict_id IS NOT NULL;
CREATE INDEX users_organization_idx ON users (organization_id) WHERE organization_id IS NOT NULL;

-- A session is one login: the family of refresh tokens rotated from it.
CREATE TABLE auth_sessions (
    id            uuid PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    revoke_reason text NOT NULL DEFAULT '',
    client_ip     text NOT NULL DEFAULT '',
    user_agent    text NOT NULL DEFAULT ''
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    id         bigserial PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES auth_sessions (id),
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE login_failures (
    id        bigserial PRIMARY KEY,
    username  text NOT NULL,
    client_ip text NOT NULL,
    failed_at timestamptz NOT NULL
);
CREATE INDEX login_failures_username_idx ON login_failures (username, failed_at);
CREATE INDEX login_failures_ip_idx ON login_failures (client_ip, failed_at);

-- The audit trail: each entry's hash covers the previous entry's hash, so an edit
-- anywhere breaks every link after it. Appends are serialized by an advisory lock.
CREATE TABLE audit_entries (
    seq         bigint PRIMARY KEY CHECK (seq > 0),
    occurred_at timestamptz NOT NULL,
    actor_id    bigint,
    actor_name  text NOT NULL,
    actor_role  text NOT NULL,
    action      text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    entity_type text NOT NULL,
    entity_id   text NOT NULL,
    request_id  text NOT NULL DEFAULT '',
    data        text NOT NULL,
    digest      text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    prev_hash   text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash        text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_entries_entity_idx ON audit_entries (entity_type, entity_id);

-- +goose StatementBegin
CREATE FUNCTION audit_entries_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_entries_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
CREATE TRIGGER audit_entries_no_truncate
    BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();

-- +goose Down
DROP TABLE audit_entries;
DROP FUNCTION audit_entries_append_only();
DROP TABLE login_failures;
DROP TABLE refresh_tokens;
DROP TABLE auth_sessions;
DROP TABLE users;
DROP TABLE organizations;
DROP TABLE communities;
DROP TABLE subdistricts;
DROP TABLE districts;
