package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// loginFrom logs username in with password from the client address ip (behind
// the test's trusted proxy).
func loginFrom(t *testing.T, e *servertest.Env, ip, username, password string) servertest.Response {
	t.Helper()
	return e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/login",
		Body:   map[string]string{"username": username, "password": password},
		Header: map[string]string{"X-Forwarded-For": ip}})
}

// A rival cannot lock an account: wrong passwords from one address stop that
// address trying that account, not the account's owner elsewhere.
func TestLoginFailuresDoNotLockTheAccount(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(t)
	cfg.HTTP.TrustedProxies = []string{"0.0.0.0"} // app.Test's peer: the proxy
	e := servertest.NewEnvWith(t, cfg, servertest.AccountsOnly)
	const rival, owner = "198.51.100.66", "203.0.113.10"
	for i := range 5 {
		r := loginFrom(t, e, rival, "demo-officer", "wrong-Passw0rd-"+strconv.Itoa(i))
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d from the rival = %d, want 401", i+1, r.Status)
		}
	}
	if r := loginFrom(t, e, owner, "demo-officer", servertest.DemoPassword); r.Status != http.StatusOK {
		t.Errorf("the owner's login from its own address after the rival's failures = %d %s, want 200", r.Status, r.Body)
	}
	if r := loginFrom(t, e, rival, "demo-officer", servertest.DemoPassword); r.Status != http.StatusTooManyRequests {
		t.Errorf("the right password from the rival's address = %d, want 429 (that address is locked out of the account)", r.Status)
	}
}

// Failures of one account from many addresses slow every login to it, never
// refuse one: each attempt past the limit waits longer, and the owner still
// gets in.
func TestLoginFailuresSlowTheAccount(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(t)
	cfg.HTTP.TrustedProxies = []string{"0.0.0.0"}
	e := servertest.NewEnvWith(t, cfg, servertest.AccountsOnly)
	th := cfg.Auth.Throttle
	for i := range th.SlowAfter + 3 {
		ip := "198.51.100." + strconv.Itoa(10+i) // one guess per address: no address is locked
		slept := e.Clock.Slept()
		if r := loginFrom(t, e, ip, "demo-finance", "wrong-Passw0rd-"+strconv.Itoa(i)); r.Status != http.StatusUnauthorized {
			t.Fatalf("guess %d = %d %s, want 401", i+1, r.Status, r.Body)
		}
		waited := e.Clock.Slept() - slept
		want := time.Duration(0)
		if n := i - th.SlowAfter; n >= 0 {
			want = min(th.SlowBase<<n, th.SlowMax)
		}
		if waited != want {
			t.Errorf("guess %d waited %v, want %v", i+1, waited, want)
		}
	}
	slept := e.Clock.Slept()
	if r := loginFrom(t, e, "203.0.113.10", "demo-finance", servertest.DemoPassword); r.Status != http.StatusOK {
		t.Fatalf("the owner's login = %d %s, want 200 (slowed, not refused)", r.Status, r.Body)
	}
	if waited := e.Clock.Slept() - slept; waited != min(th.SlowBase<<3, th.SlowMax) {
		t.Errorf("the owner's login waited %v, want %v", waited, min(th.SlowBase<<3, th.SlowMax))
	}
	if n := strings.Count(e.Logs.String(), `"msg":"login slowed"`); n != 4 {
		t.Errorf(`"login slowed" log lines = %d, want 4`, n)
	}
	// Another account is not slowed.
	slept = e.Clock.Slept()
	if r := loginFrom(t, e, "203.0.113.10", "demo-officer", servertest.DemoPassword); r.Status != http.StatusOK || e.Clock.Slept() != slept {
		t.Errorf("another account's login = %d after waiting %v, want 200 at once", r.Status, e.Clock.Slept()-slept)
	}
}
