package complaint_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/platform/jobs"
)

// TestDeadlineFlaggedByItsJob: an untriaged complaint is flagged overdue by
// River's job once the injected clock passes its first-response time; the
// sweep enqueues the job when none waits (a crash between the filing's
// commit and its enqueue loses nothing) and sweeping twice makes one job.
func TestDeadlineFlaggedByItsJob(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	_, id := w.file("") // no River yet: the filing's enqueue is lost

	var name string
	if err := w.e.DB.Raw(`SELECT current_database()`).Scan(&name).Error; err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(os.Getenv(dbtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	pool, err := jobs.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := jobs.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	workers := jobs.NewWorkers()
	w.svc.Register(workers, time.Minute)
	client, err := jobs.NewClient(pool, workers, nil, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.svc.UseRiver(client, slog.New(slog.DiscardHandler))
	jobCount := func() int64 {
		return count(t, w.e, `SELECT count(*) FROM river_job WHERE kind = ?`, complaint.DeadlineArgs{}.Kind())
	}
	if err := w.svc.Sweep(ctx); err != nil {
		t.Fatalf("Sweep() before the due time error = %v", err)
	}
	if n := jobCount(); n != 0 {
		t.Fatalf("%d deadline jobs before the due time, want none", n)
	}
	w.e.Clock.Advance(24*time.Hour + time.Minute)
	for range 2 {
		if err := w.svc.Sweep(ctx); err != nil {
			t.Fatalf("Sweep() error = %v", err)
		}
	}
	if n := jobCount(); n != 1 {
		t.Fatalf("%d deadline jobs after sweeping twice, want 1", n)
	}
	events, unsubscribe := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer unsubscribe()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
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
			t.Fatal("no deadline job finished")
		}
		var a complaint.DeadlineArgs
		if ev.Job.Kind != (complaint.DeadlineArgs{}).Kind() || json.Unmarshal(ev.Job.EncodedArgs, &a) != nil || a.ComplaintID != id {
			continue
		}
		if ev.Kind != river.EventKindJobCompleted {
			t.Fatalf("deadline job %s: %v", ev.Kind, ev.Job.Errors)
		}
		if a.Deadline != complaint.DeadlineFirstResponse {
			t.Fatalf("the job flagged deadline %q, want %q", a.Deadline, complaint.DeadlineFirstResponse)
		}
		break
	}
	if n := count(t, w.e, `SELECT count(*) FROM complaints WHERE id = ? AND first_response_overdue_at IS NOT NULL AND decision_overdue_at IS NULL`, id); n != 1 {
		t.Errorf("after the job the complaint is not flagged overdue on its first response alone")
	}
	if n := count(t, w.e, `SELECT count(*) FROM notifications WHERE kind = ? AND complaint_id = ?`, complaint.KindFirstResponseOverdue, id); n != 1 {
		t.Errorf("%d overdue notifications, want 1", n)
	}
}
