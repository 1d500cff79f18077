package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

func TestHealthAndLogin(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	if r := e.Do(t, servertest.Request{Method: "GET", Path: "/readyz"}); r.Status != http.StatusOK {
		t.Fatalf("GET /readyz = %d, want 200", r.Status)
	}
	tok := e.Token(t, "demo-officer")
	r := e.Do(t, servertest.Request{Method: "GET", Path: "/api/v1/me", Token: tok})
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/me = %d %s, want 200", r.Status, r.Body)
	}
}

// /healthz answers and /metrics counts requests by route pattern.
func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	p := servertest.NewPageClient(e)
	r := p.Get(t, "/healthz")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"ok"`) {
		t.Errorf("GET /healthz = %d %s, want 200 ok", r.Status, r.Body)
	}
	p.Get(t, "/login")
	p.Get(t, "/login")
	p.Get(t, "/no-such-page")

	rec := httptest.NewRecorder()
	e.Server.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /metrics Content-Type = %q, want the Prometheus text format", ct)
	}
	body := rec.Body.String()
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
