package server_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// pageClient is a cookie-keeping client of the server-rendered pages, sending
// each request through the real app.
type pageClient struct {
	e       *env
	cookies map[string]string
}

func newPageClient(e *env) *pageClient {
	return &pageClient{e: e, cookies: map[string]string{}}
}

// get sends GET path.
func (p *pageClient) get(t *testing.T, path string) response {
	t.Helper()
	return p.send(t, "GET", path, nil)
}

// post sends the form to path, url-encoded.
func (p *pageClient) post(t *testing.T, path string, form url.Values) response {
	t.Helper()
	return p.send(t, "POST", path, form)
}

func (p *pageClient) send(t *testing.T, method, path string, form url.Values) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for name, value := range p.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	res, err := p.e.srv.App().Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{Status: res.StatusCode, Header: res.Header, Body: out}
	for _, c := range setCookies(r) {
		if c.Value == "" || c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(p.cookies, c.Name)
		} else {
			p.cookies[c.Name] = c.Value
		}
	}
	return r
}

// setCookies returns the cookies a response sets, by name.
func setCookies(r response) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		out[c.Name] = c
	}
	return out
}

var csrfField = regexp.MustCompile(`<input type="hidden" name="csrf_token" value="([^"]*)">`)

// csrfToken returns the CSRF token of the page's first form.
func csrfToken(t *testing.T, r response) string {
	t.Helper()
	m := csrfField.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no csrf_token field in %s", r.Body)
	}
	return string(m[1])
}

// wantCookie fails unless r sets the cookie HttpOnly, SameSite=Lax, on every
// path; it returns the cookie.
func wantCookie(t *testing.T, r response, name string) *http.Cookie {
	t.Helper()
	c, ok := setCookies(r)[name]
	if !ok {
		t.Fatalf("response sets no %s cookie; Set-Cookie = %q", name, r.Header.Values("Set-Cookie"))
	}
	if c.Value == "" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Errorf("cookie %s = %q, want a value, HttpOnly, SameSite=Lax and Path=/", name, c.Raw)
	}
	return c
}

// wantRedirect fails unless r is a 303 to location.
func wantRedirect(t *testing.T, what string, r response, location string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != location {
		t.Errorf("%s = %d Location %q, want 303 to %q", what, r.Status, r.Header.Get("Location"), location)
	}
}

// rowCount returns the number of rows of table.
func rowCount(t *testing.T, e *env, table string) int64 {
	t.Helper()
	var n int64
	if err := e.db.Table(table).Count(&n).Error; err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestPagesLoginFormSetsCSRFCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := newPageClient(e)
	r := p.get(t, "/login")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /login = %d, want 200", r.Status)
	}
	nonce := wantCookie(t, r, "jd_csrf")
	if nonce.MaxAge != 0 || !nonce.Expires.IsZero() {
		t.Errorf("jd_csrf cookie = %q, want a session cookie", nonce.Raw)
	}
	mac := hmac.New(sha256.New, e.cfg.Auth.CSRFSecret)
	mac.Write([]byte(nonce.Value))
	if got, want := csrfToken(t, r), base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("form csrf_token = %q, want the HMAC of the jd_csrf cookie %q", got, want)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("GET /login Cache-Control = %q, want no-store", cc)
	}

	// A browser that holds the cookie keeps it and gets the same token.
	again := p.get(t, "/login")
	if _, ok := setCookies(again)["jd_csrf"]; ok {
		t.Errorf("second GET /login set jd_csrf again: %q", again.Header.Values("Set-Cookie"))
	}
	if csrfToken(t, again) != csrfToken(t, r) {
		t.Errorf("second GET /login token = %q, want %q", csrfToken(t, again), csrfToken(t, r))
	}
}

func TestPagesLoginRefusesBadCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := newPageClient(e)
	token := csrfToken(t, p.get(t, "/login"))
	other := newPageClient(e)
	otherToken := csrfToken(t, other.get(t, "/login"))
	nonce := p.cookies["jd_csrf"]

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
			c := newPageClient(e)
			if tt.cookie != "" {
				c.cookies["jd_csrf"] = tt.cookie
			}
			form := url.Values{"username": {"demo-officer"}, "password": {demoPassword}}
			if tt.token != "" {
				form.Set("csrf_token", tt.token)
			}
			r := c.post(t, "/login", form)
			if r.Status != http.StatusForbidden {
				t.Errorf("POST /login = %d, want 403", r.Status)
			}
			if !strings.Contains(string(r.Body), `role="alert"`) || !strings.Contains(string(r.Body), "表单已过期") {
				t.Errorf("POST /login body = %s, want the form-expired alert", r.Body)
			}
			for _, name := range []string{"jd_access", "jd_refresh"} {
				if _, ok := setCookies(r)[name]; ok {
					t.Errorf("POST /login set %s", name)
				}
			}
		})
	}
	if n := rowCount(t, e, "auth_sessions"); n != 0 {
		t.Errorf("auth_sessions rows = %d, want 0", n)
	}
	if n := rowCount(t, e, "login_failures"); n != 0 {
		t.Errorf("login_failures rows = %d, want 0: a refused form must not reach the password check", n)
	}

	// With the right token, the same form signs in.
	r := p.post(t, "/login", url.Values{"csrf_token": {token}, "username": {"demo-officer"}, "password": {demoPassword}})
	wantRedirect(t, "POST /login with the right token", r, "/dashboard")
}

