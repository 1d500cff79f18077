package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Time-driven steps. A record's own table holds when its next step is due (a
// tender's close, a contract's start); one job per step runs it at that time,
// unique while it waits, and a periodic sweep enqueues every due step whose
// job was lost (a crash between the commit and the insert). The step itself
// checks the record's state under its row lock, so a step run twice, early
// or late happens once.

// UniqueWhileWaiting are the insert options of a step job: unique by its
// arguments while it waits or runs. A completed job does not block a new
// one: the sweep may enqueue a step again that an early run found not yet due.
func UniqueWhileWaiting() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

// Enqueue schedules the step of record id due at at; swept marks a step the
// sweep found already due, to run now.
type Enqueue func(ctx context.Context, id int64, at time.Time, swept bool) error

// StepEnqueuer returns the Enqueue that inserts the job args makes with
// client: scheduled at its time, or due now when swept. args must put swept
// into the job's arguments, so that a swept job never collides with the one
// scheduled for the same step.
func StepEnqueuer[T river.JobArgs](client *river.Client[pgx.Tx], args func(id int64, at time.Time, swept bool) T) Enqueue {
	return func(ctx context.Context, id int64, at time.Time, swept bool) error {
		opts := &river.InsertOpts{ScheduledAt: at}
		if swept {
			opts = nil // due now
		}
		_, err := client.Insert(ctx, args(id, at.UTC(), swept), opts)
		return err
	}
}

// SweepDue enqueues every due step, as swept; a step whose job still waits is
// left alone by the job's uniqueness.
func SweepDue(ctx context.Context, enqueue Enqueue, due map[int64]time.Time) error {
	for id, at := range due {
		if err := enqueue(ctx, id, at, true); err != nil {
			return err
		}
	}
	return nil
}

// StepWorker works a step job: Step takes the step and returns, when it was
// not yet due, when it will be. A step due within MaxSnooze is waited for
// (clocks differ between hosts: a job may run a little early) rather than
// left to the next sweep.
type StepWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	Step      func(ctx context.Context, args T) (due *time.Time, err error)
	Now       func() time.Time
	MaxSnooze time.Duration
}

// Work takes the step and snoozes until it is due if it was run early.
func (w *StepWorker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	due, err := w.Step(ctx, job.Args)
	if err != nil {
		return err
	}
	if due != nil {
		if wait := due.Sub(w.Now()); wait > 0 && wait <= w.MaxSnooze {
			return river.JobSnooze(wait)
		}
	}
	return nil
}

// SweepWorker works a periodic sweep job.
type SweepWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	Sweep func(ctx context.Context) error
}

// Work sweeps.
func (w *SweepWorker[T]) Work(ctx context.Context, _ *river.Job[T]) error { return w.Sweep(ctx) }

// PeriodicSweep returns the periodic job that inserts args at start and every
// interval.
func PeriodicSweep(interval time.Duration, args river.JobArgs) []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return args, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
}
