package payout

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// PayoutArgs is the job that carries out one Stripe payout.
type PayoutArgs struct {
	PayoutID int64 `json:"payout_id"`
}

// Kind names the payout job.
func (PayoutArgs) Kind() string { return "payout" }

// InsertOpts makes the job unique per payout: inserting it again while one is
// waiting, running or done adds nothing.
func (PayoutArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 20, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type payoutWorker struct {
	river.WorkerDefaults[PayoutArgs]
	svc *Service
}

func (w *payoutWorker) Work(ctx context.Context, job *river.Job[PayoutArgs]) error {
	return w.svc.Process(ctx, job.Args.PayoutID)
}

// EventArgs is the job that applies one stored Stripe webhook event.
type EventArgs struct {
	EventID string `json:"event_id"`
}

// Kind names the event job.
func (EventArgs) Kind() string { return "stripe_event" }

// InsertOpts makes the job unique per event.
func (EventArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 20, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type eventWorker struct {
	river.WorkerDefaults[EventArgs]
	svc *Service
}

func (w *eventWorker) Work(ctx context.Context, job *river.Job[EventArgs]) error {
	return w.svc.ApplyEvent(ctx, job.Args.EventID)
}

// SweepArgs is the periodic job that schedules whatever lost its job: a
// process can stop between a commit and the insert of the job that follows it.
type SweepArgs struct{}

// Kind names the sweep job.
func (SweepArgs) Kind() string { return "payout_sweep" }

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	svc *Service
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	return w.svc.Sweep(ctx)
}

// Register adds the payout, event and sweep workers to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &payoutWorker{svc: s})
	river.AddWorker(workers, &eventWorker{svc: s})
	river.AddWorker(workers, &sweepWorker{svc: s})
}

// SweepInterval is how often the sweep runs.
const SweepInterval = time.Minute

// PeriodicJobs returns the sweep, run at start and every SweepInterval.
func PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(SweepInterval),
		func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
}

// UseRiver makes the service schedule its jobs with client (after commit).
func (s *Service) UseRiver(client *river.Client[pgx.Tx]) {
	s.enqueue = func(ctx context.Context, id int64) error {
		_, err := client.Insert(ctx, PayoutArgs{PayoutID: id}, nil)
		return err
	}
	s.enqueueEvent = func(ctx context.Context, id string) error {
		_, err := client.Insert(ctx, EventArgs{EventID: id}, nil)
		return err
	}
}

// Sweep schedules the requested Stripe payouts and the unprocessed events;
// the jobs' uniqueness makes scheduling one that has a job a no-op.
func (s *Service) Sweep(ctx context.Context) error {
	if s.enqueue == nil || s.enqueueEvent == nil {
		return errors.New("payout: sweep before UseRiver")
	}
	ids, err := s.Due(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.enqueue(ctx, id); err != nil {
			return err
		}
	}
	var events []string
	if err := s.db.WithContext(ctx).Table("stripe_events").Where("processed_at IS NULL").Order("received_at").Limit(1000).
		Pluck("id", &events).Error; err != nil {
		return err
	}
	for _, id := range events {
		if err := s.enqueueEvent(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
