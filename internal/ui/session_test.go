package ui_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

func TestPagesLoginFormSetsCSRFCookie(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	p := servertest.NewPageClient(e)
	r := p.Get(t, "/login")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /login = %d, want 200", r.Status)
	}
	nonce := servertest.WantCookie(t, r, "jd_csrf")
	if nonce.MaxAge != 0 || !nonce.Expires.IsZero() {
		t.Errorf("jd_csrf cookie = %q, want a session cookie", nonce.Raw)
	}
	mac := hmac.New(sha256.New, e.Cfg.Auth.CSRFSecret)
	mac.Write([]byte("nonce:" + nonce.Value))
	if got, want := servertest.CSRFToken(t, r), base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("form csrf_token = %q, want the HMAC of the jd_csrf cookie %q", got, want)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("GET /login Cache-Control = %q, want no-store", cc)
	}

	// A browser that holds the cookie keeps it and gets the same token.
	again := p.Get(t, "/login")
	if _, ok := servertest.SetCookies(again)["jd_csrf"]; ok {
		t.Errorf("second GET /login set jd_csrf again: %q", again.Header.Values("Set-Cookie"))
	}
	if servertest.CSRFToken(t, again) != servertest.CSRFToken(t, r) {
		t.Errorf("second GET /login token = %q, want %q", servertest.CSRFToken(t, again), servertest.CSRFToken(t, r))
	}
}

func TestPagesLoginRefusesBadCSRF(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	p := servertest.NewPageClient(e)
	token := servertest.CSRFToken(t, p.Get(t, "/login"))
	other := servertest.NewPageClient(e)
	otherToken := servertest.CSRFToken(t, other.Get(t, "/login"))
	nonce := p.Cookies["jd_csrf"]

	tests := []struct {
		name   string
		cookie string // the jd_csrf cookie sent; empty sends none
		token  string // the csrf_token field sent; empty sends none
	}{
		{name: "no cookie, no token"},
		{name: "cookie, no token", cookie: nonce},
		{name: "cookie, wrong token", cookie: nonce, token: "bm90LXRoZS10b2tlbg"},
		{name: "another browser's token", cookie: nonce, token: otherToken},
		{name: "token, no cookie", token: token},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := servertest.NewPageClient(e)
			if tt.cookie != "" {
				c.Cookies["jd_csrf"] = tt.cookie
			}
			form := url.Values{"username": {"demo-officer"}, "password": {servertest.DemoPassword}}
			if tt.token != "" {
				form.Set("csrf_token", tt.token)
			}
			r := c.Post(t, "/login", form)
			if r.Status != http.StatusForbidden {
				t.Errorf("POST /login = %d, want 403", r.Status)
			}
			if !strings.Contains(string(r.Body), `role="alert"`) || !strings.Contains(string(r.Body), "表单已过期") {
				t.Errorf("POST /login body = %s, want the form-expired alert", r.Body)
			}
			for _, name := range []string{"jd_access", "jd_refresh"} {
				if _, ok := servertest.SetCookies(r)[name]; ok {
					t.Errorf("POST /login set %s", name)
				}
			}
		})
	}
	if n := servertest.Count(t, e, "auth_sessions"); n != 0 {
		t.Errorf("auth_sessions rows = %d, want 0", n)
	}
	if n := servertest.Count(t, e, "login_failures"); n != 0 {
		t.Errorf("login_failures rows = %d, want 0: a refused form must not reach the password check", n)
	}

	// With the right token, the same form signs in.
	r := p.Post(t, "/login", url.Values{"csrf_token": {token}, "username": {"demo-officer"}, "password": {servertest.DemoPassword}})
	servertest.WantRedirect(t, "POST /login with the right token", r, "/dashboard")
}

