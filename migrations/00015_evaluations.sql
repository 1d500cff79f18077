-- Evaluations (评估) of contracts (issue 13).
--
-- The contract's officers schedule a mid-term and a final evaluation (and
-- ad-hoc ones) and assign an evaluator: a district evaluator (users.district_id)
-- or a user of a third-party evaluation agency (users.organization_id: an
-- organization with an approved certification for the category
-- THIRD_PARTY_EVALUATION in the contract's district). The evaluator declares
-- first, as the tender committee does: a conflict recuses it and the officer
-- assigns another. Every metric of the contract becomes a figure of the
-- evaluation: the system computes those whose source is not the evaluator
-- (basis says how), the evaluator enters the rest with notes and evidence,
-- then submits. A submitted evaluation is immutable: its score (one decimal)
-- and grade never change. A failing grade brings a rectification order (整改)
-- with a deadline; a re-evaluation is a new evaluation linked to the failing
-- one (reevaluation_of), and only a failing one may have it.

-- +goose Up
ALTER TABLE service_categories ADD COLUMN kind text NOT NULL DEFAULT 'service' CHECK (kind IN ('service', 'evaluation'));
INSERT INTO service_categories (code, name_zh, name_en, sort, kind)
SELECT 'THIRD_PARTY_EVALUATION', '第三方评估', 'Third-party evaluation', max(sort) + 1, 'evaluation' FROM service_categories;

-- An evaluator works for its district or for an agency, never both.
ALTER TABLE users DROP CONSTRAINT users_scope_matches_role;
ALTER TABLE users ADD CONSTRAINT users_scope_matches_role CHECK (
    CASE role
        WHEN 'district_admin' THEN district_id IS NOT NULL AND subdistrict_id IS NULL AND organization_id IS NULL
        WHEN 'evaluator' THEN subdistrict_id IS NULL AND (district_id IS NULL) <> (organization_id IS NULL)
        WHEN 'procurement_officer' THEN subdistrict_id IS NOT NULL AND district_id IS NULL AND organization_id IS NULL
        WHEN 'finance_officer' THEN subdistrict_id IS NOT NULL AND district_id IS NULL AND organization_id IS NULL
        WHEN 'org_admin' THEN organization_id IS NOT NULL AND district_id IS NULL AND subdistrict_id IS NULL
        WHEN 'org_member' THEN organization_id IS NOT NULL AND district_id IS NULL AND subdistrict_id IS NULL
        ELSE district_id IS NULL AND subdistrict_id IS NULL AND organization_id IS NULL
    END);

CREATE TABLE evaluations (
    id                 bigserial PRIMARY KEY,
    contract_id        bigint NOT NULL REFERENCES contracts (id),
    subdistrict_id     bigint NOT NULL REFERENCES subdistricts (id),
    kind               text NOT NULL CHECK (kind IN ('midterm', 'final', 'adhoc')),
    period_start       date NOT NULL,
    period_end         date NOT NULL,
    due_on             date NOT NULL,
    evaluator_id       bigint NOT NULL REFERENCES users (id),
    agency_id          bigint REFERENCES organizations (id),
    reevaluation_of    bigint UNIQUE REFERENCES evaluations (id),
    status             text NOT NULL CHECK (status IN ('scheduled', 'in_progress', 'submitted', 'recused', 'cancelled')),
    declared_at        timestamptz,
    conflict_statement text NOT NULL DEFAULT '' CHECK (char_length(conflict_statement) <= 2000),
    notes              text NOT NULL DEFAULT '' CHECK (char_length(notes) <= 5000),
    score              numeric(4, 1) CHECK (score BETWEEN 0 AND 100),
    grade              text CHECK (grade IN ('excellent', 'good', 'pass', 'fail')),
    submitted_at       timestamptz,
    submitted_by       bigint REFERENCES users (id),
    cancel_reason      text CHECK (char_length(btrim(cancel_reason)) BETWEEN 1 AND 500),
    created_by         bigint REFERENCES users (id),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CHECK (period_start <= period_end),
    CHECK (reevaluation_of IS NULL OR reevaluation_of <> id),
    CHECK ((status = 'submitted') = (score IS NOT NULL AND grade IS NOT NULL AND submitted_at IS NOT NULL)),
    CHECK (status NOT IN ('in_progress', 'submitted', 'recused') OR declared_at IS NOT NULL),
    CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL))
);
CREATE INDEX evaluations_contract_idx ON evaluations (contract_id, id);
CREATE INDEX evaluations_evaluator_idx ON evaluations (evaluator_id, id);
CREATE INDEX evaluations_subdistrict_idx ON evaluations (subdistrict_id, id);
-- One live mid-term and one live final evaluation per contract; re-evaluations
-- and ad-hoc ones aside.
CREATE UNIQUE INDEX evaluations_one_of_kind ON evaluations (contract_id, kind)
    WHERE kind <> 'adhoc' AND reevaluation_of IS NULL AND status <> 'cancelled';

