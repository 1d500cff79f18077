package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// tenderCast makes sure the people of a tender exist, whether or not the demo
// seed made them: demo-evaluator2 and demo-evaluator3, evaluators of 吴兴区,
// and demo-org3, the admin of a second organization certified for elderly
// home care.
func tenderCast(t *testing.T, e *servertest.Env) {
	t.Helper()
	district := e.ActorOf(t, "demo-district")
	for _, name := range []string{"demo-evaluator2", "demo-evaluator3"} {
		if !e.UserExists(t, name) {
			e.CreateUser(t, map[string]any{"username": name, "display_name": name, "role": "evaluator", "district_id": district.Scope.DistrictID})
		}
	}
	if e.UserExists(t, "demo-org3") {
		return
	}
	ctx := context.Background()
	orgs := org.NewService(e.DB, e.Clock, org.Options{Argon2: e.Cfg.Auth.Argon2, Uploads: e.Cfg.Uploads})
	// The organization signs up with its admin: only the organization makes its accounts.
	if _, _, err := orgs.Signup(ctx, org.SignupInput{Organization: org.Input{CreditCode: servertest.CreditCode(t, "52330502MJ7300001"),
		LegalName: "湖州市吴兴区颐康为老服务中心", OrgType: org.SocialServiceInstitution, DistrictID: district.Scope.DistrictID,
		LegalRepresentative: "孙红", ContactName: "孙红", ContactPhone: "0572-2100009", StaffCount: 30, CertifiedSocialWorkers: 6},
		Admin: org.MemberInput{Username: "demo-org3", DisplayName: "颐康为老", Password: servertest.DemoPassword}, RequestID: "test"}); err != nil {
		t.Fatalf("sign demo-org3's organization up: %v", err)
	}
	cert, err := orgs.Apply(ctx, e.ActorOf(t, "demo-org3"), org.ApplyInput{DistrictID: district.Scope.DistrictID,
		Categories: []string{"ELDERLY_HOME_CARE"}, Statement: "具备居家养老服务承接能力"})
	if err != nil {
		t.Fatalf("apply for demo-org3: %v", err)
	}
	today, workers := civil.ChinaDate(e.Clock.Now()), 6 // as declared
	if _, err := orgs.Approve(ctx, district, cert.ID, org.ApproveInput{Grade: 4, ValidFrom: today.AddDays(-10), ValidThrough: today.AddDays(699),
		VerifiedSocialWorkers: &workers}); err != nil {
		t.Fatalf("approve demo-org3: %v", err)
	}
}

// elderlyItem returns 爱山's published elderly home care transfer item.
func elderlyItem(t *testing.T, e *servertest.Env) int64 {
	t.Helper()
	var id int64
	if err := e.DB.Raw(`SELECT i.id FROM transfer_items i JOIN transfer_item_versions v ON v.item_id = i.id AND v.version = i.published_version
		WHERE i.subdistrict_id = ? AND v.category_code = 'ELDERLY_HOME_CARE' AND i.status = 'published' ORDER BY i.id LIMIT 1`,
		e.ActorOf(t, "demo-officer").Scope.SubdistrictID).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("no published elderly home care item: %v", err)
	}
	return id
}

// elderlyFund returns 爱山's fund account earmarked for elderly home care with
// the most money available.
func elderlyFund(t *testing.T, e *servertest.Env) int64 {
	t.Helper()
	var id int64
	if err := e.DB.Raw(`SELECT f.id FROM fund_accounts f JOIN fund_account_categories c ON c.fund_account_id = f.id AND c.category_code = 'ELDERLY_HOME_CARE'
		JOIN ledger_accounts l ON l.fund_account_id = f.id AND l.kind = 'available'
		WHERE f.subdistrict_id = ? ORDER BY l.balance DESC, f.id LIMIT 1`, e.ActorOf(t, "demo-officer").Scope.SubdistrictID).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("no fund for elderly home care: %v", err)
	}
	return id
}

// committeeIDs are the user ids of demo-evaluator, demo-evaluator2 and demo-evaluator3.
func committeeIDs(t *testing.T, e *servertest.Env) []int64 {
	t.Helper()
	var ids []int64
	for _, name := range []string{"demo-evaluator", "demo-evaluator2", "demo-evaluator3"} {
		ids = append(ids, e.IDOf(t, "users", "username = ?", name))
	}
	return ids
}

// tenderService returns a tender service on the test's database and clock,
// sealing with the server's key: what the job runner would use.
func tenderService(t *testing.T, e *servertest.Env) *tender.Service {
	t.Helper()
	svc, err := tender.NewConfigured(e.DB, e.Clock, e.Cfg.Tender, e.Cfg.Contract.SignDays)
	if err != nil {
		t.Fatalf("NewTenderService() error = %v", err)
	}
	return svc
}

// openTender creates and publishes, as demo-officer, an open tender of the
// elderly home care item: ceiling 500,000.00 yuan, weights 30/60/10, two
// bids at least, the three demo evaluators, closing in 10 days and opening an
// hour later.
func openTender(t *testing.T, e *servertest.Env, svc *tender.Service, title string) tender.View {
	t.Helper()
	ctx, officer := context.Background(), e.ActorOf(t, "demo-officer")
	item, fundID := elderlyItem(t, e), elderlyFund(t, e)
	ceiling, minBids := money.Fen(50_000_000), 2
	start := civil.ChinaDate(e.Clock.Now()).AddDays(40)
	end := start.AddDays(364)
	// Ten days are short of an open tender's minimum window: the reason is given.
	q, closes, shortWindow := e.Clock.Now().AddDate(0, 0, 7), e.Clock.Now().AddDate(0, 0, 10), "原服务合同到期，需在年内接续服务"
	opens := closes.Add(time.Hour)
	weights := tender.Weights{Price: 30, Technical: 60, Performance: 10}
	criteria := []tender.Criterion{{Code: "plan", Name: "服务方案", MaxPoints: 40}, {Code: "team", Name: "团队配置", MaxPoints: 20}}
	committee := committeeIDs(t, e)
	v, err := svc.Create(ctx, officer, tender.Input{TransferItemID: &item, Title: &title, FundAccountID: &fundID, CeilingFen: &ceiling,
		ServiceStart: &start, ServiceEnd: &end, Weights: &weights, Criteria: &criteria, MinBids: &minBids, QuestionsCloseAt: &q,
		ClosesAt: &closes, OpensAt: &opens, CommitteeUserIDs: &committee, ShortWindowJustification: &shortWindow})
	if err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	if v, err = svc.Publish(ctx, officer, v.ID); err != nil {
		t.Fatalf("Publish() error = %v", err)
	}
	return v
}

