package ui_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

// pgComplaintSet is what the officers' rows address: an active contract of
// org 1 in 爱山 (A) serving 南街社区 and another of org 1 that does not, a
// complaint of A and one of 飞英 (B) to list, and unmet service requests in
// both subdistricts for the demand report.
type pgComplaintSet struct {
	contract  servertest.Contract
	elsewhere int64 // org 1's contract in A not serving 南街社区
	listed    int64 // A's complaint about org 1 in 南街社区, with a contact
}

func pgComplaintRecords(t *testing.T, f *pgFixture) {
	s := pgComplaintSet{contract: f.e.ActiveContract(t)}
	s.elsewhere = f.e.ActiveContract(t).ID
	if err := f.e.DB.Exec(`DELETE FROM contract_communities WHERE contract_id = ? AND community_id = ?`, s.elsewhere, f.commA).Error; err != nil {
		t.Fatal(err)
	}
	f.complaints = &s
	s.listed = pgFileComplaint(t, f, f.org1, f.commA, "矩阵队列投诉", "13812345678")
	pgFileComplaint(t, f, f.org2, f.commB, "飞英街道的投诉", "13900009999")
	for who, comm := range map[string]int64{"demo-officer": f.commA, "demo-officer2": f.commB} {
		if _, err := f.e.Services.ServiceRequests.Create(t.Context(), f.e.ActorOf(t, who), servicerequest.Input{CommunityID: comm,
			Note: "矩阵私人定制需求", ContactName: "来电人", ContactPhone: "12345"}); err != nil {
			t.Fatalf("Create() error = %v", err)
		}
	}
}

// pgFileComplaint files a complaint about org in community comm, as a
// resident without an account does, and returns its id.
func pgFileComplaint(t *testing.T, f *pgFixture, org, comm int64, description, contact string) int64 {
	t.Helper()
	r, err := f.e.Services.Complaints.File(t.Context(), access.Anonymous("matrix", "10.40.0.1"),
		complaint.Input{OrganizationID: org, CommunityID: comm, Description: description, Contact: contact})
	if err != nil {
		t.Fatalf("File() error = %v", err)
	}
	return f.e.IDOf(t, "complaints", "reference = ?", r.Reference)
}

// pgFreshComplaint makes, for each cell, a complaint of A about org 1 in
// 南街社区 (filed with the one contract serving it), taken a step by the
// officer of A when step is "assigned" or "decided".
func pgFreshComplaint(step string) func(t *testing.T, f *pgFixture) []any {
	return func(t *testing.T, f *pgFixture) []any {
		id := pgFileComplaint(t, f, f.org1, f.commA, fmt.Sprintf("矩阵投诉 %d", f.next()), "")
		officer := f.e.ActorOf(t, "demo-officer")
		switch step {
		case "assigned":
			if _, err := f.e.Services.Complaints.Assign(t.Context(), officer, id, 0); err != nil {
				t.Fatalf("Assign() error = %v", err)
			}
		case "decided":
			if _, err := f.e.Services.Complaints.Decide(t.Context(), officer, id, complaint.NotUpheld, "查无此事"); err != nil {
				t.Fatalf("Decide() error = %v", err)
			}
		}
		return []any{id}
	}
}

func pgComplaintForm(values map[string]func(f *pgFixture) string) func(t *testing.T, f *pgFixture, i int) url.Values {
	return func(t *testing.T, f *pgFixture, i int) url.Values {
		out := url.Values{}
		for k, v := range values {
			out.Set(k, v(f))
		}
		return out
	}
}

func pgContractID(pick func(s *pgComplaintSet) int64) func(f *pgFixture) string {
	return func(f *pgFixture) string { return fmt.Sprint(pick(f.complaints)) }
}

// Wants of the officers' pages. The queue: the subdistricts' procurement
// officers and the district admin (read only); its forms: the procurement
// officers, another subdistrict's finding no such complaint (a form refused
// for its input before the complaint is read is 400 for it too). The
// demand report: the procurement officers and both admins.
var (
	pgQueueRead     = pgWant{login, no403, ok200, ok200, no403, no403, no403, ok200, no403, no403, no403, no403}
	pgQueueBad      = pgWant{login, no403, bad400, bad400, no403, no403, no403, bad400, no403, no403, no403, no403}
	pgTriage        = pgWant{login, no403, no403, to303, no403, no403, no403, nf404, no403, no403, no403, no403}
	pgTriageBad     = pgWant{login, no403, no403, bad400, no403, no403, no403, nf404, no403, no403, no403, no403}
	pgTriageInput   = pgWant{login, no403, no403, bad400, no403, no403, no403, bad400, no403, no403, no403, no403}
	pgTriageState   = pgWant{login, no403, no403, cf409, no403, no403, no403, nf404, no403, no403, no403, no403}
	pgDemandRead    = pgWant{login, ok200, ok200, ok200, no403, no403, no403, ok200, no403, no403, no403, no403}
	pgDemandBad     = pgWant{login, bad400, bad400, bad400, no403, no403, no403, bad400, no403, no403, no403, no403}
	pgAllButOfficer = slices.DeleteFunc(slices.Clone(pgIdentities), func(who string) bool { return who == "demo-officer" })
)

