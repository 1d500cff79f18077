package ui_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

var idempotencyField = regexp.MustCompile(`<input type="hidden" name="idempotency_key" value="([^"]+)">`)

// fundPageForm returns the CSRF token and the appropriation form's
// idempotency key of fund account id's page.
func fundPageForm(t *testing.T, p *servertest.PageClient, id int64) (token, key string) {
	t.Helper()
	r := p.Get(t, fmt.Sprintf("/funds/%d", id))
	wantStatus(t, fmt.Sprintf("GET /funds/%d", id), r, http.StatusOK)
	m := idempotencyField.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("GET /funds/%d has no idempotency key: %s", id, r.Body)
	}
	return servertest.CSRFToken(t, r), string(m[1])
}

// fundBalance returns a balance of fund account id as stored.
func fundBalance(t *testing.T, e *servertest.Env, id int64, kind string) money.Fen {
	t.Helper()
	var b money.Fen
	if err := e.DB.Raw("SELECT balance FROM ledger_accounts WHERE fund_account_id = ? AND kind = ?", id, kind).Row().Scan(&b); err != nil {
		t.Fatalf("read the %s balance of fund %d: %v", kind, id, err)
	}
	return b
}

// otherFinanceOfficer creates a finance officer of 飞英街道 through the API as
// demo-admin, and signs that officer in.
func otherFinanceOfficer(t *testing.T, e *servertest.Env) *servertest.PageClient {
	t.Helper()
	r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/users", Token: e.Token(t, "demo-admin"), Body: map[string]any{
		"username": "feiying-finance", "password": servertest.DemoPassword, "role": "finance_officer",
		"subdistrict_id": e.Demo(t).SubB}})
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /api/v1/users = %d %s", r.Status, r.Body)
	}
	return servertest.SignIn(t, e, "feiying-finance")
}

