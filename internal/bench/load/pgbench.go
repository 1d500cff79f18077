package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The pgbench baselines' fixed shape: its scale (10: 1,000,000 accounts, so
// that 16 clients do not all queue on one branch row), clients and threads.
const (
	PgbenchDatabase = "jiedao_pgbench"
	pgbenchScale    = 10
	pgbenchClients  = 16
	pgbenchThreads  = 2
)

// WithDatabase is the PostgreSQL URL base with its database replaced by name.
func WithDatabase(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("the database URL is not a postgres:// URL")
	}
	u.Path = "/" + name
	return u.String(), nil
}

// preparePgbench creates the pgbench database next to the one at dbURL and
// initializes it (pgbench -i) unless a previous run did.
func preparePgbench(ctx context.Context, dbURL string) (string, error) {
	pgURL, err := WithDatabase(dbURL, PgbenchDatabase)
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", err
	}
	var exists bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, PgbenchDatabase).Scan(&exists)
	if err == nil && !exists {
		_, err = conn.Exec(ctx, "CREATE DATABASE "+PgbenchDatabase)
	}
	conn.Close(ctx)
	if err != nil {
		return "", fmt.Errorf("create the pgbench database: %w", err)
	}
	pg, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return "", err
	}
	var branches int
	// A database without pgbench's tables, or of another scale, is initialized (again).
	if pg.QueryRow(ctx, `SELECT count(*) FROM pgbench_branches`).Scan(&branches) != nil || branches != pgbenchScale {
		branches = 0
	}
	pg.Close(ctx)
	if branches == pgbenchScale {
		return pgURL, nil
	}
	// #nosec G204 -- fixed arguments and the operator's database URL
	out, err := exec.CommandContext(ctx, "pgbench", "-i", "-q", "-s", strconv.Itoa(pgbenchScale), pgURL).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("pgbench -i: %w: %s", err, lastLine(out))
	}
	return pgURL, nil
}

// runPgbench runs pgbench's TPC-B (or, selectOnly, its -S select-only) script
// for d with fixed clients and threads, logging each transaction under dir,
// and returns its tps and latency percentiles.
func runPgbench(ctx context.Context, pgURL, dir string, d time.Duration, selectOnly bool) (Result, error) {
	name, prefix, script := BaselineTPCB, filepath.Join(dir, "pgbench_tpcb"), []string{}
	if selectOnly {
		name, prefix, script = BaselineSelect, filepath.Join(dir, "pgbench_select"), []string{"-S"}
	}
	shape := []string{"-c", strconv.Itoa(pgbenchClients), "-j", strconv.Itoa(pgbenchThreads),
		"-T", strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second)))}
	args := append(append(slices.Clone(shape), script...), "-l", "--log-prefix="+prefix, pgURL)
	old, _ := filepath.Glob(prefix + ".*")
	for _, f := range old {
		_ = os.Remove(f)
	}
	// #nosec G204 -- fixed arguments and the operator's database URL
	cmd := exec.CommandContext(ctx, "pgbench", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return Result{}, fmt.Errorf("pgbench: %w: %s", err, lastLine(out))
	}
	res := Result{Name: name, Kind: KindBaseline, Route: strings.Join(append(append([]string{"pgbench"}, shape...), script...), " ")}
	if res.Rate, err = parseTPS(out); err != nil {
		return Result{}, err
	}
	logs, _ := filepath.Glob(prefix + ".*")
	var lat []time.Duration
	for _, f := range logs {
		raw, err := os.ReadFile(f) // #nosec G304 -- pgbench's own log, named by us
		if err != nil {
			return Result{}, err
		}
		l, failed, err := parseTransactionLog(raw)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", f, err)
		}
		lat = append(lat, l...)
		res.Errors += failed
		_ = os.Remove(f)
	}
	res.Requests = len(lat) + res.Errors
	res.P50, res.P95, res.P99 = percentiles(lat)
	return res, nil
}

var tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)

// parseTPS reads the tps pgbench reports without the connections' set-up.
func parseTPS(out []byte) (float64, error) {
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no tps in pgbench's output: %s", lastLine(out))
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// parseTransactionLog reads pgbench's per-transaction log ("client_id
// transaction_no time script_no time_epoch time_us", time the latency in
// microseconds, or "failed"/"skipped" in its place) into latencies and a
// count of failed transactions.
func parseTransactionLog(raw []byte) ([]time.Duration, int, error) {
	var lat []time.Duration
	failed := 0
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 {
			return nil, 0, fmt.Errorf("not a pgbench transaction line: %q", sc.Text())
		}
		us, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			failed++
			continue
		}
		lat = append(lat, time.Duration(us)*time.Microsecond)
	}
	return lat, failed, sc.Err()
}

// percentiles is the 50th, 95th and 99th percentile of lat (nearest rank);
// it sorts lat.
func percentiles(lat []time.Duration) (p50, p95, p99 Millis) {
	if len(lat) == 0 {
		return 0, 0, 0
	}
	slices.Sort(lat)
	at := func(q float64) Millis {
		i := int(math.Ceil(q*float64(len(lat)))) - 1
		return Millis(lat[max(0, min(i, len(lat)-1))])
	}
	return at(0.50), at(0.95), at(0.99)
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}
