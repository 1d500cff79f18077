// Package mailtest runs mailpit (github.com/axllent/mailpit, a Go tool
// dependency of the module) as a real SMTP server for tests, on free loopback
// ports, and reads what arrived through its HTTP API. A test that cannot
// start mailpit fails; it never skips.
package mailtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds mailpit once per test process (the first build of all takes
// a few minutes; the go build cache keeps it) and returns its path.
func binary() (string, error) {
	binOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, "go", "tool", "-n", "mailpit")
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			binErr = fmt.Errorf("go tool -n mailpit: %w\n%s", err, stderr.Bytes())
			return
		}
		binPath = strings.TrimSpace(string(out))
	})
	return binPath, binErr
}

// FreePort returns a loopback TCP port nothing listens on (at the moment):
// an SMTP server there refuses every connection until one is started on it.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Server is a running mailpit.
type Server struct {
	SMTPPort int
	HTTP     string // base URL of its web API
	cmd      *exec.Cmd
	exited   chan struct{}
}

// Start starts mailpit on free ports; it is stopped when the test ends.
func Start(t testing.TB) *Server { return StartOn(t, FreePort(t)) }

// StartOn starts mailpit with its SMTP server on smtpPort.
func StartOn(t testing.TB, smtpPort int) *Server {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("mailtest: build mailpit: %v", err)
	}
	httpPort := FreePort(t)
	srv := &Server{SMTPPort: smtpPort, HTTP: "http://127.0.0.1:" + strconv.Itoa(httpPort), exited: make(chan struct{})}
	// #nosec G204 -- bin is the mailpit binary() built; the arguments are ours
	srv.cmd = exec.Command(bin, "--smtp", "127.0.0.1:"+strconv.Itoa(smtpPort), "--listen", "127.0.0.1:"+strconv.Itoa(httpPort),
		"--disable-version-check", "--quiet", "--smtp-disable-rdns")
	srv.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out capped
	srv.cmd.Stdout, srv.cmd.Stderr = &out, &out
	if err := srv.cmd.Start(); err != nil {
		t.Fatalf("mailtest: start mailpit: %v", err)
	}
	go func() {
		srv.cmd.Wait()
		close(srv.exited)
	}()
	t.Cleanup(srv.Stop)
	if err := srv.waitReady(); err != nil {
		t.Fatalf("mailtest: %v\noutput:\n%s", err, out.String())
	}
	return srv
}

// Stop kills mailpit; its SMTP port then refuses connections.
func (s *Server) Stop() {
	s.cmd.Process.Kill()
	<-s.exited
}

func (s *Server) waitReady() error {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for {
		res, err := client.Get(s.HTTP + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.SMTPPort), time.Second); err == nil {
					c.Close()
					return nil
				}
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("mailpit exited before it was ready: %v", err)
		case <-deadline:
			return fmt.Errorf("mailpit at %s not ready after a minute: %v", s.HTTP, err)
		case <-tick.C:
		}
	}
}

// Address is one sender or recipient.
type Address struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// Summary is a message in mailpit's list.
type Summary struct {
	ID        string    `json:"ID"`
	MessageID string    `json:"MessageID"`
	From      Address   `json:"From"`
	To        []Address `json:"To"`
	Subject   string    `json:"Subject"`
}

// Message is one message, with its text.
type Message struct {
	Summary
	Text string `json:"Text"`
}

// Messages returns every message mailpit holds, newest first.
func (s *Server) Messages(t testing.TB) []Summary {
	t.Helper()
	var list struct {
		Messages []Summary `json:"messages"`
	}
	s.get(t, "/api/v1/messages?limit=1000", &list)
	return list.Messages
}

// Message returns message id with its text.
func (s *Server) Message(t testing.TB, id string) Message {
	t.Helper()
	var m Message
	s.get(t, "/api/v1/message/"+id, &m)
	return m
}

// To returns, with their text, the messages sent to addr, newest first.
func (s *Server) To(t testing.TB, addr string) []Message {
	t.Helper()
	var out []Message
	for _, m := range s.Messages(t) {
		for _, to := range m.To {
			if strings.EqualFold(to.Address, addr) {
				out = append(out, s.Message(t, m.ID))
				break
			}
		}
	}
	return out
}

func (s *Server) get(t testing.TB, path string, v any) {
	t.Helper()
	res, err := http.Get(s.HTTP + path) // #nosec G107 -- our own mailpit on loopback
	if err != nil {
		t.Fatalf("mailpit GET %s: %v", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("mailpit GET %s: %s", path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("mailpit GET %s: %v", path, err)
	}
}

// capped keeps the first 64 KiB of a process's output.
type capped struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := 64<<10 - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}
