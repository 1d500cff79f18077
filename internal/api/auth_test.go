package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// authScope and authProfile decode GET /api/v1/me.
type authScope struct {
	DistrictID     int64 `json:"district_id"`
	SubdistrictID  int64 `json:"subdistrict_id"`
	OrganizationID int64 `json:"organization_id"`
}

type authProfile struct {
	ID       int64     `json:"id"`
	Username string    `json:"username"`
	Roles    []string  `json:"roles"`
	Scope    authScope `json:"scope"`
}

func authLogin(t testing.TB, e *servertest.Env, username, password string) servertest.Response {
	t.Helper()
	return e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/login",
		Body: map[string]string{"username": username, "password": password}})
}

func authRefresh(t testing.TB, e *servertest.Env, refreshToken string) servertest.Response {
	t.Helper()
	return e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/refresh",
		Body: map[string]string{"refresh_token": refreshToken}})
}

func authMe(t testing.TB, e *servertest.Env, accessToken string) servertest.Response {
	t.Helper()
	return e.Do(t, servertest.Request{Method: "GET", Path: "/api/v1/me", Token: accessToken})
}

// authProblem fails the test unless r is a problem+json answer with status and code.
func authProblem(t *testing.T, what string, r servertest.Response, status int, code string) servertest.Problem {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s = %d %s, want %d", what, r.Status, r.Body, status)
	}
	p := r.Problem(t)
	if p.Status != status || p.Code != code {
		t.Fatalf("%s problem = {status: %d, code: %q}, want {status: %d, code: %q}", what, p.Status, p.Code, status, code)
	}
	return p
}

// authOK fails the test unless r answered status.
func authOK(t *testing.T, what string, r servertest.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s = %d %s, want %d", what, r.Status, r.Body, status)
	}
}

// authTokens decodes a login or refresh answer and checks its shape.
func authTokens(t *testing.T, what string, r servertest.Response) auth.Tokens {
	t.Helper()
	authOK(t, what, r, http.StatusOK)
	var tk auth.Tokens
	r.JSON(t, &tk)
	if tk.AccessToken == "" || tk.RefreshToken == "" || tk.TokenType != "Bearer" || tk.ExpiresIn != 900 {
		t.Fatalf("%s = %+v, want both tokens, token_type Bearer, expires_in 900", what, tk)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s Cache-Control = %q, want no-store", what, cc)
	}
	return tk
}

// authClaims returns a token's claims, read without verifying it.
func authClaims(t *testing.T, token string) (jwt.MapClaims, map[string]any) {
	t.Helper()
	c := jwt.MapClaims{}
	tk, _, err := jwt.NewParser().ParseUnverified(token, c)
	if err != nil {
		t.Fatalf("ParseUnverified(%q) error = %v", token, err)
	}
	return c, tk.Header
}

// authSign signs claims with method and key under kid.
func authSign(t *testing.T, method jwt.SigningMethod, kid string, key any, c jwt.MapClaims) string {
	t.Helper()
	tk := jwt.NewWithClaims(method, c)
	tk.Header["kid"] = kid
	s, err := tk.SignedString(key)
	if err != nil {
		t.Fatalf("SignedString(%s) error = %v", method.Alg(), err)
	}
	return s
}

// authServerKey is the key the server signs access tokens with.
func authServerKey(t testing.TB, e *servertest.Env) (string, ed25519.PrivateKey) {
	k := e.Cfg.Auth.Keys[0]
	return k.ID, ed25519.NewKeyFromSeed(k.Seed)
}

