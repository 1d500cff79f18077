package demo_test

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

var cheapArgon = config.Argon2{MemoryKiB: 8192, Iterations: 1, Parallelism: 1}

const password = "demo-password-for-tests"

func sealKey(t testing.TB) []byte {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return key
}

// keysOf returns the demo's keys with key, and an uploads directory of tb's
// for the organizations' invoices.
func keysOf(tb testing.TB, key []byte) demo.Keys {
	return demo.Keys{Seal: key, Rating: key, Uploads: config.Uploads{Dir: tb.TempDir(), MaxBytes: 5 << 20}}
}

// seeded returns a fresh database whose GORM stamps follow clk.
func seeded(t testing.TB, clk *clock.Manual) *gorm.DB {
	return dbtest.New(t).Session(&gorm.Session{NowFunc: func() time.Time { return clk.Now().UTC().Truncate(time.Microsecond) }})
}

// counted are the tables whose row counts must not move on a second Seed.
var counted = []string{"users", "organizations", "certifications", "transfer_items", "fund_accounts", "ledger_postings",
	"tenders", "tender_questions", "bids", "score_sheets", "award_proposals", "challenges", "contracts", "service_records", "evaluations",
	"rectification_orders", "milestone_payments", "organization_documents", "payouts", "notifications", "audit_entries"}

func counts(t *testing.T, db *gorm.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range counted {
		var n int64
		if err := db.Table(table).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// TestSeedTenders seeds twice at two times of the Chinese day and checks that
// 爱山街道 has one tender in each state, consistent with the clock, that the
// second run adds nothing, and that the ledger and the audit chain hold.
// Without WithTenders, Seed makes no tender and leaves the funds as they were;
// SeedTenders adds the tenders later.
func TestSeedTenders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		now   time.Time
		split bool // Seed without tenders, then SeedTenders
	}{
		{"afternoon in China", time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), false},
		{"just after midnight in China, tenders later", time.Date(2027, 3, 1, 16, 5, 0, 0, time.UTC), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewManual(tc.now)
			db := seeded(t, clk)
			ctx := context.Background()
			key := sealKey(t)
			var opts []demo.Option
			if !tc.split {
				opts = append(opts, demo.WithTenders())
			}
			first, err := demo.Seed(ctx, db, clk, password, cheapArgon, keysOf(t, key), opts...)
			if err != nil {
				t.Fatalf("Seed() error = %v", err)
			}
			if first.CreatedUsers != len(first.Logins) || len(first.Logins) != 13 {
				t.Errorf("first Seed() created %d users of %d logins, want 13", first.CreatedUsers, len(first.Logins))
			}
			if tc.split {
				var n int64
				if err := db.Table("tenders").Count(&n).Error; err != nil || n != 0 {
					t.Errorf("Seed() without WithTenders made %d tenders (%v), want none", n, err)
				}
				if available := fiscalAvailable(t, db); available != 180_000_000 {
					t.Errorf("fiscal fund available = %d before the tenders, want 180000000", available)
				}
				if err := demo.SeedTenders(ctx, db, clk, keysOf(t, key)); err != nil {
					t.Fatalf("SeedTenders() error = %v", err)
				}
			}
			before := counts(t, db)
			second, err := demo.Seed(ctx, db, clk, password, cheapArgon, keysOf(t, key), demo.WithTenders())
			if err != nil {
				t.Fatalf("second Seed() error = %v", err)
			}
			if second.CreatedUsers != 0 || !second.PasswordWorks {
				t.Errorf("second Seed() = %+v, want no new user and the password working", second)
			}
			if diff := cmp.Diff(before, counts(t, db)); diff != "" {
				t.Errorf("rows after the second Seed() (-before +after):\n%s", diff)
			}
			checkTenders(t, db, clk.Now())
			violations, err := fund.CheckInvariants(db)
			if err != nil {
				t.Fatalf("fund.CheckInvariants() error = %v", err)
			}
			for _, v := range violations {
				t.Errorf("ledger invariant broken: %s (id %d)", v.What, v.ID)
			}
			if _, err := audit.IntegrateAll(ctx, db); err != nil { // as the sequencer does
				t.Fatal(err)
			}
			if rep, err := audit.Verify(ctx, db); err != nil || rep.Broken != nil || rep.Pending != 0 {
				t.Errorf("audit.Verify() = %+v, %v; want an intact chain", rep, err)
			}
			// Nothing is due: the seeded states agree with the clock.
			sealer, err := tender.NewSealer(key)
			if err != nil {
				t.Fatal(err)
			}
			tenders := tender.NewService(db, clk, sealer, tender.Options{ChallengeDays: 5})
			due, err := tenders.Due(ctx)
			if err != nil || len(due) != 0 {
				t.Errorf("Due() = %v, %v; want nothing due right after seeding", due, err)
			}
			checkPerformance(t, db, clk, tenders, demoIDs(t, db))
		})
	}
}

