package milestone_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// shape is what a test checks of a milestone.
type shape struct {
	Status                  string
	Score, Factor           string
	Payable, Paid, Withheld money.Fen
	States                  []string // its rounds' states, in order
}

func shapeOf(m milestone.Milestone) shape {
	s := shape{Status: m.Status, Payable: m.PayableFen, Paid: m.PaidFen, Withheld: m.WithheldFen, States: []string{}}
	if m.Score != nil {
		s.Score = *m.Score
	}
	if m.Factor != nil {
		s.Factor = *m.Factor
	}
	for _, p := range m.Payments {
		s.States = append(s.States, p.State)
	}
	return s
}

func (w *world) wantShape(t testing.TB, seq int, want shape) milestone.Milestone {
	t.Helper()
	m := w.milestone(t, seq)
	if diff := cmp.Diff(want, shapeOf(m)); diff != "" {
		t.Errorf("milestone %d (-want +got):\n%s", seq, diff)
	}
	return m
}

// WORKED_EXAMPLES.md §4 through the whole flow: a 450,000.00 contract with
// milestones of 30/40/30; the signing pays 135,000.00, a mid-term evaluation
// of 70 pays 162,000.00 and withholds 18,000.00, which stays encumbered; a
// final evaluation of 85 pays 135,000.00, which completes the contract: its
// final score is recorded and the 18,000.00 return to available money.
func TestWorkedExampleMilestones(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 45_000_000)
	before := w.balances(t)
	s := w.schedule(t)
	if len(s.Items) != 3 || s.AmountFen != 45_000_000 || s.EncumberedFen != 45_000_000 {
		t.Fatalf("schedule after signing = %+v, want 3 milestones of 450,000.00, all encumbered", s)
	}
	w.wantShape(t, 1, shape{Status: "due", Factor: "1.00", Payable: 13_500_000, States: []string{"due"}})
	w.wantShape(t, 2, shape{Status: "pending", States: []string{}})
	w.wantShape(t, 3, shape{Status: "pending", States: []string{}})

	signing := w.pay(t, s.Items[0].ID)
	if diff := cmp.Diff(shape{Status: "paid", Factor: "1.00", Payable: 13_500_000, Paid: 13_500_000, States: []string{"paid"}}, shapeOf(signing)); diff != "" {
		t.Errorf("signing milestone once paid (-want +got):\n%s", diff)
	}

	w.submit(t, evaluation.KindMidterm, 700, 0)
	mid := w.wantShape(t, 2, shape{Status: "due", Score: "70.0", Factor: "0.90", Payable: 16_200_000, Withheld: 1_800_000, States: []string{"due"}})
	w.pay(t, mid.ID)
	w.wantShape(t, 2, shape{Status: "paid", Score: "70.0", Factor: "0.90", Payable: 16_200_000, Paid: 16_200_000, Withheld: 1_800_000,
		States: []string{"paid"}})
	s = w.schedule(t)
	if s.PaidFen != 29_700_000 || s.WithheldFen != 1_800_000 || s.EncumberedFen != 15_300_000 {
		t.Errorf("after the mid-term: paid %s, withheld %s, encumbered %s; want 297,000.00, 18,000.00 and 153,000.00 (the final 135,000.00 and the withheld 18,000.00)",
			s.PaidFen.Grouped(), s.WithheldFen.Grouped(), s.EncumberedFen.Grouped())
	}
	mid1 := w.balances(t)
	if mid1["encumbered"] != before["encumbered"]-29_700_000 || mid1["paid"] != before["paid"]+29_700_000 || mid1["payable"] != before["payable"] {
		t.Errorf("fund after the mid-term = %v, want 297,000.00 moved from encumbered to paid (before %v)", mid1, before)
	}

	w.submit(t, evaluation.KindFinal, 850, 0)
	final := w.wantShape(t, 3, shape{Status: "due", Score: "85.0", Factor: "1.00", Payable: 13_500_000, States: []string{"due"}})
	w.pay(t, final.ID)
	c := w.contractRow(t)
	if c.Status != contract.StatusCompleted || c.EndedAt == nil {
		t.Errorf("contract after its final milestone was paid: status %s, want completed", c.Status)
	}
	var score string
	if err := w.e.DB.Raw(`SELECT final_score::text FROM contracts WHERE id = ?`, w.contract.ID).Scan(&score).Error; err != nil || score != "85.0" {
		t.Errorf("final_score = %q (%v), want 85.0", score, err)
	}
	after := w.balances(t)
	want := map[string]money.Fen{"available": before["available"] + 1_800_000, "encumbered": before["encumbered"] - 45_000_000,
		"payable": before["payable"], "paid": before["paid"] + 43_200_000, "reserved": before["reserved"], "source": before["source"]}
	if diff := cmp.Diff(want, after); diff != "" {
		t.Errorf("fund after completion (-want +got):\n%s", diff)
	}
	if s = w.schedule(t); s.ContractStatus != contract.StatusCompleted || s.EncumberedFen != 0 || s.PaidFen != 43_200_000 || s.WithheldFen != 1_800_000 {
		t.Errorf("schedule after completion = status %s, encumbered %s, paid %s, withheld %s; want completed, 0, 432,000.00, 18,000.00",
			s.ContractStatus, s.EncumberedFen.Grouped(), s.PaidFen.Grouped(), s.WithheldFen.Grouped())
	}
	for action, n := range map[string]int64{"milestone.due": 3, "milestone.accept": 3, "milestone.invoice": 3, "milestone.approve": 3,
		"milestone.paid": 3, "contract.complete": 1} {
		if got := servertest.CountWhere(t, w.e, "audit_entries", "action = ?", action); got != n {
			t.Errorf("audit entries %s = %d, want %d", action, got, n)
		}
	}
}