func TestPagesLoginSetsSessionCookies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := newPageClient(e)
	token := csrfToken(t, p.get(t, "/login"))

	r := p.post(t, "/login", url.Values{"csrf_token": {token}, "username": {"demo-officer"}, "password": {"wrong-password"}})
	if r.Status != http.StatusUnauthorized {
		t.Errorf("POST /login with a wrong password = %d, want 401", r.Status)
	}
	body := string(r.Body)
	if !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "用户名或密码错误") || !strings.Contains(body, `value="demo-officer"`) {
		t.Errorf("POST /login with a wrong password body = %s, want the alert and the username kept", body)
	}
	if len(setCookies(r)) != 0 {
		t.Errorf("failed login set cookies %q", r.Header.Values("Set-Cookie"))
	}

	r = p.post(t, "/login", url.Values{"csrf_token": {csrfToken(t, r)}, "username": {"demo-officer"}, "password": {demoPassword}})
	wantRedirect(t, "POST /login", r, "/dashboard")
	access := wantCookie(t, r, "jd_access")
	refresh := wantCookie(t, r, "jd_refresh")
	if access.MaxAge != int(e.cfg.Auth.AccessTTL.Seconds()) || refresh.MaxAge != int(e.cfg.Auth.RefreshTTL.Seconds()) {
		t.Errorf("cookie max-age: jd_access %d, jd_refresh %d, want %v and %v", access.MaxAge, refresh.MaxAge, e.cfg.Auth.AccessTTL, e.cfg.Auth.RefreshTTL)
	}
	if n := rowCount(t, e, "auth_sessions"); n != 1 {
		t.Errorf("auth_sessions rows = %d, want 1", n)
	}

	r = p.get(t, "/dashboard")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /dashboard signed in = %d, want 200", r.Status)
	}
	for _, want := range []string{`id="dashboard-procurement_officer"`, "街道采购专员", "爱山街道", "demo-officer"} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("dashboard does not contain %q", want)
		}
	}
	wantRedirect(t, "GET /login signed in", p.get(t, "/login"), "/dashboard")

	// Sign-out also needs the token; without it the session stays open.
	r = p.post(t, "/logout", url.Values{})
	if r.Status != http.StatusForbidden {
		t.Errorf("POST /logout without a token = %d, want 403", r.Status)
	}
	if r := p.get(t, "/dashboard"); r.Status != http.StatusOK {
		t.Errorf("GET /dashboard after a refused sign-out = %d, want 200", r.Status)
	}
	r = p.post(t, "/logout", url.Values{"csrf_token": {token}})
	wantRedirect(t, "POST /logout", r, "/login")
	for _, name := range []string{"jd_access", "jd_refresh"} {
		if _, ok := p.cookies[name]; ok {
			t.Errorf("POST /logout left the %s cookie", name)
		}
	}
	wantRedirect(t, "GET /dashboard after sign-out", p.get(t, "/dashboard"), "/login")
	var open int64
	if err := e.db.Table("auth_sessions").Where("revoked_at IS NULL").Count(&open).Error; err != nil {
		t.Fatal(err)
	}
	if open != 0 {
		t.Errorf("open sessions after sign-out = %d, want 0", open)
	}
}

func TestPagesDashboardNeedsSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wantRedirect(t, "GET /dashboard without cookies", newPageClient(e).get(t, "/dashboard"), "/login")

	p := newPageClient(e)
	p.cookies["jd_access"] = "not-a-token"
	p.cookies["jd_refresh"] = "not-a-token-either"
	r := p.get(t, "/dashboard")
	wantRedirect(t, "GET /dashboard with bad tokens", r, "/login")
	for _, name := range []string{"jd_access", "jd_refresh"} {
		if _, ok := p.cookies[name]; ok {
			t.Errorf("GET /dashboard with bad tokens kept the %s cookie", name)
		}
	}
}

