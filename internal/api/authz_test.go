package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// azIdentities are the callers of the authorization matrix, in the column order
// of azWant: nobody, then the ten demo accounts.
var azIdentities = servertest.Identities

// azWant is the expected status per identity, in the order of azIdentities.
type azWant [11]int

// Shorthands for the matrix.
const (
	ok200  = http.StatusOK
	new201 = http.StatusCreated
	nc204  = http.StatusNoContent
	no401  = http.StatusUnauthorized
	no403  = http.StatusForbidden
	nf404  = http.StatusNotFound
)

// azFixture is one matrix group's environment with a token per identity and the
// ids of the demo records the rows address.
type azFixture struct {
	e        *servertest.Env
	tokens   map[string]string
	district int64 // 吴兴区
	subA     int64 // 爱山街道
	subB     int64 // 飞英街道
	commA    int64 // 南街社区, in A
	commB    int64 // 飞英社区, in B
	org1     int64 // demo-org's
	org2     int64 // demo-org2's
	resident int64 // demo-resident's user id
}

func newAzFixture(t *testing.T) *azFixture {
	t.Helper()
	e := servertest.NewEnv(t)
	f := &azFixture{
		e:        e,
		tokens:   map[string]string{"anonymous": ""},
		district: e.Demo(t).District,
		subA:     e.Demo(t).SubA,
		subB:     e.Demo(t).SubB,
		commA:    e.Demo(t).CommA,
		commB:    e.Demo(t).CommB,
		org1:     e.Demo(t).Org1,
		org2:     e.Demo(t).Org2,
		resident: e.Demo(t).Resident,
	}
	for _, who := range azIdentities[1:] {
		f.tokens[who] = e.Token(t, who)
	}
	return f
}

// azRow returns the row of table with id, as column → value.
func azRow(t *testing.T, e *servertest.Env, table string, id int64) map[string]any {
	t.Helper()
	row := map[string]any{}
	if err := e.DB.Table(table).Where("id = ?", id).Take(&row).Error; err != nil {
		t.Fatalf("read %s %d: %v", table, id, err)
	}
	return row
}

// azMatrixRow is one route of the matrix: how to call it and what each
// identity gets.
type azMatrixRow struct {
	method string
	route  string                                      // the pattern as registered in routes.go
	path   func(t testing.TB, f *azFixture) string     // the concrete path; nil means route
	body   func(t testing.TB, f *azFixture, i int) any // i is the identity's column, for unique values
	fresh  bool                                        // each identity signs in anew (the call ends the session)
	header map[string]string                           // extra request headers (a multipart Content-Type for a []byte body)
	want   azWant                                      // anonymous, admin, district, officer, finance, evaluator, org, officer2, org2, member, resident

	// prepare, when set, readies the group's records for identity i's call
	// before path and body are made (an amendment the identity may decide).
	prepare func(t testing.TB, f *azFixture, i int)
}

// azMatrix is the authorization matrix, grouped by what the routes write: each
// group runs on its own database. It is written out by hand, not derived from
// routes.go, so that a changed role list fails here.
var azMatrix = azMerge(azCoreMatrix, azCatalogMatrix, azOrgMatrix, azFundMatrix, azPayoutMatrix, azTenderMatrix, azDeliveryMatrix, azContractMatrix, azServiceRequestMatrix, azRatingMatrix, azComplaintMatrix, azTrackMatrix, azMilestoneMatrix, azEvaluationMatrix, azExportMatrix, azCommitmentMatrix,
	azAuditMatrix, azOCDSMatrix, azRedFlagMatrix,
	azWorklistMatrix, azSearchMatrix)

// azMerge joins matrix groups kept in several files (one per area of the API).
func azMerge(parts ...map[string][]azMatrixRow) map[string][]azMatrixRow {
	out := map[string][]azMatrixRow{}
	for _, p := range parts {
		for group, rows := range p {
			out[group] = append(out[group], rows...)
		}
	}
	return out
}

