package servertest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
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
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/server"
)

// DemoPassword is the password of every seeded demo account in these tests.
const DemoPassword = "demo-password-for-tests"

// Start is the manual clock's starting time in every test environment.
var Start = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

var (
	specOnce   sync.Once
	specRouter routers.Router
	specDoc    *openapi3.T
	specErr    error
)

// Env is one test's running application: a fresh database with the demo seed,
// a manual clock, and the real Fiber app.
type Env struct {
	DB       *gorm.DB
	Clock    *clock.Manual
	Cfg      config.Config
	Services request.Services
	Server   *server.Server
	Logs     *LogBuffer

	demoOnce sync.Once
	demo     DemoIDs
}

// LogBuffer collects the application's log output safely across goroutines.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Config returns the defaults with fresh secrets and cheap password hashing.
func Config(t testing.TB) config.Config {
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
	// 1 MiB, below the 8 MiB config.Validate asks of a real deployment: every
	// seed and sign-in of every test hashes, under -race. internal/auth tests
	// the hashing itself, and BenchmarkLogin runs it at the production cost.
	cfg.Auth.Argon2 = config.Argon2{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}
	cfg.Tender.SealKey = make([]byte, 32)
	if _, err := rand.Read(cfg.Tender.SealKey); err != nil {
		t.Fatal(err)
	}
	cfg.Rating.CodeKey = make([]byte, 32)
	if _, err := rand.Read(cfg.Rating.CodeKey); err != nil {
		t.Fatal(err)
	}
	cfg.Uploads.Dir = filepath.Join(t.TempDir(), "uploads")
	// Tests sign up and donate many times from one address; TestAnonymousWriteLimit sets a real limit.
	cfg.HTTP.AnonymousWritesPerMinute = 100000
	// Tests change rows directly and read them back at once: the server's
	// micro-cache of public answers is off unless a test turns it on.
	cfg.HTTP.PublicCache = 0
	return cfg
}

// NewEnv builds the application on a fresh seeded database.
func NewEnv(t testing.TB, seed ...demo.Option) *Env {
	t.Helper()
	return NewEnvWith(t, Config(t), seed...)
}

// AccountsOnly seeds the demo's places, organizations and accounts alone
// (demo.AccountsOnly), for tests that need no catalog, certification or fund.
var AccountsOnly = demo.AccountsOnly()

// NewEnvWith is NewEnv with the configuration cfg.
func NewEnvWith(t testing.TB, cfg config.Config, seed ...demo.Option) *Env {
	t.Helper()
	clk := clock.NewManual(Start)
	// Rows GORM stamps itself (created_at) follow the test's clock too.
	gdb := dbtest.New(t).Session(&gorm.Session{NowFunc: func() time.Time { return clk.Now().UTC().Truncate(time.Microsecond) }})
	e := &Env{DB: gdb, Clock: clk, Cfg: cfg, Logs: &LogBuffer{}}
	// Whatever a test did through the API, the ledger must still hold.
	t.Cleanup(func() {
		violations, err := fund.CheckInvariants(gdb)
		if err != nil {
			t.Errorf("fund.CheckInvariants() error = %v", err)
		}
		for _, v := range violations {
			t.Errorf("ledger invariant broken: %s (id %d)", v.What, v.ID)
		}
		// And every audit entry it wrote joins the chain intact.
		if _, err := audit.IntegrateAll(context.Background(), gdb); err != nil {
			t.Errorf("audit.IntegrateAll() error = %v", err)
		}
		if rep, err := audit.Verify(context.Background(), gdb); err != nil || rep.Broken != nil {
			t.Errorf("audit.Verify() = %+v, %v; want an intact chain", rep, err)
		}
	})
	log := slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := demo.Seed(context.Background(), gdb, e.Clock, DemoPassword, cfg.Auth.Argon2, demo.Keys{Seal: cfg.Tender.SealKey, Rating: cfg.Rating.CodeKey, Uploads: cfg.Uploads}, seed...); err != nil {
		t.Fatalf("demo.Seed() error = %v", err)
	}
	// The seed's entries are in the chain, as a running sequencer would have them.
	if _, err := audit.IntegrateAll(context.Background(), gdb); err != nil {
		t.Fatalf("audit.IntegrateAll() error = %v", err)
	}
	svc, err := request.NewServices(cfg, gdb, e.Clock, log)
	if err != nil {
		t.Fatalf("request.NewServices() error = %v", err)
	}
	e.Services = svc
	e.Server, err = server.New(server.Deps{Config: cfg, DB: gdb, Log: log, Clock: e.Clock, Services: svc})
	if err != nil {
		t.Fatalf("server.New() error = %v", err)
	}
	return e
}

