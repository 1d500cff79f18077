package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// azTenderShared is what the tender rows of one matrix group share, built
// through the API on first use: a committee of demo-evaluator and two more
// evaluators of 吴兴区, demo-org2 certified for elderly home care besides
// demo-org (so that both organizations may bid and only tenancy tells them
// apart), a fund of 爱山 for the category, and 爱山's tenders in the states
// the rows need. Tenders that must be opened close three minutes after the
// fixture starts; the clock moves past their opening once, well inside the
// fixture's tokens' lifetime.
type azTenderShared struct {
	once      sync.Once
	itemA     catalog.View
	fundA     int64
	itemB     catalog.View // 飞英's published item, for its officer's own tender
	fundB     int64
	committee []int64
	scorers   []string // the two other members
	draft     int64    // a draft
	published int64    // published, open for bids for 30 days; demo-org has bid
	opened    int64    // opened; no member has declared
	scoring   int64    // opened; demo-evaluator has declared, the two others have scored
	evaluated int64    // evaluated, no award proposed
	proposed  int64    // award proposed; demo-org and demo-org2 bid on it
	bids      map[int64][]int64
}

var (
	azTenderMu    sync.Mutex
	azTenderState = map[*azFixture]*azTenderShared{}
)

// azTender returns the group's shared tender state, building it on first use.
func azTender(t testing.TB, f *azFixture) *azTenderShared {
	azTenderMu.Lock()
	s, ok := azTenderState[f]
	if !ok {
		s = &azTenderShared{bids: map[int64][]int64{}}
		azTenderState[f] = s
	}
	azTenderMu.Unlock()
	s.once.Do(func() { azTenderBuild(t, f, s) })
	return s
}

