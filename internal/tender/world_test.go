package tender_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
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

// start is the clock's time when a world is made: 09:00 in China.
var start = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

var cheapArgon = config.Argon2{MemoryKiB: 8192, Iterations: 1, Parallelism: 1}

// world is one test's database with the demo seed, five evaluators of the
// district, four organizations certified for elderly home care, a manual
// clock and the tender service.
type world struct {
	t          testing.TB
	db         *gorm.DB
	url        string // the database's URL, for River and other pools
	clock      *clock.Manual
	svc        *tender.Service
	sealKey    []byte
	officer    access.Actor // 爱山街道
	officer2   access.Actor // 飞英街道
	admin      access.Actor
	evaluators []access.Actor
	orgs       []access.Actor // org admins of organizations certified for ELDERLY_HOME_CARE
	itemID     int64          // 爱山's published elderly home care item
	fundID     int64          // 爱山's fiscal budget fund
}

func newWorld(t testing.TB) *world {
	t.Helper()
	clk := clock.NewManual(start)
	pool, url := dbtest.NewWithURL(t)
	gdb := pool.Session(&gorm.Session{NowFunc: func() time.Time { return clk.Now().UTC().Truncate(time.Microsecond) }})
	ctx := context.Background()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Seed(ctx, gdb, clk, "demo-password-for-tests", cheapArgon, demo.Keys{Seal: key, Rating: key}); err != nil {
		t.Fatalf("demo.Seed() error = %v", err)
	}
	sealer, err := tender.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: gdb, url: url, clock: clk, sealKey: key,
		svc: tender.NewService(gdb, clk, sealer, tender.Options{AmendmentMinDays: 3, ChallengeDays: 5})}
	w.officer, w.officer2, w.admin = w.actor("demo-officer"), w.actor("demo-officer2"), w.actor("demo-admin")
	district := w.actor("demo-district")
	w.evaluators = append(w.evaluators, w.actor("demo-evaluator"))
	for i := 2; i <= 5; i++ {
		w.evaluators = append(w.evaluators, w.newUser(fmt.Sprintf("eval-%d", i), access.Evaluator, auth.UserInput{DistrictID: &district.Scope.DistrictID}))
	}
	w.orgs = append(w.orgs, w.actor("demo-org"))
	for i, code := range []string{"91110000600037341L", "12100000400000624D", "91350100M000100Y43"} {
		w.orgs = append(w.orgs, w.newOrg(fmt.Sprintf("org-admin-%d", i), code, fmt.Sprintf("测试社会组织%d", i), 4))
	}
	if err := gdb.Raw(`SELECT i.id FROM transfer_items i JOIN transfer_item_versions v ON v.item_id = i.id AND v.version = i.published_version
		WHERE i.subdistrict_id = ? AND v.category_code = 'ELDERLY_HOME_CARE' AND i.status = 'published' ORDER BY i.id LIMIT 1`,
		w.officer.Scope.SubdistrictID).Scan(&w.itemID).Error; err != nil || w.itemID == 0 {
		t.Fatalf("no published elderly home care item: %v", err)
	}
	if err := gdb.Raw(`SELECT id FROM fund_accounts WHERE subdistrict_id = ? AND source = 'fiscal_budget'`, w.officer.Scope.SubdistrictID).
		Scan(&w.fundID).Error; err != nil || w.fundID == 0 {
		t.Fatalf("no fiscal budget fund: %v", err)
	}
	t.Cleanup(func() {
		violations, err := fund.CheckInvariants(gdb)
		if err != nil {
			t.Errorf("fund.CheckInvariants() error = %v", err)
		}
		for _, v := range violations {
			t.Errorf("ledger invariant broken: %s (id %d)", v.What, v.ID)
		}
	})
	return w
}

