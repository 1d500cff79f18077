package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// contractEnv is a contract test's environment: the demo with its tenders,
// whose awarded tender left one draft contract of 爱山 with demo-org, and a
// token per demo identity (signed in before any refusal is checked, since a
// sign-in writes).
type contractEnv struct {
	e      *servertest.Env
	tokens map[string]string
	id     int64 // the draft contract
	draft  contract.View
}

func newContractEnv(t *testing.T) *contractEnv {
	t.Helper()
	e := servertest.NewEnv(t, demo.WithTenders())
	c := &contractEnv{e: e, tokens: map[string]string{"anonymous": ""}}
	for _, who := range servertest.Identities[1:] {
		c.tokens[who] = e.Token(t, who)
	}
	c.id = e.IDOf(t, "contracts", "status = ?", contract.StatusDraft)
	c.draft = c.get(t, "demo-officer")
	return c
}

// path returns the path of the draft contract followed by suffix.
func (c *contractEnv) path(suffix string) string {
	return fmt.Sprintf("/api/v1/contracts/%d%s", c.id, suffix)
}

// call sends a request as who and fails unless it answers want.
func (c *contractEnv) call(t testing.TB, method, path, who string, body any, want int, out any) servertest.Response {
	t.Helper()
	return servertest.Call(t, c.e, method, path, c.tokens[who], body, want, out)
}

// refused sends a request as who that must be refused and write nothing.
func (c *contractEnv) refused(t testing.TB, method, path, who string, body any, want int, code string, fields ...string) {
	t.Helper()
	c.e.Refused(t, servertest.Request{Method: method, Path: path, Token: c.tokens[who], Body: body}, want, code, fields...)
}

func (c *contractEnv) get(t testing.TB, who string) contract.View {
	t.Helper()
	var v contract.View
	c.call(t, "GET", c.path(""), who, nil, http.StatusOK, &v)
	return v
}

// populations is a PATCH body entering every community's eligible population.
func (c *contractEnv) populations() map[string]any {
	list := []map[string]any{}
	for i, cm := range c.draft.Communities {
		list = append(list, map[string]any{"community_id": cm.ID, "eligible_population": 800 + i})
	}
	return map[string]any{"eligible_populations": list}
}

// sign has the officer enter the populations and both parties sign.
func (c *contractEnv) sign(t testing.TB) contract.View {
	t.Helper()
	c.call(t, "PATCH", c.path(""), "demo-officer", c.populations(), http.StatusOK, nil)
	c.call(t, "POST", c.path("/sign"), "demo-officer", nil, http.StatusOK, nil)
	var v contract.View
	c.call(t, "POST", c.path("/sign"), "demo-org", nil, http.StatusOK, &v)
	return v
}

// balances returns the contract's fund account's balances as the funds API shows them.
func (c *contractEnv) balances(t testing.TB) map[string]money.Fen {
	t.Helper()
	var v struct {
		Balances map[string]money.Fen `json:"balances"`
	}
	c.call(t, "GET", fundPath(c.draft.FundAccountID, ""), "demo-finance", nil, http.StatusOK, &v)
	return v.Balances
}

