package api_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/ocds"
)

// azOCDSSeeded seeds each fixture's demo tenders once: the releases of their
// lifecycle are what the OCDS routes read.
var azOCDSSeeded sync.Map // *azFixture → *sync.Once

// azOCDSRecord is the path of the record of the demo's first tender.
func azOCDSRecord(t testing.TB, f *azFixture) string {
	once, _ := azOCDSSeeded.LoadOrStore(f, &sync.Once{})
	once.(*sync.Once).Do(func() {
		e := f.e
		if err := demo.SeedTenders(context.Background(), e.DB, e.Clock, demo.Keys{Seal: e.Cfg.Tender.SealKey, Rating: e.Cfg.Rating.CodeKey,
			Uploads: e.Cfg.Uploads, OCIDPrefix: e.Cfg.OCDS.Prefix}); err != nil {
			t.Fatalf("demo.SeedTenders() error = %v", err)
		}
	})
	id := f.e.IDOf(t, "tenders", "status = 'awarded' AND subdistrict_id = ?", f.subA)
	return "/api/v1/public/ocds/records/" + ocds.OCID(f.e.Cfg.OCDS.Prefix, id)
}

// azOCDSPath is path once the fixture's demo tenders are seeded (a release
// page without a release is 404).
func azOCDSPath(path string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		azOCDSRecord(t, f)
		return path
	}
}

// azOCDSMatrix covers the OCDS open data: everyone reads it, signed in or
// not; a bad filter is 400 and an unknown ocid 404 for everyone.
var azOCDSMatrix = map[string][]azMatrixRow{
	"ocds": {
		{method: "GET", route: "/api/v1/public/ocds/releases", path: azOCDSPath("/api/v1/public/ocds/releases"),
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "GET", route: "/api/v1/public/ocds/releases", path: azExportPath("/api/v1/public/ocds/releases?from=2026-13-01"),
			want: azWant{bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}},
		{method: "GET", route: "/api/v1/public/ocds/bulk.jsonl", path: azOCDSPath("/api/v1/public/ocds/bulk.jsonl"),
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "GET", route: "/api/v1/public/ocds/bulk.jsonl", path: azExportPath("/api/v1/public/ocds/bulk.jsonl?subdistrict=0"),
			want: azWant{bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}},
		{method: "GET", route: "/api/v1/public/ocds/records/:ocid", path: azOCDSRecord,
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "GET", route: "/api/v1/public/ocds/records/:ocid", path: azExportPath("/api/v1/public/ocds/records/ocds-jiedao-999999"),
			want: azWant{nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404}},
	},
}
