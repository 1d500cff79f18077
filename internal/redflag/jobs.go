package redflag

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/jiedao-market/jiedao/internal/civil"
)

// ComputeArgs is the nightly job that computes the red flags.
type ComputeArgs struct{}

// Kind names the nightly job.
func (ComputeArgs) Kind() string { return "red_flag_compute" }

// InsertOpts makes the job unique while it waits or runs: two replicas, or a
// late leader election, never queue the night's run twice.
func (ComputeArgs) InsertOpts() river.InsertOpts { return uniqueWhileWaiting() }

// CatchUpArgs is the periodic job, run at start and every check interval,
// that computes the red flags at once when the last run is a day old or
// more: the nightly run's durable intent survives a night without a worker.
type CatchUpArgs struct{}

// Kind names the catch-up job.
func (CatchUpArgs) Kind() string { return "red_flag_catch_up" }

// InsertOpts makes the job unique while it waits or runs.
func (CatchUpArgs) InsertOpts() river.InsertOpts { return uniqueWhileWaiting() }

func uniqueWhileWaiting() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

type computeWorker struct {
	river.WorkerDefaults[ComputeArgs]
	s *Service
}

func (w *computeWorker) Work(ctx context.Context, _ *river.Job[ComputeArgs]) error {
	_, err := w.s.Compute(ctx, TriggerNightly)
	return err
}

type catchUpWorker struct {
	river.WorkerDefaults[CatchUpArgs]
	s *Service
}

func (w *catchUpWorker) Work(ctx context.Context, _ *river.Job[CatchUpArgs]) error {
	_, err := w.s.CatchUp(ctx)
	return err
}

// Register adds the nightly and catch-up workers to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &computeWorker{s: s})
	river.AddWorker(workers, &catchUpWorker{s: s})
}

// Nightly is the schedule of the nightly run: every day at Hour:00, China
// time (UTC+8).
type Nightly struct{ Hour int }

// Next returns the first run strictly after t.
func (n Nightly) Next(t time.Time) time.Time {
	c := t.In(civil.China)
	next := time.Date(c.Year(), c.Month(), c.Day(), n.Hour, 0, 0, 0, civil.China)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next.UTC()
}

// PeriodicJobs returns the nightly run at the configured hour and the
// catch-up check, run at start and every check interval.
func (s *Service) PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(Nightly{Hour: s.cfg.Hour},
			func() (river.JobArgs, *river.InsertOpts) { return ComputeArgs{}, nil }, nil),
		river.NewPeriodicJob(river.PeriodicInterval(s.cfg.CheckInterval),
			func() (river.JobArgs, *river.InsertOpts) { return CatchUpArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
	}
}
