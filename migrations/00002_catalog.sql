-- Service standards and metric templates, the districts' guidance catalogs,
-- subdistricts' versioned transfer items, organization documents, members'
-- sign-up and certifications (认定).

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE service_categories (
    code    text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z_]+$'),
    name_zh text NOT NULL CHECK (btrim(name_zh) <> ''),
    name_en text NOT NULL CHECK (btrim(name_en) <> ''),
    sort    integer NOT NULL UNIQUE
);

-- A metric template of a category's service standard. Rows without a district
-- are the shipped standard; a district's own rows (added or adjusted by its
-- admins) override the shipped row of the same code for that district.
CREATE TABLE metric_templates (
    id             bigserial PRIMARY KEY,
    category_code  text NOT NULL REFERENCES service_categories (code),
    district_id    bigint REFERENCES districts (id),
    code           text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,62}$'),
    name_zh        text NOT NULL CHECK (btrim(name_zh) <> ''),
    name_en        text NOT NULL CHECK (btrim(name_en) <> ''),
    unit           text NOT NULL,
    direction      text NOT NULL CHECK (direction IN ('higher', 'lower')),
    source         text NOT NULL CHECK (source IN ('service_records', 'resident_ratings', 'evaluator')),
    default_target numeric(14, 2) NOT NULL CHECK (default_target >= 0),
    default_weight integer NOT NULL CHECK (default_weight BETWEEN 1 AND 100),
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX metric_templates_shipped_key ON metric_templates (category_code, code) WHERE district_id IS NULL;
CREATE UNIQUE INDEX metric_templates_district_key ON metric_templates (district_id, category_code, code) WHERE district_id IS NOT NULL;

-- A metric template is never deleted: it is retired.
-- +goose StatementBegin
CREATE FUNCTION refuse_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER metric_templates_no_delete BEFORE DELETE ON metric_templates
    FOR EACH ROW EXECUTE FUNCTION refuse_delete();

-- 政府购买服务指导性目录: which categories a district allows to be purchased.
CREATE TABLE guidance_entries (
    id            bigserial PRIMARY KEY,
    district_id   bigint NOT NULL REFERENCES districts (id),
    category_code text NOT NULL REFERENCES service_categories (code),
    catalog_code  text NOT NULL CHECK (catalog_code ~ '^[A-Za-z0-9][A-Za-z0-9.-]{0,31}$'),
    notes         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (district_id, category_code),
    UNIQUE (district_id, catalog_code)
);

-- A transfer item (转移事项) is a lineage of versions; the item row holds what
-- does not change between versions.
CREATE TABLE transfer_items (
    id                bigserial PRIMARY KEY,
    subdistrict_id    bigint NOT NULL REFERENCES subdistricts (id),
    status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'retired')),
    published_version integer,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'draft') = (published_version IS NULL) OR status = 'retired')
);
CREATE INDEX transfer_items_subdistrict_idx ON transfer_items (subdistrict_id);

CREATE TABLE transfer_item_versions (
    item_id            bigint NOT NULL REFERENCES transfer_items (id),
    version            integer NOT NULL CHECK (version >= 1),
    status             text NOT NULL CHECK (status IN ('draft', 'published', 'superseded', 'retired')),
    title              text NOT NULL CHECK (btrim(title) <> ''),
    description        text NOT NULL DEFAULT '',
    category_code      text NOT NULL REFERENCES service_categories (code),
    legal_basis        text NOT NULL DEFAULT '',
    target_population  text NOT NULL DEFAULT '',
    annual_quantity    integer NOT NULL CHECK (annual_quantity >= 0),
    quantity_unit      text NOT NULL DEFAULT '',
    unit_price_fen     bigint NOT NULL CHECK (unit_price_fen >= 0),
    purchase_method    text NOT NULL CHECK (purchase_method IN ('open_tender', 'invited_tender', 'single_source', 'venture_philanthropy')),
    min_grade          smallint NOT NULL DEFAULT 1 CHECK (min_grade BETWEEN 1 AND 5),
    min_social_workers integer NOT NULL DEFAULT 0 CHECK (min_social_workers >= 0),
    created_by         bigint REFERENCES users (id),
    published_at       timestamptz,
    published_by       bigint REFERENCES users (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item_id, version)
);
CREATE UNIQUE INDEX transfer_item_versions_one_draft ON transfer_item_versions (item_id) WHERE status = 'draft';
CREATE UNIQUE INDEX transfer_item_versions_one_published ON transfer_item_versions (item_id) WHERE status = 'published';
-- Substring search of the public catalog (Chinese included) by trigram.
CREATE INDEX transfer_item_versions_search ON transfer_item_versions
    USING gin ((title || ' ' || description || ' ' || target_population) gin_trgm_ops) WHERE status = 'published';