// authLogLines returns the JSON log lines whose msg is msg.
func authLogLines(t *testing.T, e *servertest.Env, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(e.Logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// authEntries returns the audit entries with action, in order.
func authEntries(t *testing.T, e *servertest.Env, action string) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	if err := e.DB.Where("action = ?", action).Order("id").Find(&out).Error; err != nil {
		t.Fatalf("read audit entries %s: %v", action, err)
	}
	return out
}

func TestLoginSuccess(t *testing.T) {
	t.Parallel()
	district := func(e *servertest.Env) int64 { return e.Demo(t).District }
	tests := []struct {
		name      string
		username  string // as typed
		wantUser  string
		wantRole  string
		wantScope func(e *servertest.Env) authScope
	}{
		{"platform admin", "demo-admin", "demo-admin", "platform_admin",
			func(*servertest.Env) authScope { return authScope{} }},
		{"district admin", "demo-district", "demo-district", "district_admin",
			func(e *servertest.Env) authScope { return authScope{DistrictID: district(e)} }},
		{"subdistrict officer carries its district", "demo-officer", "demo-officer", "procurement_officer",
			func(e *servertest.Env) authScope {
				return authScope{DistrictID: district(e), SubdistrictID: e.Demo(t).SubA}
			}},
		{"org admin", "demo-org", "demo-org", "org_admin",
			func(e *servertest.Env) authScope {
				return authScope{OrganizationID: e.Demo(t).Org1}
			}},
		{"resident", "demo-resident", "demo-resident", "resident",
			func(*servertest.Env) authScope { return authScope{} }},
		{"username trimmed and case-insensitive", "  Demo-Officer2 ", "demo-officer2", "procurement_officer",
			func(e *servertest.Env) authScope {
				return authScope{DistrictID: district(e), SubdistrictID: e.Demo(t).SubB}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := servertest.NewEnv(t, servertest.AccountsOnly)
			userID := e.IDOf(t, "users", "username = ?", tt.wantUser)
			tk := authTokens(t, "login", authLogin(t, e, tt.username, servertest.DemoPassword))

			c, h := authClaims(t, tk.AccessToken)
			if h["alg"] != "EdDSA" || h["kid"] != e.Cfg.Auth.Keys[0].ID {
				t.Errorf("access token header = %v, want alg EdDSA and kid %q", h, e.Cfg.Auth.Keys[0].ID)
			}
			exp, _ := c.GetExpirationTime()
			aud, _ := c.GetAudience()
			if c["iss"] != "jiedao" || !cmp.Equal([]string(aud), []string{"jiedao-api"}) ||
				c["sub"] != strconv.FormatInt(userID, 10) || c["sid"] == "" || c["sid"] == nil ||
				exp == nil || !exp.Equal(servertest.Start.Add(15*time.Minute)) {
				t.Errorf("access token claims = %v, want iss jiedao, aud [jiedao-api], sub %d, a sid, exp %v", c, userID, servertest.Start.Add(15*time.Minute))
			}

			r := authMe(t, e, tk.AccessToken)
			authOK(t, "GET /api/v1/me", r, http.StatusOK)
			var got authProfile
			r.JSON(t, &got)
			want := authProfile{ID: userID, Username: tt.wantUser, Roles: []string{tt.wantRole}, Scope: tt.wantScope(e)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("GET /api/v1/me mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoginRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantCode   string
		wantFields []string
		wantLogged string // the username a "login failed" line names, if any
		secret     string // a password that must not reach the logs
	}{
		{"wrong password", map[string]string{"username": "demo-officer", "password": "wrong-Passw0rd-31337"},
			401, "auth.invalid_credentials", nil, "demo-officer", "wrong-Passw0rd-31337"},
		{"unknown user", map[string]string{"username": "nobody-here", "password": servertest.DemoPassword},
			401, "auth.invalid_credentials", nil, "nobody-here", servertest.DemoPassword},
		{"overlong username", map[string]string{"username": strings.Repeat("a", 65), "password": servertest.DemoPassword},
			401, "auth.invalid_credentials", nil, "", servertest.DemoPassword},
		{"empty object", map[string]string{},
			400, "validation", []string{"username", "password"}, "", ""},
		{"empty strings", map[string]string{"username": "", "password": ""},
			400, "validation", []string{"username", "password"}, "", ""},
		{"no password", map[string]string{"username": "demo-officer"},
			400, "validation", []string{"password"}, "", ""},
		{"no username", map[string]string{"password": servertest.DemoPassword},
			400, "validation", []string{"username"}, "", servertest.DemoPassword},
		{"unknown field", map[string]string{"username": "demo-officer", "password": servertest.DemoPassword, "otp": "123456"},
			400, "validation", []string{"otp"}, "", servertest.DemoPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := servertest.NewEnv(t, servertest.AccountsOnly)
			r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/login", Body: tt.body})
			p := authProblem(t, "login", r, tt.wantStatus, tt.wantCode)
			if tt.wantStatus == http.StatusUnauthorized && p.Title != auth.ErrInvalidCredentials.Message {
				// The same answer for a wrong password and an unknown user, so
				// the API does not tell which usernames exist.
				t.Errorf("login title = %q, want %q", p.Title, auth.ErrInvalidCredentials.Message)
			}
			var fields []string
			for _, f := range p.Errors {
				fields = append(fields, f.Field)
			}
			if diff := cmp.Diff(tt.wantFields, fields); diff != "" {
				t.Errorf("login field errors mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(string(r.Body), "access_token") {
				t.Errorf("login body %s holds a token", r.Body)
			}
			lines := authLogLines(t, e, "login failed")
			if tt.wantLogged != "" && (len(lines) != 1 || lines[0]["username"] != tt.wantLogged) {
				t.Errorf(`"login failed" log lines = %v, want one naming %q`, lines, tt.wantLogged)
			}
			if tt.wantLogged == "" && len(lines) != 0 {
				t.Errorf(`"login failed" log lines = %v, want none`, lines)
			}
			if tt.secret != "" && strings.Contains(e.Logs.String(), tt.secret) {
				t.Errorf("logs hold the password %q:\n%s", tt.secret, e.Logs.String())
			}
		})
	}
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		maxPerIP   int      // 0 keeps the default
		failures   []string // usernames tried once each with a wrong password, in order
		throttled  string   // then refused with the right password
		unaffected []string // still able to log in meanwhile
	}{
		{
			name:       "per account",
			failures:   []string{"demo-officer", "demo-officer", "demo-officer", "demo-officer", "demo-officer"},
			throttled:  "demo-officer",
			unaffected: []string{"demo-finance", "demo-officer2"},
		},
		{
			name:      "per client address across usernames",
			maxPerIP:  3,
			failures:  []string{"demo-finance", "demo-evaluator", "nobody-here"},
			throttled: "demo-org",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := servertest.Config(t)
			if tt.maxPerIP > 0 {
				cfg.Auth.Throttle.MaxPerIP = tt.maxPerIP
			}
			e := servertest.NewEnvWith(t, cfg, servertest.AccountsOnly)
			window := cfg.Auth.Throttle.Window
			if tt.maxPerIP == 0 && len(tt.failures) != cfg.Auth.Throttle.MaxPerAccountAddress {
				t.Fatalf("the case has %d failures, want MaxPerAccountAddress = %d", len(tt.failures), cfg.Auth.Throttle.MaxPerAccountAddress)
			}

			var wrong []string
			for i, u := range tt.failures {
				pw := "wrong-Passw0rd-" + strconv.Itoa(1000+i)
				wrong = append(wrong, pw)
				authProblem(t, "login "+u+" with a wrong password", authLogin(t, e, u, pw), http.StatusUnauthorized, "auth.invalid_credentials")
			}

			wantThrottled := func(what string) {
				t.Helper()
				r := authLogin(t, e, tt.throttled, servertest.DemoPassword)
				authProblem(t, what, r, http.StatusTooManyRequests, "auth.throttled")
				ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
				if err != nil || ra <= 0 || ra > int(window.Seconds())+1 {
					t.Fatalf("%s Retry-After = %q, want whole seconds in (0, %d]", what, r.Header.Get("Retry-After"), int(window.Seconds())+1)
				}
			}
			wantThrottled("login with the right password after the failures")
			for _, u := range tt.unaffected {
				authTokens(t, "login "+u, authLogin(t, e, u, servertest.DemoPassword))
			}

			e.Clock.Advance(window - time.Second)
			wantThrottled("login just inside the window")
			e.Clock.Advance(2 * time.Second)
			tk := authTokens(t, "login after the window", authLogin(t, e, tt.throttled, servertest.DemoPassword))
			authOK(t, "GET /api/v1/me", authMe(t, e, tk.AccessToken), http.StatusOK)

			failed := authLogLines(t, e, "login failed")
			if len(failed) != len(tt.failures) {
				t.Fatalf(`"login failed" log lines = %d, want %d`, len(failed), len(tt.failures))
			}
			for i, u := range tt.failures {
				if failed[i]["username"] != u {
					t.Errorf(`"login failed" line %d names %v, want %q`, i, failed[i]["username"], u)
				}
			}
			if n := len(authLogLines(t, e, "login throttled")); n != 2 {
				t.Errorf(`"login throttled" log lines = %d, want 2`, n)
			}
			logs := e.Logs.String()
			for _, pw := range append(wrong, servertest.DemoPassword) {
				if strings.Contains(logs, pw) {
					t.Errorf("logs hold the password %q", pw)
				}
			}
		})
	}
}

func TestTokenRefused(t *testing.T) {
	t.Parallel()
	bearer := func(tok string) string { return "Bearer " + tok }
	b64 := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name string
		// authorization returns the Authorization header to send, built from a
		// valid access token of demo-officer.
		authorization func(t *testing.T, e *servertest.Env, tok string) string
		wantStatus    int
	}{
		{"the token as issued", func(_ *testing.T, _ *servertest.Env, tok string) string { return bearer(tok) }, 200},
		{"re-signed unchanged with the server key", func(t *testing.T, e *servertest.Env, tok string) string {
			c, _ := authClaims(t, tok)
			kid, key := authServerKey(t, e)
			return bearer(authSign(t, jwt.SigningMethodEdDSA, kid, key, c))
		}, 200},
		{"scheme in lower case", func(_ *testing.T, _ *servertest.Env, tok string) string { return "bearer " + tok }, 200},
		{"expired", func(_ *testing.T, e *servertest.Env, tok string) string {
			e.Clock.Advance(16 * time.Minute)
			return bearer(tok)
		}, 401},
		{"alg none without signature", func(t *testing.T, e *servertest.Env, tok string) string {
			_, h := authClaims(t, tok)
			hdr, err := json.Marshal(map[string]any{"alg": "none", "typ": "JWT", "kid": h["kid"]})
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(tok, ".")
			return bearer(b64(hdr) + "." + parts[1] + ".")
		}, 401},
		{"another Ed25519 key under the same kid", func(t *testing.T, e *servertest.Env, tok string) string {
			c, _ := authClaims(t, tok)
			kid, _ := authServerKey(t, e)
			_, other, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return bearer(authSign(t, jwt.SigningMethodEdDSA, kid, other, c))
		}, 401},
		{"HS256 with a secret", func(t *testing.T, e *servertest.Env, tok string) string {
			c, _ := authClaims(t, tok)
			kid, _ := authServerKey(t, e)
			return bearer(authSign(t, jwt.SigningMethodHS256, kid, []byte("a-guessable-shared-secret-0123456789"), c))
		}, 401},
		{"HS256 keyed with the server's public key", func(t *testing.T, e *servertest.Env, tok string) string {
			c, _ := authClaims(t, tok)
			kid, key := authServerKey(t, e)
			pub := []byte(key.Public().(ed25519.PublicKey))
			return bearer(authSign(t, jwt.SigningMethodHS256, kid, pub, c))
		}, 401},
		{"wrong audience", func(t *testing.T, e *servertest.Env, tok string) string {
			c, _ := authClaims(t, tok)
			c["aud"] = []string{"other-api"}
			kid, key := authServerKey(t, e)
			return bearer(authSign(t, jwt.SigningMethodEdDSA, kid, key, c))
		}, 401},
		{"wrong issuer", func(t *testing.T, e *servertest.Env, tok string) string {
			c, _ := authClaims(t, tok)
			c["iss"] = "someone-else"
			kid, key := authServerKey(t, e)
			return bearer(authSign(t, jwt.SigningMethodEdDSA, kid, key, c))
		}, 401},
		{"no exp", func(t *testing.T, e *servertest.Env, tok string) string {
			c, _ := authClaims(t, tok)
			delete(c, "exp")
			kid, key := authServerKey(t, e)
			return bearer(authSign(t, jwt.SigningMethodEdDSA, kid, key, c))
		}, 401},
		{"unknown kid", func(t *testing.T, e *servertest.Env, tok string) string {
			c, _ := authClaims(t, tok)
			_, key := authServerKey(t, e)
			return bearer(authSign(t, jwt.SigningMethodEdDSA, "retired-key", key, c))
		}, 401},
		{"payload changed after signing", func(t *testing.T, e *servertest.Env, tok string) string {
			c, _ := authClaims(t, tok)
			c["sub"] = strconv.FormatInt(e.IDOf(t, "users", "username = ?", "demo-admin"), 10)
			payload, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(tok, ".")
			return bearer(parts[0] + "." + b64(payload) + "." + parts[2])
		}, 401},
		{"garbage", func(*testing.T, *servertest.Env, string) string { return bearer("not-a-token") }, 401},
		{"Basic credentials", func(*testing.T, *servertest.Env, string) string {
			return "Basic " + base64.StdEncoding.EncodeToString([]byte("demo-officer:"+servertest.DemoPassword))
		}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := servertest.NewEnv(t, servertest.AccountsOnly)
			tok := e.Token(t, "demo-officer")
			h := tt.authorization(t, e, tok)
			r := e.Do(t, servertest.Request{Method: "GET", Path: "/api/v1/me", Header: map[string]string{"Authorization": h}})
			if tt.wantStatus == http.StatusOK {
				authOK(t, "GET /api/v1/me", r, http.StatusOK)
				var p authProfile
				r.JSON(t, &p)
				if p.Username != "demo-officer" {
					t.Errorf("GET /api/v1/me username = %q, want demo-officer", p.Username)
				}
				return
			}
			authProblem(t, "GET /api/v1/me", r, tt.wantStatus, "auth.invalid_token")
		})
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, e *servertest.Env)
	}{
		{"rotation", func(t *testing.T, e *servertest.Env) {
			a := e.Tokens(t, "demo-officer")
			e.Clock.Advance(5 * time.Minute)
			b := authTokens(t, "refresh", authRefresh(t, e, a.RefreshToken))
			if b.AccessToken == a.AccessToken || b.RefreshToken == a.RefreshToken {
				t.Fatalf("refresh returned a token of the old pair")
			}
			ca, _ := authClaims(t, a.AccessToken)
			cb, _ := authClaims(t, b.AccessToken)
			if ca["sid"] != cb["sid"] {
				t.Errorf("refreshed sid = %v, want the session %v", cb["sid"], ca["sid"])
			}
			authOK(t, "GET /api/v1/me with the old access token", authMe(t, e, a.AccessToken), http.StatusOK)
			authOK(t, "GET /api/v1/me with the new access token", authMe(t, e, b.AccessToken), http.StatusOK)

			// 16 minutes after login: the first access token has expired, the
			// second (issued 11 minutes ago) still works.
			e.Clock.Advance(11 * time.Minute)
			authProblem(t, "GET /api/v1/me with the expired access token", authMe(t, e, a.AccessToken), http.StatusUnauthorized, "auth.invalid_token")
			authOK(t, "GET /api/v1/me with the new access token", authMe(t, e, b.AccessToken), http.StatusOK)

			c := authTokens(t, "refresh with the new refresh token", authRefresh(t, e, b.RefreshToken))
			authOK(t, "GET /api/v1/me after the second refresh", authMe(t, e, c.AccessToken), http.StatusOK)
		}},
		{"reuse ends the session", func(t *testing.T, e *servertest.Env) {
			a := e.Tokens(t, "demo-officer")
			other := e.Tokens(t, "demo-officer") // a second session of the same user
			b := authTokens(t, "refresh", authRefresh(t, e, a.RefreshToken))
			c := authTokens(t, "second refresh", authRefresh(t, e, b.RefreshToken))
			// Past the grace for concurrent tabs, a spent token means theft.
			e.Clock.Advance(e.Cfg.Auth.RefreshReuseGrace + time.Second)

			authProblem(t, "refresh with a spent token", authRefresh(t, e, a.RefreshToken), http.StatusUnauthorized, "auth.refresh_reused")

			authProblem(t, "refresh with the newest token", authRefresh(t, e, c.RefreshToken), http.StatusUnauthorized, "auth.invalid_token")
			for i, tk := range []auth.Tokens{a, b, c} {
				authProblem(t, "GET /api/v1/me with access token "+strconv.Itoa(i), authMe(t, e, tk.AccessToken), http.StatusUnauthorized, "auth.invalid_token")
			}
			authOK(t, "GET /api/v1/me in the other session", authMe(t, e, other.AccessToken), http.StatusOK)
			authTokens(t, "refresh in the other session", authRefresh(t, e, other.RefreshToken))

			if got := authEntries(t, e, "auth.refresh_reuse"); len(got) != 1 || got[0].ActorName != "demo-officer" {
				t.Errorf("auth.refresh_reuse audit entries = %+v, want one by demo-officer", got)
			}
			if n := len(authLogLines(t, e, "refresh token reused; session revoked")); n != 1 {
				t.Errorf("refresh reuse log lines = %d, want 1", n)
			}
		}},
		{"reuse within the grace is refused but keeps the session", func(t *testing.T, e *servertest.Env) {
			// Two tabs refreshing at once: the second gets 401 and the session lives on.
			a := e.Tokens(t, "demo-officer")
			b := authTokens(t, "refresh", authRefresh(t, e, a.RefreshToken))
			e.Clock.Advance(e.Cfg.Auth.RefreshReuseGrace - time.Second)
			authProblem(t, "refresh with the just-spent token", authRefresh(t, e, a.RefreshToken), http.StatusUnauthorized, "auth.refresh_raced")
			authOK(t, "GET /api/v1/me with the newer access token", authMe(t, e, b.AccessToken), http.StatusOK)
			authTokens(t, "refresh with the newer token", authRefresh(t, e, b.RefreshToken))
			if got := authEntries(t, e, "auth.refresh_reuse"); len(got) != 0 {
				t.Errorf("auth.refresh_reuse audit entries = %d, want none", len(got))
			}
		}},
		{"refresh token past its ttl", func(t *testing.T, e *servertest.Env) {
			a := e.Tokens(t, "demo-officer")
			b := e.Tokens(t, "demo-officer")
			e.Clock.Advance(e.Cfg.Auth.RefreshTTL - time.Second)
			authTokens(t, "refresh just before the ttl", authRefresh(t, e, b.RefreshToken))
			e.Clock.Advance(2 * time.Second)
			authProblem(t, "refresh just after the ttl", authRefresh(t, e, a.RefreshToken), http.StatusUnauthorized, "auth.invalid_token")
		}},
		{"refresh token past the session max age", func(t *testing.T, e *servertest.Env) {
			// Keep refreshing within the refresh ttl until the session's end is near.
			step := e.Cfg.Auth.RefreshTTL - time.Hour
			tk := e.Tokens(t, "demo-officer")
			elapsed, issued := time.Duration(0), time.Duration(0)
			for elapsed+step < e.Cfg.Auth.SessionMaxAge {
				e.Clock.Advance(step)
				elapsed += step
				tk = authTokens(t, "refresh at "+elapsed.String(), authRefresh(t, e, tk.RefreshToken))
				issued = elapsed
			}
			e.Clock.Advance(e.Cfg.Auth.SessionMaxAge + time.Second - elapsed)
			if age := e.Cfg.Auth.SessionMaxAge + time.Second - issued; age >= e.Cfg.Auth.RefreshTTL {
				t.Fatalf("the last refresh token is %v old, want younger than the refresh ttl %v", age, e.Cfg.Auth.RefreshTTL)
			}
			authProblem(t, "refresh after the session max age", authRefresh(t, e, tk.RefreshToken), http.StatusUnauthorized, "auth.invalid_token")
		}},
		{"unknown refresh token", func(t *testing.T, e *servertest.Env) {
			authProblem(t, "refresh", authRefresh(t, e, "not-a-refresh-token"), http.StatusUnauthorized, "auth.invalid_token")
		}},
		{"no refresh token", func(t *testing.T, e *servertest.Env) {
			r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/refresh", Body: map[string]string{}})
			p := authProblem(t, "refresh", r, http.StatusBadRequest, "validation")
			if len(p.Errors) != 1 || p.Errors[0].Field != "refresh_token" {
				t.Errorf("refresh field errors = %+v, want refresh_token", p.Errors)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, servertest.NewEnv(t, servertest.AccountsOnly))
		})
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	logout := func(e *servertest.Env, token string) servertest.Response {
		t.Helper()
		return e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/logout", Token: token})
	}
	tests := []struct {
		name string
		run  func(t *testing.T, e *servertest.Env)
	}{
		{"ends the session", func(t *testing.T, e *servertest.Env) {
			a := e.Tokens(t, "demo-officer")
			other := e.Tokens(t, "demo-officer")
			authOK(t, "logout", logout(e, a.AccessToken), http.StatusNoContent)
			authProblem(t, "GET /api/v1/me after logout", authMe(t, e, a.AccessToken), http.StatusUnauthorized, "auth.invalid_token")
			authProblem(t, "refresh after logout", authRefresh(t, e, a.RefreshToken), http.StatusUnauthorized, "auth.invalid_token")
			authProblem(t, "logout again", logout(e, a.AccessToken), http.StatusUnauthorized, "auth.invalid_token")
			authOK(t, "GET /api/v1/me in the other session", authMe(t, e, other.AccessToken), http.StatusOK)
		}},
		{"ends every token rotated from the same login", func(t *testing.T, e *servertest.Env) {
			a := e.Tokens(t, "demo-officer")
			b := authTokens(t, "refresh", authRefresh(t, e, a.RefreshToken))
			authOK(t, "logout", logout(e, b.AccessToken), http.StatusNoContent)
			authProblem(t, "GET /api/v1/me with the first access token", authMe(t, e, a.AccessToken), http.StatusUnauthorized, "auth.invalid_token")
			authProblem(t, "refresh after logout", authRefresh(t, e, b.RefreshToken), http.StatusUnauthorized, "auth.invalid_token")
		}},
		{"without a token", func(t *testing.T, e *servertest.Env) {
			authProblem(t, "logout", logout(e, ""), http.StatusUnauthorized, "unauthorized")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, servertest.NewEnv(t, servertest.AccountsOnly))
		})
	}
}