// advanceTender moves the clock to at and takes the tender's due steps, as
// the job runner would.
func advanceTender(t *testing.T, e *servertest.Env, svc *tender.Service, id int64, at time.Time) {
	t.Helper()
	e.Clock.Set(at)
	if _, err := svc.Advance(context.Background(), id); err != nil {
		t.Fatalf("Advance(%d) error = %v", id, err)
	}
}

// bidForm is a complete bid on v with each metric committed at its target.
func bidForm(token, price, proposal string, v tender.View) url.Values {
	f := url.Values{"csrf_token": {token}, "price": {price}, "technical_proposal": {proposal}, "staffing_plan": {"社工 4 名，护理员 10 名"}}
	for _, m := range v.Metrics {
		f.Set("commit_"+m.Code, strconv.FormatFloat(m.Target, 'f', -1, 64))
	}
	return f
}

var digestShown = regexp.MustCompile(`id="receipt-digest">([0-9a-f]{64})<`)

// The officer's pages: the list, the wizard with its validation, the draft's
// edit and publication, cancellation and amendment; other roles are refused
// and another subdistrict's tender does not exist.
func TestPagesTenderOfficer(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	tenderCast(t, e)
	officer := servertest.SignIn(t, e, "demo-officer")
	r := officer.Get(t, "/tenders")
	wantStatus(t, "GET /tenders", r, http.StatusOK)
	wantBody(t, "GET /tenders", r, `href="/tenders/new"`, "招标管理")
	wantBody(t, "the officer's dashboard", officer.Get(t, "/dashboard"), `href="/tenders"`, `href="/notifications"`, `href="/procurement"`)
	for _, user := range []string{"demo-org", "demo-evaluator", "demo-finance", "demo-admin"} {
		p := servertest.SignIn(t, e, user)
		for _, path := range []string{"/tenders", "/tenders/new"} {
			wantStatus(t, "GET "+path+" as "+user, p.Get(t, path), http.StatusForbidden)
		}
	}
	servertest.WantRedirect(t, "GET /tenders anonymously", servertest.NewPageClient(e).Get(t, "/tenders"), "/login")

	// The wizard: choose the item, then fill in the tender.
	item := elderlyItem(t, e)
	r = officer.Get(t, "/tenders/new")
	wantStatus(t, "GET /tenders/new", r, http.StatusOK)
	wantBody(t, "GET /tenders/new", r, fmt.Sprintf(`href="/tenders/new?item=%d"`, item), "居家养老上门服务")
	form := officer.Get(t, fmt.Sprintf("/tenders/new?item=%d", item))
	wantStatus(t, "the wizard", form, http.StatusOK)
	fund := elderlyFund(t, e)
	committee := committeeIDs(t, e)
	wantBody(t, "the wizard", form, `name="ceiling"`, fmt.Sprintf(`<option value="%d"`, fund), fmt.Sprintf(`id="tf-evaluator-%d"`, committee[2]),
		`type="datetime-local"`, `value="服务方案"`, "居家养老上门服务")
	wantStatus(t, "the wizard for no item", officer.Get(t, "/tenders/new?item=999999"), http.StatusNotFound)
	token := servertest.CSRFToken(t, form)
	valid := url.Values{"csrf_token": {token}, "item_id": {strconv.FormatInt(item, 10)}, "title": {"爱山街道居家养老上门服务（页面测试）"},
		"description": {"为辖区高龄老人提供上门服务。"}, "purchase_method": {"open_tender"}, "fund_account_id": {strconv.FormatInt(fund, 10)},
		"ceiling": {"450,000.00"}, "service_start": {"2027-01-01"}, "service_end": {"2027-12-31"},
		"weight_price": {"30"}, "weight_technical": {"60"}, "weight_performance": {"10"},
		"criteria.0.name": {"服务方案"}, "criteria.0.max_points": {"40"}, "criteria.1.name": {"团队配置"}, "criteria.1.max_points": {"20"},
		"min_grade": {"3"}, "min_social_workers": {"2"}, "min_bids": {"2"}, "max_winners": {"1"}, "challenge_days": {"5"},
		"questions_close_at": {"2026-11-29T17:00"}, "closes_at": {"2026-12-02T09:00"}, "opens_at": {"2026-12-02T10:00"},
		"short_window_justification": {"原服务合同年底到期，需在年内接续服务"}}
	for _, id := range committee {
		valid.Add("committee_user_ids", strconv.FormatInt(id, 10))
	}
	var communities []int64
	if err := e.DB.Raw(`SELECT community_id FROM transfer_item_communities c JOIN transfer_items i ON i.id = c.item_id AND c.version = i.published_version WHERE i.id = ?`, item).
		Scan(&communities).Error; err != nil || len(communities) == 0 {
		t.Fatalf("the item's communities: %v", err)
	}
	for _, id := range communities {
		valid.Add("community_ids", strconv.FormatInt(id, 10))
	}
	with := func(changes map[string][]string) url.Values {
		f := url.Values{}
		for k, v := range valid {
			f[k] = v
		}
		for k, v := range changes {
			f[k] = v
		}
		return f
	}
	before := servertest.Count(t, e, "tenders")
	r = officer.Post(t, "/tenders", with(map[string][]string{"ceiling": {"四十五万"}, "closes_at": {"next week"}}))
	wantFormAlert(t, "POST /tenders with a ceiling in words", r, http.StatusBadRequest, "tf-ceiling_fen", "tf-closes_at")
	wantBody(t, "POST /tenders with a ceiling in words", r, `value="四十五万"`, `value="爱山街道居家养老上门服务（页面测试）"`)
	r = officer.Post(t, "/tenders", with(map[string][]string{"criteria.1.max_points": {"10"}, "committee_user_ids": {strconv.FormatInt(committee[0], 10)},
		"weight_performance": {"20"}}))
	wantFormAlert(t, "POST /tenders with bad criteria, weights and committee", r, http.StatusBadRequest, "tf-criteria", "tf-weights", "tf-committee")
	wantBody(t, "POST /tenders with bad criteria", r, "技术评分项的满分之和须等于技术分", "3 人及以上的单数")
	r = officer.Post(t, "/tenders", with(map[string][]string{"criteria.1.name": {""}}))
	wantFormAlert(t, "POST /tenders with a nameless criterion", r, http.StatusBadRequest, "tf-criteria-1-name")
	if n := servertest.Count(t, e, "tenders"); n != before {
		t.Fatalf("tenders after refused forms = %d, want %d", n, before)
	}
	r = officer.Post(t, "/tenders", valid)
	id := e.IDOf(t, "tenders", "title = ?", "爱山街道居家养老上门服务（页面测试）")
	servertest.WantRedirect(t, "POST /tenders", r, fmt.Sprintf("/tenders/%d?done=created", id))
	page := officer.Get(t, fmt.Sprintf("/tenders/%d?done=created", id))
	wantStatus(t, "the draft", page, http.StatusOK)
	wantBody(t, "the draft", page, `data-status="draft"`, "¥450,000.00", "2026-12-02 09:00", fmt.Sprintf(`action="/tenders/%d/publish"`, id),
		fmt.Sprintf(`href="/tenders/%d/edit"`, id), "服务方案", "团队配置")

	// Another subdistrict's officer, organizations and the public do not see a draft.
	other := servertest.SignIn(t, e, "demo-officer2")
	wantStatus(t, "another subdistrict's draft", other.Get(t, fmt.Sprintf("/tenders/%d", id)), http.StatusNotFound)
	wantStatus(t, "another subdistrict's draft, edit", other.Get(t, fmt.Sprintf("/tenders/%d/edit", id)), http.StatusNotFound)
	otherToken := pageToken(t, other, "/tenders")
	wantStatus(t, "publish another subdistrict's draft", other.Post(t, fmt.Sprintf("/tenders/%d/publish", id), url.Values{"csrf_token": {otherToken}}), http.StatusNotFound)
	wantStatus(t, "cancel another subdistrict's draft", other.Post(t, fmt.Sprintf("/tenders/%d/cancel", id), url.Values{"csrf_token": {otherToken}, "reason": {"x"}}), http.StatusNotFound)
	wantStatus(t, "a draft's opportunity page", servertest.SignIn(t, e, "demo-org").Get(t, fmt.Sprintf("/opportunities/%d", id)), http.StatusNotFound)
	wantStatus(t, "a draft's public notice", servertest.NewPageClient(e).Get(t, fmt.Sprintf("/procurement/%d", id)), http.StatusNotFound)

	// Edit the draft.
	edit := officer.Get(t, fmt.Sprintf("/tenders/%d/edit", id))
	wantStatus(t, "GET the edit form", edit, http.StatusOK)
	wantBody(t, "the edit form", edit, `value="450000.00"`, `value="2026-12-02T09:00"`, `value="团队配置"`)
	r = officer.Post(t, fmt.Sprintf("/tenders/%d/edit", id), with(map[string][]string{"ceiling": {"480000"}, "opens_at": {"2026-12-01T10:00"}}))
	wantFormAlert(t, "POST an opening before the close", r, http.StatusBadRequest, "tf-opens_at")
	r = officer.Post(t, fmt.Sprintf("/tenders/%d/edit", id), with(map[string][]string{"ceiling": {"480000"}}))
	servertest.WantRedirect(t, "POST the edit", r, fmt.Sprintf("/tenders/%d?done=saved", id))

	// The committee form replaces recused members during the evaluation, and
	// does nothing else: neither a draft's nor a published tender's committee.
	replace := url.Values{"csrf_token": {token}, "committee_user_ids": {strconv.FormatInt(committee[0], 10)}}
	r = officer.Post(t, fmt.Sprintf("/tenders/%d/committee", id), replace)
	wantStatus(t, "POST the committee form of a draft", r, http.StatusConflict)
	wantBody(t, "POST the committee form of a draft", r, "本项目不在评审阶段")

	// Publish; the draft can no longer be edited; cancel needs a reason; amend.
	r = officer.Post(t, fmt.Sprintf("/tenders/%d/publish", id), url.Values{"csrf_token": {token}})
	servertest.WantRedirect(t, "POST publish", r, fmt.Sprintf("/tenders/%d?done=published#state", id))
	r = officer.Post(t, fmt.Sprintf("/tenders/%d/committee", id), replace)
	wantStatus(t, "POST the committee form of a published tender", r, http.StatusConflict)
	wantBody(t, "POST the committee form of a published tender", r, "本项目不在评审阶段")
	page = officer.Get(t, fmt.Sprintf("/tenders/%d", id))
	wantBody(t, "the published tender", page, `data-status="published"`, "¥480,000.00", fmt.Sprintf(`action="/tenders/%d/amend"`, id))
	wantNoBody(t, "the published tender", page, fmt.Sprintf(`action="/tenders/%d/publish"`, id))
	r = officer.Post(t, fmt.Sprintf("/tenders/%d/publish", id), url.Values{"csrf_token": {token}})
	wantStatus(t, "POST publish again", r, http.StatusConflict)
	wantBody(t, "POST publish again", r, "只有草稿可以修改或发布")
	wantStatus(t, "GET the edit form of a published tender", officer.Get(t, fmt.Sprintf("/tenders/%d/edit", id)), http.StatusConflict)
	r = officer.Post(t, fmt.Sprintf("/tenders/%d/cancel", id), url.Values{"csrf_token": {token}, "reason": {"  "}})
	wantFormAlert(t, "POST cancel without a reason", r, http.StatusBadRequest, "cancel-reason")
	r = officer.Post(t, fmt.Sprintf("/tenders/%d/amend", id), url.Values{"csrf_token": {token}, "reason": {""},
		"description": {"为辖区高龄老人提供上门服务。"}, "closes_at": {"2026-12-02T09:00"}, "opens_at": {"2026-12-02T10:00"}, "questions_close_at": {"2026-11-29T17:00"}})
	wantFormAlert(t, "POST an amendment without a reason or a change", r, http.StatusBadRequest, "amend-reason", "amend-description")
	r = officer.Post(t, fmt.Sprintf("/tenders/%d/amend", id), url.Values{"csrf_token": {token}, "reason": {"延长投标时间"},
		"description": {"为辖区高龄老人提供上门服务。"}, "closes_at": {"2026-12-09T09:00"}, "opens_at": {"2026-12-09T10:00"}, "questions_close_at": {"2026-11-29T17:00"}})
	servertest.WantRedirect(t, "POST an amendment", r, fmt.Sprintf("/tenders/%d?done=amended#amend", id))
	page = officer.Get(t, fmt.Sprintf("/tenders/%d", id))
	wantBody(t, "the amended tender", page, "第 1 号变更", "延长投标时间", "2026-12-09 09:00")
	public := servertest.NewPageClient(e).Get(t, fmt.Sprintf("/procurement/%d", id))
	wantStatus(t, "the public notice", public, http.StatusOK)
	wantBody(t, "the public notice", public, "延长投标时间", "¥480,000.00", "2026-12-09 09:00", `id="tender-short-window"`, "投标期限过短", "原服务合同年底到期，需在年内接续服务")
	r = officer.Post(t, fmt.Sprintf("/tenders/%d/cancel", id), url.Values{"csrf_token": {token}, "reason": {"预算调整"}})
	servertest.WantRedirect(t, "POST cancel", r, fmt.Sprintf("/tenders/%d?done=cancelled#state", id))
	wantBody(t, "the cancelled tender", officer.Get(t, fmt.Sprintf("/tenders/%d", id)), `data-status="cancelled"`, "预算调整")
}

