package fund_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
)

// contractMoney is what a contract holds encumbered and was paid, in one
// fund account.
type contractMoney struct{ Contracted, Paid money.Fen }

// runningTotals reads contract_ledger_totals, by fund account and contract.
func (w *world) runningTotals(t testing.TB) map[fund.Holder]contractMoney {
	t.Helper()
	var rows []struct {
		FundAccountID int64
		ContractRef   string
		ContractedFen money.Fen
		PaidFen       money.Fen
	}
	if err := w.db.Raw(`SELECT fund_account_id, contract_ref, contracted_fen, paid_fen FROM contract_ledger_totals`).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[fund.Holder]contractMoney{}
	for _, r := range rows {
		out[fund.Holder{FundID: r.FundAccountID, ID: r.ContractRef}] = contractMoney{r.ContractedFen, r.PaidFen}
	}
	return out
}

// postingSums sums the postings of each holder as the funding-floor report
// did before the running totals: Held on the encumbered account for
// references of type contract, PaidOut for contracts and milestones.
func (w *world) postingSums(t testing.TB, holders ...fund.Holder) map[fund.Holder]contractMoney {
	t.Helper()
	held, err := fund.Held(w.db, fund.Encumbered, []string{"contract"}, holders...)
	if err != nil {
		t.Fatal(err)
	}
	paid, err := fund.PaidOut(w.db, []string{"contract", "milestone"}, holders...)
	if err != nil {
		t.Fatal(err)
	}
	out := map[fund.Holder]contractMoney{}
	for _, h := range holders {
		if m := (contractMoney{held[h], paid[h]}); m != (contractMoney{}) {
			out[h] = m
		}
	}
	return out
}

