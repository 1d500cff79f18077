package ui_test

import "fmt"

// Wants of the audit viewer: subdistrict staff open it; 飞英's staff find no
// record of 爱山 (404) and every staff member is told of a bad type (400).
var (
	pgAuditReaders = pgWant{login, ok200, ok200, ok200, ok200, no403, no403, ok200, no403, no403, no403, ok200}
	pgAuditBad     = pgWant{login, bad400, bad400, bad400, bad400, no403, no403, bad400, no403, no403, no403, bad400}
)

// pgAuditMatrix covers the audit viewer, on 爱山's fiscal fund, and the
// public list of the audit chain's published heads.
var pgAuditMatrix = map[string]pgGroup{
	"audit": {rows: []pgRow{
		{method: "GET", route: "/audit", want: pgAuditReaders},
		{method: "GET", route: "/audit", note: "爱山's fund", query: "?type=fund_account",
			where: func(f *pgFixture) string { return fmt.Sprintf("&id=%d", f.fundA) }, want: pgFundA},
		{method: "GET", route: "/audit", note: "not a record type", query: "?type=bid&id=1", want: pgAuditBad},
		{method: "GET", route: "/transparency/audit-heads", want: pgEveryone},
	}},
}