// Another subdistrict's officer and another organization find no contract
// of others (404), roles that read no contracts are refused (403) and
// anonymous callers must sign in (401); the public summary shows a contract
// once signed, never a draft. Nothing refused writes anything.
func TestContractTenancy(t *testing.T) {
	t.Parallel()
	c := newContractEnv(t)
	public := fmt.Sprintf("/api/v1/public/contracts/%d", c.id)
	c.refused(t, "GET", public, "anonymous", nil, http.StatusNotFound, "not_found")

	type call struct {
		method, path string
		body         any
		officers     bool // the officer's alone: an organization's admin is 403 whatever the tenant
	}
	onContract := []call{
		{"GET", c.path(""), nil, false},
		{"GET", c.path("/versions/1"), nil, false},
		{"PATCH", c.path(""), c.populations(), true},
		{"POST", c.path("/sign"), nil, false},
		{"POST", c.path("/amendments"), map[string]any{"reason": "越权变更", "amount_fen": 1}, false},
		{"POST", c.path("/terminate"), map[string]any{"reason": "越权解除", "next": contract.NextCancel}, false},
	}
	check := func(calls []call) {
		t.Helper()
		for _, cl := range calls {
			c.refused(t, cl.method, cl.path, "demo-officer2", cl.body, http.StatusNotFound, "not_found")
			if cl.officers {
				c.refused(t, cl.method, cl.path, "demo-org2", cl.body, http.StatusForbidden, "forbidden")
			} else {
				c.refused(t, cl.method, cl.path, "demo-org2", cl.body, http.StatusNotFound, "not_found")
			}
			for _, who := range []string{"demo-evaluator", "demo-resident"} {
				c.refused(t, cl.method, cl.path, who, cl.body, http.StatusForbidden, "forbidden")
			}
			c.refused(t, cl.method, cl.path, "anonymous", cl.body, http.StatusUnauthorized, "unauthorized")
		}
	}
	check(onContract)
	for _, who := range []string{"demo-officer2", "demo-org2"} {
		var page struct {
			Items []contract.Summary `json:"items"`
			Total int64              `json:"total"`
		}
		c.call(t, "GET", "/api/v1/contracts", who, nil, http.StatusOK, &page)
		if page.Total != 0 || len(page.Items) != 0 {
			t.Errorf("GET /api/v1/contracts as %s = %d contracts %+v, want none", who, page.Total, page.Items)
		}
	}

	c.sign(t)
	var a contract.Amendment
	c.call(t, "POST", c.path("/amendments"), "demo-org", map[string]any{"reason": "服务对象增加",
		"targets": []map[string]any{{"code": c.draft.Metrics[0].Code, "target": 130}}}, http.StatusCreated, &a)
	amendment := fmt.Sprintf("/api/v1/contract-amendments/%d", a.ID)
	check(append(onContract,
		call{"POST", amendment + "/accept", map[string]any{"note": "越权同意"}, false},
		call{"POST", amendment + "/reject", map[string]any{"note": "越权拒绝"}, false}))

	var p contract.PublicSummary
	r := c.call(t, "GET", public, "anonymous", nil, http.StatusOK, &p)
	if p.ID != c.id || p.Status != contract.StatusSigned || p.AmountFen != c.draft.AmountFen || len(p.Communities) != len(c.draft.Communities) {
		t.Errorf("public contract = %+v, want the signed contract with its %d communities", p, len(c.draft.Communities))
	}
	for _, never := range []string{"eligible_population", "milestones", "payment_policy", "amendments"} {
		if strings.Contains(string(r.Body), never) {
			t.Errorf("public contract shows %s: %s", never, r.Body)
		}
	}
}