// azCoreMatrix covers the foundation's routes: sessions, places, organizations, users.
var azCoreMatrix = map[string][]azMatrixRow{
	"session": {
		{method: "GET", route: "/api/v1/me",
			want: azWant{no401, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "POST", route: "/api/v1/auth/logout", fresh: true,
			want: azWant{no401, nc204, nc204, nc204, nc204, nc204, nc204, nc204, nc204, nc204, nc204}},
	},
	"districts": {
		{method: "GET", route: "/api/v1/districts",
			want: azWant{no401, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "POST", route: "/api/v1/districts",
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"code": fmt.Sprintf("3399%02d", i), "name_zh": fmt.Sprintf("测试区%d", i)}
			},
			want: azWant{no401, new201, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
		{method: "GET", route: "/api/v1/districts/:id", path: func(t testing.TB, f *azFixture) string { return fmt.Sprintf("/api/v1/districts/%d", f.district) },
			want: azWant{no401, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "PATCH", route: "/api/v1/districts/:id", path: func(t testing.TB, f *azFixture) string { return fmt.Sprintf("/api/v1/districts/%d", f.district) },
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"name_en": fmt.Sprintf("Wuxing District %d", i)}
			},
			want: azWant{no401, ok200, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
	},
	"subdistricts": {
		{method: "GET", route: "/api/v1/subdistricts",
			want: azWant{no401, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "POST", route: "/api/v1/subdistricts",
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"district_id": f.district, "code": fmt.Sprintf("3305029%02d", i), "name_zh": fmt.Sprintf("测试街道%d", i)}
			},
			want: azWant{no401, new201, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
		{method: "GET", route: "/api/v1/subdistricts/:id", path: func(t testing.TB, f *azFixture) string { return fmt.Sprintf("/api/v1/subdistricts/%d", f.subA) },
			want: azWant{no401, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "PATCH", route: "/api/v1/subdistricts/:id", path: func(t testing.TB, f *azFixture) string { return fmt.Sprintf("/api/v1/subdistricts/%d", f.subA) },
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"name_en": fmt.Sprintf("Aishan Subdistrict %d", i)}
			},
			want: azWant{no401, ok200, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
	},
	"communities": {
		// An evaluator reads no subdistrict's records (access.Actor.Subdistricts), communities neither.
		{method: "GET", route: "/api/v1/communities",
			want: azWant{no401, ok200, ok200, ok200, ok200, no403, no403, ok200, no403, no403, no403}},
		{method: "POST", route: "/api/v1/communities",
			body: func(t testing.TB, f *azFixture, i int) any {
				// Each officer adds to its own subdistrict; everyone else names A.
				sub, code := f.subA, "330502003"
				if azIdentities[i] == "demo-officer2" {
					sub, code = f.subB, "330502004"
				}
				return map[string]any{"subdistrict_id": sub, "code": fmt.Sprintf("%s9%02d", code, i),
					"name_zh": fmt.Sprintf("测试社区%d", i), "households": 100 + i}
			},
			want: azWant{no401, new201, no403, new201, no403, no403, no403, new201, no403, no403, no403}},
		{method: "GET", route: "/api/v1/communities/:id", path: func(t testing.TB, f *azFixture) string { return fmt.Sprintf("/api/v1/communities/%d", f.commA) },
			want: azWant{no401, ok200, ok200, ok200, ok200, no403, no403, nf404, no403, no403, no403}},
		{method: "PATCH", route: "/api/v1/communities/:id", path: func(t testing.TB, f *azFixture) string { return fmt.Sprintf("/api/v1/communities/%d", f.commA) },
			body: func(t testing.TB, f *azFixture, i int) any { return map[string]any{"households": 2400 + i} },
			want: azWant{no401, ok200, no403, ok200, no403, no403, no403, nf404, no403, no403, no403}},
	},
	"organizations": {
		{method: "GET", route: "/api/v1/organizations",
			want: azWant{no401, ok200, ok200, no403, no403, no403, ok200, no403, ok200, ok200, no403}},
		{method: "POST", route: "/api/v1/organizations",
			body: func(t testing.TB, f *azFixture, i int) any {
				b := map[string]any{"credit_code": servertest.CreditCode(t, fmt.Sprintf("52330502MJ90000%02d", i)),
					"legal_name": fmt.Sprintf("测试社会服务中心%d", i), "org_type": "social_service_institution", "district_id": f.district}
				if azIdentities[i] == "anonymous" { // a sign-up carries the first admin account
					b["admin"] = map[string]any{"username": fmt.Sprintf("matrix-signup-%d", i), "password": "a long enough password"}
				}
				return b
			},
			want: azWant{new201, new201, new201, no403, no403, no403, no403, no403, no403, no403, no403}},
		{method: "GET", route: "/api/v1/organizations/:id", path: func(t testing.TB, f *azFixture) string { return fmt.Sprintf("/api/v1/organizations/%d", f.org1) },
			want: azWant{no401, ok200, ok200, no403, no403, no403, ok200, no403, nf404, ok200, no403}},
		{method: "PATCH", route: "/api/v1/organizations/:id", path: func(t testing.TB, f *azFixture) string { return fmt.Sprintf("/api/v1/organizations/%d", f.org1) },
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"contact_name": fmt.Sprintf("联系人%d", i)}
			},
			want: azWant{no401, ok200, ok200, no403, no403, no403, ok200, no403, nf404, no403, no403}},
	},
	"users": {
		{method: "GET", route: "/api/v1/users",
			want: azWant{no401, ok200, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
		{method: "POST", route: "/api/v1/users",
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"username": fmt.Sprintf("matrix-user-%d", i), "password": "a long enough password", "role": "resident"}
			},
			want: azWant{no401, new201, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
		{method: "GET", route: "/api/v1/users/:id", path: func(t testing.TB, f *azFixture) string { return fmt.Sprintf("/api/v1/users/%d", f.resident) },
			want: azWant{no401, ok200, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
		{method: "PATCH", route: "/api/v1/users/:id", path: func(t testing.TB, f *azFixture) string { return fmt.Sprintf("/api/v1/users/%d", f.resident) },
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"display_name": fmt.Sprintf("居民%d", i)}
			},
			want: azWant{no401, ok200, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
	},
}

// azPublic are the /api/v1 routes open to anonymous callers that the matrix
// cannot call generically; TestAuthzPublicRoutes covers them. The public
// catalog routes are matrix rows.
var azPublic = []string{"POST /api/v1/auth/login", "POST /api/v1/auth/refresh"}

func TestAuthzMatrix(t *testing.T) {
	t.Parallel()
	for group, rows := range azMatrix {
		t.Run(group, func(t *testing.T) {
			t.Parallel()
			f := newAzFixture(t)
			for _, row := range rows {
				t.Run(row.method+" "+row.route, func(t *testing.T) {
					for i, who := range azIdentities {
						t.Run(who, func(t *testing.T) {
							azCheckCell(t, f, row, i, who)
						})
					}
				})
			}
		})
	}
}

// azCheckCell makes one call of the matrix and checks its status; a refused call
// must answer problem+json with the matching code and write no audit entry.
func azCheckCell(t *testing.T, f *azFixture, row azMatrixRow, i int, who string) {
	e := f.e
	if row.prepare != nil {
		row.prepare(t, f, i)
	}
	token := f.tokens[who]
	if row.fresh && who != "anonymous" {
		token = e.Token(t, who)
	}
	path := row.route
	if row.path != nil {
		path = row.path(t, f)
	}
	var body any
	if row.body != nil {
		body = row.body(t, f, i)
	}
	auditBefore := servertest.Count(t, e, "audit_entries")
	r := e.Do(t, servertest.Request{Method: row.method, Path: path, Token: token, Body: body, Header: row.header})
	want := row.want[i]
	if r.Status != want {
		t.Fatalf("%s %s as %s = %d %s, want %d", row.method, path, who, r.Status, r.Body, want)
	}
	if want < 400 {
		return
	}
	p := r.Problem(t)
	// 400 and 409 appear in the rating rows only: bad stars, a second reply.
	wantCode := map[int]string{no401: "unauthorized", no403: "forbidden", nf404: "not_found", bad400: "validation", cf409: "rating.replied"}[want]
	if p.Code != wantCode || p.Status != want {
		t.Errorf("%s %s as %s: problem code %q status %d, want %q %d", row.method, path, who, p.Code, p.Status, wantCode, want)
	}
	if n := servertest.Count(t, e, "audit_entries"); n != auditBefore {
		t.Errorf("%s %s as %s was refused with %d but audit_entries went from %d to %d rows", row.method, path, who, want, auditBefore, n)
	}
}

// TestAuthzMatrixCoversEveryRoute fails when an /api/v1 route is registered
// without a matrix row (or a row names a route that no longer exists).
func TestAuthzMatrixCoversEveryRoute(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	var registered []string
	for _, r := range e.Server.App().GetRoutes(true) {
		if r.Method == "USE" || r.Method == http.MethodHead || !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		registered = append(registered, r.Method+" "+r.Path)
	}
	covered := slices.Clone(azPublic)
	for _, rows := range azMatrix {
		for _, row := range rows {
			covered = append(covered, row.method+" "+row.route)
		}
	}
	sort.Strings(registered)
	sort.Strings(covered)
	registered, covered = slices.Compact(registered), slices.Compact(covered)
	if diff := cmp.Diff(covered, registered); diff != "" {
		t.Errorf("/api/v1 routes (-in the matrix +registered in the app):\n%s", diff)
	}
}

// TestAuthzPublicRoutes checks that login and refresh work without a token,
// and that they still refuse bad credentials.
func TestAuthzPublicRoutes(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	for _, who := range azIdentities[1:] {
		r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"username": who, "password": servertest.DemoPassword}})
		if r.Status != http.StatusOK {
			t.Fatalf("anonymous POST /api/v1/auth/login as %s = %d %s, want 200", who, r.Status, r.Body)
		}
		var tk struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		}
		r.JSON(t, &tk)
		if tk.AccessToken == "" || tk.RefreshToken == "" {
			t.Fatalf("login %s returned %s, want an access and a refresh token", who, r.Body)
		}
		r = e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/refresh", Body: map[string]string{"refresh_token": tk.RefreshToken}})
		if r.Status != http.StatusOK {
			t.Fatalf("anonymous POST /api/v1/auth/refresh for %s = %d %s, want 200", who, r.Status, r.Body)
		}
	}
	r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"username": "demo-admin", "password": "not the password"}})
	if r.Status != http.StatusUnauthorized || r.Problem(t).Code != "auth.invalid_credentials" {
		t.Errorf("login with a wrong password = %d %s, want 401 auth.invalid_credentials", r.Status, r.Body)
	}
	r = e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/refresh", Body: map[string]string{"refresh_token": "not-a-refresh-token"}})
	if r.Status != http.StatusUnauthorized || r.Problem(t).Code != "auth.invalid_token" {
		t.Errorf("refresh with a made-up token = %d %s, want 401 auth.invalid_token", r.Status, r.Body)
	}
}

