package redflag_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/redflag"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// world is a demo-seeded database with fixtures written in SQL, as the
// lifecycle would leave them: red flags read what is stored.
type world struct {
	t    *testing.T
	e    *servertest.Env
	d    servertest.DemoIDs
	orgs []int64
	now  time.Time
	item struct {
		ItemID       int64
		Version      int
		CategoryCode string
	}
	svc *redflag.Service
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := servertest.NewEnv(t)
	w := &world{t: t, e: e, d: e.Demo(t), now: e.Clock.Now()}
	if err := e.DB.Table("organizations").Order("id").Pluck("id", &w.orgs).Error; err != nil || len(w.orgs) < 3 {
		t.Fatalf("demo organizations: %v, %d", err, len(w.orgs))
	}
	if err := e.DB.Raw(`SELECT v.item_id, v.version, v.category_code FROM transfer_item_versions v JOIN transfer_items i ON i.id = v.item_id
		WHERE i.subdistrict_id = ? AND v.status = 'published' ORDER BY v.item_id LIMIT 1`, w.d.SubA).Scan(&w.item).Error; err != nil || w.item.ItemID == 0 {
		t.Fatalf("a published transfer item of A: %v", err)
	}
	w.svc = redflag.New(e.DB, e.Clock, e.Cfg.RedFlags, e.Cfg.Tender.MinBiddingDays)
	return w
}

func (w *world) days(n int) time.Time { return w.now.AddDate(0, 0, n) }

// tenderRow is what a fixture tender varies.
type tenderRow struct {
	status        string
	published     time.Time // publication; closes 25 days later unless closes is set
	closes        time.Time
	opened        bool // opened_at set (at the close)
	short         bool
	justification string
	awarded       time.Time
}