// The signing makes the signing milestone due; a mid-term or final
// evaluation the milestones after it, once per evaluation; an ad-hoc one
// nothing. Those who act next are told.
func TestDueTriggers(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 45_000_000)
	if n := servertest.CountWhere(t, w.e, "notifications", "kind = ? AND contract_id = ?", milestone.KindDue, w.contract.ID); n < 2 {
		t.Errorf("notices of the due signing milestone = %d, want the officers and the organization told", n)
	}
	before := w.schedule(t)
	w.submit(t, evaluation.KindAdhoc, 500, 0)
	if diff := cmp.Diff(before, w.schedule(t)); diff != "" {
		t.Errorf("an ad-hoc evaluation changed the milestones (-before +after):\n%s", diff)
	}

	mid := w.submit(t, evaluation.KindMidterm, 950, 0)
	w.wantShape(t, 2, shape{Status: "due", Score: "95.0", Factor: "1.00", Payable: 18_000_000, States: []string{"due"}})
	w.wantShape(t, 3, shape{Status: "pending", States: []string{}})
	// The same submission heard twice adds nothing.
	if err := w.e.DB.Transaction(func(tx *gorm.DB) error { return w.svc.EvaluationSubmitted(tx, w.evaluator, mid) }); err != nil {
		t.Fatalf("EvaluationSubmitted() again error = %v", err)
	}
	w.wantShape(t, 2, shape{Status: "due", Score: "95.0", Factor: "1.00", Payable: 18_000_000, States: []string{"due"}})

	w.submit(t, evaluation.KindFinal, 800, 0)
	w.wantShape(t, 3, shape{Status: "due", Score: "80.0", Factor: "1.00", Payable: 13_500_000, States: []string{"due"}})
	if n := servertest.CountWhere(t, w.e, "audit_entries", "action = 'milestone.due'"); n != 3 {
		t.Errorf("milestone.due audit entries = %d, want 3", n)
	}

	// A terminated contract's milestones are not paid, and an evaluation
	// submitted after the termination makes nothing due.
	t.Run("after termination", func(t *testing.T) {
		w := newWorld(t, 30_000_000)
		if _, err := w.e.Services.Contracts.Terminate(ctx, w.officer, w.contract.ID, contract.TerminateInput{Reason: "机构无法继续提供服务"}); err != nil {
			t.Fatalf("Terminate() error = %v", err)
		}
		w.submit(t, evaluation.KindMidterm, 900, 0)
		w.wantShape(t, 2, shape{Status: "pending", States: []string{}})
		if _, err := w.svc.Accept(ctx, w.officer, w.milestone(t, 1).ID, "验收"); !errors.Is(err, milestone.ErrNotInForce) {
			t.Errorf("Accept() on a terminated contract error = %v, want %v", err, milestone.ErrNotInForce)
		}
	})
}