// azListCodes returns the code (or credit_code) of every item a list returns.
func azListCodes(t *testing.T, e *servertest.Env, path, token string) []string {
	t.Helper()
	r := e.Do(t, servertest.Request{Method: "GET", Path: path, Token: token})
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s = %d %s, want 200", path, r.Status, r.Body)
	}
	var list struct {
		Items []struct {
			Code       string `json:"code"`
			CreditCode string `json:"credit_code"`
		} `json:"items"`
	}
	r.JSON(t, &list)
	codes := []string{}
	for _, it := range list.Items {
		codes = append(codes, it.Code+it.CreditCode)
	}
	sort.Strings(codes)
	return codes
}

func TestTenantCommunities(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	tests := []struct {
		who   string
		other int64 // a community of the other subdistrict
	}{
		{"demo-officer", f.commB},
		{"demo-officer2", f.commA},
		{"demo-finance", f.commB},
	}
	for _, tt := range tests {
		path := fmt.Sprintf("/api/v1/communities/%d", tt.other)
		e.Refused(t, servertest.Request{Method: "GET", Path: path, Token: f.tokens[tt.who], Body: nil}, http.StatusNotFound, "not_found")
		if tt.who != "demo-finance" { // finance may not PATCH at all (403, in the matrix)
			e.Refused(t, servertest.Request{Method: "PATCH", Path: path, Token: f.tokens[tt.who], Body: map[string]any{"households": 1, "name_zh": "改名"}}, http.StatusNotFound, "not_found")
		}
	}

	// An officer cannot add a community to the other subdistrict.
	commBefore := servertest.Count(t, e, "communities")
	auditBefore := servertest.Count(t, e, "audit_entries")
	r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/communities", Token: f.tokens["demo-officer2"],
		Body: map[string]any{"subdistrict_id": f.subA, "code": "330502003099", "name_zh": "越界社区", "households": 10}})
	if r.Status != http.StatusBadRequest || !azHasFields(r.Problem(t), "subdistrict_id") {
		t.Errorf("demo-officer2 POST a community in A = %d %s, want 400 naming subdistrict_id", r.Status, r.Body)
	}
	if n, a := servertest.Count(t, e, "communities"), servertest.Count(t, e, "audit_entries"); n != commBefore || a != auditBefore {
		t.Errorf("refused community create changed the counts: communities %d → %d, audit_entries %d → %d", commBefore, n, auditBefore, a)
	}

	all := []string{"330502003001", "330502003002", "330502003003", "330502004001", "330502004002"}
	lists := []struct {
		who  string
		want []string
	}{
		{"demo-admin", all},
		{"demo-district", all},
		{"demo-officer", all[:3]},
		{"demo-finance", all[:3]},
		{"demo-officer2", all[3:]},
	}
	for _, l := range lists {
		if diff := cmp.Diff(l.want, azListCodes(t, e, "/api/v1/communities", f.tokens[l.who])); diff != "" {
			t.Errorf("GET /api/v1/communities as %s (-want +got):\n%s", l.who, diff)
		}
	}
}