// An organization asks, bids with a file, replaces and withdraws through its
// pages; before the opening nothing of a bid appears on any other reader's
// page; after it, an evaluator declares and scores in the pages.
func TestPagesTenderBidding(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	tenderCast(t, e)
	svc := tenderService(t, e)
	v := openTender(t, e, svc, "南街社区助浴服务（投标测试）")
	path := fmt.Sprintf("/opportunities/%d", v.ID)

	bidder := servertest.SignIn(t, e, "demo-org")
	list := bidder.Get(t, "/opportunities")
	wantStatus(t, "GET /opportunities", list, http.StatusOK)
	wantBody(t, "GET /opportunities", list, fmt.Sprintf(`href="%s"`, path), "南街社区助浴服务（投标测试）")
	for user, paths := range map[string][]string{"demo-officer": {"/opportunities", path, "/reviews"}, "demo-evaluator": {"/opportunities", path},
		"demo-org": {"/reviews", fmt.Sprintf("/reviews/%d", v.ID), "/tenders"}, "demo-resident": {"/opportunities", "/reviews", "/tenders"}} {
		p := servertest.SignIn(t, e, user)
		for _, pth := range paths {
			wantStatus(t, "GET "+pth+" as "+user, p.Get(t, pth), http.StatusForbidden)
		}
	}
	servertest.WantRedirect(t, "GET /opportunities anonymously", servertest.NewPageClient(e).Get(t, "/opportunities"), "/login")
	page := bidder.Get(t, path)
	wantStatus(t, "GET the opportunity", page, http.StatusOK)
	wantBody(t, "the opportunity", page, fmt.Sprintf(`action="%s/bid"`, path), `enctype="multipart/form-data"`, fmt.Sprintf(`action="%s/questions"`, path))
	token := servertest.CSRFToken(t, page)

	// A question, answered by the officer, is public without its asker.
	r := bidder.Post(t, path+"/questions", url.Values{"csrf_token": {token}, "body": {" "}})
	wantFormAlert(t, "POST an empty question", r, http.StatusBadRequest, "ask-body")
	r = bidder.Post(t, path+"/questions", url.Values{"csrf_token": {token}, "body": {"助浴设备是否由采购人提供？"}})
	servertest.WantRedirect(t, "POST a question", r, path+"?done=asked#qa")
	qid := e.IDOf(t, "tender_questions", "tender_id = ?", v.ID)
	officer := servertest.SignIn(t, e, "demo-officer")
	officerToken := pageToken(t, officer, fmt.Sprintf("/tenders/%d", v.ID))
	answerPath := fmt.Sprintf("/tenders/%d/questions/%d/answer", v.ID, qid)
	r = officer.Post(t, answerPath, url.Values{"csrf_token": {officerToken}, "answer": {""}})
	wantFormAlert(t, "POST an empty answer", r, http.StatusBadRequest, fmt.Sprintf("answer-%d", qid))
	r = officer.Post(t, answerPath, url.Values{"csrf_token": {officerToken}, "answer": {"由中标机构自备。"}})
	servertest.WantRedirect(t, "POST an answer", r, fmt.Sprintf("/tenders/%d?done=answered#qa", v.ID))
	public := servertest.NewPageClient(e).Get(t, fmt.Sprintf("/procurement/%d", v.ID))
	wantBody(t, "the public notice", public, "助浴设备是否由采购人提供？", "由中标机构自备。")
	wantNoBody(t, "the public notice", public, "康乐")

	// Bids refused, then sealed with a file.
	r = bidder.PostMultipart(t, path+"/bid", url.Values{"csrf_token": {token}, "price": {"九十万"}, "technical_proposal": {""}}, "attachments", nil)
	wantFormAlert(t, "POST a bid without a price, proposal or commitments", r, http.StatusBadRequest, "bid-price_fen",
		"bid-commit-"+v.Metrics[0].Code)
	r = bidder.PostMultipart(t, path+"/bid", bidForm(token, "600000", "方案", v), "attachments", nil)
	wantFormAlert(t, "POST a bid above the ceiling", r, http.StatusBadRequest, "bid-price_fen")
	wantBody(t, "POST a bid above the ceiling", r, `value="600000"`)
	const canaryPrice, canaryText, canaryFile = "432,109.87", "CANARY-PROPOSAL-7781", "CANARY-FILE-5531"
	r = bidder.PostMultipart(t, path+"/bid", bidForm(token, canaryPrice, "技术方案 "+canaryText, v),
		"attachments", map[string][]byte{"方案说明.txt": []byte("附件内容 " + canaryFile)})
	servertest.WantRedirect(t, "POST a bid", r, path+"?done=submitted#receipt")
	page = bidder.Get(t, path+"?done=submitted")
	wantBody(t, "the receipt", page, "投标已密封提交", `data-status="active"`, "¥"+canaryPrice, canaryText, "方案说明.txt", `id="receipt-time"`)
	first := digestShown.FindSubmatch(page.Body)
	if first == nil {
		t.Fatalf("the receipt shows no SHA-256: %s", page.Body)
	}
	bidID := e.IDOf(t, "bids", "tender_id = ? AND status = 'active'", v.ID)
	file := bidder.Get(t, fmt.Sprintf("%s/bids/%d/attachments/0", path, bidID))
	if file.Status != http.StatusOK || !strings.Contains(string(file.Body), canaryFile) {
		t.Errorf("the bidder's own attachment = %d %q", file.Status, file.Body)
	}

	// A second organization bids, withdraws and bids again.
	rival := servertest.SignIn(t, e, "demo-org3")
	rivalToken := pageToken(t, rival, path)
	r = rival.PostMultipart(t, path+"/bid", bidForm(rivalToken, "440000", "颐康方案", v), "attachments", nil)
	servertest.WantRedirect(t, "POST the rival's bid", r, path+"?done=submitted#receipt")
	rivalBid := e.IDOf(t, "bids", "tender_id = ? AND status = 'active' AND id <> ?", v.ID, bidID)
	wantStatus(t, "withdraw another organization's bid", bidder.Post(t, fmt.Sprintf("%s/bids/%d/withdraw", path, rivalBid), url.Values{"csrf_token": {token}}),
		http.StatusNotFound)
	r = rival.Post(t, fmt.Sprintf("%s/bids/%d/withdraw", path, rivalBid), url.Values{"csrf_token": {rivalToken}})
	servertest.WantRedirect(t, "POST withdraw", r, path+"?done=withdrawn#receipt")
	wantBody(t, "the withdrawn receipt", rival.Get(t, path), `data-status="withdrawn"`)
	r = rival.PostMultipart(t, path+"/bid", bidForm(rivalToken, "440000", "颐康方案（第二版）", v), "attachments", nil)
	servertest.WantRedirect(t, "POST the rival's bid again", r, path+"?done=submitted#receipt")

	// Nothing of the sealed bid reaches anyone else before the opening.
	sealed := []string{canaryPrice, "432109.87", canaryText, canaryFile, "方案说明.txt"}
	evaluator := servertest.SignIn(t, e, "demo-evaluator")
	admin := servertest.SignIn(t, e, "demo-admin")
	for what, r := range map[string]servertest.Response{
		"the officer's page":     officer.Get(t, fmt.Sprintf("/tenders/%d", v.ID)),
		"the officer's list":     officer.Get(t, "/tenders"),
		"the public notice":      servertest.NewPageClient(e).Get(t, fmt.Sprintf("/procurement/%d", v.ID)),
		"the public list":        servertest.NewPageClient(e).Get(t, "/procurement"),
		"the rival's page":       rival.Get(t, path),
		"the rival's list":       rival.Get(t, "/opportunities"),
		"the evaluator's page":   evaluator.Get(t, fmt.Sprintf("/reviews/%d", v.ID)),
		"the evaluator's list":   evaluator.Get(t, "/reviews"),
		"the officer's notices":  officer.Get(t, "/notifications"),
		"the admin's dashboard":  admin.Get(t, "/dashboard"),
		"the officer's file":     officer.Get(t, fmt.Sprintf("/tenders/%d/bids/%d/attachments/0", v.ID, bidID)),
		"the rival's file":       rival.Get(t, fmt.Sprintf("%s/bids/%d/attachments/0", path, bidID)),
		"the evaluator's file":   evaluator.Get(t, fmt.Sprintf("/reviews/%d/bids/%d/attachments/0", v.ID, bidID)),
		"the bidder's notices":   bidder.Get(t, "/notifications"),
		"the evaluator's notice": evaluator.Get(t, "/notifications"),
	} {
		wantNoBody(t, what, r, sealed...)
	}
	wantBody(t, "the evaluator's page before the opening", evaluator.Get(t, fmt.Sprintf("/reviews/%d", v.ID)), `id="member-waiting"`, `id="opening-sealed"`)

	// Replace the bid: the receipt changes and says what it replaced.
	r = bidder.PostMultipart(t, path+"/bid", bidForm(token, "430000", "技术方案（修订）", v), "attachments", nil)
	servertest.WantRedirect(t, "POST a replacement", r, path+"?done=submitted#receipt")
	page = bidder.Get(t, path)
	second := digestShown.FindSubmatch(page.Body)
	if second == nil || bytes.Equal(first[1], second[1]) {
		t.Errorf("the replacement's receipt digest = %q, want a new one", second)
	}
	wantBody(t, "the replacement's receipt", page, fmt.Sprintf("替换了第 %d 号投标", bidID), "¥430,000.00")
	wantNoBody(t, "the replacement's receipt", page, canaryText)

	// The notifications page lists the new tender for a certified organization.
	notes := bidder.Get(t, "/notifications")
	wantStatus(t, "GET /notifications", notes, http.StatusOK)
	wantBody(t, "the organization's notifications", notes, "新招标：南街社区助浴服务（投标测试）", fmt.Sprintf(`href="%s"`, path))

	// After the opening the record shows the prices, and the committee declares and scores.
	advanceTender(t, e, svc, v.ID, v.OpensAt.Add(time.Minute))
	evaluator = servertest.SignIn(t, e, "demo-evaluator") // days later: the session has ended
	public = servertest.NewPageClient(e).Get(t, fmt.Sprintf("/procurement/%d", v.ID))
	wantBody(t, "the public notice after the opening", public, `id="opening-record"`, "¥430,000.00", "¥440,000.00", string(second[1]))
	wantNoBody(t, "the public notice after the opening", public, "技术方案（修订）")
	review := fmt.Sprintf("/reviews/%d", v.ID)
	page = evaluator.Get(t, review)
	wantBody(t, "the declaration", page, `action="`+review+`/declaration"`, "湖州市吴兴区康乐居家养老服务中心")
	wantNoBody(t, "the declaration", page, "技术方案（修订）", `action="`+review+`/scores"`)
	evToken := servertest.CSRFToken(t, page)
	r = evaluator.Post(t, review+"/declaration", url.Values{"csrf_token": {evToken}, "conflict": {"yes"}, "statement": {""}})
	wantFormAlert(t, "POST a conflict without a statement", r, http.StatusBadRequest, "declare-statement")
	r = evaluator.Post(t, review+"/declaration", url.Values{"csrf_token": {evToken}, "conflict": {"no"}})
	servertest.WantRedirect(t, "POST the declaration", r, review+"?done=declared#declaration")
	page = evaluator.Get(t, review)
	wantBody(t, "the scoring form", page, `action="`+review+`/scores"`, "技术方案（修订）")
	bids := activeBids(t, e, v.ID, "demo-org", "demo-org3")
	scores := url.Values{"csrf_token": {evToken}}
	for _, b := range bids {
		scores.Set(fmt.Sprintf("score-%d-plan-points", b), "35.5")
		scores.Set(fmt.Sprintf("score-%d-plan-comment", b), "方案完整")
		scores.Set(fmt.Sprintf("score-%d-team-points", b), "18")
		scores.Set(fmt.Sprintf("score-%d-team-comment", b), "团队稳定")
	}
	bad := url.Values{}
	for k, vs := range scores {
		bad[k] = vs
	}
	bad.Set(fmt.Sprintf("score-%d-plan-points", bids[0]), "很好")
	bad.Set(fmt.Sprintf("score-%d-team-points", bids[1]), "25")
	bad.Set(fmt.Sprintf("score-%d-team-comment", bids[1]), "")
	r = evaluator.Post(t, review+"/scores", bad)
	wantFormAlert(t, "POST scores in words", r, http.StatusBadRequest, fmt.Sprintf("score-%d-plan-points", bids[0]))
	r = evaluator.Post(t, review+"/scores", func() url.Values { bad.Set(fmt.Sprintf("score-%d-plan-points", bids[0]), "30"); return bad }())
	wantFormAlert(t, "POST scores above the maximum without a comment", r, http.StatusBadRequest,
		fmt.Sprintf("score-%d-team-points", bids[1]), fmt.Sprintf("score-%d-team-comment", bids[1]))
	r = evaluator.Post(t, review+"/scores", scores)
	servertest.WantRedirect(t, "POST scores", r, review+"?done=scored#scoring")
	page = evaluator.Get(t, review)
	wantBody(t, "the scoring form after submitting", page, `id="scores-submitted"`, `value="35.50"`)
	wantNoBody(t, "the scoring form after submitting", page, `id="score-table"`)
	wantBody(t, "the reviews list", evaluator.Get(t, "/reviews"), "已提交评分")

	// An evaluator outside the committee does not see the tender.
	e.CreateUser(t, map[string]any{"username": "outside-evaluator", "role": "evaluator", "district_id": e.ActorOf(t, "demo-district").Scope.DistrictID})
	wantStatus(t, "another committee's tender", servertest.SignIn(t, e, "outside-evaluator").Get(t, review), http.StatusNotFound)
}

