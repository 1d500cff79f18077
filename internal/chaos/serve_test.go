//go:build chaos

package chaos_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildJiedao builds the jiedao binary, as make build does, into a
// temporary directory.
func buildJiedao(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "jiedao")
	run(t, "go", "build", "-o", bin, "../../cmd/jiedao")
	return bin
}

// appEnv is the environment of every jiedao process of the test: the
// cluster's database, shared keys (a token signed by one server is good on
// the others), the configuration file cfg.
func appEnv(t *testing.T, dbURL, cfg string) []string {
	t.Helper()
	key := func(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"JIEDAO_CONFIG=" + cfg,
		"JIEDAO_DATABASE_URL=" + dbURL,
		"JIEDAO_METRICS_ADDR=off",
		"JIEDAO_LOG_LEVEL=warn",
		"JIEDAO_UPLOADS_DIR=" + t.TempDir(),
		"JIEDAO_AUTH_KEYS=k1:" + key(1),
		"JIEDAO_CSRF_SECRET=" + key(2),
		"JIEDAO_SEAL_KEY=" + key(3),
		"JIEDAO_RATING_KEY=" + key(4),
	}
}

// jiedao runs the binary with args to its end and returns its output,
// failing the test when it fails.
func jiedao(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("jiedao %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// replica is one `jiedao serve` process.
type replica struct {
	name string
	url  string // http://127.0.0.1:port
	cmd  *exec.Cmd
	log  string // its log file
	done chan error
}

// startReplica starts `jiedao serve` (working jobs) on a free port and waits
// until it answers /readyz. When the test ends it is stopped with SIGTERM,
// unless it was killed before.
func startReplica(t *testing.T, bin string, env []string, name string) *replica {
	t.Helper()
	port := freePort(t)
	r := &replica{name: name, url: fmt.Sprintf("http://127.0.0.1:%d", port), log: filepath.Join(t.TempDir(), name+".log"), done: make(chan error, 1)}
	f, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	r.cmd = exec.Command(bin, "serve")
	r.cmd.Env = append(append([]string(nil), env...), fmt.Sprintf("JIEDAO_HTTP_ADDR=127.0.0.1:%d", port))
	r.cmd.Stdout, r.cmd.Stderr = f, f
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { r.done <- r.cmd.Wait(); f.Close() }()
	t.Cleanup(func() {
		select {
		case <-r.done:
			return // killed by the test, or exited (which the test has seen)
		default:
		}
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("%s after SIGTERM: %v", name, err)
			}
		case <-time.After(30 * time.Second):
			_ = r.cmd.Process.Kill()
			t.Errorf("%s did not stop within 30 s of SIGTERM", name)
		}
		if t.Failed() {
			out, _ := os.ReadFile(r.log)
			t.Logf("%s log (warnings and errors):\n%s", name, tail(string(out), 60))
		}
	})
	deadline := time.Now().Add(time.Minute)
	for !r.ready() {
		select {
		case err := <-r.done:
			out, _ := os.ReadFile(r.log)
			t.Fatalf("%s exited before answering /readyz: %v\n%s", name, err, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer /readyz within a minute", name)
		}
		waitABit()
	}
	return r
}

var probe = &http.Client{Timeout: 2 * time.Second}

// ready reports whether the replica answers /readyz with 200.
func (r *replica) ready() bool { return r.readyz() == http.StatusOK }

// readyz returns the status /readyz answers, 0 for none.
func (r *replica) readyz() int {
	res, err := probe.Get(r.url + "/readyz")
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// kill kills the replica with SIGKILL (kill -9) and waits for it to die.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill -9 %s: %v", r.name, err)
	}
	<-r.done
	r.done <- nil // for the cleanup: it has ended
}

// waitABit paces a polling loop: 50 ms between probes.
func waitABit() { <-time.After(50 * time.Millisecond) }

func tail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}
