package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// The public portal's pages on one active contract of 爱山 (90,000.00, signed
// this year) with five ratings, one of whose comments an officer hid: the
// stars of a hidden comment still count (DOMAIN.md), so 4 of 5 are
// satisfied. The home page shows the figures, the charts and the open-data
// links; the subdistrict, fund and provider pages show theirs; an unknown
// subdistrict is not found, and bad filters are ignored.
func TestPagesPortal(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	ctx, anon := context.Background(), e.ActorOf(t, "demo-resident")
	d := e.Demo(t)
	var ids []int64
	for i, overall := range []int{5, 5, 4, 4, 2} {
		v, err := e.Services.Ratings.Submit(ctx, anon, ratingCode(t, e, c, fmt.Sprintf("NJ-PT%02d", i)),
			rating.Stars{Timeliness: 4, Professionalism: 4, Attitude: 4, Effectiveness: 4, Overall: overall, Comment: fmt.Sprintf("门户评论%02d", i)})
		if err != nil {
			t.Fatalf("Submit() error = %v", err)
		}
		ids = append(ids, v.ID)
	}
	if _, err := e.Services.Ratings.Hide(ctx, e.ActorOf(t, "demo-officer"), ids[0], "含个人信息"); err != nil {
		t.Fatalf("Hide() error = %v", err)
	}
	p := servertest.NewPageClient(e)

	r := p.Get(t, "/")
	wantStatus(t, "GET /", r, http.StatusOK)
	wantBody(t, "GET /", r, `<dd id="figure-open-tenders">0</dd>`, `<dd id="figure-active-contracts">1</dd>`,
		`<dd id="figure-committed">¥90,000.00</dd>`, `<dd id="figure-paid">¥0.00</dd>`, `<dd id="figure-satisfaction">80.00%</dd>`,
		`<svg role="img" aria-labelledby="paid-by-month-title paid-by-month-desc"`, `<title id="paid-by-month-title">每月支付金额</title>`,
		`<title id="committed-by-subdistrict-title">各街道签约金额</title>`, `<th scope="row">爱山街道</th><td class="num">90,000.00</td>`,
		`href="/api/v1/public/ocds/releases"`, `href="/api/v1/public/ocds/bulk.jsonl"`, `href="/api/v1/public/exports/tenders.csv"`,
		fmt.Sprintf(`<a href="/subdistricts/%d">爱山街道</a>`, d.SubA), `href="/transparency/funds"`, `href="/providers"`)
	wantNoBody(t, "GET /", r, "门户评论", "<script")
	en := servertest.NewPageClient(e)
	en.Cookies["jd_lang"] = "en"
	wantBody(t, "GET / in English", en.Get(t, "/"), `<title id="paid-by-month-title">Money paid per month</title>`, ">Nov</text>",
		`<th scope="row">Aishan Subdistrict</th><td class="num">90,000.00</td>`, "Live figures for 2026", "OCDS 1.1")

	r = p.Get(t, "/subdistricts")
	wantStatus(t, "GET /subdistricts", r, http.StatusOK)
	wantBody(t, "GET /subdistricts", r, fmt.Sprintf(`<tr id="subdistrict-%d">`, d.SubA), fmt.Sprintf(`<tr id="subdistrict-%d">`, d.SubB),
		`<title id="open-tenders-title">`)

	page := fmt.Sprintf("/subdistricts/%d", d.SubA)
	r = p.Get(t, page)
	wantStatus(t, "GET "+page, r, http.StatusOK)
	wantBody(t, "GET "+page, r, "<h1>爱山街道</h1>", fmt.Sprintf(`<a href="/procurement/contracts/%d">测试服务记录项目</a>`, c.ID),
		`<dd id="figure-active-contracts">1</dd>`, `<dd id="figure-satisfaction">80.00%</dd>`, `<table id="fund-usage">`, "财政预算")
	for _, bad := range []string{"/subdistricts/999999", "/subdistricts/abc", "/subdistricts/0"} {
		wantStatus(t, "GET "+bad, p.Get(t, bad), http.StatusNotFound)
	}

	r = p.Get(t, "/transparency/funds")
	wantStatus(t, "GET /transparency/funds", r, http.StatusOK)
	wantBody(t, "GET /transparency/funds", r, `<tr id="source-fiscal_budget">`, `<title id="received-by-source-title">`,
		`<table id="received-by-source-data">`, `<table id="floors">`, "南街社区", "社会捐赠仅公布合计金额")
	r = p.Get(t, fmt.Sprintf("/transparency/funds?subdistrict=%d&year=2026", d.SubB))
	wantStatus(t, "GET /transparency/funds of 飞英", r, http.StatusOK)
	wantNoBody(t, "GET /transparency/funds of 飞英", r, "南街社区")
	wantStatus(t, "GET /transparency/funds with bad filters", p.Get(t, "/transparency/funds?subdistrict=x&year=99999"), http.StatusOK)

	r = p.Get(t, "/providers")
	wantStatus(t, "GET /providers", r, http.StatusOK)
	wantBody(t, "GET /providers", r, fmt.Sprintf(`<tr id="provider-%d">`, d.Org1), fmt.Sprintf(`<a href="/organizations/%d">`, d.Org1))
	r = p.Get(t, fmt.Sprintf("/providers?subdistrict=%d", d.SubA))
	wantBody(t, "GET /providers serving 爱山", r, fmt.Sprintf(`<tr id="provider-%d">`, d.Org1))
	wantNoBody(t, "GET /providers serving 爱山", r, fmt.Sprintf(`<tr id="provider-%d">`, d.Org2))
	wantStatus(t, "GET /providers with bad filters", p.Get(t, "/providers?subdistrict=x&category=nope&page=-3"), http.StatusOK)
}
