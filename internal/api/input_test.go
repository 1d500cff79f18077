package api_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// inCounts returns the row counts of tables.
func inCounts(t *testing.T, e *servertest.Env, tables ...string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range tables {
		out[table] = servertest.Count(t, e, table)
	}
	return out
}

// inFields returns the sorted field names of a problem's errors.
func inFields(p servertest.Problem) []string {
	out := []string{}
	for _, fe := range p.Errors {
		out = append(out, fe.Field)
	}
	sort.Strings(out)
	return out
}

func TestInputRefused(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	officer, admin := f.tokens["demo-officer"], f.tokens["demo-admin"]
	commPath := fmt.Sprintf("/api/v1/communities/%d", f.commA)
	orgPath := fmt.Sprintf("/api/v1/organizations/%d", f.org1)
	const valid = `{"code":"330502003901","name_zh":"新社区","households":10}`
	huge := `{"code":"330502003901","name_zh":"` + strings.Repeat("x", e.Cfg.HTTP.JSONBodyLimit) + `","households":10}`

	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		body       string
		header     map[string]string
		table      string
		id         int64 // the row a PATCH addresses, checked unchanged
		wantStatus int
		wantCode   string
		wantFields []string
	}{
		{name: "unknown field", method: "POST", path: "/api/v1/communities", token: officer,
			body: `{"code":"330502003901","name_zh":"新社区","households":10,"colour":"red"}`, table: "communities",
			wantStatus: 400, wantCode: "validation", wantFields: []string{"colour"}},
		{name: "text/plain", method: "POST", path: "/api/v1/communities", token: officer, body: valid,
			header: map[string]string{"Content-Type": "text/plain"}, table: "communities",
			wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "no Content-Type", method: "POST", path: "/api/v1/communities", token: officer, body: valid,
			header: map[string]string{"Content-Type": ""}, table: "communities",
			wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "form encoded", method: "POST", path: "/api/v1/communities", token: officer,
			body: "code=330502003901&name_zh=x&households=10", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			table: "communities", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "larger than the JSON body limit", method: "POST", path: "/api/v1/communities", token: officer, body: huge,
			table: "communities", wantStatus: 413, wantCode: "body_too_large"},
		{name: "malformed JSON", method: "POST", path: "/api/v1/communities", token: officer,
			body: `{"code":"330502003901","name_zh":`, table: "communities", wantStatus: 400, wantCode: "malformed_json"},
		{name: "empty body", method: "POST", path: "/api/v1/communities", token: officer,
			body: "", table: "communities", wantStatus: 400, wantCode: "malformed_json"},
		{name: "trailing object", method: "POST", path: "/api/v1/communities", token: officer,
			body: valid + `{}`, table: "communities", wantStatus: 400, wantCode: "malformed_json"},
		{name: "trailing garbage", method: "POST", path: "/api/v1/communities", token: officer,
			body: valid + ` x`, table: "communities", wantStatus: 400, wantCode: "malformed_json"},
		{name: "array instead of object", method: "POST", path: "/api/v1/communities", token: officer,
			body: `[` + valid + `]`, table: "communities", wantStatus: 400, wantCode: "malformed_json"},
		{name: "string for households", method: "POST", path: "/api/v1/communities", token: officer,
			body: `{"code":"330502003901","name_zh":"新社区","households":"many"}`, table: "communities",
			wantStatus: 400, wantCode: "validation", wantFields: []string{"households"}},
		{name: "fraction for households", method: "POST", path: "/api/v1/communities", token: officer,
			body: `{"code":"330502003901","name_zh":"新社区","households":2.5}`, table: "communities",
			wantStatus: 400, wantCode: "validation", wantFields: []string{"households"}},
		{name: "string for subdistrict_id", method: "POST", path: "/api/v1/communities", token: officer,
			body: fmt.Sprintf(`{"subdistrict_id":"%d","code":"330502003901","name_zh":"新社区","households":10}`, f.subA), table: "communities",
			wantStatus: 400, wantCode: "validation", wantFields: []string{"subdistrict_id"}},
		{name: "bad code and negative households", method: "POST", path: "/api/v1/communities", token: officer,
			body: `{"code":"12","name_zh":"新社区","households":-5}`, table: "communities",
			wantStatus: 400, wantCode: "validation", wantFields: []string{"code", "households"}},
		{name: "empty object", method: "POST", path: "/api/v1/communities", token: officer,
			body: `{}`, table: "communities",
			wantStatus: 400, wantCode: "validation", wantFields: []string{"code", "households", "name_zh"}},
		{name: "PATCH unknown field", method: "PATCH", path: commPath, token: officer,
			body: `{"households":5,"population":9000}`, table: "communities", id: f.commA,
			wantStatus: 400, wantCode: "validation", wantFields: []string{"population"}},
		{name: "PATCH negative households and empty name", method: "PATCH", path: commPath, token: officer,
			body: `{"households":-1,"name_zh":"  "}`, table: "communities", id: f.commA,
			wantStatus: 400, wantCode: "validation", wantFields: []string{"households", "name_zh"}},
		{name: "PATCH subdistrict_id", method: "PATCH", path: commPath, token: officer,
			body: fmt.Sprintf(`{"subdistrict_id":%d}`, f.subB), table: "communities", id: f.commA,
			wantStatus: 400, wantCode: "validation", wantFields: []string{"subdistrict_id"}},
		{name: "PATCH text/plain", method: "PATCH", path: commPath, token: officer, body: `{"households":5}`,
			header: map[string]string{"Content-Type": "text/plain"}, table: "communities", id: f.commA,
			wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "organization string for staff_count", method: "POST", path: "/api/v1/organizations", token: admin,
			body:  fmt.Sprintf(`{"credit_code":"91350100M000100Y43","legal_name":"测试","org_type":"enterprise","district_id":%d,"staff_count":"ten"}`, f.district),
			table: "organizations", wantStatus: 400, wantCode: "validation", wantFields: []string{"staff_count"}},
		{name: "organization unknown field", method: "POST", path: "/api/v1/organizations", token: admin,
			body:  fmt.Sprintf(`{"credit_code":"91350100M000100Y43","legal_name":"测试","org_type":"enterprise","district_id":%d,"website":"x"}`, f.district),
			table: "organizations", wantStatus: 400, wantCode: "validation", wantFields: []string{"website"}},
		{name: "organization several bad fields", method: "POST", path: "/api/v1/organizations", token: admin,
			body:  fmt.Sprintf(`{"credit_code":"91350100M000100Y4","legal_name":"","org_type":"club","district_id":%d,"contact_email":"nope","staff_count":1,"certified_social_workers":2}`, f.district),
			table: "organizations", wantStatus: 400, wantCode: "validation",
			wantFields: []string{"certified_social_workers", "contact_email", "credit_code", "legal_name", "org_type"}},
		{name: "organization bad registration_date", method: "POST", path: "/api/v1/organizations", token: admin,
			body:  fmt.Sprintf(`{"credit_code":"91350100M000100Y43","legal_name":"测试","org_type":"enterprise","district_id":%d,"registration_date":"18/03/2016"}`, f.district),
			table: "organizations", wantStatus: 400, wantCode: "validation", wantFields: []string{"registration_date"}},
		{name: "organization PATCH credit_code", method: "PATCH", path: orgPath, token: admin,
			body: `{"credit_code":"91350100M000100Y43"}`, table: "organizations", id: f.org1,
			wantStatus: 400, wantCode: "validation", wantFields: []string{"credit_code"}},
		{name: "organization PATCH district_id", method: "PATCH", path: orgPath, token: admin,
			body: fmt.Sprintf(`{"district_id":%d}`, f.district), table: "organizations", id: f.org1,
			wantStatus: 400, wantCode: "validation", wantFields: []string{"district_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := inCounts(t, e, tt.table, "audit_entries")
			var row map[string]any
			if tt.id != 0 {
				row = azRow(t, e, tt.table, tt.id)
			}
			r := e.Do(t, servertest.Request{Method: tt.method, Path: tt.path, Token: tt.token, Body: tt.body, Header: tt.header})
			if r.Status != tt.wantStatus {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, r.Status, r.Body, tt.wantStatus)
			}
			p := r.Problem(t)
			if p.Code != tt.wantCode || p.Status != tt.wantStatus {
				t.Errorf("problem code %q status %d, want %q %d", p.Code, p.Status, tt.wantCode, tt.wantStatus)
			}
			want := tt.wantFields
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(want, inFields(p)); diff != "" {
				t.Errorf("problem errors[].field (-want +got):\n%s\nbody %s", diff, r.Body)
			}
			if diff := cmp.Diff(before, inCounts(t, e, tt.table, "audit_entries")); diff != "" {
				t.Errorf("refused request changed row counts (-before +after):\n%s", diff)
			}
			if tt.id != 0 {
				if diff := cmp.Diff(row, azRow(t, e, tt.table, tt.id)); diff != "" {
					t.Errorf("refused request changed %s %d (-before +after):\n%s", tt.table, tt.id, diff)
				}
			}
		})
	}

	// The same body that was refused above for its framing is accepted when sent
	// properly, so the refusals were for the reason each case names.
	t.Run("control", func(t *testing.T) {
		before := inCounts(t, e, "communities", "audit_entries")
		r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/communities", Token: officer, Body: valid,
			Header: map[string]string{"Content-Type": "application/json; charset=utf-8"}})
		if r.Status != http.StatusCreated {
			t.Fatalf("POST /api/v1/communities with a valid body = %d %s, want 201", r.Status, r.Body)
		}
		after := inCounts(t, e, "communities", "audit_entries")
		if after["communities"] != before["communities"]+1 || after["audit_entries"] != before["audit_entries"]+1 {
			t.Errorf("valid create: counts %v → %v, want one more community and one more audit entry", before, after)
		}
	})
}

