package ui_test

import "strconv"

// pgPortalMatrix covers the public portal: open to everyone, signed in or
// not; an unknown subdistrict is not found for anyone.
var pgPortalMatrix = map[string]pgGroup{
	"portal": {rows: []pgRow{
		{method: "GET", route: "/subdistricts", want: pgEveryone},
		{method: "GET", route: "/subdistricts/:id", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.subB} }), want: pgEveryone},
		{method: "GET", route: "/subdistricts/:id", note: "unknown", params: pgIDs(func(f *pgFixture) []int64 { return []int64{999_999} }),
			want: pgWant{nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404}},
		{method: "GET", route: "/transparency/funds", want: pgEveryone},
		{method: "GET", route: "/transparency/funds", note: "one subdistrict and year", query: "?year=2026",
			where: func(f *pgFixture) string { return "&subdistrict=" + strconv.FormatInt(f.subB, 10) }, want: pgEveryone},
		{method: "GET", route: "/providers", want: pgEveryone},
	}},
}
