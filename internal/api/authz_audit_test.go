package api_test

import (
	"fmt"
	"testing"
)

// The audit trail: subdistrict staff read a record of their scope (the
// officer of B gets 404 for A's fund), other roles 403; an unknown type is
// 400 for the staff. The published heads are public.
var azAuditMatrix = map[string][]azMatrixRow{
	"audit": {
		{method: "GET", route: "/api/v1/audit",
			path: func(t testing.TB, f *azFixture) string {
				return fmt.Sprintf("/api/v1/audit?type=fund_account&id=%d", f.e.Demo(t).FundA)
			},
			want: azWant{no401, ok200, ok200, ok200, ok200, no403, no403, nf404, no403, no403, no403}},
		{method: "GET", route: "/api/v1/audit",
			path: func(t testing.TB, f *azFixture) string { return "/api/v1/audit?type=bid&id=1" },
			want: azWant{no401, bad400, bad400, bad400, bad400, no403, no403, bad400, no403, no403, no403}},
		{method: "GET", route: "/api/v1/public/audit/heads",
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
	},
}
