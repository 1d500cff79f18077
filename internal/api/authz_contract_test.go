package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/demo"
)

// azContractShared is what the contract rows of one matrix group share: the
// demo tenders, seeded on first use, and their draft contract of 爱山 (A) with demo-org (org 1), its communities and
// a metric code, the two parties as actors for readying a cell's records
// through the service, and the amendment the current cell addresses.
type azContractShared struct {
	once        sync.Once
	id          int64
	communities []int64
	metric      string
	officer     access.Actor
	org         access.Actor
	amendment   int64
}

var (
	azContractMu    sync.Mutex
	azContractState = map[*azFixture]*azContractShared{}
)

// azContract returns the group's shared contract state, reading it on first use.
func azContract(t testing.TB, f *azFixture) *azContractShared {
	azContractMu.Lock()
	s, ok := azContractState[f]
	if !ok {
		s = &azContractShared{}
		azContractState[f] = s
	}
	azContractMu.Unlock()
	s.once.Do(func() {
		e := f.e
		if err := demo.SeedTenders(context.Background(), e.DB, e.Clock, demo.Keys{Seal: e.Cfg.Tender.SealKey, Rating: e.Cfg.Rating.CodeKey, Uploads: e.Cfg.Uploads}); err != nil {
			t.Fatalf("demo.SeedTenders() error = %v", err)
		}
		s.id = e.IDOf(t, "contracts", "status = ? AND subdistrict_id = ? AND organization_id = ?", contract.StatusDraft, f.subA, f.org1)
		s.officer, s.org = e.ActorOf(t, "demo-officer"), e.ActorOf(t, "demo-org")
		v, err := e.Services.Contracts.Get(context.Background(), s.officer, s.id)
		if err != nil {
			t.Fatalf("Contracts.Get(%d) error = %v", s.id, err)
		}
		for _, c := range v.Communities {
			s.communities = append(s.communities, c.ID)
		}
		s.metric = v.Metrics[0].Code
	})
	return s
}

// azContractPath returns the path of the group's contract followed by suffix.
func azContractPath(suffix string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		return fmt.Sprintf("/api/v1/contracts/%d%s", azContract(t, f).id, suffix)
	}
}

// azAmendmentPath returns the path of the amendment the cell addresses.
func azAmendmentPath(suffix string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		return fmt.Sprintf("/api/v1/contract-amendments/%d%s", azContract(t, f).amendment, suffix)
	}
}

// azContractChange is an amendment's change that any number of amendments
// may repeat: a metric's target.
func azContractChange(s *azContractShared, i int) contract.AmendmentInput {
	return contract.AmendmentInput{Reason: fmt.Sprintf("矩阵测试变更 %d", i),
		Changes: contract.Changes{Targets: []contract.TargetInput{{Code: s.metric, Target: float64(100 + i)}}}}
}

// azOpenAmendment returns the contract's amendment awaiting a decision: its
// id and the side that proposed it (0 and "" when none).
func azOpenAmendment(t testing.TB, f *azFixture, s *azContractShared) (int64, string) {
	var open []contract.Amendment
	if err := f.e.DB.Where("contract_id = ? AND status = 'proposed'", s.id).Find(&open).Error; err != nil {
		t.Fatal(err)
	}
	if len(open) == 0 {
		return 0, ""
	}
	return open[0].ID, open[0].ProposedSide
}

// azAmendmentBy leaves the contract with an open amendment proposed by side
// ("subdistrict" or "organization"; "" for either) and addresses it: an open
// one of the other side is rejected by the side first.
func azAmendmentBy(t testing.TB, f *azFixture, side string, i int) {
	s := azContract(t, f)
	ctx := context.Background()
	id, by := azOpenAmendment(t, f, s)
	if id != 0 && (side == "" || side == by) {
		s.amendment = id
		return
	}
	proposer := s.officer
	if side == "organization" {
		proposer = s.org
	}
	if id != 0 {
		if _, err := f.e.Services.Contracts.DecideAmendment(ctx, proposer, id, false, "矩阵测试：改提新的变更"); err != nil {
			t.Fatalf("reject amendment %d: %v", id, err)
		}
	}
	a, err := f.e.Services.Contracts.ProposeAmendment(ctx, proposer, s.id, azContractChange(s, i))
	if err != nil {
		t.Fatalf("propose an amendment as the %s: %v", side, err)
	}
	s.amendment = a.ID
}

// azAmendmentFor readies an amendment that identity i may decide: the
// officer decides the organization's, the organization's admin the
// officer's; anyone else is refused whichever is open.
func azAmendmentFor(t testing.TB, f *azFixture, i int) {
	switch azIdentities[i] {
	case "demo-officer":
		azAmendmentBy(t, f, "organization", i)
	case "demo-org":
		azAmendmentBy(t, f, "subdistrict", i)
	default:
		azAmendmentBy(t, f, "", i)
	}
}

// azNoOpenAmendment rejects the amendment awaiting a decision, if any, so
// that identity i may propose one.
func azNoOpenAmendment(t testing.TB, f *azFixture, i int) {
	s := azContract(t, f)
	id, by := azOpenAmendment(t, f, s)
	if id == 0 {
		return
	}
	decider := s.org
	if by == "organization" {
		decider = s.officer
	}
	if _, err := f.e.Services.Contracts.DecideAmendment(context.Background(), decider, id, false, "矩阵测试：另提变更"); err != nil {
		t.Fatalf("reject amendment %d: %v", id, err)
	}
}

