package server_test

import (
	"net/http"
	"testing"
)

func TestHealthAndLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.do(request{Method: "GET", Path: "/readyz"}); r.Status != http.StatusOK {
		t.Fatalf("GET /readyz = %d, want 200", r.Status)
	}
	tok := e.token("demo-officer")
	r := e.do(request{Method: "GET", Path: "/api/v1/me", Token: tok})
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/me = %d %s, want 200", r.Status, r.Body)
	}
}