// A finance officer opens a fund account and appropriates money through the
// forms; a double-submitted appropriation posts once, a correction reverses
// one, and the fund report shows what came in.
func TestPagesFundAppropriation(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	fin := servertest.SignIn(t, e, "demo-finance")
	list := fin.Get(t, "/funds")
	wantStatus(t, "GET /funds", list, http.StatusOK)
	wantBody(t, "GET /funds", list, "爱山街道政府购买服务专项资金", "1,800,000.00", `action="/funds"`, `id="fund-fiscal_year"`, `value="2026"`,
		"财政预算", "福彩公益金", "专项发展基金", "社会捐赠", `id="fund-cat-ELDERLY_HOME_CARE"`)
	wantBody(t, "the finance officer's dashboard", fin.Get(t, "/dashboard"), `href="/funds"`, `href="/payouts"`, `href="/reports/funds"`, `href="/donate"`)

	// A refused form names its bad fields, in form order, and keeps what was typed.
	token := servertest.CSRFToken(t, list)
	before := servertest.Count(t, e, "fund_accounts")
	r := fin.Post(t, "/funds", url.Values{"csrf_token": {token}, "fiscal_year": {"二〇二六"}, "source": {"special_development"},
		"name": {"爱山街道社区发展基金"}})
	wantFormAlert(t, "POST /funds without a year or categories", r, http.StatusBadRequest, "fund-fiscal_year", "fund-categories")
	wantBody(t, "POST /funds without a year or categories", r, `value="爱山街道社区发展基金"`, "请填写 2000 至 2100 之间的年份")
	if strings.Index(string(r.Body), `href="#fund-fiscal_year"`) > strings.Index(string(r.Body), `href="#fund-categories"`) {
		t.Errorf("POST /funds: the alert does not list the fields in form order")
	}
	r = fin.Post(t, "/funds", url.Values{"csrf_token": {token}, "fiscal_year": {"2026"}, "source": {"fiscal_budget"},
		"name": {"爱山街道政府购买服务专项资金"}, "categories": {"LEGAL_AID"}})
	wantFormAlert(t, "POST /funds with a taken name", r, http.StatusConflict, "fund-name")
	if n := servertest.Count(t, e, "fund_accounts"); n != before {
		t.Fatalf("fund accounts after refused forms = %d, want %d", n, before)
	}

	r = fin.Post(t, "/funds", url.Values{"csrf_token": {token}, "fiscal_year": {"2026"}, "source": {"special_development"},
		"name": {"爱山街道社区发展基金"}, "categories": {"ELDERLY_HOME_CARE", "LEGAL_AID"}, "accepts_donations": {"1"}})
	id := e.IDOf(t, "fund_accounts", "name = ?", "爱山街道社区发展基金")
	servertest.WantRedirect(t, "POST /funds", r, fmt.Sprintf("/funds/%d?done=created", id))
	page := fin.Get(t, fmt.Sprintf("/funds/%d?done=created", id))
	wantBody(t, "the new fund's page", page, "经费账户已开设", "专项发展基金", "法律咨询服务", `action="/funds/`+fmt.Sprint(id)+`/appropriations"`, "暂无记账")

	// Appropriate 50,000.00: a bad amount is refused, and the same form
	// submitted twice posts once.
	token, key := fundPageForm(t, fin, id)
	path := fmt.Sprintf("/funds/%d/appropriations", id)
	r = fin.Post(t, path, url.Values{"csrf_token": {token}, "idempotency_key": {key}, "amount": {"五万"}, "document_ref": {""}})
	wantFormAlert(t, "POST an appropriation of 五万 without a document", r, http.StatusBadRequest, "approp-amount_fen", "approp-document_ref")
	wantBody(t, "POST an appropriation of 五万", r, `value="五万"`, `value="`+key+`"`)
	form := url.Values{"csrf_token": {token}, "idempotency_key": {key}, "amount": {"50,000"}, "document_ref": {"湖吴财社〔2026〕30号"},
		"memo": {"社区发展基金首期"}}
	for i := range 2 {
		r = fin.Post(t, path, form)
		servertest.WantRedirect(t, fmt.Sprintf("POST the appropriation (%d)", i+1), r, fmt.Sprintf("/funds/%d?done=appropriated#postings", id))
	}
	if n := servertest.CountWhere(t, e, "ledger_postings", "fund_account_id = ? AND kind = 'appropriation'", id); n != 1 {
		t.Errorf("appropriations after a double submit = %d, want 1", n)
	}
	if got := fundBalance(t, e, id, fund.Available); got != 5_000_000 {
		t.Errorf("available = %d, want 5000000", got)
	}
	// The same form with another amount is a conflict, answered with a fresh key.
	form.Set("amount", "60000")
	r = fin.Post(t, path, form)
	wantStatus(t, "POST the used form with another amount", r, http.StatusConflict)
	wantBody(t, "POST the used form with another amount", r, "此表单已以其他内容提交过")
	wantNoBody(t, "POST the used form with another amount", r, `value="`+key+`"`)

	// A second appropriation, then its correction.
	token, key2 := fundPageForm(t, fin, id)
	if key2 == key {
		t.Errorf("the fund page offers the used key %q again", key)
	}
	r = fin.Post(t, path, url.Values{"csrf_token": {token}, "idempotency_key": {key2}, "amount": {"2000.50"}, "document_ref": {"湖吴财社〔2026〕31号"}})
	servertest.WantRedirect(t, "POST a second appropriation", r, fmt.Sprintf("/funds/%d?done=appropriated#postings", id))
	second := e.IDOf(t, "ledger_postings", "fund_account_id = ? AND document_ref = ?", id, "湖吴财社〔2026〕31号")
	page = fin.Get(t, fmt.Sprintf("/funds/%d", id))
	wantBody(t, "the fund page", page, "¥50,000.00", "¥52,000.50", "湖吴财社〔2026〕30号", "社区发展基金首期",
		fmt.Sprintf(`action="/funds/%d/postings/%d/correct"`, id, second))
	correct := fmt.Sprintf("/funds/%d/postings/%d/correct", id, second)
	r = fin.Post(t, correct, url.Values{"csrf_token": {token}, "reason": {"  "}})
	wantFormAlert(t, "POST a correction without a reason", r, http.StatusBadRequest, fmt.Sprintf("correct-%d-reason", second))
	r = fin.Post(t, correct, url.Values{"csrf_token": {token}, "reason": {"金额录入错误"}})
	servertest.WantRedirect(t, "POST a correction", r, fmt.Sprintf("/funds/%d?done=corrected#postings", id))
	page = fin.Get(t, fmt.Sprintf("/funds/%d?done=corrected", id))
	wantBody(t, "the fund page after the correction", page, "已更正", "金额录入错误", "已由第")
	wantNoBody(t, "the fund page after the correction", page, fmt.Sprintf(`action="/funds/%d/postings/%d/correct"`, id, second))
	r = fin.Post(t, correct, url.Values{"csrf_token": {token}, "reason": {"再次更正"}})
	wantStatus(t, "POST a second correction", r, http.StatusConflict)
	wantBody(t, "POST a second correction", r, "只有尚未更正的拨款或捐赠可以更正")
	if got := fundBalance(t, e, id, fund.Available); got != 5_000_000 {
		t.Errorf("available after the correction = %d, want 5000000", got)
	}

	// The report shows what came in by source and year, and the floor rule.
	rep := fin.Get(t, "/reports/funds")
	wantStatus(t, "GET /reports/funds", rep, http.StatusOK)
	row := regexp.MustCompile(`(?s)<tr>\s*<td class="num">2026</td>\s*<th scope="row">专项发展基金<br>.*?</tr>`).Find(rep.Body)
	if row == nil || !strings.Contains(string(row), "50,000.00") {
		t.Errorf("GET /reports/funds: no 2026 专项发展基金 row with 50,000.00 received: %s", row)
	}
	// No contract holds money yet: planned items do not count, so A's three
	// communities are all below their floor this year.
	wantBody(t, "GET /reports/funds", rep, "不足 1,000 户 ¥10,000.00", "¥30,000.00", "¥40,000.00", `id="floor"`, "南街社区",
		"2026 年度：3 个社区（共 3 个）低于底线", `id="contracts-empty"`)
	// By category: the seeded fund earmarked to four categories makes each of them "shared".
	byCategory := regexp.MustCompile(`(?s)<table id="by-category">.*?</table>`).Find(rep.Body)
	if byCategory == nil || !strings.Contains(string(byCategory), "法律咨询服务") || !strings.Contains(string(byCategory), "（含多类别账户）") {
		t.Errorf("GET /reports/funds: no by-category table with 法律咨询服务 marked shared: %s", byCategory)
	}

	// A contract of 40,000.00 serving 南街社区 alone (2,350 households)
	// brings it to its floor; the contracts' table shows its money.
	c := e.ActiveContract(t)
	finance := servertest.UserActor(t, e.DB, "demo-finance")
	if err := e.DB.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`UPDATE contracts SET amount_fen = 4000000, signed_amount_fen = 4000000 WHERE id = ?`, c.ID).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM contract_communities WHERE contract_id = ? AND community_id <> ?`, c.ID, e.Demo(t).CommA).Error; err != nil {
			return err
		}
		var k struct {
			TenderID     int64
			CategoryCode string
		}
		if err := tx.Raw(`SELECT tender_id, category_code FROM contracts WHERE id = ?`, c.ID).Scan(&k).Error; err != nil {
			return err
		}
		if _, err := fund.Reserve(tx, finance, e.Demo(t).FundA, k.CategoryCode, 4_000_000, fund.Ref{Type: "tender", ID: fmt.Sprint(k.TenderID)}); err != nil {
			return err
		}
		_, err := fund.Encumber(tx, finance, e.Demo(t).FundA, 4_000_000, fund.Ref{Type: "contract", ID: fmt.Sprint(c.ID)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A new community that no contract serves is below its floor, with its shortfall.
	r = e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/communities", Token: e.Token(t, "demo-officer"), Body: map[string]any{
		"subdistrict_id": e.Demo(t).SubA, "code": "330502003099", "name_zh": "新建社区", "households": 500}})
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /api/v1/communities = %d %s", r.Status, r.Body)
	}
	rep = fin.Get(t, "/reports/funds")
	wantBody(t, "GET /reports/funds with a contract and a new community", rep, "2026 年度：3 个社区（共 4 个）低于底线", "缺口 ¥10,000.00")
	met := regexp.MustCompile(fmt.Sprintf(`(?s)<tr id="community-%d-2026">\s*<td class="num">2026</td>\s*<th scope="row">南街社区.*?40,000.00.*?达到底线`, e.Demo(t).CommA))
	if !met.Match(rep.Body) {
		t.Errorf("GET /reports/funds: 南街社区 is not shown at its floor with 40,000.00 contracted")
	}
	below := regexp.MustCompile(`(?s)<tr id="community-\d+-2026" class="below-floor">\s*<td class="num">2026</td>\s*<th scope="row">新建社区`)
	if !below.Match(rep.Body) {
		t.Errorf("GET /reports/funds: 新建社区 is not marked below its floor")
	}
	contractRow := regexp.MustCompile(fmt.Sprintf(`(?s)<tr id="contract-money-%d">.*?</tr>`, c.ID)).Find(rep.Body)
	if contractRow == nil || !strings.Contains(string(contractRow), "测试服务记录项目") || strings.Count(string(contractRow), "40,000.00") != 2 {
		t.Errorf("GET /reports/funds: no contracts' row with 40,000.00 amount and encumbered: %s", contractRow)
	}
	servertest.LedgerOK(t, e)
}

// Procurement officers and district admins read the fund pages without forms
// and may not post; another subdistrict's finance officer does not find A's
// fund; other roles may not open them.
func TestPagesFundAccess(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	fundA := e.Demo(t).FundA
	fundPath := fmt.Sprintf("/funds/%d", fundA)
	appropriate := fundPath + "/appropriations"
	_, key := fundPageForm(t, servertest.SignIn(t, e, "demo-finance"), fundA)
	before := servertest.Count(t, e, "ledger_postings")

	for _, who := range []string{"demo-officer", "demo-district"} {
		p := servertest.SignIn(t, e, who)
		list := p.Get(t, "/funds")
		wantStatus(t, "GET /funds as "+who, list, http.StatusOK)
		wantBody(t, "GET /funds as "+who, list, "爱山街道政府购买服务专项资金", `id="read-only"`)
		wantNoBody(t, "GET /funds as "+who, list, `action="/funds"`)
		page := p.Get(t, fundPath)
		wantStatus(t, "GET "+fundPath+" as "+who, page, http.StatusOK)
		wantBody(t, "GET "+fundPath+" as "+who, page, "¥1,800,000.00", `id="postings-csv"`)
		wantNoBody(t, "GET "+fundPath+" as "+who, page, `action="`+appropriate+`"`, `/correct"`, `name="idempotency_key"`)
		token := servertest.CSRFToken(t, page)
		r := p.Post(t, appropriate, url.Values{"csrf_token": {token}, "idempotency_key": {key}, "amount": {"100"}, "document_ref": {"越权"}})
		wantStatus(t, "POST an appropriation as "+who, r, http.StatusForbidden)
		r = p.Post(t, "/funds", url.Values{"csrf_token": {token}, "fiscal_year": {"2026"}, "source": {"fiscal_budget"}, "name": {"越权"},
			"categories": {"LEGAL_AID"}})
		wantStatus(t, "POST /funds as "+who, r, http.StatusForbidden)
		wantStatus(t, "GET /reports/funds as "+who, p.Get(t, "/reports/funds"), http.StatusOK)
		wantBody(t, who+"'s dashboard", p.Get(t, "/dashboard"), `href="/funds"`, `href="/reports/funds"`)
	}
	wantBody(t, "GET /funds as demo-district", servertest.SignIn(t, e, "demo-district").Get(t, "/funds"), "爱山街道")

	other := otherFinanceOfficer(t, e)
	wantStatus(t, "GET A's fund as 飞英's finance officer", other.Get(t, fundPath), http.StatusNotFound)
	wantStatus(t, "GET A's postings CSV as 飞英's finance officer", other.Get(t, fundPath+"/postings.csv"), http.StatusNotFound)
	r := other.Post(t, appropriate, url.Values{"csrf_token": {pageToken(t, other, "/funds")}, "idempotency_key": {key},
		"amount": {"100"}, "document_ref": {"越界"}})
	wantStatus(t, "POST an appropriation to A as 飞英's finance officer", r, http.StatusNotFound)
	wantNoBody(t, "GET /funds as 飞英's finance officer", other.Get(t, "/funds"), "爱山街道政府购买服务专项资金")
	if n := servertest.Count(t, e, "ledger_postings"); n != before {
		t.Errorf("postings after refused appropriations = %d, want %d", n, before)
	}

	for _, who := range []string{"demo-evaluator", "demo-org", "demo-resident"} {
		p := servertest.SignIn(t, e, who)
		for _, path := range []string{"/funds", fundPath, "/payouts", "/reports/funds"} {
			wantStatus(t, "GET "+path+" as "+who, p.Get(t, path), http.StatusForbidden)
		}
		wantNoBody(t, who+"'s dashboard", p.Get(t, "/dashboard"), `href="/funds"`, `href="/payouts"`, `href="/reports/funds"`)
	}
	anon := servertest.NewPageClient(e)
	for _, path := range []string{"/funds", fundPath, "/payouts", "/reports/funds", "/org/payouts"} {
		servertest.WantRedirect(t, "GET "+path+" anonymously", anon.Get(t, path), "/login")
	}
}

