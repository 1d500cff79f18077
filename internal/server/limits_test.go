package server_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// anonymousWrite is an endpoint anyone may post to without signing in, with
// the content type its handler reads.
type anonymousWrite struct {
	path, contentType string
}

// anonymousWrites are every write reachable without signing in: the API's
// login, refresh, sign-up, donation and Stripe webhook, and the pages' login,
// sign-up and donation forms. Page forms are sent as multipart, which is the
// body the form parser would inflate.
var anonymousWrites = []anonymousWrite{
	{"/api/v1/auth/login", "application/json"},
	{"/api/v1/auth/refresh", "application/json"},
	{"/api/v1/organizations", "application/json"},
	{"/api/v1/public/donations", "application/json"},
	{"/api/v1/stripe/webhook", "application/json"},
	{"/login", "multipart/form-data; boundary=jiedao"},
	{"/signup", "multipart/form-data; boundary=jiedao"},
	{"/donate", "multipart/form-data; boundary=jiedao"},
}

const (
	bombInflated = 300 << 20 // what the bomb inflates to
	// maxGrowth is what one refused request may allocate: the compressed body
	// (about 300 KB) copied a few times on its way through the test client and
	// the server, far below what inflating it would take.
	maxGrowth = 8 << 20
)

var (
	bombOnce sync.Once
	bomb     []byte
)

// gzipBomb returns about 300 KB of gzip that inflates to 300 MB of zeros: 300
// gzip members of 1 MiB each, which a gzip reader inflates as one stream
// (compressing 300 MB at once would take the test many seconds under -race).
func gzipBomb(t *testing.T) []byte {
	t.Helper()
	bombOnce.Do(func() {
		var member bytes.Buffer
		w, err := gzip.NewWriterLevel(&member, gzip.BestCompression)
		if err != nil {
			panic(err)
		}
		if _, err := w.Write(make([]byte, 1<<20)); err != nil {
			panic(err)
		}
		if err := w.Close(); err != nil {
			panic(err)
		}
		bomb = bytes.Repeat(member.Bytes(), bombInflated>>20)
	})
	return bomb
}

// allocated returns the bytes the process has allocated so far.
func allocated() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// A compressed body is refused before anything inflates it (issue 10, finding
// 1): every anonymous write answers 415 to a gzip bomb, and serving it
// allocates a few megabytes at most, not the 300 MB the bomb inflates to.
// Not parallel: the allocation count is the whole process's.
func TestCompressedBodyRefused(t *testing.T) {
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	body := gzipBomb(t)
	post := func(t *testing.T, w anonymousWrite, body []byte) servertest.Response {
		return e.Do(t, servertest.Request{Method: "POST", Path: w.path, Body: body, Header: map[string]string{
			"Content-Type": w.contentType, "Content-Encoding": "gzip", "Stripe-Signature": "t=1,v1=00"}})
	}
	// The first request through the harness loads the OpenAPI document and
	// the page templates' first use; it is not the server's cost.
	for _, w := range anonymousWrites {
		post(t, w, []byte("x"))
	}
	for _, w := range anonymousWrites {
		t.Run(strings.TrimPrefix(w.path, "/"), func(t *testing.T) {
			before := allocated()
			r := post(t, w, body)
			grown := allocated() - before
			t.Logf("POST %s with a gzip bomb: %d, allocated %d KB", w.path, r.Status, grown>>10)
			if r.Status != http.StatusUnsupportedMediaType {
				t.Errorf("POST %s with a gzip bomb = %d, want 415", w.path, r.Status)
			}
			if grown > maxGrowth {
				t.Errorf("POST %s with a gzip bomb allocated %d MB, want at most %d MB", w.path, grown>>20, maxGrowth>>20)
			}
			wantRefusedEncoding(t, w.path, r)
		})
	}
}

