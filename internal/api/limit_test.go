package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/server"
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

// The limit holds across replicas (issue 16, item 5): two servers on one
// database, each taking anonymous writes from one client address at once,
// together let through exactly what one server would and refuse the rest
// with 429, Retry-After and problem+json. A lookup by reference counts
// apart from the writes.
func TestAnonymousWriteLimitAcrossReplicas(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(t)
	cfg.HTTP.AnonymousWritesPerMinute = 5
	first := servertest.NewEnvWith(t, cfg, servertest.AccountsOnly)
	svc, err := request.NewServices(cfg, first.DB, first.Clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Deps{Config: cfg, DB: first.DB, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: first.Clock, Services: svc})
	if err != nil {
		t.Fatal(err)
	}
	second := &servertest.Env{DB: first.DB, Clock: first.Clock, Cfg: cfg, Services: svc, Server: srv, Logs: first.Logs}
	before := servertest.Count(t, first, "organizations")
	body := map[string]any{"legal_name": "x"} // refused as invalid, and still counted
	const perServer = 6
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
		refused  []servertest.Response
	)
	for _, e := range []*servertest.Env{first, second} {
		for range perServer {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Body: body})
				mu.Lock()
				defer mu.Unlock()
				statuses[r.Status]++
				if r.Status == http.StatusTooManyRequests {
					refused = append(refused, r)
				}
			}()
		}
	}
	wg.Wait()
	want := map[int]int{http.StatusBadRequest: 5, http.StatusTooManyRequests: 2*perServer - 5}
	if statuses[http.StatusBadRequest] != want[http.StatusBadRequest] || statuses[http.StatusTooManyRequests] != want[http.StatusTooManyRequests] {
		t.Errorf("anonymous sign-ups through two servers answered %v, want %v", statuses, want)
	}
	for _, r := range refused {
		if p := r.Problem(t); p.Code != "too_many_requests" || p.Status != http.StatusTooManyRequests {
			t.Errorf("refusal problem = %+v, want too_many_requests 429", p)
		}
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s <= 0 || s > 60 {
			t.Errorf("refusal Retry-After = %q, want seconds within the minute", r.Header.Get("Retry-After"))
		}
	}
	if r := second.Do(t, servertest.Request{Method: "GET", Path: "/api/v1/public/complaints/TS-NOPE"}); r.Status == http.StatusTooManyRequests {
		t.Errorf("a lookup after the writes' limit = 429, want it counted apart")
	}
	if n := servertest.Count(t, first, "organizations"); n != before {
		t.Errorf("organizations = %d, want %d", n, before)
	}
}