// activeBids returns the ids of the active bids on the tender of the
// organizations of the users named, in that order. (Bid ids are random: their
// order says nothing.)
func activeBids(t *testing.T, e *servertest.Env, tenderID int64, usernames ...string) []int64 {
	t.Helper()
	ids := make([]int64, len(usernames))
	for i, u := range usernames {
		ids[i] = e.IDOf(t, "bids", "tender_id = ? AND organization_id = ? AND status = 'active'", tenderID, e.ActorOf(t, u).Scope.OrganizationID)
	}
	return ids
}

// The public list and the notifications page need no particular role, and the
// public list can be filtered by state.
func TestPagesTenderPublicList(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	tenderCast(t, e)
	v := openTender(t, e, tenderService(t, e), "衣裳街社区助餐服务（公告测试）")
	p := servertest.NewPageClient(e)
	r := p.Get(t, "/procurement?status=published")
	wantStatus(t, "GET /procurement", r, http.StatusOK)
	wantBody(t, "GET /procurement?status=published", r, fmt.Sprintf(`href="/procurement/%d"`, v.ID), "衣裳街社区助餐服务（公告测试）", "¥500,000.00")
	wantNoBody(t, "GET /procurement?status=published", p.Get(t, "/procurement?status=awarded"), "衣裳街社区助餐服务（公告测试）")
	wantBody(t, "the home page", p.Get(t, "/"), `href="/procurement"`)
	r = p.Get(t, fmt.Sprintf("/procurement/%d", v.ID))
	wantBody(t, "the notice", r, `id="opening-sealed"`, "服务方案", `id="tender-timeline"`)
	wantNoBody(t, "the notice", r, `action="/tenders`, `action="/opportunities`)
	servertest.WantRedirect(t, "GET /notifications anonymously", p.Get(t, "/notifications"), "/login")
	wantStatus(t, "GET /procurement/0", p.Get(t, "/procurement/0"), http.StatusNotFound)
	for _, user := range []string{"demo-resident", "demo-finance", "demo-evaluator"} {
		wantStatus(t, "GET /notifications as "+user, servertest.SignIn(t, e, user).Get(t, "/notifications"), http.StatusOK)
	}
}