// The postings download holds the lines of the postings the page lists, with
// the same filters.
func TestPagesFundPostingsCSV(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	fin := servertest.SignIn(t, e, "demo-finance")
	id := e.Demo(t).Lottery
	page := fin.Get(t, fmt.Sprintf("/funds/%d?kind=appropriation&from=2026-11-01&until=2026-11-30", id))
	wantStatus(t, "GET the filtered fund page", page, http.StatusOK)
	link := fmt.Sprintf(`href="/funds/%d/postings.csv?from=2026-11-01&amp;kind=appropriation&amp;until=2026-11-30"`, id)
	wantBody(t, "GET the filtered fund page", page, link, `<option value="appropriation" selected>`, `value="2026-11-01"`, "湖吴民〔2026〕8号")

	r := fin.Get(t, fmt.Sprintf("/funds/%d/postings.csv?from=2026-11-01&kind=appropriation&until=2026-11-30", id))
	wantStatus(t, "GET the postings CSV", r, http.StatusOK)
	if ct, cd := r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"); ct != "text/csv; charset=utf-8" ||
		cd != fmt.Sprintf(`attachment; filename="fund-%d-postings.csv"; filename*=UTF-8''fund-%d-postings.csv`, id, id) {
		t.Errorf("CSV Content-Type %q, Content-Disposition %q", ct, cd)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, r.Body)
	}
	want := [][]string{{"posting_id", "created_at", "kind", "reference", "document_ref", "memo", "account", "amount_yuan"}}
	posting := fmt.Sprint(e.IDOf(t, "ledger_postings", "fund_account_id = ? AND kind = 'appropriation'", id))
	for _, l := range [][2]string{{"source", "-500000.00"}, {"available", "500000.00"}} {
		want = append(want, []string{posting, "2026-11-22T17:00:00+08:00", "appropriation", "appropriation:湖吴民〔2026〕8号",
			"湖吴民〔2026〕8号", "年度预算拨付", l[0], l[1]})
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("CSV rows = %q, want %q", rows, want)
	}

	r = fin.Get(t, fmt.Sprintf("/funds/%d/postings.csv?from=2026-11-23", id))
	if rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll(); err != nil || len(rows) != 1 {
		t.Errorf("CSV from the day after = %q (%v), want the header only", r.Body, err)
	}
	wantStatus(t, "GET the CSV with a bad date", fin.Get(t, fmt.Sprintf("/funds/%d/postings.csv?from=2026-13-01", id)), http.StatusBadRequest)
	page = fin.Get(t, fmt.Sprintf("/funds/%d?from=2026-13-01&kind=appropriation", id))
	wantFormAlert(t, "GET the fund page with a bad date", page, http.StatusBadRequest, "filter-from")
	wantBody(t, "GET the fund page with a bad date", page, fmt.Sprintf(`href="/funds/%d/postings.csv?kind=appropriation"`, id))
}

