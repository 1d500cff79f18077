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
	"github.com/jiedao-market/jiedao/internal/platform/jobs/jobstest"
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
	client := jobstest.Client(t, ctx, u.String(), func(workers *river.Workers) { w.svc.Register(workers, time.Minute) })
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
	var flagged complaint.DeadlineArgs
	jobstest.RunUntil(t, ctx, client, complaint.DeadlineArgs{}.Kind(), func(args []byte) bool {
		return json.Unmarshal(args, &flagged) == nil && flagged.ComplaintID == id
	})
	if flagged.Deadline != complaint.DeadlineFirstResponse {
		t.Fatalf("the job flagged deadline %q, want %q", flagged.Deadline, complaint.DeadlineFirstResponse)
	}
	if n := count(t, w.e, `SELECT count(*) FROM complaints WHERE id = ? AND first_response_overdue_at IS NOT NULL AND decision_overdue_at IS NULL`, id); n != 1 {
		t.Errorf("after the job the complaint is not flagged overdue on its first response alone")
	}
	if n := count(t, w.e, `SELECT count(*) FROM notifications WHERE kind = ? AND complaint_id = ?`, complaint.KindFirstResponseOverdue, id); n != 1 {
		t.Errorf("%d overdue notifications, want 1", n)
	}
}
