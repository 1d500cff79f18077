-- Tendering: tenders made from transfer items, questions and amendments, sealed
-- bids, the opening, committee declarations and scores, award proposals,
-- challenges, draft contracts and in-app notifications.

-- +goose Up
CREATE TABLE tenders (
    id                    bigserial PRIMARY KEY,
    subdistrict_id        bigint NOT NULL REFERENCES subdistricts (id),
    transfer_item_id      bigint NOT NULL,
    transfer_item_version integer NOT NULL,
    title                 text NOT NULL CHECK (btrim(title) <> ''),
    description           text NOT NULL DEFAULT '',
    category_code         text NOT NULL REFERENCES service_categories (code),
    purchase_method       text NOT NULL CHECK (purchase_method IN ('open_tender', 'invited_tender', 'single_source', 'venture_philanthropy')),
    justification         text NOT NULL DEFAULT '',
    fund_account_id       bigint NOT NULL REFERENCES fund_accounts (id),
    ceiling_fen           bigint NOT NULL CHECK (ceiling_fen > 0),
    service_start         date NOT NULL,
    service_end           date NOT NULL,
    weight_price          integer NOT NULL CHECK (weight_price >= 0),
    weight_technical      integer NOT NULL CHECK (weight_technical >= 0),
    weight_performance    integer NOT NULL CHECK (weight_performance >= 0),
    min_grade             integer NOT NULL CHECK (min_grade BETWEEN 1 AND 5),
    min_social_workers    integer NOT NULL CHECK (min_social_workers >= 0),
    min_bids              integer NOT NULL CHECK (min_bids >= 1),
    max_winners           integer NOT NULL DEFAULT 1 CHECK (max_winners >= 1),
    challenge_days        integer NOT NULL CHECK (challenge_days BETWEEN 1 AND 60),
    questions_close_at    timestamptz NOT NULL,
    closes_at             timestamptz NOT NULL,
    opens_at              timestamptz NOT NULL,
    status                text NOT NULL CHECK (status IN ('draft', 'published', 'closed', 'opened', 'evaluated', 'award_proposed', 'awarded', 'cancelled', 'failed')),
    status_reason         text NOT NULL DEFAULT '',
    evaluation_round      integer NOT NULL DEFAULT 1,
    published_at          timestamptz,
    opened_at             timestamptz,
    evaluated_at          timestamptz,
    challenge_ends_at     timestamptz,
    awarded_at            timestamptz,
    ended_at              timestamptz,
    created_by            bigint REFERENCES users (id),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (transfer_item_id, transfer_item_version) REFERENCES transfer_item_versions (item_id, version),
    CHECK (service_end > service_start),
    CHECK (weight_price + weight_technical + weight_performance = 100),
    CHECK (questions_close_at <= closes_at AND closes_at <= opens_at),
    CHECK (purchase_method <> 'single_source' OR btrim(justification) <> '')
);
CREATE INDEX tenders_subdistrict_idx ON tenders (subdistrict_id, status);
CREATE INDEX tenders_due_idx ON tenders (status) WHERE status IN ('published', 'closed', 'award_proposed');

CREATE TABLE tender_communities (
    tender_id    bigint NOT NULL REFERENCES tenders (id),
    community_id bigint NOT NULL REFERENCES communities (id),
    PRIMARY KEY (tender_id, community_id)
);

CREATE TABLE tender_metrics (
    tender_id bigint NOT NULL REFERENCES tenders (id),
    code      text NOT NULL,
    name_zh   text NOT NULL,
    name_en   text NOT NULL,
    unit      text NOT NULL,
    direction text NOT NULL CHECK (direction IN ('higher', 'lower')),
    source    text NOT NULL,
    target    numeric(14, 2) NOT NULL CHECK (target >= 0),
    weight    integer NOT NULL CHECK (weight BETWEEN 1 AND 100),
    PRIMARY KEY (tender_id, code)
);

