package complaint

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/platform/jobs"
)

var lockUpdate = clause.Locking{Strength: "NO KEY UPDATE"}

// The time limits of a complaint, as the deadline jobs name them.
const (
	DeadlineFirstResponse = "first_response"
	DeadlineDecision      = "decision"
)

// DeadlineArgs is the job that flags a complaint whose time limit passed
// unmet, at At, its due time.
type DeadlineArgs struct {
	ComplaintID int64     `json:"complaint_id"`
	Deadline    string    `json:"deadline"`
	At          time.Time `json:"at"`
	// Swept marks a job the sweep inserted for a deadline already due.
	Swept bool `json:"swept,omitempty"`
}

// Kind names the deadline job.
func (DeadlineArgs) Kind() string { return "complaint_deadline" }

// InsertOpts makes the job unique per complaint, deadline and time while it
// waits or runs (jobs.UniqueWhileWaiting).
func (DeadlineArgs) InsertOpts() river.InsertOpts { return jobs.UniqueWhileWaiting() }

// SweepArgs is the periodic job that flags every due deadline lacking a job.
type SweepArgs struct{}

// Kind names the sweep job.
func (SweepArgs) Kind() string { return "complaint_sweep" }

// Register adds the deadline and sweep workers to workers.
func (s *Service) Register(workers *river.Workers, sweepInterval time.Duration) {
	river.AddWorker(workers, &jobs.StepWorker[DeadlineArgs]{Now: s.clock.Now, MaxSnooze: sweepInterval,
		Step: func(ctx context.Context, a DeadlineArgs) (*time.Time, error) {
			return s.Flag(ctx, a.ComplaintID, a.Deadline)
		}})
	river.AddWorker(workers, &jobs.SweepWorker[SweepArgs]{Sweep: s.Sweep})
}

// PeriodicJobs returns the sweep, run at start and every interval.
func PeriodicJobs(interval time.Duration) []*river.PeriodicJob {
	return jobs.PeriodicSweep(interval, SweepArgs{})
}

// UseRiver makes the service schedule complaints' deadlines with client,
// after commit.
func (s *Service) UseRiver(client *river.Client[pgx.Tx], log *slog.Logger) {
	s.log = log
	s.enqueue = map[string]jobs.Enqueue{}
	for _, d := range []string{DeadlineFirstResponse, DeadlineDecision} {
		s.enqueue[d] = jobs.StepEnqueuer(client, func(id int64, at time.Time, swept bool) DeadlineArgs {
			return DeadlineArgs{ComplaintID: id, Deadline: d, At: at, Swept: swept}
		})
	}
}

// scheduleDeadlines enqueues a new complaint's two deadline jobs after the
// commit that filed it. A failure is logged and left to the sweep.
func (s *Service) scheduleDeadlines(ctx context.Context, id int64, r Receipt) {
	if s.enqueue == nil {
		return
	}
	for d, at := range map[string]time.Time{DeadlineFirstResponse: r.FirstResponseDue, DeadlineDecision: r.DecisionDue} {
		if err := s.enqueue[d](ctx, id, at, false); err != nil {
			s.log.Error("schedule complaint deadline", "complaint_id", id, "deadline", d, "at", at, "error", err)
		}
	}
}

// Unmet returns the SQL condition, on the complaints table, of a complaint
// whose deadline d (DeadlineFirstResponse or DeadlineDecision) is not met,
// flagged overdue or not, with the column holding its due time: the rule the
// deadline jobs and the red flags both read.
func Unmet(d string) (cond, due string) {
	if d == DeadlineFirstResponse {
		return "status = 'received'", "first_response_due"
	}
	return "status <> 'decided'", "decision_due"
}

// pending is the condition of a complaint whose deadline d is unmet and not
// yet flagged, with the column holding its due time.
func pending(d string) (cond, due string) {
	cond, due = Unmet(d)
	if d == DeadlineFirstResponse {
		return cond + " AND first_response_overdue_at IS NULL", due
	}
	return cond + " AND decision_overdue_at IS NULL", due
}

// Flag marks complaint id overdue on deadline d (DeadlineFirstResponse or
// DeadlineDecision) when its due time has come and the deadline is unmet,
// telling the subdistrict's officers; a deadline met or already flagged is
// left alone. It returns the due time when it has not come yet.
func (s *Service) Flag(ctx context.Context, id int64, d string) (*time.Time, error) {
	if d != DeadlineFirstResponse && d != DeadlineDecision {
		return nil, fmt.Errorf("complaint: unknown deadline %q", d)
	}
	cond, dueColumn := pending(d)
	var notYet *time.Time
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row Complaint
		err := tx.Clauses(lockUpdate).Where("id = ?", id).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil // nothing to flag
		}
		if err != nil {
			return fmt.Errorf("read complaint %d: %w", id, err)
		}
		due := row.FirstResponseDue
		kind, column := KindFirstResponseOverdue, "first_response_overdue_at"
		if d == DeadlineDecision {
			due, kind, column = row.DecisionDue, KindDecisionOverdue, "decision_overdue_at"
		}
		now := s.clock.Now().UTC().Truncate(time.Microsecond)
		if now.Before(due) {
			notYet = &due
			return nil
		}
		res := tx.Model(&Complaint{}).Where("id = ? AND "+cond, id).Updates(map[string]any{column: now, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("flag complaint %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // met, or flagged already
		}
		if err := notifyOfficers(tx, row, kind, now); err != nil {
			return err
		}
		return audit.Record(tx, access.SystemActor("complaint-deadline", ""), "complaint.overdue", "complaint", id,
			map[string]any{"deadline": d, dueColumn: due})
	})
	return notYet, err
}

// Due returns, per deadline, the complaints whose due time has come with
// the deadline unmet and not flagged, and their due times.
func (s *Service) Due(ctx context.Context) (map[string]map[int64]time.Time, error) {
	now := s.clock.Now()
	out := map[string]map[int64]time.Time{}
	for _, d := range []string{DeadlineFirstResponse, DeadlineDecision} {
		cond, due := pending(d)
		var rows []struct {
			ID  int64
			Due time.Time
		}
		if err := s.db.WithContext(ctx).Table("complaints").Select("id, "+due+" AS due").
			Where(cond+" AND "+due+" <= ?", now).Order("id").Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("find due complaint deadlines: %w", err)
		}
		out[d] = map[int64]time.Time{}
		for _, r := range rows {
			out[d][r.ID] = r.Due
		}
	}
	return out, nil
}

// Sweep enqueues the flagging of every due, unmet deadline; one whose job
// still waits is left alone by the job's uniqueness.
func (s *Service) Sweep(ctx context.Context) error {
	if s.enqueue == nil {
		return errors.New("complaint: sweep before UseRiver")
	}
	due, err := s.Due(ctx)
	if err != nil {
		return err
	}
	for d, list := range due {
		if err := jobs.SweepDue(ctx, s.enqueue[d], list); err != nil {
			return err
		}
	}
	return nil
}
