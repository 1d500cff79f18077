package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// A contract in the browser, on the demo seed's awarded tender and its draft
// contract: the officer opens it from the contract list, enters each
// community's eligible population and signs; the organization's admin signs;
// the contract reads 已签订 and the fund page shows its encumbrance. Then the
// organization's admin records a service on its active contract (the demo's
// other award, whose service began two weeks ago) from the contract page, and
// prints that day's code sheet: the record's code with its QR code, never the
// beneficiary reference.
func TestBrowserContract(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, demo.WithTenders())
	base := serveHTTP(t, e)
	ctx := newBrowserFor(t, 90*time.Second)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	signInAs := func(username, landmark string) { t.Helper(); browserSignIn(t, ctx, base, username, landmark) }
	signOut := func() { t.Helper(); browserSignOut(t, ctx) }
	id := e.IDOf(t, "contracts", "status = 'draft'")
	var communities []int64
	if err := e.DB.Table("contract_communities").Where("contract_id = ?", id).Order("community_id").Pluck("community_id", &communities).Error; err != nil || len(communities) == 0 {
		t.Fatalf("the draft's communities: %v, %v", communities, err)
	}
	page := fmt.Sprintf("%s/contracts/%d", base, id)

	// The officer enters the eligible populations and signs.
	signInAs("demo-officer", "#dashboard-procurement_officer")
	browse(t, ctx, "open the contract from the list",
		chromedp.Click(css(`header a[href="/contracts"]`)),
		chromedp.WaitVisible(css(fmt.Sprintf(`#contract-list-%d a`, id))),
		chromedp.Click(css(fmt.Sprintf(`#contract-list-%d a`, id))),
		chromedp.WaitVisible(css(`#terms-submit`)),
	)
	steps := []chromedp.Action[chromedp.Void]{}
	for i, cm := range communities {
		steps = append(steps, chromedp.SetValue(css(fmt.Sprintf(`#pop-%d`, cm)), fmt.Sprint(300+10*i)))
	}
	steps = append(steps, chromedp.Click(css(`#terms-submit`)), chromedp.WaitVisible(css(`#done[data-done="terms_saved"]`)))
	browse(t, ctx, "enter the eligible populations", steps...)
	browse(t, ctx, "sign as the subdistrict",
		chromedp.Click(css(`#sign-submit`)),
		chromedp.WaitVisible(css(`#done[data-done="signed"]`)),
	)
	wantSubstrings(t, "the signatures", pageValue(t, ctx, chromedp.Text(css(`#signatures`))), "已于")
	signOut()

	// The organization's admin signs: the contract is signed.
	signInAs("demo-org", "#dashboard-org_admin")
	browse(t, ctx, "sign as the organization",
		chromedp.Navigate(page),
		chromedp.WaitVisible(css(`#sign-submit`)),
		chromedp.Click(css(`#sign-submit`)),
		chromedp.WaitVisible(css(`#contract-status[data-status="signed"]`)),
	)
	wantSubstrings(t, "the signed contract", pageValue(t, ctx, chromedp.Text(css(`#contract-state`))), "已签订")
	amount := pageValue(t, ctx, chromedp.Text(css(`#contract-amount`)))
	wantSubstrings(t, "the encumbrance", pageValue(t, ctx, chromedp.Text(css(`#contract-held`))), amount)
	wantSubstrings(t, "the service records' place", pageValue(t, ctx, chromedp.Text(css(`#service-records`))), "服务记录")
	signOut()

	// The finance officer finds the encumbrance on the fund page.
	fund := e.IDOf(t, "fund_accounts", "id = (SELECT fund_account_id FROM contracts WHERE id = ?)", id)
	signInAs("demo-finance", "#dashboard-finance_officer")
	browse(t, ctx, "open the contract's fund",
		chromedp.Navigate(fmt.Sprintf("%s/funds/%d", base, fund)),
		chromedp.WaitVisible(css(fmt.Sprintf(`#fund-contract-%d-held`, id))),
	)
	wantSubstrings(t, "the fund's contracts", pageValue(t, ctx, chromedp.Text(css(`#fund-contracts`))), "已签订", amount)
	wantSubstrings(t, "the contract's encumbrance", pageValue(t, ctx, chromedp.Text(css(fmt.Sprintf(`#fund-contract-%d-held`, id)))), amount)
	signOut()

	// The organization records a service on its active contract and prints
	// the day's codes.
	active := e.IDOf(t, "contracts", "status = 'active' AND organization_id = ?", e.Demo(t).Org1)
	var community int64
	if err := e.DB.Table("contract_communities").Where("contract_id = ?", active).Order("community_id").Limit(1).Pluck("community_id", &community).Error; err != nil {
		t.Fatal(err)
	}
	day := civil.ChinaDate(e.Clock.Now()).AddDays(-1)
	signInAs("demo-org", "#dashboard-org_admin")
	browse(t, ctx, "open the active contract's records from its page",
		chromedp.Navigate(fmt.Sprintf("%s/contracts/%d", base, active)),
		chromedp.WaitVisible(css(`#service-records-links`)),
		chromedp.Click(css(`#service-records-links a[href$="/records/new"]`)),
		chromedp.WaitVisible(css(`#record-submit`)),
	)
	browse(t, ctx, "record a service",
		chromedp.SetValue(css(`#record-date`), day.String()),
		chromedp.SetValue(css(`#record-community_id`), fmt.Sprint(community)),
		chromedp.SetValue(css(`#record-service_type`), "service_visits"),
		chromedp.SendKeys(css(`#record-duration_minutes`), "75"),
		chromedp.SendKeys(css(`#record-staff_name`), "王丽"),
		chromedp.SendKeys(css(`#record-beneficiary_ref`), "NJ-BROWSER-7"),
		chromedp.SendKeys(css(`#record-notes`), "陪同就医"),
		chromedp.Click(css(`#record-submit`)),
		chromedp.WaitVisible(css(`#record-code`)),
	)
	code := strings.TrimSpace(pageValue(t, ctx, chromedp.Text(css(`#record-code code`))))
	if len(code) != 11 || code[5] != '-' {
		t.Fatalf("the record's code = %q, want XXXXX-XXXXX", code)
	}
	wantSubstrings(t, "the record", pageValue(t, ctx, chromedp.Text(css(`#record-facts`))), day.String(), "75", "王丽", "NJ-BROWSER-7")
	browse(t, ctx, "open the print sheet of that day",
		chromedp.Click(css(`#record-print`)),
		chromedp.WaitVisible(css(`#slips .slip`)),
	)
	sheet := pageValue(t, ctx, chromedp.Text(css(`#slips`)))
	wantSubstrings(t, "the print sheet", sheet, code, day.String(), "请扫描二维码", "Scan the QR code")
	if strings.Contains(sheet, "NJ-BROWSER-7") {
		t.Errorf("the print sheet shows the beneficiary reference: %q", sheet)
	}
	// The demo recorded that day's visits too: one slip and QR code each.
	slips := len(pageValue(t, ctx, chromedp.Nodes(chromedp.CSSAll(`#slips .slip`))))
	if qr := len(pageValue(t, ctx, chromedp.Nodes(chromedp.CSSAll(`#slips svg.qr`)))); slips < 2 || qr != slips {
		t.Errorf("the print sheet has %d slips and %d QR codes, want the day's records with one QR code each", slips, qr)
	}
	signOut()
}