CREATE TABLE transfer_item_communities (
    item_id      bigint NOT NULL,
    version      integer NOT NULL,
    community_id bigint NOT NULL REFERENCES communities (id),
    PRIMARY KEY (item_id, version, community_id),
    FOREIGN KEY (item_id, version) REFERENCES transfer_item_versions (item_id, version)
);

CREATE TABLE transfer_item_metrics (
    item_id   bigint NOT NULL,
    version   integer NOT NULL,
    code      text NOT NULL,
    name_zh   text NOT NULL,
    name_en   text NOT NULL,
    unit      text NOT NULL,
    direction text NOT NULL CHECK (direction IN ('higher', 'lower')),
    source    text NOT NULL CHECK (source IN ('service_records', 'resident_ratings', 'evaluator')),
    target    numeric(14, 2) NOT NULL CHECK (target >= 0),
    weight    integer NOT NULL CHECK (weight BETWEEN 1 AND 100),
    PRIMARY KEY (item_id, version, code),
    FOREIGN KEY (item_id, version) REFERENCES transfer_item_versions (item_id, version)
);

-- Only a draft version changes. A published one may only become superseded or
-- retired, with every other column as it was; nothing but a draft is deleted.
-- +goose StatementBegin
CREATE FUNCTION transfer_item_versions_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'transfer item % version % is % and cannot be deleted', OLD.item_id, OLD.version, OLD.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'draft' THEN
        RETURN NEW;
    END IF;
    IF NOT (OLD.status = 'published' AND NEW.status IN ('superseded', 'retired'))
       OR (NEW.item_id, NEW.version, NEW.title, NEW.description, NEW.category_code, NEW.legal_basis, NEW.target_population, NEW.annual_quantity,
           NEW.quantity_unit, NEW.unit_price_fen, NEW.purchase_method, NEW.min_grade, NEW.min_social_workers,
           NEW.created_by, NEW.published_at, NEW.published_by, NEW.created_at)
          IS DISTINCT FROM
          (OLD.item_id, OLD.version, OLD.title, OLD.description, OLD.category_code, OLD.legal_basis, OLD.target_population, OLD.annual_quantity,
           OLD.quantity_unit, OLD.unit_price_fen, OLD.purchase_method, OLD.min_grade, OLD.min_social_workers,
           OLD.created_by, OLD.published_at, OLD.published_by, OLD.created_at) THEN
        RAISE EXCEPTION 'transfer item % version % is % and cannot change', OLD.item_id, OLD.version, OLD.status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER transfer_item_versions_immutable BEFORE UPDATE OR DELETE ON transfer_item_versions
    FOR EACH ROW EXECUTE FUNCTION transfer_item_versions_immutable();