// A failing mid-term withholds the whole milestone: nothing to accept,
// invoice or approve, all of it encumbered. A passing re-evaluation pays the
// milestone amount × its factor as a new round.
func TestWithheldThenReevaluation(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 45_000_000)
	first := w.submit(t, evaluation.KindMidterm, 559, 0)
	m := w.wantShape(t, 2, shape{Status: "due", Score: "55.9", Factor: "0.00", Withheld: 18_000_000, States: []string{"withheld"}})
	if _, err := w.svc.Accept(ctx, w.officer, m.ID, "验收"); !errors.Is(err, milestone.ErrNotDue) {
		t.Errorf("Accept() of a withheld milestone error = %v, want %v", err, milestone.ErrNotDue)
	}
	if _, err := w.svc.Approve(ctx, w.finance, m.ID); !errors.Is(err, milestone.ErrNotAccepted) {
		t.Errorf("Approve() of a withheld milestone error = %v, want %v", err, milestone.ErrNotAccepted)
	}
	if n := servertest.CountWhere(t, w.e, "notifications", "kind = ? AND contract_id = ?", milestone.KindWithheld, w.contract.ID); n < 2 {
		t.Errorf("notices of the withheld milestone = %d, want the officers and the organization told", n)
	}
	if s := w.schedule(t); s.EncumberedFen != 45_000_000 || s.WithheldFen != 18_000_000 {
		t.Errorf("schedule after a failing mid-term: encumbered %s, withheld %s; want 450,000.00 and 180,000.00", s.EncumberedFen.Grouped(), s.WithheldFen.Grouped())
	}

	w.submit(t, evaluation.KindMidterm, 750, first.ID)
	m = w.wantShape(t, 2, shape{Status: "due", Score: "75.0", Factor: "0.95", Payable: 17_100_000, Withheld: 900_000,
		States: []string{"withheld", "due"}})
	w.pay(t, m.ID)
	w.wantShape(t, 2, shape{Status: "paid", Score: "75.0", Factor: "0.95", Payable: 17_100_000, Paid: 17_100_000, Withheld: 900_000,
		States: []string{"withheld", "paid"}})
	if c := w.contractRow(t); c.Status != contract.StatusSigned {
		t.Errorf("contract status = %s, want still signed: the final milestone is not paid", c.Status)
	}
}

// Under a policy that pays something below a passing grade, a re-evaluation
// tops up what was paid: the milestone amount × (its factor − the factor
// already paid). A round still awaiting approval when a re-evaluation comes
// is superseded by it. The final score is the first final evaluation's.
func TestReevaluationTopsUp(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 45_000_000)
	if err := w.e.DB.Exec(`UPDATE contracts SET payment_policy = '{"full_at": 80, "floor_at": 50, "floor_percent": 80}' WHERE id = ?`,
		w.contract.ID).Error; err != nil {
		t.Fatal(err)
	}
	w.pay(t, w.milestone(t, 1).ID)

	first := w.submit(t, evaluation.KindMidterm, 550, 0)
	m := w.wantShape(t, 2, shape{Status: "due", Score: "55.0", Factor: "0.833333", Payable: 15_000_000, Withheld: 3_000_000, States: []string{"due"}})
	w.pay(t, m.ID)
	w.submit(t, evaluation.KindMidterm, 800, first.ID)
	m = w.wantShape(t, 2, shape{Status: "due", Score: "80.0", Factor: "1.00", Payable: 18_000_000, Paid: 15_000_000, States: []string{"paid", "due"}})
	if p := m.Payments[1]; p.EarlierFen != 15_000_000 || p.PayableFen != 3_000_000 {
		t.Errorf("top-up round = earlier %s, payable %s; want 150,000.00 and 30,000.00", p.EarlierFen.Grouped(), p.PayableFen.Grouped())
	}
	w.pay(t, m.ID)
	w.wantShape(t, 2, shape{Status: "paid", Score: "80.0", Factor: "1.00", Payable: 18_000_000, Paid: 18_000_000, States: []string{"paid", "paid"}})

	finalEv := w.submit(t, evaluation.KindFinal, 550, 0)
	f := w.milestone(t, 3)
	if _, err := w.svc.Accept(ctx, w.officer, f.ID, "终期验收"); err != nil {
		t.Fatalf("Accept() error = %v", err)
	}
	w.submit(t, evaluation.KindFinal, 900, finalEv.ID)
	f = w.wantShape(t, 3, shape{Status: "due", Score: "90.0", Factor: "1.00", Payable: 13_500_000, States: []string{"superseded", "due"}})
	w.pay(t, f.ID)
	c := w.contractRow(t)
	var score string
	if err := w.e.DB.Raw(`SELECT final_score::text FROM contracts WHERE id = ?`, w.contract.ID).Scan(&score).Error; err != nil {
		t.Fatal(err)
	}
	if c.Status != contract.StatusCompleted || score != "55.0" {
		t.Errorf("contract after its final re-evaluation was paid: status %s, final score %s; want completed, 55.0 (the first final evaluation's)", c.Status, score)
	}
	if s := w.schedule(t); s.PaidFen != 45_000_000 || s.WithheldFen != 0 || s.EncumberedFen != 0 {
		t.Errorf("schedule after completion: paid %s, withheld %s, encumbered %s; want all 450,000.00 paid", s.PaidFen.Grouped(), s.WithheldFen.Grouped(), s.EncumberedFen.Grouped())
	}
}