// Bad input is refused with problem+json naming the bad fields, and writes
// nothing (no table gains, loses or changes a row: audit entries included).
func TestContractBadInput(t *testing.T) {
	t.Parallel()
	c := newContractEnv(t)
	amount := c.draft.AmountFen
	milestones := func(amounts ...money.Fen) map[string]any {
		list := []map[string]any{}
		for i, a := range amounts {
			list = append(list, map[string]any{"name": fmt.Sprintf("第%d期", i+1), "after": contract.Triggers[i%3], "amount_fen": a})
		}
		return map[string]any{"milestones": list}
	}
	const v, unknown = "validation", "bogus"
	run := func(tests []contractBadInput) {
		t.Helper()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c.refused(t, tt.method, tt.path, tt.who, tt.body, tt.status, tt.code, tt.fields...)
			})
		}
	}
	run([]contractBadInput{
		{"milestones short of the amount", "PATCH", c.path(""), "demo-officer", milestones(amount/2, amount/2-1), 400, v, []string{"milestones"}},
		{"a milestone of nothing", "PATCH", c.path(""), "demo-officer", milestones(amount, 0), 400, v, []string{"milestones[1].amount_fen"}},
		{"a milestone of no trigger", "PATCH", c.path(""), "demo-officer",
			map[string]any{"milestones": []map[string]any{{"name": "一次付清", "after": "whenever", "amount_fen": amount}}}, 400, v,
			[]string{"milestones[0].after"}},
		{"unknown field", "PATCH", c.path(""), "demo-officer", map[string]any{unknown: 1}, 400, v, []string{unknown}},
		{"another's community", "PATCH", c.path(""), "demo-officer",
			map[string]any{"eligible_populations": []map[string]any{{"community_id": c.e.Demo(t).CommB, "eligible_population": 10}}}, 400, v,
			[]string{"eligible_populations[0].community_id"}},
		{"a policy upside down", "PATCH", c.path(""), "demo-officer",
			map[string]any{"payment_policy": map[string]any{"full_at": 50, "floor_at": 70, "floor_percent": 80}}, 400, v, []string{"payment_policy"}},
		{"not JSON", "PATCH", c.path(""), "demo-officer", "{", 400, "malformed_json", nil},
		{"signing before the populations", "POST", c.path("/sign"), "demo-officer", nil, 400, v, []string{"eligible_populations"}},
		{"dropping without a reason", "POST", c.path("/terminate"), "demo-officer", map[string]any{"next": contract.NextCancel}, 400, v, []string{"reason"}},
		{"dropping with an unknown field", "POST", c.path("/terminate"), "demo-officer", map[string]any{"reason": "x", unknown: true}, 400, v, []string{unknown}},
		{"an unknown state", "GET", "/api/v1/contracts?status=sleeping", "demo-officer", nil, 400, v, []string{"status"}},
		{"a page of nothing", "GET", "/api/v1/contracts?per_page=0", "demo-officer", nil, 400, v, []string{"per_page"}},
		{"a version not kept", "GET", c.path("/versions/1"), "demo-officer", nil, 404, "not_found", nil},
		{"a version not a number", "GET", c.path("/versions/one"), "demo-officer", nil, 404, "not_found", nil},
		{"amending a draft", "POST", c.path("/amendments"), "demo-officer", map[string]any{"reason": "x", "amount_fen": amount}, 409, "contract.not_in_force", nil},
	})

	c.sign(t)
	var a contract.Amendment
	c.call(t, "POST", c.path("/amendments"), "demo-org", map[string]any{"reason": "增加服务频次", "amount_fen": amount + 1}, http.StatusCreated, &a)
	amendment := fmt.Sprintf("/api/v1/contract-amendments/%d", a.ID)
	run([]contractBadInput{
		{"a change of the signed", "PATCH", c.path(""), "demo-officer", c.populations(), 409, "contract.not_draft", nil},
		{"an amendment without a reason", "POST", c.path("/amendments"), "demo-officer", map[string]any{"amount_fen": amount}, 400, v, []string{"reason"}},
		{"an amendment of nothing", "POST", c.path("/amendments"), "demo-officer", map[string]any{"reason": "无变更"}, 400, v, []string{"changes"}},
		{"an amendment past the cap", "POST", c.path("/amendments"), "demo-officer", map[string]any{"reason": "大幅增加", "amount_fen": amount * 2},
			400, v, []string{"amount_fen"}},
		{"an amendment of an unknown metric", "POST", c.path("/amendments"), "demo-officer",
			map[string]any{"reason": "调整指标", "targets": []map[string]any{{"code": "no_such_metric", "target": 1}}}, 400, v, []string{"targets[0].code"}},
		{"an amendment with an unknown field", "POST", c.path("/amendments"), "demo-officer", map[string]any{"reason": "x", unknown: 1}, 400, v, []string{unknown}},
		{"a second open amendment", "POST", c.path("/amendments"), "demo-officer", map[string]any{"reason": "再变更", "amount_fen": amount + 2},
			409, "contract.amendment_open", nil},
		{"a rejection without a note", "POST", amendment + "/reject", "demo-officer", map[string]any{}, 400, v, []string{"note"}},
		{"a decision with an unknown field", "POST", amendment + "/accept", "demo-officer", map[string]any{"note": "好", unknown: 1}, 400, v, []string{unknown}},
		{"accepting one's own", "POST", amendment + "/accept", "demo-org", map[string]any{}, 403, "contract.own_amendment", nil},
		{"terminating without a reason", "POST", c.path("/terminate"), "demo-officer", map[string]any{}, 400, v, []string{"reason"}},
		{"a decision that is not one", "POST", c.path("/terminate"), "demo-officer", map[string]any{"reason": "x", "decision": "maybe"}, 400, v, []string{"decision"}},
		{"an organization deciding", "POST", c.path("/terminate"), "demo-org", map[string]any{"reason": "x", "decision": contract.DecisionTerminate}, 400, v,
			[]string{"decision"}},
		{"rejecting no request", "POST", c.path("/terminate"), "demo-officer", map[string]any{"reason": "x", "decision": contract.DecisionReject}, 409,
			"contract.no_termination_request", nil},
	})
}

// contractBadInput is a request TestContractBadInput expects refused.
type contractBadInput struct {
	name, method, path, who string
	body                    any
	status                  int
	code                    string
	fields                  []string
}