// demoIDs returns the ids the checks name demo accounts by: an
// organization's admin by its organization's, an officer by its
// subdistrict's, anyone else by the account's.
func demoIDs(t *testing.T, db *gorm.DB) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	for _, name := range []string{"demo-officer", "demo-org", "demo-org2", "demo-org3", "demo-evaluator", "demo-evaluator2", "demo-evaluator3"} {
		var u struct {
			ID             int64
			OrganizationID *int64
			SubdistrictID  *int64
		}
		if err := db.Table("users").Where("username = ?", name).Take(&u).Error; err != nil {
			t.Fatalf("user %s: %v", name, err)
		}
		switch {
		case u.OrganizationID != nil:
			ids[name] = *u.OrganizationID
		case u.SubdistrictID != nil:
			ids[name] = *u.SubdistrictID
		default:
			ids[name] = u.ID
		}
	}
	return ids
}

func checkTenders(t *testing.T, db *gorm.DB, now time.Time) {
	t.Helper()
	ids := demoIDs(t, db)
	var code string
	if err := db.Table("organizations").Select("credit_code").Where("id = ?", ids["demo-org3"]).Take(&code).Error; err != nil || !org.ValidCreditCode(code) {
		t.Errorf("demo-org3's credit code %q (%v) is not a valid unified social credit code", code, err)
	}

	var rows []tender.Tender
	if err := db.Where("subdistrict_id = ?", ids["demo-officer"]).Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	// Five tenders are awarded: one whose contract awaits signing, and four
	// whose contracts were signed (by the end of their titles, after the
	// service year).
	byState := map[string]tender.Tender{}
	var states []string
	signed := map[string]tender.Tender{}
	for _, r := range rows {
		states = append(states, r.Status)
		// Every window shorter than an open tender's 20 days carries its
		// reason and the flag; the draft, not yet published, has neither.
		if short := r.PublishedAt != nil && r.ClosesAt.Before(r.PublishedAt.AddDate(0, 0, 20)); r.ShortBiddingWindow != short ||
			(r.ShortWindowJustification != "") != short {
			t.Errorf("tender %q (published %v, closes %s): short_bidding_window %v, reason %q; want the flag and a reason exactly when the window is under 20 days",
				r.Title, r.PublishedAt, r.ClosesAt, r.ShortBiddingWindow, r.ShortWindowJustification)
		}
		var n int64
		if err := db.Table("contracts").Where("tender_id = ? AND signed_at IS NOT NULL", r.ID).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			_, title, _ := strings.Cut(r.Title, "年度")
			signed[title] = r
			continue
		}
		byState[r.Status] = r
	}
	slices.Sort(states)
	want := []string{"award_proposed", "awarded", "awarded", "awarded", "awarded", "awarded", "cancelled", "closed", "draft", "evaluated",
		"failed", "opened", "published"}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Fatalf("states of 爱山街道's tenders (-want +got):\n%s", diff)
	}
	for _, r := range rows {
		if r.StatusAt(now) != r.Status {
			t.Errorf("%s: stored %s but a reader now sees %s", r.Title, r.Status, r.StatusAt(now))
		}
		if r.CreatedAt.After(now) {
			t.Errorf("%s: created at %v, after now %v", r.Title, r.CreatedAt, now)
		}
	}
	count := func(q string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := db.Raw("SELECT count(*) FROM ("+q+") x", args...).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}

	if d := byState["draft"]; d.PublishedAt != nil || !d.ClosesAt.After(now) {
		t.Errorf("draft: published %v, closes %v; want unpublished, closing ahead", d.PublishedAt, d.ClosesAt)
	}

	p := byState["published"]
	if !p.ClosesAt.After(now.Add(7 * 24 * time.Hour)) {
		t.Errorf("published: closes %v, want about two weeks after %v", p.ClosesAt, now)
	}
	if n := count(`SELECT 1 FROM tender_questions WHERE tender_id = ? AND answer IS NOT NULL`, p.ID); n != 1 {
		t.Errorf("published: %d answered questions, want 1", n)
	}
	if n := count(`SELECT 1 FROM bids WHERE tender_id = ? AND organization_id = ? AND status = 'active' AND opened_at IS NULL AND price_fen IS NULL`,
		p.ID, ids["demo-org"]); n != 1 || count(`SELECT 1 FROM bids WHERE tender_id = ?`, p.ID) != 1 {
		t.Errorf("published: want exactly one sealed bid, by demo-org")
	}

	c := byState["closed"]
	if c.ClosesAt.After(now) || !c.OpensAt.After(now) {
		t.Errorf("closed: closes %v, opens %v; want closed before and opening after %v", c.ClosesAt, c.OpensAt, now)
	}
	if n := count(`SELECT 1 FROM bids WHERE tender_id = ? AND status = 'active' AND opened_at IS NULL AND price_fen IS NULL AND opened_body IS NULL`, c.ID); n != 2 {
		t.Errorf("closed: %d sealed bids, want 2", n)
	}

	for _, state := range []string{"opened", "evaluated", "award_proposed", "awarded", "failed"} {
		r := byState[state]
		if r.OpenedAt == nil || !r.OpenedAt.Before(now) {
			t.Errorf("%s: opened at %v, want before %v", state, r.OpenedAt, now)
		}
	}
	committee := []int64{ids["demo-evaluator"], ids["demo-evaluator2"], ids["demo-evaluator3"]}
	o := byState["opened"]
	if n := count(`SELECT 1 FROM tender_committee WHERE tender_id = ? AND user_id IN ? AND declared_at IS NULL AND NOT recused`, o.ID, committee); n != 3 {
		t.Errorf("opened: %d committee members with scoring ahead, want 3", n)
	}
	if n := count(`SELECT 1 FROM bids WHERE tender_id = ? AND compliant`, o.ID); n != 2 || o.MinBids != 2 {
		t.Errorf("opened: %d compliant bids (min %d), want 2 of 2", n, o.MinBids)
	}
	e := byState["evaluated"]
	if n := count(`SELECT 1 FROM score_sheets WHERE tender_id = ? AND user_id IN ?`, e.ID, committee); n != 3 {
		t.Errorf("evaluated: %d score sheets, want 3", n)
	}

	ap := byState["award_proposed"]
	if ap.ChallengeEndsAt == nil || !ap.ChallengeEndsAt.After(now) {
		t.Errorf("award_proposed: challenge period ends %v, want after %v", ap.ChallengeEndsAt, now)
	}
	var proposal tender.AwardProposal
	if err := db.Where("tender_id = ? AND status = 'proposed'", ap.ID).Take(&proposal).Error; err != nil {
		t.Fatalf("award_proposed: proposal: %v", err)
	}
	var challenger int64
	if err := db.Table("challenges").Select("organization_id").Where("tender_id = ? AND status = 'open'", ap.ID).Take(&challenger).Error; err != nil {
		t.Fatalf("award_proposed: open challenge: %v", err)
	}
	var winner int64
	if err := db.Table("bids").Select("organization_id").Where("id = ?", proposal.BidIDs[0]).Take(&winner).Error; err != nil {
		t.Fatal(err)
	}
	if challenger == winner || count(`SELECT 1 FROM bids WHERE tender_id = ? AND organization_id = ?`, ap.ID, challenger) == 0 {
		t.Errorf("award_proposed: challenge by organization %d, want the losing bidder (winner %d)", challenger, winner)
	}

	a := byState["awarded"]
	var contracts []struct {
		OrganizationID int64
		Status         string
		AmountFen      money.Fen
	}
	if err := db.Table("contracts").Where("tender_id = ?", a.ID).Scan(&contracts).Error; err != nil {
		t.Fatal(err)
	}
	if len(contracts) != 1 || contracts[0].Status != "draft" || a.AwardedAt == nil || a.AwardedAt.After(now) {
		t.Errorf("awarded: contracts %+v, awarded at %v; want one draft contract, awarded before now", contracts, a.AwardedAt)
	}

	// 康乐's year-long contract began two weeks ago, 安馨's ten days ago; both
	// record their visits every day since. 康乐's short project served 16
	// days and is completed; 安馨's records two visits every third day.
	var encumbered money.Fen
	for _, c := range []struct {
		title, winner, status string
		days                  int64
	}{
		{"爱山街道独居老人关爱探访服务项目", "demo-org", "active", 15},
		{"衣裳街社区空巢老人上门照护服务项目", "demo-org3", "active", 10},
		{"仁皇山社区独居老人安全巡访专项服务项目", "demo-org", "completed", 16},
		{"南街社区高龄老人集中走访专项服务项目", "demo-org3", "active", 6},
	} {
		a, ok := signed[c.title]
		if !ok {
			t.Errorf("no signed contract of %s", c.title)
			continue
		}
		var rows []struct {
			ID             int64
			OrganizationID int64
			Status         string
			AmountFen      money.Fen
			ServiceStart   civil.Date
		}
		if err := db.Table("contracts").Where("tender_id = ?", a.ID).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Status != c.status || rows[0].OrganizationID != ids[c.winner] || !rows[0].ServiceStart.Before(civil.ChinaDate(now)) {
			t.Errorf("%s: contracts %+v, want %s's contract %s, its service begun before today", c.title, rows, c.winner, c.status)
			continue
		}
		var paid money.Fen
		if err := db.Raw(`SELECT coalesce(sum(payable_fen), 0) FROM milestone_payments WHERE contract_id = ? AND state IN ('approved', 'paid')`,
			rows[0].ID).Scan(&paid).Error; err != nil {
			t.Fatal(err)
		}
		if c.status == "active" {
			encumbered += rows[0].AmountFen - paid
		} else if paid != rows[0].AmountFen {
			t.Errorf("%s: %d paid of %d, want all of it", c.title, paid, rows[0].AmountFen)
		}
		if n := count(`SELECT 1 FROM contract_communities WHERE contract_id = ? AND eligible_population IS NULL`, rows[0].ID); n != 0 {
			t.Errorf("%s: %d communities without an eligible population", c.title, n)
		}
		if n := count(`SELECT DISTINCT service_date FROM service_records WHERE contract_id = ?`, rows[0].ID); n != c.days {
			t.Errorf("%s: service records on %d days, want %d", c.title, n, c.days)
		}
	}
	if n := count(`SELECT 1 FROM service_records WHERE service_date >= ?`, civil.ChinaDate(now)); n != 0 {
		t.Errorf("active: %d service records dated today or later, want none", n)
	}

	// The residents' part: ratings past the public minimum for one active
	// contract's provider and some, below it, for the other's (and none for
	// another), a complaint decided and one open, the demo resident's
	// requests in each state.
	minimum := int64(config.Default().Rating.PublicMinimum)
	if n := count(`SELECT 1 FROM ratings WHERE organization_id = ?`, ids["demo-org"]); n < minimum {
		t.Errorf("demo-org has %d ratings, want at least the public minimum %d", n, minimum)
	}
	if n := count(`SELECT 1 FROM ratings WHERE organization_id = ?`, ids["demo-org3"]); n == 0 || n >= minimum {
		t.Errorf("demo-org3 has %d ratings, want some but fewer than the public minimum %d", n, minimum)
	}
	if n := count(`SELECT 1 FROM ratings WHERE organization_id NOT IN ?`, []int64{ids["demo-org"], ids["demo-org3"]}); n != 0 {
		t.Errorf("%d ratings of other providers, want none", n)
	}
	var complaintStates []string
	if err := db.Table("complaints").Order("status").Pluck("status", &complaintStates).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(complaintStates, []string{"decided", "received"}) {
		t.Errorf("complaints in states %v, want one decided and one received", complaintStates)
	}
	var requestStates []string
	if err := db.Table("service_requests").Distinct("status").Order("status").Pluck("status", &requestStates).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(requestStates, []string{"accepted", "declined", "fulfilled", "requested"}) ||
		count(`SELECT 1 FROM service_requests WHERE contract_id IS NULL`) != 1 {
		t.Errorf("service requests in states %v, want each state and one unmet need", requestStates)
	}

	// The metric sources of migration 00011, in the standards and every copy.
	for _, table := range []string{"metric_templates", "transfer_item_metrics", "tender_metrics", "contract_metrics"} {
		if n := count(`SELECT 1 FROM ` + table + ` WHERE (code = 'complaints_upheld' AND source <> 'complaints')
			OR (code = 'response_time' AND source <> 'service_requests') OR (code LIKE '%\_coverage' AND source <> 'service_records')`); n != 0 {
			t.Errorf("%s: %d metrics with the old source of complaints upheld, response time or coverage", table, n)
		}
		if n := count(`SELECT 1 FROM ` + table + ` WHERE code IN ('complaints_upheld', 'response_time')`); n == 0 {
			t.Errorf("%s: no complaints_upheld or response_time metric to check", table)
		}
	}

	if r := byState["cancelled"]; r.StatusReason == "" {
		t.Error("cancelled: no reason")
	}
	f := byState["failed"]
	if f.StatusReason == "" || count(`SELECT 1 FROM bids WHERE tender_id = ? AND compliant`, f.ID) >= int64(f.MinBids) {
		t.Errorf("failed: reason %q, want fewer compliant bids than the minimum %d", f.StatusReason, f.MinBids)
	}

	// The fund: every tender from published to awarded holds its ceiling,
	// but those whose contracts are signed: their amounts are encumbered and
	// the rest returned, less what their milestones made payable (and paid);
	// 1,800,000.00 yuan stays available.
	var reserved money.Fen
	for _, r := range rows {
		_, title, _ := strings.Cut(r.Title, "年度")
		if !slices.Contains([]string{"draft", "cancelled", "failed"}, r.Status) && signed[title].ID != r.ID {
			reserved += r.CeilingFen
		}
		if r.FundAccountID != p.FundAccountID {
			t.Errorf("%s: fund %d, want the fiscal fund %d", r.Title, r.FundAccountID, p.FundAccountID)
		}
	}
	if available, got := fiscalAvailable(t, db), balance(t, db, p.FundAccountID, fund.Reserved); available != 180_000_000 || got != reserved {
		t.Errorf("fiscal fund available %d, reserved %d; want 180000000 and %d", available, got, reserved)
	}
	if got := balance(t, db, p.FundAccountID, fund.Encumbered); got != encumbered {
		t.Errorf("fiscal fund encumbered %d, want what the active contracts have not made payable, %d", got, encumbered)
	}
	var payable, paid money.Fen
	if err := db.Raw(`SELECT coalesce(sum(amount_fen) FILTER (WHERE state = 'requested'), 0) AS payable,
		coalesce(sum(amount_fen) FILTER (WHERE state = 'paid'), 0) AS paid FROM payouts WHERE fund_account_id = ?`, p.FundAccountID).
		Row().Scan(&payable, &paid); err != nil {
		t.Fatal(err)
	}
	if got, gotPaid := balance(t, db, p.FundAccountID, fund.Payable), balance(t, db, p.FundAccountID, fund.Paid); got != payable || gotPaid != paid || paid == 0 {
		t.Errorf("fiscal fund payable %d and paid %d, want the requested payouts' %d and the paid ones' %d", got, gotPaid, payable, paid)
	}
	checkPayments(t, db, now, ids)
}

