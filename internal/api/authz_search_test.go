package api_test

import "testing"

// The search: every signed-in role searches within its scope; a query of
// one character is 400 for each of them.
var azSearchMatrix = map[string][]azMatrixRow{
	"search": {
		{method: "GET", route: "/api/v1/search",
			path: func(t testing.TB, f *azFixture) string { return "/api/v1/search?q=%E5%85%BB%E8%80%81" }, // 养老
			want: azWant{no401, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "GET", route: "/api/v1/search",
			path: func(t testing.TB, f *azFixture) string { return "/api/v1/search?q=%E5%85%BB" }, // 养
			want: azWant{no401, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}},
	},
}
