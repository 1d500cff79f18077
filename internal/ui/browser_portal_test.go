package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/ocds"
	"github.com/jiedao-market/jiedao/internal/ocds/ocdsschema"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// A visitor opens the home page: the live figures show, and the charts are
// images named by their title and description; on the fund transparency page
// the chart's text alternative opens to a table of its figures.
func TestBrowserPortal(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	k := e.ActiveContract(t)
	// The fixture writes its tender and contract with SQL: publish their
	// releases as the services' hooks would.
	if err := e.DB.Transaction(func(tx *gorm.DB) error {
		if err := e.Services.OCDS.PublishContract(tx, k.ID, ocds.TagAward, e.Clock.Now()); err != nil {
			return err
		}
		return e.Services.OCDS.PublishContract(tx, k.ID, ocds.TagContract, e.Clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	base := serveHTTP(t, e)
	ctx := newBrowser(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	browse(t, ctx, "open the home page",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(css(`#figures`)),
		chromedp.WaitVisible(css(`#paid-by-month svg[role="img"]`)),
	)
	wantSubstrings(t, "active contracts", pageValue(t, ctx, chromedp.Text(css(`#figure-active-contracts`))), "1")
	wantSubstrings(t, "money committed", pageValue(t, ctx, chromedp.Text(css(`#figure-committed`))), "90,000.00")
	wantSubstrings(t, "open tenders", pageValue(t, ctx, chromedp.Text(css(`#figure-open-tenders`))), "0")
	// The accessible name and description of each chart, as its
	// aria-labelledby names them.
	names := pageValue(t, ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('svg[role="img"]')).map(s =>
		s.getAttribute('aria-labelledby').split(' ').map(id => document.getElementById(id).textContent).join(': ')).join(' | ')`))
	wantSubstrings(t, "the charts' names", names, "每月支付金额: 折线图", "各街道签约金额: 柱状图")

	// The open-data links download valid OCDS: the release package, and the
	// bulk file (an attachment, so fetched by the page) line by line.
	v, err := ocdsschema.New()
	if err != nil {
		t.Fatal(err)
	}
	download := func(link string) string {
		t.Helper()
		return pageValue(t, ctx, chromedp.Evaluate[string](`fetch(document.querySelector('`+link+`').href).then(r =>
			r.ok ? r.text() : Promise.reject(new Error(r.status + ' ' + r.statusText)))`,
			chromedp.EvalAwaitPromise))
	}
	if err := v.ReleasePackage([]byte(download("#ocds-releases-link"))); err != nil {
		t.Errorf("the OCDS releases link: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(download("#ocds-bulk-link"), "\n"), "\n")
	if len(lines) != 2 {
		t.Errorf("the OCDS bulk link: %d lines, want the 2 releases", len(lines))
	}
	for i, line := range lines {
		if err := v.ReleasePackage([]byte(line)); err != nil {
			t.Errorf("the OCDS bulk link, line %d: %v", i+1, err)
		}
	}

	browse(t, ctx, "open the fund transparency page and its chart's figures",
		chromedp.Click(css(`header nav a[href="/transparency/funds"]`)),
		chromedp.WaitVisible(css(`#received-by-source svg[role="img"]`)),
		chromedp.Click(css(`#received-by-source details summary`)),
		chromedp.WaitVisible(css(`#received-by-source-data`)),
	)
	wantSubstrings(t, "the chart's text alternative", pageValue(t, ctx, chromedp.Text(css(`#received-by-source-data`))),
		"按资金来源的到账金额", "财政预算", "福彩公益金")

	// A reader who opens a shared English link stays in English: no cookie
	// chooses the language, the item link of the catalog keeps lang=en.
	browse(t, ctx, "open an item of the English catalog",
		chromedp.Navigate(base+"/catalog?lang=en"),
		chromedp.WaitVisible(css(`ol.results h3 a`)),
		chromedp.Click(css(`ol.results h3 a`)),
		chromedp.WaitVisible(css(`main p.crumbs`)),
	)
	loc := pageValue(t, ctx, chromedp.Location())
	lang := pageValue(t, ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if !strings.HasPrefix(loc, base+"/catalog/items/") || !strings.HasSuffix(loc, "?lang=en") || lang != "en" {
		t.Errorf("after an item link of /catalog?lang=en the browser is at %s in %q, want the item's page in en", loc, lang)
	}
}