// fiscalAvailable is the available balance of 爱山街道's fiscal budget fund.
func fiscalAvailable(t *testing.T, db *gorm.DB) money.Fen {
	t.Helper()
	var id int64
	if err := db.Table("fund_accounts").Select("id").Where("source = 'fiscal_budget' AND name = '爱山街道政府购买服务专项资金'").Take(&id).Error; err != nil {
		t.Fatalf("fiscal fund: %v", err)
	}
	return balance(t, db, id, fund.Available)
}

func balance(t *testing.T, db *gorm.DB, fundID int64, kind string) money.Fen {
	t.Helper()
	var a fund.LedgerAccount
	if err := db.Where("fund_account_id = ? AND kind = ?", fundID, kind).Take(&a).Error; err != nil {
		t.Fatalf("ledger account %s of fund %d: %v", kind, fundID, err)
	}
	return a.Balance
}

// BenchmarkSeed measures a first Seed on a fresh database, as every server
// test environment runs it.
func BenchmarkSeed(b *testing.B) {
	key := sealKey(b)
	for _, bm := range []struct {
		name string
		opts []demo.Option
	}{{"everything", nil}, {"accounts only", []demo.Option{demo.AccountsOnly()}}} {
		b.Run(bm.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				clk := clock.NewManual(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
				db := seeded(b, clk)
				b.StartTimer()
				if _, err := demo.Seed(context.Background(), db, clk, password, cheapArgon, keysOf(b, key), bm.opts...); err != nil {
					b.Fatalf("Seed() error = %v", err)
				}
			}
		})
	}
}