func TestTenantOrganizations(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	patch := map[string]any{"legal_name": "被篡改的名称", "staff_count": 99}
	for _, tt := range []struct {
		who   string
		other int64
	}{{"demo-org", f.org2}, {"demo-org2", f.org1}} {
		path := fmt.Sprintf("/api/v1/organizations/%d", tt.other)
		e.Refused(t, servertest.Request{Method: "GET", Path: path, Token: f.tokens[tt.who], Body: nil}, http.StatusNotFound, "not_found")
		e.Refused(t, servertest.Request{Method: "PATCH", Path: path, Token: f.tokens[tt.who], Body: patch}, http.StatusNotFound, "not_found")
	}
	for who, want := range map[string][]string{
		"demo-org":      {"52330502MJ526018XR"},
		"demo-org2":     {"51330502MJ016613XH"},
		"demo-district": {"51330502MJ016613XH", "52330502MJ526018XR", "52330502MJ7304156W", "53330502MJ159083XF"},
	} {
		if diff := cmp.Diff(want, azListCodes(t, e, "/api/v1/organizations", f.tokens[who])); diff != "" {
			t.Errorf("GET /api/v1/organizations as %s (-want +got):\n%s", who, diff)
		}
	}
}

// azCreate creates a record as demo-admin and returns its id.
func azCreate(t *testing.T, f *azFixture, path string, body map[string]any) int64 {
	t.Helper()
	r := f.e.Do(t, servertest.Request{Method: "POST", Path: path, Token: f.tokens["demo-admin"], Body: body})
	if r.Status != http.StatusCreated {
		t.Fatalf("demo-admin POST %s = %d %s, want 201", path, r.Status, r.Body)
	}
	var out struct {
		ID int64 `json:"id"`
	}
	r.JSON(t, &out)
	return out.ID
}

