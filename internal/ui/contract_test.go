package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// awardedContracts awards a tender per title to demo-org through the
// services (its cheaper bid ranks first; demo-org3 bids too) and returns the
// draft contracts, in the order of titles, each of 420,000.00 yuan.
func awardedContracts(t *testing.T, e *servertest.Env, titles ...string) []int64 {
	t.Helper()
	ctx := context.Background()
	tenderCast(t, e)
	svc := tenderService(t, e)
	var tenders []tender.View
	for _, title := range titles {
		v := openTender(t, e, svc, title)
		serviceBid(t, e, svc, "demo-org", v, 42_000_000)
		serviceBid(t, e, svc, "demo-org3", v, 44_000_000)
		tenders = append(tenders, v)
	}
	e.Clock.Set(tenders[len(tenders)-1].OpensAt.Add(time.Minute))
	var ends time.Time
	for _, v := range tenders {
		advanceTender(t, e, svc, v.ID, e.Clock.Now())
		scoreInOrder(t, e, svc, v.ID, activeBids(t, e, v.ID, "demo-org", "demo-org3"), "demo-evaluator", "demo-evaluator2", "demo-evaluator3")
		p, err := svc.ProposeAward(ctx, e.ActorOf(t, "demo-officer"), v.ID, tender.AwardInput{})
		if err != nil {
			t.Fatalf("ProposeAward(%d) error = %v", v.ID, err)
		}
		ends = p.ChallengeEndsAt
	}
	var ids []int64
	for _, v := range tenders {
		advanceTender(t, e, svc, v.ID, ends)
		ids = append(ids, e.IDOf(t, "contracts", "tender_id = ?", v.ID))
	}
	return ids
}

