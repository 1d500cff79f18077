// Package jobstest runs River in tests: a client on a test's database with
// the workers a service registers, and a wait for one job to finish.
package jobstest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/jiedao-market/jiedao/internal/platform/jobs"
)

// Client returns a River client that works jobs on the database at url with
// the workers register adds, River's schema migrated; it is not started.
// Its pool closes when the test ends.
func Client(t testing.TB, ctx context.Context, url string, register func(*river.Workers)) *river.Client[pgx.Tx] {
	t.Helper()
	pool, err := jobs.Open(ctx, url)
	if err != nil {
		t.Fatalf("jobs.Open() error = %v", err)
	}
	t.Cleanup(pool.Close)
	if err := jobs.Migrate(ctx, pool); err != nil {
		t.Fatalf("jobs.Migrate() error = %v", err)
	}
	workers := jobs.NewWorkers()
	register(workers)
	client, err := jobs.NewClient(pool, workers, nil, true, nil)
	if err != nil {
		t.Fatalf("jobs.NewClient() error = %v", err)
	}
	return client
}

// RunUntil starts client (stopped when the test ends) and waits, until ctx
// is done, for a job of kind whose encoded arguments match to finish; the
// test fails unless it completed.
func RunUntil(t testing.TB, ctx context.Context, client *river.Client[pgx.Tx], kind string, match func(args []byte) bool) {
	t.Helper()
	events, unsubscribe := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer unsubscribe()
	if err := client.Start(ctx); err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := client.Stop(stop); err != nil {
			t.Errorf("Stop() error = %v", err)
		}
	})
	for {
		var ev *river.Event
		select {
		case ev = <-events:
		case <-ctx.Done():
			t.Fatalf("no %s job finished", kind)
		}
		if ev.Job.Kind != kind || !match(ev.Job.EncodedArgs) {
			continue
		}
		if ev.Kind != river.EventKindJobCompleted {
			t.Fatalf("%s job %s: %v", kind, ev.Kind, ev.Job.Errors)
		}
		return
	}
}