// newOrg returns the admin of the organization with the credit code (made
// when the seed lacks it), certified by the district for elderly home care at
// grade.
func (w *world) newOrg(admin, code, name string, grade int) access.Actor {
	w.t.Helper()
	ctx := context.Background()
	district := w.actor("demo-district")
	var o org.Organization
	if err := w.db.Where("credit_code = ?", code).Take(&o).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		o, err = org.CreateTx(w.db, w.admin, org.Input{CreditCode: code, LegalName: name, OrgType: org.SocialServiceInstitution,
			DistrictID: district.Scope.DistrictID, LegalRepresentative: "张三", ContactName: "李四", ContactPhone: "0572-1234567",
			StaffCount: 30, CertifiedSocialWorkers: 10}, w.clock.Now())
		if err != nil {
			w.t.Fatalf("create organization: %v", err)
		}
	} else if err != nil {
		w.t.Fatal(err)
	}
	a := w.newUser(admin, access.OrgAdmin, auth.UserInput{OrganizationID: &o.ID})
	orgs := org.NewService(w.db, w.clock, org.Options{Argon2: cheapArgon})
	cert, err := orgs.Apply(ctx, a, org.ApplyInput{DistrictID: district.Scope.DistrictID, Categories: []string{"ELDERLY_HOME_CARE"}, Statement: "具备承接能力"})
	if err != nil {
		w.t.Fatalf("apply: %v", err)
	}
	today := civil.ChinaDate(w.clock.Now())
	if _, err := orgs.Approve(ctx, district, cert.ID, org.ApproveInput{Grade: grade, ValidFrom: today.AddDays(-10), ValidThrough: today.AddDays(699),
		VerifiedSocialWorkers: &o.CertifiedSocialWorkers}); err != nil {
		w.t.Fatalf("approve: %v", err)
	}
	return a
}

// actor returns the actor of a seeded user.
func (w *world) actor(username string) access.Actor {
	w.t.Helper()
	var u auth.User
	if err := w.db.Where("username = ?", username).Take(&u).Error; err != nil {
		w.t.Fatalf("user %s: %v", username, err)
	}
	a := access.Actor{UserID: u.ID, Username: u.Username, Role: u.Role, RequestID: "test"}
	if u.DistrictID != nil {
		a.Scope.DistrictID = *u.DistrictID
	}
	if u.SubdistrictID != nil {
		a.Scope.SubdistrictID = *u.SubdistrictID
		if err := w.db.Table("subdistricts").Select("district_id").Where("id = ?", *u.SubdistrictID).Take(&a.Scope.DistrictID).Error; err != nil {
			w.t.Fatal(err)
		}
	}
	if u.OrganizationID != nil {
		a.Scope.OrganizationID = *u.OrganizationID
	}
	return a
}

func (w *world) newUser(username string, role access.Role, in auth.UserInput) access.Actor {
	w.t.Helper()
	in.Username, in.DisplayName, in.Role, in.Locale, in.Password = username, username, role, "zh-CN", "a-long-password-1"
	if _, err := auth.CreateUserTx(w.db, w.admin, in, "x", w.clock.Now()); err != nil {
		w.t.Fatalf("create user %s: %v", username, err)
	}
	return w.actor(username)
}

// input is a valid open tender of 爱山's elderly home care item: ceiling
// 500,000.00 yuan, weights 30/60/10, five evaluators, closing in 10 days and
// opening an hour later.
func (w *world) input(committee int) tender.Input {
	ids := make([]int64, 0, committee)
	for _, e := range w.evaluators[:committee] {
		ids = append(ids, e.UserID)
	}
	ceiling := money.Fen(50_000_000)
	start, end := civil.ChinaDate(w.clock.Now()).AddDays(40), civil.ChinaDate(w.clock.Now()).AddDays(405)
	q, closes := w.clock.Now().AddDate(0, 0, 7), w.clock.Now().AddDate(0, 0, 10)
	opens := closes.Add(time.Hour)
	weights := tender.Weights{Price: 30, Technical: 60, Performance: 10}
	criteria := []tender.Criterion{{Code: "plan", Name: "服务方案", MaxPoints: 30}, {Code: "team", Name: "团队配置", MaxPoints: 20}, {Code: "risk", Name: "风险防控", MaxPoints: 10}}
	fundID := w.fundID
	return tender.Input{TransferItemID: &w.itemID, FundAccountID: &fundID, CeilingFen: &ceiling, ServiceStart: &start, ServiceEnd: &end,
		Weights: &weights, Criteria: &criteria, QuestionsCloseAt: &q, ClosesAt: &closes, OpensAt: &opens, CommitteeUserIDs: &ids}
}

// published creates and publishes a tender from in.
func (w *world) published(in tender.Input) tender.View {
	w.t.Helper()
	v, err := w.svc.Create(context.Background(), w.officer, in)
	if err != nil {
		w.t.Fatalf("Create() error = %v", err)
	}
	if v, err = w.svc.Publish(context.Background(), w.officer, v.ID); err != nil {
		w.t.Fatalf("Publish() error = %v", err)
	}
	return v
}