// serviceBid seals a complete bid of username's organization through the service.
func serviceBid(t *testing.T, e *servertest.Env, svc *tender.Service, username string, v tender.View, price money.Fen) {
	t.Helper()
	body := tender.BidBody{PriceFen: price, TechnicalProposal: "技术方案：" + username, StaffingPlan: "社工 4 名"}
	for _, m := range v.Metrics {
		body.MetricCommitments = append(body.MetricCommitments, tender.Commitment{Code: m.Code, Value: m.Target})
	}
	if _, err := svc.SubmitBid(context.Background(), e.ActorOf(t, username), v.ID, body); err != nil {
		t.Fatalf("SubmitBid(%s) error = %v", username, err)
	}
}

// scoreInOrder has each committee member declare no conflict and score the
// bids through the service, each one below the one before it: the first bid
// ranks first.
func scoreInOrder(t *testing.T, e *servertest.Env, svc *tender.Service, tenderID int64, bids []int64, members ...string) {
	t.Helper()
	ctx := context.Background()
	for _, name := range members {
		a := e.ActorOf(t, name)
		if _, err := svc.Declare(ctx, a, tenderID, false, ""); err != nil {
			t.Fatalf("Declare(%s) error = %v", name, err)
		}
		var sheets []tender.BidSheet
		for i, b := range bids {
			sheets = append(sheets, tender.BidSheet{BidID: b, Criteria: []tender.CriterionScore{
				{Code: "plan", Points: tender.Score(3500 - 500*i), Comment: "方案"}, {Code: "team", Points: tender.Score(1800 - 300*i), Comment: "团队"}}})
		}
		if _, err := svc.SubmitScores(ctx, a, tenderID, sheets); err != nil {
			t.Fatalf("SubmitScores(%s) error = %v", name, err)
		}
	}
}