// TestTenantOtherDistrict creates 南浔区 with a subdistrict, a community and an
// organization as the platform admin; 吴兴区's district roles must not reach them.
func TestTenantOtherDistrict(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	admin := f.tokens["demo-admin"]
	create := func(path string, body map[string]any) int64 { return azCreate(t, f, path, body) }
	district := create("/api/v1/districts", map[string]any{"code": "330503", "name_zh": "南浔区", "name_en": "Nanxun District"})
	sub := create("/api/v1/subdistricts", map[string]any{"district_id": district, "code": "330503001", "name_zh": "南浔镇"})
	comm := create("/api/v1/communities", map[string]any{"subdistrict_id": sub, "code": "330503001001", "name_zh": "南浔社区", "households": 500})
	code := servertest.CreditCode(t, "52330503MJ0000001")
	other := create("/api/v1/organizations", map[string]any{"credit_code": code, "legal_name": "湖州市南浔区测试服务中心",
		"org_type": "social_service_institution", "district_id": district})

	orgPath := fmt.Sprintf("/api/v1/organizations/%d", other)
	dist := f.tokens["demo-district"]
	e.Refused(t, servertest.Request{Method: "GET", Path: orgPath, Token: dist, Body: nil}, http.StatusNotFound, "not_found")
	e.Refused(t, servertest.Request{Method: "PATCH", Path: orgPath, Token: dist, Body: map[string]any{"contact_name": "越权"}}, http.StatusNotFound, "not_found")
	commPath := fmt.Sprintf("/api/v1/communities/%d", comm)
	for _, who := range []string{"demo-district", "demo-officer"} {
		e.Refused(t, servertest.Request{Method: "GET", Path: commPath, Token: f.tokens[who], Body: nil}, http.StatusNotFound, "not_found")
	}

	// A district admin cannot register an organization in another district.
	orgsBefore, auditBefore := servertest.Count(t, e, "organizations"), servertest.Count(t, e, "audit_entries")
	r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Token: dist, Body: map[string]any{
		"credit_code": servertest.CreditCode(t, "52330503MJ0000002"), "legal_name": "越界登记", "org_type": "social_group", "district_id": district}})
	if r.Status != http.StatusBadRequest || !azHasFields(r.Problem(t), "district_id") {
		t.Errorf("demo-district POST an organization in 南浔区 = %d %s, want 400 naming district_id", r.Status, r.Body)
	}
	if n, a := servertest.Count(t, e, "organizations"), servertest.Count(t, e, "audit_entries"); n != orgsBefore || a != auditBefore {
		t.Errorf("refused organization create changed the counts: organizations %d → %d, audit_entries %d → %d", orgsBefore, n, auditBefore, a)
	}

	seeded := []string{"51330502MJ016613XH", "52330502MJ526018XR", "52330502MJ7304156W", "53330502MJ159083XF"}
	if diff := cmp.Diff(seeded, azListCodes(t, e, "/api/v1/organizations", dist)); diff != "" {
		t.Errorf("GET /api/v1/organizations as demo-district (-want +got):\n%s", diff)
	}
	if got := azListCodes(t, e, "/api/v1/organizations", admin); !slices.Contains(got, code) || len(got) != len(seeded)+1 {
		t.Errorf("GET /api/v1/organizations as demo-admin = %v, want the %d seeded and %s", got, len(seeded), code)
	}
	for _, who := range []string{"demo-district"} {
		if got := azListCodes(t, e, "/api/v1/communities", f.tokens[who]); slices.Contains(got, "330503001001") || len(got) != 5 {
			t.Errorf("GET /api/v1/communities as %s = %v, want only 吴兴区's 5", who, got)
		}
	}
	if got := azListCodes(t, e, "/api/v1/communities", admin); !slices.Contains(got, "330503001001") {
		t.Errorf("GET /api/v1/communities as demo-admin = %v, want it to include 330503001001", got)
	}
}

// azHasFields reports whether the problem names exactly fields, in any order.
func azHasFields(p servertest.Problem, fields ...string) bool {
	var got []string
	for _, fe := range p.Errors {
		got = append(got, fe.Field)
	}
	sort.Strings(got)
	want := slices.Clone(fields)
	sort.Strings(want)
	return slices.Equal(got, want)
}
