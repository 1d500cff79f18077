package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// pgIdentities are the callers of the page authorization matrix, in the
// column order of pgWant: the API matrix's (servertest.Identities), then a
// finance officer of 飞英, whom each fixture makes, so that both subdistrict
// roles meet the other subdistrict's records.
var pgIdentities = append(slices.Clone(servertest.Identities), pgFinance2)

// pgFinance2 is the finance officer of 飞英 the fixtures make.
const pgFinance2 = "feiying-finance"

// pgWant is what each identity gets, in the order of pgIdentities.
type pgWant [12]int

// What a page answers, as the matrix writes it. The clients read the pages in
// English, so that a refusal can be told from an expired form.
const (
	ok200  = http.StatusOK         // the page (or the file) itself
	to303  = http.StatusSeeOther   // a redirect elsewhere than the login page: the form went through
	bad400 = http.StatusBadRequest // the page again, with an alert naming what was wrong
	cf409  = http.StatusConflict   // the page again, with an alert: not in the record's state
	no403  = http.StatusForbidden  // the error page: the role may not open it
	rf403  = -http.StatusForbidden // the page again, with an alert saying why the service refuses this caller
	nf404  = http.StatusNotFound   // the error page: no such record in the caller's tenant
	fa404  = -http.StatusNotFound  // the page again, with an alert: nothing has what the form asked for
	login  = -1                    // a redirect to the login page: sign in first
	bye    = -2                    // a redirect to the login page that ends the session
)

// Wants shared by many rows.
var (
	pgEveryone = pgWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}
	pgSignedIn = pgWant{login, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}
)

// The error page's texts (web/i18n/en.json).
const (
	pgErrorTitle = "Something went wrong"
	pgForbidden  = "You may not open this page."
	pgNotFound   = "This page does not exist."
)

// pgFixture is one matrix group's environment: a signed-in client per
// identity, and the ids of the records the rows address.
type pgFixture struct {
	e       *servertest.Env
	clients map[string]*servertest.PageClient
	tokens  map[string]string // each client's CSRF token

	seq      int   // numbers the records the rows make, for unique keys
	district int64 // 吴兴区
	subB     int64 // 飞英街道
	commA    int64 // 南街社区, in A
	commB    int64 // 飞英社区, in B
	org1     int64 // demo-org's 康乐
	org2     int64 // demo-org2's 社会工作者协会

	// Records the groups' setups make or look up.
	itemA      int64 // 爱山's published 居家养老上门服务
	itemDraft  int64 // 爱山's draft 老年人日间照料中心运营
	itemRetire int64 // 爱山's published 社区法律咨询与调解服务
	fundA      int64 // 爱山's fiscal budget fund
	payout     int64 // a manual payout to org 1, waiting for its confirmation
	lottery    int64 // 爱山's welfare-lottery fund, which takes donations
	donation   int64 // a donation to it
	doc1       int64 // a document of org 1
	certs      pgCerts
	tenders    *pgTenderSet
	contracts  *pgContractSet
	records    *pgRecordSet
	signals    *pgSignalSet
	resident   *pgResidentSet
	cratings   *pgContractRatingSet
	requests   *pgRequestSet
	complaints *pgComplaintSet
	evals      *pgEvaluationSet
	payments   *pgPaymentSet
}

// pgGroup is a part of the matrix that runs on a database of its own: setup
// makes the records its rows address before anyone signs in.
type pgGroup struct {
	stripe bool // the payout service talks to a stripe-mock
	setup  func(t *testing.T, f *pgFixture)
	rows   []pgRow
}

// pgRow is one call of the matrix: a route and what each identity gets.
type pgRow struct {
	method string
	route  string // the pattern as registered in routes.go
	note   string // what sets this row apart from another of the same route
	// params fills the route's parameters, in order; it runs once per cell,
	// so it may make a fresh record for each call.
	params func(t *testing.T, f *pgFixture) []any
	query  string                                             // appended to the path
	where  func(f *pgFixture) string                          // appended after query: the part naming the group's records
	form   func(t *testing.T, f *pgFixture, i int) url.Values // the posted fields besides csrf_token; i is the identity's column
	upload string                                             // a file name: the form goes as multipart/form-data with samplePDF in "file"
	fresh  bool                                               // each identity calls with a client of its own (the call signs in or out)
	want   pgWant
	scope  *pgScope // what the page shows to whom: a list's records of tenant A (or org 1)
}

// pgScope is text a page shows to some of those who may open it: the
// identities in shown find it there, those in hidden (of another tenant, or
// signed out) must not.
type pgScope struct {
	text   func(f *pgFixture) string
	shown  []string
	hidden []string
}

// pgText is scope text that does not depend on the group's records.
func pgText(s string) func(f *pgFixture) string {
	return func(f *pgFixture) string { return s }
}