func TestPagesLoginSetsSessionCookies(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	p := servertest.NewPageClient(e)
	token := servertest.CSRFToken(t, p.Get(t, "/login"))

	r := p.Post(t, "/login", url.Values{"csrf_token": {token}, "username": {"demo-officer"}, "password": {"wrong-password"}})
	if r.Status != http.StatusUnauthorized {
		t.Errorf("POST /login with a wrong password = %d, want 401", r.Status)
	}
	body := string(r.Body)
	if !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "用户名或密码错误") || !strings.Contains(body, `value="demo-officer"`) {
		t.Errorf("POST /login with a wrong password body = %s, want the alert and the username kept", body)
	}
	if len(servertest.SetCookies(r)) != 0 {
		t.Errorf("failed login set cookies %q", r.Header.Values("Set-Cookie"))
	}

	r = p.Post(t, "/login", url.Values{"csrf_token": {servertest.CSRFToken(t, r)}, "username": {"demo-officer"}, "password": {servertest.DemoPassword}})
	servertest.WantRedirect(t, "POST /login", r, "/dashboard")
	access := servertest.WantCookie(t, r, "jd_access")
	refresh := servertest.WantCookie(t, r, "jd_refresh")
	if access.MaxAge != int(e.Cfg.Auth.AccessTTL.Seconds()) || refresh.MaxAge != int(e.Cfg.Auth.RefreshTTL.Seconds()) {
		t.Errorf("cookie max-age: jd_access %d, jd_refresh %d, want %v and %v", access.MaxAge, refresh.MaxAge, e.Cfg.Auth.AccessTTL, e.Cfg.Auth.RefreshTTL)
	}
	if n := servertest.Count(t, e, "auth_sessions"); n != 1 {
		t.Errorf("auth_sessions rows = %d, want 1", n)
	}

	r = p.Get(t, "/dashboard")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /dashboard signed in = %d, want 200", r.Status)
	}
	for _, want := range []string{`id="dashboard-procurement_officer"`, "街道采购专员", "爱山街道", "demo-officer"} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("dashboard does not contain %q", want)
		}
	}
	servertest.WantRedirect(t, "GET /login signed in", p.Get(t, "/login"), "/dashboard")

	// Sign-out also needs the token; without it the session stays open.
	r = p.Post(t, "/logout", url.Values{})
	if r.Status != http.StatusForbidden {
		t.Errorf("POST /logout without a token = %d, want 403", r.Status)
	}
	if r := p.Get(t, "/dashboard"); r.Status != http.StatusOK {
		t.Errorf("GET /dashboard after a refused sign-out = %d, want 200", r.Status)
	}
	r = p.Post(t, "/logout", url.Values{"csrf_token": {servertest.CSRFToken(t, p.Get(t, "/dashboard"))}})
	servertest.WantRedirect(t, "POST /logout", r, "/login")
	for _, name := range []string{"jd_access", "jd_refresh"} {
		if _, ok := p.Cookies[name]; ok {
			t.Errorf("POST /logout left the %s cookie", name)
		}
	}
	servertest.WantRedirect(t, "GET /dashboard after sign-out", p.Get(t, "/dashboard"), "/login")
	var open int64
	if err := e.DB.Table("auth_sessions").Where("revoked_at IS NULL").Count(&open).Error; err != nil {
		t.Fatal(err)
	}
	if open != 0 {
		t.Errorf("open sessions after sign-out = %d, want 0", open)
	}
}

func TestPagesDashboardNeedsSignIn(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	servertest.WantRedirect(t, "GET /dashboard without cookies", servertest.NewPageClient(e).Get(t, "/dashboard"), "/login")

	p := servertest.NewPageClient(e)
	p.Cookies["jd_access"] = "not-a-token"
	p.Cookies["jd_refresh"] = "not-a-token-either"
	r := p.Get(t, "/dashboard")
	servertest.WantRedirect(t, "GET /dashboard with bad tokens", r, "/login")
	for _, name := range []string{"jd_access", "jd_refresh"} {
		if _, ok := p.Cookies[name]; ok {
			t.Errorf("GET /dashboard with bad tokens kept the %s cookie", name)
		}
	}
}

