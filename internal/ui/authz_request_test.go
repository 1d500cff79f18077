package ui_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

// pgRequestSet is what the rows of residents' service requests address: an
// active contract of org 1 serving 爱山's communities (A), demo-resident
// bound to 南街 (A), and requests of A and B the lists must show or hide.
type pgRequestSet struct {
	contract servertest.Contract
}

// The notes and contacts of the setup's requests, which the scope checks
// look for.
const (
	pgOwnNeed      = "矩阵居民本人的需求"        // demo-resident's, in A
	pgNeighborNeed = "矩阵另一位居民的需求"       // another resident's, in A
	pgHotlinePhone = "13900005555"      // the caller of demo-officer's hotline request, in A
	pgFeiyingNeed  = "矩阵飞英社区的需求"        // demo-officer2's hotline request, in B
	pgFeiyingPhone = "13900006666"      // its caller
	pgMenuService  = "测试服务记录项目"         // the contract on A's menus
	pgMenuProvider = "湖州市吴兴区康乐居家养老服务中心" // its provider
)

func pgRequestRecords(t *testing.T, f *pgFixture) {
	ctx := t.Context()
	s := &pgRequestSet{contract: f.e.ActiveContract(t)}
	if err := f.e.DB.Exec(`UPDATE users SET community_id = ? WHERE username = 'demo-resident'`, f.commA).Error; err != nil {
		t.Fatal(err)
	}
	svc := f.e.Services.ServiceRequests
	neighbor, err := svc.SignupResident(ctx, servicerequest.ResidentSignup{Username: "matrix-neighbor", Password: servertest.DemoPassword,
		CommunityID: f.commA})
	if err != nil {
		t.Fatalf("SignupResident() error = %v", err)
	}
	for _, r := range []struct {
		who string
		in  servicerequest.Input
	}{
		{"demo-resident", servicerequest.Input{ContractID: s.contract.ID, Note: pgOwnNeed}},
		{neighbor.User.Username, servicerequest.Input{Note: pgNeighborNeed}},
		{"demo-officer", servicerequest.Input{CommunityID: f.commA, ContractID: s.contract.ID, ContactName: "赵先生", ContactPhone: pgHotlinePhone}},
		{"demo-officer2", servicerequest.Input{CommunityID: f.commB, Note: pgFeiyingNeed, ContactName: "钱女士", ContactPhone: pgFeiyingPhone}},
	} {
		if _, err := svc.Create(ctx, f.e.ActorOf(t, r.who), r.in); err != nil {
			t.Fatalf("Create() as %s error = %v", r.who, err)
		}
	}
	f.requests = s
}

// pgRequestForm is a request for the contract on 南街's menu, with a caller:
// what a resident and an officer's hotline form post.
func pgRequestForm(t *testing.T, f *pgFixture, i int) url.Values {
	return url.Values{"community_id": {fmt.Sprint(f.commA)}, "contract_id": {fmt.Sprint(f.requests.contract.ID)},
		"note": {fmt.Sprintf("矩阵需求 %d", i)}, "contact_name": {"孙先生"}, "contact_phone": {"13900007777"}}
}

// pgCommunity is the query choosing community A on the hotline form.
func pgCommunity(f *pgFixture) string { return fmt.Sprintf("?community=%d", f.commA) }

// pgVisitorOnly is what a resident's sign-up answers: first for a signed-out
// visitor, 403 for everyone signed in.
func pgVisitorOnly(first int) pgWant {
	return pgWant{first, no403, no403, no403, no403, no403, no403, no403, no403, no403, no403, no403}
}

// Wants of the requests' pages.
var (
	pgRequestReaders = pgWant{login, no403, ok200, ok200, no403, no403, no403, ok200, no403, no403, ok200, no403}
	pgHotliners      = pgWant{login, no403, no403, ok200, no403, no403, no403, ok200, no403, no403, no403, no403}
)

