package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// azComplaintShared is what the complaint rows of one matrix group share: an
// active contract of A with demo-org's organization, a complaint to follow,
// and the complaint the identity at hand acts on (made by prepare).
type azComplaintShared struct {
	once      sync.Once
	contract  servertest.Contract
	reference string
	current   int64
}

var (
	azComplaintMu    sync.Mutex
	azComplaintState = map[*azFixture]*azComplaintShared{}
)

func azComplaint(t testing.TB, f *azFixture) *azComplaintShared {
	azComplaintMu.Lock()
	s, ok := azComplaintState[f]
	if !ok {
		s = &azComplaintShared{}
		azComplaintState[f] = s
	}
	azComplaintMu.Unlock()
	s.once.Do(func() {
		s.contract = f.e.ActiveContract(t)
		s.reference = azFileComplaint(t, f, s.contract).Reference
	})
	return s
}

// azFileComplaint files a complaint about org 1's service in A's first
// community of c, with a contact.
func azFileComplaint(t testing.TB, f *azFixture, c servertest.Contract) complaint.Receipt {
	t.Helper()
	r, err := f.e.Services.Complaints.File(context.Background(), f.e.ActorOf(t, "demo-resident"),
		complaint.Input{OrganizationID: f.org1, CommunityID: c.Communities[0], Description: "矩阵投诉", Contact: "13812345678"})
	if err != nil {
		t.Fatalf("File() error = %v", err)
	}
	return r
}

// azPrepareComplaint makes a fresh complaint for the identity's call, assigned
// to its contract when assigned.
func azPrepareComplaint(assigned bool) func(t testing.TB, f *azFixture, i int) {
	return func(t testing.TB, f *azFixture, i int) {
		s := azComplaint(t, f)
		r := azFileComplaint(t, f, s.contract)
		s.current = f.e.IDOf(t, "complaints", "reference = ?", r.Reference)
		if assigned {
			if _, err := f.e.Services.Complaints.Assign(context.Background(), f.e.ActorOf(t, "demo-officer"), s.current, 0); err != nil {
				t.Fatalf("Assign() error = %v", err)
			}
		}
	}
}

func azComplaintPath(action string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		return fmt.Sprintf("/api/v1/complaints/%d/%s", azComplaint(t, f).current, action)
	}
}

// Anyone files and follows; the subdistrict's officer triages and decides,
// another subdistrict's officer finds nothing; the organization's staff
// respond, another organization finds nothing.
var (
	azComplaintOfficer = azWant{no401, no403, no403, ok200, no403, no403, no403, nf404, no403, no403, no403}
	azComplaintOrg     = azWant{no401, no403, no403, no403, no403, no403, ok200, no403, nf404, ok200, no403}
)

var azComplaintMatrix = map[string][]azMatrixRow{
	"complaints": {
		{method: "POST", route: "/api/v1/public/complaints",
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"organization_id": f.org1, "community_id": f.commA, "description": fmt.Sprintf("投诉 %d", i)}
			},
			want: azWant{new201, new201, new201, new201, new201, new201, new201, new201, new201, new201, new201}},
		{method: "GET", route: "/api/v1/public/complaints/:reference",
			path: func(t testing.TB, f *azFixture) string {
				return "/api/v1/public/complaints/" + azComplaint(t, f).reference
			},
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "GET", route: "/api/v1/complaints",
			want: azWant{no401, no403, ok200, ok200, no403, no403, ok200, ok200, ok200, ok200, no403}},
		{method: "POST", route: "/api/v1/complaints/:id/assign", path: azComplaintPath("assign"), prepare: azPrepareComplaint(false),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"contract_id": azComplaint(t, f).contract.ID}
			},
			want: azComplaintOfficer},
		{method: "POST", route: "/api/v1/complaints/:id/respond", path: azComplaintPath("respond"), prepare: azPrepareComplaint(true),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"response": fmt.Sprintf("答复 %d", i)}
			},
			want: azComplaintOrg},
		{method: "POST", route: "/api/v1/complaints/:id/decide", path: azComplaintPath("decide"), prepare: azPrepareComplaint(false),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"outcome": "upheld", "reason": fmt.Sprintf("属实 %d", i)}
			},
			want: azComplaintOfficer},
	},
}
