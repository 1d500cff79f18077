package api_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// Writes without signing in are limited per address; signed-in callers are not.
func TestAnonymousWriteLimit(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(t)
	cfg.HTTP.AnonymousWritesPerMinute = 3
	e := servertest.NewEnvWith(t, cfg, servertest.AccountsOnly)
	before := servertest.Count(t, e, "organizations")
	body := map[string]any{"legal_name": "x"} // refused as invalid, and still counted
	for i := 0; i < 3; i++ {
		if r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Body: body}); r.Status != http.StatusBadRequest {
			t.Fatalf("anonymous sign-up %d = %d %s, want 400", i+1, r.Status, r.Body)
		}
	}
	r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Body: body})
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("fourth anonymous sign-up in a minute = %d %s, want 429", r.Status, r.Body)
	}
	if p := r.Problem(t); p.Code != "too_many_requests" {
		t.Errorf("problem code = %q, want too_many_requests", p.Code)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s <= 0 {
		t.Errorf("Retry-After = %q, want seconds", r.Header.Get("Retry-After"))
	}
	admin := e.Token(t, "demo-admin")
	if r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Token: admin, Body: body}); r.Status != http.StatusBadRequest {
		t.Errorf("signed-in registration after the limit = %d, want 400 (not limited)", r.Status)
	}
	if n := servertest.Count(t, e, "organizations"); n != before {
		t.Errorf("organizations = %d, want %d", n, before)
	}
}