// Terminating a contract returns what it still holds encumbered, withheld
// amounts included; what was paid stays paid.
func TestTerminationReturnsWithheld(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 45_000_000)
	w.pay(t, w.milestone(t, 1).ID)
	w.submit(t, evaluation.KindMidterm, 500, 0)
	before := w.balances(t)
	if _, err := w.e.Services.Contracts.Terminate(ctx, w.officer, w.contract.ID, contract.TerminateInput{Reason: "整改不到位，解除合同"}); err != nil {
		t.Fatalf("Terminate() error = %v", err)
	}
	after := w.balances(t)
	if after["available"] != before["available"]+31_500_000 || after["encumbered"] != before["encumbered"]-31_500_000 || after["paid"] != before["paid"] {
		t.Errorf("fund after termination = %v, want 315,000.00 (the withheld 180,000.00 and the final 135,000.00) back to available (before %v)", after, before)
	}
	if s := w.schedule(t); s.EncumberedFen != 0 || s.PaidFen != 13_500_000 || s.WithheldFen != 18_000_000 {
		t.Errorf("schedule after termination: encumbered %s, paid %s, withheld %s; want 0, 135,000.00, 180,000.00",
			s.EncumberedFen.Grouped(), s.PaidFen.Grouped(), s.WithheldFen.Grouped())
	}
}

// The database keeps the accepting and the approving users apart too, and
// a paid round never changes.
func TestPaymentRowGuards(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 30_000_000)
	m := w.milestone(t, 1)
	if _, err := w.svc.Accept(ctx, w.officer, m.ID, "验收"); err != nil {
		t.Fatalf("Accept() error = %v", err)
	}
	w.invoice(t, m.ID, m.PayableFen)
	other := servertest.RequestPayout(t, w.e.DB, servertest.ManualPayouts(w.e), w.finance, w.e.Demo(t).FundA, w.e.Demo(t).Org1, 100, "guard-test")
	err := w.e.DB.Exec(`UPDATE milestone_payments SET state = 'approved', approved_by = accepted_by, approved_at = now(), payout_id = ?
		WHERE milestone_id = ?`, other.ID, m.ID).Error
	if err == nil || !strings.Contains(err.Error(), "milestone_payments_two_people") {
		t.Errorf("approving as the accepting user in SQL: error = %v, want the milestone_payments_two_people check", err)
	}
	approved, err := w.svc.Approve(ctx, w.finance, m.ID)
	if err != nil {
		t.Fatalf("Approve() error = %v", err)
	}
	if _, err := w.e.Services.Payouts.ConfirmManual(ctx, w.finance, approved.Payments[0].Payout.ID, "BANK-1"); err != nil {
		t.Fatalf("ConfirmManual() error = %v", err)
	}
	paid := w.milestone(t, 1)
	if paid.Status != milestone.MilestonePaid {
		t.Fatalf("milestone after the payout = %s, want paid", paid.Status)
	}
	err = w.e.DB.Exec(`UPDATE milestone_payments SET accept_note = '改写' WHERE id = ?`, paid.Payments[0].ID).Error
	if err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Errorf("changing a paid round: error = %v, want it refused", err)
	}
}
