package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// serve runs e's server on real listeners (the site and the metrics, as
// Serve does) for as long as t, and returns their base URLs.
func serve(t *testing.T, e *servertest.Env) (site, metrics string) {
	t.Helper()
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	app, m := listen(), listen()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Server.ServeOn(ctx, app, m) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeOn() error = %v", err)
		}
	})
	return "http://" + app.Addr().String(), "http://" + m.Addr().String()
}

var metricLabels = regexp.MustCompile(`jiedao_http_requests_total\{method="([^"]*)",route="([^"]*)",status="([^"]*)"\}`)

// After thousands of concurrent requests of mixed methods and routes, the
// metrics still expose, and every series carries a real method and a route
// pattern of the app: labels are never the request's reused buffers.
func TestMetricsAfterConcurrentRequests(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	base, metricsBase := serve(t, e)
	type call struct{ method, path, body string }
	calls := []call{
		{"GET", "/healthz", ""},
		{"GET", "/api/v1/public/transfer-items?q=%E5%B1%85%E5%AE%B6", ""},
		{"POST", "/api/v1/auth/login", `{"username":"","password":""}`},
		{"PATCH", "/api/v1/districts/1", `{"name_zh":"x"}`},
		{"DELETE", "/api/v1/tenders/1", ""},
		{"PUT", "/api/v1/no-such-route", "{}"},
		{"GET", "/login", ""},
		{"POST", "/login", "username=a&password=b"},
		{"GET", "/catalog?q=%E5%85%BB%E8%80%81", ""},
		{"OPTIONS", "/", ""},
		{"HEAD", "/healthz", ""},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	const workers, total = 64, 10_000
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c := calls[i%len(calls)]
				req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
				if err != nil {
					t.Error(err)
					return
				}
				if strings.HasPrefix(c.path, "/api/") {
					req.Header.Set("Content-Type", "application/json")
				} else if c.body != "" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				res, err := client.Do(req)
				if err != nil {
					t.Errorf("%s %s: %v", c.method, c.path, err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		}()
	}
	for i := range total {
		next <- i
	}
	close(next)
	wg.Wait()

	body := metrics(t, metricsBase)
	methods := []string{"GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "HEAD"}
	var routes []string
	for _, r := range e.Server.App().GetRoutes(true) {
		routes = append(routes, r.Path)
	}
	var counted int
	for _, m := range metricLabels.FindAllStringSubmatch(body, -1) {
		if !slices.Contains(methods, m[1]) {
			t.Errorf("a series has the method label %q", m[1])
		}
		if m[2] != "unmatched" && !slices.Contains(routes, m[2]) {
			t.Errorf("a series has the route label %q, not a route pattern: %s", m[2], m[0])
		}
		counted++
	}
	if counted == 0 {
		t.Fatalf("the metrics hold no request series:\n%s", body)
	}
	var sum int
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "jiedao_http_requests_total{") {
			var n int
			if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &n); err == nil {
				sum += n
			}
		}
	}
	if sum < total {
		t.Errorf("the metrics count %d requests, want at least the %d sent", sum, total)
	}
}

// metrics reads the Prometheus exposition at base.
func metrics(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s, want 200", res.StatusCode, buf.Bytes())
	}
	return buf.String()
}

// The metrics are not served on the public address: per-route counters would
// tell anyone how many bids are submitted before the opening. They are served
// on their own address (http.metrics_addr), and nothing else is.
func TestMetricsNotPublic(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	for _, path := range []string{"/metrics", "/metrics/", "/api/v1/metrics"} {
		r := servertest.NewPageClient(e).Get(t, path)
		if r.Status != http.StatusNotFound || strings.Contains(string(r.Body), "jiedao_http_requests_total") {
			t.Errorf("GET %s on the public address = %d, want 404 without metrics", path, r.Status)
		}
	}
	site, metricsBase := serve(t, e)
	if res, err := http.Get(site + "/metrics"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the served site = %v, %v; want 404", res, err)
	} else {
		res.Body.Close()
	}
	if body := metrics(t, metricsBase); !strings.Contains(body, "go_goroutines") {
		t.Errorf("GET /metrics on the metrics address = %.200s, want the exposition", body)
	}
	for _, path := range []string{"/", "/healthz", "/api/v1/me", "/login"} {
		if res, err := http.Get(metricsBase + path); err != nil || res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s on the metrics address = %v, %v; want 404", path, res, err)
		} else {
			res.Body.Close()
		}
	}
}
