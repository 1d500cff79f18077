package api_test

import (
	"fmt"
	"testing"
)

// azCommitmentDigest is the receipt digest of demo-org's bid on the group's
// opened tender, committed at its close.
func azCommitmentDigest(t testing.TB, f *azFixture) string {
	s := azTender(t, f)
	var digest string
	if err := f.e.DB.Raw(`SELECT digest FROM bids WHERE id = ?`, s.bids[s.opened][0]).Scan(&digest).Error; err != nil || digest == "" {
		t.Fatalf("digest of bid %d: %v", s.bids[s.opened][0], err)
	}
	return digest
}

// azCommitmentMatrix: the commitment to the bids and each receipt's inclusion
// proof are public, to anyone, signed in or not (rows in the tender group
// whose tender was closed and opened).
var azCommitmentMatrix = map[string][]azMatrixRow{
	"tender-evaluation": {
		{method: "GET", route: "/api/v1/public/tenders/:id/commitment",
			path: func(t testing.TB, f *azFixture) string {
				return fmt.Sprintf("/api/v1/public/tenders/%d/commitment", azTender(t, f).opened)
			},
			want: azTenderPublic},
		{method: "GET", route: "/api/v1/public/tenders/:id/commitment/proof",
			path: func(t testing.TB, f *azFixture) string {
				return fmt.Sprintf("/api/v1/public/tenders/%d/commitment/proof?digest=%s", azTender(t, f).opened, azCommitmentDigest(t, f))
			},
			want: azTenderPublic},
	},
}
