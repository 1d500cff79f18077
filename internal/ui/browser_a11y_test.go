package ui_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/redflag"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// axeSHA256 is the SHA-256 of testdata/axe/axe.min.js, axe-core 4.14.1 as
// the npm registry serves it (testdata/axe/README.md says how it was checked).
const axeSHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

// axeScript returns axe.min.js, failing the test if it is not the checked file.
func axeScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatalf("read axe.min.js: %v", err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != axeSHA256 {
		t.Fatalf("testdata/axe/axe.min.js has SHA-256 %x, want %s (axe-core 4.14.1; see testdata/axe/README.md)", sum, axeSHA256)
	}
	return string(b)
}

func TestAxeChecksum(t *testing.T) {
	t.Parallel()
	if s := axeScript(t); !strings.HasPrefix(s, "/*! axe v4.14.1") {
		t.Errorf("axe.min.js starts %q, want the axe v4.14.1 banner", s[:min(len(s), 20)])
	}
}

// a11yPage is one page the accessibility test checks. Path may hold the
// placeholders a11yFixture fills in ({item}, {open_tender},
// {awarded_tender}, {contract}, {complaint}, {org}, {subdistrict}, {code});
// as names the demo account the page is opened with ("" for a visitor);
// submit, when set, names a submit button pressed with the browser's own
// validation off, so that axe checks the form as the server re-renders it
// with its errors.
type a11yPage struct {
	name, path, as, submit string
}

// a11yPages are the public pages, the residents' pages and an officer's
// worklist (for the working navigation's menus), each checked in both
// languages. A new public page is one more line.
var a11yPages = []a11yPage{
	{name: "home", path: "/"},
	{name: "login", path: "/login"},
	{name: "login, wrong password", path: "/login", submit: "#login-submit"},
	{name: "catalog", path: "/catalog"},
	{name: "catalog item", path: "/catalog/items/{item}"},
	{name: "standards", path: "/standards"},
	{name: "capable organizations", path: "/capable"},
	{name: "procurement", path: "/procurement"},
	{name: "tender notice, open", path: "/procurement/{open_tender}"},
	{name: "tender notice, awarded", path: "/procurement/{awarded_tender}"},
	{name: "provider profile", path: "/organizations/{org}"},
	{name: "provider ratings", path: "/organizations/{org}/ratings"},
	{name: "public contract", path: "/procurement/contracts/{contract}"},
	{name: "red flags", path: "/transparency/red-flags"},
	{name: "subdistricts", path: "/subdistricts"},
	{name: "a subdistrict", path: "/subdistricts/{subdistrict}"},
	{name: "fund transparency", path: "/transparency/funds"},
	{name: "provider directory", path: "/providers"},
	{name: "published audit chain heads", path: "/transparency/audit-heads"},
	{name: "rating", path: "/rate?code={code}"},
	{name: "rating without stars", path: "/rate?code={code}", submit: "#rate-submit"},
	{name: "rating thanks", path: "/rate/thanks"},
	{name: "donation", path: "/donate"},
	{name: "donation with errors", path: "/donate", submit: "#donate-submit"},
	{name: "complaint", path: "/complaints/new"},
	{name: "complaint with errors", path: "/complaints/new", submit: "#complaint-submit"},
	{name: "complaint tracking", path: "/complaints/track"},
	{name: "a complaint tracked", path: "/complaints/track?reference={complaint}"},
	{name: "organization sign-up", path: "/signup"},
	{name: "organization sign-up with errors", path: "/signup", submit: "#org-submit"},
	{name: "resident sign-up", path: "/residents/signup"},
	{name: "resident sign-up with errors", path: "/residents/signup", submit: "#resident-submit"},
	{name: "password recovery", path: "/password/forgot"},
	{name: "password recovery, nothing entered", path: "/password/forgot", submit: "#forgot-submit"},
	{name: "officer's worklist, with the working navigation's menus", path: "/dashboard", as: "demo-officer"},
	{name: "resident's services", path: "/services", as: "demo-resident"},
	{name: "resident's requests", path: "/requests", as: "demo-resident"},
	{name: "resident's settings", path: "/settings", as: "demo-resident"},
	{name: "search", path: "/search?q=%E5%85%BB%E8%80%81", as: "demo-resident"},
	{name: "search with errors", path: "/search", submit: "#search-form button", as: "demo-resident"},
}

// a11yFixture finds, in the demo seed with its tenders, the records the
// pages show, and issues a rating code for one of 康乐's service records.
func a11yFixture(t *testing.T, e *servertest.Env) *strings.Replacer {
	t.Helper()
	d := e.Demo(t)
	one := func(what, query string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := e.DB.Raw(query, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: id %d, %v", what, id, err)
		}
		return id
	}
	var complaint string
	if err := e.DB.Raw(`SELECT reference FROM complaints ORDER BY id LIMIT 1`).Scan(&complaint).Error; err != nil || complaint == "" {
		t.Fatalf("a complaint: %q, %v", complaint, err)
	}
	record := one("an unrated service record of 康乐", `SELECT r.id FROM service_records r JOIN contracts c ON c.id = r.contract_id
		WHERE c.organization_id = ? AND r.rating_used_at IS NULL AND r.rating_expires_at > ? ORDER BY r.id DESC LIMIT 1`, d.Org1, e.Clock.Now())
	code, err := e.Services.Records.RatingCode(context.Background(), e.ActorOf(t, "demo-org"), record)
	if err != nil {
		t.Fatalf("RatingCode() error = %v", err)
	}
	// The red flags of the demo's tenders and contracts, on their pages and the list.
	if _, err := e.Services.RedFlags.Compute(context.Background(), redflag.TriggerManual); err != nil {
		t.Fatalf("RedFlags.Compute() error = %v", err)
	}
	return strings.NewReplacer(
		"{item}", fmt.Sprint(one("a published transfer item", `SELECT item_id FROM transfer_item_versions WHERE status = 'published' ORDER BY item_id LIMIT 1`)),
		"{open_tender}", fmt.Sprint(one("a published tender", `SELECT id FROM tenders WHERE status = 'published' ORDER BY id LIMIT 1`)),
		"{awarded_tender}", fmt.Sprint(one("an awarded tender", `SELECT id FROM tenders WHERE status = 'awarded' ORDER BY id LIMIT 1`)),
		"{contract}", fmt.Sprint(one("an active contract", `SELECT id FROM contracts WHERE status = 'active' ORDER BY id LIMIT 1`)),
		"{complaint}", url.QueryEscape(complaint),
		"{org}", fmt.Sprint(d.Org1),
		"{subdistrict}", fmt.Sprint(d.SubA),
		"{code}", url.QueryEscape(code.Code),
	)
}

