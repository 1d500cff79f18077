package audit

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// HeadArgs is the daily job that publishes the chain's head.
type HeadArgs struct{}

// Kind names the head job.
func (HeadArgs) Kind() string { return "audit_head_publish" }

// headWorker publishes the day's head when its hour has come (PublishDue):
// run twice, late or at start, it publishes at most once a day.
type headWorker struct {
	river.WorkerDefaults[HeadArgs]
	db    *gorm.DB
	clock clock.Clock
	hour  int
}

func (w *headWorker) Work(ctx context.Context, _ *river.Job[HeadArgs]) error {
	_, err := PublishDue(ctx, w.db, w.clock.Now(), w.hour)
	return err
}

// RegisterHeads adds the head job's worker to workers: it publishes on db
// at hour (0-23, China time) by clk.
func RegisterHeads(workers *river.Workers, db *gorm.DB, clk clock.Clock, hour int) {
	river.AddWorker(workers, &headWorker{db: db, clock: clk, hour: hour})
}

// HeadPeriodicJobs returns the head job, run at start (catching up a day whose
// head is missing) and daily at hour, China time.
func HeadPeriodicJobs(hour int) []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(dailyAt(hour),
		func() (river.JobArgs, *river.InsertOpts) { return HeadArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
}

// dailyAt is the schedule of a job run each day at an hour, China time.
type dailyAt int

// Next returns the first time after t at the hour, China time.
func (h dailyAt) Next(t time.Time) time.Time {
	c := t.In(civil.China)
	next := time.Date(c.Year(), c.Month(), c.Day(), int(h), 0, 0, 0, civil.China)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}