func TestAuthAudit(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	officer := e.IDOf(t, "users", "username = ?", "demo-officer")
	tk := e.Tokens(t, "demo-officer")
	c, _ := authClaims(t, tk.AccessToken)
	authOK(t, "logout", e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/logout", Token: tk.AccessToken}), http.StatusNoContent)

	tests := []struct {
		action     string
		entityType string
		entityID   string
	}{
		{"auth.login", "user", strconv.FormatInt(officer, 10)},
		{"auth.logout", "session", c["sid"].(string)},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			got := authEntries(t, e, tt.action)
			if len(got) != 1 {
				t.Fatalf("%s audit entries = %d, want 1", tt.action, len(got))
			}
			g := got[0]
			if g.ActorID == nil || *g.ActorID != officer || g.ActorName != "demo-officer" ||
				g.EntityType != tt.entityType || g.EntityID != tt.entityID || g.RequestID == "" {
				t.Errorf("%s audit entry = %+v, want by demo-officer (%d) on %s %s with a request id",
					tt.action, g, officer, tt.entityType, tt.entityID)
			}
		})
	}

	var total int64
	if err := e.DB.Model(&audit.Entry{}).Count(&total).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := audit.IntegrateAll(context.Background(), e.DB); err != nil { // as the sequencer does
		t.Fatal(err)
	}
	rep, err := audit.Verify(context.Background(), e.DB)
	if err != nil {
		t.Fatalf("audit.Verify() error = %v, want nil", err)
	}
	if rep.Broken != nil || rep.Entries != total {
		t.Errorf("audit.Verify() = {Entries: %d, Broken: %v}, want {Entries: %d, Broken: nil}", rep.Entries, rep.Broken, total)
	}
}