// pgRequestMatrix covers the residents' sign-up, menu, requests and the
// officers' hotline form.
var pgRequestMatrix = map[string]pgGroup{
	"service requests": {setup: pgRequestRecords, rows: []pgRow{
		{method: "GET", route: "/residents/signup", want: pgEveryone,
			// A signed-in user may read the form but is told it is for visitors (the POST refuses it).
			scope: &pgScope{text: pgText(`id="signed-in"`), shown: pgIdentities[1:], hidden: []string{"anonymous"}}},
		{method: "POST", route: "/residents/signup", fresh: true,
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"username": {fmt.Sprintf("matrix-resident-%d", i)}, "password": {servertest.DemoPassword},
					"password_confirm": {servertest.DemoPassword}, "community_id": {fmt.Sprint(f.commB)}}
			},
			want: pgVisitorOnly(to303)},
		{method: "POST", route: "/residents/signup", note: "passwords that differ",
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"username": {fmt.Sprintf("matrix-differ-%d", i)}, "password": {servertest.DemoPassword},
					"password_confirm": {"another long password"}, "community_id": {fmt.Sprint(f.commA)}}
			},
			want: pgVisitorOnly(bad400)},
		{method: "POST", route: "/residents/signup", note: "no community",
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"username": {fmt.Sprintf("matrix-nowhere-%d", i)}, "password": {servertest.DemoPassword},
					"password_confirm": {servertest.DemoPassword}}
			},
			want: pgVisitorOnly(bad400)},
		{method: "POST", route: "/residents/signup", note: "a taken username",
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"username": {"demo-officer"}, "password": {servertest.DemoPassword},
					"password_confirm": {servertest.DemoPassword}, "community_id": {fmt.Sprint(f.commA)}}
			},
			want: pgVisitorOnly(cf409)},

		{method: "GET", route: "/services",
			want:  pgWant{login, no403, no403, no403, no403, no403, no403, no403, no403, no403, ok200, no403},
			scope: &pgScope{text: pgText(pgMenuService), shown: []string{"demo-resident"}}},
		// A resident asks on its own community's menu, an officer for a
		// caller of its subdistrict; 飞英's officer naming 南街 (A) is told
		// the community is not of its subdistrict.
		{method: "POST", route: "/requests", form: pgRequestForm,
			want: pgWant{login, no403, no403, to303, no403, no403, no403, bad400, no403, no403, to303, no403}},
		{method: "POST", route: "/requests", note: "another need without a description",
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				v := pgRequestForm(t, f, i)
				v.Del("contract_id")
				v.Del("note")
				return v
			},
			want: pgWant{login, no403, no403, bad400, no403, no403, no403, bad400, no403, no403, bad400, no403}},
		{method: "POST", route: "/requests", note: "a time that is not one",
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				v := pgRequestForm(t, f, i)
				v.Set("preferred_at", "tomorrow")
				return v
			},
			want: pgWant{login, no403, no403, bad400, no403, no403, no403, bad400, no403, no403, bad400, no403}},

		// Each reader finds its own requests, and no other tenant's: a
		// resident its own, an officer its subdistrict's with the callers'
		// contacts, the district admin its district's without them.
		{method: "GET", route: "/requests", want: pgRequestReaders,
			scope: &pgScope{text: pgText(pgOwnNeed), shown: []string{"demo-resident", "demo-officer", "demo-district"},
				hidden: []string{"demo-officer2"}}},
		{method: "GET", route: "/requests", note: "another resident's", want: pgRequestReaders,
			scope: &pgScope{text: pgText(pgNeighborNeed), shown: []string{"demo-officer", "demo-district"},
				hidden: []string{"demo-resident", "demo-officer2"}}},
		{method: "GET", route: "/requests", note: "a hotline caller's contact", want: pgRequestReaders,
			scope: &pgScope{text: pgText(pgHotlinePhone), shown: []string{"demo-officer"},
				hidden: []string{"demo-resident", "demo-district", "demo-officer2"}}},
		{method: "GET", route: "/requests", note: "飞英's", want: pgRequestReaders,
			scope: &pgScope{text: pgText(pgFeiyingNeed), shown: []string{"demo-officer2", "demo-district"},
				hidden: []string{"demo-resident", "demo-officer"}}},
		{method: "GET", route: "/requests", note: "飞英's caller", want: pgRequestReaders,
			scope: &pgScope{text: pgText(pgFeiyingPhone), shown: []string{"demo-officer2"},
				hidden: []string{"demo-resident", "demo-officer", "demo-district"}}},

		{method: "GET", route: "/requests/new", want: pgHotliners,
			scope: &pgScope{text: pgText("Nanjie Community"), shown: []string{"demo-officer"}, hidden: []string{"demo-officer2"}}},
		{method: "GET", route: "/requests/new", note: "a community of 爱山", where: pgCommunity,
			want:  pgWant{login, no403, no403, ok200, no403, no403, no403, nf404, no403, no403, no403, no403},
			scope: &pgScope{text: pgText(pgMenuProvider), shown: []string{"demo-officer"}}},
		{method: "GET", route: "/requests/new", note: "not a community", query: "?community=x",
			want: pgWant{login, no403, no403, bad400, no403, no403, no403, bad400, no403, no403, no403, no403}},
	}},
}