// A finance officer confirms a manual payout with its bank reference; the
// organization sees the payment, and no Stripe button while Stripe is off.
func TestPagesPayoutConfirm(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	finance := servertest.UserActor(t, e.DB, "demo-finance")
	fundID := e.Demo(t).FundA
	orgID := e.Demo(t).Org1
	p := servertest.RequestPayout(t, e.DB, servertest.ManualPayouts(e), finance, fundID, orgID, 1_234_500, "page-ms-1")
	form := fmt.Sprintf(`action="/payouts/%d/confirm"`, p.ID)
	confirm := fmt.Sprintf("/payouts/%d/confirm", p.ID)

	officer := servertest.SignIn(t, e, "demo-officer")
	list := officer.Get(t, "/payouts")
	wantStatus(t, "GET /payouts as demo-officer", list, http.StatusOK)
	wantBody(t, "GET /payouts as demo-officer", list, "湖州市吴兴区康乐居家养老服务中心", "¥12,345.00", "待支付", "银行转账")
	wantNoBody(t, "GET /payouts as demo-officer", list, form)
	r := officer.Post(t, confirm, url.Values{"csrf_token": {servertest.CSRFToken(t, list)}, "reference": {"越权"}})
	wantStatus(t, "POST a confirmation as demo-officer", r, http.StatusForbidden)

	fin := servertest.SignIn(t, e, "demo-finance")
	list = fin.Get(t, "/payouts")
	wantBody(t, "GET /payouts as demo-finance", list, form, "1 笔待支付")
	token := servertest.CSRFToken(t, list)
	r = fin.Post(t, confirm, url.Values{"csrf_token": {token}, "reference": {" "}})
	wantFormAlert(t, "POST a confirmation without a reference", r, http.StatusBadRequest, fmt.Sprintf("confirm-%d-reference", p.ID))
	r = fin.Post(t, confirm, url.Values{"csrf_token": {token}, "reference": {"ICBC-20261122-0001"}})
	servertest.WantRedirect(t, "POST a confirmation", r, fmt.Sprintf("/payouts?done=confirmed&id=%d#payout-%d", p.ID, p.ID))
	list = fin.Get(t, fmt.Sprintf("/payouts?done=confirmed&id=%d", p.ID))
	wantBody(t, "GET /payouts after confirming", list, fmt.Sprintf("第 %d 笔支付已确认", p.ID), "已支付", "ICBC-20261122-0001")
	wantNoBody(t, "GET /payouts after confirming", list, form)
	r = fin.Post(t, confirm, url.Values{"csrf_token": {token}, "reference": {"ICBC-20261122-0002"}})
	wantStatus(t, "POST a second confirmation", r, http.StatusConflict)
	if got := fundBalance(t, e, fundID, fund.Paid); got != 1_234_500 {
		t.Errorf("paid = %d, want 1234500", got)
	}

	org := servertest.SignIn(t, e, "demo-org")
	wantBody(t, "demo-org's dashboard", org.Get(t, "/dashboard"), `href="/org/payouts"`)
	mine := org.Get(t, "/org/payouts")
	wantStatus(t, "GET /org/payouts", mine, http.StatusOK)
	wantBody(t, "GET /org/payouts", mine, "¥12,345.00", "已支付", "ICBC-20261122-0001", "累计已收款：¥12,345.00", "爱山街道政府购买服务专项资金")
	wantNoBody(t, "GET /org/payouts with Stripe off", mine, "Stripe", `action="/org/payouts/connect"`)
	r = org.Post(t, "/org/payouts/connect", url.Values{"csrf_token": {servertest.CSRFToken(t, mine)}})
	wantStatus(t, "POST /org/payouts/connect with Stripe off", r, http.StatusConflict)
	other := servertest.SignIn(t, e, "demo-org2")
	wantBody(t, "GET /org/payouts as demo-org2", other.Get(t, "/org/payouts"), "暂无收款")
	wantStatus(t, "GET /payouts as demo-org", org.Get(t, "/payouts"), http.StatusForbidden)
}

