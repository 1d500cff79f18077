package api_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/money"
)

// azFundShared is what the fund rows of one matrix group share: a fund account
// of 爱山 (A), opened by demo-finance with money appropriated to it once.
type azFundShared struct {
	once sync.Once
	id   int64
}

var (
	azFundMu    sync.Mutex
	azFundState = map[*azFixture]*azFundShared{}
)

// azFund returns the id of the group's fund account of A, opening it and
// appropriating 100,000.00 yuan to it through the API on first use.
func azFund(t testing.TB, f *azFixture) int64 {
	azFundMu.Lock()
	s, ok := azFundState[f]
	if !ok {
		s = &azFundShared{}
		azFundState[f] = s
	}
	azFundMu.Unlock()
	s.once.Do(func() {
		t := t
		t.Helper()
		finance := f.tokens["demo-finance"]
		s.id = fundCreate(t, f.e, finance, fundBody("矩阵共享经费", "ELDERLY_HOME_CARE", "LEGAL_AID")).ID
		fundAppropriate(t, f.e, finance, s.id, map[string]any{"amount_fen": money.Fen(10_000_000),
			"document_ref": "湖吴财〔2026〕1号", "idempotency_key": "matrix-shared"})
	})
	return s.id
}

// azFundPath returns a path under the group's fund account of A.
func azFundPath(suffix string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string { return fundPath(azFund(t, f), suffix) }
}

// azFundFixed returns path after making sure the group's fund account exists,
// so that the lists and reports have something of A to show.
func azFundFixed(path string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		azFund(t, f)
		return path
	}
}

// Wants shared by several fund rows: the readers (officers of A's
// subdistrict and the admins above it; B's procurement officer finds nothing
// of A's), and the finance officer of A alone.
var (
	azFundListReaders = azWant{no401, ok200, ok200, ok200, ok200, no403, no403, ok200, no403, no403, no403}
	azFundReaders     = azWant{no401, ok200, ok200, ok200, ok200, no403, no403, nf404, no403, no403, no403}
	azFundFinance     = azWant{no401, no403, no403, no403, new201, no403, no403, no403, no403, no403, no403}
)

// azFundMatrix covers the fund-account, posting and report routes. Only a
// finance officer opens accounts and posts appropriations and corrections: a
// procurement officer, of A or of B, reads but may not post (403).
var azFundMatrix = map[string][]azMatrixRow{
	"fund-accounts": {
		{method: "GET", route: "/api/v1/fund-accounts", path: azFundFixed("/api/v1/fund-accounts"), want: azFundListReaders},
		{method: "POST", route: "/api/v1/fund-accounts",
			body: func(t testing.TB, f *azFixture, i int) any {
				return fundBody(fmt.Sprintf("矩阵经费%d", i), "ELDERLY_HOME_CARE")
			},
			want: azFundFinance},
		{method: "GET", route: "/api/v1/fund-accounts/:id", path: azFundPath(""), want: azFundReaders},
	},
	"fund-ledger": {
		{method: "POST", route: "/api/v1/fund-accounts/:id/appropriations", path: azFundPath("/appropriations"),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"amount_fen": 100_000 + i, "document_ref": fmt.Sprintf("湖吴财〔2026〕%d号", 100+i),
					"idempotency_key": fmt.Sprintf("matrix-appropriation-%d", i)}
			},
			want: azFundFinance},
		{method: "POST", route: "/api/v1/fund-accounts/:id/corrections", path: azFundPath("/corrections"),
			// Each identity corrects a fresh appropriation, so that every call meets one that can be corrected.
			body: func(t testing.TB, f *azFixture, i int) any {
				p := fundAppropriate(t, f.e, f.tokens["demo-finance"], azFund(t, f), map[string]any{"amount_fen": 200_000 + i,
					"document_ref": fmt.Sprintf("湖吴财〔2026〕%d号", 200+i), "idempotency_key": fmt.Sprintf("matrix-to-correct-%d", i)})
				return map[string]any{"posting_id": p.ID, "reason": fmt.Sprintf("矩阵更正 %d", i)}
			},
			want: azFundFinance},
		{method: "GET", route: "/api/v1/fund-accounts/:id/postings", path: azFundPath("/postings"), want: azFundReaders},
		{method: "GET", route: "/api/v1/fund-accounts/:id/postings", path: azFundPath("/postings?format=csv"), want: azFundReaders},
	},
	"fund-reports": {
		{method: "GET", route: "/api/v1/reports/funds", path: azFundFixed("/api/v1/reports/funds"), want: azFundListReaders},
		{method: "GET", route: "/api/v1/reports/community-funding-floor", path: azFundFixed("/api/v1/reports/community-funding-floor"),
			want: azFundListReaders},
	},
}
