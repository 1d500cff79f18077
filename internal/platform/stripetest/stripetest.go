// Package stripetest runs the official stripe-mock (a Go tool dependency of
// the module, see go.mod) for tests, and points stripe-go at it with a
// CallCounter that records every call. A test that cannot start stripe-mock
// fails; it never skips.
package stripetest

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/form"

	"github.com/jiedao-market/jiedao/internal/platform/gotool"
)

// SecretKey is a test-mode key that stripe-mock accepts.
const SecretKey = "sk_test_jiedao" // #nosec G101 -- a made-up test-mode key for stripe-mock, guarding nothing

var listening = regexp.MustCompile(`Listening for HTTP at address: (\S+)`)

// Start starts stripe-mock on a free loopback port and returns its base URL
// ("http://127.0.0.1:PORT"); it is killed when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	// Port 0 lets the kernel choose, so parallel tests never race for a port.
	// Naming the HTTPS address too keeps stripe-mock off its default :12112.
	cmd, err := gotool.Command("stripe-mock", "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("stripetest: build stripe-mock: %v", err)
	}
	stdout := &watcher{addr: make(chan string, 1)}
	var stderr capped
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("stripetest: start %s: %v", cmd.Path, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	var base string
	select {
	case a := <-stdout.addr:
		base = "http://" + a
	case <-exited:
		t.Fatalf("stripetest: stripe-mock exited before listening\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	case <-time.After(time.Minute):
		t.Fatalf("stripetest: stripe-mock not listening after a minute\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	if err := waitAnswering(base, exited); err != nil {
		t.Fatalf("stripetest: %v\nstderr:\n%s", err, stderr.String())
	}
	return base
}

// waitAnswering polls base until stripe-mock answers any HTTP response.
func waitAnswering(base string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := client.Get(base + "/v1/balance")
		if err == nil {
			res.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("stripe-mock at %s exited: %w", base, err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("stripe-mock at %s not answering: %w", base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Backends returns stripe-go backends that talk to the stripe-mock at url,
// without retries (a retry would hide a call from the count). With a counter,
// every call passes through it.
func Backends(url string, counter *CallCounter) *stripe.Backends {
	newBackend := func(typ stripe.SupportedBackend) stripe.Backend {
		b := stripe.GetBackendWithConfig(typ, &stripe.BackendConfig{
			URL:               stripe.String(url),
			HTTPClient:        &http.Client{Timeout: 30 * time.Second},
			MaxNetworkRetries: stripe.Int64(0),
			EnableTelemetry:   stripe.Bool(false),
			LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		})
		if counter != nil {
			b = &countingBackend{next: b, c: counter}
		}
		return b
	}
	return &stripe.Backends{
		API:     newBackend(stripe.APIBackend),
		Connect: newBackend(stripe.ConnectBackend),
		Uploads: newBackend(stripe.UploadsBackend),
	}
}

// Call is one call made through a counted backend.
type Call struct {
	Method string // "POST"
	Path   string // "/v1/transfers"
	// IdempotencyKey is the key the caller set, "" for none (stripe-go then
	// makes up a random one for a POST, which defeats a retry).
	IdempotencyKey string
}

// CallCounter records the calls made through the backends it wraps; safe for
// concurrent use. The zero value is ready.
type CallCounter struct {
	mu    sync.Mutex
	calls []Call
}

func (c *CallCounter) record(method, path string, params *stripe.Params) {
	call := Call{Method: method, Path: path}
	if params != nil && params.IdempotencyKey != nil {
		call.IdempotencyKey = *params.IdempotencyKey
	}
	c.mu.Lock()
	c.calls = append(c.calls, call)
	c.mu.Unlock()
}

// Calls returns every call so far, in order.
func (c *CallCounter) Calls() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Call(nil), c.calls...)
}

// Count returns how many calls were made to method and path.
func (c *CallCounter) Count(method, path string) int {
	return len(c.IdempotencyKeys(method, path))
}

// IdempotencyKeys returns the idempotency key of each call to method and
// path, in order.
func (c *CallCounter) IdempotencyKeys(method, path string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := []string{}
	for _, call := range c.calls {
		if call.Method == method && call.Path == path {
			keys = append(keys, call.IdempotencyKey)
		}
	}
	return keys
}

// Reset forgets the calls recorded so far.
func (c *CallCounter) Reset() {
	c.mu.Lock()
	c.calls = nil
	c.mu.Unlock()
}

// countingBackend records each call in c, then makes it through next.
type countingBackend struct {
	next stripe.Backend
	c    *CallCounter
}

func (b *countingBackend) Call(method, path, key string, params stripe.ParamsContainer, v stripe.LastResponseSetter) error {
	b.c.record(method, path, commonParams(params))
	return b.next.Call(method, path, key, params, v)
}

func (b *countingBackend) CallStreaming(method, path, key string, params stripe.ParamsContainer, v stripe.StreamingLastResponseSetter) error {
	b.c.record(method, path, commonParams(params))
	return b.next.CallStreaming(method, path, key, params, v)
}

func (b *countingBackend) CallRaw(method, path, key string, body *form.Values, params *stripe.Params, v stripe.LastResponseSetter) error {
	b.c.record(method, path, params)
	return b.next.CallRaw(method, path, key, body, params, v)
}

func (b *countingBackend) CallMultipart(method, path, key, boundary string, body *bytes.Buffer, params *stripe.Params, v stripe.LastResponseSetter) error {
	b.c.record(method, path, params)
	return b.next.CallMultipart(method, path, key, boundary, body, params, v)
}

func (b *countingBackend) SetMaxNetworkRetries(n int64) { b.next.SetMaxNetworkRetries(n) }

// commonParams returns the Params inside p; stripe-go passes typed nil
// pointers for calls without parameters.
func commonParams(p stripe.ParamsContainer) *stripe.Params {
	if p == nil {
		return nil
	}
	if v := reflect.ValueOf(p); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil
	}
	return p.GetParams()
}

// capped keeps the first 64 KiB written to it, for failure messages; safe
// for one writer and concurrent readers.
type capped struct {
	mu sync.Mutex
	b  bytes.Buffer
}

const capSize = 64 << 10

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := capSize - c.b.Len(); room > 0 {
		c.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

// watcher is stripe-mock's standard output: it sends the HTTP address on addr
// once stripe-mock announces it, and keeps the start of the output.
type watcher struct {
	capped
	addr chan string
	line []byte // the unfinished line
	sent bool
}

func (w *watcher) Write(p []byte) (int, error) {
	w.capped.Write(p)
	if w.sent {
		return len(p), nil // stripe-mock logs every request; only drain it
	}
	w.line = append(w.line, p...)
	for {
		i := bytes.IndexByte(w.line, '\n')
		if i < 0 {
			break
		}
		if m := listening.FindSubmatch(w.line[:i]); m != nil {
			w.addr <- string(m[1])
			w.sent, w.line = true, nil
			break
		}
		w.line = w.line[i+1:]
	}
	return len(p), nil
}
