package mail

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/jiedao-market/jiedao/internal/platform/jobs"
)

// SendArgs is the job that sends one queued message.
type SendArgs struct {
	MessageID int64 `json:"message_id"`
}

// Kind names the send job.
func (SendArgs) Kind() string { return "mail_send" }

// InsertOpts makes the job unique per message while it waits, runs or waits
// for a retry.
func (SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

// SweepArgs is the periodic job that enqueues every queued message lacking a
// job.
type SweepArgs struct{}

// Kind names the sweep job.
func (SweepArgs) Kind() string { return "mail_sweep" }

type sendWorker struct {
	river.WorkerDefaults[SendArgs]
	s *Service
}

func (w *sendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	return w.s.Deliver(ctx, job.Args.MessageID)
}

// Register adds the send and sweep workers to workers. Each send job is
// tried MaxAttempts times, with River's growing backoff between tries.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &sendWorker{s: s})
	river.AddWorker(workers, &jobs.SweepWorker[SweepArgs]{Sweep: s.Sweep})
}

// PeriodicJobs returns the sweep, run at start and every interval; none when
// e-mail is off.
func (s *Service) PeriodicJobs() []*river.PeriodicJob {
	if !s.Enabled() {
		return nil
	}
	return jobs.PeriodicSweep(s.cfg.SweepInterval, SweepArgs{})
}

// UseRiver makes the service enqueue send jobs with client.
func (s *Service) UseRiver(client *river.Client[pgx.Tx]) { s.client = client }

// Enqueue inserts the send jobs of messages ids after the commit that queued
// them. A failure is logged and left to the sweep: the outbox row is the
// truth. Ids of 0 (nothing queued) are skipped.
func (s *Service) Enqueue(ctx context.Context, ids ...int64) {
	if s == nil || s.client == nil {
		return
	}
	for _, id := range ids {
		if id == 0 {
			continue
		}
		if err := s.insert(ctx, id); err != nil && s.log != nil {
			s.log.ErrorContext(ctx, "enqueue mail", "mail_id", id, "error", err)
		}
	}
}

func (s *Service) insert(ctx context.Context, id int64) error {
	opts := SendArgs{}.InsertOpts()
	opts.MaxAttempts = s.cfg.MaxAttempts
	_, err := s.client.Insert(ctx, SendArgs{MessageID: id}, &opts)
	return err
}

// Sweep enqueues a send job for every queued message; one whose job still
// waits is left alone by the job's uniqueness.
func (s *Service) Sweep(ctx context.Context) error {
	if s.client == nil {
		return errors.New("mail: sweep before UseRiver")
	}
	ids, err := s.Queued(ctx, 1000)
	if err != nil {
		return fmt.Errorf("mail sweep: %w", err)
	}
	for _, id := range ids {
		if err := s.insert(ctx, id); err != nil {
			return fmt.Errorf("mail sweep: enqueue %d: %w", id, err)
		}
	}
	return nil
}
