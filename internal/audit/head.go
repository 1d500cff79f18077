package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// Published heads. Once a day the chain's head (its last entry's seq and
// hash) is copied into audit_heads, a public append-only list. Whoever keeps
// a copy of a head can later prove a rewrite of history: recomputing every
// hash after an edited entry makes Verify pass again, but the entry at a
// published seq then no longer has the published hash (the idea behind
// Certificate Transparency's signed tree heads).
//
// Publishing records its own entry, "audit.head_publish", and the head is that
// entry: the published hash covers the whole chain up to and including the
// announcement of the day's head, so the chain itself shows when each head
// was published. The entry cannot hold the hash (the hash is computed over
// it); the audit_heads row does.

// ActionHeadPublish is the action of the entry that a published head points at.
const ActionHeadPublish = "audit.head_publish"

// Head is one published head of the chain: on Day (China time) the last entry
// was Seq with hash Hash. Its JSON form is the stable public format of
// GET /api/v1/public/audit/heads and of `jiedao audit verify --against`.
type Head struct {
	Day         civil.Date `json:"day"`
	Seq         int64      `json:"seq"`
	Hash        string     `json:"hash"`
	PublishedAt time.Time  `json:"published_at"`
}

type headRow struct {
	ID          int64
	Day         civil.Date
	Seq         int64
	Hash        string
	PublishedAt time.Time
}

func (headRow) TableName() string { return "audit_heads" }

func (r headRow) head() Head {
	return Head{Day: r.Day, Seq: r.Seq, Hash: r.Hash, PublishedAt: r.PublishedAt.UTC()}
}

// PublishHead publishes the chain's head for the China-time date of now,
// unless that day has one already (then it returns that one and false). It
// integrates every pending entry, records the announcing entry and integrates
// it, and copies the head, in one transaction under the chain's lock, so two
// publishers of the same day make one head.
func PublishHead(ctx context.Context, db *gorm.DB, now time.Time) (Head, bool, error) {
	day := civil.ChinaDate(now)
	var (
		h         Head
		published bool
	)
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The chain's lock also serializes publishers (the second one sees
		// the first one's row once it gets the lock) and keeps sequencers
		// out while the announcement becomes the head.
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, chainLock).Error; err != nil {
			return fmt.Errorf("publish audit head: lock chain: %w", err)
		}
		var existing headRow
		err := tx.Where("day = ?", day).Take(&existing).Error
		if err == nil {
			h = existing.head()
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("publish audit head: read day %s: %w", day, err)
		}
		// Everything committed before now is integrated first, so the head
		// covers it; then the announcement, alone, is the next entry.
		head, err := chainHead(tx)
		if err != nil {
			return fmt.Errorf("publish audit head: %w", err)
		}
		for {
			var rows []Entry
			if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("seq IS NULL").Order("id").
				Limit(DefaultSequenceBatch).Find(&rows).Error; err != nil {
				return fmt.Errorf("publish audit head: read pending entries: %w", err)
			}
			if head, err = link(tx, head, rows, nil); err != nil {
				return fmt.Errorf("publish audit head: %w", err)
			}
			if len(rows) < DefaultSequenceBatch {
				break
			}
		}
		e, err := record(tx, access.SystemActor("audit-head", ""), ActionHeadPublish, "audit_head", day.String(),
			map[string]any{"day": day.String()})
		if err != nil {
			return err
		}
		last, err := link(tx, head, []Entry{e}, nil)
		if err != nil {
			return fmt.Errorf("publish audit head: %w", err)
		}
		row := headRow{Day: day, Seq: last.Seq, Hash: last.Hash, PublishedAt: now.UTC().Truncate(time.Microsecond)}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("publish audit head: insert: %w", err)
		}
		h, published = row.head(), true
		return nil
	})
	if err != nil {
		return Head{}, false, err
	}
	return h, published, nil
}

// PublishDue publishes the day's head when now is at or past hour (0-23,
// China time) and the day has none yet; it reports whether it published.
// The daily job calls it at the hour and once at start, which catches up a
// day whose job did not run.
func PublishDue(ctx context.Context, db *gorm.DB, now time.Time, hour int) (bool, error) {
	if now.In(civil.China).Hour() < hour {
		return false, nil
	}
	_, published, err := PublishHead(ctx, db, now)
	return published, err
}

// Heads returns every published head, oldest first.
func Heads(ctx context.Context, db *gorm.DB) ([]Head, error) {
	var rows []headRow
	if err := db.WithContext(ctx).Order("day").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read audit heads: %w", err)
	}
	out := make([]Head, len(rows))
	for i, r := range rows {
		out[i] = r.head()
	}
	return out, nil
}

// LatestHead returns the most recently published head, and false when none
// was published yet (for the OCDS package's publisher metadata).
func LatestHead(ctx context.Context, db *gorm.DB) (Head, bool, error) {
	var rows []headRow
	if err := db.WithContext(ctx).Order("day DESC").Limit(1).Find(&rows).Error; err != nil {
		return Head{}, false, fmt.Errorf("read latest audit head: %w", err)
	}
	if len(rows) == 0 {
		return Head{}, false, nil
	}
	return rows[0].head(), true, nil
}

// CheckHeads checks that for every head in heads (as kept by someone who
// copied the public list) the chain still holds the entry at its seq with its
// hash, and returns the first head contradicted, in seq order, naming the
// entry; nil when every head holds. A head with no entry at its seq means
// the chain was cut back.
func CheckHeads(ctx context.Context, db *gorm.DB, heads []Head) (*Break, error) {
	sorted := slices.Clone(heads)
	slices.SortStableFunc(sorted, func(a, b Head) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, h := range sorted {
		var rows []Entry
		if err := db.WithContext(ctx).Where("seq = ?", h.Seq).Limit(1).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("audit check head %d: %w", h.Seq, err)
		}
		switch {
		case len(rows) == 0:
			return &Break{Seq: h.Seq, Reason: fmt.Sprintf("missing, yet its hash was published on %s: history was cut", h.Day)}, nil
		case rows[0].Hash != h.Hash:
			return &Break{Seq: h.Seq, Reason: fmt.Sprintf("no longer has the hash published on %s: history was rewritten", h.Day)}, nil
		}
	}
	return nil, nil
}
