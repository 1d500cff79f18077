package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is the `jiedao serve` child process under test.
type Server struct {
	URL string // http://127.0.0.1:port
	cmd *exec.Cmd
	log *os.File
	// done is closed when the process has exited; err is its Wait error.
	done chan struct{}
	err  error
}

// ServerOptions say how to start the server.
type ServerOptions struct {
	Binary      string   // bin/jiedao
	DatabaseURL string   // the generated database
	Env         []string // the environment to start from (the secrets)
	Dir         string   // where its configuration file and log go
	// Pprof, when set (host:port), serves Go's profiler there (the metrics
	// listener with http.pprof on), to profile the server under load.
	Pprof string
}

// serverConfig is the bench server's configuration file: the defaults, its
// own port, no metrics listener, and the load generator trusted as a proxy so
// that each resident's rating may come from an address of its own (the
// anonymous-write limit is per address, as it would be in production).
const serverConfig = `# Written by jiedao bench run: the defaults but for these.
http:
  addr: %s
  metrics_addr: ""
  public_url: http://%s
  trusted_proxies: [127.0.0.1/32]
`

// StartServer starts `jiedao serve` (workers on) on a free port against the
// database, logging to Dir/server.log, and waits until /readyz answers 200.
func StartServer(ctx context.Context, o ServerOptions) (*Server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(o.Dir, "server.yaml")
	cfg := fmt.Appendf(nil, serverConfig, addr, addr)
	if o.Pprof != "" {
		cfg = fmt.Appendf(bytes.Replace(cfg, []byte(`metrics_addr: ""`), fmt.Appendf(nil, "metrics_addr: %s", o.Pprof), 1), "  pprof: true\n")
	}
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(o.Dir, "server.log"))
	if err != nil {
		return nil, err
	}
	// #nosec G204 -- the binary is the one make built, named by the operator
	cmd := exec.Command(o.Binary, "serve")
	cmd.Env = append(withoutKeys(o.Env, "JIEDAO_HTTP_ADDR", "JIEDAO_METRICS_ADDR", "JIEDAO_PUBLIC_URL", "JIEDAO_CONFIG", "JIEDAO_DATABASE_URL", "JIEDAO_LOG_LEVEL"),
		"JIEDAO_CONFIG="+cfgPath, "JIEDAO_DATABASE_URL="+o.DatabaseURL,
		// Requests are not logged one by one at warn: a log line per request would be measured too.
		"JIEDAO_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group: Ctrl-C on make reaches the runner, which stops it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s serve: %w", o.Binary, err)
	}
	s := &Server{URL: "http://" + addr, cmd: cmd, log: logFile, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx, 2*time.Minute); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w (see %s)", err, logFile.Name())
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-s.done:
			return fmt.Errorf("the server exited before it was ready: %v", s.err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if resp, err := client.Get(s.URL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server was not ready within %s", limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Alive reports an error when the server has exited.
func (s *Server) Alive() error {
	select {
	case <-s.done:
		return fmt.Errorf("the server exited: %v (see %s)", s.err, s.log.Name())
	default:
		return nil
	}
}

// Stop asks the server to stop (SIGTERM), waits up to 15 s, then kills it.
func (s *Server) Stop() {
	defer s.log.Close()
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// ResetPeak resets the process's peak resident set (VmHWM) to its current
// resident set, so that PeakRSS reads the peak since.
func ResetPeak(pid int) error {
	// "5" resets the peak RSS (Documentation/filesystems/proc.rst).
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0o600)
}

// PeakRSS reads the process's peak resident set (VmHWM) in bytes.
func PeakRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseHWM(raw)
}

// parseHWM finds "VmHWM:   123456 kB" in the text of /proc/PID/status.
func parseHWM(status []byte) (int64, error) {
	for _, line := range bytes.Split(status, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			break
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			break
		}
		return kb << 10, nil
	}
	return 0, errors.New("no VmHWM line in /proc/PID/status")
}

// freeAddr finds a free loopback port.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// withoutKeys is env less the variables named.
func withoutKeys(env []string, keys ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, key := range keys {
			drop = drop || k == key
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}
