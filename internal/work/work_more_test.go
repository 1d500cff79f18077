package work_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// An amendment waits for the other party: the officer decides the
// organization's, the organization's admin answers the subdistrict's.
func TestAmendmentWork(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	now := e.Clock.Now()
	insert := func(side string) int64 {
		var id int64
		if err := e.DB.Raw(`INSERT INTO contract_amendments (contract_id, base_version, proposed_side, reason, changes, status, proposed_at)
			VALUES (?, 1, ?, '变更', '{}', 'proposed', ?) RETURNING id`, c.ID, side, now).Scan(&id).Error; err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := insert("organization")
	sees(t, e, "contract.amendment", a, []string{"demo-officer"}, except("demo-officer")...)
	exec(t, e, `UPDATE contract_amendments SET status = 'rejected', decided_at = ? WHERE id = ?`, now, a)
	sees(t, e, "contract.amendment", a, nil, everyone...)
	b := insert("subdistrict")
	sees(t, e, "org.amendment", b, []string{"demo-org"}, except("demo-org")...)
	sees(t, e, "contract.amendment", b, nil, everyone...)
	exec(t, e, `UPDATE contract_amendments SET status = 'withdrawn', decided_at = ? WHERE id = ?`, now, b)
	sees(t, e, "org.amendment", b, nil, everyone...)
}

// An open challenge waits for the officer until answered, due at the end of
// the challenge period.
func TestChallengeWork(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	d := e.Demo(t)
	now := e.Clock.Now().Truncate(time.Second)
	ends := now.Add(72 * time.Hour)
	var tenderID, proposal, id int64
	if err := e.DB.Raw("SELECT tender_id FROM contracts WHERE id = ?", c.ID).Scan(&tenderID).Error; err != nil {
		t.Fatal(err)
	}
	exec(t, e, `UPDATE tenders SET status = 'award_proposed', awarded_at = NULL, challenge_ends_at = ? WHERE id = ?`, ends, tenderID)
	if err := e.DB.Raw(`INSERT INTO award_proposals (tender_id, round, status, bid_ids, score_table, proposed_at, challenge_ends_at)
		VALUES (?, 1, 'proposed', '[1]', '{}', ?, ?) RETURNING id`, tenderID, now, ends).Scan(&proposal).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Raw(`INSERT INTO challenges (tender_id, award_proposal_id, organization_id, reasons, status, filed_at)
		VALUES (?, ?, ?, '质疑', 'open', ?) RETURNING id`, tenderID, proposal, d.Org2, now).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	it := sees(t, e, "tender.challenge", id, []string{"demo-officer"}, except("demo-officer")...)
	dueAt(t, it, ends)
	exec(t, e, `UPDATE challenges SET status = 'dismissed', answer = '不成立', answered_at = ? WHERE id = ?`, now, id)
	sees(t, e, "tender.challenge", id, nil, everyone...)
}

// An organization sees the open tenders it may bid on that close within 7
// days while it has no bid, and a bid to reconfirm after an amendment.
func TestBidWork(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	now := e.Clock.Now().Truncate(time.Second)
	var tenderID, bidID int64
	if err := e.DB.Raw("SELECT tender_id, bid_id FROM contracts WHERE id = ?", c.ID).Row().Scan(&tenderID, &bidID); err != nil {
		t.Fatal(err)
	}
	closes := now.Add(72 * time.Hour)
	exec(t, e, `UPDATE tenders SET status = 'published', awarded_at = NULL, questions_close_at = ?, closes_at = ?, opens_at = ? WHERE id = ?`,
		now.Add(time.Hour), closes, closes, tenderID)
	// demo-org has a bid: nothing to do until an amendment asks to reconfirm it.
	sees(t, e, "tender.open", tenderID, nil, everyone...)
	sees(t, e, "bid.reconfirm", bidID, nil, everyone...)
	exec(t, e, `UPDATE bids SET needs_reconfirmation = true WHERE id = ?`, bidID)
	it := sees(t, e, "bid.reconfirm", bidID, []string{"demo-org", "demo-member"}, except("demo-org", "demo-member")...)
	dueAt(t, it, closes)
	exec(t, e, `UPDATE bids SET status = 'withdrawn', ended_at = ? WHERE id = ?`, now, bidID)
	sees(t, e, "bid.reconfirm", bidID, nil, everyone...)
	it = sees(t, e, "tender.open", tenderID, []string{"demo-org", "demo-member"}, "demo-officer", "demo-officer2", "demo-resident", "demo-evaluator")
	dueAt(t, it, closes)
	// Closing in more than 7 days: not yet.
	exec(t, e, `UPDATE tenders SET closes_at = ?, opens_at = ? WHERE id = ?`, now.Add(8*24*time.Hour), now.Add(8*24*time.Hour), tenderID)
	sees(t, e, "tender.open", tenderID, nil, everyone...)
}

// A failing evaluation's rectification order waits for the organization's
// report (due at the end of its deadline day); the report makes the officer's
// re-evaluation due. A contract past the middle of its period waits for its
// mid-term evaluation; an assigned evaluation waits for its evaluator.
func TestEvaluationWork(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	d := e.Demo(t)
	now := e.Clock.Now()
	sees(t, e, "evaluation.schedule", c.ID, nil, everyone...)
	exec(t, e, `UPDATE contracts SET service_start = service_start - 400 WHERE id = ?`, c.ID)
	sees(t, e, "evaluation.schedule", c.ID, []string{"demo-officer"}, except("demo-officer")...)
	ev := e.SubmittedEvaluation(t, c.ID, "midterm", 500, 0)
	sees(t, e, "evaluation.schedule", c.ID, nil, everyone...)

	deadline := civil.ChinaDate(now).AddDays(10)
	var order int64
	if err := e.DB.Raw(`INSERT INTO rectification_orders (evaluation_id, contract_id, subdistrict_id, requirements, deadline, issued_at)
		VALUES (?, ?, ?, '整改', ?, ?) RETURNING id`, ev.ID, c.ID, d.SubA, deadline.String(), now).Scan(&order).Error; err != nil {
		t.Fatal(err)
	}
	it := sees(t, e, "rectification.due", order, []string{"demo-officer"}, except("demo-officer")...)
	dueAt(t, it, time.Date(deadline.Year, deadline.Month, deadline.Day+1, 0, 0, 0, 0, civil.China))
	sees(t, e, "org.rectification", order, []string{"demo-org"}, except("demo-org")...)
	exec(t, e, `UPDATE rectification_orders SET report = '已整改', reported_at = ? WHERE id = ?`, now, order)
	sees(t, e, "rectification.due", order, nil, everyone...)
	sees(t, e, "org.rectification", order, nil, everyone...)
	sees(t, e, "evaluation.reevaluate", order, []string{"demo-officer"}, except("demo-officer")...)
	e.SubmittedEvaluation(t, c.ID, "midterm", 850, ev.ID)
	sees(t, e, "evaluation.reevaluate", order, nil, everyone...)

	evaluator := e.ActorOf(t, "demo-evaluator")
	due := civil.ChinaDate(now).AddDays(20)
	var id int64
	if err := e.DB.Raw(`INSERT INTO evaluations (contract_id, subdistrict_id, kind, period_start, period_end, due_on, evaluator_id, status, created_at, updated_at)
		VALUES (?, ?, 'adhoc', ?, ?, ?, ?, 'scheduled', ?, ?) RETURNING id`, c.ID, d.SubA, c.ServiceStart.String(), civil.ChinaDate(now).String(),
		due.String(), evaluator.UserID, now, now).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	it = sees(t, e, "evaluation.perform", id, []string{"demo-evaluator"}, except("demo-evaluator")...)
	dueAt(t, it, time.Date(due.Year, due.Month, due.Day+1, 0, 0, 0, 0, civil.China))
	exec(t, e, `UPDATE evaluations SET status = 'cancelled', cancel_reason = '取消' WHERE id = ?`, id)
	sees(t, e, "evaluation.perform", id, nil, everyone...)
}

// A resident's rating waits for the organization's reply.
func TestRatingWork(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	ctx := context.Background()
	c := e.ActiveContract(t)
	org := e.ActorOf(t, "demo-org")
	r, err := e.Services.Records.Record(ctx, org, c.ID, delivery.Input{Date: civil.ChinaDate(e.Clock.Now()).String(),
		CommunityID: c.Communities[0], ServiceType: "service_visits", DurationMinutes: 30, StaffName: "张三", BeneficiaryRef: "R-001"})
	if err != nil {
		t.Fatal(err)
	}
	code, err := e.Services.Records.RatingCode(ctx, org, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.Services.Ratings.Submit(ctx, access.Anonymous("w", "10.0.0.9"), code.Code, rating.Stars{Timeliness: 4,
		Professionalism: 4, Attitude: 4, Effectiveness: 4, Overall: 4})
	if err != nil {
		t.Fatal(err)
	}
	sees(t, e, "rating.reply", v.ID, []string{"demo-org", "demo-member"}, except("demo-org", "demo-member")...)
	if _, err := e.Services.Ratings.Reply(ctx, org, v.ID, "谢谢"); err != nil {
		t.Fatal(err)
	}
	sees(t, e, "rating.reply", v.ID, nil, everyone...)
}

// The finance officer approves accepted and invoiced milestones (not the
// one who accepted them) and reconciles failed payouts.
func TestFinanceWork(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	ctx := context.Background()
	d := e.Demo(t)
	c := e.SignedContract(t, 1_000_000)
	var p struct {
		ID          int64
		MilestoneID int64
		PayableFen  int64
	}
	if err := e.DB.Raw(`SELECT id, milestone_id, payable_fen FROM milestone_payments WHERE contract_id = ? AND state = 'due'`, c.ID).Scan(&p).Error; err != nil || p.ID == 0 {
		t.Fatalf("the due milestone payment: %v", err)
	}
	if _, err := e.Services.Milestones.Accept(ctx, e.ActorOf(t, "demo-officer"), p.MilestoneID, "验收合格"); err != nil {
		t.Fatal(err)
	}
	sees(t, e, "milestone.approve", p.ID, nil, everyone...) // no invoice yet
	pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
	if _, err := e.Services.Milestones.AttachInvoice(ctx, e.ActorOf(t, "demo-org"), p.MilestoneID,
		milestone.InvoiceInput{Kind: "invoice", Number: "INV-1", AmountFen: money.Fen(p.PayableFen)}, "invoice.pdf", bytes.NewReader(pdf)); err != nil {
		t.Fatal(err)
	}
	sees(t, e, "milestone.approve", p.ID, []string{"demo-finance"}, except("demo-finance")...)

	var payout int64
	if err := e.DB.Raw(`INSERT INTO payouts (fund_account_id, organization_id, amount_fen, provider, state, reference_type, reference_id)
		VALUES (?, ?, 100, 'stripe', 'failed', 'test', 'w-1') RETURNING id`, d.FundA, d.Org1).Scan(&payout).Error; err != nil {
		t.Fatal(err)
	}
	sees(t, e, "payout.failed", payout, []string{"demo-finance"}, except("demo-finance")...)
}

// Counts sums the pending items per navigation group.
func TestCounts(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	org := e.ActorOf(t, "demo-org")
	before, err := e.Services.Work.Counts(context.Background(), org)
	if err != nil {
		t.Fatal(err)
	}
	e.DraftContract(t, 1_000_000)
	after, err := e.Services.Work.Counts(context.Background(), org)
	if err != nil {
		t.Fatal(err)
	}
	if after["contracts"] != before["contracts"]+1 {
		t.Errorf("Counts()[contracts] = %d after a draft, %d before, want one more", after["contracts"], before["contracts"])
	}
	for g, n := range after {
		if g == "" || n <= 0 {
			t.Errorf("Counts() has %q: %d, want named groups with items", g, n)
		}
	}
}

// A tender past its opening time (and a grace hour) and still not opened
// waits for its officer, due at the opening time.
func TestOpeningWork(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	now := e.Clock.Now().Truncate(time.Second)
	var tenderID int64
	if err := e.DB.Raw("SELECT tender_id FROM contracts WHERE id = ?", c.ID).Scan(&tenderID).Error; err != nil {
		t.Fatal(err)
	}
	opens := now.Add(2 * time.Hour)
	exec(t, e, `UPDATE tenders SET status = 'published', awarded_at = NULL, questions_close_at = ?, closes_at = ?, opens_at = ? WHERE id = ?`,
		now.Add(time.Hour), opens, opens, tenderID)
	sees(t, e, "tender.opening", tenderID, nil, everyone...)
	e.Clock.Advance(150 * time.Minute)
	sees(t, e, "tender.opening", tenderID, nil, everyone...)
	e.Clock.Advance(time.Hour)
	it := sees(t, e, "tender.opening", tenderID, []string{"demo-officer"}, except("demo-officer")...)
	dueAt(t, it, opens)
	exec(t, e, `UPDATE tenders SET status = 'opened', opened_at = ? WHERE id = ?`, e.Clock.Now(), tenderID)
	sees(t, e, "tender.opening", tenderID, nil, everyone...)
}

// A fund account whose available balance falls below LowPercent of its
// reservations waits for the finance officer.
func TestFundLowWork(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	var bal struct{ Available, Reserved int64 }
	if err := e.DB.Raw(`SELECT (SELECT balance FROM ledger_accounts WHERE fund_account_id = ? AND kind = 'available') AS available,
		(SELECT balance FROM ledger_accounts WHERE fund_account_id = ? AND kind = 'reserved') AS reserved`, d.FundA, d.FundA).Scan(&bal).Error; err != nil {
		t.Fatal(err)
	}
	var category string
	if err := e.DB.Raw(`SELECT category_code FROM fund_account_categories WHERE fund_account_id = ? ORDER BY 1 LIMIT 1`, d.FundA).Scan(&category).Error; err != nil {
		t.Fatal(err)
	}
	reserve := func(amount int64, ref string) {
		t.Helper()
		err := e.DB.Transaction(func(tx *gorm.DB) error {
			_, err := fund.Reserve(tx, e.ActorOf(t, "demo-finance"), d.FundA, category, money.Fen(amount), fund.Ref{Type: "test", ID: ref})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if bal.Available*100 < bal.Reserved*fund.LowPercent {
		t.Fatalf("the demo fund starts low: %+v", bal)
	}
	sees(t, e, "fund.low", d.FundA, nil, everyone...)
	// Reserve all but 5 % of what will then be reserved.
	total := bal.Available + bal.Reserved
	keep := total * 5 / 100
	reserve(bal.Available-keep, "w-low")
	sees(t, e, "fund.low", d.FundA, []string{"demo-finance"}, except("demo-finance")...)
}

// Where payouts go through Stripe, an organization's admin is asked to set
// up its payout account until payouts are enabled; without Stripe, never.
func TestPayoutOnboardingWork(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithPayouts(t)
	e, d := pe.Env, pe.Demo(t)
	exec(t, e, `DELETE FROM organization_payout_accounts WHERE organization_id = ?`, d.Org1)
	sees(t, e, "payout.onboard", d.Org1, nil, everyone...)
	pe.UseStripe(t)
	sees(t, e, "payout.onboard", d.Org1, []string{"demo-org"}, except("demo-org")...)
	exec(t, e, `INSERT INTO organization_payout_accounts (organization_id, stripe_account_id, payouts_enabled) VALUES (?, 'acct_worklist', true)`, d.Org1)
	sees(t, e, "payout.onboard", d.Org1, nil, everyone...)
}
