package contract

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/platform/jobs"
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

// InsertOpts makes the job unique per contract and time while it waits or
// runs (jobs.UniqueWhileWaiting).
func (ActivateArgs) InsertOpts() river.InsertOpts { return jobs.UniqueWhileWaiting() }

// SweepArgs is the periodic job that schedules every due start lacking a job.
type SweepArgs struct{}

// Kind names the sweep job.
func (SweepArgs) Kind() string { return "contract_sweep" }

// Register adds the activation and sweep workers to workers.
func (s *Service) Register(workers *river.Workers, sweepInterval time.Duration) {
	river.AddWorker(workers, &jobs.StepWorker[ActivateArgs]{Now: s.clock.Now, MaxSnooze: sweepInterval,
		Step: func(ctx context.Context, a ActivateArgs) (*time.Time, error) { return s.Activate(ctx, a.ContractID) }})
	river.AddWorker(workers, &jobs.SweepWorker[SweepArgs]{Sweep: s.Sweep})
}

// PeriodicJobs returns the sweep, run at start and every interval.
func PeriodicJobs(interval time.Duration) []*river.PeriodicJob {
	return jobs.PeriodicSweep(interval, SweepArgs{})
}

// UseRiver makes the service schedule contract starts with client, after commit.
func (s *Service) UseRiver(client *river.Client[pgx.Tx], log *slog.Logger) {
	s.log = log
	s.enqueue = jobs.StepEnqueuer(client, func(id int64, at time.Time, swept bool) ActivateArgs {
		return ActivateArgs{ContractID: id, At: at, Swept: swept}
	})
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
	return jobs.SweepDue(ctx, s.enqueue, due)
}
