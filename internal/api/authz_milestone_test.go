package api_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// azMilestoneShared is what the milestone rows of one matrix group share: a
// contract of 爱山 (A) signed by demo-org's organization, whose signing
// milestone is due.
type azMilestoneShared struct {
	once      sync.Once
	contract  servertest.Contract
	milestone int64     // the signing milestone
	payable   money.Fen // what it pays
}

var (
	azMilestoneMu    sync.Mutex
	azMilestoneState = map[*azFixture]*azMilestoneShared{}
)

func azMilestone(t testing.TB, f *azFixture) *azMilestoneShared {
	azMilestoneMu.Lock()
	s, ok := azMilestoneState[f]
	if !ok {
		s = &azMilestoneShared{}
		azMilestoneState[f] = s
	}
	azMilestoneMu.Unlock()
	s.once.Do(func() {
		s.contract = f.e.SignedContract(t, 45_000_000)
		if err := f.e.DB.Table("contract_milestones").Select("id").Where("contract_id = ? AND seq = 1", s.contract.ID).
			Take(&s.milestone).Error; err != nil {
			t.Fatal(err)
		}
		s.payable = 13_500_000
	})
	return s
}

func azMilestonePath(format string, id func(*azMilestoneShared) int64) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string { return fmt.Sprintf(format, id(azMilestone(t, f))) }
}

// milestoneInvoiceBody returns a multipart invoice form of the fields and
// the file content (none when nil), with boundary ("" for a random one), and
// its Content-Type.
func milestoneInvoiceBody(t testing.TB, boundary string, fields map[string]string, content []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if boundary != "" {
		if err := w.SetBoundary(boundary); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if content != nil {
		part, err := w.CreateFormFile("file", "发票.pdf")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := part.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

// Milestones: the contract's readers list them; the subdistrict's
// procurement officer accepts, the organization's staff attach the invoice
// (the member's replaces the admin's), the subdistrict's finance officer
// approves; the rows run in this order, each on what the one before left.
var azMilestoneMatrix = map[string][]azMatrixRow{
	"milestones": {
		{method: "GET", route: "/api/v1/contracts/:id/milestones",
			path: azMilestonePath("/api/v1/contracts/%d/milestones", func(s *azMilestoneShared) int64 { return s.contract.ID }),
			want: azWant{no401, ok200, ok200, ok200, ok200, no403, ok200, nf404, nf404, ok200, no403}},
		{method: "POST", route: "/api/v1/milestones/:id/invoice",
			path:   azMilestonePath("/api/v1/milestones/%d/invoice", func(s *azMilestoneShared) int64 { return s.milestone }),
			header: map[string]string{"Content-Type": "multipart/form-data; boundary=" + azUploadBoundary},
			body: func(t testing.TB, f *azFixture, i int) any {
				_, b := milestoneInvoiceBody(t, azUploadBoundary, map[string]string{"kind": "invoice", "number": fmt.Sprintf("No.0000%02d", i),
					"amount_fen": fmt.Sprint(azMilestone(t, f).payable)}, []byte(orgPDF))
				return b
			},
			want: azWant{no401, no403, no403, no403, no403, no403, ok200, no403, nf404, ok200, no403}},
		{method: "POST", route: "/api/v1/milestones/:id/accept",
			path: azMilestonePath("/api/v1/milestones/%d/accept", func(s *azMilestoneShared) int64 { return s.milestone }),
			body: func(t testing.TB, f *azFixture, i int) any { return map[string]any{"note": "已验收"} },
			want: azWant{no401, no403, no403, ok200, no403, no403, no403, nf404, no403, no403, no403}},
		{method: "GET", route: "/api/v1/milestones/:id/invoice",
			path: azMilestonePath("/api/v1/milestones/%d/invoice", func(s *azMilestoneShared) int64 { return s.milestone }),
			want: azWant{no401, ok200, ok200, ok200, ok200, no403, ok200, nf404, nf404, ok200, no403}},
		{method: "POST", route: "/api/v1/milestones/:id/approve",
			path: azMilestonePath("/api/v1/milestones/%d/approve", func(s *azMilestoneShared) int64 { return s.milestone }),
			want: azWant{no401, no403, no403, no403, ok200, no403, no403, no403, no403, no403, no403}},
	},
}
