package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// fundMoneyContract makes an active contract of A (servertest's
// ActiveContract) for amount serving the communities alone, with the money
// the signing moves: reserved for its tender and encumbered for it, from
// A's fiscal fund. It returns the contract's id.
func fundMoneyContract(t testing.TB, e *servertest.Env, amount money.Fen, communities ...int64) int64 {
	t.Helper()
	c := e.ActiveContract(t)
	finance := servertest.UserActor(t, e.DB, "demo-finance")
	err := e.DB.Transaction(func(tx *gorm.DB) error {
		var k struct {
			TenderID     int64
			CategoryCode string
		}
		if err := tx.Raw(`UPDATE contracts SET amount_fen = ?, signed_amount_fen = ? WHERE id = ? RETURNING tender_id, category_code`,
			amount, amount, c.ID).Scan(&k).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM contract_communities WHERE contract_id = ?`, c.ID).Error; err != nil {
			return err
		}
		for _, id := range communities {
			if err := tx.Exec(`INSERT INTO contract_communities (contract_id, community_id, eligible_population) VALUES (?, ?, 500)`, c.ID, id).Error; err != nil {
				return err
			}
		}
		fundID := e.Demo(t).FundA
		if _, err := fund.Reserve(tx, finance, fundID, k.CategoryCode, amount, fund.Ref{Type: "tender", ID: fmt.Sprint(k.TenderID)}); err != nil {
			return err
		}
		_, err := fund.Encumber(tx, finance, fundID, amount, fund.Ref{Type: "contract", ID: fmt.Sprint(c.ID)})
		return err
	})
	if err != nil {
		t.Fatalf("give contract %d its money: %v", c.ID, err)
	}
	return c.ID
}

// fundPayMilestone pays amount out for milestone seq of the contract, as its
// approval and the manual payout's confirmation would.
func fundPayMilestone(t testing.TB, e *servertest.Env, contractID int64, seq int, amount money.Fen) {
	t.Helper()
	finance := servertest.UserActor(t, e.DB, "demo-finance")
	var orgID int64
	if err := e.DB.Raw(`SELECT organization_id FROM contracts WHERE id = ?`, contractID).Scan(&orgID).Error; err != nil {
		t.Fatal(err)
	}
	svc := servertest.ManualPayouts(e)
	var p payout.Payout
	if err := e.DB.Transaction(func(tx *gorm.DB) error {
		var err error
		p, err = svc.RequestTx(tx, finance, payout.RequestInput{FundAccountID: e.Demo(t).FundA, OrganizationID: orgID, Amount: amount,
			Ref: fund.Ref{Type: "milestone", ID: fmt.Sprintf("%d/%d/1", contractID, seq)}})
		return err
	}); err != nil {
		t.Fatalf("request the payout of milestone %d of contract %d: %v", seq, contractID, err)
	}
	if _, err := svc.ConfirmManual(context.Background(), finance, p.ID, fmt.Sprintf("BANK-%d-%d", contractID, seq)); err != nil {
		t.Fatalf("ConfirmManual() error = %v", err)
	}
}

// TestFundReportContracts: the fund report shows where each contract's
// money stands, by hand: 50,000.00 encumbered at the signing, the signing
// milestone's 15,000.00 paid, and the mid-term evaluation at 70 withholding
// 2,000.00 of the 20,000.00 mid-term milestone (factor 0.9). Another
// subdistrict's officer does not see it.
func TestFundReportContracts(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	k := fundMoneyContract(t, e, 5_000_000, e.Demo(t).CommA)
	if err := e.DB.Exec(`INSERT INTO contract_milestones (contract_id, seq, name, percent, amount_fen, after) VALUES
		(?, 1, '签约', 30, 1500000, 'signing'), (?, 2, '中期', 40, 2000000, 'midterm'), (?, 3, '终期', 30, 1500000, 'final')`, k, k, k).Error; err != nil {
		t.Fatal(err)
	}
	fundPayMilestone(t, e, k, 1, 1_500_000)
	evaluator := e.IDOf(t, "users", "username = ?", "demo-evaluator")
	now := e.Clock.Now()
	if err := e.DB.Exec(`INSERT INTO evaluations (contract_id, subdistrict_id, kind, period_start, period_end, due_on, evaluator_id, status,
			declared_at, score, grade, submitted_at, submitted_by, created_at, updated_at)
		SELECT id, subdistrict_id, 'midterm', service_start, service_end, service_end, ?, 'submitted', ?, 70.0, 'pass', ?, ?, ?, ?
		FROM contracts WHERE id = ?`, evaluator, now, now, evaluator, now, now, k).Error; err != nil {
		t.Fatal(err)
	}
	type row struct {
		ContractID    int64     `json:"contract_id"`
		Status        string    `json:"status"`
		AmountFen     money.Fen `json:"amount_fen"`
		ReservedFen   money.Fen `json:"reserved_fen"`
		EncumberedFen money.Fen `json:"encumbered_fen"`
		PayableFen    money.Fen `json:"payable_fen"`
		PaidFen       money.Fen `json:"paid_fen"`
		WithheldFen   money.Fen `json:"withheld_fen"`
	}
	want := row{ContractID: k, Status: "active", AmountFen: 5_000_000, EncumberedFen: 3_500_000, PaidFen: 1_500_000, WithheldFen: 200_000}
	for _, who := range []string{"demo-officer", "demo-finance", "demo-district", "demo-admin", "demo-officer2"} {
		var out struct {
			Contracts []row `json:"contracts"`
		}
		servertest.Call(t, e, "GET", "/api/v1/reports/funds", e.Token(t, who), nil, http.StatusOK, &out)
		var got []row
		for _, r := range out.Contracts {
			if r.ContractID == k {
				got = append(got, r)
			}
		}
		if who == "demo-officer2" {
			if len(out.Contracts) != 0 {
				t.Errorf("as %s: contracts %+v, want none of A's", who, out.Contracts)
			}
			continue
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("as %s: contract %d in the fund report = %+v, want %+v", who, k, got, want)
		}
	}
}