// The contract pages through a whole life: the officer's terms (a refused
// milestone split, then populations and two milestones), both signatures, an
// amendment each way (accepted, rejected with a note), a termination request
// rejected, the officer's termination; a second draft dropped after its
// signing period; the notices and the public pages link to the contract.
func TestPagesContractLifecycle(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	ids := awardedContracts(t, e, "南街社区助老服务（合同页面测试）", "南街社区助浴服务（合同作废测试）")
	page, dropped := fmt.Sprintf("/contracts/%d", ids[0]), fmt.Sprintf("/contracts/%d", ids[1])
	officer, org := servertest.SignIn(t, e, "demo-officer"), servertest.SignIn(t, e, "demo-org")
	ot, gt := pageToken(t, officer, page), pageToken(t, org, page)
	var communities []int64
	if err := e.DB.Table("contract_communities").Where("contract_id = ?", ids[0]).Order("community_id").Pluck("community_id", &communities).Error; err != nil {
		t.Fatal(err)
	}
	post := func(p *servertest.PageClient, token, path string, form url.Values) servertest.Response {
		form.Set("csrf_token", token)
		return p.Post(t, path, form)
	}
	terms := url.Values{"milestone_name": {"签约预付", "终期评估后"}, "milestone_after": {"signing", "final"}, "milestone_amount": {"200000", "210000"}}
	for _, cm := range communities {
		terms.Set(fmt.Sprintf("population_%d", cm), "300")
	}
	r := post(officer, ot, page+"/terms", terms)
	wantFormAlert(t, "POST milestones short of the amount", r, http.StatusBadRequest, "terms-milestones")
	wantBody(t, "POST milestones short of the amount", r, `value="200000"`)
	terms["milestone_amount"] = []string{"210000", "210000"}
	servertest.WantRedirect(t, "POST the terms", post(officer, ot, page+"/terms", terms), page+"?done=terms_saved#terms")
	wantBody(t, "the draft's terms", officer.Get(t, page), `value="300"`, `value="终期评估后"`, `value="210000.00"`)

	servertest.WantRedirect(t, "the officer signs", post(officer, ot, page+"/sign", url.Values{}), page+"?done=signed#sign")
	wantStatus(t, "the officer signs again", post(officer, ot, page+"/sign", url.Values{}), http.StatusConflict)
	wantStatus(t, "demo-member signs", post(servertest.SignIn(t, e, "demo-member"), gt, page+"/sign", url.Values{}), http.StatusForbidden)
	servertest.WantRedirect(t, "demo-org signs", post(org, gt, page+"/sign", url.Values{}), page+"?done=signed#sign")
	wantBody(t, "the signed contract", org.Get(t, page), `data-status="signed"`, "已签订", `id="contract-held">¥420,000.00`, `id="service-records"`)

	// The officer raises the amount; the organization accepts.
	r = post(officer, ot, page+"/amendments", url.Values{"amount": {"500000"}, "reason": {"增加服务人数"}})
	wantFormAlert(t, "POST a rise past the cap", r, http.StatusBadRequest, "amend-amount")
	servertest.WantRedirect(t, "POST an amendment", post(officer, ot, page+"/amendments", url.Values{"amount": {"430000"}, "reason": {"增加服务人数"}}),
		page+"?done=amendment_proposed#amend")
	a1 := e.IDOf(t, "contract_amendments", "contract_id = ? AND status = 'proposed'", ids[0])
	wantBody(t, "the organization's decision form", org.Get(t, page), fmt.Sprintf(`id="decide-%d-accept"`, a1), "合同金额改为 ¥430,000.00")
	servertest.WantRedirect(t, "demo-org accepts", post(org, gt, fmt.Sprintf("%s/amendments/%d/decide", page, a1), url.Values{"decision": {"accept"}}),
		page+"?done=amendment_accepted#amendments")
	wantBody(t, "the amended contract", officer.Get(t, page), `id="contract-amount">¥430,000.00`, "第 2 版", `id="contract-held">¥430,000.00`)

	// The organization moves the end; the officer rejects it with a note.
	end := e.Clock.Now().AddDate(0, 6, 0).Format(time.DateOnly)
	servertest.WantRedirect(t, "demo-org proposes", post(org, gt, page+"/amendments", url.Values{"service_end": {end}, "reason": {"提前结束"}}),
		page+"?done=amendment_proposed#amend")
	a2 := e.IDOf(t, "contract_amendments", "contract_id = ? AND status = 'proposed'", ids[0])
	decide := fmt.Sprintf("%s/amendments/%d/decide", page, a2)
	wantFormAlert(t, "POST a rejection without a note", post(officer, ot, decide, url.Values{"decision": {"reject"}}), http.StatusBadRequest,
		fmt.Sprintf("decide-%d-note", a2))
	wantStatus(t, "demo-org decides its own amendment", post(org, gt, decide, url.Values{"decision": {"accept"}}), http.StatusForbidden)
	wantStatus(t, "decide it under another contract", post(officer, ot, fmt.Sprintf("%s/amendments/%d/decide", dropped, a2),
		url.Values{"decision": {"accept"}}), http.StatusNotFound)
	servertest.WantRedirect(t, "the officer rejects", post(officer, ot, decide, url.Values{"decision": {"reject"}, "note": {"服务期不变"}}),
		page+"?done=amendment_rejected#amendments")
	wantBody(t, "the rejected amendment", org.Get(t, page), "已拒绝", "服务期不变")

	// A termination request is rejected; the officer terminates.
	wantFormAlert(t, "POST a request without a reason", post(org, gt, page+"/terminate", url.Values{"form": {"request"}}), http.StatusBadRequest, "request-reason")
	servertest.WantRedirect(t, "demo-org asks to terminate", post(org, gt, page+"/terminate", url.Values{"form": {"request"}, "reason": {"人员不足"}}),
		page+"?done=termination_requested#end")
	wantBody(t, "the officer's rejection form", officer.Get(t, page), `id="reject-submit"`, "人员不足")
	servertest.WantRedirect(t, "the officer rejects the request", post(officer, ot, page+"/terminate", url.Values{"form": {"reject"}, "reason": {"请继续履约"}}),
		page+"?done=termination_rejected#end")
	servertest.WantRedirect(t, "the officer terminates", post(officer, ot, page+"/terminate", url.Values{"form": {"terminate"}, "reason": {"机构严重违约"}}),
		page+"?done=terminated#end")
	wantBody(t, "the terminated contract", org.Get(t, page), `data-status="terminated"`, "机构严重违约", `id="contract-held">¥0.00`)

	// The second draft is dropped after its signing period.
	wantFormAlert(t, "drop within the signing period", post(officer, ot, dropped+"/terminate", url.Values{"form": {"drop"}, "reason": {"未签订"}, "next": {"cancel"}}),
		http.StatusConflict)
	var signBy time.Time
	if err := e.DB.Table("contracts").Select("sign_by").Where("id = ?", ids[1]).Scan(&signBy).Error; err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(signBy.Add(time.Minute))
	// The sessions have expired by then.
	officer, org = servertest.SignIn(t, e, "demo-officer"), servertest.SignIn(t, e, "demo-org")
	ot = pageToken(t, officer, dropped)
	wantBody(t, "the lapsed draft", officer.Get(t, dropped), `id="signing-over"`, `id="drop-submit"`)
	wantFormAlert(t, "drop without what follows", post(officer, ot, dropped+"/terminate", url.Values{"form": {"drop"}, "reason": {"未签订"}}),
		http.StatusBadRequest, "drop-next")
	servertest.WantRedirect(t, "the officer drops the draft", post(officer, ot, dropped+"/terminate", url.Values{"form": {"drop"}, "reason": {"未在期限内签订"}, "next": {"cancel"}}),
		dropped+"?done=dropped#drop")
	wantBody(t, "the dropped draft", officer.Get(t, dropped), `data-status="lapsed"`)

	// The notices link to the contract; the public pages show the signed one.
	wantBody(t, "demo-org's notifications", org.Get(t, "/notifications"), fmt.Sprintf(`href="%s"`, page))
	wantBody(t, "the officer's contract list", officer.Get(t, "/contracts?status=terminated"), fmt.Sprintf(`href="%s"`, page))
	public := fmt.Sprintf("/procurement/contracts/%d", ids[0])
	anon := servertest.NewPageClient(e)
	wantBody(t, "the public summary", anon.Get(t, public), "湖州市吴兴区康乐居家养老服务中心", "¥430,000.00", `id="metric-list"`)
	tenderID := e.IDOf(t, "tenders", "id = (SELECT tender_id FROM contracts WHERE id = ?)", ids[0])
	wantBody(t, "the public notice", anon.Get(t, fmt.Sprintf("/procurement/%d", tenderID)), fmt.Sprintf(`href="%s"`, public))
	wantBody(t, "the officer's tender", officer.Get(t, fmt.Sprintf("/tenders/%d", tenderID)), fmt.Sprintf(`href="%s"`, page))
	wantStatus(t, "the dropped draft's public page", anon.Get(t, fmt.Sprintf("/procurement/contracts/%d", ids[1])), http.StatusNotFound)
}