func TestPagesLanguageSwitch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
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
			r := newPageClient(e).get(t, "/lang/en?next="+url.QueryEscape(tt.next))
			wantRedirect(t, "GET /lang/en?next="+tt.next, r, tt.want)
			if c := wantCookie(t, r, "jd_lang"); c.Value != "en" || c.MaxAge <= 0 {
				t.Errorf("jd_lang cookie = %q, want en, persistent", c.Raw)
			}
		})
	}
	if r := newPageClient(e).get(t, "/lang/fr"); r.Status != http.StatusNotFound {
		t.Errorf("GET /lang/fr = %d, want 404", r.Status)
	}

	p := newPageClient(e)
	p.get(t, "/lang/en?next=/")
	if r := p.get(t, "/login"); !strings.Contains(string(r.Body), `<html lang="en">`) || !strings.Contains(string(r.Body), "Sign in") {
		t.Errorf("GET /login after /lang/en is not English: %s", r.Body)
	}
	p.get(t, "/lang/zh-CN?next=/")
	if r := p.get(t, "/login"); !strings.Contains(string(r.Body), `<html lang="zh-CN">`) || !strings.Contains(string(r.Body), "登录") {
		t.Errorf("GET /login after /lang/zh-CN is not Chinese: %s", r.Body)
	}
}

func TestPagesMarkup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, lang := range []string{"zh-CN", "en"} {
		p := newPageClient(e)
		p.cookies["jd_lang"] = lang
		pages := map[string]response{}
		pages["/"] = p.get(t, "/")
		pages["/login"] = p.get(t, "/login")
		pages["/no-such-page"] = p.get(t, "/no-such-page")
		r := p.post(t, "/login", url.Values{"csrf_token": {csrfToken(t, pages["/login"])}, "username": {"demo-officer"}, "password": {demoPassword}})
		wantRedirect(t, "POST /login", r, "/dashboard")
		pages["/dashboard"] = p.get(t, "/dashboard")
		pages["/ (signed in)"] = p.get(t, "/")

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

func TestPagesHealthAndMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := newPageClient(e)
	r := p.get(t, "/healthz")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"ok"`) {
		t.Errorf("GET /healthz = %d %s, want 200 ok", r.Status, r.Body)
	}
	p.get(t, "/login")
	p.get(t, "/login")
	p.get(t, "/no-such-page")

	r = p.get(t, "/metrics")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /metrics = %d, want 200", r.Status)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /metrics Content-Type = %q, want the Prometheus text format", ct)
	}
	body := string(r.Body)
	for _, want := range []string{
		"# TYPE jiedao_http_requests_total counter",
		`jiedao_http_requests_total{method="GET",route="/login",status="200"} 2`,
		`jiedao_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`jiedao_http_request_duration_seconds_bucket{method="GET",route="/login",le="+Inf"} 2`,
		`go_sql_max_open_connections{db_name="jiedao"}`,
		`go_sql_open_connections{db_name="jiedao"}`,
		`go_sql_wait_count_total{db_name="jiedao"}`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /metrics has no %s", want)
		}
	}
	// The route label is the pattern, never the raw path, so scans cannot grow the series.
	if strings.Contains(body, "no-such-page") {
		t.Errorf("GET /metrics has a series labelled with a raw path:\n%s", body)
	}
}

func TestPagesSessionRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := newPageClient(e)
	r := p.post(t, "/login", url.Values{"csrf_token": {csrfToken(t, p.get(t, "/login"))}, "username": {"demo-officer"}, "password": {demoPassword}})
	wantRedirect(t, "POST /login", r, "/dashboard")
	oldAccess, oldRefresh := p.cookies["jd_access"], p.cookies["jd_refresh"]

	// Past the access token's lifetime the refresh cookie renews both.
	e.clock.Advance(e.cfg.Auth.AccessTTL + time.Minute)
	r = p.get(t, "/dashboard")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /dashboard with an expired access token = %d, want 200 after a refresh", r.Status)
	}
	if a := wantCookie(t, r, "jd_access"); a.Value == oldAccess {
		t.Errorf("jd_access was not renewed")
	}
	if rt := wantCookie(t, r, "jd_refresh"); rt.Value == oldRefresh {
		t.Errorf("jd_refresh was not rotated")
	}
	if r := p.get(t, "/dashboard"); r.Status != http.StatusOK || len(setCookies(r)) != 0 {
		t.Errorf("GET /dashboard with the renewed cookies = %d, Set-Cookie %q, want 200 and no new cookies", r.Status, r.Header.Values("Set-Cookie"))
	}

	// Past the refresh token's lifetime the user signs in again.
	e.clock.Advance(e.cfg.Auth.RefreshTTL + time.Minute)
	wantRedirect(t, "GET /dashboard with expired tokens", p.get(t, "/dashboard"), "/login")
	if len(p.cookies["jd_access"]+p.cookies["jd_refresh"]) != 0 {
		t.Errorf("expired token cookies were kept: %v", p.cookies)
	}
}
