package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/server"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// TestDatabaseAwayAnswers503: while the database cannot be reached, the API
// answers 503 unavailable with Retry-After, pages say the service is briefly
// unavailable, /readyz answers 503; once it is back the pool reconnects and
// all answer again.
func TestDatabaseAwayAnswers503(t *testing.T) {
	t.Parallel()
	_, dbURL := dbtest.NewWithURL(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, u.Host)
	u.Host = proxy.addr
	gdb, err := db.Open(context.Background(), u.String(), db.Options{MaxOpenConns: 5, MaxIdleConns: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(gdb) })
	cfg := servertest.Config(t)
	var logs servertest.LogBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	svc, err := request.NewServices(cfg, gdb, clock.System{}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Deps{Config: cfg, DB: gdb, Log: log, Clock: clock.System{}, Services: svc})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, lang string) servertest.Response {
		t.Helper()
		req := httptest.NewRequest("GET", path, nil)
		if lang != "" {
			req.AddCookie(&http.Cookie{Name: "jd_lang", Value: lang})
		}
		res, err := srv.App().Test(req, -1)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		r := servertest.Response{Status: res.StatusCode, Header: res.Header, Body: body}
		if strings.HasPrefix(path, "/api/") {
			servertest.ValidateResponse(t, servertest.Request{Method: "GET", Path: path}, body, r)
		}
		return r
	}
	const list = "/api/v1/public/tenders"
	for _, path := range []string{"/readyz", list, "/subdistricts"} {
		if r := get(path, ""); r.Status != http.StatusOK {
			t.Fatalf("GET %s with the database up = %d, want 200: %s", path, r.Status, r.Body)
		}
	}

	proxy.cut()
	r := get(list, "")
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("GET %s with the database away = %d Retry-After %q, want 503 with Retry-After: %s", list, r.Status, r.Header.Get("Retry-After"), r.Body)
	}
	if p := r.Problem(t); p.Code != "unavailable" {
		t.Errorf("GET %s with the database away: code %q, want unavailable", list, p.Code)
	}
	for lang, text := range map[string]string{"zh-CN": "服务暂时不可用", "en": "The service is briefly unavailable"} {
		r := get("/subdistricts", lang)
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), text) {
			t.Errorf("GET /subdistricts (%s) with the database away = %d Retry-After %q, want 503 saying %q:\n%s", lang, r.Status, r.Header.Get("Retry-After"), text, r.Body)
		}
	}
	if r := get("/readyz", ""); r.Status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz with the database away = %d, want 503", r.Status)
	}

	proxy.restore(t)
	// The pool drops its dead connections and opens new ones.
	deadline := time.Now().Add(10 * time.Second)
	for get("/readyz", "").Status != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("GET /readyz did not answer 200 within 10 s of the database's return")
		}
	}
	if r := get(list, ""); r.Status != http.StatusOK {
		t.Errorf("GET %s after the database's return = %d, want 200: %s", list, r.Status, r.Body)
	}
}

// proxy forwards TCP connections to the database; cut closes its port and
// every connection through it, as a database that went away; restore listens
// on the same port again.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	l            net.Listener
	conns        map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: l.Addr().String(), target: target, conns: map[net.Conn]bool{}}
	p.serve(l)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(l net.Listener) {
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[up] = true, true
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *proxy) restore(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", p.addr, err)
	}
	p.serve(l)
}
