// Package limit counts requests per key in fixed windows in PostgreSQL, so
// that a limit holds across every replica of the server: the anonymous
// writes and lookups per client address. Login throttling, which needs the
// failures themselves, lives in package auth.
package limit

import (
	"context"
	"fmt"
	"math"
	"time"

	"gorm.io/gorm"
)

// Service counts hits in the rate_limits table.
type Service struct {
	db *gorm.DB
}

// NewService returns the counter on db (the primary: counts are written).
func NewService(db *gorm.DB) *Service { return &Service{db: db} }

// pruneBatch bounds the rows of ended windows one hit deletes: enough to
// keep pace with the hits that created them, few enough to stay cheap.
const pruneBatch = 16

// take counts a hit on key and returns its window's hits so far and the
// seconds the window has left. A window starts at its first hit and lasts
// @secs, by the database's clock so that every replica agrees; a hit after
// it ends starts the next. The upsert is atomic: concurrent hits on a key,
// from any replica, each count once. In the same statement it deletes a few
// other keys' ended windows, locked NO KEY UPDATE as everywhere (nothing
// refers to rate_limits; the DELETE takes the rest it needs); SKIP LOCKED
// keeps concurrent hits from waiting on or deadlocking over them (its own
// key's row the upsert resets).
const take = `
WITH pruned AS (
    DELETE FROM rate_limits WHERE ctid = ANY (ARRAY(
        SELECT ctid FROM rate_limits WHERE window_end <= now() AND key <> @key
        LIMIT @prune FOR NO KEY UPDATE SKIP LOCKED))
)
INSERT INTO rate_limits AS r (key, window_end, hits)
VALUES (@key, now() + make_interval(secs => @secs), 1)
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN r.window_end <= now() THEN 1 ELSE r.hits + 1 END,
    window_end = CASE WHEN r.window_end <= now() THEN excluded.window_end ELSE r.window_end END
RETURNING r.hits, extract(epoch FROM r.window_end - now())::float8 AS left`

// Take counts one hit on key within its current window of length window
// and reports whether it is within max hits, and, when it is not, how long
// until the window ends. Every hit counts, refused ones too, as one
// statement.
func (s *Service) Take(ctx context.Context, key string, max int, window time.Duration) (bool, time.Duration, error) {
	secs := int64(window / time.Second)
	if secs < 1 {
		return false, 0, fmt.Errorf("limit %s: window %v is under a second", key, window)
	}
	var row struct {
		Hits int
		Left float64
	}
	err := s.db.WithContext(ctx).Raw(take, map[string]any{"key": key, "secs": secs, "prune": pruneBatch}).Scan(&row).Error
	if err != nil {
		return false, 0, fmt.Errorf("count a hit on %s: %w", key, err)
	}
	if row.Hits <= max {
		return true, 0, nil
	}
	return false, time.Duration(math.Ceil(row.Left)) * time.Second, nil
}
