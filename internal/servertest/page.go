package servertest

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// PageClient is a cookie-keeping client of the server-rendered pages, sending
// each request through the real app.
type PageClient struct {
	Env     *Env
	Cookies map[string]string
}

func NewPageClient(e *Env) *PageClient {
	return &PageClient{Env: e, Cookies: map[string]string{}}
}

// Get sends GET path.
func (p *PageClient) Get(t *testing.T, path string) Response {
	t.Helper()
	return p.Send(t, "GET", path, nil)
}

// Post sends the form to path, url-encoded.
func (p *PageClient) Post(t *testing.T, path string, form url.Values) Response {
	t.Helper()
	return p.Send(t, "POST", path, form)
}

func (p *PageClient) Send(t *testing.T, method, path string, form url.Values) Response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for name, value := range p.Cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	res, err := p.Env.Server.App().Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := Response{Status: res.StatusCode, Header: res.Header, Body: out}
	for _, c := range SetCookies(r) {
		if c.Value == "" || c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(p.Cookies, c.Name)
		} else {
			p.Cookies[c.Name] = c.Value
		}
	}
	return r
}

// SetCookies returns the cookies a response sets, by name.
func SetCookies(r Response) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		out[c.Name] = c
	}
	return out
}

var csrfField = regexp.MustCompile(`<input type="hidden" name="csrf_token" value="([^"]*)">`)

// CSRFToken returns the CSRF token of the page's first form.
func CSRFToken(t *testing.T, r Response) string {
	t.Helper()
	m := csrfField.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no csrf_token field in %s", r.Body)
	}
	return string(m[1])
}

// WantCookie fails unless r sets the cookie HttpOnly, SameSite=Lax, on every
// path; it returns the cookie.
func WantCookie(t *testing.T, r Response, name string) *http.Cookie {
	t.Helper()
	c, ok := SetCookies(r)[name]
	if !ok {
		t.Fatalf("response sets no %s cookie; Set-Cookie = %q", name, r.Header.Values("Set-Cookie"))
	}
	if c.Value == "" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Errorf("cookie %s = %q, want a value, HttpOnly, SameSite=Lax and Path=/", name, c.Raw)
	}
	return c
}

// WantRedirect fails unless r is a 303 to location.
func WantRedirect(t *testing.T, what string, r Response, location string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != location {
		t.Errorf("%s = %d Location %q, want 303 to %q", what, r.Status, r.Header.Get("Location"), location)
	}
}

// SignIn logs username in through the login form and returns the client.
func SignIn(t *testing.T, e *Env, username string) *PageClient {
	t.Helper()
	p := NewPageClient(e)
	token := CSRFToken(t, p.Get(t, "/login"))
	r := p.Post(t, "/login", url.Values{"csrf_token": {token}, "username": {username}, "password": {DemoPassword}})
	WantRedirect(t, "POST /login as "+username, r, "/dashboard")
	return p
}

// PostFile posts a multipart form with the fields and the file in "file",
// keeping the client's cookies.
func (p *PageClient) PostFile(t *testing.T, path string, fields url.Values, filename string, content []byte) Response {
	t.Helper()
	var files map[string][]byte
	if filename != "" {
		files = map[string][]byte{filename: content}
	}
	return p.PostMultipart(t, path, fields, "file", files)
}

// PostMultipart posts the fields and the files (named by file name, all in
// the form field fileField) as multipart/form-data, keeping the client's
// Cookies.
func (p *PageClient) PostMultipart(t *testing.T, path string, fields url.Values, fileField string, files map[string][]byte) Response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, content := range files {
		fw, err := w.CreateFormFile(fileField, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "http://127.0.0.1:8080"+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	for name, value := range p.Cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	res, err := p.Env.Server.App().Test(req, -1)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: out}
}