// With Stripe on, a donation goes from the form to Stripe Checkout; once the
// signed webhook is applied, the receipt shows it completed and the fund grew.
func TestPagesDonation(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithStripe(t)
	e := pe.Env
	open := e.Demo(t).Lottery
	closed := e.Demo(t).FundA
	anon := servertest.NewPageClient(e)
	page := anon.Get(t, "/donate")
	wantStatus(t, "GET /donate", page, http.StatusOK)
	wantBody(t, "GET /donate", page, `action="/donate"`, "爱山街道福彩公益金", fmt.Sprintf(`id="donate-fund-%d"`, open), "¥1.00 至 ¥1,000,000.00")
	wantNoBody(t, "GET /donate", page, "爱山街道政府购买服务专项资金")
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://checkout.stripe.com;") {
		t.Errorf("GET /donate Content-Security-Policy = %q, want its form to lead to Stripe Checkout", csp)
	}
	token := servertest.CSRFToken(t, page)
	before := servertest.Count(t, e, "donations")
	for _, tt := range []struct {
		name    string
		form    url.Values
		anchors []string
	}{
		{"no fund, half a yuan", url.Values{"amount": {"0.5"}}, []string{"donate-fund_account_id", "donate-amount_fen"}},
		{"a closed fund", url.Values{"fund_account_id": {fmt.Sprint(closed)}, "amount": {"100"}}, []string{"donate-fund_account_id"}},
		{"too much", url.Values{"fund_account_id": {fmt.Sprint(open)}, "amount": {"1000000.01"}}, []string{"donate-amount_fen"}},
		{"three decimals", url.Values{"fund_account_id": {fmt.Sprint(open)}, "amount": {"10.001"}}, []string{"donate-amount_fen"}},
	} {
		tt.form.Set("csrf_token", token)
		wantFormAlert(t, "POST /donate with "+tt.name, anon.Post(t, "/donate", tt.form), http.StatusBadRequest, tt.anchors...)
	}
	if n := servertest.Count(t, e, "donations"); n != before {
		t.Fatalf("donations after refused forms = %d, want %d", n, before)
	}

	r := anon.Post(t, "/donate", url.Values{"csrf_token": {token}, "fund_account_id": {fmt.Sprint(open)}, "amount": {"1,288.88"},
		"donor_name": {"热心市民王女士"}})
	if loc := r.Header.Get("Location"); r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "https://checkout.stripe.com/") {
		t.Fatalf("POST /donate = %d Location %q, want 303 to the Stripe Checkout page", r.Status, loc)
	}
	donation := e.IDOf(t, "donations", "fund_account_id = ? AND state = 'pending'", open)
	receipt := fmt.Sprintf("/donate/receipt/%d", donation)
	rc := anon.Get(t, receipt)
	wantStatus(t, "GET the pending receipt", rc, http.StatusOK)
	wantBody(t, "GET the pending receipt", rc, "正在等待 Stripe 确认支付", "¥1,288.88", "爱山街道福彩公益金", "待支付")
	wantNoBody(t, "GET the pending receipt", rc, "热心市民王女士")

	availableBefore := fundBalance(t, e, open, fund.Available)
	event := servertest.CheckoutCompleted(t, e, "evt_page_donation", donation, 128_888)
	servertest.DeliverEvent(t, e, event, "evt_page_donation")
	servertest.ApplyEvent(t, pe, "evt_page_donation")
	rc = anon.Get(t, receipt)
	wantBody(t, "GET the completed receipt", rc, "感谢您的捐赠", "2026-11-22 17:00", "已到账", "¥1,288.88")
	wantNoBody(t, "GET the completed receipt", rc, "正在等待", "热心市民王女士")
	if got := fundBalance(t, e, open, fund.Available); got != availableBefore+128_888 {
		t.Errorf("available after the donation = %d, want %d", got, availableBefore+128_888)
	}
	fin := servertest.SignIn(t, e, "demo-finance")
	wantBody(t, "the fund page after the donation", fin.Get(t, fmt.Sprintf("/funds/%d?kind=donation", open)), "捐赠", "¥1,288.88",
		fmt.Sprintf("donation %d", donation))
	wantStatus(t, "GET an unknown receipt", anon.Get(t, "/donate/receipt/999999"), http.StatusNotFound)
	servertest.LedgerOK(t, e)

	// The organization's admin connects to Stripe: the form leads to the
	// account link stripe-mock answers.
	org := servertest.SignIn(t, e, "demo-org")
	mine := org.Get(t, "/org/payouts")
	wantBody(t, "GET /org/payouts with Stripe on", mine, `action="/org/payouts/connect"`, "连接 Stripe")
	r = org.Post(t, "/org/payouts/connect", url.Values{"csrf_token": {servertest.CSRFToken(t, mine)}})
	if loc := r.Header.Get("Location"); r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "https://") {
		t.Errorf("POST /org/payouts/connect = %d Location %q, want 303 to a Stripe account link", r.Status, loc)
	}
	wantBody(t, "GET /org/payouts once connected", org.Get(t, "/org/payouts?connected=1"), "欢迎从 Stripe 返回", "继续在 Stripe 完成")
}

