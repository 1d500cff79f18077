package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/search"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// searchWorld is the crafted data of the search tests: records whose titles
// hold 银杏 in the middle of a word, of two subdistricts (爱山 A, 飞英 B) and
// two organizations, next to the demo seed's (which hold no 银杏).
type searchWorld struct {
	e      *servertest.Env
	ids    map[string]int64 // name → id
	titles map[string]string
}

// The crafted records, by name.
const (
	swTenderA     = "tender A"       // A's tender, published
	swTenderDraft = "tender A draft" // A's draft tender
	swTenderB     = "tender B"       // B's tender, published (then cancelled)
	swContractA   = "contract A"     // A's contract with 康乐 (org 1)
	swContractB   = "contract B"     // B's contract with another organization
	swOrg1        = "org 1"          // 康乐, of 吴兴区
	swOrg2        = "org 2"          // 社会工作者协会, of 吴兴区
	swOrgOther    = "org other"      // an organization of another district
	swItemA       = "item A"         // A's published transfer item
	swItemDraft   = "item A draft"   // A's draft transfer item
	swItemB       = "item B"         // B's published transfer item
)

func newSearchWorld(t *testing.T) *searchWorld {
	t.Helper()
	e := servertest.NewEnv(t, demo.WithTenders())
	d := e.Demo(t)
	w := &searchWorld{e: e, ids: map[string]int64{}, titles: map[string]string{}}
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := e.DB.Exec(sql, args...).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	set := func(name, table, title string, id int64) {
		t.Helper()
		col := "title"
		if table == "organizations" {
			col = "legal_name"
		}
		exec(fmt.Sprintf("UPDATE %s SET %s = ? WHERE id = ?", table, col), title, id)
		w.ids[name], w.titles[name] = id, title
	}
	// Tenders: the demo's published and draft ones of A, and its cancelled
	// one moved to B. The published one's description holds Latin text.
	set(swTenderA, "tenders", "爱山街道银杏助老服务项目", e.IDOf(t, "tenders", "subdistrict_id = ? AND status = 'published'", d.SubA))
	exec("UPDATE tenders SET description = '引入 SmartCare 智慧养老平台' WHERE id = ?", w.ids[swTenderA])
	set(swTenderDraft, "tenders", "爱山街道银杏草稿项目", e.IDOf(t, "tenders", "subdistrict_id = ? AND status = 'draft'", d.SubA))
	tb := e.IDOf(t, "tenders", "subdistrict_id = ? AND status = 'cancelled'", d.SubA)
	exec("UPDATE tenders SET subdistrict_id = ? WHERE id = ?", d.SubB, tb)
	set(swTenderB, "tenders", "飞英街道银杏巡访项目", tb)

	// Contracts: an active one of 康乐 in A (its title holds a LIKE
	// wildcard), and one of another organization moved to B.
	set(swContractA, "contracts", "爱山银杏康乐合同满意率100%达标", e.IDOf(t, "contracts", "organization_id = ? AND status = 'active'", d.Org1))
	cb := e.IDOf(t, "contracts", "id = (SELECT min(id) FROM contracts WHERE organization_id <> ? AND status = 'active')", d.Org1)
	exec("UPDATE contracts SET subdistrict_id = ? WHERE id = ?", d.SubB, cb)
	set(swContractB, "contracts", "飞英银杏关爱合同", cb)

	// Organizations: the two demo ones of 吴兴区 and one of a new district.
	set(swOrg1, "organizations", "吴兴区银杏康乐养老服务中心", d.Org1)
	set(swOrg2, "organizations", "吴兴区银杏社会工作者协会", d.Org2)
	admin := e.Token(t, "demo-admin")
	var district struct {
		ID int64 `json:"id"`
	}
	servertest.Call(t, e, "POST", "/api/v1/districts", admin, map[string]any{"code": "330503", "name_zh": "南浔区"}, http.StatusCreated, &district)
	var other struct {
		ID int64 `json:"id"`
	}
	servertest.Call(t, e, "POST", "/api/v1/organizations", admin, map[string]any{"credit_code": servertest.CreditCode(t, "52330503MJ9000001"),
		"legal_name": "南浔区银杏公益服务社", "org_type": "social_service_institution", "district_id": district.ID}, http.StatusCreated, &other)
	w.ids[swOrgOther], w.titles[swOrgOther] = other.ID, "南浔区银杏公益服务社"

	// Transfer items, through the API: one published and one draft of A,
	// one published of B.
	officerA, officerB := e.Token(t, "demo-officer"), e.Token(t, "demo-officer2")
	item := func(name, token, title string, comm int64, publish bool) {
		v := catCreate(t, e, token, catItemBody(title, "ELDERLY_HOME_CARE", comm))
		if publish {
			catPublish(t, e, token, v.ID)
		}
		w.ids[name], w.titles[name] = v.ID, title
	}
	item(swItemA, officerA, "爱山银杏助餐服务", d.CommA, true)
	item(swItemDraft, officerA, "爱山银杏日间照料", d.CommA, false)
	item(swItemB, officerB, "飞英银杏社工站", d.CommB, true)
	return w
}