func azTenderBuild(t testing.TB, f *azFixture, s *azTenderShared) {
	e := f.e
	t.Helper()
	admin := f.tokens["demo-admin"]
	s.committee = []int64{e.IDOf(t, "users", "username = ?", "demo-evaluator")}
	for i := 1; i <= 2; i++ {
		name := fmt.Sprintf("matrix-evaluator-%d", i)
		var u struct {
			ID int64 `json:"id"`
		}
		servertest.Call(t, e, "POST", "/api/v1/users", admin, map[string]any{"username": name, "password": servertest.DemoPassword, "role": "evaluator",
			"district_id": f.district}, http.StatusCreated, &u)
		s.committee, s.scorers = append(s.committee, u.ID), append(s.scorers, e.Token(t, name))
	}
	azTenderCertifyOrg2(t, f)
	finance := f.tokens["demo-finance"]
	s.itemA = twPublishedItem(t, e, f.tokens["demo-officer"], twCategory)
	s.fundA = fundCreate(t, e, finance, fundBody("矩阵招标专项资金", twCategory)).ID
	fundAppropriate(t, e, finance, s.fundA, map[string]any{"amount_fen": money.Fen(1_000_000_000), "document_ref": "湖吴财〔2026〕7号",
		"idempotency_key": "matrix-tender"})
	s.itemB = twPublishedItem(t, e, f.tokens["demo-officer2"], "SOCIAL_WORK_STATION")
	financeB := fundFinanceOfficer(t, e, "matrix-finance-b", f.subB)
	s.fundB = fundCreate(t, e, financeB, fundBody("飞英街道社工站专项资金", "SOCIAL_WORK_STATION")).ID

	officer := f.tokens["demo-officer"]
	create := func(body map[string]any) int64 {
		var v tender.View
		servertest.Call(t, e, "POST", "/api/v1/tenders", officer, body, http.StatusCreated, &v)
		return v.ID
	}
	publish := func(id int64) {
		servertest.Call(t, e, "POST", twPath(id, "/publish"), officer, nil, http.StatusOK, nil)
	}
	bid := func(token string, id int64) {
		var r tender.Receipt
		servertest.Call(t, e, "POST", twPath(id, "/bids"), token, azTenderBid(s, 80_000_00), http.StatusCreated, &r)
		s.bids[id] = append(s.bids[id], r.BidID)
	}
	s.draft = create(azTenderBody(t, f, s, 30*24*time.Hour))
	s.published = create(azTenderBody(t, f, s, 30*24*time.Hour))
	publish(s.published)
	bid(f.tokens["demo-org"], s.published)

	// The tenders to open close in two minutes and open a minute later.
	soon := []*int64{&s.opened, &s.scoring, &s.evaluated, &s.proposed}
	for _, id := range soon {
		*id = create(azTenderBody(t, f, s, 2*time.Minute))
		publish(*id)
		bid(f.tokens["demo-org"], *id)
	}
	bid(f.tokens["demo-org2"], s.proposed)
	svc, err := tender.NewConfigured(e.DB, e.Clock, e.Cfg.Tender, e.Cfg.Contract.SignDays)
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(e.Clock.Now().Add(3 * time.Minute))
	for _, id := range soon {
		if _, err := svc.Advance(context.Background(), *id); err != nil {
			t.Fatalf("Advance(%d) error = %v", *id, err)
		}
	}
	declare := func(token string, id int64) {
		servertest.Call(t, e, "POST", twPath(id, "/declarations"), token, map[string]any{"conflict": false}, http.StatusCreated, nil)
	}
	score := func(token string, id int64) {
		totals := map[int64]tender.Score{}
		for _, b := range s.bids[id] {
			totals[b] = 5000
		}
		servertest.Call(t, e, "POST", twPath(id, "/scores"), token, twSheet(totals), http.StatusCreated, nil)
	}
	evaluator := f.tokens["demo-evaluator"]
	for _, token := range s.scorers {
		declare(token, s.scoring)
		score(token, s.scoring)
	}
	declare(evaluator, s.scoring)
	for _, id := range []int64{s.evaluated, s.proposed} {
		for _, token := range append([]string{evaluator}, s.scorers...) {
			declare(token, id)
			score(token, id)
		}
	}
	servertest.Call(t, e, "POST", twPath(s.proposed, "/award-proposal"), officer, map[string]any{}, http.StatusCreated, nil)
}

// azTenderCertifyOrg2 certifies demo-org2 for elderly home care in 吴兴区, set
// aside its pending application, unless it is certified already.
func azTenderCertifyOrg2(t testing.TB, f *azFixture) {
	e := f.e
	today := civil.ChinaDate(e.Clock.Now())
	var held int64
	if err := e.DB.Table("certifications c").Joins("JOIN certification_categories cc ON cc.certification_id = c.id").
		Where("c.organization_id = ? AND c.district_id = ? AND cc.category_code = ? AND c.status = 'approved' AND c.valid_from <= ? AND c.valid_until > ?",
			f.org2, f.district, twCategory, today, today).Count(&held).Error; err != nil {
		t.Fatal(err)
	}
	if held > 0 {
		return
	}
	var pending []int64
	if err := e.DB.Table("certifications").Where("organization_id = ? AND district_id = ? AND status = 'pending'", f.org2, f.district).
		Pluck("id", &pending).Error; err != nil {
		t.Fatal(err)
	}
	for _, id := range pending {
		servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/certifications/%d/reject", id), f.tokens["demo-district"],
			map[string]any{"reason": "矩阵测试：改为申请居家养老"}, http.StatusOK, nil)
	}
	c := orgApply(t, e, f.tokens["demo-district"], f.tokens["demo-org2"], f.district, twCategory)
	servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/certifications/%d/approve", c.ID), f.tokens["demo-district"], orgApproval(e, 4), http.StatusOK, nil)
}

