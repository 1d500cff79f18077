-- Project funds: fund accounts earmarked to categories, a double-entry ledger in
-- fen, payouts to organizations, Stripe events and donations.

-- +goose Up
CREATE TABLE fund_accounts (
    id                bigserial PRIMARY KEY,
    subdistrict_id    bigint NOT NULL REFERENCES subdistricts (id),
    fiscal_year       integer NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2100),
    source            text NOT NULL CHECK (source IN ('fiscal_budget', 'welfare_lottery', 'special_development', 'social_donations')),
    name              text NOT NULL CHECK (btrim(name) <> ''),
    accepts_donations boolean NOT NULL DEFAULT false,
    created_by        bigint REFERENCES users (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subdistrict_id, fiscal_year, source, name)
);
CREATE INDEX fund_accounts_subdistrict_idx ON fund_accounts (subdistrict_id);

-- 专款专用: the categories a fund account may pay for.
CREATE TABLE fund_account_categories (
    fund_account_id bigint NOT NULL REFERENCES fund_accounts (id),
    category_code   text NOT NULL REFERENCES service_categories (code),
    PRIMARY KEY (fund_account_id, category_code)
);

-- The ledger's accounts: for each fund account its sub-accounts (available,
-- reserved, encumbered, payable, paid), which never go negative, and its
-- source, the outside world money comes from (negative: money received).
CREATE TABLE ledger_accounts (
    id              bigserial PRIMARY KEY,
    fund_account_id bigint NOT NULL REFERENCES fund_accounts (id),
    kind            text NOT NULL CHECK (kind IN ('source', 'available', 'reserved', 'encumbered', 'payable', 'paid')),
    balance         bigint NOT NULL DEFAULT 0,
    UNIQUE (fund_account_id, kind),
    CONSTRAINT ledger_accounts_not_negative CHECK (kind = 'source' OR balance >= 0)
);

CREATE TABLE ledger_postings (
    id                 bigserial PRIMARY KEY,
    fund_account_id    bigint NOT NULL REFERENCES fund_accounts (id),
    kind               text NOT NULL CHECK (kind IN ('appropriation', 'donation', 'correction', 'reserve', 'release',
                                                     'encumber', 'payable', 'paid', 'return_encumbrance')),
    idempotency_key    text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    reference_type     text NOT NULL DEFAULT '',
    reference_id       text NOT NULL DEFAULT '',
    document_ref       text NOT NULL DEFAULT '',
    memo               text NOT NULL DEFAULT '',
    reverses_id        bigint UNIQUE REFERENCES ledger_postings (id),
    created_by         bigint REFERENCES users (id),
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_postings_fund_idx ON ledger_postings (fund_account_id, id);
CREATE INDEX ledger_postings_reference_idx ON ledger_postings (reference_type, reference_id);

CREATE TABLE ledger_lines (
    id         bigserial PRIMARY KEY,
    posting_id bigint NOT NULL REFERENCES ledger_postings (id),
    account_id bigint NOT NULL REFERENCES ledger_accounts (id),
    amount     bigint NOT NULL CHECK (amount <> 0)
);
CREATE INDEX ledger_lines_posting_idx ON ledger_lines (posting_id);
CREATE INDEX ledger_lines_account_idx ON ledger_lines (account_id);

-- Postings and their lines are never changed or removed: a mistake is
-- corrected by a reversing posting.
-- +goose StatementBegin
CREATE FUNCTION append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER ledger_lines_append_only BEFORE UPDATE OR DELETE ON ledger_lines
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();
CREATE TRIGGER ledger_lines_no_truncate BEFORE TRUNCATE ON ledger_lines
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();

-- Each line moves its account's cached balance; the account's CHECK refuses
-- a restricted balance below zero.
-- +goose StatementBegin
CREATE FUNCTION ledger_lines_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_accounts SET balance = balance + NEW.amount WHERE id = NEW.account_id;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER ledger_lines_apply AFTER INSERT ON ledger_lines
    FOR EACH ROW EXECUTE FUNCTION ledger_lines_apply();

-- At commit, every posting written or added to has at least two lines that
-- sum to zero, all in its own fund account's ledger.
-- +goose StatementBegin
CREATE FUNCTION ledger_posting_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pid bigint;
    fund bigint;
    total bigint;
    lines integer;
    foreign_lines integer;
BEGIN
    IF TG_TABLE_NAME = 'ledger_postings' THEN pid := NEW.id; ELSE pid := NEW.posting_id; END IF;
    SELECT fund_account_id INTO fund FROM ledger_postings WHERE id = pid;
    SELECT coalesce(sum(l.amount), 0), count(l.id), count(l.id) FILTER (WHERE a.fund_account_id <> fund)
      INTO total, lines, foreign_lines
      FROM ledger_lines l JOIN ledger_accounts a ON a.id = l.account_id
     WHERE l.posting_id = pid;
    IF total <> 0 OR lines < 2 OR foreign_lines > 0 THEN
        RAISE EXCEPTION 'ledger posting % does not balance (sum %, % lines, % outside its fund)', pid, total, lines, foreign_lines
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- Lines join only a posting written in the same transaction (or savepoint):
-- a committed posting is closed. AFTER, so the new line's xmin is known.
-- +goose StatementBegin
CREATE FUNCTION ledger_lines_same_transaction() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger_postings p JOIN ledger_lines l ON l.id = NEW.id
                    WHERE p.id = NEW.posting_id AND p.xmin = l.xmin) THEN
        RAISE EXCEPTION 'ledger posting % is closed: lines are added only when it is written', NEW.posting_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER ledger_lines_same_transaction AFTER INSERT ON ledger_lines
    FOR EACH ROW EXECUTE FUNCTION ledger_lines_same_transaction();

CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_posting_balanced();
CREATE CONSTRAINT TRIGGER ledger_lines_balanced AFTER INSERT ON ledger_lines
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_posting_balanced();

-- Where an organization is paid: its Stripe connected account.
CREATE TABLE organization_payout_accounts (
    organization_id   bigint PRIMARY KEY REFERENCES organizations (id),
    stripe_account_id text NOT NULL UNIQUE,
    payouts_enabled   boolean NOT NULL DEFAULT false,
    -- when the Stripe event that set payouts_enabled was created: an older event never overwrites it
    stripe_event_at   timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- A payout is the durable intent to pay an organization: written with its
-- `payable` posting, carried out by a job, confirmed by Stripe or by a finance
-- officer's record of a bank transfer.
CREATE TABLE payouts (
    id                bigserial PRIMARY KEY,
    fund_account_id   bigint NOT NULL REFERENCES fund_accounts (id),
    organization_id   bigint NOT NULL REFERENCES organizations (id),
    amount_fen        bigint NOT NULL CHECK (amount_fen > 0),
    provider          text NOT NULL CHECK (provider IN ('stripe', 'manual')),
    state             text NOT NULL DEFAULT 'requested' CHECK (state IN ('requested', 'paid', 'failed')),
    reference_type    text NOT NULL,
    reference_id      text NOT NULL,
    stripe_transfer_id text UNIQUE,
    manual_reference  text NOT NULL DEFAULT '',
    attempts          integer NOT NULL DEFAULT 0,
    last_error        text NOT NULL DEFAULT '',
    requested_by      bigint REFERENCES users (id),
    confirmed_by      bigint REFERENCES users (id),
    paid_at           timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (reference_type, reference_id),
    CHECK (state <> 'paid' OR paid_at IS NOT NULL)
);
CREATE INDEX payouts_due_idx ON payouts (id) WHERE state = 'requested';
CREATE INDEX payouts_fund_idx ON payouts (fund_account_id);
CREATE INDEX payouts_org_idx ON payouts (organization_id);

-- When each call to Stripe for a payout began, written outside the job's
-- transaction so that a crash keeps it. No foreign key, so that writing it does
-- not wait for the job's lock on the payout. Stripe keeps an idempotency key
-- for 24 hours: once the first call is older than that, a retry could pay
-- twice, so the job stops and leaves the payout for reconciliation.
CREATE TABLE payout_attempts (
    payout_id  bigint NOT NULL,
    started_at timestamptz NOT NULL
);
CREATE INDEX payout_attempts_payout_idx ON payout_attempts (payout_id, started_at);

-- Every Stripe webhook event, stored once by its id, applied by a job.
CREATE TABLE stripe_events (
    id           text PRIMARY KEY,
    type         text NOT NULL,
    payload      jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    error        text NOT NULL DEFAULT ''
);
CREATE INDEX stripe_events_unprocessed_idx ON stripe_events (received_at) WHERE processed_at IS NULL;

CREATE TABLE donations (
    id                  bigserial PRIMARY KEY,
    fund_account_id     bigint NOT NULL REFERENCES fund_accounts (id),
    amount_fen          bigint NOT NULL CHECK (amount_fen BETWEEN 100 AND 100000000),
    donor_name          text NOT NULL DEFAULT '',
    checkout_session_id text UNIQUE,
    state               text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'completed', 'expired')),
    posting_id          bigint REFERENCES ledger_postings (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    completed_at        timestamptz,
    CHECK ((state = 'completed') = (posting_id IS NOT NULL))
);

-- +goose Down
DROP TABLE donations;
DROP TABLE stripe_events;
DROP TABLE payout_attempts;
DROP TABLE payouts;
DROP TABLE organization_payout_accounts;
DROP TABLE ledger_lines;
DROP TABLE ledger_postings;
DROP FUNCTION ledger_posting_balanced();
DROP FUNCTION ledger_lines_same_transaction();
DROP FUNCTION append_only();
DROP FUNCTION ledger_lines_apply();
DROP TABLE ledger_accounts;
DROP TABLE fund_account_categories;
DROP TABLE fund_accounts;