// AccountsOnly seeds the places, organizations and accounts, and nothing of
// the catalog, certifications or funds.
func TestSeedAccountsOnly(t *testing.T) {
	t.Parallel()
	clk := clock.NewManual(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	db := seeded(t, clk)
	res, err := demo.Seed(context.Background(), db, clk, password, cheapArgon, keysOf(t, sealKey(t)), demo.AccountsOnly())
	if err != nil || !res.PasswordWorks || len(res.Logins) == 0 {
		t.Fatalf("Seed(AccountsOnly) = %+v, %v", res, err)
	}
	got := counts(t, db)
	for _, table := range []string{"users", "organizations"} {
		if got[table] == 0 {
			t.Errorf("%s = 0 rows, want the demo's", table)
		}
	}
	for _, table := range []string{"certifications", "transfer_items", "fund_accounts", "ledger_postings", "tenders"} {
		if got[table] != 0 {
			t.Errorf("%s = %d rows, want none", table, got[table])
		}
	}
}

// BenchmarkSeedTenders measures SeedTenders after Seed on a fresh database.
func BenchmarkSeedTenders(b *testing.B) {
	key := sealKey(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		clk := clock.NewManual(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
		db := seeded(b, clk)
		if _, err := demo.Seed(context.Background(), db, clk, password, cheapArgon, keysOf(b, key)); err != nil {
			b.Fatalf("Seed() error = %v", err)
		}
		b.StartTimer()
		if err := demo.SeedTenders(context.Background(), db, clk, keysOf(b, key)); err != nil {
			b.Fatalf("SeedTenders() error = %v", err)
		}
	}
}
