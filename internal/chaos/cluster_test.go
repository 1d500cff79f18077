//go:build chaos

package chaos_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cluster is a private PostgreSQL cluster the test made for itself, never
// the shared "main" one: it may be restarted and is dropped when the test ends.
type cluster struct {
	version string // the PostgreSQL major version installed, "15"
	name    string
	port    int
	url     string // of the application's role and database
}

// newCluster creates and starts a cluster on a free port with a role and a
// database for the application (password authentication over TCP), and
// drops it when the test ends, whatever happened.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{version: pgVersion(t), name: "jiedao-chaos-" + randomHex(t, 4), port: freePort(t)}
	t.Cleanup(func() {
		if out, err := exec.Command("pg_dropcluster", "--stop", c.version, c.name).CombinedOutput(); err != nil {
			t.Errorf("pg_dropcluster --stop %s %s: %v\n%s", c.version, c.name, err, out)
		}
	})
	run(t, "pg_createcluster", c.version, c.name, "-p", fmt.Sprint(c.port), "--",
		"--auth-local=peer", "--auth-host=scram-sha-256")
	c.ctl(t, "start")
	password := randomHex(t, 16)
	c.psql(t, fmt.Sprintf("CREATE ROLE jiedao LOGIN PASSWORD '%s'", password))
	c.psql(t, "CREATE DATABASE jiedao OWNER jiedao")
	c.url = fmt.Sprintf("postgres://jiedao:%s@127.0.0.1:%d/jiedao?sslmode=disable", password, c.port)
	return c
}

// ctl runs pg_ctlcluster's action (start, stop, restart) on the cluster and
// returns when it has finished: after start, the server accepts connections.
func (c *cluster) ctl(t *testing.T, action string, args ...string) {
	t.Helper()
	run(t, "pg_ctlcluster", append([]string{c.version, c.name, action}, args...)...)
}

// psql runs sql as the postgres superuser over the local socket.
func (c *cluster) psql(t *testing.T, sql string) string {
	t.Helper()
	return run(t, "runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
		"-p", fmt.Sprint(c.port), "-d", "postgres", "-c", sql)
}

// pgVersion returns the newest PostgreSQL major version installed (Debian's
// /usr/lib/postgresql/<version>).
func pgVersion(t *testing.T) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	best := 0
	for _, d := range dirs {
		if v, err := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(d)))); err == nil && v > best {
			best = v
		}
	}
	if best == 0 {
		t.Fatal("no PostgreSQL server installed (/usr/lib/postgresql/<version>/bin/initdb): make test-chaos installs it")
	}
	return strconv.Itoa(best)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
