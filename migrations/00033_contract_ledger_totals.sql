-- Running totals of each contract's money in the ledger, for the funding-floor
-- report (fund.FloorReport and the public fund report, GET /transparency/funds).
-- The report summed, on every request, the ledger lines of every signed
-- contract of every year (fund.Held on the encumbered account, fund.PaidOut on
-- the paid account, each a join of ledger_lines, ledger_postings,
-- ledger_accounts and payouts with one IN list entry per contract): 45 ms of
-- the page's 54 ms of statements at scale 1 of the bench dataset, growing with
-- every posting as years of ledger accumulate.
--
-- contract_ledger_totals holds, per fund account and contract reference (the
-- part of a posting's or payout's reference id before the first '/'), exactly
-- those two sums:
--   contracted_fen: the lines on the encumbered account of the fund's postings
--     whose reference type is 'contract' (signing and amendments less what
--     returned to available), as Held(tx, Encumbered, {"contract"}, …);
--   paid_fen: the lines on the paid account of the fund's postings that
--     confirmed a payout (reference type 'payout') made for a contract or one
--     of its milestones, as PaidOut(tx, {"contract", "milestone"}, …).
-- A trigger on ledger_lines adds each line as it is inserted, in the posting's
-- transaction: a rollback takes the total back with the posting, and the
-- ledger is append-only (no line is ever updated or deleted), so the totals
-- always equal the sums. The row of a contract is locked only by postings to
-- its own fund, which already lock that fund's ledger accounts.
--
-- contracts_fund_signed_idx: the public report is of one fiscal year; it
-- finds that year's signed contracts through the year's fund accounts
-- instead of reading every contract of every year.

-- +goose Up
CREATE TABLE contract_ledger_totals (
    fund_account_id bigint NOT NULL REFERENCES fund_accounts (id),
    contract_ref    text NOT NULL,
    contracted_fen  bigint NOT NULL DEFAULT 0,
    paid_fen        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (fund_account_id, contract_ref)
);

-- +goose StatementBegin
CREATE FUNCTION contract_ledger_totals_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    acct_kind text;
    fund      bigint;
    ref_type  text;
    ref_id    text;
BEGIN
    SELECT kind INTO acct_kind FROM ledger_accounts WHERE id = NEW.account_id;
    IF acct_kind NOT IN ('encumbered', 'paid') THEN
        RETURN NEW;
    END IF;
    SELECT fund_account_id, reference_type, reference_id INTO fund, ref_type, ref_id
      FROM ledger_postings WHERE id = NEW.posting_id;
    IF acct_kind = 'encumbered' AND ref_type = 'contract' THEN
        INSERT INTO contract_ledger_totals (fund_account_id, contract_ref, contracted_fen)
        VALUES (fund, split_part(ref_id, '/', 1), NEW.amount)
        ON CONFLICT (fund_account_id, contract_ref)
        DO UPDATE SET contracted_fen = contract_ledger_totals.contracted_fen + EXCLUDED.contracted_fen;
    ELSIF acct_kind = 'paid' AND ref_type = 'payout' AND ref_id ~ '^[0-9]{1,18}$' THEN
        -- The payout by its primary key (a payout's posting names its id).
        INSERT INTO contract_ledger_totals (fund_account_id, contract_ref, paid_fen)
        SELECT fund, split_part(po.reference_id, '/', 1), NEW.amount
          FROM payouts po WHERE po.id = ref_id::bigint AND po.reference_type IN ('contract', 'milestone')
        ON CONFLICT (fund_account_id, contract_ref)
        DO UPDATE SET paid_fen = contract_ledger_totals.paid_fen + EXCLUDED.paid_fen;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER contract_ledger_totals_apply AFTER INSERT ON ledger_lines
    FOR EACH ROW EXECUTE FUNCTION contract_ledger_totals_apply();

-- contract_ledger_totals_rebuild computes every total again from the ledger:
-- the backfill below, and the bench dataset generator after it copies the
-- ledger with the lines' triggers off.
-- +goose StatementBegin
CREATE FUNCTION contract_ledger_totals_rebuild() RETURNS void
LANGUAGE sql AS $$
    DELETE FROM contract_ledger_totals;
    INSERT INTO contract_ledger_totals (fund_account_id, contract_ref, contracted_fen, paid_fen)
    SELECT fund_id, ref, sum(contracted), sum(paid) FROM (
        SELECT p.fund_account_id AS fund_id, split_part(p.reference_id, '/', 1) AS ref, l.amount AS contracted, 0 AS paid
          FROM ledger_lines l
          JOIN ledger_postings p ON p.id = l.posting_id
          JOIN ledger_accounts a ON a.id = l.account_id
         WHERE a.kind = 'encumbered' AND p.reference_type = 'contract'
        UNION ALL
        SELECT p.fund_account_id, split_part(po.reference_id, '/', 1), 0, l.amount
          FROM ledger_lines l
          JOIN ledger_postings p ON p.id = l.posting_id
          JOIN ledger_accounts a ON a.id = l.account_id
          JOIN payouts po ON p.reference_type = 'payout' AND p.reference_id = po.id::text
         WHERE a.kind = 'paid' AND po.reference_type IN ('contract', 'milestone')
    ) s GROUP BY 1, 2;
$$;
-- +goose StatementEnd
SELECT contract_ledger_totals_rebuild();

CREATE INDEX contracts_fund_signed_idx ON contracts (fund_account_id, id) WHERE signed_at IS NOT NULL;

-- +goose Down
DROP INDEX contracts_fund_signed_idx;
DROP FUNCTION contract_ledger_totals_rebuild();
DROP TRIGGER contract_ledger_totals_apply ON ledger_lines;
DROP FUNCTION contract_ledger_totals_apply();
DROP TABLE contract_ledger_totals;