// azTenderBody is a valid open tender of 爱山's item closing after closesIn
// (questions until a minute before the close, opening a minute after it),
// with at least one bid to open.
func azTenderBody(t testing.TB, f *azFixture, s *azTenderShared, closesIn time.Duration) map[string]any {
	now := f.e.Clock.Now()
	today := civil.ChinaDate(now)
	closes := now.Add(closesIn)
	return map[string]any{
		"transfer_item_id": s.itemA.ID, "fund_account_id": s.fundA, "ceiling_fen": 10_000_000, "min_bids": 1,
		"service_start": today.AddDays(40).String(), "service_end": today.AddDays(405).String(),
		"weights": map[string]int{"price": 30, "technical": 60, "performance": 10},
		"criteria": []map[string]any{{"code": "plan", "name": "服务方案", "max_points": 30}, {"code": "team", "name": "团队配置", "max_points": 20},
			{"code": "risk", "name": "风险防控", "max_points": 10}},
		"questions_close_at": closes.Add(-time.Minute), "closes_at": closes, "opens_at": closes.Add(time.Minute),
		"committee_user_ids": s.committee, "short_window_justification": "原服务合同到期，需在年内接续服务",
	}
}

// azTenderBid is a complete bid on one of the group's tenders.
func azTenderBid(s *azTenderShared, price money.Fen) map[string]any {
	commitments := []map[string]any{}
	for _, m := range s.itemA.Metrics {
		commitments = append(commitments, map[string]any{"code": m.Code, "value": m.Target})
	}
	return map[string]any{"price_fen": price, "technical_proposal": "矩阵投标方案", "staffing_plan": "社工 3 名",
		"metric_commitments": commitments}
}

// azTenderPath returns a path under the tender pick chooses.
func azTenderPath(pick func(s *azTenderShared) int64, suffix string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string { return twPath(pick(azTender(t, f)), suffix) }
}

// azTenderFixed returns path once the group's tenders exist.
func azTenderFixed(path string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		azTender(t, f)
		return path
	}
}

// azFreshDraft returns a path under a draft made for this one call.
func azFreshDraft(suffix string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		s := azTender(t, f)
		var v tender.View
		servertest.Call(t, f.e, "POST", "/api/v1/tenders", f.tokens["demo-officer"], azTenderBody(t, f, s, 30*24*time.Hour), http.StatusCreated, &v)
		return twPath(v.ID, suffix)
	}
}

// Wants shared by several tender rows: the readers of a published tender of
// 爱山 (飞英's officer finds nothing), its procurement officer alone, the
// organizations' staff, and the committee member.
var (
	azTenderReaders = azWant{no401, ok200, ok200, ok200, ok200, ok200, ok200, nf404, ok200, ok200, no403}
	azTenderOfficer = azWant{no401, no403, no403, ok200, no403, no403, no403, nf404, no403, no403, no403}
	azTenderOrgs    = azWant{no401, no403, no403, no403, no403, no403, new201, no403, new201, new201, no403}
	azTenderMember  = azWant{no401, no403, no403, no403, no403, new201, no403, no403, no403, no403, no403}
	azTenderPublic  = azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}
)

