package tender_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/platform/db"
	"github.com/jiedao-market/jiedao/internal/platform/jobs"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// replica is one process of the job runner: its own database pools, its own
// tender.Service and River client, sharing the database, the clock and the
// seal key with the others.
type replica struct {
	svc    *tender.Service
	client *river.Client[pgx.Tx]
	events <-chan *river.Event
}

// startReplica starts a replica working jobs; it stops when the test ends,
// before its pools close and the database is dropped.
func (w *world) startReplica(ctx context.Context) replica {
	w.t.Helper()
	gdb, err := db.Open(ctx, w.url, db.Options{MaxOpenConns: 10, MaxIdleConns: 5})
	if err != nil {
		w.t.Fatalf("db.Open() error = %v", err)
	}
	w.t.Cleanup(func() { _ = db.Close(gdb) })
	gdb = gdb.Session(&gorm.Session{NowFunc: func() time.Time { return w.clock.Now().UTC().Truncate(time.Microsecond) }})
	sealer, err := tender.NewSealer(w.sealKey)
	if err != nil {
		w.t.Fatal(err)
	}
	svc := tender.NewService(gdb, w.clock, sealer, tender.Options{AmendmentMinDays: 3, ChallengeDays: 5})
	pool, err := jobs.Open(ctx, w.url)
	if err != nil {
		w.t.Fatalf("jobs.Open() error = %v", err)
	}
	w.t.Cleanup(pool.Close)
	if err := jobs.Migrate(ctx, pool); err != nil {
		w.t.Fatalf("jobs.Migrate() error = %v", err)
	}
	workers := jobs.NewWorkers()
	svc.Register(workers, time.Minute)
	client, err := jobs.NewClient(pool, workers, nil, true, nil)
	if err != nil {
		w.t.Fatalf("jobs.NewClient() error = %v", err)
	}
	svc.UseRiver(client, slog.New(slog.DiscardHandler))
	events, unsubscribe := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobSnoozed)
	if err := client.Start(context.Background()); err != nil {
		w.t.Fatalf("Start() error = %v", err)
	}
	w.t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := client.Stop(stop); err != nil {
			w.t.Errorf("Stop() error = %v", err)
		}
		unsubscribe()
	})
	return replica{svc: svc, client: client, events: events}
}

// TestOpeningOnceWithThreeReplicas: three job runners on one database, each
// sweeping and inserting the tender's advance jobs at once, open the bids
// exactly once.
func TestOpeningOnceWithThreeReplicas(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	v := w.published(w.input(3))
	for i, p := range []money.Fen{48_000_000, 45_000_000, 30_000_000, 47_000_000} {
		w.bid(w.orgs[i], v.ID, p)
	}
	replicas := make([]replica, 3)
	for i := range replicas {
		replicas[i] = w.startReplica(ctx)
	}
	w.clock.Set(v.OpensAt.Add(time.Minute))

	var wg sync.WaitGroup
	errs := make(chan error, 3*4)
	for i, r := range replicas {
		wg.Go(func() {
			errs <- r.svc.Sweep(ctx)
			_, err := r.client.Insert(ctx, tender.AdvanceArgs{TenderID: v.ID, At: v.OpensAt.UTC()}, nil)
			errs <- err
			_, err = r.client.Insert(ctx, tender.AdvanceArgs{TenderID: v.ID, At: v.OpensAt.UTC().Add(time.Duration(i+1) * time.Second)}, nil)
			errs <- err
			errs <- r.svc.Sweep(ctx)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Sweep() or Insert(AdvanceArgs) error = %v", err)
		}
	}

	// Wait, on River's events, until every advance job of the tender has
	// completed; a failure or a snooze fails the test.
	pending := func() (waiting, all int64) {
		t.Helper()
		var row struct{ Waiting, All int64 }
		if err := w.db.Raw(`SELECT count(*) FILTER (WHERE state <> 'completed') AS waiting, count(*) AS all FROM river_job
			WHERE kind = ? AND (args->>'tender_id')::bigint = ?`, tender.AdvanceArgs{}.Kind(), v.ID).Scan(&row).Error; err != nil {
			t.Fatal(err)
		}
		return row.Waiting, row.All
	}
	ours := func(ev *river.Event) bool {
		var a tender.AdvanceArgs
		return ev.Job.Kind == tender.AdvanceArgs{}.Kind() && json.Unmarshal(ev.Job.EncodedArgs, &a) == nil && a.TenderID == v.ID
	}
	for {
		waiting, all := pending()
		if waiting == 0 {
			if all < 4 {
				t.Fatalf("advance jobs = %d, want at least 4 (a swept one and three inserted ones)", all)
			}
			t.Logf("%d advance jobs completed", all)
			break
		}
		var ev *river.Event
		select {
		case ev = <-replicas[0].events:
		case ev = <-replicas[1].events:
		case ev = <-replicas[2].events:
		case <-ctx.Done():
			t.Fatalf("advance jobs still waiting: %d of %d after the timeout", waiting, all)
		}
		if ours(ev) && ev.Kind != river.EventKindJobCompleted {
			t.Fatalf("advance job %d: %s (attempt %d): %+v", ev.Job.ID, ev.Kind, ev.Job.Attempt, ev.Job.Errors)
		}
	}

	if got := w.get(v.ID); got.Status != tender.StatusOpened {
		t.Fatalf("status = %s (%s), want opened", got.Status, got.StatusReason)
	}
	for _, tt := range []struct {
		what  string
		query string
		args  []any
		want  int64
	}{
		{"tender.open audit entries", `SELECT count(*) FROM audit_entries WHERE entity_type = 'tender' AND entity_id = ? AND action = 'tender.open'`, []any{fmt.Sprint(v.ID)}, 1},
		{"tender.close audit entries", `SELECT count(*) FROM audit_entries WHERE entity_type = 'tender' AND entity_id = ? AND action = 'tender.close'`, []any{fmt.Sprint(v.ID)}, 1},
		{"bids opened", `SELECT count(*) FROM bids WHERE tender_id = ? AND opened_at IS NOT NULL`, []any{v.ID}, 4},
		{"distinct opening times", `SELECT count(DISTINCT opened_at) FROM bids WHERE tender_id = ?`, []any{v.ID}, 1},
		{"opening notifications", `SELECT count(*) FROM notifications WHERE tender_id = ? AND kind = ?`, []any{v.ID, tender.KindOpeningDone}, 4},
		{"organizations told twice", `SELECT count(*) FROM (SELECT organization_id FROM notifications WHERE tender_id = ? AND kind = ?
			GROUP BY organization_id HAVING count(*) > 1) d`, []any{v.ID, tender.KindOpeningDone}, 0},
		{"committee notifications", `SELECT count(*) FROM notifications WHERE tender_id = ? AND kind = ?`, []any{v.ID, tender.KindCommitteeToScore}, 3},
		{"failed advance jobs", `SELECT count(*) FROM river_job WHERE kind = 'tender_advance' AND (args->>'tender_id')::bigint = ? AND
			(attempt > 1 OR coalesce(array_length(errors, 1), 0) > 0)`, []any{v.ID}, 0},
	} {
		if got := w.count(tt.query, tt.args...); got != tt.want {
			t.Errorf("%s = %d, want %d", tt.what, got, tt.want)
		}
	}
}