// Response is what a request through the app returned.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response body %q: %v", r.Body, err)
	}
}

// Problem decodes a Problem+json body.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (r Response) Problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (body %s)", ct, r.Body)
	}
	var p Problem
	r.JSON(t, &p)
	return p
}

// Request is one HTTP Request to send through the app.
type Request struct {
	Method string
	Path   string
	Token  string // bearer token, if any
	Body   any    // marshalled to JSON unless it is a string or []byte
	Header map[string]string
}

// Do sends req through the real app and, for API paths, validates the response
// against the OpenAPI document, failing the test on any mismatch.
func (e *Env) Do(t testing.TB, req Request) Response {
	t.Helper()
	r, body := e.send(t, req)
	if strings.HasPrefix(req.Path, "/api/v1/") || req.Path == "/healthz" || req.Path == "/readyz" {
		ValidateResponse(t, req, body, r)
	}
	return r
}

// Listen serves the app on a free port of 127.0.0.1 until the test ends and
// returns the address, for what app.Test cannot send: a body declared but
// never sent, a client that sends slowly.
func (e *Env) Listen(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- e.Server.App().Listener(ln) }()
	t.Cleanup(func() {
		if err := e.Server.App().ShutdownWithTimeout(10 * time.Second); err != nil {
			t.Errorf("Shutdown() error = %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Listener() error = %v", err)
		}
	})
	return ln.Addr().String()
}

// DeclareBody sends, over a real listener (Listen), a JSON POST to path with
// token that declares a body of size bytes and sends none of it, and returns
// the answer: what a server refusing on the declared length answers before
// reading anything. A client still writing the body when the server closes
// would see a reset instead, hence the head alone. Waiting is bounded.
func (e *Env) DeclareBody(t testing.TB, path, token string, size int) Response {
	t.Helper()
	addr := e.Listen(t)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", path, addr, token, size)
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s declaring %d bytes: %v", path, size, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: out}
}

// DoRaw sends req through the real app without checking the answer against
// the OpenAPI document.
func (e *Env) DoRaw(t testing.TB, req Request) Response {
	t.Helper()
	r, _ := e.send(t, req)
	return r
}

// Send sends req through the real app; it returns the answer and the body sent.
func (e *Env) send(t testing.TB, req Request) (Response, []byte) {
	t.Helper()
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
			t.Fatal(err)
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
	res, err := e.Server.App().Test(hr, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: out}, body
}

// ValidateResponse checks that the route, the status and the body of a
// Response are described by the OpenAPI document.
func ValidateResponse(t testing.TB, req Request, body []byte, r Response) {
	t.Helper()
	specOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("application/x-ndjson", jsonLinesDecoder)
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

// jsonLinesDecoder decodes a JSON Lines body (the OCDS bulk file) as a
// string once each line is a JSON document.
func jsonLinesDecoder(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		if len(b) > 0 && !json.Valid(line) {
			return nil, fmt.Errorf("line %d is not JSON", i+1)
		}
	}
	return string(b), nil
}

// Tokens logs username in with the demo password.
func (e *Env) Tokens(t testing.TB, username string) auth.Tokens {
	t.Helper()
	r := e.Do(t, Request{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"username": username, "password": DemoPassword}})
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: status %d, body %s", username, r.Status, r.Body)
	}
	var tk auth.Tokens
	r.JSON(t, &tk)
	return tk
}

// Token returns an access Token for username.
func (e *Env) Token(t testing.TB, username string) string {
	t.Helper()
	return e.Tokens(t, username).AccessToken
}

// IDOf returns the id of the row of table matching where, failing when absent.
func (e *Env) IDOf(t testing.TB, table, where string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := e.DB.Table(table).Select("id").Where(where, args...).Take(&id).Error; err != nil {
		t.Fatalf("find %s where %s: %v", table, where, err)
	}
	return id
}