// wantRefusedEncoding checks a 415 for a compressed body: problem+json naming
// the code on the API, the HTML error page on pages, and Accept-Encoding
// saying what would be taken.
func wantRefusedEncoding(t *testing.T, path string, r servertest.Response) {
	t.Helper()
	if got := r.Header.Get("Accept-Encoding"); got != "identity" {
		t.Errorf("POST %s compressed: Accept-Encoding = %q, want identity", path, got)
	}
	if strings.HasPrefix(path, "/api/") {
		if p := r.Problem(t); p.Code != "unsupported_content_encoding" {
			t.Errorf("POST %s compressed: problem code %q, want unsupported_content_encoding", path, p.Code)
		}
	} else if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("POST %s compressed: Content-Type %q, want the HTML error page", path, ct)
	}
}

// Only a body without a content coding is read: identity (in any case) is
// none, anything else, alone, listed or repeated, is refused.
func TestContentEncodings(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	tests := []struct {
		encoding string
		want     int
	}{
		{"identity", http.StatusUnauthorized},
		{"IDENTITY", http.StatusUnauthorized},
		{" identity ", http.StatusUnauthorized},
		{"gzip", http.StatusUnsupportedMediaType},
		{"x-gzip", http.StatusUnsupportedMediaType},
		{"deflate", http.StatusUnsupportedMediaType},
		{"br", http.StatusUnsupportedMediaType},
		{"zstd", http.StatusUnsupportedMediaType},
		{"GZIP", http.StatusUnsupportedMediaType},
		{"identity, gzip", http.StatusUnsupportedMediaType},
		{"gzip, identity", http.StatusUnsupportedMediaType},
		{"unknown-coding", http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.encoding, func(t *testing.T) {
			// A refresh token that does not exist: 401 once the body is read.
			r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/refresh",
				Body: map[string]string{"refresh_token": "no-such-token"}, Header: map[string]string{"Content-Encoding": tt.encoding}})
			if r.Status != tt.want {
				t.Fatalf("POST /api/v1/auth/refresh with Content-Encoding %q = %d %s, want %d", tt.encoding, r.Status, r.Body, tt.want)
			}
			if tt.want == http.StatusUnsupportedMediaType {
				wantRefusedEncoding(t, "/api/v1/auth/refresh", r)
			}
		})
	}
}

// hangGuard is how long a test waits on a connection before failing: a
// server that never cuts a client off would otherwise hang the test. It
// bounds the wait; nothing measures how fast the server was.
const hangGuard = 10 * time.Second

// dial opens a connection to addr, closed when the test ends, whose reads and
// writes fail after hangGuard.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(hangGuard)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// head is a POST's request line and headers declaring a body of length bytes.
func head(w anonymousWrite, addr string, length int) string {
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		w.path, addr, w.contentType, length)
}

// readAnswer reads the server's answer on conn. answered is false when the
// server closed the connection without one; waiting past hangGuard fails.
func readAnswer(t *testing.T, conn net.Conn) (r servertest.Response, answered bool) {
	t.Helper()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("no answer, and the connection still open, after %v", hangGuard)
	}
	if err != nil {
		return servertest.Response{}, false // closed: EOF or reset
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read the answer: %v", err)
	}
	return servertest.Response{Status: res.StatusCode, Header: res.Header, Body: out}, true
}

// handled reports whether the app's middleware logged a request for path:
// fasthttp refuses a request it could not read before any of it runs.
func handled(e *servertest.Env, path string) bool {
	return strings.Contains(e.Logs.String(), `"route":"`+path+`"`)
}