// TestInputBodyOverServerLimit sends more than the server's whole body limit,
// which the HTTP layer refuses before any handler runs. app.Test reports that
// refusal as an error, so this one request goes through a real listener.
func TestInputBodyOverServerLimit(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	token := e.Token(t, "demo-officer")
	before := inCounts(t, e, "communities", "audit_entries")
	size := e.Cfg.HTTP.BodyLimit + 1
	r := e.DeclareBody(t, "/api/v1/communities", token, size)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("POST /api/v1/communities declaring %d bytes = %d %.300s, want 413", size, r.Status, r.Body)
	}
	if p := r.Problem(t); p.Code != "body_too_large" {
		t.Errorf("problem code %q, want body_too_large", p.Code)
	}
	servertest.ValidateResponse(t, servertest.Request{Method: "POST", Path: "/api/v1/communities"}, nil, r)
	// Refused before routing, it still carries a request id and the security headers.
	for _, h := range []string{"X-Request-ID", "Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options"} {
		if r.Header.Get(h) == "" {
			t.Errorf("413 response lacks %s", h)
		}
	}
	if diff := cmp.Diff(before, inCounts(t, e, "communities", "audit_entries")); diff != "" {
		t.Errorf("refused request changed row counts (-before +after):\n%s", diff)
	}
}