// pgMatrix is the page authorization matrix, grouped by what the rows need
// and write. It is written out by hand, not derived from routes.go, so that a
// changed role list fails here.
func pgMatrix(t *testing.T) map[string]pgGroup {
	out := map[string]pgGroup{}
	for _, part := range []map[string]pgGroup{pgCoreMatrix, pgCatalogMatrix, pgOrgMatrix, pgFundMatrix, pgTenderMatrix, pgContractMatrix, pgRecordMatrix, pgStaffMatrix, pgResidentMatrix,
		pgMailMatrix, pgNoticeMatrix,
		pgContractRatingMatrix, pgRequestMatrix, pgOfficerMatrix, pgEvaluationMatrix, pgPaymentMatrix,
		pgPortalMatrix, pgCommitmentMatrix, pgAuditMatrix, pgRedFlagMatrix, pgSearchMatrix} {
		for name, g := range part {
			if _, dup := out[name]; dup {
				t.Fatalf("the matrix group %q is defined twice", name)
			}
			out[name] = g
		}
	}
	return out
}

// pgCoreMatrix covers the public pages, the session and the foundation's pages.
var pgCoreMatrix = map[string]pgGroup{
	"session": {rows: []pgRow{
		{method: "GET", route: "/", want: pgEveryone},
		{method: "GET", route: "/login",
			// A signed-in user is sent on to the dashboard.
			want: pgWant{ok200, to303, to303, to303, to303, to303, to303, to303, to303, to303, to303, to303}},
		{method: "POST", route: "/login", fresh: true,
			// Each signs in (again) with its own account, the visitor as demo-resident.
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				who := pgIdentities[i]
				if who == "anonymous" {
					who = "demo-resident"
				}
				return url.Values{"username": {who}, "password": {servertest.DemoPassword}}
			},
			want: pgWant{to303, to303, to303, to303, to303, to303, to303, to303, to303, to303, to303, to303}},
		{method: "POST", route: "/logout", fresh: true,
			want: pgWant{login, bye, bye, bye, bye, bye, bye, bye, bye, bye, bye, bye}},
		{method: "GET", route: "/dashboard", want: pgSignedIn},
		{method: "GET", route: "/lang/:code", params: pgParams("en"), query: "?next=/capable",
			want: pgWant{to303, to303, to303, to303, to303, to303, to303, to303, to303, to303, to303, to303}},
		{method: "GET", route: "/notifications", want: pgSignedIn},
		{method: "GET", route: "/signup", want: pgEveryone,
			// A signed-in user may read the form but is told it is for visitors (the POST refuses it).
			scope: &pgScope{text: pgText(`id="signed-in"`), shown: pgIdentities[1:], hidden: []string{"anonymous"}}},
		{method: "POST", route: "/signup", fresh: true,
			// A complete sign-up: only a signed-out visitor may register an organization.
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				code := servertest.CreditCode(t, fmt.Sprintf("52330502MJ91000%02d", i))
				return signupForm("", code, fmt.Sprintf("矩阵测试社会服务中心%d", i), fmt.Sprintf("matrix-signup-%d", i), f.district)
			},
			want: pgWant{to303, no403, no403, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
		{method: "GET", route: "/capable", want: pgEveryone},
		{method: "GET", route: "/catalog", want: pgEveryone},
		{method: "GET", route: "/catalog/items/:id", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.itemA} }),
			want: pgEveryone},
		{method: "GET", route: "/catalog/items/:id", note: "a draft", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.itemDraft} }),
			want: pgWant{nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404}},
		{method: "GET", route: "/standards", want: pgEveryone},
		{method: "GET", route: "/procurement", want: pgEveryone},
		// An evaluator reads no subdistrict's records (access.Actor.Subdistricts).
		{method: "GET", route: "/communities",
			want: pgWant{login, ok200, ok200, ok200, ok200, no403, no403, ok200, no403, no403, no403, ok200},
			scope: &pgScope{text: pgText("<td>330502003001</td>"), shown: []string{"demo-admin", "demo-district", "demo-officer", "demo-finance"},
				hidden: []string{"demo-officer2", pgFinance2}}},
		{method: "GET", route: "/organizations",
			want: pgWant{login, ok200, ok200, no403, no403, no403, ok200, no403, ok200, ok200, no403, no403},
			scope: &pgScope{text: pgText("湖州市吴兴区康乐居家养老服务中心"), shown: []string{"demo-admin", "demo-district", "demo-org", "demo-member"},
				hidden: []string{"demo-org2"}}},
		{method: "GET", route: "/admin/users",
			want: pgWant{login, ok200, no403, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
	}},
}

