package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// Behind a trusted proxy the client is the right-most address of
// X-Forwarded-For that is not a trusted proxy: a client that sends its own
// header with made-up addresses (the proxy appends the real one) is still
// counted, throttled and recorded as itself.
func TestForwardedForIsNotSpoofable(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(t)
	cfg.HTTP.AnonymousWritesPerMinute = 3
	// app.Test's connections come from 0.0.0.0: that is the proxy here, with
	// another proxy in front of it.
	cfg.HTTP.TrustedProxies = []string{"0.0.0.0", "10.0.0.0/8"}
	e := servertest.NewEnvWith(t, cfg, servertest.AccountsOnly)
	const client = "203.0.113.7"
	body := map[string]any{"legal_name": "x"} // refused as invalid, and still counted
	for i := range 4 {
		// The client forged the first addresses; the proxies appended the rest.
		xff := fmt.Sprintf("198.51.100.%d, 192.0.2.%d, %s, 10.1.2.3", i, i, client)
		r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Body: body,
			Header: map[string]string{"X-Forwarded-For": xff}})
		want := http.StatusBadRequest
		if i == 3 {
			want = http.StatusTooManyRequests
		}
		if r.Status != want {
			t.Errorf("anonymous write %d with X-Forwarded-For %q = %d, want %d", i+1, xff, r.Status, want)
		}
	}
	// A failed login records the client, not what it wrote.
	r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/login",
		Body:   map[string]string{"username": "demo-officer", "password": "wrong password"},
		Header: map[string]string{"X-Forwarded-For": "127.0.0.1, " + client}})
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("login with a wrong password = %d, want 401", r.Status)
	}
	var recorded []string
	if err := e.DB.Table("login_failures").Where("username = ?", "demo-officer").Pluck("client_ip", &recorded).Error; err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 1 || recorded[0] != client {
		t.Errorf("login failure recorded from %v, want [%s]", recorded, client)
	}
	// Without a trusted proxy in front, the header is the client's own words and is ignored.
	plain := servertest.NewEnv(t, servertest.AccountsOnly)
	plain.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/login",
		Body:   map[string]string{"username": "demo-officer", "password": "wrong password"},
		Header: map[string]string{"X-Forwarded-For": client}})
	if err := plain.DB.Table("login_failures").Pluck("client_ip", &recorded).Error; err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 1 || recorded[0] != "0.0.0.0" {
		t.Errorf("login failure without a proxy recorded from %v, want the peer 0.0.0.0", recorded)
	}
}
