package api_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// twCategory is the service category of the world's tenders.
const twCategory = "ELDERLY_HOME_CARE"

// twFundFen is what the world's own fund account receives: 500,000,000.00 yuan.
const twFundFen money.Fen = 50_000_000_000

// twCeiling is the ceiling of the world's tenders unless a test sets another:
// 500,000.00 yuan.
const twCeiling money.Fen = 50_000_000

// twUser is an account the world made, signed in with the demo password.
type twUser struct {
	ID       int64
	Username string
}

// twOrg is an organization the world signed up, with its admin.
type twOrg struct {
	ID    int64
	Name  string
	Admin string // username
}

// tenderWorld is the cast of a tender test, made through the API on a fresh
// Env: five evaluators of 吴兴区, three organizations certified for elderly
// home care in 吴兴区 and one that is not, and a fund account of 爱山 for the
// category holding twFundFen, next to the demo seed (whose own tenders,
// users and funds the tests never count on). Tokens are signed in again when
// the clock has moved, so that tests may move time freely.
type tenderWorld struct {
	e           *servertest.Env
	svc         *tender.Service
	district    int64 // 吴兴区
	subA        int64 // 爱山街道
	subB        int64 // 飞英街道
	item        catalog.View
	fundID      int64
	evaluators  []twUser
	orgs        []twOrg
	uncertified twOrg
	tokens      map[string]twToken
}

type twToken struct {
	token  string
	issued time.Time
}

// newTenderWorld builds the world on a fresh env.
func newTenderWorld(t *testing.T) *tenderWorld {
	t.Helper()
	return tenderWorldOn(t, servertest.NewEnv(t))
}

// tenderWorldOn builds the world on e.
func tenderWorldOn(t testing.TB, e *servertest.Env) *tenderWorld {
	t.Helper()
	svc, err := tender.NewConfigured(e.DB, e.Clock, e.Cfg.Tender, e.Cfg.Contract.SignDays)
	if err != nil {
		t.Fatalf("tender.NewConfigured() error = %v", err)
	}
	w := &tenderWorld{e: e, svc: svc, tokens: map[string]twToken{},
		district: e.Demo(t).District,
		subA:     e.Demo(t).SubA,
		subB:     e.Demo(t).SubB,
	}
	w.item = twPublishedItem(t, e, w.token(t, "demo-officer"), twCategory)
	for i := 1; i <= 5; i++ {
		w.evaluators = append(w.evaluators, twEvaluator(t, w, fmt.Sprintf("tw-evaluator-%d", i)))
	}
	for i, name := range []string{"湖州市吴兴区颐康居家养老服务中心", "湖州市吴兴区福寿社会工作服务社", "湖州市吴兴区安康为老服务中心"} {
		o := w.signUp(t, fmt.Sprintf("52330502MJ71000%02d", i), name, fmt.Sprintf("tw-org-%d", i+1))
		w.certify(t, o)
		w.orgs = append(w.orgs, o)
	}
	w.uncertified = w.signUp(t, "52330502MJ7100099", "湖州市吴兴区新芽公益服务中心", "tw-uncertified")
	finance := w.token(t, "demo-finance")
	w.fundID = fundCreate(t, e, finance, fundBody("招标测试专项资金", twCategory)).ID
	fundAppropriate(t, e, finance, w.fundID, map[string]any{"amount_fen": twFundFen, "document_ref": "湖吴财社〔2026〕88号",
		"idempotency_key": "tender-world"})
	return w
}

// twPublishedItem returns the first published transfer item of the officer's
// subdistrict in category, at its published version.
func twPublishedItem(t testing.TB, e *servertest.Env, officer, category string) catalog.View {
	t.Helper()
	var list struct {
		Items []catalog.View `json:"items"`
	}
	servertest.Call(t, e, "GET", "/api/v1/transfer-items", officer, nil, http.StatusOK, &list)
	for i := len(list.Items) - 1; i >= 0; i-- { // newest first: take the oldest
		it := list.Items[i]
		if it.Status != "published" || it.PublishedVersion == nil {
			continue
		}
		var v catalog.View
		servertest.Call(t, e, "GET", fmt.Sprintf("/api/v1/transfer-items/%d?version=%d", it.ID, *it.PublishedVersion), officer, nil, http.StatusOK, &v)
		if v.CategoryCode == category {
			return v
		}
	}
	t.Fatalf("no published %s transfer item for the officer", category)
	return catalog.View{}
}