// TestPageMatrix calls every page route as every identity and checks what
// the matrix says each gets; each group runs on a database of its own.
func TestPageMatrix(t *testing.T) {
	t.Parallel()
	for name, g := range pgMatrix(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newPgFixture(t, g)
			for _, row := range g.rows {
				title := row.method + " " + row.route
				if row.note != "" {
					title += " (" + row.note + ")"
				}
				t.Run(title, func(t *testing.T) {
					for i, who := range pgIdentities {
						t.Run(who, func(t *testing.T) {
							pgCheckCell(t, f, row, i, who)
						})
					}
				})
			}
		})
	}
}

// newPgFixture builds a group's environment and records, then signs everyone in.
func newPgFixture(t *testing.T, g pgGroup) *pgFixture {
	t.Helper()
	var e *servertest.Env
	if g.stripe {
		e = servertest.NewEnvWithStripe(t).Env
	} else {
		e = servertest.NewEnv(t)
	}
	f := &pgFixture{
		e:          e,
		district:   e.Demo(t).District,
		subB:       e.Demo(t).SubB,
		commA:      e.Demo(t).CommA,
		commB:      e.Demo(t).CommB,
		org1:       e.Demo(t).Org1,
		org2:       e.Demo(t).Org2,
		itemA:      pgItem(t, e, "居家养老上门服务"),
		itemDraft:  pgItem(t, e, "老年人日间照料中心运营"),
		itemRetire: pgItem(t, e, "社区法律咨询与调解服务"),
		fundA:      e.Demo(t).FundA,
		lottery:    e.Demo(t).Lottery,
	}
	e.CreateUser(t, map[string]any{"username": pgFinance2, "display_name": "飞英街道财务专员", "role": "finance_officer", "subdistrict_id": f.subB})
	if g.setup != nil {
		g.setup(t, f)
	}
	f.clients, f.tokens = map[string]*servertest.PageClient{}, map[string]string{}
	for _, who := range pgIdentities {
		f.clients[who], f.tokens[who] = pgClient(t, e, who)
	}
	return f
}

// pgItem returns the id of the transfer item titled title.
func pgItem(t *testing.T, e *servertest.Env, title string) int64 {
	t.Helper()
	return e.IDOf(t, "transfer_items", "id = (SELECT item_id FROM transfer_item_versions WHERE title = ? ORDER BY version LIMIT 1)", title)
}

// pgClient returns a client of who reading the pages in English (for
// "anonymous", signed out) and the CSRF token of its forms.
func pgClient(t *testing.T, e *servertest.Env, who string) (*servertest.PageClient, string) {
	t.Helper()
	if who == "anonymous" {
		p := servertest.NewPageClient(e)
		p.Cookies["jd_lang"] = "en"
		return p, servertest.CSRFToken(t, p.Get(t, "/login"))
	}
	p := servertest.SignIn(t, e, who)
	p.Cookies["jd_lang"] = "en"
	return p, servertest.CSRFToken(t, p.Get(t, "/dashboard"))
}

// next returns a number no earlier call in the group returned.
func (f *pgFixture) next() int {
	f.seq++
	return f.seq
}

// pgParams returns fixed values for a route's parameters.
func pgParams(values ...any) func(t *testing.T, f *pgFixture) []any {
	return func(t *testing.T, f *pgFixture) []any { return values }
}

// pgIDs returns the ids pick names as a route's parameters.
func pgIDs(pick func(f *pgFixture) []int64) func(t *testing.T, f *pgFixture) []any {
	return func(t *testing.T, f *pgFixture) []any {
		var out []any
		for _, id := range pick(f) {
			if id == 0 {
				t.Fatalf("a record the row addresses was not made (id 0 in %v)", pick(f))
			}
			out = append(out, id)
		}
		return out
	}
}

var pgParam = regexp.MustCompile(`:[A-Za-z0-9_]+`)

// pgPath fills the row's route with its parameters.
func pgPath(t *testing.T, f *pgFixture, row pgRow) string {
	t.Helper()
	var values []any
	if row.params != nil {
		values = row.params(t, f)
	}
	if n := len(pgParam.FindAllString(row.route, -1)); n != len(values) {
		t.Fatalf("%s has %d parameters, the row gives %d", row.route, n, len(values))
	}
	i := 0
	path := pgParam.ReplaceAllStringFunc(row.route, func(string) string {
		i++
		return url.PathEscape(fmt.Sprint(values[i-1]))
	})
	path += row.query
	if row.where != nil {
		path += row.where(f)
	}
	return path
}

