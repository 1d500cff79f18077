package ui_test

// pgRedFlagMatrix covers the public list of red flags: everyone reads it; a
// bad filter is the filter form again, with its alert, for everyone.
var pgRedFlagMatrix = map[string]pgGroup{
	"red-flags": {rows: []pgRow{
		{method: "GET", route: "/transparency/red-flags", want: pgEveryone},
		{method: "GET", route: "/transparency/red-flags", note: "a bad kind", query: "?kind=bribery",
			want: pgWant{bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}},
	}},
}