-- A figure of an evaluation: one per metric of the contract, copied when the
-- evaluation is scheduled. target is the contract's; target_used is what the
-- actual is compared with (a cumulative metric's target pro-rated by share,
-- the elapsed part of the service period, for a mid-term; the whole for a
-- final). actual is computed (source other than evaluator; basis records the
-- inputs: period, counts, which records) or entered by the evaluator (note).
CREATE TABLE evaluation_figures (
    evaluation_id bigint NOT NULL REFERENCES evaluations (id),
    code          text NOT NULL,
    name_zh       text NOT NULL,
    name_en       text NOT NULL,
    unit          text NOT NULL,
    direction     text NOT NULL CHECK (direction IN ('higher', 'lower')),
    source        text NOT NULL CHECK (source IN ('service_records', 'resident_ratings', 'evaluator', 'complaints', 'service_requests')),
    weight        integer NOT NULL CHECK (weight BETWEEN 1 AND 100),
    target        numeric(14, 2) NOT NULL CHECK (target >= 0),
    share         numeric(7, 6) NOT NULL CHECK (share > 0 AND share <= 1),
    target_used   numeric(14, 2) NOT NULL CHECK (target_used >= 0),
    actual        numeric(14, 2) CHECK (actual >= 0),
    attainment    numeric(7, 6) CHECK (attainment BETWEEN 0 AND 1),
    basis         jsonb NOT NULL DEFAULT '{}',
    note          text NOT NULL DEFAULT '' CHECK (char_length(note) <= 2000),
    computed_at   timestamptz,
    entered_by    bigint REFERENCES users (id),
    entered_at    timestamptz,
    PRIMARY KEY (evaluation_id, code)
);

-- The evaluator's evidence (photos, inspection sheets), stored as the
-- organizations' documents are: a random name on disk, its digest here.
CREATE TABLE evaluation_documents (
    id            bigserial PRIMARY KEY,
    evaluation_id bigint NOT NULL REFERENCES evaluations (id),
    metric_code   text,
    original_name text NOT NULL,
    stored_name   text NOT NULL UNIQUE CHECK (stored_name ~ '^[0-9a-f]{32}$'),
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size_bytes    integer NOT NULL CHECK (size_bytes > 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by   bigint NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    FOREIGN KEY (evaluation_id, metric_code) REFERENCES evaluation_figures (evaluation_id, code)
);
CREATE INDEX evaluation_documents_evaluation_idx ON evaluation_documents (evaluation_id);

-- A rectification order (整改通知) after a failing evaluation: what to put
-- right and by when. The organization reports what it did; the officer then
-- schedules the re-evaluation.
CREATE TABLE rectification_orders (
    id             bigserial PRIMARY KEY,
    evaluation_id  bigint NOT NULL UNIQUE REFERENCES evaluations (id),
    contract_id    bigint NOT NULL REFERENCES contracts (id),
    subdistrict_id bigint NOT NULL REFERENCES subdistricts (id),
    requirements   text NOT NULL CHECK (char_length(btrim(requirements)) BETWEEN 1 AND 5000),
    deadline       date NOT NULL,
    issued_by      bigint REFERENCES users (id),
    issued_at      timestamptz NOT NULL,
    report         text CHECK (char_length(btrim(report)) BETWEEN 1 AND 5000),
    reported_by    bigint REFERENCES users (id),
    reported_at    timestamptz,
    CHECK ((report IS NULL) = (reported_at IS NULL))
);
CREATE INDEX rectification_orders_contract_idx ON rectification_orders (contract_id);

-- A submitted evaluation and its figures never change.
-- +goose StatementBegin
CREATE FUNCTION evaluations_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'evaluations are never deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.status = 'submitted' AND ROW(NEW.*) IS DISTINCT FROM ROW(OLD.*) THEN
        RAISE EXCEPTION 'a submitted evaluation is immutable' USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.id, NEW.contract_id, NEW.subdistrict_id, NEW.kind, NEW.reevaluation_of, NEW.created_at)
       IS DISTINCT FROM (OLD.id, OLD.contract_id, OLD.subdistrict_id, OLD.kind, OLD.reevaluation_of, OLD.created_at) THEN
        RAISE EXCEPTION 'an evaluation keeps its contract, kind and link' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER evaluations_keep BEFORE UPDATE OR DELETE ON evaluations
    FOR EACH ROW EXECUTE FUNCTION evaluations_keep();

-- +goose StatementBegin
CREATE FUNCTION evaluation_figures_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM evaluations WHERE id = OLD.evaluation_id AND status = 'submitted') THEN
        RAISE EXCEPTION 'the figures of a submitted evaluation are immutable' USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER evaluation_figures_keep BEFORE UPDATE OR DELETE ON evaluation_figures
    FOR EACH ROW EXECUTE FUNCTION evaluation_figures_keep();

-- +goose Down
DROP TRIGGER evaluation_figures_keep ON evaluation_figures;
DROP FUNCTION evaluation_figures_keep();
DROP TRIGGER evaluations_keep ON evaluations;
DROP FUNCTION evaluations_keep();
DROP TABLE rectification_orders;
DROP TABLE evaluation_documents;
DROP TABLE evaluation_figures;
DROP TABLE evaluations;
ALTER TABLE users DROP CONSTRAINT users_scope_matches_role;
ALTER TABLE users ADD CONSTRAINT users_scope_matches_role CHECK (
    CASE role
        WHEN 'district_admin' THEN district_id IS NOT NULL AND subdistrict_id IS NULL AND organization_id IS NULL
        WHEN 'evaluator' THEN district_id IS NOT NULL AND subdistrict_id IS NULL AND organization_id IS NULL
        WHEN 'procurement_officer' THEN subdistrict_id IS NOT NULL AND district_id IS NULL AND organization_id IS NULL
        WHEN 'finance_officer' THEN subdistrict_id IS NOT NULL AND district_id IS NULL AND organization_id IS NULL
        WHEN 'org_admin' THEN organization_id IS NOT NULL AND district_id IS NULL AND subdistrict_id IS NULL
        WHEN 'org_member' THEN organization_id IS NOT NULL AND district_id IS NULL AND subdistrict_id IS NULL
        ELSE district_id IS NULL AND subdistrict_id IS NULL AND organization_id IS NULL
    END);
DELETE FROM service_categories WHERE code = 'THIRD_PARTY_EVALUATION';
ALTER TABLE service_categories DROP COLUMN kind;