// A member who declares a conflict is replaced in the officer's page; the
// award form refuses a departure from the ranking without a reason; a
// challenge needs reasons, its answer an outcome and an answer; an upheld
// challenge sends the tender back to evaluation.
func TestPagesTenderAward(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	tenderCast(t, e)
	e.CreateUser(t, map[string]any{"username": "spare-evaluator", "display_name": "候补专家", "role": "evaluator",
		"district_id": e.ActorOf(t, "demo-district").Scope.DistrictID})
	svc := tenderService(t, e)
	ctx := context.Background()
	v := openTender(t, e, svc, "仁皇山社区助餐服务（定标测试）")
	serviceBid(t, e, svc, "demo-org", v, 42_000_000)
	serviceBid(t, e, svc, "demo-org3", v, 44_000_000)
	advanceTender(t, e, svc, v.ID, v.OpensAt.Add(time.Minute))
	bids := activeBids(t, e, v.ID, "demo-org", "demo-org3")
	tenderPath := fmt.Sprintf("/tenders/%d", v.ID)

	// demo-evaluator3 declares a conflict in the page; the officer replaces the member.
	ev3 := servertest.SignIn(t, e, "demo-evaluator3")
	review := fmt.Sprintf("/reviews/%d", v.ID)
	r := ev3.Post(t, review+"/declaration", url.Values{"csrf_token": {pageToken(t, ev3, review)}, "conflict": {"yes"}, "statement": {"曾在投标机构任职"}})
	servertest.WantRedirect(t, "POST a conflict", r, review+"?done=declared#declaration")
	wantBody(t, "the recused member's page", ev3.Get(t, review), `id="member-recused"`)
	officer := servertest.SignIn(t, e, "demo-officer")
	page := officer.Get(t, tenderPath)
	spare := e.IDOf(t, "users", "username = ?", "spare-evaluator")
	wantBody(t, "the committee", page, "存在冲突·已回避", fmt.Sprintf(`id="replace-%d"`, spare))
	token := servertest.CSRFToken(t, page)
	r = officer.Post(t, tenderPath+"/committee", url.Values{"csrf_token": {token}})
	wantFormAlert(t, "POST no replacement", r, http.StatusConflict)
	r = officer.Post(t, tenderPath+"/committee", url.Values{"csrf_token": {token}, "committee_user_ids": {strconv.FormatInt(spare, 10)}})
	servertest.WantRedirect(t, "POST a replacement", r, tenderPath+"?done=committee#committee")
	wantBody(t, "the replacement's reviews", servertest.SignIn(t, e, "spare-evaluator").Get(t, "/reviews"), fmt.Sprintf(`href="/reviews/%d"`, v.ID))

	// The committee scores through the service; demo-org ranks first.
	scoreInOrder(t, e, svc, v.ID, bids, "demo-evaluator", "demo-evaluator2", "spare-evaluator")

	// The award form: a departure needs a reason.
	page = officer.Get(t, tenderPath)
	wantBody(t, "the evaluated tender", page, `id="score-table"`, fmt.Sprintf(`id="award-bid-%d" name="bid_ids" value="%d" checked`, bids[0], bids[0]))
	r = officer.Post(t, tenderPath+"/award", url.Values{"csrf_token": {token}, "bid_ids": {strconv.FormatInt(bids[1], 10)}})
	wantFormAlert(t, "POST a departure without a reason", r, http.StatusBadRequest, "award-deviation_reason")
	wantBody(t, "POST a departure without a reason", r, fmt.Sprintf(`id="award-bid-%d" name="bid_ids" value="%d" checked`, bids[1], bids[1]))
	r = officer.Post(t, tenderPath+"/award", url.Values{"csrf_token": {token}, "bid_ids": {strconv.FormatInt(bids[0], 10)}})
	servertest.WantRedirect(t, "POST the award", r, tenderPath+"?done=proposed#award")
	r = officer.Post(t, tenderPath+"/award", url.Values{"csrf_token": {token}, "bid_ids": {strconv.FormatInt(bids[0], 10)}})
	wantStatus(t, "POST the award again", r, http.StatusConflict)

	// The loser challenges; the officer's answer needs an outcome and an answer.
	loser := servertest.SignIn(t, e, "demo-org3")
	opp := fmt.Sprintf("/opportunities/%d", v.ID)
	page = loser.Get(t, opp)
	wantBody(t, "the loser's page", page, `id="challenge-submit"`, `id="award-status" data-status="proposed"`, `id="score-table"`)
	lt := servertest.CSRFToken(t, page)
	r = loser.Post(t, opp+"/challenges", url.Values{"csrf_token": {lt}, "reasons": {""}})
	wantFormAlert(t, "POST a challenge without reasons", r, http.StatusBadRequest, "challenge-reasons")
	r = loser.Post(t, opp+"/challenges", url.Values{"csrf_token": {lt}, "reasons": {"评分有误"}, "evidence_document_ids": {"999999"}})
	wantFormAlert(t, "POST a challenge with another organization's document", r, http.StatusBadRequest, "challenge-evidence")
	orgs := org.NewService(e.DB, e.Clock, org.Options{Argon2: e.Cfg.Auth.Argon2, Uploads: e.Cfg.Uploads})
	loserActor := e.ActorOf(t, "demo-org3")
	doc, err := orgs.SaveDocument(ctx, loserActor, loserActor.Scope.OrganizationID, "评分复核申请.pdf", bytes.NewReader(samplePDF))
	if err != nil {
		t.Fatalf("SaveDocument() error = %v", err)
	}
	r = loser.Post(t, opp+"/challenges", url.Values{"csrf_token": {lt}, "reasons": {"评分有误"}, "evidence_document_ids": {strconv.FormatInt(doc.ID, 10)}})
	servertest.WantRedirect(t, "POST a challenge", r, opp+"?done=challenged#challenge")
	wantStatus(t, "a challenge by a non-bidder", servertest.SignIn(t, e, "demo-org2").Post(t, opp+"/challenges", url.Values{"csrf_token": {lt}, "reasons": {"x"}}),
		http.StatusForbidden)
	ch := e.IDOf(t, "challenges", "tender_id = ?", v.ID)
	answer := fmt.Sprintf("%s/challenges/%d/answer", tenderPath, ch)

	// The officer reads the evidence the challenge cites; nobody else reads it there.
	evidence := fmt.Sprintf("%s/challenges/%d/evidence/%d", tenderPath, ch, doc.ID)
	wantBody(t, "the officer's challenge list", officer.Get(t, tenderPath), fmt.Sprintf(`href="%s"`, evidence), "评分复核申请.pdf")
	r = officer.Get(t, evidence)
	if r.Status != http.StatusOK || !bytes.Equal(r.Body, samplePDF) || r.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("GET the evidence: status %d, type %q, %d bytes", r.Status, r.Header.Get("Content-Type"), len(r.Body))
	}
	wantStatus(t, "GET evidence the challenge does not cite", officer.Get(t, fmt.Sprintf("%s/challenges/%d/evidence/%d", tenderPath, ch, doc.ID+1000)),
		http.StatusNotFound)
	wantStatus(t, "GET the evidence as another subdistrict's officer", servertest.SignIn(t, e, "demo-officer2").Get(t, evidence), http.StatusNotFound)
	// A challenge is found under its own tender only.
	elsewhere := fmt.Sprintf("/tenders/%d", openTender(t, e, svc, "另一个招标（质疑归属测试）").ID)
	wantStatus(t, "GET the evidence under another tender", officer.Get(t, fmt.Sprintf("%s/challenges/%d/evidence/%d", elsewhere, ch, doc.ID)),
		http.StatusNotFound)
	wantStatus(t, "answer the challenge under another tender", officer.Post(t, fmt.Sprintf("%s/challenges/%d/answer", elsewhere, ch),
		url.Values{"csrf_token": {token}, "outcome": {"dismissed"}, "answer": {"错号"}}), http.StatusNotFound)
	wantStatus(t, "GET the evidence as an organization", servertest.SignIn(t, e, "demo-org").Get(t, evidence), http.StatusForbidden)
	r = officer.Post(t, answer, url.Values{"csrf_token": {token}, "outcome": {"upheld"}, "action": {"reevaluate"}, "answer": {""}})
	wantFormAlert(t, "POST an answer without text", r, http.StatusBadRequest, fmt.Sprintf("ch-%d-answer", ch))
	r = officer.Post(t, answer, url.Values{"csrf_token": {token}, "outcome": {"maybe"}, "answer": {"复核"}})
	wantFormAlert(t, "POST an answer without an outcome", r, http.StatusBadRequest, fmt.Sprintf("ch-%d-outcome", ch))
	other := servertest.SignIn(t, e, "demo-officer2")
	wantStatus(t, "answer another subdistrict's challenge", other.Post(t, answer, url.Values{"csrf_token": {pageToken(t, other, "/tenders")},
		"outcome": {"dismissed"}, "answer": {"x"}}), http.StatusNotFound)
	r = officer.Post(t, answer, url.Values{"csrf_token": {token}, "outcome": {"upheld"}, "action": {"reevaluate"}, "answer": {"评分复核后需重新评审"}})
	servertest.WantRedirect(t, "POST an upheld answer", r, tenderPath+"?done=challenge_answered#challenges")
	page = officer.Get(t, tenderPath)
	wantBody(t, "the tender back in evaluation", page, `data-status="opened"`, "质疑成立", "退回重新评审", "评分复核后需重新评审")
	wantBody(t, "the loser's answered challenge", loser.Get(t, opp), "评分复核后需重新评审")
}

