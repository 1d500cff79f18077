package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/delivery"
)

// pgRecordSet is what the service-record rows address: an active contract of
// org 1 in 爱山 (A), and a record of it with its rating code.
type pgRecordSet struct {
	contract    int64
	communities []int64
	record      int64
	code        string // formatted, as the organization's pages show it
}

// pgRecordRecords makes the contract and its record.
func pgRecordRecords(t *testing.T, f *pgFixture) {
	c := f.e.ActiveContract(t)
	today := civil.ChinaDate(f.e.Clock.Now())
	v, err := f.e.Services.Records.Record(context.Background(), f.e.ActorOf(t, "demo-org"), c.ID, delivery.Input{Date: today.String(),
		CommunityID: c.Communities[0], ServiceType: "service_visits", DurationMinutes: 60, StaffName: "王丽", BeneficiaryRef: "NJ-MATRIX"})
	if err != nil {
		t.Fatalf("Record() error = %v", err)
	}
	f.records = &pgRecordSet{contract: c.ID, communities: c.Communities, record: v.ID,
		code: v.RatingCode.Code[:5] + "-" + v.RatingCode.Code[5:]}
}

// pgRecordIDs returns the ids pick names of the group's records as a route's parameters.
func pgRecordIDs(pick func(s *pgRecordSet) []int64) func(t *testing.T, f *pgFixture) []any {
	return pgIDs(func(f *pgFixture) []int64 { return pick(f.records) })
}

var (
	pgOnContract = pgRecordIDs(func(s *pgRecordSet) []int64 { return []int64{s.contract} })
	pgOnRecord   = pgRecordIDs(func(s *pgRecordSet) []int64 { return []int64{s.record} })
)

// pgRecordForm is a record form of the contract; ref is the beneficiary reference.
func pgRecordForm(ref func(i int) string) func(t *testing.T, f *pgFixture, i int) url.Values {
	return func(t *testing.T, f *pgFixture, i int) url.Values {
		return url.Values{"date": {civil.ChinaDate(f.e.Clock.Now()).String()}, "community_id": {fmt.Sprint(f.records.communities[0])},
			"service_type": {"service_visits"}, "duration_minutes": {fmt.Sprint(30 + i)}, "staff_name": {"王丽"},
			"beneficiary_ref": {ref(i)}, "reason": {fmt.Sprintf("矩阵更正 %d", i)}}
	}
}

// un422 is an import refused for its content: the page again, with the
// report of the file's errors.
const un422 = http.StatusUnprocessableEntity

// Wants of the service-record rows: org 1's staff on their contract (org 2's
// admin finds no such contract), and the readers of the list (the
// officers of A; B's find none).
var (
	pgRecordStaff = pgWant{login, no403, no403, no403, no403, no403, ok200, no403, nf404, ok200, no403, no403}
	pgRecordWrite = pgWant{login, no403, no403, no403, no403, no403, to303, no403, nf404, to303, no403, no403}
)

// pgRecordMatrix covers the service-record pages.
var pgRecordMatrix = map[string]pgGroup{
	"service records": {setup: pgRecordRecords, rows: []pgRow{
		{method: "GET", route: "/contracts/:id/records", params: pgOnContract,
			want:  pgWant{login, no403, no403, ok200, ok200, no403, ok200, nf404, nf404, ok200, no403, nf404},
			scope: &pgScope{text: func(f *pgFixture) string { return f.records.code }, shown: []string{"demo-org", "demo-member"}, hidden: []string{"demo-officer", "demo-finance"}}},
		{method: "GET", route: "/contracts/:id/records", note: "the reference", params: pgOnContract,
			want:  pgWant{login, no403, no403, ok200, ok200, no403, ok200, nf404, nf404, ok200, no403, nf404},
			scope: &pgScope{text: pgText("NJ-MATRIX"), shown: []string{"demo-org", "demo-member", "demo-officer", "demo-finance"}}},
		{method: "GET", route: "/contracts/:id/records/new", params: pgOnContract, want: pgRecordStaff},
		{method: "POST", route: "/contracts/:id/records", params: pgOnContract,
			form: pgRecordForm(func(i int) string { return fmt.Sprintf("NJ-M%02d", i) }), want: pgRecordWrite},
		{method: "POST", route: "/contracts/:id/records", note: "an ID number as the reference", params: pgOnContract,
			form: pgRecordForm(func(int) string { return "11010519491231002X" }),
			want: pgWant{login, no403, no403, no403, no403, no403, bad400, no403, nf404, bad400, no403, no403}},
		{method: "GET", route: "/contracts/:id/records/import", params: pgOnContract, want: pgRecordStaff},
		{method: "POST", route: "/contracts/:id/records/import", params: pgOnContract, upload: "records.pdf",
			// A PDF is no CSV file: the report names its header.
			want: pgWant{login, no403, no403, no403, no403, no403, un422, no403, nf404, un422, no403, no403}},
		{method: "GET", route: "/contracts/:id/records/template.csv", params: pgOnContract, want: pgRecordStaff},
		{method: "GET", route: "/contracts/:id/records/print", params: pgOnContract, want: pgRecordStaff,
			scope: &pgScope{text: func(f *pgFixture) string { return f.records.code }, shown: []string{"demo-org", "demo-member"}}},
		{method: "GET", route: "/service-records/:id", params: pgOnRecord, want: pgRecordStaff,
			scope: &pgScope{text: func(f *pgFixture) string { return f.records.code }, shown: []string{"demo-org", "demo-member"}}},
		{method: "POST", route: "/service-records/:id/correct", params: pgOnRecord,
			form: pgRecordForm(func(int) string { return "NJ-MATRIX" }), want: pgRecordWrite},
	}},
}