func TestAuthUserChanges(t *testing.T) {
	t.Parallel()
	patch := func(e *servertest.Env, token string, id int64, body any) servertest.Response {
		t.Helper()
		return e.Do(t, servertest.Request{Method: "PATCH", Path: "/api/v1/users/" + strconv.FormatInt(id, 10), Token: token, Body: body})
	}
	tests := []struct {
		name string
		run  func(t *testing.T, e *servertest.Env)
	}{
		{"disabling refuses the user's tokens", func(t *testing.T, e *servertest.Env) {
			admin := e.Token(t, "demo-admin")
			officer := e.Tokens(t, "demo-officer")
			id := e.IDOf(t, "users", "username = ?", "demo-officer")
			authOK(t, "GET /api/v1/me before", authMe(t, e, officer.AccessToken), http.StatusOK)

			r := patch(e, admin, id, map[string]string{"status": "disabled"})
			authOK(t, "PATCH status disabled", r, http.StatusOK)
			var u struct{ Status string }
			r.JSON(t, &u)
			if u.Status != "disabled" {
				t.Errorf("PATCH answered status %q, want disabled", u.Status)
			}
			authProblem(t, "GET /api/v1/me with the disabled user's token", authMe(t, e, officer.AccessToken), http.StatusUnauthorized, "auth.invalid_token")
			authProblem(t, "refresh of the disabled user", authRefresh(t, e, officer.RefreshToken), http.StatusUnauthorized, "auth.invalid_token")
			authProblem(t, "login of the disabled user", authLogin(t, e, "demo-officer", servertest.DemoPassword), http.StatusUnauthorized, "auth.invalid_credentials")
			authOK(t, "GET /api/v1/me of the admin", authMe(t, e, admin), http.StatusOK)
		}},
		{"a role change is audited and applies at once", func(t *testing.T, e *servertest.Env) {
			admin := e.Token(t, "demo-admin")
			old := e.Token(t, "demo-officer2")
			id := e.IDOf(t, "users", "username = ?", "demo-officer2")
			sub := e.Demo(t).SubB
			r := patch(e, admin, id, map[string]any{"role": "finance_officer", "subdistrict_id": sub})
			authOK(t, "PATCH role", r, http.StatusOK)

			got := authEntries(t, e, "user.role_change")
			if len(got) != 1 || got[0].ActorName != "demo-admin" || got[0].EntityID != strconv.FormatInt(id, 10) {
				t.Fatalf("user.role_change audit entries = %+v, want one by demo-admin on user %d", got, id)
			}
			var data struct {
				From struct{ Role string } `json:"from"`
				To   struct{ Role string } `json:"to"`
			}
			if err := json.Unmarshal([]byte(got[0].Data), &data); err != nil {
				t.Fatalf("audit data %q: %v", got[0].Data, err)
			}
			if data.From.Role != "procurement_officer" || data.To.Role != "finance_officer" {
				t.Errorf("user.role_change data = %s, want from procurement_officer to finance_officer", got[0].Data)
			}

			authProblem(t, "GET /api/v1/me with the token from before", authMe(t, e, old), http.StatusUnauthorized, "auth.invalid_token")
			r = authMe(t, e, e.Token(t, "demo-officer2"))
			authOK(t, "GET /api/v1/me after signing in again", r, http.StatusOK)
			var p authProfile
			r.JSON(t, &p)
			if !cmp.Equal(p.Roles, []string{"finance_officer"}) {
				t.Errorf("roles = %v, want [finance_officer]", p.Roles)
			}
		}},
		{"every request reads the account afresh", func(t *testing.T, e *servertest.Env) {
			// Changed behind the API's back, so no session is revoked: the token
			// itself must not carry the role or the status.
			officer := e.Token(t, "demo-officer")
			finance := e.Token(t, "demo-finance")
			if err := e.DB.Exec(`UPDATE users SET role = 'finance_officer' WHERE username = 'demo-officer'`).Error; err != nil {
				t.Fatal(err)
			}
			if err := e.DB.Exec(`UPDATE users SET status = 'disabled' WHERE username = 'demo-finance'`).Error; err != nil {
				t.Fatal(err)
			}
			r := authMe(t, e, officer)
			authOK(t, "GET /api/v1/me after the role changed", r, http.StatusOK)
			var p authProfile
			r.JSON(t, &p)
			if !cmp.Equal(p.Roles, []string{"finance_officer"}) {
				t.Errorf("roles = %v, want [finance_officer]", p.Roles)
			}
			authProblem(t, "GET /api/v1/me after the account was disabled", authMe(t, e, finance), http.StatusUnauthorized, "auth.invalid_token")
		}},
		{"only a platform admin may change users", func(t *testing.T, e *servertest.Env) {
			officer := e.Token(t, "demo-officer")
			id := e.IDOf(t, "users", "username = ?", "demo-officer2")
			authProblem(t, "PATCH by an officer", patch(e, officer, id, map[string]string{"status": "disabled"}), http.StatusForbidden, "forbidden")
			authOK(t, "login of the untouched user", authLogin(t, e, "demo-officer2", servertest.DemoPassword), http.StatusOK)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, servertest.NewEnv(t, servertest.AccountsOnly))
		})
	}
}

