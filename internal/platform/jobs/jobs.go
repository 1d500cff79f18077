// Package jobs holds the River client and its wiring: the pgx pool River runs
// on, River's own schema migrations, and the client that inserts jobs and, in
// replicas started with workers, works them.
//
// Two rules hold for every job in JieDao:
//
//   - A job is inserted after the GORM transaction that makes it necessary has
//     committed, through Runner.Client().Insert on River's own pgx pool. Our
//     transactions are database/sql transactions opened by GORM; the client
//     here uses River's pgx driver, whose InsertTx takes a pgx.Tx and so cannot
//     join them. A process can therefore stop between the commit and the
//     insert: the committed row (a payout "queued", say) is the truth, and
//     the package that owns it must re-insert the job for rows left without
//     one (a periodic job that sweeps them does).
//   - Every job is idempotent. River retries a job that errors, and a job can
//     run again after a crash or a rescue of a stuck job, so a worker checks
//     the state it is about to change (an UPDATE … WHERE status = ? with its
//     row count checked) and passes a stable idempotency key to any outside
//     service (Stripe). Unique insert options (river.InsertOpts.UniqueOpts)
//     keep duplicate inserts down but are not a substitute.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// MaxWorkers is how many jobs of the default queue one replica works at once.
const MaxWorkers = 10

// migrationLockID is the advisory lock held while River's schema is migrated,
// so that replicas starting together apply each migration once.
const migrationLockID = 0x6a6965646131

// Open connects a pgx pool to url, for River, and checks the connection.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open job pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database for jobs: %w", err)
	}
	return pool, nil
}

// Migrate applies River's pending schema migrations, up to the latest River
// version linked into the binary. Run it after our own migrations.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	defer conn.Release()
	// River's migrator takes no lock of its own; a session lock on a held
	// connection serializes replicas while the migrator uses other connections.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLockID)); err != nil {
		return fmt.Errorf("migrate river: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLockID))
	m, err := migrator(pool)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	return nil
}

// Version returns the River schema version applied to the database (0 for
// none) and the latest one this binary knows.
func Version(ctx context.Context, pool *pgxpool.Pool) (applied, latest int, err error) {
	m, err := migrator(pool)
	if err != nil {
		return 0, 0, err
	}
	for _, v := range m.AllVersions() {
		latest = max(latest, v.Version)
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		return 0, latest, fmt.Errorf("river schema version: %w", err)
	}
	for _, v := range existing {
		applied = max(applied, v.Version)
	}
	return applied, latest, nil
}

func migrator(pool *pgxpool.Pool) (*rivermigrate.Migrator[pgx.Tx], error) {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: discard()})
	if err != nil {
		return nil, fmt.Errorf("river migrator: %w", err)
	}
	return m, nil
}

// NewWorkers returns a worker bundle holding PingWorker. River refuses to start
// working with an empty bundle, and the ping job doubles as a health check.
// Packages with background work add their workers to it with river.AddWorker.
func NewWorkers() *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, PingWorker{})
	return w
}

// NewClient returns a River client on pool. With run it has the default queue
// and the periodic jobs, ready to Start; without, it only inserts, so that
// API-only replicas can enqueue work that other replicas do. workers nil means
// NewWorkers(); inserting a kind that workers lacks is refused either way.
func NewClient(pool *pgxpool.Pool, workers *river.Workers, periodic []*river.PeriodicJob, run bool, log *slog.Logger) (*river.Client[pgx.Tx], error) {
	if workers == nil {
		workers = NewWorkers()
	}
	if log == nil {
		log = discard()
	}
	cfg := &river.Config{Logger: log, Workers: workers}
	if run {
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: MaxWorkers}}
		cfg.PeriodicJobs = periodic
	}
	c, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return c, nil
}

// Runner is this process's River client, working jobs or not.
type Runner struct {
	client  *river.Client[pgx.Tx]
	working bool
}

// Start creates the River client (see NewClient) and, with run, starts working
// jobs. Cancelling ctx does not stop the work: call Stop, which lets running
// jobs finish first.
func Start(ctx context.Context, pool *pgxpool.Pool, workers *river.Workers, periodic []*river.PeriodicJob, run bool, log *slog.Logger) (*Runner, error) {
	return StartWith(ctx, pool, workers, periodic, run, log, nil)
}

// StartWith is Start that hands the client to use before any job runs, so
// that workers which insert jobs (a sweep run at start) already can.
func StartWith(ctx context.Context, pool *pgxpool.Pool, workers *river.Workers, periodic []*river.PeriodicJob, run bool, log *slog.Logger,
	use func(*river.Client[pgx.Tx])) (*Runner, error) {
	c, err := NewClient(pool, workers, periodic, run, log)
	if err != nil {
		return nil, err
	}
	if use != nil {
		use(c)
	}
	r := &Runner{client: c, working: run}
	if run {
		// River hard-stops when its start context ends; shutdown is Stop's job.
		if err := c.Start(context.WithoutCancel(ctx)); err != nil {
			return nil, fmt.Errorf("start river: %w", err)
		}
	}
	return r, nil
}

// Client returns the River client, for inserting jobs once a transaction has
// committed.
func (r *Runner) Client() *river.Client[pgx.Tx] { return r.client }

// Working reports whether this runner works jobs.
func (r *Runner) Working() bool { return r.working }

// Stop stops working: it stops fetching jobs and waits up to grace for the
// running ones, then cancels their contexts and waits up to grace again for
// them to return. It returns the context error when jobs outlast both.
// A runner that does not work jobs has nothing to stop.
func (r *Runner) Stop(grace time.Duration) error {
	if !r.working {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := r.client.Stop(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	hctx, hcancel := context.WithTimeout(context.Background(), grace)
	defer hcancel()
	if err := r.client.StopAndCancel(hctx); err != nil {
		return fmt.Errorf("stop river: jobs still running after cancellation: %w", err)
	}
	return nil
}

// PingArgs is the no-op job: working it proves that jobs are inserted,
// fetched and worked.
type PingArgs struct{}

// Kind names the ping job.
func (PingArgs) Kind() string { return "ping" }

// PingWorker works PingArgs by doing nothing.
type PingWorker struct {
	river.WorkerDefaults[PingArgs]
}

// Work completes the ping job.
func (PingWorker) Work(context.Context, *river.Job[PingArgs]) error { return nil }

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