// twEvaluator creates, as demo-admin, an evaluator of 吴兴区.
func twEvaluator(t testing.TB, w *tenderWorld, username string) twUser {
	t.Helper()
	var u struct {
		ID int64 `json:"id"`
	}
	servertest.Call(t, w.e, "POST", "/api/v1/users", w.token(t, "demo-admin"), map[string]any{"username": username,
		"display_name": "评审专家 " + username, "password": servertest.DemoPassword, "role": "evaluator", "district_id": w.district},
		http.StatusCreated, &u)
	return twUser{ID: u.ID, Username: username}
}

// signUp signs an organization of 吴兴区 up anonymously, with its admin.
func (w *tenderWorld) signUp(t testing.TB, creditBase, name, admin string) twOrg {
	t.Helper()
	body := orgSignupBody(w.district, servertest.CreditCode(t, creditBase), admin)
	body["legal_name"] = name
	body["admin"].(map[string]any)["password"] = servertest.DemoPassword
	var got struct {
		Organization org.Organization `json:"organization"`
	}
	servertest.Call(t, w.e, "POST", "/api/v1/organizations", "", body, http.StatusCreated, &got)
	return twOrg{ID: got.Organization.ID, Name: name, Admin: admin}
}

// certify has o apply for twCategory in 吴兴区 and demo-district approve it at
// grade 4 for a year.
func (w *tenderWorld) certify(t testing.TB, o twOrg) {
	t.Helper()
	c := orgApply(t, w.e, w.token(t, "demo-district"), w.token(t, o.Admin), w.district, twCategory)
	servertest.Call(t, w.e, "POST", fmt.Sprintf("/api/v1/certifications/%d/approve", c.ID), w.token(t, "demo-district"),
		orgApproval(w.e, 4), http.StatusOK, nil)
}

// Token returns an access token of username ("" for anonymous), signing in
// again when the clock has moved since the last one was issued.
func (w *tenderWorld) token(t testing.TB, username string) string {
	if username == "" {
		return ""
	}
	now := w.e.Clock.Now()
	if tk, ok := w.tokens[username]; ok && !now.Before(tk.issued) && now.Sub(tk.issued) < 5*time.Minute {
		return tk.token
	}
	tk := twToken{token: w.e.Token(t, username), issued: now}
	w.tokens[username] = tk
	return tk.token
}

// call sends a request as username and fails unless it answers want; the body
// is decoded into out when out is not nil.
func (w *tenderWorld) call(t testing.TB, method, path, username string, body any, want int, out any) servertest.Response {
	t.Helper()
	return servertest.Call(t, w.e, method, path, w.token(t, username), body, want, out)
}

// refused sends a request as username that must be refused (Env.Refused).
func (w *tenderWorld) refused(t testing.TB, method, path, username string, body any, want int, code string, fields ...string) servertest.Problem {
	t.Helper()
	token := w.token(t, username) // signing in writes audit entries: before the request
	return w.e.Refused(t, servertest.Request{Method: method, Path: path, Token: token, Body: body}, want, code, fields...)
}

// twTables are the tables a tender request may write.
var twTables = []string{"tenders", "tender_communities", "tender_metrics", "tender_criteria", "tender_committee",
	"tender_invitations", "tender_amendments", "tender_questions", "bids", "bid_scores", "score_sheets", "award_proposals",
	"challenges", "contracts", "contract_metrics", "contract_milestones", "notifications", "ledger_postings", "ledger_lines",
	"audit_entries"}

// twCounts returns the row count of each of twTables.
func twCounts(t testing.TB, e *servertest.Env) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range twTables {
		out[table] = servertest.Count(t, e, table)
	}
	return out
}

func twCountsDiff(before, after map[string]int64) string {
	diff := ""
	for _, table := range twTables {
		if before[table] != after[table] {
			diff += fmt.Sprintf(" %s %d → %d;", table, before[table], after[table])
		}
	}
	return diff
}