// Retry-After must name when the exceeded limit really lifts, not when the oldest
// failure of either kind leaves the window.
func TestLoginThrottleRetryAfter(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	window := e.Cfg.Auth.Throttle.Window
	authProblem(t, "an early failure from this address", authLogin(t, e, "nobody-here", "wrong-password-0"), http.StatusUnauthorized, "auth.invalid_credentials")
	e.Clock.Advance(10 * time.Minute)
	for i := 0; i < e.Cfg.Auth.Throttle.MaxPerAccountAddress; i++ {
		authProblem(t, "failure", authLogin(t, e, "demo-officer", "wrong-password-"+strconv.Itoa(i)), http.StatusUnauthorized, "auth.invalid_credentials")
	}
	r := authLogin(t, e, "demo-officer", servertest.DemoPassword)
	authProblem(t, "throttled", r, http.StatusTooManyRequests, "auth.throttled")
	ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || ra != int(window.Seconds())+1 {
		t.Fatalf("Retry-After = %q, want %d (the account's failures are all new)", r.Header.Get("Retry-After"), int(window.Seconds())+1)
	}
	e.Clock.Advance(time.Duration(ra-2) * time.Second)
	authProblem(t, "just before Retry-After", authLogin(t, e, "demo-officer", servertest.DemoPassword), http.StatusTooManyRequests, "auth.throttled")
	e.Clock.Advance(2 * time.Second)
	authTokens(t, "login at Retry-After", authLogin(t, e, "demo-officer", servertest.DemoPassword))
}