// azTenderMatrix covers the tender routes. Each group's tenders are 爱山's
// (demo-officer's); demo-officer2, the procurement officer of 飞英, meets
// them as records of another tenant: 404.
var azTenderMatrix = map[string][]azMatrixRow{
	"tender-drafts": {
		{method: "GET", route: "/api/v1/tenders", path: azTenderFixed("/api/v1/tenders"),
			want: azWant{no401, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, no403}},
		{method: "POST", route: "/api/v1/tenders", path: azTenderFixed("/api/v1/tenders"),
			// Each officer makes a tender of its own subdistrict's item and fund.
			body: func(t testing.TB, f *azFixture, i int) any {
				s := azTender(t, f)
				b := azTenderBody(t, f, s, 30*24*time.Hour)
				b["title"] = fmt.Sprintf("矩阵招标 %d", i)
				if azIdentities[i] == "demo-officer2" {
					b["transfer_item_id"], b["fund_account_id"] = s.itemB.ID, s.fundB
				}
				return b
			},
			want: azWant{no401, no403, no403, new201, no403, no403, no403, new201, no403, no403, no403}},
		{method: "GET", route: "/api/v1/tenders/:id", path: azTenderPath(func(s *azTenderShared) int64 { return s.draft }, ""),
			// A draft: its subdistrict's staff and the administrators only.
			want: azWant{no401, ok200, ok200, ok200, ok200, nf404, nf404, nf404, nf404, nf404, no403}},
		{method: "PATCH", route: "/api/v1/tenders/:id", path: azTenderPath(func(s *azTenderShared) int64 { return s.draft }, ""),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"title": fmt.Sprintf("矩阵草稿 %d", i)}
			},
			want: azTenderOfficer},
		{method: "POST", route: "/api/v1/tenders/:id/publish", path: azFreshDraft("/publish"), want: azTenderOfficer},
		{method: "POST", route: "/api/v1/tenders/:id/cancel", path: azFreshDraft("/cancel"),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"reason": fmt.Sprintf("矩阵终止 %d", i)}
			},
			want: azTenderOfficer},
		{method: "GET", route: "/api/v1/public/tenders/:id", path: func(t testing.TB, f *azFixture) string {
			return fmt.Sprintf("/api/v1/public/tenders/%d", azTender(t, f).draft)
		}, want: azWant{nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404}},
	},
	"tender-bidding": {
		{method: "GET", route: "/api/v1/tenders/:id", path: azTenderPath(func(s *azTenderShared) int64 { return s.published }, ""),
			want: azTenderReaders},
		{method: "POST", route: "/api/v1/tenders/:id/amend", path: azTenderPath(func(s *azTenderShared) int64 { return s.published }, "/amend"),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"reason": fmt.Sprintf("矩阵变更 %d", i), "description": fmt.Sprintf("变更后的说明 %d", i)}
			},
			want: azTenderOfficer},
		{method: "GET", route: "/api/v1/tenders/:id/questions", path: azTenderPath(func(s *azTenderShared) int64 { return s.published }, "/questions"),
			want: azTenderReaders},
		{method: "POST", route: "/api/v1/tenders/:id/questions", path: azTenderPath(func(s *azTenderShared) int64 { return s.published }, "/questions"),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"body": fmt.Sprintf("矩阵提问 %d", i)}
			},
			want: azTenderOrgs},
		{method: "POST", route: "/api/v1/tenders/:id/questions/:qid/answer",
			// Each call answers a question demo-org asks for it.
			path: func(t testing.TB, f *azFixture) string {
				s := azTender(t, f)
				var q tender.Question
				servertest.Call(t, f.e, "POST", twPath(s.published, "/questions"), f.tokens["demo-org"], map[string]any{"body": "矩阵待答问题"},
					http.StatusCreated, &q)
				return twPath(s.published, fmt.Sprintf("/questions/%d/answer", q.ID))
			},
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"answer": fmt.Sprintf("矩阵答复 %d", i)}
			},
			want: azTenderOfficer},
		{method: "POST", route: "/api/v1/tenders/:id/bids", path: azTenderPath(func(s *azTenderShared) int64 { return s.published }, "/bids"),
			body: func(t testing.TB, f *azFixture, i int) any {
				return azTenderBid(azTender(t, f), money.Fen(9_000_000+i))
			},
			want: azTenderOrgs},
		{method: "POST", route: "/api/v1/bids/:id/withdraw",
			// Each call withdraws a bid demo-org makes for it: demo-org2 finds another organization's bid.
			path: func(t testing.TB, f *azFixture) string {
				s := azTender(t, f)
				var r tender.Receipt
				servertest.Call(t, f.e, "POST", twPath(s.published, "/bids"), f.tokens["demo-org"], azTenderBid(s, 8_000_000), http.StatusCreated, &r)
				return fmt.Sprintf("/api/v1/bids/%d/withdraw", r.BidID)
			},
			want: azWant{no401, no403, no403, no403, no403, no403, ok200, no403, nf404, ok200, no403}},
		{method: "GET", route: "/api/v1/public/tenders", path: azTenderFixed("/api/v1/public/tenders"), want: azTenderPublic},
		{method: "GET", route: "/api/v1/public/tenders/:id", path: func(t testing.TB, f *azFixture) string {
			return fmt.Sprintf("/api/v1/public/tenders/%d", azTender(t, f).published)
		}, want: azTenderPublic},
		{method: "GET", route: "/api/v1/notifications", path: azTenderFixed("/api/v1/notifications"),
			want: azWant{no401, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
	},
	"tender-evaluation": {
		{method: "GET", route: "/api/v1/tenders/:id/opening-record", path: azTenderPath(func(s *azTenderShared) int64 { return s.opened }, "/opening-record"),
			want: azTenderReaders},
		{method: "POST", route: "/api/v1/tenders/:id/declarations", path: azTenderPath(func(s *azTenderShared) int64 { return s.opened }, "/declarations"),
			body: func(t testing.TB, f *azFixture, i int) any { return map[string]any{"conflict": false} },
			want: azTenderMember},
		{method: "POST", route: "/api/v1/tenders/:id/scores", path: azTenderPath(func(s *azTenderShared) int64 { return s.scoring }, "/scores"),
			body: func(t testing.TB, f *azFixture, i int) any {
				s := azTender(t, f)
				totals := map[int64]tender.Score{}
				for _, b := range s.bids[s.scoring] {
					totals[b] = 4500
				}
				return twSheet(totals)
			},
			want: azTenderMember},
		{method: "POST", route: "/api/v1/tenders/:id/award-proposal", path: azTenderPath(func(s *azTenderShared) int64 { return s.evaluated }, "/award-proposal"),
			body: func(t testing.TB, f *azFixture, i int) any { return map[string]any{} },
			want: azWant{no401, no403, no403, new201, no403, no403, no403, nf404, no403, no403, no403}},
	},
	"tender-award": {
		{method: "GET", route: "/api/v1/tenders/:id/bids", path: azTenderPath(func(s *azTenderShared) int64 { return s.proposed }, "/bids"),
			// The officer and the declared member read every opened bid; each organization its own.
			want: azWant{no401, no403, no403, ok200, no403, ok200, ok200, nf404, ok200, ok200, no403}},
		{method: "GET", route: "/api/v1/tenders/:id/score-table", path: azTenderPath(func(s *azTenderShared) int64 { return s.proposed }, "/score-table"),
			want: azTenderReaders},
		{method: "GET", route: "/api/v1/tenders/:id/challenges", path: azTenderPath(func(s *azTenderShared) int64 { return s.proposed }, "/challenges"),
			want: azTenderReaders},
		{method: "POST", route: "/api/v1/tenders/:id/challenges", path: azTenderPath(func(s *azTenderShared) int64 { return s.proposed }, "/challenges"),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"reasons": fmt.Sprintf("矩阵质疑 %d", i)}
			},
			want: azTenderOrgs},
		{method: "POST", route: "/api/v1/challenges/:id/answer",
			// Each call answers a challenge demo-org files for it.
			path: func(t testing.TB, f *azFixture) string {
				s := azTender(t, f)
				var c tender.Challenge
				servertest.Call(t, f.e, "POST", twPath(s.proposed, "/challenges"), f.tokens["demo-org"], map[string]any{"reasons": "矩阵待答质疑"},
					http.StatusCreated, &c)
				return fmt.Sprintf("/api/v1/challenges/%d/answer", c.ID)
			},
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"outcome": "dismissed", "answer": fmt.Sprintf("矩阵答复 %d", i)}
			},
			want: azTenderOfficer},
	},
}