// TestPagesTenderAwardBlocked: the winner's certification is suspended in the
// challenge period, so the award is blocked at its end; the officer's page
// says why, does not offer the suspended provider and proposes the next-ranked
// bid.
func TestPagesTenderAwardBlocked(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	tenderCast(t, e)
	svc := tenderService(t, e)
	ctx := context.Background()
	v := openTender(t, e, svc, "仁皇山社区助餐服务（资格复核测试）")
	serviceBid(t, e, svc, "demo-org", v, 42_000_000)
	serviceBid(t, e, svc, "demo-org3", v, 44_000_000)
	advanceTender(t, e, svc, v.ID, v.OpensAt.Add(time.Minute))
	bids := activeBids(t, e, v.ID, "demo-org", "demo-org3")
	scoreInOrder(t, e, svc, v.ID, bids, "demo-evaluator", "demo-evaluator2", "demo-evaluator3")
	p, err := svc.ProposeAward(ctx, e.ActorOf(t, "demo-officer"), v.ID, tender.AwardInput{})
	if err != nil || p.BidIDs[0] != bids[0] {
		t.Fatalf("ProposeAward() = %v, %v; want demo-org's bid %d", p.BidIDs, err, bids[0])
	}
	demoOrg := e.ActorOf(t, "demo-org")
	cert := e.IDOf(t, "certifications", "organization_id = ? AND status = 'approved'", demoOrg.Scope.OrganizationID)
	if _, err := e.Services.Orgs.Suspend(ctx, e.ActorOf(t, "demo-district"), cert, "服务投诉核查中"); err != nil {
		t.Fatalf("Suspend() error = %v", err)
	}
	advanceTender(t, e, svc, v.ID, p.ChallengeEndsAt)

	officer := servertest.SignIn(t, e, "demo-officer")
	tenderPath := fmt.Sprintf("/tenders/%d", v.ID)
	page := officer.Get(t, tenderPath)
	wantBody(t, "the blocked tender", page, `id="status-reason"`, "中标候选人已不符合投标资格", "中标结果暂缓确定",
		fmt.Sprintf(`id="award-bid-%d" name="bid_ids" value="%d" disabled`, bids[0], bids[0]), "已不具备投标资格：无本类别的有效认定",
		fmt.Sprintf(`id="award-bid-%d" name="bid_ids" value="%d" checked`, bids[1], bids[1]))
	token := servertest.CSRFToken(t, page)
	r := officer.Post(t, tenderPath+"/award", url.Values{"csrf_token": {token}, "bid_ids": {strconv.FormatInt(bids[0], 10)}})
	wantFormAlert(t, "POST the suspended provider's bid", r, http.StatusBadRequest, "award-bids")
	r = officer.Post(t, tenderPath+"/award", url.Values{"csrf_token": {token}, "bid_ids": {strconv.FormatInt(bids[1], 10)}})
	servertest.WantRedirect(t, "POST the next-ranked bid", r, tenderPath+"?done=proposed#award")
	wantBody(t, "the new proposal", officer.Get(t, tenderPath), `id="award-status" data-status="proposed"`)
	wantBody(t, "the bidder's notifications", servertest.SignIn(t, e, "demo-org").Get(t, "/notifications"), "中标候选人不再符合资格")
}

