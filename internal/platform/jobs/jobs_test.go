package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/platform/jobs"
)

// newPool returns a pool on a fresh migrated test database, closed when the test ends.
func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	_, url := dbtest.NewWithURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := jobs.Open(ctx, url)
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	t.Cleanup(pool.Close) // registered after the database's, so it runs before the drop
	return pool
}

func migrated(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := newPool(t)
	if err := jobs.Migrate(context.Background(), pool); err != nil {
		t.Fatalf("Migrate() error = %v", err)
	}
	return pool
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)

	applied, latest, err := jobs.Version(ctx, pool)
	if err != nil {
		t.Fatalf("Version() before migrating: error = %v", err)
	}
	if applied != 0 || latest < 1 {
		t.Fatalf("Version() before migrating = %d, %d, want 0 and a positive latest", applied, latest)
	}

	// Replicas starting together: each migration is applied once, none fails.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = jobs.Migrate(ctx, pool)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent Migrate() #%d error = %v", i, err)
		}
	}
	if err := jobs.Migrate(ctx, pool); err != nil {
		t.Errorf("Migrate() on a migrated database: error = %v", err)
	}
	applied, latest2, err := jobs.Version(ctx, pool)
	if err != nil || applied != latest || latest2 != latest {
		t.Errorf("Version() after migrating = %d, %d, %v, want %d, %d, nil", applied, latest2, err, latest, latest)
	}
	var rows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_migration`).Scan(&rows); err != nil || rows != latest {
		t.Errorf("river_migration rows = %d, %v, want %d", rows, err, latest)
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := migrated(t)

	// An API-only replica inserts without working.
	api, err := jobs.Start(ctx, pool, nil, nil, false, nil)
	if err != nil {
		t.Fatalf("Start(run=false) error = %v", err)
	}
	if api.Working() {
		t.Errorf("Working() of an insert-only runner = true, want false")
	}
	res, err := api.Client().Insert(ctx, jobs.PingArgs{}, nil)
	if err != nil {
		t.Fatalf("Insert(PingArgs) error = %v", err)
	}
	if err := api.Stop(time.Second); err != nil {
		t.Errorf("Stop() of an insert-only runner: error = %v", err)
	}
	if got := jobState(t, pool, res.Job.ID); got != rivertype.JobStateAvailable {
		t.Fatalf("ping job inserted by an insert-only runner: state %q, want %q", got, rivertype.JobStateAvailable)
	}

	// An unknown kind is refused at insert, not discovered by a worker.
	if _, err := api.Client().Insert(ctx, unknownArgs{}, nil); err == nil {
		t.Errorf("Insert(unknown kind) error = nil, want a refusal")
	}

	// A working replica picks the job up.
	w, err := jobs.NewClient(pool, nil, nil, true, nil)
	if err != nil {
		t.Fatalf("NewClient(run=true) error = %v", err)
	}
	done, cancelSub := w.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancelSub()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := w.Start(sctx); err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	defer w.Stop(context.Background())
	select {
	case ev := <-done:
		if ev.Kind != river.EventKindJobCompleted || ev.Job.ID != res.Job.ID {
			t.Errorf("event = %s for job %d, want %s for job %d", ev.Kind, ev.Job.ID, river.EventKindJobCompleted, res.Job.ID)
		}
	case <-sctx.Done():
		t.Fatalf("ping job %d not completed within 30 s (state %q)", res.Job.ID, jobState(t, pool, res.Job.ID))
	}
}

func TestStopCancelsAfterGrace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := migrated(t)

	workers := jobs.NewWorkers()
	started := make(chan struct{})
	river.AddWorker(workers, &blockWorker{started: started})
	r, err := jobs.Start(ctx, pool, workers, nil, true, nil)
	if err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	if !r.Working() {
		t.Fatalf("Working() = false, want true")
	}
	if _, err := r.Client().Insert(ctx, blockArgs{}, nil); err != nil {
		t.Fatalf("Insert(blockArgs) error = %v", err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatalf("blocking job not started within 30 s")
	}
	// The job only returns once its context is cancelled: Stop must get there.
	if err := r.Stop(200 * time.Millisecond); err != nil {
		t.Errorf("Stop() error = %v, want nil after cancelling the running job", err)
	}
}

func jobState(t *testing.T, pool *pgxpool.Pool, id int64) rivertype.JobState {
	t.Helper()
	var state string
	if err := pool.QueryRow(context.Background(), `SELECT state FROM river_job WHERE id = $1`, id).Scan(&state); err != nil {
		t.Fatalf("job %d state: %v", id, err)
	}
	return rivertype.JobState(state)
}

type unknownArgs struct{}

func (unknownArgs) Kind() string { return "unknown" }

type blockArgs struct{}

func (blockArgs) Kind() string { return "block" }

type blockWorker struct {
	river.WorkerDefaults[blockArgs]
	started chan struct{}
}

func (w *blockWorker) Work(ctx context.Context, _ *river.Job[blockArgs]) error {
	close(w.started)
	<-ctx.Done()
	return errors.Join(ctx.Err(), river.JobCancel(ctx.Err()))
}