// tenderBody is a complete open tender of the world's item: ceiling
// twCeiling, weights 30/60/10 with three criteria, the first committee
// evaluators, questions until 7 days from now, closing in 10 days and opening
// an hour later.
func (w *tenderWorld) tenderBody(committee int) map[string]any {
	now := w.e.Clock.Now()
	today := civil.ChinaDate(now)
	ids := []int64{}
	for _, ev := range w.evaluators[:committee] {
		ids = append(ids, ev.ID)
	}
	closes := now.AddDate(0, 0, 10)
	return map[string]any{
		"transfer_item_id": w.item.ID, "fund_account_id": w.fundID, "ceiling_fen": twCeiling,
		"service_start": today.AddDays(40).String(), "service_end": today.AddDays(405).String(),
		"weights": map[string]int{"price": 30, "technical": 60, "performance": 10},
		"criteria": []map[string]any{{"code": "plan", "name": "服务方案", "max_points": 30},
			{"code": "team", "name": "团队配置", "max_points": 20}, {"code": "risk", "name": "风险防控", "max_points": 10}},
		"questions_close_at": now.AddDate(0, 0, 7), "closes_at": closes, "opens_at": closes.Add(time.Hour),
		"committee_user_ids": ids, "short_window_justification": "原服务合同到期，需在年内接续服务",
	}
}

// twPath returns a path under tender id.
func twPath(id int64, suffix string) string {
	return fmt.Sprintf("/api/v1/tenders/%d%s", id, suffix)
}

// create creates a draft from body as demo-officer.
func (w *tenderWorld) create(t testing.TB, body map[string]any) tender.View {
	t.Helper()
	var v tender.View
	w.call(t, "POST", "/api/v1/tenders", "demo-officer", body, http.StatusCreated, &v)
	return v
}

// publish publishes draft id as demo-officer.
func (w *tenderWorld) publish(t testing.TB, id int64) tender.View {
	t.Helper()
	var v tender.View
	w.call(t, "POST", twPath(id, "/publish"), "demo-officer", nil, http.StatusOK, &v)
	return v
}

// published creates and publishes a tender from body.
func (w *tenderWorld) published(t testing.TB, body map[string]any) tender.View {
	t.Helper()
	return w.publish(t, w.create(t, body).ID)
}

// Get reads tender id as username.
func (w *tenderWorld) get(t testing.TB, username string, id int64) tender.View {
	t.Helper()
	var v tender.View
	w.call(t, "GET", twPath(id, ""), username, nil, http.StatusOK, &v)
	return v
}

// bidBody is a complete bid at price committing to every metric's target.
func (w *tenderWorld) bidBody(price money.Fen, proposal string) map[string]any {
	commitments := []map[string]any{}
	for _, m := range w.item.Metrics {
		commitments = append(commitments, map[string]any{"code": m.Code, "value": m.Target})
	}
	return map[string]any{"price_fen": price, "technical_proposal": proposal, "staffing_plan": "持证社工 6 名，护理员 12 名，督导 1 名。",
		"metric_commitments": commitments, "attachments": []any{}}
}

// bid submits a bid at price as username.
func (w *tenderWorld) bid(t testing.TB, username string, id int64, price money.Fen) tender.Receipt {
	t.Helper()
	var r tender.Receipt
	w.call(t, "POST", twPath(id, "/bids"), username, w.bidBody(price, "服务方案："+username), http.StatusCreated, &r)
	return r
}

// advance moves the clock to at and takes the tender's due steps, as the job
// runner would.
func (w *tenderWorld) advance(t testing.TB, id int64, at time.Time) {
	t.Helper()
	w.e.Clock.Set(at)
	if _, err := w.svc.Advance(context.Background(), id); err != nil {
		t.Fatalf("Advance(%d) at %s error = %v", id, at, err)
	}
}

// open moves the clock to the tender's opening and opens it.
func (w *tenderWorld) open(t testing.TB, id int64) tender.View {
	t.Helper()
	v := w.get(t, "demo-officer", id)
	w.advance(t, id, v.OpensAt)
	return w.get(t, "demo-officer", id)
}

