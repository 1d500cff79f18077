package ocds_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/ocds"
	"github.com/jiedao-market/jiedao/internal/ocds/ocdsschema"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// stored is one row of ocds_releases.
type stored struct {
	OCID     string `gorm:"column:ocid"`
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

// TestDemoLifecycle exports the demo's whole lifecycle and validates every
// release, and the record package of every ocid, against the OCDS schemas
// with the metrics extension; the demo's events publish the releases of
// their tags, and no person's name or contact appears.
func TestDemoLifecycle(t *testing.T) {
	t.Parallel()
	db, rows := demoReleases(t)
	v, err := ocdsschema.New()
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]int{}
	byOCID := map[string][]json.RawMessage{}
	var all strings.Builder
	for _, r := range rows {
		if err := v.Release([]byte(r.Body)); err != nil {
			t.Errorf("release of %s: %v\n%s", r.OCID, err, r.Body)
		}
		var rel struct{ Tag []string }
		if err := json.Unmarshal([]byte(r.Body), &rel); err != nil {
			t.Fatal(err)
		}
		tags[rel.Tag[0]]++
		byOCID[r.OCID] = append(byOCID[r.OCID], json.RawMessage(r.Body))
		all.WriteString(r.Body)
	}
	for _, tag := range []string{ocds.TagTender, ocds.TagTenderCancellation, ocds.TagTenderUpdate, ocds.TagAward, ocds.TagAwardUpdate,
		ocds.TagContract, ocds.TagImplementation, ocds.TagImplementationUpdate} {
		if tags[tag] == 0 {
			t.Errorf("the demo published no %q release (tags %v)", tag, tags)
		}
	}
	svc := ocds.NewService(db, clock.NewManual(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)), config.Default().OCDS)
	for ocid := range byOCID {
		pkg, err := svc.Record(context.Background(), "https://example.org/api/v1/public/ocds/records/"+ocid, "https://example.org/api/v1/public/audit/heads", ocid)
		if err != nil {
			t.Fatalf("Record(%s) error = %v", ocid, err)
		}
		if err := v.RecordPackage(pkg); err != nil {
			t.Errorf("record package of %s: %v\n%s", ocid, err, pkg)
		}
		all.Write(pkg)
	}
	// People: the demo's contacts and legal representatives, its officers',
	// evaluators' and staff's names, its service records' beneficiary
	// references and notes, the evaluators' notes and the residents' rating
	// comments.
	var people []string
	if err := db.Raw(`SELECT legal_representative FROM organizations WHERE legal_representative <> ''
		UNION SELECT contact_name FROM organizations WHERE contact_name <> ''
		UNION SELECT contact_phone FROM organizations WHERE contact_phone <> ''
		UNION SELECT display_name FROM users WHERE role IN ('procurement_officer', 'finance_officer', 'evaluator', 'org_member')
		UNION SELECT staff_name FROM service_records WHERE staff_name IS NOT NULL
		UNION SELECT notes FROM service_records WHERE notes <> ''
		UNION SELECT notes FROM evaluations WHERE notes <> ''
		UNION SELECT beneficiary_ref FROM service_records
		UNION SELECT comment FROM ratings WHERE comment <> ''`).Scan(&people).Error; err != nil {
		t.Fatal(err)
	}
	out := all.String()
	for _, p := range people {
		if strings.Contains(out, p) {
			t.Errorf("the OCDS output holds %q, a person's or resident's data", p)
		}
	}
	t.Logf("%d releases of %d tenders, tags %v; %d personal values checked", len(rows), len(byOCID), tags, len(people))
}