func (w *world) tender(r tenderRow) int64 {
	w.t.Helper()
	if r.closes.IsZero() {
		r.closes = r.published.AddDate(0, 0, 25)
	}
	var opened, awarded *time.Time
	if r.opened {
		opened = &r.closes
	}
	if !r.awarded.IsZero() {
		awarded = &r.awarded
	}
	var id int64
	err := w.e.DB.Raw(`INSERT INTO tenders (subdistrict_id, transfer_item_id, transfer_item_version, title, category_code, purchase_method,
		fund_account_id, ceiling_fen, service_start, service_end, weight_price, weight_technical, weight_performance, min_grade,
		min_social_workers, min_bids, challenge_days, questions_close_at, closes_at, opens_at, status, published_at, opened_at, awarded_at,
		short_bidding_window, short_window_justification, created_at, updated_at)
		VALUES (?, ?, ?, '红旗测试项目', ?, 'open_tender', ?, 100000000, '2027-01-01', '2027-12-31', 30, 60, 10, 1, 0, 1, 5, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		w.d.SubA, w.item.ItemID, w.item.Version, w.item.CategoryCode, w.d.FundA, r.closes, r.closes, r.closes, r.status, r.published,
		opened, awarded, r.short, r.justification, r.published, r.published).Scan(&id).Error
	if err != nil {
		w.t.Fatalf("insert tender: %v", err)
	}
	return id
}

// bid inserts a bid of org received at; opened with a price, compliant and
// abnormally low as given, or still sealed when price is 0.
func (w *world) bid(tenderID, org int64, received time.Time, price money.Fen, compliant, abnormal bool) int64 {
	w.t.Helper()
	var opened *time.Time
	var p *money.Fen
	var ok *bool
	if price > 0 {
		opened, p, ok = &received, &price, &compliant
	}
	var id int64
	err := w.e.DB.Raw(`INSERT INTO bids (tender_id, organization_id, status, sealed, digest, seal_key_id, seal_version, received_at,
		opened_at, price_fen, compliant, abnormally_low, abnormal_reasons)
		VALUES (?, ?, 'active', '\x00', repeat('a', 64), repeat('b', 16), 2, ?, ?, ?, ?, ?, ?) RETURNING id`,
		tenderID, org, received, opened, p, ok, abnormal, map[bool]string{true: `["below_mean_of_others"]`, false: `[]`}[abnormal]).Scan(&id).Error
	if err != nil {
		w.t.Fatalf("insert bid: %v", err)
	}
	return id
}

func (w *world) award(tenderID int64, status string, bidIDs ...int64) {
	w.t.Helper()
	ids := "["
	for i, id := range bidIDs {
		if i > 0 {
			ids += ","
		}
		ids += fmt.Sprint(id)
	}
	var ended *time.Time
	if status != "proposed" {
		ended = &w.now
	}
	if err := w.e.DB.Exec(`INSERT INTO award_proposals (tender_id, round, status, bid_ids, score_table, proposed_at, challenge_ends_at, ended_at)
		VALUES (?, 1, ?, ?::jsonb, '{}'::jsonb, ?, ?, ?)`, tenderID, status, ids+"]", w.days(-20), w.days(-15), ended).Error; err != nil {
		w.t.Fatalf("insert award: %v", err)
	}
}

// contract inserts an active contract of the awarded bid, signed at signed
// and now worth amount.
func (w *world) contract(tenderID, bidID, org int64, signed, amount money.Fen) int64 {
	w.t.Helper()
	var id int64
	at := w.days(-10)
	err := w.e.DB.Raw(`INSERT INTO contracts (subdistrict_id, tender_id, bid_id, organization_id, fund_account_id, title, category_code, amount_fen,
		service_start, service_end, status, sign_by, officer_signed_at, org_signed_at, signed_at, signed_amount_fen, activated_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, '红旗测试合同', ?, ?, '2027-01-01', '2027-12-31', 'active', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		w.d.SubA, tenderID, bidID, org, w.d.FundA, w.item.CategoryCode, amount, at, at, at, at, signed, at, at, at).Scan(&id).Error
	if err != nil {
		w.t.Fatalf("insert contract: %v", err)
	}
	return id
}

// awarded makes an awarded tender with org's winning bid at price, awarded
// at, and its contract; it returns the tender's and the contract's ids.
func (w *world) awarded(org int64, price money.Fen, at time.Time) (int64, int64) {
	w.t.Helper()
	id := w.tender(tenderRow{status: "awarded", published: at.AddDate(0, 0, -40), opened: true, awarded: at})
	bid := w.bid(id, org, at.AddDate(0, 0, -30), price, true, false)
	w.award(id, "final", bid)
	return id, w.contract(id, bid, org, price, price)
}

func (w *world) complaint(n int, status string, firstDue, decisionDue time.Time) {
	w.t.Helper()
	ref := fmt.Sprintf("TS-AAAA-BBBB-%04d", n)
	var contractID *int64
	var assigned *time.Time
	if status != "received" {
		_, c := w.awarded(w.orgs[0], 100_000_00, w.days(-60))
		contractID, assigned = &c, &w.now
	}
	var outcome, reason *string
	var decided *time.Time
	if status == "decided" {
		o, r := "not_upheld", "不成立"
		outcome, reason, decided = &o, &r, &w.now
	}
	if err := w.e.DB.Exec(`INSERT INTO complaints (reference, subdistrict_id, community_id, organization_id, contract_id, description, status,
		outcome, decision_reason, decided_at, received_at, first_response_due, decision_due, assigned_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, '服务人员迟到', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ref, w.d.SubA, w.d.CommA, w.orgs[0], contractID, status, outcome, reason, decided, firstDue.AddDate(0, 0, -1), firstDue, decisionDue,
		assigned, firstDue.AddDate(0, 0, -1), w.now).Error; err != nil {
		w.t.Fatalf("insert complaint: %v", err)
	}
}

// payment inserts a milestone of contract c with one payment round scaled by
// an evaluation scoring scoreTenths with factor (state withheld when 0).
func (w *world) payment(c int64, scoreTenths int, factor string, milestone, payable money.Fen) {
	w.t.Helper()
	ev := w.e.SubmittedEvaluation(w.t, c, "midterm", scoreTenths, 0)
	var mid int64
	if err := w.e.DB.Raw(`INSERT INTO contract_milestones (contract_id, seq, name, percent, amount_fen, after, status, due_at)
		VALUES (?, 2, '中期', 40, ?, 'midterm', 'due', ?) RETURNING id`, c, milestone, w.now).Scan(&mid).Error; err != nil {
		w.t.Fatalf("insert milestone: %v", err)
	}
	state := "due"
	if payable == 0 {
		state = "withheld"
	}
	if err := w.e.DB.Exec(`INSERT INTO milestone_payments (milestone_id, contract_id, subdistrict_id, round, evaluation_id, score_tenths, factor,
		milestone_fen, payable_fen, state, due_at, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?::numeric, ?, ?, ?, ?, ?, ?)`,
		mid, c, w.d.SubA, ev.ID, scoreTenths, factor, milestone, payable, state, w.now, w.now, w.now).Error; err != nil {
		w.t.Fatalf("insert milestone payment: %v", err)
	}
}

// flags computes and returns the stored flags of kind.
func (w *world) flags(kind string) []redflag.Flag {
	w.t.Helper()
	if _, err := w.svc.Compute(context.Background(), redflag.TriggerManual); err != nil {
		w.t.Fatalf("Compute() error = %v", err)
	}
	page, err := w.svc.List(context.Background(), redflag.Filter{Kind: kind, PerPage: 100})
	if err != nil {
		w.t.Fatalf("List() error = %v", err)
	}
	return page.Items
}

func tenderIDs(flags []redflag.Flag) []int64 {
	var out []int64
	for _, f := range flags {
		if f.TenderID != nil {
			out = append(out, *f.TenderID)
		}
	}
	return out
}

func TestSingleBid(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	one := w.tender(tenderRow{status: "opened", published: w.days(-40), opened: true})
	w.bid(one, w.orgs[0], w.days(-20), 900_000_00, true, false)
	w.bid(one, w.orgs[1], w.days(-19), 800_000_00, false, false) // not compliant: one valid bid
	two := w.tender(tenderRow{status: "opened", published: w.days(-40), opened: true})
	w.bid(two, w.orgs[0], w.days(-20), 900_000_00, true, false)
	w.bid(two, w.orgs[1], w.days(-19), 800_000_00, true, false)
	got := w.flags(redflag.SingleBid)
	if ids := tenderIDs(got); !slices.Equal(ids, []int64{one}) {
		t.Fatalf("single_bid flags on tenders %v, want [%d]", ids, one)
	}
	if d := got[0].Detail; *d.OpenedBids != 2 || *d.ValidBids != 1 || *got[0].OrganizationID != w.orgs[0] {
		t.Errorf("single_bid detail = %+v, organization %d; want 2 opened, 1 valid, organization %d", d, *got[0].OrganizationID, w.orgs[0])
	}
	if got[0].ExplanationZh == "" || got[0].ExplanationEn == "" {
		t.Errorf("single_bid explanation = %q / %q, want both", got[0].ExplanationZh, got[0].ExplanationEn)
	}
}

// TestSealedTenderHasNoBidFlag: before the opening, a tender with one bid,
// amended after it, shows nothing derived from its bids.
func TestSealedTenderHasNoBidFlag(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	id := w.tender(tenderRow{status: "published", published: w.days(-10), closes: w.days(10)})
	w.bid(id, w.orgs[0], w.days(-5), 0, false, false)
	if err := w.e.DB.Exec(`INSERT INTO tender_amendments (tender_id, number, reason, changes, old_closes_at, new_closes_at, created_at)
		VALUES (?, 1, '更正', '{}', ?, ?, ?)`, id, w.days(10), w.days(12), w.days(-1)).Error; err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{redflag.SingleBid, redflag.AmendedAfterBids, redflag.AbnormallyLow} {
		if got := w.flags(kind); len(got) != 0 {
			t.Errorf("%s flags before the opening = %+v, want none", kind, got)
		}
	}
	// The same tender once opened carries both.
	if err := w.e.DB.Exec(`UPDATE tenders SET status = 'opened', opened_at = ? WHERE id = ?`, w.now, id).Error; err != nil {
		t.Fatal(err)
	}
	if err := w.e.DB.Exec(`UPDATE bids SET opened_at = ?, price_fen = 100, compliant = true WHERE tender_id = ?`, w.now, id).Error; err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{redflag.SingleBid, redflag.AmendedAfterBids} {
		if got := w.flags(kind); len(got) != 1 {
			t.Errorf("%s flags after the opening = %d, want 1", kind, len(got))
		}
	}
}

func TestShortWindow(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	short := w.tender(tenderRow{status: "published", published: w.days(-1), closes: w.days(4), short: true, justification: "防汛应急，时间紧迫"})
	w.tender(tenderRow{status: "published", published: w.days(-1), closes: w.days(24)})
	// A window an hour short of 20 days shows 19.9 days, not a rounded 20.
	almost := w.tender(tenderRow{status: "published", published: w.days(-1), closes: w.days(19).Add(-time.Hour), short: true, justification: "应急"})
	got := w.flags(redflag.ShortWindow)
	if ids := tenderIDs(got); !slices.Equal(ids, []int64{short, almost}) {
		t.Fatalf("short_window flags on tenders %v, want [%d %d]", ids, short, almost)
	}
	if d := got[0].Detail; *d.WindowDays != 5 || *d.MinimumDays != 20 || d.Justification != "防汛应急，时间紧迫" {
		t.Errorf("short_window detail = %+v, want 5 days of 20, with the justification", d)
	}
	if d := got[1].Detail; *d.WindowDays != 19.9 {
		t.Errorf("short_window days of a window an hour short of 20 days = %v, want 19.9", *d.WindowDays)
	}
}

func TestRepeatWinner(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		wins  []int // awards of orgs[0], orgs[1] ... (one award each of 1,000,000 fen)
		old   int   // awards of orgs[0] older than 12 months
		share float64
		min   int // repeat_winner_min_awards, when not the default 3
	}{
		{name: "three of four awards", wins: []int{3, 1}, share: 75},
		{name: "two of three awards, rounded up", wins: []int{2, 1}, share: 66.67, min: 2},
		{name: "exactly half is not above", wins: []int{3, 3}},
		{name: "two awards are too few", wins: []int{2, 0}},
		{name: "awards older than a year do not count", wins: []int{2, 1}, old: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			if tc.min != 0 {
				cfg := w.e.Cfg.RedFlags
				cfg.RepeatWinnerMinAwards = tc.min
				w.svc = redflag.New(w.e.DB, w.e.Clock, cfg, w.e.Cfg.Tender.MinBiddingDays)
			}
			for i, n := range tc.wins {
				for range n {
					w.awarded(w.orgs[i], 1_000_000, w.days(-30))
				}
			}
			for range tc.old {
				w.awarded(w.orgs[0], 1_000_000, w.days(-400))
			}
			got := w.flags(redflag.RepeatWinner)
			if tc.share == 0 {
				if len(got) != 0 {
					t.Fatalf("repeat_winner flags = %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || *got[0].OrganizationID != w.orgs[0] || *got[0].Detail.SharePercent != tc.share || got[0].TenderID != nil {
				t.Fatalf("repeat_winner flags = %+v, want one of organization %d at %v %%", got, w.orgs[0], tc.share)
			}
		})
	}
}

func TestAbnormallyLow(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	mk := func(status string, abnormal bool) int64 {
		id := w.tender(tenderRow{status: "awarded", published: w.days(-60), opened: true, awarded: w.days(-10)})
		low := w.bid(id, w.orgs[0], w.days(-40), 500_000, true, abnormal)
		w.bid(id, w.orgs[1], w.days(-40), 1_000_000, true, false)
		w.bid(id, w.orgs[2], w.days(-40), 1_200_000, true, false)
		w.award(id, status, low)
		return id
	}
	final := mk("final", true)
	mk("proposed", true) // not final yet
	mk("final", false)   // not abnormal by the tender rules
	got := w.flags(redflag.AbnormallyLow)
	if ids := tenderIDs(got); !slices.Equal(ids, []int64{final}) {
		t.Fatalf("abnormally_low flags on tenders %v, want [%d]", ids, final)
	}
	if d := got[0].Detail; *d.PriceFen != 500_000 || *d.MeanOfOthersFen != 1_100_000 || *d.OtherBids != 2 || !slices.Equal(d.Reasons, []string{"below_mean_of_others"}) {
		t.Errorf("abnormally_low detail = %+v, want price 500000, mean of 2 others 1100000", d)
	}
}

func TestAmendedAfterBids(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	amend := func(id int64, at time.Time) {
		if err := w.e.DB.Exec(`INSERT INTO tender_amendments (tender_id, number, reason, changes, old_closes_at, new_closes_at, created_at)
			VALUES (?, 1, '更正', '{}', ?, ?, ?)`, id, w.days(-20), w.days(-20), at).Error; err != nil {
			t.Fatal(err)
		}
	}
	after := w.tender(tenderRow{status: "opened", published: w.days(-45), closes: w.days(-20), opened: true})
	w.bid(after, w.orgs[0], w.days(-30), 100, true, false)
	amend(after, w.days(-25))
	before := w.tender(tenderRow{status: "opened", published: w.days(-45), closes: w.days(-20), opened: true})
	w.bid(before, w.orgs[0], w.days(-30), 100, true, false)
	amend(before, w.days(-31))
	got := w.flags(redflag.AmendedAfterBids)
	if ids := tenderIDs(got); !slices.Equal(ids, []int64{after}) {
		t.Fatalf("amended_after_bids flags on tenders %v, want [%d]", ids, after)
	}
	if *got[0].Detail.Amendments != 1 {
		t.Errorf("amended_after_bids detail = %+v, want 1 amendment", got[0].Detail)
	}
}

func TestContractAmendedOver(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, over := w.awarded(w.orgs[0], 1_000_000, w.days(-30))
	_, at := w.awarded(w.orgs[1], 1_000_000, w.days(-30))
	for id, amount := range map[int64]int{over: 1_100_001, at: 1_100_000} {
		if err := w.e.DB.Exec(`UPDATE contracts SET amount_fen = ? WHERE id = ?`, amount, id).Error; err != nil {
			t.Fatal(err)
		}
	}
	got := w.flags(redflag.ContractAmendedOver)
	if len(got) != 1 || *got[0].ContractID != over || *got[0].Detail.RisePercent != 10.01 || *got[0].Detail.ThresholdPercent != 10 {
		t.Fatalf("contract_amended_over_10 flags = %+v, want one on contract %d", got, over)
	}
}

func TestOverdueComplaints(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.complaint(1, "received", w.days(-1), w.days(6))  // first response overdue
	w.complaint(2, "assigned", w.days(-8), w.days(-1)) // decision overdue
	w.complaint(3, "received", w.days(1), w.days(7))   // not due yet
	w.complaint(4, "decided", w.days(-8), w.days(-1))  // decided
	w.complaint(5, "assigned", w.days(-1), w.days(6))  // triaged in time
	got := w.flags(redflag.OverdueComplaints)
	if len(got) != 1 || got[0].SubdistrictID != w.d.SubA || *got[0].Detail.Complaints != 2 ||
		*got[0].Detail.FirstResponseOverdue != 1 || *got[0].Detail.DecisionOverdue != 1 {
		t.Fatalf("overdue_complaints flags = %+v, want one of A: 2 complaints, 1 + 1 overdue", got)
	}
}

func TestWithheldPayments(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, withheld := w.awarded(w.orgs[0], 1_000_000, w.days(-30))
	w.payment(withheld, 550, "0", 400_000, 0)
	_, reduced := w.awarded(w.orgs[1], 1_000_000, w.days(-30))
	w.payment(reduced, 700, "0.9", 400_000, 360_000)
	_, full := w.awarded(w.orgs[2], 1_000_000, w.days(-30))
	w.payment(full, 850, "1", 400_000, 400_000)
	got := w.flags(redflag.WithheldPayments)
	var ids []int64
	for _, f := range got {
		ids = append(ids, *f.ContractID)
	}
	if !slices.Equal(ids, []int64{withheld, reduced}) {
		t.Fatalf("withheld_payments flags on contracts %v, want [%d %d]", ids, withheld, reduced)
	}
	if d := got[0].Detail; *d.WithheldRounds != 1 || *d.PayableFen != 0 || *d.LowestScore != 55 {
		t.Errorf("withheld detail = %+v, want 1 round withheld at 55", d)
	}
	if d := got[1].Detail; *d.ReducedRounds != 1 || *d.PayableFen != 360_000 {
		t.Errorf("reduced detail = %+v, want 1 round reduced to 360000", d)
	}
}

// TestComputeReplaces: a run replaces the whole set, records its run and
// its audit entry.
func TestComputeReplaces(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	id := w.tender(tenderRow{status: "published", published: w.days(-1), closes: w.days(4), short: true, justification: "应急"})
	if got := w.flags(""); len(got) != 1 {
		t.Fatalf("flags = %d, want 1", len(got))
	}
	if err := w.e.DB.Exec(`UPDATE tenders SET short_bidding_window = false, short_window_justification = '' WHERE id = ?`, id).Error; err != nil {
		t.Fatal(err)
	}
	if got := w.flags(""); len(got) != 0 {
		t.Fatalf("flags after the data changed = %+v, want none", got)
	}
	if n := servertest.Count(t, w.e, "red_flag_runs"); n != 2 {
		t.Errorf("red_flag_runs = %d, want 2", n)
	}
	var audits int64
	if err := w.e.DB.Table("audit_entries").Where("action = 'red_flag.compute'").Count(&audits).Error; err != nil || audits != 2 {
		t.Errorf("red_flag.compute audit entries = %d (%v), want 2", audits, err)
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	one, two, fen := 1, 2, money.Fen(1_100_001)
	signed, rise, threshold := money.Fen(1_000_000), 10.01, 10
	for _, tc := range []struct {
		flag   redflag.Flag
		zh, en string
	}{
		{redflag.Flag{Kind: redflag.OverdueComplaints, Detail: redflag.Detail{Complaints: &one, FirstResponseOverdue: &one, DecisionOverdue: new(int)}},
			"1 件投诉超过处理时限（首次响应逾期 1 件，决定逾期 0 件）。", "1 complaint past a time limit (1 past the first response, 0 past the decision)."},
		{redflag.Flag{Kind: redflag.ContractAmendedOver, Detail: redflag.Detail{Amendments: &two, SignedFen: &signed, AmountFen: &fen, RisePercent: &rise, ThresholdPercent: &threshold}},
			"合同金额经 2 次变更由签订时的 10,000.00 元增至 11,000.01 元，增幅 10.01%，超过 10%。",
			"2 amendments raised the contract from the signed 10,000.00 yuan to 11,000.01 yuan, 10.01% more, above 10%."},
	} {
		zh, en := redflag.Explain(tc.flag)
		if zh != tc.zh || en != tc.en {
			t.Errorf("Explain(%s) = %q, %q; want %q, %q", tc.flag.Kind, zh, en, tc.zh, tc.en)
		}
	}
}