// openingRecord reads the opening record as username.
func (w *tenderWorld) openingRecord(t testing.TB, username string, id int64) tender.OpeningRecord {
	t.Helper()
	var rec tender.OpeningRecord
	w.call(t, "GET", twPath(id, "/opening-record"), username, nil, http.StatusOK, &rec)
	return rec
}

// declare declares no conflict as member.
func (w *tenderWorld) declare(t testing.TB, member string, id int64) {
	t.Helper()
	w.call(t, "POST", twPath(id, "/declarations"), member, map[string]any{"conflict": false}, http.StatusCreated, nil)
}

// twSheet is a score sheet giving each compliant bid its technical total, bids
// in id order: plan takes up to 30 points of it, team up to 20, risk the rest
// (at most 10 for a valid sheet).
func twSheet(totals map[int64]tender.Score) map[string]any {
	scores := []map[string]any{}
	for _, bid := range slices.Sorted(maps.Keys(totals)) {
		total := totals[bid]
		plan := min(total-1000, 3000)
		team := min(total-plan-500, 2000)
		risk := total - plan - team
		scores = append(scores, map[string]any{"bid_id": bid, "criteria": []map[string]any{
			{"code": "plan", "points": plan, "comment": "方案完整，措施具体"},
			{"code": "team", "points": team, "comment": "团队稳定"},
			{"code": "risk", "points": risk, "comment": "预案可行"}}})
	}
	return map[string]any{"scores": scores}
}

// score submits member's sheet and returns its receipt.
func (w *tenderWorld) score(t testing.TB, member string, id int64, totals map[int64]tender.Score) tender.SheetReceipt {
	t.Helper()
	var r tender.SheetReceipt
	w.call(t, "POST", twPath(id, "/scores"), member, twSheet(totals), http.StatusCreated, &r)
	return r
}

// evaluate has each of the first n evaluators score every compliant bid with
// totals(member index, bid), completing the evaluation; in the first round
// each declares no conflict first.
func (w *tenderWorld) evaluate(t testing.TB, id int64, n int, totals func(m int, b tender.OpeningEntry) tender.Score) {
	t.Helper()
	rec := w.openingRecord(t, "demo-officer", id)
	firstRound := w.get(t, "demo-officer", id).EvaluationRound == 1
	for m, ev := range w.evaluators[:n] {
		if firstRound {
			w.declare(t, ev.Username, id)
		}
		sheetTotals := map[int64]tender.Score{}
		for _, b := range rec.Bids {
			if b.Compliant {
				sheetTotals[b.BidID] = totals(m, b)
			}
		}
		if r := w.score(t, ev.Username, id, sheetTotals); r.Complete != (m == n-1) {
			t.Fatalf("score sheet %d of %d: complete = %v", m+1, n, r.Complete)
		}
	}
}

// propose proposes the award as demo-officer with body.
func (w *tenderWorld) propose(t testing.TB, id int64, body map[string]any) tender.AwardProposalView {
	t.Helper()
	var p tender.AwardProposalView
	w.call(t, "POST", twPath(id, "/award-proposal"), "demo-officer", body, http.StatusCreated, &p)
	return p
}

// notifications returns username's notifications about tender id, oldest first.
func (w *tenderWorld) notifications(t testing.TB, username string, id int64) []tender.Notification {
	t.Helper()
	var list struct {
		Items []tender.Notification `json:"items"`
	}
	w.call(t, "GET", "/api/v1/notifications", username, nil, http.StatusOK, &list)
	out := []tender.Notification{}
	for i := len(list.Items) - 1; i >= 0; i-- {
		if n := list.Items[i]; n.TenderID != nil && *n.TenderID == id {
			out = append(out, n)
		}
	}
	return out
}

// twKinds returns the kinds of notifications, in order.
func twKinds(ns []tender.Notification) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.Kind)
	}
	return out
}

// balances returns the world fund's balances as the API shows them.
func (w *tenderWorld) balances(t testing.TB) map[string]money.Fen {
	t.Helper()
	var v struct {
		Balances map[string]money.Fen `json:"balances"`
	}
	w.call(t, "GET", fundPath(w.fundID, ""), "demo-finance", nil, http.StatusOK, &v)
	return v.Balances
}