-- The communities and metrics of a version change only while it is a draft.
-- +goose StatementBegin
CREATE FUNCTION transfer_item_parts_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    st text;
BEGIN
    -- The row's old version (moved away from) and new version (moved to) must both be drafts.
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT status INTO st FROM transfer_item_versions WHERE item_id = OLD.item_id AND version = OLD.version;
        IF st IS DISTINCT FROM 'draft' THEN
            RAISE EXCEPTION 'transfer item % version % is % and cannot change', OLD.item_id, OLD.version, st
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT status INTO st FROM transfer_item_versions WHERE item_id = NEW.item_id AND version = NEW.version;
        IF st IS DISTINCT FROM 'draft' THEN
            RAISE EXCEPTION 'transfer item % version % is % and cannot change', NEW.item_id, NEW.version, st
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER transfer_item_communities_immutable BEFORE INSERT OR UPDATE OR DELETE ON transfer_item_communities
    FOR EACH ROW EXECUTE FUNCTION transfer_item_parts_immutable();
CREATE TRIGGER transfer_item_metrics_immutable BEFORE INSERT OR UPDATE OR DELETE ON transfer_item_metrics
    FOR EACH ROW EXECUTE FUNCTION transfer_item_parts_immutable();

-- Evidence documents an organization uploads. The file lives in the upload
-- directory under stored_name, never under the web root.
CREATE TABLE organization_documents (
    id              bigserial PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id),
    original_name   text NOT NULL,
    stored_name     text NOT NULL UNIQUE CHECK (stored_name ~ '^[0-9a-f]{32}$'),
    content_type    text NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size_bytes      integer NOT NULL CHECK (size_bytes > 0),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by     bigint NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organization_documents_org_idx ON organization_documents (organization_id);

-- 认定: may undertake these categories in this district, at this grade, in this period.
CREATE TABLE certifications (
    id               bigserial PRIMARY KEY,
    organization_id  bigint NOT NULL REFERENCES organizations (id),
    district_id      bigint NOT NULL REFERENCES districts (id),
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'approved', 'rejected', 'suspended', 'revoked')),
    statement        text NOT NULL DEFAULT '',
    grade            smallint CHECK (grade BETWEEN 1 AND 5),
    valid_from       date,
    valid_until      date,
    decision_reason  text NOT NULL DEFAULT '',
    applied_by       bigint NOT NULL REFERENCES users (id),
    decided_by       bigint REFERENCES users (id),
    decided_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (status IN ('pending', 'rejected') OR (grade IS NOT NULL AND valid_from IS NOT NULL AND valid_until > valid_from)),
    CHECK (status NOT IN ('rejected', 'suspended', 'revoked') OR btrim(decision_reason) <> '')
);
CREATE INDEX certifications_org_idx ON certifications (organization_id);
-- One application at a time per organization and district.
CREATE UNIQUE INDEX certifications_one_pending ON certifications (organization_id, district_id) WHERE status = 'pending';
CREATE INDEX certifications_district_idx ON certifications (district_id, status);

CREATE TABLE certification_categories (
    certification_id bigint NOT NULL REFERENCES certifications (id),
    category_code    text NOT NULL REFERENCES service_categories (code),
    PRIMARY KEY (certification_id, category_code)
);
CREATE INDEX certification_categories_category_idx ON certification_categories (category_code);

CREATE TABLE certification_documents (
    certification_id bigint NOT NULL REFERENCES certifications (id),
    document_id      bigint NOT NULL REFERENCES organization_documents (id),
    PRIMARY KEY (certification_id, document_id)
);

-- +goose Down
DROP TABLE certification_documents;
DROP TABLE certification_categories;
DROP TABLE certifications;
DROP TABLE organization_documents;
DROP TABLE transfer_item_metrics;
DROP TABLE transfer_item_communities;
DROP FUNCTION transfer_item_parts_immutable() CASCADE;
DROP TABLE transfer_item_versions;
DROP FUNCTION transfer_item_versions_immutable();
DROP TABLE transfer_items;
DROP TABLE guidance_entries;
DROP TABLE metric_templates;
DROP FUNCTION refuse_delete();
DROP TABLE service_categories;