-- Technical criteria; their maximum points sum to the technical weight.
CREATE TABLE tender_criteria (
    tender_id  bigint NOT NULL REFERENCES tenders (id),
    code       text NOT NULL,
    name       text NOT NULL CHECK (btrim(name) <> ''),
    max_points integer NOT NULL CHECK (max_points > 0),
    position   integer NOT NULL,
    PRIMARY KEY (tender_id, code)
);

-- The evaluation committee. A member declares before seeing bids; a member who
-- declares a conflict is recused and the officer names a replacement.
CREATE TABLE tender_committee (
    tender_id   bigint NOT NULL REFERENCES tenders (id),
    user_id     bigint NOT NULL REFERENCES users (id),
    recused     boolean NOT NULL DEFAULT false,
    declared_at timestamptz,
    conflict    boolean,
    statement   text NOT NULL DEFAULT '',
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tender_id, user_id)
);

-- Who may bid on an invited tender, or the one organization of a single-source one.
CREATE TABLE tender_invitations (
    tender_id       bigint NOT NULL REFERENCES tenders (id),
    organization_id bigint NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (tender_id, organization_id)
);

CREATE TABLE tender_amendments (
    id             bigserial PRIMARY KEY,
    tender_id      bigint NOT NULL REFERENCES tenders (id),
    number         integer NOT NULL,
    reason         text NOT NULL CHECK (btrim(reason) <> ''),
    changes        jsonb NOT NULL,
    old_closes_at  timestamptz NOT NULL,
    new_closes_at  timestamptz NOT NULL,
    created_by     bigint REFERENCES users (id),
    created_at     timestamptz NOT NULL,
    UNIQUE (tender_id, number)
);

-- Questions: the asking organization is kept for the record and never shown.
CREATE TABLE tender_questions (
    id              bigserial PRIMARY KEY,
    tender_id       bigint NOT NULL REFERENCES tenders (id),
    organization_id bigint NOT NULL REFERENCES organizations (id),
    asked_by        bigint REFERENCES users (id),
    body            text NOT NULL CHECK (btrim(body) <> ''),
    asked_at        timestamptz NOT NULL,
    answer          text,
    answered_by     bigint REFERENCES users (id),
    answered_at     timestamptz,
    CHECK ((answer IS NULL) = (answered_at IS NULL))
);
CREATE INDEX tender_questions_tender_idx ON tender_questions (tender_id, id);

