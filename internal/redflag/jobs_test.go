package redflag_test

import (
	"context"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/platform/jobs"
	"github.com/jiedao-market/jiedao/internal/platform/jobs/jobstest"
	"github.com/jiedao-market/jiedao/internal/redflag"
)

func (w *world) databaseURL() string {
	w.t.Helper()
	var name string
	if err := w.e.DB.Raw(`SELECT current_database()`).Scan(&name).Error; err != nil {
		w.t.Fatal(err)
	}
	u, err := url.Parse(os.Getenv(dbtest.EnvURL))
	if err != nil {
		w.t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func (w *world) runs(trigger string) int64 {
	w.t.Helper()
	var n int64
	if err := w.e.DB.Table("red_flag_runs").Where("trigger = ?", trigger).Count(&n).Error; err != nil {
		w.t.Fatal(err)
	}
	return n
}

// TestNightlyJob: River works the nightly job, which computes the flags.
func TestNightlyJob(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	w.tender(tenderRow{status: "published", published: w.days(-1), closes: w.days(4), short: true, justification: "应急"})
	client := jobstest.Client(t, ctx, w.databaseURL(), w.svc.Register)
	for range 2 {
		if _, err := client.Insert(ctx, redflag.ComputeArgs{}, nil); err != nil {
			t.Fatalf("Insert() error = %v", err)
		}
	}
	var jobs int64
	if err := w.e.DB.Table("river_job").Where("kind = ?", redflag.ComputeArgs{}.Kind()).Count(&jobs).Error; err != nil || jobs != 1 {
		t.Fatalf("%d nightly jobs after inserting twice (%v), want 1: the job is unique while it waits", jobs, err)
	}
	jobstest.RunUntil(t, ctx, client, redflag.ComputeArgs{}.Kind(), func([]byte) bool { return true })
	if n := w.runs(redflag.TriggerNightly); n != 1 {
		t.Fatalf("nightly runs = %d, want 1", n)
	}
	page, err := w.svc.List(ctx, redflag.Filter{})
	if err != nil || page.Total != 1 || page.Items[0].Kind != redflag.ShortWindow || page.LastRun == nil {
		t.Fatalf("List() = %+v, %v; want the short window and the run", page, err)
	}
}

// TestCatchUpAtStart: a replica starting with no run, or a run a day old,
// computes at once through the periodic catch-up job; a recent run is left.
func TestCatchUpAtStart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	pool, err := jobs.Open(ctx, w.databaseURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := jobs.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	workers := jobs.NewWorkers()
	w.svc.Register(workers)
	client, err := jobs.NewClient(pool, workers, w.svc.PeriodicJobs(), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	jobstest.RunUntil(t, ctx, client, redflag.CatchUpArgs{}.Kind(), func([]byte) bool { return true })
	if n := w.runs(redflag.TriggerCatchUp); n != 1 {
		t.Fatalf("catch-up runs at start without a run = %d, want 1", n)
	}
}

func TestCatchUp(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.svc.Compute(ctx, redflag.TriggerNightly); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		advance time.Duration
		ran     bool
	}{
		{23*time.Hour + 59*time.Minute, false},
		{time.Minute, true}, // a day since the nightly run
		{time.Hour, false},  // an hour since the catch-up
	} {
		w.e.Clock.Advance(tc.advance)
		ran, err := w.svc.CatchUp(ctx)
		if err != nil || ran != tc.ran {
			t.Fatalf("CatchUp() after %v = %v, %v; want %v", tc.advance, ran, err, tc.ran)
		}
	}
	if n := w.runs(redflag.TriggerCatchUp); n != 1 {
		t.Errorf("catch-up runs = %d, want 1", n)
	}
}

func TestNightlySchedule(t *testing.T) {
	t.Parallel()
	n := redflag.Nightly{Hour: 2}
	for _, tc := range []struct{ at, want string }{
		{"2026-12-04T17:59:00Z", "2026-12-04T18:00:00Z"}, // 01:59 in China: the same night
		{"2026-12-04T18:00:00Z", "2026-12-05T18:00:00Z"}, // 02:00: the next night
		{"2026-12-04T20:00:00Z", "2026-12-05T18:00:00Z"},
		{"2026-12-31T17:00:00Z", "2026-12-31T18:00:00Z"}, // 01:00 on 1 January in China
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := n.Next(at).Format(time.RFC3339); got != tc.want {
			t.Errorf("Nightly{2}.Next(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
}