// axeViolation is one rule axe found broken, or could not decide, with the
// selectors of the elements concerned.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeResult holds what axe reports of serious or critical impact: the
// violations and the checks it left for a person to review.
type axeResult struct {
	Violations []axeViolation `json:"violations"`
	Review     []axeViolation `json:"review"`
}

// axeRun checks the document against WCAG 2.1 A and AA and keeps the results
// of serious or critical impact.
const axeRun = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}).then(r => {
	const keep = rs => rs.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
		id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.map(n => n.target.map(s => [].concat(s).join(' >>> ')).join(' '))}));
	return {violations: keep(r.violations), review: keep(r.incomplete)};
})`

// Every public page and the residents' pages, in zh-CN and in English, as
// axe-core checks them: no violation of WCAG 2.1 A or AA of serious or
// critical impact, forms re-rendered with their errors included. One browser
// visits them all. A page with broken markup added fails the same check.
func TestBrowserAccessibility(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, demo.WithTenders())
	// Stripe on, so that the donation form is open (no payment is made).
	servertest.WithPayouts(t, e).UseStripe(t)
	paths := a11yFixture(t, e)
	axe := axeScript(t)
	base := serveHTTP(t, e)
	// The deadline guards a loaded machine; alone the test takes 15 to 40 s.
	ctx := newBrowserFor(t, 180*time.Second)
	// Chromium injects axe into every document it loads, so that it crosses
	// the DevTools connection once rather than once a page.
	browse(t, ctx, "inject axe", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: axe})
		return err
	}))

	// audit runs axe on the page the browser shows.
	audit := func(where string) axeResult {
		t.Helper()
		if v := pageValue(t, ctx, chromedp.Evaluate[string](`typeof axe === 'object' ? axe.version : 'none'`)); v != "4.14.1" {
			t.Fatalf("%s: axe version %q in the page, want 4.14.1", where, v)
		}
		found, err := chromedp.Run(ctx, chromedp.Evaluate[axeResult](axeRun, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: run axe: %v", where, err)
		}
		return found
	}
	check := func(lang string, p a11yPage) {
		t.Helper()
		where := fmt.Sprintf("%s (%s) %s", p.name, lang, p.path)
		path := paths.Replace(p.path)
		resp := pageValue(t, ctx, chromedp.NavigateResponse(base+path))
		if resp.Status != 200 || !strings.HasPrefix(resp.URL, base+strings.Split(path, "?")[0]) {
			t.Errorf("%s: opened %s with status %d, want %s with 200", where, resp.URL, resp.Status, path)
		}
		if p.submit != "" {
			browse(t, ctx, where,
				// The mark tells the re-rendered page from the one submitted.
				chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).form.noValidate = true;
					document.documentElement.dataset.submitted = 'yes'`, p.submit)),
				chromedp.Click(chromedp.CSS(p.submit)),
				chromedp.WaitReady(chromedp.CSS(`html:not([data-submitted]) main [role="alert"]`)),
			)
		}
		if got := pageValue(t, ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
			t.Errorf("%s: <html lang> = %q, want %q", where, got, lang)
		}
		found := audit(where)
		for _, v := range found.Violations {
			t.Errorf("%s: %s [%s] %s: %s", where, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
		}
		// What axe cannot decide (a colour over an image, say) is no
		// violation, but shown for a person to check.
		for _, v := range found.Review {
			t.Logf("%s: to review: %s [%s] %s: %s", where, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
		}
	}

	for _, lang := range []string{"zh-CN", "en"} {
		// The header's language switch sets the language cookie.
		browse(t, ctx, "switch to "+lang, chromedp.Navigate(base+"/lang/"+lang+"?next=/"))
		signedIn := ""
		for _, p := range a11yPages {
			if p.as != signedIn {
				if signedIn != "" {
					browserSignOut(t, ctx)
				}
				if p.as != "" {
					browserSignIn(t, ctx, base, p.as, `main [id^="dashboard-"]`)
				}
				signedIn = p.as
			}
			check(lang, p)
		}
		if signedIn != "" {
			browserSignOut(t, ctx)
		}
	}

	// The check can fail: an unnamed button and an image without a text
	// alternative are critical violations.
	browse(t, ctx, "break the home page",
		chromedp.Navigate(base+"/"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('main').insertAdjacentHTML('beforeend',
			'<button id="broken-button"></button><img id="broken-image" src="/static/none.png">')`),
	)
	got := map[string]string{}
	for _, v := range audit("the broken home page").Violations {
		got[v.ID] = strings.Join(v.Nodes, ", ")
	}
	for id, node := range map[string]string{"button-name": "#broken-button", "image-alt": "#broken-image"} {
		if got[id] != node {
			t.Errorf("axe on the broken home page: %s on %q, want on %q (all: %v)", id, got[id], node, got)
		}
	}
}
