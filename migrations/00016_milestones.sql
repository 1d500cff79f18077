-- Milestone payments (issue 13): what each payment milestone of a contract
-- pays, scaled by the evaluation it waits for, accepted by the procurement
-- officer (验收), invoiced by the organization (发票/收据) and approved by a
-- finance officer who is not the accepting user, then paid out.
--
-- A milestone becomes due when its trigger is met: the contract's signing, or
-- the submission of its mid-term or final evaluation. Each time it does, it
-- gets a payment round: one per (milestone, evaluation), the signing's round
-- without an evaluation. A round's payable amount is the milestone amount ×
-- the payment factor of its evaluation under the contract's payment policy,
-- rounded half up to the fen, less what earlier rounds of the milestone made
-- payable: a failing evaluation makes nothing payable (the round is withheld)
-- and a passing re-evaluation pays the rest as a new round. A round that
-- pays is due → accepted → approved (the payable posting and the payout
-- request, in one transaction) → paid (the payout confirmed). A round still
-- awaiting approval when a re-evaluation comes is superseded by the new one.
-- What no round makes payable stays encumbered until the contract closes.

-- +goose Up
ALTER TABLE contract_milestones ADD COLUMN id bigserial;
ALTER TABLE contract_milestones ADD CONSTRAINT contract_milestones_id_key UNIQUE (id);
ALTER TABLE contract_milestones ADD COLUMN due_at timestamptz;
-- pending: the trigger is not met; due: its rounds are under way or withheld;
-- paid: its latest round is paid. Only a pending milestone may be amended.
ALTER TABLE contract_milestones DROP CONSTRAINT contract_milestones_status_check;
UPDATE contract_milestones SET status = 'due' WHERE status = 'payable';
ALTER TABLE contract_milestones ADD CONSTRAINT contract_milestones_status_check CHECK (status IN ('pending', 'due', 'paid'));

CREATE TABLE milestone_payments (
    id                  bigserial PRIMARY KEY,
    milestone_id        bigint NOT NULL REFERENCES contract_milestones (id),
    contract_id         bigint NOT NULL REFERENCES contracts (id),
    subdistrict_id      bigint NOT NULL REFERENCES subdistricts (id),
    round               integer NOT NULL CHECK (round >= 1),
    evaluation_id       bigint REFERENCES evaluations (id),
    score_tenths        integer CHECK (score_tenths BETWEEN 0 AND 1000),
    -- The factor as shown, to 6 decimals; the payable amount is computed from
    -- the exact factor.
    factor              numeric(7, 6) NOT NULL CHECK (factor BETWEEN 0 AND 1),
    milestone_fen       bigint NOT NULL CHECK (milestone_fen > 0),
    earlier_fen         bigint NOT NULL DEFAULT 0 CHECK (earlier_fen >= 0),
    payable_fen         bigint NOT NULL CHECK (payable_fen >= 0),
    state               text NOT NULL CHECK (state IN ('withheld', 'due', 'accepted', 'approved', 'paid', 'superseded')),
    due_at              timestamptz NOT NULL,
    accepted_by         bigint REFERENCES users (id),
    accepted_at         timestamptz,
    accept_note         text CHECK (char_length(btrim(accept_note)) BETWEEN 1 AND 2000),
    invoice_document_id bigint REFERENCES organization_documents (id),
    invoice_kind        text CHECK (invoice_kind IN ('invoice', 'receipt')),
    invoice_number      text CHECK (char_length(btrim(invoice_number)) BETWEEN 1 AND 64),
    invoice_amount_fen  bigint CHECK (invoice_amount_fen > 0),
    invoiced_by         bigint REFERENCES users (id),
    invoiced_at         timestamptz,
    approved_by         bigint REFERENCES users (id),
    approved_at         timestamptz,
    payout_id           bigint UNIQUE REFERENCES payouts (id),
    paid_at             timestamptz,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    UNIQUE NULLS NOT DISTINCT (milestone_id, evaluation_id),
    UNIQUE (milestone_id, round),
    -- Separation of duties: whoever accepted the work never approves its payment.
    CONSTRAINT milestone_payments_two_people CHECK (accepted_by <> approved_by),
    CHECK ((evaluation_id IS NULL) = (score_tenths IS NULL)),
    CHECK (earlier_fen + payable_fen <= milestone_fen),
    CHECK ((payable_fen = 0) = (state = 'withheld')),
    CHECK ((accepted_at IS NULL) = (accepted_by IS NULL) AND (accepted_at IS NULL) = (accept_note IS NULL)),
    CHECK (state NOT IN ('accepted', 'approved', 'paid') OR accepted_at IS NOT NULL),
    CHECK ((invoice_document_id IS NULL) = (invoice_kind IS NULL)
       AND (invoice_document_id IS NULL) = (invoice_number IS NULL)
       AND (invoice_document_id IS NULL) = (invoice_amount_fen IS NULL)
       AND (invoice_document_id IS NULL) = (invoiced_at IS NULL)),
    CHECK ((state IN ('approved', 'paid')) = (approved_at IS NOT NULL)),
    CHECK ((approved_at IS NULL) = (approved_by IS NULL) AND (approved_at IS NULL) = (payout_id IS NULL)),
    CHECK (approved_at IS NULL OR (invoice_document_id IS NOT NULL AND invoice_amount_fen = payable_fen)),
    CHECK ((state = 'paid') = (paid_at IS NOT NULL))
);
-- One round of a milestone awaits acceptance or approval at a time.
CREATE UNIQUE INDEX milestone_payments_open_idx ON milestone_payments (milestone_id) WHERE state IN ('due', 'accepted');
CREATE INDEX milestone_payments_contract_idx ON milestone_payments (contract_id, milestone_id, round);
CREATE INDEX milestone_payments_subdistrict_idx ON milestone_payments (subdistrict_id, state);

