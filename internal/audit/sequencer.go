package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// updateChunk is how many rows one UPDATE statement of a batch integrates.
const updateChunk = 200

// Integrate integrates up to limit committed pending entries into the chain,
// oldest insertion first, and returns how many it integrated. It waits for
// the chain's lock (another sequencer or a head publication) and runs in one
// transaction: a batch that fails, or whose process dies, rolls back whole and
// is integrated by the next run. Writers are never blocked by it.
func Integrate(ctx context.Context, db *gorm.DB, limit int) (int, error) {
	n, _, err := integrate(ctx, db, limit, true, nil)
	return n, err
}

// IntegrateAll integrates every pending entry, batch by batch, and returns how
// many it integrated; for commands that write without a server running (the
// seed) and for tests.
func IntegrateAll(ctx context.Context, db *gorm.DB) (int, error) {
	total := 0
	for {
		n, err := Integrate(ctx, db, DefaultSequenceBatch)
		total += n
		if err != nil || n < DefaultSequenceBatch {
			return total, err
		}
	}
}

// integrate is Integrate; without wait it gives up at once when another
// holds the chain's lock (locked false). afterChunk, for the crash test, runs
// after each UPDATE statement of the batch with the number of rows written.
func integrate(ctx context.Context, db *gorm.DB, limit int, wait bool, afterChunk func(int)) (n int, locked bool, err error) {
	if limit < 1 {
		return 0, false, fmt.Errorf("audit integrate: batch size %d, want at least 1", limit)
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if wait {
			if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, chainLock).Error; err != nil {
				return fmt.Errorf("lock chain: %w", err)
			}
			locked = true
		} else if err := tx.Raw(`SELECT pg_try_advisory_xact_lock(?)`, chainLock).Scan(&locked).Error; err != nil {
			return fmt.Errorf("lock chain: %w", err)
		}
		if !locked {
			return nil
		}
		head, err := chainHead(tx)
		if err != nil {
			return err
		}
		var rows []Entry
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("seq IS NULL").Order("id").Limit(limit).
			Find(&rows).Error; err != nil {
			return fmt.Errorf("read pending entries: %w", err)
		}
		_, err = link(tx, head, rows, afterChunk)
		n = len(rows)
		return err
	})
	if err != nil {
		return 0, locked, fmt.Errorf("audit integrate: %w", err)
	}
	return n, locked, nil
}

// chainHead is the last integrated entry (seq 0 and Genesis for an empty
// chain). The caller holds the chain's lock.
func chainHead(tx *gorm.DB) (Entry, error) {
	var rows []Entry
	if err := tx.Where("seq IS NOT NULL").Order("seq DESC").Limit(1).Find(&rows).Error; err != nil {
		return Entry{}, fmt.Errorf("read chain head: %w", err)
	}
	if len(rows) == 0 {
		return Entry{Hash: Genesis}, nil
	}
	return rows[0], nil
}

// link gives rows, in order, the seqs after head's, links and hashes them,
// writes them, and returns the new head. The caller holds the chain's lock and
// the rows' locks.
func link(tx *gorm.DB, head Entry, rows []Entry, afterChunk func(int)) (Entry, error) {
	for i := range rows {
		rows[i].Seq, rows[i].PrevHash = head.Seq+1, head.Hash
		h, err := rows[i].computeHash()
		if err != nil {
			return Entry{}, err
		}
		rows[i].Hash = h
		head = rows[i]
	}
	for start := 0; start < len(rows); start += updateChunk {
		chunk := rows[start:min(start+updateChunk, len(rows))]
		values := make([]string, len(chunk))
		args := make([]any, 0, 4*len(chunk))
		for i, e := range chunk {
			values[i] = "(?::bigint, ?::bigint, ?, ?)"
			args = append(args, e.ID, e.Seq, e.PrevHash, e.Hash)
		}
		res := tx.Exec(`UPDATE audit_entries a SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
			FROM (VALUES `+strings.Join(values, ", ")+`) AS v (id, seq, prev_hash, hash)
			WHERE a.id = v.id AND a.seq IS NULL`, args...)
		if res.Error != nil {
			return Entry{}, fmt.Errorf("integrate entries %d to %d: %w", chunk[0].Seq, chunk[len(chunk)-1].Seq, res.Error)
		}
		if res.RowsAffected != int64(len(chunk)) {
			return Entry{}, fmt.Errorf("integrate entries %d to %d: %d rows written, want %d",
				chunk[0].Seq, chunk[len(chunk)-1].Seq, res.RowsAffected, len(chunk))
		}
		if afterChunk != nil {
			afterChunk(start + len(chunk))
		}
	}
	return head, nil
}

// DefaultSequenceBatch is the most entries one Integrate of IntegrateAll takes.
const DefaultSequenceBatch = 1000

// Sequencer integrates pending entries in the background: every interval,
// and again at once while it finds full batches. Every `jiedao serve` runs
// one; with several replicas they take turns (a sequencer that finds the
// chain's lock held skips the round instead of queueing behind it).
type Sequencer struct {
	db       *gorm.DB
	interval time.Duration
	batch    int
	log      *slog.Logger
	failing  bool // the last round failed (logged once, not every interval)
}

// NewSequencer returns the sequencer on db that integrates up to batch
// entries at a time, every interval.
func NewSequencer(db *gorm.DB, interval time.Duration, batch int, log *slog.Logger) *Sequencer {
	return &Sequencer{db: db, interval: interval, batch: batch, log: log}
}

// Run integrates until ctx ends, then integrates once more what the server
// wrote while stopping (within a few seconds), and returns. A failed round
// (the database away) is retried at the next tick; the first failure and
// the recovery are logged.
func (s *Sequencer) Run(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.round(ctx)
		select {
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			s.round(last)
			return
		case <-t.C:
		}
	}
}

// round integrates batches until one is not full, another sequencer holds
// the lock, or ctx ends.
func (s *Sequencer) round(ctx context.Context) {
	for ctx.Err() == nil {
		n, locked, err := integrate(ctx, s.db, s.batch, false, nil)
		if err != nil {
			if !s.failing && !errors.Is(err, context.Canceled) {
				s.log.Error("audit sequencer: retrying every interval", "err", err, "interval", s.interval)
				s.failing = true
			}
			return
		}
		if s.failing {
			s.log.Info("audit sequencer resumed")
			s.failing = false
		}
		if !locked || n < s.batch {
			return
		}
	}
}