// TestCreditCodes registers organizations with the codes of WORKED_EXAMPLES.md §1.
func TestCreditCodes(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	admin := f.tokens["demo-admin"]
	tests := []struct {
		code   string
		valid  bool
		seeded bool // the demo seed registered it already
	}{
		{"91350100M000100Y43", true, false},
		{"91110000600037341L", true, false},
		{"12100000400000624D", true, false},
		{"52330502MJ526018XR", true, true},
		{"53330502MJ159083XF", true, true},
		{"51330502MJ016613XH", true, true},
		{"52330500MJ5470873D", false, false}, // check should be 0
		{"53110000500021676T", false, false}, // check should be P
		{"91350100M000100Y4", false, false},  // 17 characters
		{"91350100I000100Y43", false, false}, // I is not in the alphabet
	}
	post := func(t *testing.T, code string) servertest.Response {
		t.Helper()
		return e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Token: admin, Body: map[string]any{
			"credit_code": code, "legal_name": "信用代码测试 " + code, "org_type": "social_group", "district_id": f.district}})
	}
	refused := func(t *testing.T, code string, want int, wantCode string, wantFields ...string) {
		t.Helper()
		before := inCounts(t, e, "organizations", "audit_entries")
		r := post(t, code)
		if r.Status != want {
			t.Fatalf("POST %q = %d %s, want %d", code, r.Status, r.Body, want)
		}
		p := r.Problem(t)
		if p.Code != wantCode || !azHasFields(p, wantFields...) {
			t.Errorf("POST %q: problem %q naming %v, want %q naming %v", code, p.Code, inFields(p), wantCode, wantFields)
		}
		if diff := cmp.Diff(before, inCounts(t, e, "organizations", "audit_entries")); diff != "" {
			t.Errorf("refused POST %q changed row counts (-before +after):\n%s", code, diff)
		}
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			switch {
			case !tt.valid:
				refused(t, tt.code, http.StatusBadRequest, "validation", "credit_code")
			case tt.seeded:
				refused(t, tt.code, http.StatusConflict, "organization.duplicate_credit_code")
			default:
				before := inCounts(t, e, "organizations", "audit_entries")
				r := post(t, tt.code)
				if r.Status != http.StatusCreated {
					t.Fatalf("POST %q = %d %s, want 201", tt.code, r.Status, r.Body)
				}
				var o struct {
					CreditCode string `json:"credit_code"`
				}
				r.JSON(t, &o)
				if o.CreditCode != tt.code {
					t.Errorf("POST %q returned credit_code %q", tt.code, o.CreditCode)
				}
				after := inCounts(t, e, "organizations", "audit_entries")
				if after["organizations"] != before["organizations"]+1 || after["audit_entries"] != before["audit_entries"]+1 {
					t.Errorf("POST %q: counts %v → %v, want one more organization and audit entry", tt.code, before, after)
				}
				refused(t, tt.code, http.StatusConflict, "organization.duplicate_credit_code")
			}
		})
	}
	// A code is normalized before the duplicate check: case and surrounding
	// space do not make a second registration.
	t.Run("normalized duplicates", func(t *testing.T) {
		refused(t, "91350100m000100y43", http.StatusConflict, "organization.duplicate_credit_code")
		refused(t, " 52330502MJ526018XR ", http.StatusConflict, "organization.duplicate_credit_code")
		refused(t, "", http.StatusBadRequest, "validation", "credit_code")
	})
}