// Without Stripe, the donation page says donations are not open and takes none.
func TestPagesDonationClosed(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	anon := servertest.NewPageClient(e)
	page := anon.Get(t, "/donate")
	wantStatus(t, "GET /donate with Stripe off", page, http.StatusOK)
	wantBody(t, "GET /donate with Stripe off", page, "本平台暂未开通在线捐赠", `href="/donate" aria-current="page"`)
	wantNoBody(t, "GET /donate with Stripe off", page, `action="/donate"`, "爱山街道福彩公益金")
	open := e.Demo(t).Lottery
	r := anon.Post(t, "/donate", url.Values{"csrf_token": {pageToken(t, anon, "/login")}, "fund_account_id": {fmt.Sprint(open)}, "amount": {"100"}})
	wantStatus(t, "POST /donate with Stripe off", r, http.StatusConflict)
	if n := servertest.Count(t, e, "donations"); n != 0 {
		t.Errorf("donations = %d, want 0", n)
	}
	en := servertest.NewPageClient(e)
	en.Cookies["jd_lang"] = "en"
	wantBody(t, "GET /donate in English", en.Get(t, "/donate"), "Donations are not open on this platform")
}

// fundRawKey matches a message key of the fund pages left untranslated.
var fundRawKey = regexp.MustCompile(`[>"](?:balance|posting_kind|fund_source|payout_state|provider|donation_state|ref_type|fund|funds|postings|payouts|payout|report|donate|receipt|stripe|approp|correct|confirm|filter|org_payouts|fielderr|conflict|taken)\.[a-z_.]+[<"]`)