func TestPagesLanguageSwitch(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	tests := []struct {
		next, want string
	}{
		{"/dashboard", "/dashboard"},
		{"/login?x=1", "/login?x=1"},
		{"", "/"},
		{"//evil.example", "/"},
		{"https://evil.example/", "/"},
		{`/\evil.example`, "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"evil.example", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			r := servertest.NewPageClient(e).Get(t, "/lang/en?next="+url.QueryEscape(tt.next))
			servertest.WantRedirect(t, "GET /lang/en?next="+tt.next, r, tt.want)
			if c := servertest.WantCookie(t, r, "jd_lang"); c.Value != "en" || c.MaxAge <= 0 {
				t.Errorf("jd_lang cookie = %q, want en, persistent", c.Raw)
			}
		})
	}
	if r := servertest.NewPageClient(e).Get(t, "/lang/fr"); r.Status != http.StatusNotFound {
		t.Errorf("GET /lang/fr = %d, want 404", r.Status)
	}

	p := servertest.NewPageClient(e)
	p.Get(t, "/lang/en?next=/")
	if r := p.Get(t, "/login"); !strings.Contains(string(r.Body), `<html lang="en">`) || !strings.Contains(string(r.Body), "Sign in") {
		t.Errorf("GET /login after /lang/en is not English: %s", r.Body)
	}
	p.Get(t, "/lang/zh-CN?next=/")
	if r := p.Get(t, "/login"); !strings.Contains(string(r.Body), `<html lang="zh-CN">`) || !strings.Contains(string(r.Body), "登录") {
		t.Errorf("GET /login after /lang/zh-CN is not Chinese: %s", r.Body)
	}
}

func TestPagesMarkup(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	for _, lang := range []string{"zh-CN", "en"} {
		p := servertest.NewPageClient(e)
		p.Cookies["jd_lang"] = lang
		pages := map[string]servertest.Response{}
		pages["/"] = p.Get(t, "/")
		pages["/login"] = p.Get(t, "/login")
		pages["/no-such-page"] = p.Get(t, "/no-such-page")
		r := p.Post(t, "/login", url.Values{"csrf_token": {servertest.CSRFToken(t, pages["/login"])}, "username": {"demo-officer"}, "password": {servertest.DemoPassword}})
		servertest.WantRedirect(t, "POST /login", r, "/dashboard")
		pages["/dashboard"] = p.Get(t, "/dashboard")
		pages["/ (signed in)"] = p.Get(t, "/")

		wantStatus := map[string]int{"/no-such-page": http.StatusNotFound}
		for path, r := range pages {
			body := string(r.Body)
			want := http.StatusOK
			if s, ok := wantStatus[path]; ok {
				want = s
			}
			if r.Status != want {
				t.Errorf("%s GET %s = %d, want %d", lang, path, r.Status, want)
			}
			if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("%s GET %s Content-Type = %q, want text/html; charset=utf-8", lang, path, ct)
			}
			for _, frag := range []string{`<html lang="` + lang + `">`, `<main id="main"`, `<a class="skip" href="#main">`, `<meta name="viewport"`, "<h1>"} {
				if !strings.Contains(body, frag) {
					t.Errorf("%s GET %s has no %s", lang, path, frag)
				}
			}
			if m := regexp.MustCompile(`<title>([^<]*)</title>`).FindStringSubmatch(body); m == nil || strings.HasPrefix(m[1], " ·") {
				t.Errorf("%s GET %s has no page title", lang, path)
			}
			if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s GET %s Content-Security-Policy = %q", lang, path, csp)
			}
		}
		login := string(pages["/login"].Body)
		for _, field := range []string{"username", "password"} {
			if !strings.Contains(login, `<label for="`+field+`">`) || !strings.Contains(login, `id="`+field+`"`) {
				t.Errorf("%s login form: the %s input has no label", lang, field)
			}
		}
	}
}

func TestPagesSessionRefresh(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	p := servertest.NewPageClient(e)
	r := p.Post(t, "/login", url.Values{"csrf_token": {servertest.CSRFToken(t, p.Get(t, "/login"))}, "username": {"demo-officer"}, "password": {servertest.DemoPassword}})
	servertest.WantRedirect(t, "POST /login", r, "/dashboard")
	oldAccess, oldRefresh := p.Cookies["jd_access"], p.Cookies["jd_refresh"]

	// Past the access token's lifetime the refresh cookie renews both.
	e.Clock.Advance(e.Cfg.Auth.AccessTTL + time.Minute)
	r = p.Get(t, "/dashboard")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /dashboard with an expired access token = %d, want 200 after a refresh", r.Status)
	}
	if a := servertest.WantCookie(t, r, "jd_access"); a.Value == oldAccess {
		t.Errorf("jd_access was not renewed")
	}
	if rt := servertest.WantCookie(t, r, "jd_refresh"); rt.Value == oldRefresh {
		t.Errorf("jd_refresh was not rotated")
	}
	if r := p.Get(t, "/dashboard"); r.Status != http.StatusOK || len(servertest.SetCookies(r)) != 0 {
		t.Errorf("GET /dashboard with the renewed cookies = %d, Set-Cookie %q, want 200 and no new cookies", r.Status, r.Header.Values("Set-Cookie"))
	}

	// Past the refresh token's lifetime the user signs in again.
	e.Clock.Advance(e.Cfg.Auth.RefreshTTL + time.Minute)
	servertest.WantRedirect(t, "GET /dashboard with expired tokens", p.Get(t, "/dashboard"), "/login")
	if len(p.Cookies["jd_access"]+p.Cookies["jd_refresh"]) != 0 {
		t.Errorf("expired token cookies were kept: %v", p.Cookies)
	}
}