// body is a complete bid at price.
func (w *world) body(price money.Fen, proposal string) tender.BidBody {
	var metrics []tender.Metric
	if err := w.db.Raw(`SELECT m.* FROM transfer_item_metrics m JOIN transfer_items i ON i.id = m.item_id AND i.published_version = m.version WHERE i.id = ?`, w.itemID).
		Scan(&metrics).Error; err != nil {
		w.t.Fatal(err)
	}
	b := tender.BidBody{PriceFen: price, TechnicalProposal: proposal, StaffingPlan: "社工 6 名，护理员 12 名"}
	for _, m := range metrics {
		b.MetricCommitments = append(b.MetricCommitments, tender.Commitment{Code: m.Code, Value: m.Target})
	}
	return b
}

func (w *world) bid(by access.Actor, tenderID int64, price money.Fen) tender.Receipt {
	w.t.Helper()
	r, err := w.svc.SubmitBid(context.Background(), by, tenderID, w.body(price, "服务方案："+by.Username))
	if err != nil {
		w.t.Fatalf("SubmitBid(%s) error = %v", by.Username, err)
	}
	return r
}

// advanceTo moves the clock to at and takes the tender's due steps.
func (w *world) advanceTo(id int64, at time.Time) tender.View {
	w.t.Helper()
	w.clock.Set(at)
	if _, err := w.svc.Advance(context.Background(), id); err != nil {
		w.t.Fatalf("Advance() error = %v", err)
	}
	return w.get(id)
}

func (w *world) get(id int64) tender.View {
	w.t.Helper()
	v, err := w.svc.Get(context.Background(), w.officer, id)
	if err != nil {
		w.t.Fatalf("Get() error = %v", err)
	}
	return v
}

// balances returns the fund's available and reserved balances.
func (w *world) balances() (available, reserved money.Fen) {
	w.t.Helper()
	var rows []fund.LedgerAccount
	if err := w.db.Where("fund_account_id = ?", w.fundID).Find(&rows).Error; err != nil {
		w.t.Fatal(err)
	}
	for _, r := range rows {
		switch r.Kind {
		case fund.Available:
			available = r.Balance
		case fund.Reserved:
			reserved = r.Balance
		}
	}
	return available, reserved
}

// wantCode fails unless err carries the apperr code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

// creditCode returns a valid unified social credit code (GB 32100-2015) for
// n, for organizations a test makes in bulk.
func creditCode(n int) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	code := []byte(fmt.Sprintf("5233050%010d", n))
	sum := 0
	for i, c := range code {
		sum += int(c-'0') * weights[i]
	}
	return string(append(code, alphabet[(31-sum%31)%31]))
}

// count runs a SELECT count(*) query.
func (w *world) count(query string, args ...any) int64 {
	w.t.Helper()
	var n int64
	if err := w.db.Raw(query, args...).Scan(&n).Error; err != nil {
		w.t.Fatalf("count %q: %v", query, err)
	}
	return n
}

// audits counts the audit entries of a tender with the action.
func (w *world) audits(tenderID int64, action string) int64 {
	w.t.Helper()
	return w.count(`SELECT count(*) FROM audit_entries WHERE entity_type = 'tender' AND entity_id = ? AND action = ?`,
		fmt.Sprint(tenderID), action)
}

// pastContract gives the organization of by a completed contract with the
// final score (0–100), so that its performance record counts it. The contract
// lifecycle (signing, delivery, final evaluation) is a later issue: the row
// is written directly, on a bid of a draft tender made for the purpose.
func (w *world) pastContract(by access.Actor, finalScore string) {
	w.t.Helper()
	v, err := w.svc.Create(context.Background(), w.officer, w.input(3))
	if err != nil {
		w.t.Fatalf("Create() error = %v", err)
	}
	sealed := []byte("history " + finalScore)
	now := w.clock.Now().AddDate(-1, 0, 0)
	var bidID int64
	if err := w.db.Raw(`INSERT INTO bids (tender_id, organization_id, status, sealed, digest, seal_key_id, seal_version, received_at)
		VALUES (?, ?, 'withdrawn', ?, ?, ?, 2, ?) RETURNING id`, v.ID, by.Scope.OrganizationID, sealed, tender.Digest(sealed), "0000000000000000", now).Scan(&bidID).Error; err != nil {
		w.t.Fatalf("insert past bid: %v", err)
	}
	if err := w.db.Exec(`INSERT INTO contracts (subdistrict_id, tender_id, bid_id, organization_id, fund_account_id, title, category_code,
			amount_fen, service_start, service_end, status, final_score, created_at, updated_at, sign_by,
			officer_signed_at, org_signed_at, signed_at, signed_amount_fen, ended_at)
		VALUES (?, ?, ?, ?, ?, '往年居家养老服务', 'ELDERLY_HOME_CARE', 40000000, ?, ?, 'completed', ?::numeric, @now, @now, @now, @now, @now, @now, 40000000, @now)`,
		v.SubdistrictID, v.ID, bidID, by.Scope.OrganizationID, w.fundID, v.ServiceStart, v.ServiceEnd, finalScore, sql.Named("now", now)).Error; err != nil {
		w.t.Fatalf("insert past contract: %v", err)
	}
}

