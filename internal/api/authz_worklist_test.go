package api_test

// The worklist: every signed-in user reads their own.
var azWorklistMatrix = map[string][]azMatrixRow{
	"worklist": {
		{method: "GET", route: "/api/v1/worklist",
			want: azWant{no401, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
	},
}
