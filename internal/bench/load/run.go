package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/jiedao-market/jiedao/internal/tender"
)

// Options say what to run.
type Options struct {
	Binary      string        // the jiedao binary to serve with
	DatabaseURL string        // the generated database
	Env         []string      // the environment of the server (its secrets)
	Scale       float64       // the dataset's scale, for the report
	Duration    time.Duration // of each scenario
	Dir         string        // where the server's log and pgbench's files go
	// Targets reads the scenarios' targets from the database.
	Targets func(ctx context.Context) (Targets, error)
	// Only, when set, runs only the scenarios (and baselines) named.
	Only []string
	// Pprof, when set (host:port), serves the server's profiler there.
	Pprof string
	// Progress receives a line as each step begins.
	Progress io.Writer
}

func (o Options) wants(name string) bool {
	if len(o.Only) == 0 {
		return true
	}
	for _, n := range o.Only {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// Run measures the baselines and every scenario against a server it starts,
// in that order, and returns the report with its ratios set.
func Run(ctx context.Context, o Options) (Report, error) {
	say := func(format string, args ...any) { fmt.Fprintf(o.Progress, "bench: "+format+"\n", args...) }
	rep := Report{StartedAt: time.Now().UTC(), Scale: o.Scale, Duration: o.Duration.String(), Machine: machine(ctx, o.DatabaseURL)}
	add := func(res Result, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", res.Name, err)
		}
		rep.Results = append(rep.Results, res)
		say("%s: %s req/s, p99 %s, %d error(s)", res.Name, formatRate(res.Rate), formatLatency(res.P99), res.Errors)
		return nil
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return rep, err
	}
	say("reading the targets")
	t, err := o.Targets(ctx)
	if err != nil {
		return rep, err
	}
	conn, err := pgx.Connect(ctx, o.DatabaseURL)
	if err != nil {
		return rep, err
	}
	defer conn.Close(context.Background())
	prices, err := prepare(ctx, conn, &t)
	if err != nil {
		return rep, err
	}

	if o.wants(BaselineTPCB) || o.wants(BaselineSelect) {
		say("pgbench: preparing database %s", PgbenchDatabase)
		pgURL, err := preparePgbench(ctx, o.DatabaseURL)
		if err != nil {
			return rep, err
		}
		for _, selectOnly := range []bool{false, true} {
			name := map[bool]string{false: BaselineTPCB, true: BaselineSelect}[selectOnly]
			if !o.wants(name) {
				continue
			}
			say("%s for %s", name, o.Duration)
			res, err := runPgbench(ctx, pgURL, o.Dir, o.Duration, selectOnly)
			res.Name = name
			if err := add(res, err); err != nil {
				return rep, err
			}
		}
	}

	say("starting %s serve", o.Binary)
	srv, err := StartServer(ctx, ServerOptions{Binary: o.Binary, DatabaseURL: o.DatabaseURL, Env: o.Env, Dir: o.Dir, Pprof: o.Pprof})
	if err != nil {
		return rep, err
	}
	defer srv.Stop()
	runAttack := func(a attack) error {
		if !o.wants(a.Name) {
			return nil
		}
		// Interrupted (Ctrl-C): stop between scenarios; the deferred Stop ends the server.
		if err := ctx.Err(); err != nil {
			return err
		}
		say("%s for %s", a.Name, o.Duration)
		res, err := a.run(srv, o.Duration)
		res.Name = a.Name
		return add(res, err)
	}
	if err := runAttack(healthAttack(srv.URL)); err != nil {
		return rep, err
	}
	for _, a := range readAttacks(srv.URL, t) {
		if err := runAttack(a); err != nil {
			return rep, err
		}
	}

	c := client{base: srv.URL, http: &http.Client{Timeout: time.Minute}}
	var users []string
	if o.wants("bid surge") {
		users = append(users, t.SurgeBidders...)
	}
	if o.wants("service-record import") {
		for _, im := range t.Imports {
			users = append(users, im.Username)
		}
	}
	if o.wants("milestone approval") {
		for _, a := range t.Approvals {
			users = append(users, a.Username)
		}
	}
	started := time.Now()
	tokens, err := c.loginAll(ctx, t.Password, users)
	if err != nil {
		return rep, err
	}
	say("logged %d users in in %s", len(tokens), time.Since(started).Round(time.Millisecond))
	for _, a := range []attack{surgeAttack(srv.URL, t, tokens, prices), importAttack(srv.URL, t, tokens), ratingAttack(srv.URL, t), approvalAttack(srv.URL, t, tokens)} {
		if err := runAttack(a); err != nil {
			return rep, err
		}
	}

	if o.wants(ScenarioOpening) && t.OpeningTender != 0 {
		say("opening tender %d (%d bids)", t.OpeningTender, t.OpeningBids)
		if err := add(openTender(ctx, conn, o.DatabaseURL, srv, t, o.Duration*3)); err != nil {
			return rep, err
		}
	}
	rep.SetRatios()
	return rep, nil
}

// prepare makes the dataset ready for this run: the surge tenders close in an
// hour, "the final hour" (their close stays ahead whenever the run starts),
// and each import gets a file that fits its contract. It returns the surge
// tenders' ceilings.
func prepare(ctx context.Context, conn *pgx.Conn, t *Targets) (map[int64]int64, error) {
	// Never before the questions' close, which must come first.
	if _, err := conn.Exec(ctx, `UPDATE tenders SET closes_at = greatest(now() + interval '1 hour', questions_close_at),
		opens_at = greatest(now() + interval '1 hour', questions_close_at) + interval '1 hour'
		WHERE id = ANY($1) AND status = 'published'`, t.SurgeTenders); err != nil {
		return nil, fmt.Errorf("move the surge tenders' close: %w", err)
	}
	prices := map[int64]int64{}
	rows, err := conn.Query(ctx, `SELECT id, ceiling_fen FROM tenders WHERE id = ANY($1)`, t.SurgeTenders)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, ceiling int64
		if err := rows.Scan(&id, &ceiling); err != nil {
			return nil, err
		}
		// 90 % of the ceiling, less up to 1,000 yuan per bid (bidBody).
		prices[id] = ceiling * 9 / 10
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range t.Imports {
		im := &t.Imports[i]
		if im.CSV != nil {
			continue
		}
		var (
			community   int64
			serviceType string
			from, to    time.Time
		)
		err := conn.QueryRow(ctx, `SELECT cc.community_id, m.code, c.service_start::timestamptz, LEAST(c.service_end, current_date)::timestamptz
			FROM contracts c
			JOIN LATERAL (SELECT community_id FROM contract_communities WHERE contract_id = c.id ORDER BY community_id LIMIT 1) cc ON true
			JOIN LATERAL (SELECT code FROM contract_metrics WHERE contract_id = c.id AND source = 'service_records' ORDER BY code LIMIT 1) m ON true
			WHERE c.id = $1`, im.ContractID).Scan(&community, &serviceType, &from, &to)
		if err != nil {
			return nil, fmt.Errorf("contract %d to import into: %w", im.ContractID, err)
		}
		im.Rows = importRows
		im.CSV = csvFile(importRows, community, serviceType, from, to)
	}
	return prices, nil
}

// importRows is the size of each import file.
const importRows = 100

// openTender makes the tender's opening due now, enqueues its step as the
// publication would have, and times the server's workers until the tender
// is opened, reading the server's peak RSS meanwhile.
func openTender(ctx context.Context, conn *pgx.Conn, dbURL string, srv *Server, t Targets, limit time.Duration) (Result, error) {
	res := Result{Name: ScenarioOpening, Kind: KindJob, Route: "tender_advance job"}
	if err := ResetPeak(srv.PID()); err != nil {
		return res, err
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return res, err
	}
	defer pool.Close()
	// An insert-only River client: the server's workers take the job.
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		return res, err
	}
	var now time.Time
	if err := conn.QueryRow(ctx, `UPDATE tenders SET opens_at = now() WHERE id = $1 AND status = 'closed' RETURNING opens_at`, t.OpeningTender).Scan(&now); err != nil {
		return res, fmt.Errorf("make the opening due: %w", err)
	}
	started := time.Now()
	if _, err := rc.Insert(ctx, tender.AdvanceArgs{TenderID: t.OpeningTender, At: now}, nil); err != nil {
		return res, fmt.Errorf("enqueue the opening: %w", err)
	}
	deadline := started.Add(limit)
	for {
		var status string
		if err := conn.QueryRow(ctx, `SELECT status FROM tenders WHERE id = $1`, t.OpeningTender).Scan(&status); err != nil {
			return res, err
		}
		if status != "closed" {
			took := time.Since(started)
			res.Requests = 1
			res.P50, res.P95, res.P99 = Millis(took), Millis(took), Millis(took)
			res.Note = fmt.Sprintf("%d bids: %s in %.2f s", t.OpeningBids, status, took.Seconds())
			if status != "opened" {
				res.Errors = 1
			}
			break
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if time.Now().After(deadline) {
			res.Requests, res.Errors = 1, 1
			res.Note = fmt.Sprintf("not opened within %s", limit)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	peak, err := PeakRSS(srv.PID())
	res.PeakRSS = peak
	return res, err
}

// machine describes this machine and the database server.
func machine(ctx context.Context, dbURL string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(raw), "MemTotal: %d kB", &kb); err == nil {
			m.MemoryMB = kb >> 10
		}
	}
	if raw, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(raw))
	}
	if conn, err := pgx.Connect(ctx, dbURL); err == nil {
		var v string
		if conn.QueryRow(ctx, `SHOW server_version`).Scan(&v) == nil {
			m.PostgreSQL = "PostgreSQL " + strings.Fields(v)[0]
		}
		conn.Close(ctx)
	}
	return m
}

// DefaultDir is where results go, relative to the repository.
var DefaultDir = filepath.Join("bench", "results")
