package api_test

import (
	"fmt"
	"testing"
)

// Track record: the provider profile is public, the same for everyone.
var azTrackMatrix = map[string][]azMatrixRow{
	"track": {
		{method: "GET", route: "/api/v1/public/organizations/:id",
			path: func(t testing.TB, f *azFixture) string { return fmt.Sprintf("/api/v1/public/organizations/%d", f.org1) },
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
	},
}