// search calls GET /api/v1/search as who and returns the result and its body.
func (w *searchWorld) search(t *testing.T, who, q string) (search.Result, string) {
	t.Helper()
	var res search.Result
	r := servertest.Call(t, w.e, "GET", "/api/v1/search?q="+url.QueryEscape(q), w.e.Token(t, who), nil, http.StatusOK, &res)
	return res, string(r.Body)
}

// found returns the crafted names of res's hits of kind, sorted; a hit that is
// no crafted record is named by its title.
func (w *searchWorld) found(res search.Result, kind string) []string {
	out := []string{}
	for _, g := range res.Groups {
		if g.Kind != kind {
			continue
		}
		for _, h := range g.Hits {
			name := h.Title
			for n, id := range w.ids {
				if id == h.ID && w.titles[n] == h.Title {
					name = n
				}
			}
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// TestSearchScope: each role finds, for 银杏, exactly the crafted records of
// its scope, kind by kind, and the body names no other record's title.
func TestSearchScope(t *testing.T) {
	t.Parallel()
	w := newSearchWorld(t)
	type want struct{ tenders, contracts, orgs, items []string }
	all := []string{swTenderA, swTenderB, swTenderDraft, swContractA, swContractB, swOrg1, swOrg2, swOrgOther, swItemA, swItemB, swItemDraft}
	public := []string{swItemA, swItemB}
	tests := []struct {
		who  string
		want want
	}{
		{"demo-admin", want{[]string{swTenderA, swTenderB, swTenderDraft}, []string{swContractA, swContractB},
			[]string{swOrg1, swOrg2, swOrgOther}, []string{swItemA, swItemB, swItemDraft}}},
		{"demo-district", want{[]string{swTenderA, swTenderB, swTenderDraft}, []string{swContractA, swContractB},
			[]string{swOrg1, swOrg2}, []string{swItemA, swItemB, swItemDraft}}},
		{"demo-officer", want{[]string{swTenderA, swTenderDraft}, []string{swContractA}, nil, []string{swItemA, swItemDraft}}},
		{"demo-finance", want{[]string{swTenderA, swTenderDraft}, []string{swContractA}, nil, []string{swItemA, swItemDraft}}},
		{"demo-officer2", want{[]string{swTenderB}, []string{swContractB}, nil, []string{swItemB}}},
		// The evaluator sits on the committees of both published tenders.
		{"demo-evaluator", want{[]string{swTenderA, swTenderB}, nil, nil, public}},
		{"demo-org", want{[]string{swTenderA, swTenderB}, []string{swContractA}, []string{swOrg1}, public}},
		{"demo-member", want{[]string{swTenderA, swTenderB}, []string{swContractA}, []string{swOrg1}, public}},
		{"demo-org2", want{[]string{swTenderA, swTenderB}, nil, []string{swOrg2}, public}},
		{"demo-resident", want{[]string{swTenderA, swTenderB}, nil, nil, public}},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			res, body := w.search(t, tt.who, "银杏")
			if res.Query != "银杏" || len(res.Groups) != len(search.Kinds) {
				t.Fatalf("search(银杏) = %+v, want the query and %d groups", res, len(search.Kinds))
			}
			seen := map[string]bool{}
			for kind, names := range map[string][]string{search.KindTenders: tt.want.tenders, search.KindContracts: tt.want.contracts,
				search.KindOrganizations: tt.want.orgs, search.KindItems: tt.want.items} {
				if names == nil {
					names = []string{}
				}
				want := slices.Sorted(slices.Values(names))
				if got := w.found(res, kind); !slices.Equal(got, want) {
					t.Errorf("search(银杏) %s = %v, want %v", kind, got, want)
				}
				for _, n := range names {
					seen[n] = true
				}
			}
			for _, g := range res.Groups {
				if g.More {
					t.Errorf("search(银杏) %s: more = true, want false (fewer than %d hits)", g.Kind, search.PerKind)
				}
			}
			// Not even the title of a record out of scope.
			for _, n := range all {
				if !seen[n] && strings.Contains(body, w.titles[n]) {
					t.Errorf("search(银杏) as %s names %q (%s), out of its scope", tt.who, w.titles[n], n)
				}
			}
		})
	}
}

// TestSearchMatching: a substring inside a word matches, Latin text case
// insensitively, LIKE wildcards match themselves only, and sealed bid
// content is never searched.
func TestSearchMatching(t *testing.T) {
	t.Parallel()
	w := newSearchWorld(t)
	tests := []struct {
		who, q, kind string
		want         []string
	}{
		{"demo-officer", "杏助", search.KindTenders, []string{swTenderA}},
		{"demo-officer", "杏助", search.KindItems, []string{swItemA}},
		{"demo-officer", "artca", search.KindTenders, []string{swTenderA}},
		{"demo-officer", "SMARTCARE", search.KindTenders, []string{swTenderA}},
		{"demo-org", "0%达", search.KindContracts, []string{swContractA}},
		{"demo-org", "%%", search.KindContracts, []string{}},
		{"demo-admin", "__", search.KindTenders, []string{}},
		{"demo-admin", `\%`, search.KindContracts, []string{}},
		{"demo-officer", "  银杏草稿  ", search.KindTenders, []string{swTenderDraft}},
	}
	for _, tt := range tests {
		t.Run(tt.who+" "+tt.q, func(t *testing.T) {
			res, _ := w.search(t, tt.who, tt.q)
			if got := w.found(res, tt.kind); !slices.Equal(got, tt.want) {
				t.Errorf("search(%q) %s = %v, want %v", tt.q, tt.kind, got, tt.want)
			}
		})
	}

	// Ranked: no title shares a trigram with 银杏 (it sits inside a word), so
	// the shorter title, the closer match, comes first.
	res, _ := w.search(t, "demo-admin", "银杏")
	var order []int64
	for _, h := range res.Groups[2].Hits {
		order = append(order, h.ID)
	}
	if want := []int64{w.ids[swOrgOther], w.ids[swOrg2], w.ids[swOrg1]}; res.Groups[2].Kind != search.KindOrganizations || !slices.Equal(order, want) {
		t.Errorf("search(银杏) organizations in the order %v, want %v (shortest name first)", order, want)
	}

	// The demo's bids hold this in their sealed technical proposal (demo-org2's).
	for _, who := range []string{"demo-org2", "demo-officer", "demo-evaluator", "demo-admin"} {
		res, _ := w.search(t, who, "执业律师和持证社工")
		for _, g := range res.Groups {
			if len(g.Hits) != 0 {
				t.Errorf("search(bid text) as %s: %s = %+v, want no hit", who, g.Kind, g.Hits)
			}
		}
	}
}

// TestSearchMore: past PerKind hits a group says there are more.
func TestSearchMore(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, demo.WithTenders())
	// Every demo tender of A's titles holds 服务项目: more than PerKind.
	var res search.Result
	servertest.Call(t, e, "GET", "/api/v1/search?q="+url.QueryEscape("服务项目"), e.Token(t, "demo-officer"), nil, http.StatusOK, &res)
	g := res.Groups[0]
	if g.Kind != search.KindTenders || len(g.Hits) != search.PerKind || !g.More {
		t.Errorf("search(服务项目) tenders: %d hits, more %v; want %d and more", len(g.Hits), g.More, search.PerKind)
	}
}

// TestSearchRefused: a query too short, too long or missing is 400 naming q,
// and nothing is written; anonymous callers are 401.
func TestSearchRefused(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	token := e.Token(t, "demo-officer")
	for _, q := range []string{"", "养", "  养  ", "%", strings.Repeat("养", search.MaxQuery+1)} {
		e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/search?q=" + url.QueryEscape(q), Token: token}, http.StatusBadRequest, "validation", "q")
	}
	e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/search?q=" + url.QueryEscape("养老")}, http.StatusUnauthorized, "unauthorized")
}
