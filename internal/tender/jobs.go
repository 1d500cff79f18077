package tender

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// AdvanceArgs is the job that takes a tender's time-driven step due at At.
type AdvanceArgs struct {
	TenderID int64     `json:"tender_id"`
	At       time.Time `json:"at"`
	// Swept marks a job the sweep inserted for a step already due, so that it
	// never collides with the job scheduled at publication for the same step.
	Swept bool `json:"swept,omitempty"`
}

// Kind names the advance job.
func (AdvanceArgs) Kind() string { return "tender_advance" }

// InsertOpts makes the job unique per tender and time while it waits or runs.
// A completed job does not block a new one: the sweep may schedule the same
// step again when an early run found it not yet due.
func (AdvanceArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

type advanceWorker struct {
	river.WorkerDefaults[AdvanceArgs]
	svc       *Service
	maxSnooze time.Duration
}

func (w *advanceWorker) Work(ctx context.Context, job *river.Job[AdvanceArgs]) error {
	next, err := w.svc.Advance(ctx, job.Args.TenderID)
	if err != nil {
		return err
	}
	// Run a little early (clocks differ between hosts): wait for the step
	// rather than leave it to the next sweep.
	if next != nil && !next.After(job.Args.At) {
		if wait := next.Sub(w.svc.clock.Now()); wait > 0 && wait <= w.maxSnooze {
			return river.JobSnooze(wait)
		}
	}
	return nil
}

// SweepArgs is the periodic job that schedules every due step lacking a job.
type SweepArgs struct{}

// Kind names the sweep job.
func (SweepArgs) Kind() string { return "tender_sweep" }

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	svc *Service
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	return w.svc.Sweep(ctx)
}

// Register adds the advance and sweep workers to workers.
func (s *Service) Register(workers *river.Workers, sweepInterval time.Duration) {
	river.AddWorker(workers, &advanceWorker{svc: s, maxSnooze: sweepInterval})
	river.AddWorker(workers, &sweepWorker{svc: s})
}

// PeriodicJobs returns the sweep, run at start and every interval.
func PeriodicJobs(interval time.Duration) []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
}

// UseRiver makes the service schedule its steps with client, after commit.
func (s *Service) UseRiver(client *river.Client[pgx.Tx], log *slog.Logger) {
	s.log = log
	s.enqueue = func(ctx context.Context, id int64, at time.Time, swept bool) error {
		opts := &river.InsertOpts{ScheduledAt: at}
		if swept {
			opts = nil // due now
		}
		_, err := client.Insert(ctx, AdvanceArgs{TenderID: id, At: at.UTC(), Swept: swept}, opts)
		return err
	}
}

// schedule enqueues the tender's steps at their times, after the commit that
// made them. A failure is logged and left to the sweep: the tender's row is the
// truth.
func (s *Service) schedule(ctx context.Context, id int64, times ...time.Time) {
	if s.enqueue == nil {
		return
	}
	for _, at := range times {
		if err := s.enqueue(ctx, id, at, false); err != nil && s.log != nil {
			s.log.Error("schedule tender step", "tender_id", id, "at", at, "error", err)
		}
	}
}

// Sweep schedules every due step of every tender; a step with a job waiting
// is left alone by the job's uniqueness.
func (s *Service) Sweep(ctx context.Context) error {
	if s.enqueue == nil {
		return errors.New("tender: sweep before UseRiver")
	}
	due, err := s.Due(ctx)
	if err != nil {
		return err
	}
	for id, at := range due {
		if err := s.enqueue(ctx, id, at, true); err != nil {
			return err
		}
	}
	return nil
}