// The lifecycle through the API: the officer enters the eligible
// populations and signs, the organization's admin signs and the contract is
// signed with exactly its amount encumbered (the tender's reservation
// settled); an amendment proposed by the organization and accepted by the
// officer makes version 2 while version 1 stays readable as it was; the
// officer terminates, returning what the contract held, and a second
// termination is refused.
func TestContractLifecycle(t *testing.T) {
	t.Parallel()
	c := newContractEnv(t)
	before := c.balances(t)
	var tv tender.View
	c.call(t, "GET", twPath(c.draft.TenderID, ""), "demo-officer", nil, http.StatusOK, &tv)
	amount := c.draft.AmountFen

	var v contract.View
	c.call(t, "PATCH", c.path(""), "demo-officer", c.populations(), http.StatusOK, &v)
	for i, cm := range v.Communities {
		if cm.EligiblePopulation == nil || *cm.EligiblePopulation != 800+i {
			t.Errorf("community %d eligible population = %v, want %d", cm.ID, cm.EligiblePopulation, 800+i)
		}
	}
	c.call(t, "POST", c.path("/sign"), "demo-officer", nil, http.StatusOK, &v)
	if v.Status != contract.StatusDraft || v.OfficerSignedAt == nil || v.OrgSignedAt != nil {
		t.Fatalf("after the officer signed: status %s, officer %v, org %v; want a draft signed by the officer", v.Status, v.OfficerSignedAt, v.OrgSignedAt)
	}
	c.call(t, "POST", c.path("/sign"), "demo-org", nil, http.StatusOK, &v)
	if v.Status != contract.StatusSigned || v.SignedAt == nil || v.HeldFen != amount || len(v.Versions) != 1 {
		t.Fatalf("after both signed: status %s, held %d, versions %+v; want signed, %d held, version 1", v.Status, v.HeldFen, v.Versions, amount)
	}
	after := c.balances(t)
	want := map[string]money.Fen{"available": before["available"] + tv.CeilingFen - amount, "reserved": before["reserved"] - tv.CeilingFen,
		"encumbered": before["encumbered"] + amount, "payable": before["payable"], "paid": before["paid"]}
	for k, w := range want {
		if after[k] != w {
			t.Errorf("fund %s after signing = %d, want %d (before %v, ceiling %d, amount %d)", k, after[k], w, before, tv.CeilingFen, amount)
		}
	}
	c.refused(t, "POST", c.path("/sign"), "demo-officer", nil, http.StatusConflict, "contract.not_draft")

	var page struct {
		Items []contract.Summary `json:"items"`
		Total int64              `json:"total"`
	}
	c.call(t, "GET", fmt.Sprintf("/api/v1/contracts?status=signed&fund_account_id=%d", c.draft.FundAccountID), "demo-org", nil, http.StatusOK, &page)
	if page.Total != 1 || len(page.Items) != 1 || page.Items[0].ID != c.id {
		t.Errorf("signed contracts of the fund as demo-org = %d %+v, want this one", page.Total, page.Items)
	}

	raised := amount + amount/20
	var a contract.Amendment
	c.call(t, "POST", c.path("/amendments"), "demo-org", map[string]any{"reason": "服务对象增加 5%", "amount_fen": raised}, http.StatusCreated, &a)
	if a.Status != "proposed" || a.ProposedSide != "organization" || a.BaseVersion != 1 {
		t.Errorf("proposed amendment = %+v, want proposed by the organization on version 1", a)
	}
	c.call(t, "POST", fmt.Sprintf("/api/v1/contract-amendments/%d/accept", a.ID), "demo-officer", map[string]any{"note": "同意"}, http.StatusOK, &a)
	if a.Status != "accepted" || a.DecidedAt == nil {
		t.Errorf("accepted amendment = %+v, want accepted", a)
	}
	v = c.get(t, "demo-org")
	if v.Version != 2 || v.AmountFen != raised || v.HeldFen != raised || len(v.Versions) != 2 {
		t.Errorf("after the amendment: version %d, amount %d, held %d, versions %+v; want version 2 holding %d", v.Version, v.AmountFen, v.HeldFen, v.Versions, raised)
	}
	for version, want := range map[int]money.Fen{1: amount, 2: raised} {
		var snap struct {
			Contract contract.Contract `json:"contract"`
		}
		c.call(t, "GET", c.path(fmt.Sprintf("/versions/%d", version)), "demo-officer", nil, http.StatusOK, &snap)
		if snap.Contract.AmountFen != want || snap.Contract.Version != version {
			t.Errorf("version %d shows amount %d (version %d), want %d", version, snap.Contract.AmountFen, snap.Contract.Version, want)
		}
	}

	c.call(t, "POST", c.path("/terminate"), "demo-officer", map[string]any{"reason": "机构无法继续提供服务"}, http.StatusOK, &v)
	if v.Status != contract.StatusTerminated || v.HeldFen != 0 || v.EndedAt == nil {
		t.Errorf("after termination: status %s, held %d; want terminated holding nothing", v.Status, v.HeldFen)
	}
	if got := c.balances(t)["encumbered"]; got != before["encumbered"] {
		t.Errorf("fund encumbered after termination = %d, want %d as before signing", got, before["encumbered"])
	}
	c.refused(t, "POST", c.path("/terminate"), "demo-officer", map[string]any{"reason": "再次解除"}, http.StatusConflict, "contract.ended")

	// The organization's notices name the contract.
	var list struct {
		Items []tender.Notification `json:"items"`
	}
	c.call(t, "GET", "/api/v1/notifications", "demo-org", nil, http.StatusOK, &list)
	kinds := map[string]bool{}
	for _, n := range list.Items {
		if n.ContractID != nil && *n.ContractID == c.id {
			kinds[n.Kind] = true
		}
	}
	for _, k := range []string{contract.KindSignRequested, contract.KindSigned, contract.KindAmendmentDecided, contract.KindTerminated} {
		if !kinds[k] {
			t.Errorf("demo-org's notifications about contract %d lack %s (have %v)", c.id, k, kinds)
		}
	}
}
