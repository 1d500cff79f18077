package replica_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/platform/db"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/platform/replica"
)

// benchStatement is a bid's statement that replaces the organization's
// earlier bid and reads the tender's metrics and the organization's
// eligibility (tender.SubmitBid with org.EligibilityQuery): about 800
// characters of raw SQL that does not opt in to the replica, as every write
// and every private read is. Its ids match nothing, so it changes nothing.
const benchStatement = `WITH replaced AS (
			  UPDATE bids SET status = 'replaced', ended_at = ? WHERE tender_id = ? AND organization_id = ? AND status = 'active' RETURNING id)
			SELECT (SELECT id FROM replaced) AS prior,
			  (SELECT coalesce(json_agg(m ORDER BY m.code), '[]') FROM tender_metrics m WHERE m.tender_id = ?) AS metrics,
			  (SELECT coalesce(json_agg(json_build_object('status', o.status, 'grade', c.grade,
		  'social_workers', LEAST(COALESCE(c.verified_social_workers, 0), o.certified_social_workers))), '[]')
		FROM organizations o
		LEFT JOIN (certifications c JOIN certification_categories cc ON cc.certification_id = c.id AND cc.category_code = ?)
		  ON c.organization_id = o.id AND c.district_id = ? AND c.status = ? AND c.valid_from <= ? AND c.valid_until > ?
		WHERE o.id = ?) AS eligibility`

// BenchmarkUnmarkedStatement measures what a raw statement that does not opt
// in (Public) pays for the routing, on a pool without a read replica and on
// one with a replica registered (Use; the "replica" is a second pool on the
// same database). dry_run runs GORM's callbacks without sending anything
// (a DryRun session): the routing and GORM's own work, no round trip, so
// the difference between the two pools is the routing alone. round_trip
// sends the statement to PostgreSQL, for scale. On the 2-core machine of
// 2026-12-05 (medians of 5, shared with other work): dry_run 7 µs without a
// replica; with one, 50 µs and 44 allocations under gorm.io/plugin/dbresolver
// (a regular expression over the statement's text), 7 µs and 34 under the
// resolver of this package; round_trip 80-120 µs.
func BenchmarkUnmarkedStatement(b *testing.B) {
	ctx := context.Background()
	plain, url := dbtest.NewWithURL(b)
	routed, err := db.Open(ctx, url, db.Options{MaxOpenConns: 2})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close(routed) })
	standby, err := replica.Use(ctx, routed, url, db.Options{MaxOpenConns: 2})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { standby.Close() })
	if n := len(benchStatement); n < 700 || n > 900 {
		b.Fatalf("the statement is %d characters, want about 800", n)
	}
	now := time.Now()
	args := []any{now, int64(-1), int64(-1), int64(-1), "none", int64(-1), "approved", now, now, int64(-1)}
	for _, pool := range []struct {
		name string
		gdb  *gorm.DB
	}{{"without_replica", plain}, {"with_replica", routed}} {
		b.Run("dry_run/"+pool.name, func(b *testing.B) {
			dry := pool.gdb.Session(&gorm.Session{DryRun: true})
			for b.Loop() {
				if err := dry.WithContext(ctx).Exec(benchStatement, args...).Error; err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("round_trip/"+pool.name, func(b *testing.B) {
			var found struct {
				Prior       *int64
				Metrics     []byte
				Eligibility []byte
			}
			for b.Loop() {
				if err := pool.gdb.WithContext(ctx).Raw(benchStatement, args...).Scan(&found).Error; err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
