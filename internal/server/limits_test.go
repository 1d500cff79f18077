package server_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

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
