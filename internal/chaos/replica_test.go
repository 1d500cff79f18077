//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// TestReadReplica runs `jiedao serve` on a primary and a real streaming
// replica made by scripts/replica.sh (issue 16, item 5) and shows where each
// query goes:
//   - with the replica's replay paused, a change on the primary is not seen
//     by an anonymous public read (answered by the replica) and is seen by
//     the same read signed in (the primary); once replay resumes, the
//     anonymous read catches up;
//   - with replay still paused, a login, the session re-read of the next
//     request and a logout all act on the primary: the request after the
//     logout is refused at once, lag or no lag;
//   - with the replica stopped, every named public read fails for anonymous
//     callers while the same reads signed in still answer, and /readyz says
//     the server is not ready; with the replica back it is ready again.
func TestReadReplica(t *testing.T) {
	root := replicaRepoRoot(t)
	rs := replicaClusters(t, root)
	bin := filepath.Join(t.TempDir(), "jiedao")
	replicaRun(t, root, nil, "go", "build", "-o", bin, "./cmd/jiedao")
	const demoPassword = "replica-test-password"
	env := replicaEnv(t, rs, demoPassword)
	replicaRun(t, root, env, bin, "migrate", "up")
	replicaRun(t, root, env, bin, "seed", "--demo")
	base := replicaServe(t, root, bin, env)
	c := &replicaClient{t: t, base: base}

	// The named public reads, each answered by an anonymous caller.
	var tenders struct {
		Items []struct{ ID int64 } `json:"items"`
	}
	c.getJSON("/api/v1/public/tenders", "", &tenders)
	var items struct {
		Items []struct{ ID int64 } `json:"items"`
	}
	c.getJSON("/api/v1/public/transfer-items", "", &items)
	var orgs struct {
		Items []struct {
			ID        int64  `json:"id"`
			LegalName string `json:"legal_name"`
		} `json:"items"`
	}
	c.getJSON("/api/v1/public/organizations", "", &orgs)
	if len(tenders.Items) == 0 || len(items.Items) == 0 || len(orgs.Items) == 0 {
		t.Fatalf("the demo has %d public tenders, %d transfer items, %d capable organizations; want some of each",
			len(tenders.Items), len(items.Items), len(orgs.Items))
	}
	org := orgs.Items[0]
	publicReads := []string{
		"/api/v1/public/tenders",
		fmt.Sprintf("/api/v1/public/tenders/%d", tenders.Items[0].ID),
		"/api/v1/public/transfer-items?q=" + url.QueryEscape("服务"),
		fmt.Sprintf("/api/v1/public/transfer-items/%d", items.Items[0].ID),
		"/api/v1/public/organizations",
		fmt.Sprintf("/api/v1/public/organizations/%d", org.ID),
		fmt.Sprintf("/api/v1/public/organizations/%d/ratings", org.ID),
		"/api/v1/public/ocds/releases",
		"/catalog?q=" + url.QueryEscape("服务"),
	}
	for _, p := range publicReads {
		if status, body := c.get(p, ""); status != http.StatusOK {
			t.Fatalf("anonymous GET %s = %d %.300s, want 200", p, status, body)
		}
	}

	primary, err := sql.Open("pgx", rs.primaryURL)
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	profile := fmt.Sprintf("/api/v1/public/organizations/%d", org.ID)
	nameOf := func(token string) string {
		var p struct {
			LegalName string `json:"legal_name"`
		}
		c.getJSON(profile, token, &p)
		return p.LegalName
	}

	// Replay paused: the replica lags by as much as the test wants.
	rs.psql(t, "SELECT pg_wal_replay_pause()")
	replicaPoll(t, 10*time.Second, "the replica's replay to pause", func() bool {
		return rs.psql(t, "SELECT pg_get_wal_replay_pause_state()") == "paused"
	})
	renamed := org.LegalName + "（更名）"
	if _, err := primary.Exec(`UPDATE organizations SET legal_name = $1 WHERE id = $2`, renamed, org.ID); err != nil {
		t.Fatal(err)
	}
	token := c.login("demo-officer", demoPassword) // a session written on the primary
	if got := nameOf(""); got != org.LegalName {
		t.Errorf("anonymous profile while the replica lags = %q, want the replica's %q", got, org.LegalName)
	}
	if got := nameOf(token); got != renamed {
		t.Errorf("signed-in profile while the replica lags = %q, want the primary's %q", got, renamed)
	}
	if status, body := c.get("/api/v1/me", token); status != http.StatusOK {
		t.Errorf("GET /api/v1/me right after login, replica paused = %d %.200s, want 200 (session read on the primary)", status, body)
	}
	if status, body := c.do("POST", "/api/v1/auth/logout", token, nil); status != http.StatusNoContent {
		t.Fatalf("POST /api/v1/auth/logout = %d %.200s, want 204", status, body)
	}
	if status, _ := c.get("/api/v1/me", token); status != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/me with the logged-out session, replica paused = %d, want 401 at once", status)
	}
	rs.psql(t, "SELECT pg_wal_replay_resume()")
	replicaPoll(t, 20*time.Second, "the anonymous profile to show the new name once replay resumes", func() bool {
		return nameOf("") == renamed
	})

	// The replica stopped: the public reads fail for anonymous callers only.
	token = c.login("demo-officer", demoPassword)
	replicaCtl(t, rs.name+"-replica", "stop")
	for _, p := range publicReads {
		if status, _ := c.get(p, ""); status < 500 {
			t.Errorf("anonymous GET %s with the replica stopped = %d, want 5xx (it reads the replica)", p, status)
		}
		if status, body := c.get(p, token); status != http.StatusOK {
			t.Errorf("signed-in GET %s with the replica stopped = %d %.200s, want 200 (it reads the primary)", p, status, body)
		}
	}
	if status, _ := c.get("/readyz", ""); status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz with the replica stopped = %d, want 503", status)
	}
	replicaCtl(t, rs.name+"-replica", "start")
	replicaPoll(t, 20*time.Second, "/readyz with the replica back", func() bool {
		status, _ := c.get("/readyz", "")
		return status == http.StatusOK
	})
	for _, p := range publicReads {
		if status, body := c.get(p, ""); status != http.StatusOK {
			t.Errorf("anonymous GET %s with the replica back = %d %.200s, want 200", p, status, body)
		}
	}
}