-- Rounds are never deleted; a round keeps its milestone, evaluation and
-- amounts, and a paid round never changes.
-- +goose StatementBegin
CREATE FUNCTION milestone_payments_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'milestone payments are never deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.state = 'paid' AND ROW(NEW.*) IS DISTINCT FROM ROW(OLD.*) THEN
        RAISE EXCEPTION 'a paid milestone payment is immutable' USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.milestone_id, NEW.contract_id, NEW.subdistrict_id, NEW.round, NEW.evaluation_id, NEW.score_tenths, NEW.factor,
        NEW.milestone_fen, NEW.earlier_fen, NEW.payable_fen, NEW.due_at, NEW.created_at)
       IS DISTINCT FROM (OLD.milestone_id, OLD.contract_id, OLD.subdistrict_id, OLD.round, OLD.evaluation_id, OLD.score_tenths, OLD.factor,
        OLD.milestone_fen, OLD.earlier_fen, OLD.payable_fen, OLD.due_at, OLD.created_at) THEN
        RAISE EXCEPTION 'a milestone payment keeps its milestone, evaluation and amounts' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER milestone_payments_keep BEFORE UPDATE OR DELETE ON milestone_payments
    FOR EACH ROW EXECUTE FUNCTION milestone_payments_keep();

-- Contracts signed before this migration: their signing milestones are due
-- from the signing, in full.
INSERT INTO milestone_payments (milestone_id, contract_id, subdistrict_id, round, factor, milestone_fen, payable_fen, state, due_at, created_at, updated_at)
SELECT m.id, c.id, c.subdistrict_id, 1, 1, m.amount_fen, m.amount_fen, 'due', c.signed_at, c.signed_at, c.signed_at
  FROM contract_milestones m JOIN contracts c ON c.id = m.contract_id
 WHERE m.after = 'signing' AND m.status = 'pending' AND c.status IN ('signed', 'active');
UPDATE contract_milestones m SET status = 'due', due_at = c.signed_at
  FROM contracts c
 WHERE c.id = m.contract_id AND m.after = 'signing' AND m.status = 'pending' AND c.status IN ('signed', 'active');
ALTER TABLE contract_milestones ADD CONSTRAINT contract_milestones_due_check CHECK ((status = 'pending') = (due_at IS NULL));

-- +goose Down
DROP TRIGGER milestone_payments_keep ON milestone_payments;
DROP FUNCTION milestone_payments_keep();
DROP TABLE milestone_payments;
ALTER TABLE contract_milestones DROP CONSTRAINT contract_milestones_due_check;
ALTER TABLE contract_milestones DROP CONSTRAINT contract_milestones_status_check;
UPDATE contract_milestones SET status = 'payable' WHERE status = 'due';
ALTER TABLE contract_milestones ADD CONSTRAINT contract_milestones_status_check CHECK (status IN ('pending', 'payable', 'paid'));
ALTER TABLE contract_milestones DROP COLUMN due_at;
ALTER TABLE contract_milestones DROP CONSTRAINT contract_milestones_id_key;
ALTER TABLE contract_milestones DROP COLUMN id;
