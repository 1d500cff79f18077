package tender

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/jiedao-market/jiedao/internal/platform/jobs"
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

// InsertOpts makes the job unique per tender and time while it waits or runs
// (jobs.UniqueWhileWaiting).
func (AdvanceArgs) InsertOpts() river.InsertOpts { return jobs.UniqueWhileWaiting() }

// SweepArgs is the periodic job that schedules every due step lacking a job.
type SweepArgs struct{}

// Kind names the sweep job.
func (SweepArgs) Kind() string { return "tender_sweep" }

// advance takes the job's step; when the step it was scheduled for is not
// yet due (the job ran early), it says when it is.
func (s *Service) advance(ctx context.Context, a AdvanceArgs) (*time.Time, error) {
	next, err := s.Advance(ctx, a.TenderID)
	if err != nil || next == nil || next.After(a.At) {
		return nil, err
	}
	return next, nil
}

// Register adds the advance and sweep workers to workers.
func (s *Service) Register(workers *river.Workers, sweepInterval time.Duration) {
	river.AddWorker(workers, &jobs.StepWorker[AdvanceArgs]{Step: s.advance, Now: s.clock.Now, MaxSnooze: sweepInterval})
	river.AddWorker(workers, &jobs.SweepWorker[SweepArgs]{Sweep: s.Sweep})
}

// PeriodicJobs returns the sweep, run at start and every interval.
func PeriodicJobs(interval time.Duration) []*river.PeriodicJob {
	return jobs.PeriodicSweep(interval, SweepArgs{})
}

// UseRiver makes the service schedule its steps with client, after commit.
func (s *Service) UseRiver(client *river.Client[pgx.Tx], log *slog.Logger) {
	s.log = log
	s.enqueue = jobs.StepEnqueuer(client, func(id int64, at time.Time, swept bool) AdvanceArgs {
		return AdvanceArgs{TenderID: id, At: at, Swept: swept}
	})
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
	return jobs.SweepDue(ctx, s.enqueue, due)
}
