package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/api"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	jdrequest "github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/server"
)

// demoPassword is the password of every seeded demo account in these tests.
const demoPassword = "demo-password-for-tests"

// start is the manual clock's starting time in every test environment.
var start = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

var (
	specOnce   sync.Once
	specRouter routers.Router
	specDoc    *openapi3.T
	specErr    error
)

// env is one test's running application: a fresh database with the demo seed,
// a manual clock, and the real Fiber app.
type env struct {
	t     testing.TB
	db    *gorm.DB
	clock *clock.Manual
	cfg   config.Config
	svc   jdrequest.Services
	srv   *server.Server
	logs  *syncBuffer
}

// syncBuffer collects the application's log output safely across goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testConfig returns the defaults with fresh secrets and cheap password hashing.
func testConfig(t testing.TB) config.Config {
	cfg := config.Default()
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		t.Fatal(err)
	}
	cfg.Auth.Keys = []config.SigningKey{{ID: "test-key", Seed: seed}}
	cfg.Auth.CSRFSecret = make([]byte, 32)
	if _, err := rand.Read(cfg.Auth.CSRFSecret); err != nil {
		t.Fatal(err)
	}
	cfg.Auth.Argon2 = config.Argon2{MemoryKiB: 8192, Iterations: 1, Parallelism: 1}
	cfg.Tender.SealKey = make([]byte, 32)
	if _, err := rand.Read(cfg.Tender.SealKey); err != nil {
		t.Fatal(err)
	}
	cfg.Uploads.Dir = filepath.Join(t.TempDir(), "uploads")
	// Tests sign up and donate many times from one address; TestAnonymousWriteLimit sets a real limit.
	cfg.HTTP.AnonymousWritesPerMinute = 100000
	return cfg
}

// newEnv builds the application on a fresh seeded database.
func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, testConfig(t))
}

func newEnvWith(t testing.TB, cfg config.Config) *env {
	t.Helper()
	clk := clock.NewManual(start)
	// Rows GORM stamps itself (created_at) follow the test's clock too.
	gdb := dbtest.New(t).Session(&gorm.Session{NowFunc: func() time.Time { return clk.Now().UTC().Truncate(time.Microsecond) }})
	e := &env{t: t, db: gdb, clock: clk, cfg: cfg, logs: &syncBuffer{}}
	// Whatever a test did through the API, the ledger must still hold.
	t.Cleanup(func() {
		violations, err := fund.CheckInvariants(gdb)
		if err != nil {
			t.Errorf("fund.CheckInvariants() error = %v", err)
		}
		for _, v := range violations {
			t.Errorf("ledger invariant broken: %s (id %d)", v.What, v.ID)
		}
	})
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := demo.Seed(context.Background(), gdb, e.clock, demoPassword, cfg.Auth.Argon2, cfg.Tender.SealKey); err != nil {
		t.Fatalf("demo.Seed() error = %v", err)
	}
	svc, err := jdrequest.NewServices(cfg, gdb, e.clock, log)
	if err != nil {
		t.Fatalf("jdrequest.NewServices() error = %v", err)
	}
	e.svc = svc
	e.srv, err = server.New(server.Deps{Config: cfg, DB: gdb, Log: log, Clock: e.clock, Services: svc})
	if err != nil {
		t.Fatalf("server.New() error = %v", err)
	}
	return e
}

// response is what a request through the app returned.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response body %q: %v", r.Body, err)
	}
}

// problem decodes a problem+json body.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (r response) Problem(t testing.TB) problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (body %s)", ct, r.Body)
	}
	var p problem
	r.JSON(t, &p)
	return p
}

// request is one HTTP request to send through the app.
type request struct {
	Method string
	Path   string
	Token  string // bearer token, if any
	Body   any    // marshalled to JSON unless it is a string or []byte
	Header map[string]string
}

// do sends req through the real app and, for API paths, validates the response
// against the OpenAPI document, failing the test on any mismatch.
func (e *env) do(req request) response {
	e.t.Helper()
	r, body := e.send(req)
	if strings.HasPrefix(req.Path, "/api/v1/") || req.Path == "/healthz" || req.Path == "/readyz" {
		validateAgainstSpec(e.t, req, body, r)
	}
	return r
}

// doRaw sends req through the real app without checking the answer against
// the OpenAPI document.
func (e *env) doRaw(req request) response {
	e.t.Helper()
	r, _ := e.send(req)
	return r
}

// send sends req through the real app; it returns the answer and the body sent.
func (e *env) send(req request) (response, []byte) {
	e.t.Helper()
	var body []byte
	switch b := req.Body.(type) {
	case nil:
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	hr := httptest.NewRequest(req.Method, "http://127.0.0.1:8080"+req.Path, bytes.NewReader(body))
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.Token)
	}
	for k, v := range req.Header {
		hr.Header.Set(k, v)
	}
	res, err := e.srv.App().Test(hr, -1)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: out}, body
}

// validateAgainstSpec checks that the route, the status and the body of a
// response are described by the OpenAPI document.
func validateAgainstSpec(t testing.TB, req request, body []byte, r response) {
	t.Helper()
	specOnce.Do(func() {
		specDoc, specErr = api.OpenAPI()
		if specErr == nil {
			specDoc.Servers = openapi3.Servers{{URL: "http://127.0.0.1:8080"}}
			specRouter, specErr = gorillamux.NewRouter(specDoc)
		}
	})
	if specErr != nil {
		t.Fatalf("OpenAPI document: %v", specErr)
	}
	hr := httptest.NewRequest(req.Method, "http://127.0.0.1:8080"+req.Path, bytes.NewReader(body))
	route, params, err := specRouter.FindRoute(hr)
	if err != nil {
		if r.Status == http.StatusNotFound {
			return // an unknown route answering 404 needs no description
		}
		t.Fatalf("%s %s is not in the OpenAPI document: %v", req.Method, req.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: hr, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 r.Status,
		Header:                 r.Header,
		Body:                   io.NopCloser(bytes.NewReader(r.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Fatalf("%s %s answered %d %s, which the OpenAPI document does not allow: %v", req.Method, req.Path, r.Status, r.Body, err)
	}
}

// tokens logs username in with the demo password.
func (e *env) tokens(username string) auth.Tokens {
	e.t.Helper()
	r := e.do(request{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"username": username, "password": demoPassword}})
	if r.Status != http.StatusOK {
		e.t.Fatalf("login %s: status %d, body %s", username, r.Status, r.Body)
	}
	var tk auth.Tokens
	r.JSON(e.t, &tk)
	return tk
}

// token returns an access token for username.
func (e *env) token(username string) string {
	e.t.Helper()
	return e.tokens(username).AccessToken
}

// idOf returns the id of the row of table matching where, failing when absent.
func (e *env) idOf(table, where string, args ...any) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Table(table).Select("id").Where(where, args...).Take(&id).Error; err != nil {
		e.t.Fatalf("find %s where %s: %v", table, where, err)
	}
	return id
}
