package contract

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm/clause"
)

var lockUpdate = clause.Locking{Strength: "NO KEY UPDATE"}

func jsonValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of plain values always marshal
	}
	return string(b)
}

func decodeJSON(raw []byte, v any) error { return json.Unmarshal(raw, v) }

// ActivateArgs is the job that starts a signed contract's service at At, its
// start date.
type ActivateArgs struct {
	ContractID int64     `json:"contract_id"`
	At         time.Time `json:"at"`
	// Swept marks a job the sweep inserted for a start already due.
	Swept bool `json:"swept,omitempty"`
}

// Kind names the activation job.
func (ActivateArgs) Kind() string { return "contract_activate" }

// InsertOpts makes the job unique per contract and time while it waits or runs.
func (ActivateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

type activateWorker struct {
	river.WorkerDefaults[ActivateArgs]
	svc       *Service
	maxSnooze time.Duration
}

func (w *activateWorker) Work(ctx context.Context, job *river.Job[ActivateArgs]) error {
	due, err := w.svc.Activate(ctx, job.Args.ContractID)
	if err != nil {
		return err
	}
	// Run a little early (clocks differ between hosts): wait for the start
	// rather than leave it to the next sweep.
	if due != nil {
		if wait := due.Sub(w.svc.clock.Now()); wait > 0 && wait <= w.maxSnooze {
			return river.JobSnooze(wait)
		}
	}
	return nil
}

// SweepArgs is the periodic job that schedules every due start lacking a job.
type SweepArgs struct{}

// Kind names the sweep job.
func (SweepArgs) Kind() string { return "contract_sweep" }

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	svc *Service
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	return w.svc.Sweep(ctx)
}

// Register adds the activation and sweep workers to workers.
func (s *Service) Register(workers *river.Workers, sweepInterval time.Duration) {
	river.AddWorker(workers, &activateWorker{svc: s, maxSnooze: sweepInterval})
	river.AddWorker(workers, &sweepWorker{svc: s})
}

// PeriodicJobs returns the sweep, run at start and every interval.
func PeriodicJobs(interval time.Duration) []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
}

// UseRiver makes the service schedule contract starts with client, after commit.
func (s *Service) UseRiver(client *river.Client[pgx.Tx], log *slog.Logger) {
	s.log = log
	s.enqueue = func(ctx context.Context, id int64, at time.Time, swept bool) error {
		opts := &river.InsertOpts{ScheduledAt: at}
		if swept {
			opts = nil // due now
		}
		_, err := client.Insert(ctx, ActivateArgs{ContractID: id, At: at.UTC(), Swept: swept}, opts)
		return err
	}
}

// schedule enqueues a contract's start after the commit that made it due. A
// failure is logged and left to the sweep: the contract's row is the truth.
func (s *Service) schedule(ctx context.Context, id int64, at time.Time) {
	if s.enqueue == nil {
		return
	}
	if err := s.enqueue(ctx, id, at, false); err != nil && s.log != nil {
		s.log.Error("schedule contract start", "contract_id", id, "at", at, "error", err)
	}
}

// Sweep schedules the start of every signed contract whose start date has
// come; a start with a job waiting is left alone by the job's uniqueness.
func (s *Service) Sweep(ctx context.Context) error {
	if s.enqueue == nil {
		return errors.New("contract: sweep before UseRiver")
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