// A form token belongs to one session: the token a browser had before
// signing in, or in another user's session, is refused once it signs in.
func TestPagesCSRFBoundToTheSession(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	p := servertest.NewPageClient(e)
	before := servertest.CSRFToken(t, p.Get(t, "/login"))
	r := p.Post(t, "/login", url.Values{"csrf_token": {before}, "username": {"demo-officer"}, "password": {servertest.DemoPassword}})
	servertest.WantRedirect(t, "POST /login", r, "/dashboard")
	if r := p.Post(t, "/logout", url.Values{"csrf_token": {before}}); r.Status != http.StatusForbidden {
		t.Errorf("POST /logout with the token from before signing in = %d, want 403", r.Status)
	}
	officers := servertest.CSRFToken(t, p.Get(t, "/dashboard"))
	servertest.WantRedirect(t, "POST /logout", p.Post(t, "/logout", url.Values{"csrf_token": {officers}}), "/login")
	r = p.Post(t, "/login", url.Values{"csrf_token": {servertest.CSRFToken(t, p.Get(t, "/login"))}, "username": {"demo-finance"},
		"password": {servertest.DemoPassword}})
	servertest.WantRedirect(t, "POST /login as another user", r, "/dashboard")
	if r := p.Post(t, "/logout", url.Values{"csrf_token": {officers}}); r.Status != http.StatusForbidden {
		t.Errorf("POST /logout with the previous user's token = %d, want 403", r.Status)
	}
	mine := servertest.CSRFToken(t, p.Get(t, "/dashboard"))
	servertest.WantRedirect(t, "POST /logout with this session's token", p.Post(t, "/logout", url.Values{"csrf_token": {mine}}), "/login")
}

// Cookies are Secure with __Host- names when the site is served over HTTPS:
// secure_cookies wins when it is set, and follows public_url when it is not.
func TestPagesCookiesFollowThePublicURL(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	tests := []struct {
		name      string
		publicURL string
		secure    *bool
		want      bool
	}{
		{"https, unset", "https://jiedao.example", nil, true},
		{"http, unset", "http://127.0.0.1:8080", nil, false},
		{"https, set off", "https://jiedao.example", &no, false},
		{"http, set on", "http://127.0.0.1:8080", &yes, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := servertest.Config(t)
			cfg.HTTP.PublicURL, cfg.HTTP.SecureCookies = tt.publicURL, tt.secure
			e := servertest.NewEnvWith(t, cfg, servertest.AccountsOnly)
			p := servertest.NewPageClient(e)
			r := p.Post(t, "/login", url.Values{"csrf_token": {servertest.CSRFToken(t, p.Get(t, "/login"))},
				"username": {"demo-officer"}, "password": {servertest.DemoPassword}})
			set := servertest.SetCookies(r)
			for _, name := range []string{"jd_access", "jd_refresh", "jd_csrf"} {
				want := name
				if tt.want {
					want = "__Host-" + name
				}
				c, ok := set[want]
				if !ok {
					t.Errorf("sign-in sets no %s cookie; Set-Cookie = %q", want, r.Header.Values("Set-Cookie"))
					continue
				}
				if c.Secure != tt.want || c.Path != "/" || c.Domain != "" {
					t.Errorf("cookie %s = %q, want Secure %v, Path=/ and no Domain", want, c.Raw, tt.want)
				}
			}
		})
	}
}
