package api_test

import "testing"

// azExportPath is a fixed path with a query, for the rows of a route that
// route alone does not call.
func azExportPath(path string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string { return path }
}

// azExportMatrix covers the public CSV exports: everyone reads them, signed in
// or not; a bad filter is 400 for everyone.
var azExportMatrix = map[string][]azMatrixRow{
	"exports": {
		{method: "GET", route: "/api/v1/public/exports/tenders.csv",
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "GET", route: "/api/v1/public/exports/tenders.csv", path: azExportPath("/api/v1/public/exports/tenders.csv?status=draft"),
			want: azWant{bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}},
		{method: "GET", route: "/api/v1/public/exports/awards.csv",
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "GET", route: "/api/v1/public/exports/awards.csv", path: azExportPath("/api/v1/public/exports/awards.csv?subdistrict=-1"),
			want: azWant{bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}},
		{method: "GET", route: "/api/v1/public/exports/contracts.csv",
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "GET", route: "/api/v1/public/exports/contracts.csv", path: azExportPath("/api/v1/public/exports/contracts.csv?until=2026-02-30"),
			want: azWant{bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}},
	},
}