// Each contract's running total (migration 00033) equals the sums over its
// postings after postings of every kind: appropriation and its correction
// (a reversal), tender reservation and release, signing, an amendment, a
// milestone made payable and paid, a payout for the contract itself, the
// return at its close, a retried posting; and a rolled-back posting leaves
// it as it was.
func TestContractRunningTotals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a1 := w.community(t, w.a, "330502001001", "马军巷社区", 999)
	a2 := w.community(t, w.a, "330502001002", "衣裳街社区", 2000)
	fa := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道2026年度预算", "ELDERLY_HOME_CARE")
	fb := w.account(t, w.financeA, 2026, "welfare_lottery", "月河街道2026年度福彩公益金", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, fa.ID, 50_000_000, "fa")
	wrong := w.appropriate(t, w.financeA, fb.ID, 1_000, "fb-wrong")
	w.appropriate(t, w.financeA, fb.ID, 10_000_000, "fb")
	if _, err := w.svc.Correct(t.Context(), w.financeA, fb.ID, wrong.ID, "金额录入错误"); err != nil {
		t.Fatalf("Correct() error = %v", err)
	}

	k1 := w.contract(t, w.a, fa.ID, 7_000_001, true, a1, a2)
	k2 := w.contract(t, w.a, fb.ID, 2_000_000, true, a2)
	draft := w.contract(t, w.a, fa.ID, 1_000_000, false, a1)
	holders := []fund.Holder{{FundID: fa.ID, ID: fmt.Sprint(k1)}, {FundID: fb.ID, ID: fmt.Sprint(k2)}, {FundID: fa.ID, ID: fmt.Sprint(draft)},
		{FundID: fb.ID, ID: fmt.Sprint(k1)}}
	check := func(what string, want map[fund.Holder]contractMoney) {
		t.Helper()
		got := w.runningTotals(t)
		for h, m := range got {
			if m == (contractMoney{}) {
				delete(got, h) // a contract whose lines cancel out
			}
		}
		if diff := cmp.Diff(w.postingSums(t, holders...), got); diff != "" {
			t.Errorf("%s: running totals differ from the postings (-sums +totals):\n%s", what, diff)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: running totals (-want +got):\n%s", what, diff)
		}
	}
	h1, h2 := holders[0], holders[1]
	check("signed", map[fund.Holder]contractMoney{h1: {7_000_001, 0}, h2: {2_000_000, 0}})

	// An amendment out of available money, a tender's release, two
	// milestones paid, and a payout for the contract itself.
	w.mustMove(t, "EncumberMore()", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.EncumberMore(tx, w.procurementA, fa.ID, 500_000, fund.Ref{Type: "contract", ID: fmt.Sprintf("%d/amend/1", k1)})
	})
	w.mustMove(t, "Reserve()", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.Reserve(tx, w.procurementA, fa.ID, "ELDERLY_HOME_CARE", 300_000, fund.Ref{Type: "tender", ID: "99"})
	})
	w.mustMove(t, "Release()", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.Release(tx, w.procurementA, fa.ID, 300_000, fund.Ref{Type: "tender", ID: "99"})
	})
	w.pay(t, fa.ID, k1, 1, 2_100_000)
	w.pay(t, fa.ID, k1, 2, 1_000_001)
	w.pay(t, fb.ID, k2, 1, 600_000)
	err := w.db.Transaction(func(tx *gorm.DB) error {
		if _, err := fund.MakePayable(tx, w.financeA, fb.ID, 400_000, fund.Ref{Type: "contract", ID: fmt.Sprint(k2)}); err != nil {
			return err
		}
		var payoutID int64
		if err := tx.Raw(`INSERT INTO payouts (fund_account_id, organization_id, amount_fen, provider, state, reference_type, reference_id, paid_at)
			SELECT ?, organization_id, 400000, 'manual', 'paid', 'contract', ?, now() FROM contracts WHERE id = ? RETURNING id`,
			fb.ID, fmt.Sprint(k2), k2).Scan(&payoutID).Error; err != nil {
			return err
		}
		_, err := fund.MarkPaid(tx, w.financeA, fb.ID, 400_000, fund.Ref{Type: "payout", ID: fmt.Sprint(payoutID)})
		return err
	})
	if err != nil {
		t.Fatalf("pay contract %d: %v", k2, err)
	}
	// The contract's own payable posting moved money off its encumbrance.
	check("amended and paid", map[fund.Holder]contractMoney{h1: {7_500_001, 3_100_001}, h2: {1_600_000, 1_000_000}})

	// A retried posting writes nothing; a rolled-back one leaves no trace.
	w.mustMove(t, "EncumberMore() again", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.EncumberMore(tx, w.procurementA, fa.ID, 500_000, fund.Ref{Type: "contract", ID: fmt.Sprintf("%d/amend/1", k1)})
	})
	rollback := errors.New("roll back")
	err = w.db.Transaction(func(tx *gorm.DB) error {
		if _, err := fund.EncumberMore(tx, w.procurementA, fa.ID, 1_000_000, fund.Ref{Type: "contract", ID: fmt.Sprintf("%d/amend/2", k1)}); err != nil {
			return err
		}
		if _, err := fund.ReturnEncumbrance(tx, w.procurementA, fb.ID, 1_000_000, fund.Ref{Type: "contract", ID: fmt.Sprintf("%d/end", k2)}); err != nil {
			return err
		}
		if _, err := fund.EncumberMore(tx, w.procurementA, fb.ID, 1_000, fund.Ref{Type: "contract", ID: fmt.Sprint(k1)}); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("the rolled-back postings: error = %v", err)
	}
	check("after a retry and a rollback", map[fund.Holder]contractMoney{h1: {7_500_001, 3_100_001}, h2: {1_600_000, 1_000_000}})

	// The close returns what is left, and a posting to another fund names
	// the contract there.
	w.returned(t, fb.ID, k2, 1_000_000, "completed") // 600,000.00 went to a milestone
	w.mustMove(t, "EncumberMore() in fund B", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.EncumberMore(tx, w.procurementA, fb.ID, 1_000, fund.Ref{Type: "contract", ID: fmt.Sprint(k1)})
	})
	check("closed", map[fund.Holder]contractMoney{h1: {7_500_001, 3_100_001}, h2: {600_000, 1_000_000}, holders[3]: {1_000, 0}})
}
