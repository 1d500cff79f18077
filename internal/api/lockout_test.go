package api_test

import (
	"net/http"
	"strconv"
	"testing"

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
