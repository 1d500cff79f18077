package demo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// demoRound is a payment round as the checks read it.
type demoRound struct {
	Seq        int
	State      string
	Factor     string
	PayableFen money.Fen
	Invoiced   bool
	Payout     string // the payout's provider and state, "" without one
}

// contractOf returns the id of the contract whose tender's title ends with
// title (after its service year).
func contractOf(t *testing.T, db *gorm.DB, title string) int64 {
	t.Helper()
	var id int64
	if err := db.Raw(`SELECT c.id FROM contracts c JOIN tenders t ON t.id = c.tender_id WHERE t.title LIKE ?`, "%年度"+title).
		Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("the contract of %s: %v", title, err)
	}
	return id
}

// roundsOf returns the contract's payment rounds, by milestone and round.
func roundsOf(t *testing.T, db *gorm.DB, contractID int64) []demoRound {
	t.Helper()
	var out []demoRound
	if err := db.Raw(`SELECT m.seq, p.state, p.factor::text AS factor, p.payable_fen, p.invoice_document_id IS NOT NULL AS invoiced,
			coalesce(o.provider || ' ' || o.state, '') AS payout
		FROM milestone_payments p JOIN contract_milestones m ON m.id = p.milestone_id LEFT JOIN payouts o ON o.id = p.payout_id
		WHERE p.contract_id = ? ORDER BY m.seq, p.round`, contractID).Scan(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// demoEvaluation is an evaluation as the checks read it.
type demoEvaluation struct {
	Kind      string
	Status    string
	Score     string
	Grade     string
	Evaluator string
	Declared  bool
	PeriodEnd civil.Date
	DueOn     civil.Date
}

func evaluationsOf(t *testing.T, db *gorm.DB, contractID int64) []demoEvaluation {
	t.Helper()
	var out []demoEvaluation
	if err := db.Raw(`SELECT e.kind, e.status, coalesce(e.score::text, '') AS score, coalesce(e.grade, '') AS grade, u.username AS evaluator,
			e.declared_at IS NOT NULL AS declared, e.period_end, e.due_on
		FROM evaluations e JOIN users u ON u.id = e.evaluator_id WHERE e.contract_id = ? ORDER BY e.id`, contractID).Scan(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// checkPayments checks the evaluations and milestone payments of the demo
// contracts: a completed contract with every milestone paid and its final
// score, a contract with a withheld milestone and a rectification order,
// an evaluation waiting for demo-evaluator, a payment waiting for finance's
// approval and one for the bank transfer's confirmation.
func checkPayments(t *testing.T, db *gorm.DB, now time.Time, ids map[string]int64) {
	t.Helper()
	today := civil.ChinaDate(now)
	paid := "manual paid"

	// 康乐's short project: completed, every milestone paid in full.
	done := contractOf(t, db, "仁皇山社区独居老人安全巡访专项服务项目")
	wantRounds := []demoRound{{1, "paid", "1.000000", 345_000, true, paid}, {2, "paid", "1.000000", 460_000, true, paid},
		{3, "paid", "1.000000", 345_000, true, paid}}
	if diff := cmp.Diff(wantRounds, roundsOf(t, db, done)); diff != "" {
		t.Errorf("payment rounds of the completed contract (-want +got):\n%s", diff)
	}
	// The scores the README names: every figure is computed from the seed's
	// records and ratings, or entered by the seed's evaluator.
	evs := evaluationsOf(t, db, done)
	if len(evs) != 2 || evs[0].Kind != "midterm" || evs[1].Kind != "final" || evs[0].Status != "submitted" || evs[1].Status != "submitted" ||
		evs[0].Score != "83.2" || evs[0].Grade != "good" || evs[1].Score != "97.6" || evs[1].Grade != "excellent" {
		t.Errorf("evaluations of the completed contract = %+v, want a mid-term of 83.2 and a final of 97.6 submitted", evs)
	}
	var c struct {
		Status     string
		FinalScore *string
		EndedAt    *time.Time
	}
	if err := db.Raw(`SELECT status, final_score::text AS final_score, ended_at FROM contracts WHERE id = ?`, done).Scan(&c).Error; err != nil {
		t.Fatal(err)
	}
	if c.Status != "completed" || c.FinalScore == nil || len(evs) != 2 || *c.FinalScore != evs[1].Score || c.EndedAt == nil || !c.EndedAt.Before(now) {
		t.Errorf("the completed contract = %+v, want completed before now with its final evaluation's score as its final score", c)
	}

	// 安馨's short project: its mid-term failed, the mid-term milestone is
	// withheld and a rectification order waits for the organization's report;
	// the signing milestone is approved, its bank transfer to be confirmed.
	failing := contractOf(t, db, "南街社区高龄老人集中走访专项服务项目")
	wantRounds = []demoRound{{1, "approved", "1.000000", 426_000, true, "manual requested"}, {2, "withheld", "0.000000", 0, false, ""}}
	if diff := cmp.Diff(wantRounds, roundsOf(t, db, failing)); diff != "" {
		t.Errorf("payment rounds of the failing contract (-want +got):\n%s", diff)
	}
	if evs := evaluationsOf(t, db, failing); len(evs) != 1 || evs[0].Kind != "midterm" || evs[0].Status != "submitted" || evs[0].Score != "51.4" ||
		evs[0].Grade != "fail" {
		t.Errorf("evaluations of the failing contract = %+v, want its mid-term failed at 51.4", evs)
	}
	var order struct {
		Deadline civil.Date
		Reported bool
	}
	if err := db.Raw(`SELECT deadline, report IS NOT NULL AS reported FROM rectification_orders WHERE contract_id = ?`, failing).
		Scan(&order).Error; err != nil || !order.Deadline.After(today) || order.Reported {
		t.Errorf("rectification order of the failing contract = %+v (%v), want one due after today, not yet reported", order, err)
	}

	// 康乐's year-long contract: the signing milestone paid, the mid-term
	// evaluation assigned to demo-evaluator, who may declare and submit it now.
	kangle := contractOf(t, db, "爱山街道独居老人关爱探访服务项目")
	if diff := cmp.Diff([]demoRound{{1, "paid", "1.000000", 5_880_000, true, paid}}, roundsOf(t, db, kangle)); diff != "" {
		t.Errorf("payment rounds of 康乐's active contract (-want +got):\n%s", diff)
	}
	if evs := evaluationsOf(t, db, kangle); len(evs) != 1 || evs[0].Kind != "midterm" || evs[0].Status != "scheduled" ||
		evs[0].Evaluator != "demo-evaluator" || evs[0].Declared || evs[0].PeriodEnd.After(today) || evs[0].DueOn.Before(today) {
		t.Errorf("evaluations of 康乐's active contract = %+v, want a mid-term waiting for demo-evaluator, its period over, not yet due", evs)
	}

	// 安馨's year-long contract: the signing milestone accepted and invoiced,
	// waiting for finance's approval.
	anxin := contractOf(t, db, "衣裳街社区空巢老人上门照护服务项目")
	if diff := cmp.Diff([]demoRound{{1, "accepted", "1.000000", 2_550_000, true, ""}}, roundsOf(t, db, anxin)); diff != "" {
		t.Errorf("payment rounds of 安馨's active contract (-want +got):\n%s", diff)
	}

	// Each step told whoever acts next.
	for _, n := range []struct {
		who   string
		id    int64
		kind  string
		users bool
	}{
		{"demo-evaluator", ids["demo-evaluator"], "evaluation_assigned", true},
		{"demo-org3", ids["demo-org3"], "rectification_ordered", false},
		{"demo-org", ids["demo-org"], "milestone_paid", false},
	} {
		col := "organization_id"
		if n.users {
			col = "user_id"
		}
		var got int64
		if err := db.Table("notifications").Where(col+" = ? AND kind = ?", n.id, n.kind).Count(&got).Error; err != nil || got == 0 {
			t.Errorf("%s has no %s notification (%v)", n.who, n.kind, err)
		}
	}
	var finance int64
	if err := db.Raw(`SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'demo-finance' AND n.kind = 'milestone_ready'`).
		Scan(&finance).Error; err != nil || finance == 0 {
		t.Errorf("demo-finance has no milestone_ready notification (%v)", err)
	}
}

// checkPerformance opens the demo's closed tender at its opening time: its
// bidders' records are taken then, after 康乐's short project was
// completed, so 康乐 is scored by that contract's final score and 安馨, with
// no completed contract, as a newcomer.
func checkPerformance(t *testing.T, db *gorm.DB, clk *clock.Manual, svc *tender.Service, ids map[string]int64) {
	t.Helper()
	var closed tender.Tender
	if err := db.Where("status = ?", tender.StatusClosed).Take(&closed).Error; err != nil {
		t.Fatal(err)
	}
	clk.Set(closed.OpensAt)
	if _, err := svc.Advance(context.Background(), closed.ID); err != nil {
		t.Fatalf("Advance(the closed tender) error = %v", err)
	}
	var final string
	if err := db.Raw(`SELECT final_score::numeric(6, 2)::text FROM contracts WHERE organization_id = ? AND status = 'completed'`,
		ids["demo-org"]).Scan(&final).Error; err != nil || final == "" {
		t.Fatalf("康乐's final score: %q, %v", final, err)
	}
	var rows []struct {
		OrganizationID int64
		Newcomer       bool
		Percent        string
	}
	if err := db.Raw(`SELECT organization_id, newcomer, (percent_num / percent_den)::numeric(6, 2)::text AS percent
		FROM bid_performance WHERE tender_id = ? ORDER BY organization_id`, closed.ID).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		for _, who := range []string{"demo-org", "demo-org3"} {
			if ids[who] == r.OrganizationID {
				got[who] = fmt.Sprintf("%s newcomer=%v", r.Percent, r.Newcomer)
			}
		}
	}
	// One completed contract with fewer ratings than the public minimum: R = S, P = S.
	want := map[string]string{"demo-org": final + " newcomer=false", "demo-org3": "60.00 newcomer=true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("performance records taken at the closed tender's opening (-want +got):\n%s", diff)
	}
}
