package ocds_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// stored is one row of ocds_releases.
type stored struct {
	OCID     string
	TenderID int64
	Body     string
}

// demoReleases seeds the demo with its tenders (one in each state of the
// lifecycle, with contracts, evaluations and payments) and returns the
// database and its releases in publication order.
func demoReleases(t *testing.T) (*gorm.DB, []stored) {
	t.Helper()
	clk := clock.NewManual(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	db := dbtest.New(t).Session(&gorm.Session{NowFunc: func() time.Time { return clk.Now().UTC().Truncate(time.Microsecond) }})
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	keys := demo.Keys{Seal: key, Rating: key, Uploads: config.Uploads{Dir: t.TempDir(), MaxBytes: 5 << 20}}
	if _, err := demo.Seed(context.Background(), db, clk, "demo-password-for-tests",
		config.Argon2{MemoryKiB: 8192, Iterations: 1, Parallelism: 1}, keys, demo.WithTenders()); err != nil {
		t.Fatalf("demo.Seed() error = %v", err)
	}
	var rows []stored
	if err := db.Raw(`SELECT ocid, tender_id, body::text AS body FROM ocds_releases ORDER BY date, id`).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return db, rows
}

func TestDemoReleases(t *testing.T) {
	t.Parallel()
	_, rows := demoReleases(t)
	tags := map[string]int{}
	for _, r := range rows {
		var rel struct{ Tag []string }
		if err := json.Unmarshal([]byte(r.Body), &rel); err != nil {
			t.Fatal(err)
		}
		tags[rel.Tag[0]]++
	}
	t.Logf("%d releases, tags %v", len(rows), tags)
}