// A form whose text holds NUL or invalid UTF-8 is refused before any handler
// runs, and nothing is written: a sealed bid with NUL would stop the opening.
func TestPagesTenderRefuseUnstorableText(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	tenderCast(t, e)
	svc := tenderService(t, e)
	v := openTender(t, e, svc, "NUL 测试")
	path := fmt.Sprintf("/opportunities/%d", v.ID)
	bidder := servertest.SignIn(t, e, "demo-org")
	token := servertest.CSRFToken(t, bidder.Get(t, path))
	r := bidder.PostMultipart(t, path+"/bid", bidForm(token, "400000", "方案\x00含NUL", v), "attachments", nil)
	wantStatus(t, "POST a bid with NUL", r, http.StatusBadRequest)
	r = bidder.Post(t, path+"/questions", url.Values{"csrf_token": {token}, "body": {"问\x00题"}})
	wantStatus(t, "POST a question with NUL", r, http.StatusBadRequest)
	r = bidder.Post(t, path+"/questions", url.Values{"csrf_token": {token}, "body": {"问\xff题"}})
	wantStatus(t, "POST a question with invalid UTF-8", r, http.StatusBadRequest)
	for _, table := range []string{"bids", "tender_questions"} {
		var n int64
		if err := e.DB.Table(table).Where("tender_id = ?", v.ID).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s rows after refused forms = %d, want 0", table, n)
		}
	}
	// The same forms with clean text go through.
	r = bidder.PostMultipart(t, path+"/bid", bidForm(token, "400000", "方案", v), "attachments", nil)
	wantStatus(t, "POST a clean bid", r, http.StatusSeeOther)
}