// pgCheckCell makes one call of the matrix and checks the answer: its status,
// where a redirect leads, that an error page says why and that a form shown
// again is the page with an alert. A refused call writes no audit entry, a
// refused form nothing at all.
func pgCheckCell(t *testing.T, f *pgFixture, row pgRow, i int, who string) {
	p, token := f.clients[who], f.tokens[who]
	if row.fresh {
		p, token = pgClient(t, f.e, who)
	}
	path := pgPath(t, f, row)
	what := fmt.Sprintf("%s %s as %s", row.method, path, who)
	form := url.Values{}
	if row.form != nil {
		form = row.form(t, f, i)
	}
	auditBefore := servertest.Count(t, f.e, "audit_entries")
	var r servertest.Response
	call := func() {
		switch {
		case row.method == http.MethodGet:
			r = p.Get(t, path)
		case row.upload != "":
			form.Set("csrf_token", token)
			r = p.PostFile(t, path, form, row.upload, samplePDF)
		default:
			form.Set("csrf_token", token)
			r = p.Send(t, row.method, path, form)
		}
	}
	want := row.want[i]
	if slices.Contains([]int{bad400, cf409, rf403, fa404}, want) {
		// A form the service refused wrote nothing at all, not only no audit entry.
		f.e.WritesNothing(t, what, call)
	} else {
		call()
	}
	loc, body := r.Header.Get("Location"), string(r.Body)
	switch want {
	case login, bye:
		if r.Status != http.StatusSeeOther || loc != "/login" {
			t.Fatalf("%s = %d Location %q, want 303 to /login; body %.300s", what, r.Status, loc, body)
		}
	case to303:
		if r.Status != http.StatusSeeOther || loc == "" || loc == "/login" {
			t.Fatalf("%s = %d Location %q, want 303 elsewhere than /login; body %.300s", what, r.Status, loc, body)
		}
	default:
		status := want
		switch want {
		case rf403:
			status = http.StatusForbidden
		case fa404:
			status = http.StatusNotFound
		}
		if r.Status != status {
			t.Fatalf("%s = %d Location %q, want %d; body %.300s", what, r.Status, loc, status, body)
		}
	}
	switch want {
	case ok200:
		if strings.Contains(body, pgErrorTitle) {
			t.Errorf("%s = 200 with the error page: %.300s", what, body)
		}
		if row.scope != nil {
			text := row.scope.text(f)
			if slices.Contains(row.scope.shown, who) && !strings.Contains(body, text) {
				t.Errorf("%s does not show %q", what, text)
			}
			if slices.Contains(row.scope.hidden, who) && strings.Contains(body, text) {
				t.Errorf("%s shows %q, of another tenant's records", what, text)
			}
		}
	case bad400, cf409, rf403, fa404:
		if strings.Contains(body, pgErrorTitle) || !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s = %d without the form's alert, or with the error page: %.300s", what, r.Status, body)
		}
	case no403:
		if !strings.Contains(body, pgForbidden) {
			t.Errorf("%s = 403 without %q (the CSRF token was refused?): %.300s", what, pgForbidden, body)
		}
	case nf404:
		if !strings.Contains(body, pgNotFound) {
			t.Errorf("%s = 404 without %q: %.300s", what, pgNotFound, body)
		}
	case bye:
		if c, ok := servertest.SetCookies(r)["jd_access"]; !ok || c.Value != "" {
			t.Errorf("%s does not clear the session cookie; Set-Cookie = %q", what, r.Header.Values("Set-Cookie"))
		}
		servertest.WantRedirect(t, "GET /dashboard after "+what, p.Get(t, "/dashboard"), "/login")
	}
	if slices.Contains([]int{login, bad400, cf409, rf403, fa404, no403, nf404}, want) {
		if n := servertest.Count(t, f.e, "audit_entries"); n != auditBefore {
			t.Errorf("%s answered %d but audit_entries went from %d to %d rows", what, r.Status, auditBefore, n)
		}
	}
}

// pgNotPage says whether a registered path is outside the page table: the
// API, the probes and the static files.
func pgNotPage(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/static") ||
		slices.Contains([]string{"/healthz", "/readyz", "/metrics"}, path)
}

// TestPageMatrixCoversEveryRoute fails when a page route is registered
// without a matrix row (or a row names a route that no longer exists).
func TestPageMatrixCoversEveryRoute(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	var registered, covered []string
	for _, r := range e.Server.App().GetRoutes(true) {
		// Fiber answers HEAD with each GET route.
		if r.Method == "USE" || r.Method == http.MethodHead || pgNotPage(r.Path) {
			continue
		}
		registered = append(registered, r.Method+" "+r.Path)
	}
	for _, g := range pgMatrix(t) {
		for _, row := range g.rows {
			covered = append(covered, row.method+" "+row.route)
		}
	}
	sort.Strings(registered)
	sort.Strings(covered)
	registered, covered = slices.Compact(registered), slices.Compact(covered)
	if len(registered) == 0 {
		t.Fatal("the app registers no page route")
	}
	if diff := cmp.Diff(covered, registered); diff != "" {
		t.Errorf("page routes (-in the matrix +registered in the app):\n%s", diff)
	}
}