// azTerminationFor readies the contract's termination requests for identity
// i: the officer rejects an open request of the organization (one is made
// when none is open), the organization's admin makes one (an open one is
// rejected first). The contract stays signed.
func azTerminationFor(t testing.TB, f *azFixture, i int) {
	s := azContract(t, f)
	var open int64
	if err := f.e.DB.Table("contract_termination_requests").Where("contract_id = ? AND status = 'proposed'", s.id).Count(&open).Error; err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var err error
	switch who := azIdentities[i]; {
	case who == "demo-officer" && open == 0:
		_, err = f.e.Services.Contracts.Terminate(ctx, s.org, s.id, contract.TerminateInput{Reason: "矩阵测试：申请解除"})
	case who == "demo-org" && open > 0:
		_, err = f.e.Services.Contracts.Terminate(ctx, s.officer, s.id, contract.TerminateInput{Reason: "矩阵测试：继续履约",
			Decision: contract.DecisionReject})
	}
	if err != nil {
		t.Fatalf("ready the termination requests for %s: %v", azIdentities[i], err)
	}
}

// azContractMatrix covers the contract routes on the demo's draft contract
// of 爱山 with demo-org, in lifecycle order (the rows run in turn): reads,
// the officer's change, both signatures, the kept version and the public
// summary, amendments and their decisions, termination requests. Contract
// readers are subdistrict staff and the organization's staff, each within
// its scope (another subdistrict's officer and another organization get
// 404); the parties are the subdistrict's procurement officer and the
// organization's admin. Evaluators and residents read no contract.
var azContractMatrix = map[string][]azMatrixRow{
	"contracts": {
		{method: "GET", route: "/api/v1/contracts",
			path: func(t testing.TB, f *azFixture) string { azContract(t, f); return "/api/v1/contracts?status=draft" },
			want: azWant{no401, ok200, ok200, ok200, ok200, no403, ok200, ok200, ok200, ok200, no403}},
		{method: "GET", route: "/api/v1/contracts/:id", path: azContractPath(""),
			want: azWant{no401, ok200, ok200, ok200, ok200, no403, ok200, nf404, nf404, ok200, no403}},
		{method: "PATCH", route: "/api/v1/contracts/:id", path: azContractPath(""),
			body: func(t testing.TB, f *azFixture, i int) any {
				list := []map[string]any{}
				for _, id := range azContract(t, f).communities {
					list = append(list, map[string]any{"community_id": id, "eligible_population": 1000 + i})
				}
				return map[string]any{"eligible_populations": list}
			},
			want: azWant{no401, no403, no403, ok200, no403, no403, no403, nf404, no403, no403, no403}},
		// The officer signs, then the organization's admin: the contract is signed.
		{method: "POST", route: "/api/v1/contracts/:id/sign", path: azContractPath("/sign"),
			want: azWant{no401, no403, no403, ok200, no403, no403, ok200, nf404, nf404, no403, no403}},
		{method: "GET", route: "/api/v1/contracts/:id/versions/:version", path: azContractPath("/versions/1"),
			want: azWant{no401, ok200, ok200, ok200, ok200, no403, ok200, nf404, nf404, ok200, no403}},
		{method: "GET", route: "/api/v1/public/contracts/:id",
			path: func(t testing.TB, f *azFixture) string {
				return fmt.Sprintf("/api/v1/public/contracts/%d", azContract(t, f).id)
			},
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "POST", route: "/api/v1/contracts/:id/amendments", path: azContractPath("/amendments"), prepare: azNoOpenAmendment,
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"reason": fmt.Sprintf("矩阵测试变更 %d", i),
					"targets": []map[string]any{{"code": azContract(t, f).metric, "target": 200 + i}}}
			},
			want: azWant{no401, no403, no403, new201, no403, no403, new201, nf404, nf404, no403, no403}},
		{method: "POST", route: "/api/v1/contract-amendments/:id/accept", path: azAmendmentPath("/accept"), prepare: azAmendmentFor,
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"note": fmt.Sprintf("同意 %d", i)}
			},
			want: azWant{no401, no403, no403, ok200, no403, no403, ok200, nf404, nf404, no403, no403}},
		{method: "POST", route: "/api/v1/contract-amendments/:id/reject", path: azAmendmentPath("/reject"), prepare: azAmendmentFor,
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"note": fmt.Sprintf("不同意 %d", i)}
			},
			want: azWant{no401, no403, no403, ok200, no403, no403, ok200, nf404, nf404, no403, no403}},
		// The officer rejects the organization's request; the organization's admin requests.
		{method: "POST", route: "/api/v1/contracts/:id/terminate", path: azContractPath("/terminate"), prepare: azTerminationFor,
			body: func(t testing.TB, f *azFixture, i int) any {
				if azIdentities[i] == "demo-officer" {
					return map[string]any{"reason": "继续履约", "decision": contract.DecisionReject}
				}
				return map[string]any{"reason": fmt.Sprintf("矩阵测试：申请解除 %d", i)}
			},
			want: azWant{no401, no403, no403, ok200, no403, no403, ok200, nf404, nf404, no403, no403}},
	},
}