// pgOfficerMatrix covers the officers' complaint queue and demand report.
var pgOfficerMatrix = map[string]pgGroup{
	"officers' complaints and demand": {setup: pgComplaintRecords, rows: []pgRow{
		{method: "GET", route: "/complaints", want: pgQueueRead,
			scope: &pgScope{text: pgText("矩阵队列投诉"), shown: []string{"demo-officer", "demo-district"}, hidden: []string{"demo-officer2"}}},
		{method: "GET", route: "/complaints", note: "another subdistrict's", want: pgQueueRead,
			scope: &pgScope{text: pgText("飞英街道的投诉"), shown: []string{"demo-officer2", "demo-district"}, hidden: []string{"demo-officer"}}},
		// The contact: the officers of the complaint's subdistrict alone.
		{method: "GET", route: "/complaints", note: "the contact", want: pgQueueRead,
			scope: &pgScope{text: pgText("13812345678"), shown: []string{"demo-officer"}, hidden: pgAllButOfficer}},
		// The district admin reads the queue without its forms.
		{method: "GET", route: "/complaints", note: "the forms", want: pgQueueRead,
			scope: &pgScope{text: func(f *pgFixture) string { return fmt.Sprintf(`action="/complaints/%d/decide"`, f.complaints.listed) },
				shown: []string{"demo-officer"}, hidden: []string{"demo-district", "demo-officer2"}}},
		{method: "GET", route: "/complaints", note: "no such state", query: "?status=open", want: pgQueueBad},
		{method: "POST", route: "/complaints/:id/assign", params: pgFreshComplaint(""),
			form: pgComplaintForm(map[string]func(f *pgFixture) string{"contract_id": pgContractID(func(s *pgComplaintSet) int64 { return s.contract.ID })}),
			want: pgTriage},
		{method: "POST", route: "/complaints/:id/assign", note: "a contract not serving the complaint's community", params: pgFreshComplaint(""),
			form: pgComplaintForm(map[string]func(f *pgFixture) string{"contract_id": pgContractID(func(s *pgComplaintSet) int64 { return s.elsewhere })}),
			want: pgTriageBad},
		{method: "POST", route: "/complaints/:id/assign", note: "assigned already", params: pgFreshComplaint("assigned"),
			form: pgComplaintForm(map[string]func(f *pgFixture) string{"contract_id": pgContractID(func(s *pgComplaintSet) int64 { return s.contract.ID })}),
			want: pgTriageState},
		{method: "POST", route: "/complaints/:id/decide", params: pgFreshComplaint("assigned"),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"outcome": {"upheld"}, "reason": {fmt.Sprintf("经核实属实 %d", i)}}
			},
			want: pgTriage},
		{method: "POST", route: "/complaints/:id/decide", note: "without a reason", params: pgFreshComplaint(""),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"outcome": {"not_upheld"}, "reason": {"  "}}
			},
			want: pgTriageInput},
		{method: "POST", route: "/complaints/:id/decide", note: "no such outcome", params: pgFreshComplaint(""),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"outcome": {"partly"}, "reason": {"部分属实"}}
			},
			want: pgTriageInput},
		{method: "POST", route: "/complaints/:id/decide", note: "decided already", params: pgFreshComplaint("decided"),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"outcome": {"upheld"}, "reason": {"再次认定"}}
			},
			want: pgTriageState},
		{method: "GET", route: "/reports/demand", want: pgDemandRead,
			scope: &pgScope{text: func(f *pgFixture) string { return fmt.Sprintf(`id="demand-custom-%d"`, f.commA) },
				shown: []string{"demo-admin", "demo-district", "demo-officer"}, hidden: []string{"demo-officer2"}}},
		{method: "GET", route: "/reports/demand", note: "another subdistrict's", want: pgDemandRead,
			scope: &pgScope{text: func(f *pgFixture) string { return fmt.Sprintf(`id="demand-custom-%d"`, f.commB) },
				shown: []string{"demo-admin", "demo-district", "demo-officer2"}, hidden: []string{"demo-officer"}}},
		{method: "GET", route: "/reports/demand", note: "not a date", query: "?from=2025-13-01", want: pgDemandBad},
		{method: "GET", route: "/reports/demand.csv", want: pgDemandRead,
			scope: &pgScope{text: pgText("南街社区"), shown: []string{"demo-admin", "demo-district", "demo-officer"}, hidden: []string{"demo-officer2"}}},
	}},
}