// Every fund page answers in both languages with its heading, a label for
// every input, a caption and scoped headers for every table, and no message
// key left untranslated.
func TestPagesFundMarkup(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithStripe(t)
	e := pe.Env
	fundID := e.Demo(t).FundA
	open := e.Demo(t).Lottery
	orgID := e.Demo(t).Org1
	servertest.RequestPayout(t, e.DB, servertest.ManualPayouts(e), servertest.UserActor(t, e.DB, "demo-finance"), fundID, orgID, 300_000, "markup-ms-1")
	donation := servertest.Donate(t, e, open, 10_000, "").DonationID
	for _, lang := range []string{"zh-CN", "en"} {
		clients := map[string]*servertest.PageClient{"": servertest.NewPageClient(e), "demo-finance": servertest.SignIn(t, e, "demo-finance"),
			"demo-district": servertest.SignIn(t, e, "demo-district"), "demo-org": servertest.SignIn(t, e, "demo-org")}
		pages := map[string][]string{
			"":              {"/donate", "/donate?cancelled=1", fmt.Sprintf("/donate/receipt/%d", donation)},
			"demo-finance":  {"/funds", fmt.Sprintf("/funds/%d", fundID), fmt.Sprintf("/funds/%d?done=appropriated", fundID), "/payouts", "/reports/funds"},
			"demo-district": {"/funds", fmt.Sprintf("/funds/%d", open), "/payouts", "/reports/funds"},
			"demo-org":      {"/org/payouts", "/org/payouts?connected=1", "/org/payouts?refresh=1"},
		}
		for who, paths := range pages {
			p := clients[who]
			p.Cookies["jd_lang"] = lang
			for _, path := range paths {
				what := fmt.Sprintf("%s GET %s as %q", lang, path, who)
				r := p.Get(t, path)
				wantStatus(t, what, r, http.StatusOK)
				wantBody(t, what, r, `<html lang="`+lang+`">`, "<h1>", `<main id="main"`)
				body := string(r.Body)
				for _, tag := range formControl.FindAllString(body, -1) {
					if strings.Contains(tag, `type="hidden"`) {
						continue
					}
					if m := attrID.FindStringSubmatch(tag); m == nil || !strings.Contains(body, `<label for="`+m[1]+`"`) {
						t.Errorf("%s: %s has no label", what, tag)
					}
				}
				for _, table := range tableTag.FindAllString(body, -1) {
					if !strings.Contains(table, "<caption") || strings.Count(table, "<th ") != strings.Count(table, "<th scope=") {
						t.Errorf("%s: a table lacks a caption or scoped headers: %.200s", what, table)
					}
				}
				if m := fundRawKey.FindString(body); m != "" {
					t.Errorf("%s shows the message key %s", what, m)
				}
			}
		}
	}
}

