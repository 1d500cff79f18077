package api_test

// azRedFlagMatrix covers the public red flags: everyone reads them, signed in
// or not; a bad filter is 400 for everyone.
var azRedFlagMatrix = map[string][]azMatrixRow{
	"red-flags": {
		{method: "GET", route: "/api/v1/public/red-flags",
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "GET", route: "/api/v1/public/red-flags", path: azExportPath("/api/v1/public/red-flags?kind=bribery"),
			want: azWant{bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}},
	},
}
