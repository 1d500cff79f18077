package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
)

func commitmentPath(id int64, suffix string) string {
	return fmt.Sprintf("/api/v1/public/tenders/%d/commitment%s", id, suffix)
}

// TestBidCommitmentAPI: before the close the commitment and proofs are 409;
// after it anyone reads the count and root and, for each bidder's receipt
// digest, a proof that verifies against that root; a malformed digest is 400
// and an unknown one 404, writing nothing; a draft is 404.
func TestBidCommitmentAPI(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	v := w.published(t, w.tenderBody(3))
	var receipts []tender.Receipt
	for i, o := range w.orgs[:3] {
		receipts = append(receipts, w.bid(t, o.Admin, v.ID, money.Fen(40_000_000+i*100_000)))
	}
	w.refused(t, "GET", commitmentPath(v.ID, ""), "", nil, http.StatusConflict, "tender.not_committed")
	w.refused(t, "GET", commitmentPath(v.ID, "/proof?digest="+receipts[0].Digest), "", nil, http.StatusConflict, "tender.not_committed")

	w.advance(t, v.ID, v.ClosesAt)
	for _, who := range []string{"", "demo-officer", w.orgs[0].Admin, "demo-resident"} {
		var c tender.BidCommitment
		w.call(t, "GET", commitmentPath(v.ID, ""), who, nil, http.StatusOK, &c)
		if c.BidCount != 3 || len(c.Root) != 64 || c.LeafOrder == "" {
			t.Errorf("commitment as %q = %+v, want 3 bids and a root", who, c)
		}
		for _, r := range receipts {
			var p tender.InclusionProof
			w.call(t, "GET", commitmentPath(v.ID, "/proof?digest="+strings.ToUpper(r.Digest)), who, nil, http.StatusOK, &p)
			if !p.Verified || p.Root != c.Root || p.Size != 3 || p.Digest != r.Digest || !tender.VerifyProof(p) {
				t.Errorf("proof of %s as %q = %+v, want verified against %s", r.Digest, who, p, c.Root)
			}
		}
	}
	for _, q := range []string{"", "?digest=", "?digest=xyz", "?digest=" + receipts[0].Digest[:63], "?digest=" + receipts[0].Digest + "0",
		"?digest=" + strings.Repeat("g", 64)} {
		w.refused(t, "GET", commitmentPath(v.ID, "/proof"+q), "", nil, http.StatusBadRequest, "validation", "digest")
	}
	w.refused(t, "GET", commitmentPath(v.ID, "/proof?digest="+strings.Repeat("0", 64)), "", nil, http.StatusNotFound, "tender.digest_not_committed")
	draft := w.create(t, w.tenderBody(3))
	w.refused(t, "GET", commitmentPath(draft.ID, ""), "", nil, http.StatusNotFound, "not_found")
	w.refused(t, "GET", commitmentPath(draft.ID, "/proof?digest="+receipts[0].Digest), "", nil, http.StatusNotFound, "not_found")
	w.refused(t, "GET", "/api/v1/public/tenders/abc/commitment", "", nil, http.StatusNotFound, "not_found")

	w.open(t, v.ID)
	var c tender.BidCommitment
	w.call(t, "GET", commitmentPath(v.ID, ""), "", nil, http.StatusOK, &c)
	rec := w.openingRecord(t, "demo-officer", v.ID)
	if c.BidCount != len(rec.Bids) {
		t.Errorf("commitment counts %d bids, the opening record %d", c.BidCount, len(rec.Bids))
	}
}
