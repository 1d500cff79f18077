package ui_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/jiedao-market/jiedao/internal/catalog"
)

// Wants shared by the transfer item rows: the staff who read 爱山's items
// (飞英's staff find none of them), and its procurement officer alone.
var (
	pgItemReaders = pgWant{login, ok200, ok200, ok200, ok200, no403, no403, nf404, no403, no403, no403, nf404}
	pgItemOfficer = pgWant{login, no403, no403, ok200, no403, no403, no403, nf404, no403, no403, no403, no403}
	pgDistrict    = pgWant{login, no403, ok200, no403, no403, no403, no403, no403, no403, no403, no403, no403}
)

// pgStaffA are the staff who find 爱山's items and funds in their lists.
var pgStaffA = []string{"demo-admin", "demo-district", "demo-officer", "demo-finance"}

// pgCatalogMatrix covers the officers' transfer items and the district
// admin's standards and guidance catalog. The items are 爱山's (demo-officer's).
var pgCatalogMatrix = map[string]pgGroup{
	"items": {rows: []pgRow{
		{method: "GET", route: "/items",
			want:  pgWant{login, ok200, ok200, ok200, ok200, no403, no403, ok200, no403, no403, no403, ok200},
			scope: &pgScope{text: pgText("居家养老上门服务"), shown: pgStaffA, hidden: []string{"demo-officer2", pgFinance2}}},
		{method: "GET", route: "/items/new",
			want: pgWant{login, no403, no403, ok200, no403, no403, no403, ok200, no403, no403, no403, no403}},
		{method: "POST", route: "/items",
			// A complete item: each officer names a community of its own subdistrict.
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				community := f.commA
				if pgIdentities[i] == "demo-officer2" {
					community = f.commB
				}
				return itemForm("", fmt.Sprintf("矩阵测试上门助浴服务%d", i), "ELDERLY_HOME_CARE", community)
			},
			want: pgWant{login, no403, no403, to303, no403, no403, no403, to303, no403, no403, no403, no403}},
		{method: "GET", route: "/items/:id", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.itemA} }),
			want: pgItemReaders},
		{method: "GET", route: "/items/:id/versions", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.itemA} }),
			want: pgItemReaders},
		{method: "GET", route: "/items/:id/edit", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.itemA} }),
			want: pgItemOfficer},
		{method: "POST", route: "/items/:id/edit", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.itemA} }),
			// An empty editor: the officer gets it back with what is missing.
			want: pgWant{login, no403, no403, bad400, no403, no403, no403, nf404, no403, no403, no403, no403}},
		{method: "POST", route: "/items/:id/publish", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.itemDraft} }),
			want: pgWant{login, no403, no403, to303, no403, no403, no403, nf404, no403, no403, no403, no403}},
		{method: "POST", route: "/items/:id/retire", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.itemRetire} }),
			want: pgWant{login, no403, no403, to303, no403, no403, no403, nf404, no403, no403, no403, no403}},
	}},
	"standards": {
		// A metric of the district's own, for the district admin to retire.
		setup: func(t *testing.T, f *pgFixture) {
			code, zh, en, unit, dir, src, target, weight := "matrix_checks", "矩阵检查次数", "Matrix checks", "次", "higher", "evaluator", 12.0, 5
			_, err := f.e.Services.Catalog.AddMetric(context.Background(), f.e.ActorOf(t, "demo-district"), "ELDERLY_HOME_CARE",
				catalog.MetricInput{Code: code, NameZh: &zh, NameEn: &en, Unit: &unit, Direction: &dir, Source: &src, DefaultTarget: &target, DefaultWeight: &weight})
			if err != nil {
				t.Fatalf("AddMetric() error = %v", err)
			}
		},
		rows: []pgRow{
			{method: "GET", route: "/district/standards", want: pgDistrict},
			{method: "POST", route: "/district/standards/metrics",
				want: pgWant{login, no403, bad400, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
			{method: "POST", route: "/district/standards/:code/:metric", params: pgParams("ELDERLY_HOME_CARE", "service_visits"),
				want: pgWant{login, no403, bad400, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
			{method: "POST", route: "/district/standards/:code/:metric/retire", params: pgParams("ELDERLY_HOME_CARE", "matrix_checks"),
				want: pgWant{login, no403, to303, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
			{method: "GET", route: "/district/guidance", want: pgDistrict},
			{method: "POST", route: "/district/guidance",
				want: pgWant{login, no403, bad400, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
		},
	},
}