// A body declared larger than http.body_limit_bytes is refused with 413 from
// its headers alone: the answer comes back though the body is never sent, so
// nothing of it is read or held. Not parallel: the allocation count is the
// whole process's.
func TestOversizedBodyRefused(t *testing.T) {
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	addr := e.Listen(t)
	size := e.Cfg.HTTP.BodyLimit + 1
	for _, w := range anonymousWrites {
		t.Run(strings.TrimPrefix(w.path, "/"), func(t *testing.T) {
			before := allocated()
			var r servertest.Response
			e.WritesNothing(t, "POST "+w.path+" declaring an oversized body", func() {
				conn := dial(t, addr)
				if _, err := io.WriteString(conn, head(w, addr, size)); err != nil {
					t.Fatal(err)
				}
				var answered bool
				if r, answered = readAnswer(t, conn); !answered {
					t.Fatalf("POST %s declaring %d bytes: closed without an answer, want 413", w.path, size)
				}
			})
			grown := allocated() - before
			if r.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("POST %s declaring %d bytes = %d %.300s, want 413", w.path, size, r.Status, r.Body)
			}
			if grown > maxGrowth {
				t.Errorf("POST %s declaring %d bytes allocated %d MB, want at most %d MB", w.path, size, grown>>20, maxGrowth>>20)
			}
			if strings.HasPrefix(w.path, "/api/") {
				if p := r.Problem(t); p.Code != "body_too_large" {
					t.Errorf("POST %s declaring %d bytes: problem code %q, want body_too_large", w.path, size, p.Code)
				}
				servertest.ValidateResponse(t, servertest.Request{Method: "POST", Path: w.path}, nil, r)
			} else if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("POST %s declaring %d bytes: Content-Type %q, want the HTML error page", w.path, size, ct)
			}
			if handled(e, w.path) {
				t.Errorf("POST %s declaring %d bytes reached the app's middleware", w.path, size)
			}
		})
	}
}

// A client that sends its headers and then drips its body is cut off by
// http.read_timeout: the server answers 408 or closes the connection, no
// handler (nor any middleware) runs, nothing is written and the held
// connections cost no memory to speak of. The body, a byte every 10 ms, would
// take 40 s to finish. The same holds for dripped headers. Not parallel: the
// allocation count is the whole process's.
func TestSlowBodyCutOff(t *testing.T) {
	cfg := servertest.Config(t)
	cfg.HTTP.ReadTimeout = 300 * time.Millisecond
	e := servertest.NewEnvWith(t, cfg, servertest.AccountsOnly)
	addr := e.Listen(t)
	const length = 4096
	drip := func(t *testing.T, w anonymousWrite, first string, rest []byte) {
		conn := dial(t, addr)
		if _, err := io.WriteString(conn, first); err != nil {
			t.Fatal(err)
		}
		stop, dripped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(dripped)
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for _, b := range rest {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				if _, err := conn.Write([]byte{b}); err != nil {
					return // the server closed the connection
				}
			}
		}()
		r, answered := readAnswer(t, conn)
		close(stop)
		<-dripped
		// fasthttp forgets a request it could not read whole, path included,
		// so the 408 is the HTML error page even for an API path.
		if answered && r.Status != http.StatusRequestTimeout {
			t.Errorf("POST %s dripped = %d %.300s, want 408 or the connection closed", w.path, r.Status, r.Body)
		}
		if handled(e, w.path) {
			t.Errorf("POST %s dripped reached the app's middleware", w.path)
		}
	}
	before := allocated()
	e.WritesNothing(t, "dripped requests", func() {
		t.Run("body", func(t *testing.T) {
			for _, w := range anonymousWrites {
				t.Run(strings.TrimPrefix(w.path, "/"), func(t *testing.T) {
					t.Parallel()
					drip(t, w, head(w, addr, length), bytes.Repeat([]byte(" "), length))
				})
			}
		})
		t.Run("headers", func(t *testing.T) {
			w := anonymousWrites[0]
			h := head(w, addr, 2)
			drip(t, w, h[:20], []byte(h[20:]+"{}"))
		})
	})
	if grown := allocated() - before; grown > maxGrowth {
		t.Errorf("dripped requests allocated %d MB, want at most %d MB", grown>>20, maxGrowth>>20)
	}
}