func TestInputUnknownRoute(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	token := e.Token(t, "demo-admin")
	tests := []struct {
		method, path, token, wantCode string
	}{
		{"GET", "/api/v1/nope", "", "route_not_found"},
		{"GET", "/api/v1/nope", token, "route_not_found"},
		{"POST", "/api/v1/districts/1/children", token, "route_not_found"},
		{"GET", "/api/v1/Districts", token, "route_not_found"}, // routing is case-sensitive
		{"GET", "/api/v1/communities/abc", token, "not_found"},
		{"GET", "/api/v1/communities/0", token, "not_found"},
		{"GET", "/api/v1/communities/999999", token, "not_found"},
	}
	for _, tt := range tests {
		name := tt.method + " " + tt.path
		if tt.token == "" {
			name += " anonymous"
		}
		t.Run(name, func(t *testing.T) {
			r := e.Do(t, servertest.Request{Method: tt.method, Path: tt.path, Token: tt.token})
			if r.Status != http.StatusNotFound {
				t.Fatalf("%s %s = %d %s, want 404", tt.method, tt.path, r.Status, r.Body)
			}
			if p := r.Problem(t); p.Code != tt.wantCode || p.Status != http.StatusNotFound {
				t.Errorf("%s %s: problem %q status %d, want %q 404", tt.method, tt.path, p.Code, p.Status, tt.wantCode)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	token := e.Token(t, "demo-officer")
	tests := []struct {
		name string
		req  servertest.Request
	}{
		{"API success", servertest.Request{Method: "GET", Path: "/api/v1/me", Token: token}},
		{"API 401", servertest.Request{Method: "GET", Path: "/api/v1/me"}},
		{"API 404", servertest.Request{Method: "GET", Path: "/api/v1/nope", Token: token}},
		{"API 415", servertest.Request{Method: "POST", Path: "/api/v1/communities", Token: token, Body: "{}", Header: map[string]string{"Content-Type": "text/plain"}}},
		{"API 400", servertest.Request{Method: "POST", Path: "/api/v1/communities", Token: token, Body: "{"}},
		{"health", servertest.Request{Method: "GET", Path: "/healthz"}},
		{"OpenAPI document", servertest.Request{Method: "GET", Path: "/api/openapi.json"}},
		{"page", servertest.Request{Method: "GET", Path: "/login"}},
		{"unknown page", servertest.Request{Method: "GET", Path: "/no-such-page"}},
	}
	hsts := regexp.MustCompile(`(^|;\s*)max-age=([0-9]+)`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Do(t, tt.req)
			h := r.Header
			if v, ok := h["Server"]; ok {
				t.Errorf("Server header = %q, want none", v)
			}
			if v := h.Get("Content-Security-Policy"); !strings.Contains(v, "default-src") {
				t.Errorf("Content-Security-Policy = %q, want a policy with default-src", v)
			}
			if m := hsts.FindStringSubmatch(h.Get("Strict-Transport-Security")); m == nil {
				t.Errorf("Strict-Transport-Security = %q, want max-age", h.Get("Strict-Transport-Security"))
			} else if age, _ := strconv.Atoi(m[2]); age <= 0 {
				t.Errorf("Strict-Transport-Security max-age = %d, want > 0", age)
			}
			if v := h.Get("X-Content-Type-Options"); v != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", v)
			}
			if v := h.Get("Referrer-Policy"); v == "" {
				t.Error("Referrer-Policy is missing")
			}
			if v := h.Get("X-Request-ID"); v == "" {
				t.Error("X-Request-ID is missing")
			}
		})
	}

	t.Run("request id", func(t *testing.T) {
		r := e.Do(t, servertest.Request{Method: "GET", Path: "/api/v1/nope", Header: map[string]string{"X-Request-ID": "client-chosen-id-42"}})
		if got := r.Header.Get("X-Request-ID"); got != "client-chosen-id-42" {
			t.Errorf("X-Request-ID = %q, want the well-formed client id echoed", got)
		}
		var body struct {
			RequestID string `json:"request_id"`
		}
		r.JSON(t, &body)
		if body.RequestID != "client-chosen-id-42" {
			t.Errorf("problem request_id = %q, want client-chosen-id-42", body.RequestID)
		}
		for _, bad := range []string{"short", "has spaces in it", "<script>alert(1)</script>", strings.Repeat("a", 65)} {
			r := e.Do(t, servertest.Request{Method: "GET", Path: "/api/v1/nope", Header: map[string]string{"X-Request-ID": bad}})
			got := r.Header.Get("X-Request-ID")
			if got == bad || got == "" {
				t.Errorf("X-Request-ID for client id %q = %q, want a fresh id", bad, got)
			}
		}
		ids := []string{}
		for range 3 {
			ids = append(ids, e.Do(t, servertest.Request{Method: "GET", Path: "/healthz"}).Header.Get("X-Request-ID"))
		}
		slices.Sort(ids)
		if len(slices.Compact(ids)) != 3 {
			t.Errorf("X-Request-ID of three requests = %v, want three different ids", ids)
		}
	})
}