-- Bids. Until the opening a bid is its sealed body (AES-256-GCM under a key
-- for the tender), the digest of that body and the time it arrived: nothing
-- else of its content is stored. The opening fills in the price, the opened
-- body and the compliance check, once.
CREATE TABLE bids (
    id                   bigserial PRIMARY KEY,
    tender_id            bigint NOT NULL REFERENCES tenders (id),
    organization_id      bigint NOT NULL REFERENCES organizations (id),
    status               text NOT NULL CHECK (status IN ('active', 'withdrawn', 'replaced')),
    sealed               bytea NOT NULL,
    digest               text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    -- Which master key sealed it (Sealer.KeyID): an opening under another key
    -- stops instead of declaring the bids unreadable.
    seal_key_id          text NOT NULL CHECK (seal_key_id ~ '^[0-9a-f]{16}$'),
    received_at          timestamptz NOT NULL,
    submitted_by         bigint REFERENCES users (id),
    replaces_id          bigint REFERENCES bids (id),
    needs_reconfirmation boolean NOT NULL DEFAULT false,
    ended_at             timestamptz,
    opened_at            timestamptz,
    price_fen            bigint,
    opened_body          jsonb,
    compliant            boolean,
    compliance_reasons   jsonb NOT NULL DEFAULT '[]',
    abnormally_low       boolean NOT NULL DEFAULT false,
    abnormal_reasons     jsonb NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX bids_one_active_idx ON bids (tender_id, organization_id) WHERE status = 'active';
CREATE INDEX bids_tender_idx ON bids (tender_id, status);

-- The sealed body, its digest, its time and its tender and bidder never change.
-- +goose StatementBegin
CREATE FUNCTION bids_seal_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'bids are never deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.tender_id, NEW.organization_id, NEW.sealed, NEW.digest, NEW.seal_key_id, NEW.received_at)
       IS DISTINCT FROM (OLD.tender_id, OLD.organization_id, OLD.sealed, OLD.digest, OLD.seal_key_id, OLD.received_at) THEN
        RAISE EXCEPTION 'a sealed bid does not change' USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.opened_at IS NOT NULL AND (NEW.opened_at, NEW.price_fen, NEW.opened_body)
       IS DISTINCT FROM (OLD.opened_at, OLD.price_fen, OLD.opened_body) THEN
        RAISE EXCEPTION 'a bid is opened once' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER bids_seal_immutable BEFORE UPDATE OR DELETE ON bids
    FOR EACH ROW EXECUTE FUNCTION bids_seal_immutable();

-- One member's points for one criterion of one bid, in hundredths of a point,
-- in one evaluation round. A member's sheet counts once it is submitted.
CREATE TABLE bid_scores (
    tender_id      bigint NOT NULL REFERENCES tenders (id),
    round          integer NOT NULL,
    user_id        bigint NOT NULL REFERENCES users (id),
    bid_id         bigint NOT NULL REFERENCES bids (id),
    criterion_code text NOT NULL,
    points         bigint NOT NULL CHECK (points >= 0),
    comment        text NOT NULL CHECK (btrim(comment) <> ''),
    PRIMARY KEY (tender_id, round, user_id, bid_id, criterion_code),
    FOREIGN KEY (tender_id, criterion_code) REFERENCES tender_criteria (tender_id, code)
);

CREATE TABLE score_sheets (
    tender_id    bigint NOT NULL REFERENCES tenders (id),
    round        integer NOT NULL,
    user_id      bigint NOT NULL REFERENCES users (id),
    submitted_at timestamptz NOT NULL,
    PRIMARY KEY (tender_id, round, user_id)
);

-- An award proposal, with the score table frozen as it was proposed, so every
-- viewer sees the same table.
CREATE TABLE award_proposals (
    id                bigserial PRIMARY KEY,
    tender_id         bigint NOT NULL REFERENCES tenders (id),
    round             integer NOT NULL,
    status            text NOT NULL CHECK (status IN ('proposed', 'final', 'withdrawn')),
    bid_ids           jsonb NOT NULL CHECK (jsonb_typeof(bid_ids) = 'array' AND jsonb_array_length(bid_ids) >= 1),
    deviation_reason  text NOT NULL DEFAULT '',
    score_table       jsonb NOT NULL,
    proposed_by       bigint REFERENCES users (id),
    proposed_at       timestamptz NOT NULL,
    challenge_ends_at timestamptz NOT NULL,
    ended_at          timestamptz
);
CREATE UNIQUE INDEX award_proposals_one_live_idx ON award_proposals (tender_id) WHERE status IN ('proposed', 'final');

CREATE TABLE challenges (
    id                    bigserial PRIMARY KEY,
    tender_id             bigint NOT NULL REFERENCES tenders (id),
    award_proposal_id     bigint NOT NULL REFERENCES award_proposals (id),
    organization_id       bigint NOT NULL REFERENCES organizations (id),
    filed_by              bigint REFERENCES users (id),
    reasons               text NOT NULL CHECK (btrim(reasons) <> ''),
    evidence_document_ids jsonb NOT NULL DEFAULT '[]',
    status                text NOT NULL CHECK (status IN ('open', 'upheld', 'dismissed', 'moot')),
    outcome_action        text CHECK (outcome_action IN ('reevaluate', 'cancel')),
    answer                text,
    answered_by           bigint REFERENCES users (id),
    answered_at           timestamptz,
    filed_at              timestamptz NOT NULL,
    CHECK ((status = 'open') = (answered_at IS NULL))
);
CREATE INDEX challenges_tender_idx ON challenges (tender_id, status);

-- Draft contracts made by a final award; the contract lifecycle comes later.
CREATE TABLE contracts (
    id              bigserial PRIMARY KEY,
    subdistrict_id  bigint NOT NULL REFERENCES subdistricts (id),
    tender_id       bigint NOT NULL REFERENCES tenders (id),
    bid_id          bigint NOT NULL UNIQUE REFERENCES bids (id),
    organization_id bigint NOT NULL REFERENCES organizations (id),
    fund_account_id bigint NOT NULL REFERENCES fund_accounts (id),
    title           text NOT NULL,
    category_code   text NOT NULL REFERENCES service_categories (code),
    amount_fen      bigint NOT NULL CHECK (amount_fen > 0),
    service_start   date NOT NULL,
    service_end     date NOT NULL,
    status          text NOT NULL CHECK (status IN ('draft', 'signed', 'active', 'completed', 'terminated')),
    final_score     numeric(4, 1) CHECK (final_score BETWEEN 0 AND 100),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX contracts_subdistrict_idx ON contracts (subdistrict_id);
CREATE INDEX contracts_organization_idx ON contracts (organization_id, status);

CREATE TABLE contract_communities (
    contract_id  bigint NOT NULL REFERENCES contracts (id),
    community_id bigint NOT NULL REFERENCES communities (id),
    PRIMARY KEY (contract_id, community_id)
);

CREATE TABLE contract_metrics (
    contract_id bigint NOT NULL REFERENCES contracts (id),
    code        text NOT NULL,
    name_zh     text NOT NULL,
    name_en     text NOT NULL,
    unit        text NOT NULL,
    direction   text NOT NULL CHECK (direction IN ('higher', 'lower')),
    source      text NOT NULL,
    target      numeric(14, 2) NOT NULL CHECK (target >= 0),
    weight      integer NOT NULL CHECK (weight BETWEEN 1 AND 100),
    commitment  numeric(14, 2),
    PRIMARY KEY (contract_id, code)
);

CREATE TABLE contract_milestones (
    contract_id bigint NOT NULL REFERENCES contracts (id),
    seq         integer NOT NULL,
    name        text NOT NULL,
    percent     integer NOT NULL CHECK (percent BETWEEN 1 AND 100),
    amount_fen  bigint NOT NULL CHECK (amount_fen > 0),
    after       text NOT NULL CHECK (after IN ('signing', 'midterm', 'final')),
    PRIMARY KEY (contract_id, seq)
);

-- In-app notifications, to one user or to every member of an organization.
CREATE TABLE notifications (
    id              bigserial PRIMARY KEY,
    user_id         bigint REFERENCES users (id),
    organization_id bigint REFERENCES organizations (id),
    kind            text NOT NULL,
    tender_id       bigint REFERENCES tenders (id),
    subject_zh      text NOT NULL,
    subject_en      text NOT NULL,
    created_at      timestamptz NOT NULL,
    CHECK ((user_id IS NULL) <> (organization_id IS NULL))
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC) WHERE user_id IS NOT NULL;
CREATE INDEX notifications_org_idx ON notifications (organization_id, id DESC) WHERE organization_id IS NOT NULL;

-- +goose Down
DROP TABLE notifications;
DROP TABLE contract_milestones;
DROP TABLE contract_metrics;
DROP TABLE contract_communities;
DROP TABLE contracts;
DROP TABLE challenges;
DROP TABLE award_proposals;
DROP TABLE score_sheets;
DROP TABLE bid_scores;
DROP TRIGGER bids_seal_immutable ON bids;
DROP FUNCTION bids_seal_immutable();
DROP TABLE bids;
DROP TABLE tender_questions;
DROP TABLE tender_amendments;
DROP TABLE tender_invitations;
DROP TABLE tender_committee;
DROP TABLE tender_criteria;
DROP TABLE tender_metrics;
DROP TABLE tender_communities;
DROP TABLE tenders;
