package ui_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	"github.com/jiedao-market/jiedao/internal/contract"
)

// pgContractSet are the contracts of 爱山 with demo-org's 康乐 the contract
// rows address, made by two awards through the services.
type pgContractSet struct {
	draft     int64 // a draft within its signing period, no population entered
	community int64 // one of the draft's communities
	signed    int64 // signed by both, with demo-org's amendment awaiting the officer
	amendment int64 // that amendment
}

const pgDraftTitle = "矩阵测试：合同草稿"

// pgContractRecords awards two tenders to demo-org (the committee ranks its
// cheaper bid first), then signs the second contract and has demo-org propose
// an amendment of it.
func pgContractRecords(t *testing.T, f *pgFixture) {
	ctx, e := context.Background(), f.e
	ids := awardedContracts(t, e, pgDraftTitle, "矩阵测试：已签订合同")
	s := &pgContractSet{draft: ids[0], signed: ids[1]}
	f.contracts = s
	s.community = e.IDOf(t, "communities", "id = (SELECT min(community_id) FROM contract_communities WHERE contract_id = ?)", s.draft)
	cs, officer, org := e.Services.Contracts, e.ActorOf(t, "demo-officer"), e.ActorOf(t, "demo-org")
	v, err := cs.Get(ctx, officer, s.signed)
	if err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	pops := []contract.PopulationInput{}
	for _, cm := range v.Communities {
		pops = append(pops, contract.PopulationInput{CommunityID: cm.ID, EligiblePopulation: 200})
	}
	if _, err := cs.Update(ctx, officer, s.signed, contract.Patch{Populations: &pops}); err != nil {
		t.Fatalf("Update() error = %v", err)
	}
	for _, who := range []string{"demo-officer", "demo-org"} {
		if _, err := cs.Sign(ctx, e.ActorOf(t, who), s.signed); err != nil {
			t.Fatalf("Sign(%s) error = %v", who, err)
		}
	}
	end := v.ServiceEnd.AddDays(-30)
	a, err := cs.ProposeAmendment(ctx, org, s.signed, contract.AmendmentInput{Reason: "矩阵测试：缩短服务期", Changes: contract.Changes{ServiceEnd: &end}})
	if err != nil {
		t.Fatalf("ProposeAmendment() error = %v", err)
	}
	s.amendment = a.ID
}

// Wants shared by the contract rows: the readers of 爱山's contracts with
// 康乐, and the parties' forms, whose callers the service refuses or whose
// bad input it names (飞英's officer and another organization find no such
// contract).
var (
	pgContractReaders = pgWant{login, no403, no403, ok200, ok200, no403, ok200, ok200, ok200, ok200, no403, ok200}
	pgContractA       = pgWant{login, no403, no403, ok200, ok200, no403, ok200, nf404, nf404, ok200, no403, nf404}
	pgContractBad     = pgWant{login, no403, no403, bad400, no403, no403, bad400, nf404, nf404, no403, no403, no403}
)

func pgDraft(f *pgFixture) []int64  { return []int64{f.contracts.draft} }
func pgSigned(f *pgFixture) []int64 { return []int64{f.contracts.signed} }

// pgContractMatrix covers the contract pages. The forms are refused by the
// state or the input, so that every caller meets the same contract; the
// organization's signature, which goes through, comes last.
var pgContractMatrix = map[string]pgGroup{
	"contracts": {setup: pgContractRecords, rows: []pgRow{
		{method: "GET", route: "/contracts", want: pgContractReaders,
			scope: &pgScope{text: pgText(pgDraftTitle), shown: []string{"demo-officer", "demo-finance", "demo-org", "demo-member"},
				hidden: []string{"demo-officer2", "demo-org2", pgFinance2}}},
		{method: "GET", route: "/contracts/:id", note: "a draft", params: pgIDs(pgDraft), want: pgContractA},
		{method: "GET", route: "/contracts/:id", note: "signed", params: pgIDs(pgSigned), want: pgContractA,
			scope: &pgScope{text: pgText(`id="service-records"`), shown: []string{"demo-officer", "demo-org", "demo-member"}, hidden: []string{"demo-finance"}}},
		{method: "GET", route: "/procurement/contracts/:id", note: "signed", params: pgIDs(pgSigned), want: pgEveryone},
		{method: "GET", route: "/procurement/contracts/:id", note: "a draft", params: pgIDs(pgDraft),
			want: pgWant{nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404}},
		{method: "POST", route: "/contracts/:id/terms", note: "a population of 0", params: pgIDs(pgDraft),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"population_" + strconv.FormatInt(f.contracts.community, 10): {"0"}}
			},
			want: pgWant{login, no403, no403, bad400, no403, no403, no403, nf404, no403, no403, no403, no403}},
		{method: "POST", route: "/contracts/:id/amendments", note: "without a reason", params: pgIDs(pgSigned),
			form: func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"amount": {"1"}} },
			want: pgContractBad},
		{method: "POST", route: "/contracts/:id/amendments/:aid/decide", note: "a rejection without a note",
			params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.contracts.signed, f.contracts.amendment} }),
			form:   func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"decision": {"reject"}} },
			// The organization proposed it: the officer decides.
			want: pgWant{login, no403, no403, bad400, no403, no403, rf403, nf404, nf404, no403, no403, no403}},
		{method: "POST", route: "/contracts/:id/terminate", note: "without a reason", params: pgIDs(pgSigned), want: pgContractBad},
		{method: "POST", route: "/contracts/:id/terminate", note: "a draft within its signing period", params: pgIDs(pgDraft),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				if pgIdentities[i] == "demo-org" {
					return url.Values{"form": {"request"}, "reason": {"矩阵测试：申请解除"}}
				}
				return url.Values{"form": {"drop"}, "reason": {"矩阵测试：作废"}, "next": {"cancel"}}
			},
			want: pgWant{login, no403, no403, cf409, no403, no403, cf409, nf404, nf404, no403, no403, no403}},
		// The officer has entered no population; the organization signs.
		{method: "POST", route: "/contracts/:id/sign", params: pgIDs(pgDraft),
			want: pgWant{login, no403, no403, bad400, no403, no403, to303, nf404, nf404, no403, no403, no403}},
	}},
}
