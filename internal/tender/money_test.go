package tender_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
)

// evaluationOf writes, with SQL, a submitted evaluation of the contract; it
// returns its id.
func (w *world) evaluationOf(contractID int64, kind, score, grade string, reevaluationOf int64) int64 {
	w.t.Helper()
	var id int64
	now := w.clock.Now()
	if err := w.db.Raw(`INSERT INTO evaluations (contract_id, subdistrict_id, kind, period_start, period_end, due_on, evaluator_id,
			reevaluation_of, status, declared_at, score, grade, submitted_at, submitted_by, created_at, updated_at)
		SELECT id, subdistrict_id, ?, service_start, service_end, service_end, ?, NULLIF(?, 0), 'submitted', ?, ?::numeric, ?, ?, ?, ?, ?
		FROM contracts WHERE id = ? RETURNING id`, kind, w.evaluators[0].UserID, reevaluationOf, now, score, grade, now,
		w.evaluators[0].UserID, now, now, contractID).Scan(&id).Error; err != nil {
		w.t.Fatalf("insert evaluation: %v", err)
	}
	w.clock.Advance(1)
	return id
}

// TestMoneyReport follows WORKED_EXAMPLES.md §4 through the fund report's
// contracts: 450,000.00 in milestones of 135,000.00, 180,000.00 and
// 135,000.00; the mid-term evaluation scores 70, so the second milestone
// pays 162,000.00 and 18,000.00 stays encumbered, withheld; a failing final
// evaluation withholds the third milestone whole until a passing
// re-evaluation; terminating returns what is left, withheld included.
func TestMoneyReport(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	contracts := w.contracts()
	finance := w.actor("demo-finance")
	payouts := payout.NewService(w.db, w.clock, slog.New(slog.NewTextHandler(io.Discard, nil)), payout.Options{})
	_, draft := w.awarded()
	winner := w.orgs[1]

	row := func(by access.Actor) []contract.MoneyRow {
		t.Helper()
		rows, err := contracts.MoneyReport(ctx, by)
		if err != nil {
			t.Fatalf("MoneyReport() error = %v", err)
		}
		return rows
	}
	var fiscalYear int
	if err := w.db.Raw(`SELECT fiscal_year FROM fund_accounts WHERE id = ?`, w.fundID).Scan(&fiscalYear).Error; err != nil {
		t.Fatal(err)
	}
	type amounts struct {
		status                                        string
		reserved, encumbered, payable, paid, withheld money.Fen
	}
	check := func(step string, want amounts) {
		t.Helper()
		rows := row(w.officer)
		if len(rows) != 1 {
			t.Fatalf("%s: MoneyReport(officer) = %d rows, want 1", step, len(rows))
		}
		r := rows[0]
		if r.ContractID != draft.ID || r.FundAccountID != w.fundID || r.FiscalYear != fiscalYear || r.AmountFen != 45_000_000 ||
			r.OrganizationID != winner.Scope.OrganizationID || r.OrganizationName == "" {
			t.Errorf("%s: row %+v, want contract %d of 450,000.00 paid from fund %d (%d)", step, r, draft.ID, w.fundID, fiscalYear)
		}
		got := amounts{r.Status, r.ReservedFen, r.EncumberedFen, r.PayableFen, r.PaidFen, r.WithheldFen}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(amounts{})); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", step, diff)
		}
	}
	pay := func(seq, round int, amount money.Fen) payout.Payout {
		t.Helper()
		var p payout.Payout
		if err := w.db.Transaction(func(tx *gorm.DB) error {
			var err error
			p, err = payouts.RequestTx(tx, finance, payout.RequestInput{FundAccountID: w.fundID, OrganizationID: winner.Scope.OrganizationID,
				Amount: amount, Ref: fund.Ref{Type: "milestone", ID: fmt.Sprintf("%d/%d/%d", draft.ID, seq, round)}})
			return err
		}); err != nil {
			t.Fatalf("request the payout of milestone %d: %v", seq, err)
		}
		return p
	}

	check("draft", amounts{status: contract.StatusDraft, reserved: 45_000_000})
	c := w.sign(draft, winner)
	if got := []money.Fen{c.Milestones[0].AmountFen, c.Milestones[1].AmountFen, c.Milestones[2].AmountFen}; !cmp.Equal(got,
		[]money.Fen{13_500_000, 18_000_000, 13_500_000}) {
		t.Fatalf("milestones = %v, want 135,000.00 / 180,000.00 / 135,000.00", got)
	}
	check("signed", amounts{status: contract.StatusSigned, encumbered: 45_000_000})
	first := pay(1, 1, 13_500_000)
	check("signing milestone approved", amounts{status: contract.StatusSigned, encumbered: 31_500_000, payable: 13_500_000})
	if _, err := payouts.ConfirmManual(ctx, finance, first.ID, "BANK-20261201-1"); err != nil {
		t.Fatalf("ConfirmManual() error = %v", err)
	}
	check("signing milestone paid", amounts{status: contract.StatusSigned, encumbered: 31_500_000, paid: 13_500_000})
	w.evaluationOf(c.ID, "midterm", "70.0", "pass", 0)
	check("mid-term evaluation at 70", amounts{status: contract.StatusSigned, encumbered: 31_500_000, paid: 13_500_000, withheld: 1_800_000})
	pay(2, 1, 16_200_000)
	check("162,000.00 approved", amounts{status: contract.StatusSigned, encumbered: 15_300_000, payable: 16_200_000, paid: 13_500_000,
		withheld: 1_800_000})
	failed := w.evaluationOf(c.ID, "final", "55.0", "fail", 0)
	check("final evaluation failing", amounts{status: contract.StatusSigned, encumbered: 15_300_000, payable: 16_200_000, paid: 13_500_000,
		withheld: 15_300_000})
	w.evaluationOf(c.ID, "final", "85.0", "good", failed)
	check("passing re-evaluation", amounts{status: contract.StatusSigned, encumbered: 15_300_000, payable: 16_200_000, paid: 13_500_000,
		withheld: 1_800_000})
	if _, err := contracts.Terminate(ctx, w.officer, c.ID, contract.TerminateInput{Reason: "服务中止"}); err != nil {
		t.Fatalf("Terminate() error = %v", err)
	}
	check("terminated", amounts{status: contract.StatusTerminated, payable: 16_200_000, paid: 13_500_000})

	// Another subdistrict's officer, the organization and an evaluator
	// read no contract; the district's admin reads it.
	for name, by := range map[string]access.Actor{"officer of B": w.officer2, "organization": winner, "evaluator": w.evaluators[0]} {
		if rows := row(by); len(rows) != 0 {
			t.Errorf("MoneyReport(%s) = %+v, want none", name, rows)
		}
	}
	if rows := row(w.actor("demo-district")); len(rows) != 1 {
		t.Errorf("MoneyReport(district admin) = %d rows, want 1", len(rows))
	}
}