// The API and the fund page read the postings filter alike (fund.ParsePostingFilter):
// the same query is good or bad in both, and spaces around a value are
// ignored in both (the API refused them before).
func TestPostingsFilterAPIAndPageAgree(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	fin := servertest.SignIn(t, e, "demo-finance")
	token := e.Token(t, "demo-finance")
	id := e.Demo(t).Lottery
	tests := []struct {
		query string
		good  bool
	}{
		{"kind=appropriation&from=2026-11-01&until=2026-11-30", true},
		{"kind=%20appropriation%20&from=%202026-11-01&until=2026-11-30%20", true},
		{"from=2026-11-05&until=2026-11-05", true},
		{"kind=gift", false},
		{"from=2026-11-31", false},
		{"from=2026-11-10&until=2026-11-09", false},
	}
	for _, tt := range tests {
		want := http.StatusOK
		if !tt.good {
			want = http.StatusBadRequest
		}
		api := e.Do(t, servertest.Request{Method: "GET", Path: fmt.Sprintf("/api/v1/fund-accounts/%d/postings?format=csv&%s", id, tt.query), Token: token})
		page := fin.Get(t, fmt.Sprintf("/funds/%d/postings.csv?%s", id, tt.query))
		if api.Status != want || page.Status != want {
			t.Errorf("postings ?%s: API %d, page %d, want %d from both", tt.query, api.Status, page.Status, want)
		}
		if tt.good && string(api.Body) != string(page.Body) {
			t.Errorf("postings ?%s: the API's CSV and the page's differ:\n%s\n%s", tt.query, api.Body, page.Body)
		}
	}
}