// sheet is a member's score sheet for one bid whose technical total is total
// (15 to 60), spread over input()'s criteria: plan (max 30), team (max 20)
// and risk (max 10).
func sheet(bidID int64, total int) tender.BidSheet {
	plan := min(total-10, 30)
	team := min(total-plan-5, 20)
	risk := total - plan - team
	return tender.BidSheet{BidID: bidID, Criteria: []tender.CriterionScore{
		{Code: "plan", Points: tender.Score(plan * 100), Comment: "方案完整"},
		{Code: "team", Points: tender.Score(team * 100), Comment: "团队稳定"},
		{Code: "risk", Points: tender.Score(risk * 100), Comment: "预案可行"}}}
}

// open publishes in, has w.orgs[i] bid prices[i] in turn, a minute apart,
// and moves the clock to the opening.
func (w *world) open(in tender.Input, prices ...money.Fen) (tender.View, tender.OpeningRecord) {
	w.t.Helper()
	v := w.published(in)
	for i, p := range prices {
		w.bid(w.orgs[i], v.ID, p)
		w.clock.Advance(time.Minute)
	}
	v = w.advanceTo(v.ID, v.OpensAt)
	if v.OpenedAt == nil {
		w.t.Fatalf("status = %s (%s), want the bids opened", v.Status, v.StatusReason)
	}
	rec, err := w.svc.OpeningRecord(context.Background(), w.officer, v.ID)
	if err != nil {
		w.t.Fatalf("OpeningRecord() error = %v", err)
	}
	return v, rec
}

// evaluate has the committee members declare no conflict and score: member
// m gives the bid of w.orgs[i] the technical total totals[i][m].
func (w *world) evaluate(id int64, members []access.Actor, rec tender.OpeningRecord, totals [][]int) {
	w.t.Helper()
	ctx := context.Background()
	byOrg := map[int64]int{}
	for i, o := range w.orgs {
		byOrg[o.Scope.OrganizationID] = i
	}
	for m, ev := range members {
		if _, err := w.svc.Declare(ctx, ev, id, false, ""); err != nil {
			w.t.Fatalf("Declare(%s) error = %v", ev.Username, err)
		}
		var sheets []tender.BidSheet
		for _, b := range rec.Bids {
			if b.Compliant {
				sheets = append(sheets, sheet(b.BidID, totals[byOrg[b.OrganizationID]][m]))
			}
		}
		r, err := w.svc.SubmitScores(ctx, ev, id, sheets)
		if err != nil {
			w.t.Fatalf("SubmitScores(%s) error = %v", ev.Username, err)
		}
		if last := m == len(members)-1; r.Complete != last {
			w.t.Fatalf("SubmitScores(%s) complete = %v, want %v", ev.Username, r.Complete, last)
		}
	}
}

// same gives every one of n members the same total.
func same(n int, totals ...int) [][]int {
	out := make([][]int, len(totals))
	for i, t := range totals {
		for range n {
			out[i] = append(out[i], t)
		}
	}
	return out
}

// fieldsOf returns the fields an apperr validation error names.
func fieldsOf(err error) []string {
	e, ok := apperr.As(err)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

// freshOrgs replaces w.orgs with n organizations made for this test, certified
// for elderly home care at grade 4 and without any history, so that seeded
// contracts never change their performance records.
func (w *world) freshOrgs(n int) {
	w.t.Helper()
	w.orgs = nil
	base := int(w.count(`SELECT coalesce(max(id), 0) FROM organizations`))
	for i := range n {
		code := creditCode(base + 1 + i)
		w.orgs = append(w.orgs, w.newOrg(fmt.Sprintf("fresh-admin-%d", base+1+i), code, fmt.Sprintf("新设社会组织%c", 'A'+i), 4))
	}
}
