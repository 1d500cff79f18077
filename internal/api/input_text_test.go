package api_test

import (
	"net/http"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// Text PostgreSQL cannot store (NUL, invalid UTF-8) and numbers it cannot hold
// are refused with 400 and a clear code, never a 500.
func TestInputUnstorableText(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	officer := e.Token(t, "demo-officer")
	district := e.Token(t, "demo-district")
	tests := []struct {
		name  string
		req   servertest.Request
		code  string
		field string
	}{
		{"NUL in a JSON string", servertest.Request{Method: "POST", Path: "/api/v1/transfer-items", Token: officer,
			Body: `{"title":"a\u0000b","category_code":"LEGAL_AID","annual_quantity":1,"unit_price_fen":1,"purchase_method":"open_tender"}`},
			"malformed_text", ""},
		{"NUL in a guidance code", servertest.Request{Method: "POST", Path: "/api/v1/districts/1/guidance-catalog", Token: district,
			Body: `{"category_code":"LEGAL\u0000","catalog_code":"X1"}`}, "malformed_text", ""},
		{"invalid UTF-8 in the query", servertest.Request{Method: "GET", Path: "/api/v1/public/transfer-items?q=%FF"}, "malformed_url", ""},
		{"NUL in the query", servertest.Request{Method: "GET", Path: "/api/v1/public/transfer-items?category=%00"}, "malformed_url", ""},
		{"invalid UTF-8 in the path", servertest.Request{Method: "GET", Path: "/api/v1/standards/%FF"}, "malformed_url", ""},
		{"version beyond int32", servertest.Request{Method: "GET", Path: "/api/v1/transfer-items/1?version=2147483648", Token: officer}, "validation", "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := servertest.Count(t, e, "audit_entries")
			r := e.Do(t, tt.req)
			if r.Status != http.StatusBadRequest {
				t.Fatalf("%s %s = %d %s, want 400", tt.req.Method, tt.req.Path, r.Status, r.Body)
			}
			p := r.Problem(t)
			if p.Code != tt.code || (tt.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tt.field)) {
				t.Errorf("problem = %+v, want code %s naming %q", p, tt.code, tt.field)
			}
			if n := servertest.Count(t, e, "audit_entries"); n != before {
				t.Errorf("audit entries went from %d to %d", before, n)
			}
		})
	}
}
