package ui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// The organization's admin records a service on its active contract through
// the form, then opens the print sheet of that day, which shows the record's
// code with its QR code and not the beneficiary reference.
func TestBrowserRecordAndPrint(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	day := civil.ChinaDate(e.Clock.Now()).AddDays(-2)
	base := serveHTTP(t, e)
	ctx := newBrowser(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	records := fmt.Sprintf("%s/contracts/%d/records", base, c.ID)

	browse(t, ctx, "sign in as demo-org",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(css(`#login-submit`)),
		chromedp.SendKeys(css(`#username`), "demo-org"),
		chromedp.SendKeys(css(`#password`), servertest.DemoPassword),
		chromedp.Click(css(`#login-submit`)),
		chromedp.WaitVisible(css(`#dashboard-org_admin`)),
	)
	browse(t, ctx, "open the contract's records and the form",
		chromedp.Navigate(records),
		chromedp.WaitVisible(css(`#records-empty`)),
		chromedp.Click(css(`#records-new`)),
		chromedp.WaitVisible(css(`#record-submit`)),
	)
	browse(t, ctx, "record a service",
		chromedp.SetValue(css(`#record-date`), day.String()),
		chromedp.SetValue(css(`#record-community_id`), fmt.Sprint(c.Communities[1])),
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
	wantSubstrings(t, "the record", pageValue(t, ctx, chromedp.Text(css(`#record-facts`))), day.String(), "上门服务人次", "75", "王丽", "NJ-BROWSER-7")

	browse(t, ctx, "open the print sheet of that day",
		chromedp.Click(css(`#record-print`)),
		chromedp.WaitVisible(css(`#slips .slip`)),
	)
	if loc := pageValue(t, ctx, chromedp.Location()); loc != records+"/print?date="+day.String() {
		t.Errorf("the print sheet's location = %q, want the day %s", loc, day)
	}
	sheet := pageValue(t, ctx, chromedp.Text(css(`#slips`)))
	wantSubstrings(t, "the print sheet", sheet, code, day.String(), "上门服务人次", "请扫描二维码", "Scan the QR code")
	if strings.Contains(sheet, "NJ-BROWSER-7") {
		t.Errorf("the print sheet shows the beneficiary reference: %q", sheet)
	}
	if n := len(pageValue(t, ctx, chromedp.Nodes(css(`#slips svg.qr`)))); n != 1 {
		t.Errorf("the print sheet has %d QR codes, want 1", n)
	}
	if v := pageValue(t, ctx, chromedp.Value(css(`#print-date`))); v != day.String() {
		t.Errorf("the print sheet's date = %q, want %s", v, day)
	}
}
