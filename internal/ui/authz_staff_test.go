package ui_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

// pgSignalSet is what the rows of residents' signals address: org 1's
// contract with a rating, a complaint forwarded to it, a request to accept
// and fulfil, and one to decline.
type pgSignalSet struct {
	signals
	declined int64
}

func pgSignalRecords(t *testing.T, f *pgFixture) {
	s := pgSignalSet{signals: newSignals(t, f.e, 1)}
	v, err := f.e.Services.ServiceRequests.Create(t.Context(), f.e.ActorOf(t, "demo-officer"), servicerequest.Input{
		CommunityID: s.contract.Communities[0], ContractID: s.contract.ID, Note: "矩阵需求", ContactName: "张先生", ContactPhone: "13900002222"})
	if err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	s.declined = v.ID
	f.signals = &s
}

func pgSignalIDs(pick func(s *pgSignalSet) int64) func(t *testing.T, f *pgFixture) []any {
	return pgIDs(func(f *pgFixture) []int64 { return []int64{pick(f.signals)} })
}

// Wants of the organization's signal pages: org 1's staff; org 2's admin
// reads its own (empty) lists and finds none of org 1's records. A form goes
// through for org 1's admin; its member, calling after it, finds the record
// already answered.
var (
	pgSignalRead  = pgWant{login, no403, no403, no403, no403, no403, ok200, no403, ok200, ok200, no403, no403}
	pgSignalWrite = pgWant{login, no403, no403, no403, no403, no403, to303, no403, nf404, cf409, no403, no403}
	pgSignalOrgs  = []string{"demo-org", "demo-member"}
)

// pgStaffMatrix covers the organization's pages of residents' signals.
var pgStaffMatrix = map[string]pgGroup{
	"residents' signals": {setup: pgSignalRecords, rows: []pgRow{
		{method: "GET", route: "/org/ratings", want: pgSignalRead,
			scope: &pgScope{text: pgText("评论0"), shown: pgSignalOrgs, hidden: []string{"demo-org2"}}},
		{method: "GET", route: "/org/ratings", note: "no record or beneficiary", want: pgSignalRead,
			scope: &pgScope{text: pgText("NJ-SIG"), hidden: pgIdentities}},
		{method: "POST", route: "/org/ratings/:id/reply", params: pgSignalIDs(func(s *pgSignalSet) int64 { return s.ratings[0] }),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"reply": {fmt.Sprintf("矩阵回复 %d", i)}}
			},
			want: pgSignalWrite},
		{method: "GET", route: "/org/complaints", want: pgSignalRead,
			scope: &pgScope{text: pgText("服务人员迟到一小时"), shown: pgSignalOrgs, hidden: []string{"demo-org2"}}},
		{method: "GET", route: "/org/complaints", note: "no contact", want: pgSignalRead,
			scope: &pgScope{text: pgText("13812345678"), hidden: pgIdentities}},
		{method: "POST", route: "/org/complaints/:id/respond", params: pgSignalIDs(func(s *pgSignalSet) int64 { return s.complaint }),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"response": {fmt.Sprintf("矩阵答复 %d", i)}}
			},
			want: pgSignalWrite},
		{method: "GET", route: "/org/requests", want: pgSignalRead,
			scope: &pgScope{text: pgText("矩阵需求"), shown: pgSignalOrgs, hidden: []string{"demo-org2"}}},
		{method: "POST", route: "/org/requests/:id/accept", params: pgSignalIDs(func(s *pgSignalSet) int64 { return s.request }),
			want: pgSignalWrite},
		{method: "POST", route: "/org/requests/:id/decline", params: pgSignalIDs(func(s *pgSignalSet) int64 { return s.declined }),
			form: func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"reason": {"人手不足"}} },
			want: pgSignalWrite},
		{method: "POST", route: "/org/requests/:id/decline", note: "without a reason", params: pgSignalIDs(func(s *pgSignalSet) int64 { return s.request }),
			want: pgWant{login, no403, no403, no403, no403, no403, bad400, no403, bad400, bad400, no403, no403}},
		{method: "POST", route: "/org/requests/:id/fulfil", params: pgSignalIDs(func(s *pgSignalSet) int64 { return s.request }),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"service_record_id": {fmt.Sprint(f.signals.records[1])}}
			},
			want: pgSignalWrite},
	}},
}