// replicaSet is a primary and its streaming replica made by scripts/replica.sh.
type replicaSet struct {
	name                   string
	primaryURL, replicaURL string
	replicaPort            string
}

// psql runs sql on the replica as the postgres superuser and returns its
// output, trimmed.
func (rs replicaSet) psql(t *testing.T, sql string) string {
	t.Helper()
	out, err := exec.Command("runuser", "-u", "postgres", "--", "psql", "-XAtq", "-h", "/var/run/postgresql",
		"-p", rs.replicaPort, "-d", "postgres", "-c", sql).CombinedOutput()
	if err != nil {
		t.Fatalf("psql on the replica %q: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

// replicaClusters runs scripts/replica.sh up under a fresh name and drops
// the clusters when the test ends.
func replicaClusters(t *testing.T, root string) replicaSet {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	rs := replicaSet{name: "jiedao-rt-" + hex.EncodeToString(b)}
	t.Cleanup(func() {
		if out, err := exec.Command(filepath.Join(root, "scripts/replica.sh"), "drop", rs.name).CombinedOutput(); err != nil {
			t.Errorf("scripts/replica.sh drop: %v\n%s", err, out)
		}
	})
	out := replicaRun(t, root, nil, filepath.Join(root, "scripts/replica.sh"), "up", rs.name)
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "JIEDAO_DATABASE_URL="); ok {
			rs.primaryURL = v
		}
		if v, ok := strings.CutPrefix(line, "JIEDAO_DATABASE_REPLICA_URL="); ok {
			rs.replicaURL = v
		}
	}
	u, err := url.Parse(rs.replicaURL)
	if err != nil || rs.primaryURL == "" {
		t.Fatalf("scripts/replica.sh printed no URLs:\n%s", out)
	}
	rs.replicaPort = u.Port()
	return rs
}

func replicaCtl(t *testing.T, cluster, action string) {
	t.Helper()
	versions, err := os.ReadDir("/usr/lib/postgresql")
	if err != nil || len(versions) == 0 {
		t.Fatalf("no PostgreSQL in /usr/lib/postgresql: %v", err)
	}
	ver := versions[len(versions)-1].Name() // the newest, as scripts/replica.sh takes
	if out, err := exec.Command("pg_ctlcluster", ver, cluster, action).CombinedOutput(); err != nil {
		t.Fatalf("pg_ctlcluster %s %s %s: %v\n%s", ver, cluster, action, err, out)
	}
}

// replicaEnv is the environment of the jiedao processes: the two
// databases, fresh secrets of their own, the demo password.
func replicaEnv(t *testing.T, rs replicaSet, demoPassword string) []string {
	t.Helper()
	key := func() string {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"JIEDAO_DATABASE_URL=" + rs.primaryURL,
		"JIEDAO_DATABASE_REPLICA_URL=" + rs.replicaURL,
		"JIEDAO_DEMO_PASSWORD=" + demoPassword,
		"JIEDAO_METRICS_ADDR=off",
		"JIEDAO_UPLOADS_DIR=" + t.TempDir(),
		"JIEDAO_AUTH_KEYS=replica:" + key(),
		"JIEDAO_CSRF_SECRET=" + key(),
		"JIEDAO_SEAL_KEY=" + key(),
		"JIEDAO_RATING_KEY=" + key(),
	}
}

func replicaRepoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// replicaRun runs a command in dir and returns its standard output; it
// fails the test with both outputs when the command fails.
func replicaRun(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// replicaServe starts `jiedao serve --workers=false` on a free port, waits
// until /readyz answers 200, and stops it when the test ends; its log is
// shown when the test fails.
func replicaServe(t *testing.T, root, bin string, env []string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "--workers=false")
	cmd.Dir, cmd.Env = root, append(env, "JIEDAO_HTTP_ADDR="+addr)
	var log replicaLog
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cancel()
			<-done
		}
		cancel()
		if t.Failed() {
			t.Logf("jiedao serve log (last 4000 bytes):\n%s", log.tail(4000))
		}
	})
	base := "http://" + addr
	c := &replicaClient{t: t, base: base}
	replicaPoll(t, 30*time.Second, "jiedao serve to be ready", func() bool {
		select {
		case <-done:
			t.Fatalf("jiedao serve exited:\n%s", log.tail(4000))
		default:
		}
		status, _ := c.try("GET", "/readyz", "", nil)
		return status == http.StatusOK
	})
	return base
}

type replicaLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *replicaLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *replicaLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf.Bytes()
	return string(b[max(0, len(b)-n):])
}

// replicaPoll calls ok until it holds, failing the test after timeout.
func replicaPoll(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		<-tick.C
	}
}

// replicaClient sends requests to the served instance.
type replicaClient struct {
	t    *testing.T
	base string
}

var replicaHTTP = &http.Client{Timeout: 10 * time.Second}

func (c *replicaClient) try(method, path, token string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+token)
		} else {
			req.AddCookie(&http.Cookie{Name: "jd_access", Value: token}) // secure_cookies is off over plain HTTP
		}
	}
	res, err := replicaHTTP.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func (c *replicaClient) do(method, path, token string, body any) (int, []byte) {
	c.t.Helper()
	status, out := c.try(method, path, token, body)
	if status == 0 {
		c.t.Fatalf("%s %s: %s", method, path, out)
	}
	return status, out
}

func (c *replicaClient) get(path, token string) (int, []byte) {
	c.t.Helper()
	return c.do("GET", path, token, nil)
}

func (c *replicaClient) getJSON(path, token string, v any) {
	c.t.Helper()
	status, body := c.get(path, token)
	if status != http.StatusOK {
		c.t.Fatalf("GET %s = %d %.300s, want 200", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
}

func (c *replicaClient) login(username, password string) string {
	c.t.Helper()
	status, body := c.do("POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": password})
	if status != http.StatusOK {
		c.t.Fatalf("login %s = %d %.200s", username, status, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		c.t.Fatalf("login %s: no access token in %.200s", username, body)
	}
	return tok.AccessToken
}
