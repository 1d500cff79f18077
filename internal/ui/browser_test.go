package ui_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// serveHTTP serves the environment's app on a loopback port until the test
// ends and returns its base URL.
func serveHTTP(t *testing.T, e *servertest.Env) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- e.Server.App().Listener(ln) }()
	t.Cleanup(func() {
		if err := e.Server.App().ShutdownWithTimeout(10 * time.Second); err != nil {
			t.Errorf("Shutdown() error = %v", err)
		}
		if err := <-served; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("Listener() error = %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// newBrowser opens a fresh browser for the test: a new browser context (its
// own cookies, storage and cache, as a new profile has) in the package's
// headless Chromium. The returned context carries the overall deadline of the
// browser test; a browser that does not start fails the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserFor(t, 60*time.Second)
}

// newBrowserFor is newBrowser with the overall deadline timeout.
func newBrowserFor(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	parent, err := chromium.get()
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	tabCtx, cancelTab := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(tabCtx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		// Closing the tab disposes of its browser context and what it stored.
		if err := chromedp.Cancel(tabCtx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("close the browser context: %v", err)
		}
		cancelTab()
	})
	return ctx
}

// chromium is the one headless Chromium the package's browser tests share,
// started by the first of them and closed by TestMain: starting one for each
// test cost seconds of the run apiece, and a browser context isolates a test
// as well as a fresh profile did.
var chromium sharedBrowser

type sharedBrowser struct {
	once    sync.Once
	ctx     context.Context
	err     error
	dir     string
	cancels []context.CancelFunc
}

func (b *sharedBrowser) get() (context.Context, error) {
	b.once.Do(func() {
		execPath := os.Getenv("JIEDAO_CHROMIUM")
		if execPath == "" {
			execPath = "/usr/bin/chromium"
		}
		b.dir, b.err = os.MkdirTemp("", "jiedao-chromium-")
		if b.err != nil {
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(execPath),
			chromedp.UserDataDir(b.dir),
			chromedp.WindowSize(1280, 900),
			chromedp.Flag("headless", true),
			chromedp.Flag("no-sandbox", true),
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("no-first-run", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-quic", true),
		}
		// The browser lives as long as the package's tests: no deadline here
		// (one would kill it); each test's context carries its own.
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
		b.cancels = []context.CancelFunc{cancelBrowser, cancelAlloc}
		b.ctx = browserCtx
		// The first Run starts Chromium (the allocator gives up on a browser
		// that does not answer within its start timeout).
		b.err = chromedp.Do(browserCtx)
	})
	return b.ctx, b.err
}

// close closes the browser, if a test started it, and removes its profile.
func (b *sharedBrowser) close() {
	if b.ctx != nil {
		_ = chromedp.Cancel(b.ctx)
	}
	for _, cancel := range b.cancels {
		cancel()
	}
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}

// TestMain closes the shared Chromium after the tests and drops finished
// tests' databases in the background (dbtest.Run).
func TestMain(m *testing.M) {
	code := dbtest.Run(m)
	chromium.close()
	os.Exit(code)
}

// browse runs the browser steps of one named part of the scenario, failing the
// test on error.
func browse(t *testing.T, ctx context.Context, name string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// browserSignIn signs in as username (the demo password) from the login page
// of the server at base, and waits for landmark.
func browserSignIn(t *testing.T, ctx context.Context, base, username, landmark string) {
	t.Helper()
	browse(t, ctx, "sign in as "+username,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#login-submit`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), username),
		chromedp.SendKeys(chromedp.CSS(`#password`), servertest.DemoPassword),
		chromedp.Click(chromedp.CSS(`#login-submit`)),
		chromedp.WaitVisible(chromedp.CSS(landmark)),
	)
}

// openMenu opens the header's menu when it is collapsed (on a phone) by
// clicking its summary, as a user does.
func openMenu(t *testing.T, ctx context.Context) {
	t.Helper()
	closed := `(() => { const m = document.querySelector('#site-menu'); return !m.open && document.querySelector('#menu-toggle').checkVisibility() })()`
	if pageValue(t, ctx, chromedp.Evaluate[bool](closed)) {
		browse(t, ctx, "open the menu", chromedp.Click(chromedp.CSS(`#menu-toggle`)), chromedp.WaitVisible(chromedp.CSS(`#public-nav`)))
	}
}

// browserSignOut signs out with the header's button and waits for the login form.
func browserSignOut(t *testing.T, ctx context.Context) {
	t.Helper()
	openMenu(t, ctx)
	browse(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#login-submit`)),
	)
}

// pageValue returns the value of one browser action, failing the test on error.
func pageValue[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("read from the page: %v", err)
	}
	return v
}

// wantSubstrings fails the test unless got contains every one of want.
func wantSubstrings(t *testing.T, where, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %q, want it to contain %q", where, got, w)
		}
	}
}

func TestBrowserLoginDashboardLanguageLogout(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	base := serveHTTP(t, e)
	// Registered after serveHTTP, so the browser is closed before the server stops.
	ctx := newBrowser(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	browse(t, ctx, "open the login page",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(css(`#login-submit`)),
	)
	if lang := pageValue(t, ctx, chromedp.AttributeValue(css(`html`), "lang")); lang.Value != "zh-CN" {
		t.Errorf(`login page <html lang> = %q, want "zh-CN"`, lang.Value)
	}
	wantSubstrings(t, "login page heading", pageValue(t, ctx, chromedp.Text(css(`main h1`))), "登录")

	browse(t, ctx, "sign in with a wrong password",
		chromedp.SendKeys(css(`#username`), "demo-officer"),
		chromedp.SendKeys(css(`#password`), "not-the-password"),
		chromedp.Click(css(`#login-submit`)),
		chromedp.WaitVisible(css(`[role="alert"]`)),
	)
	wantSubstrings(t, "failed login alert", pageValue(t, ctx, chromedp.Text(css(`[role="alert"]`))), "用户名或密码错误")
	if loc := pageValue(t, ctx, chromedp.Location()); loc != base+"/login" {
		t.Errorf("location after a failed login = %q, want %q", loc, base+"/login")
	}

	browse(t, ctx, "sign in",
		chromedp.Clear(css(`#username`)),
		chromedp.SendKeys(css(`#username`), "demo-officer"),
		chromedp.Clear(css(`#password`)),
		chromedp.SendKeys(css(`#password`), servertest.DemoPassword),
		chromedp.Click(css(`#login-submit`)),
		chromedp.WaitVisible(css(`#dashboard-procurement_officer`)),
	)
	if loc := pageValue(t, ctx, chromedp.Location()); loc != base+"/dashboard" {
		t.Errorf("location after login = %q, want %q", loc, base+"/dashboard")
	}
	wantSubstrings(t, "dashboard (zh-CN)", pageValue(t, ctx, chromedp.Text(css(`main`))), "工作台", "街道采购专员", "爱山街道")

	browse(t, ctx, "switch to English",
		chromedp.Click(css(`a[hreflang="en"]`)),
		chromedp.WaitVisible(css(`html[lang="en"] #dashboard-procurement_officer`)),
	)
	if loc := pageValue(t, ctx, chromedp.Location()); loc != base+"/dashboard" {
		t.Errorf("location after switching language = %q, want %q", loc, base+"/dashboard")
	}
	wantSubstrings(t, "dashboard (en)", pageValue(t, ctx, chromedp.Text(css(`main`))), "Dashboard", "Procurement officer", "Aishan Subdistrict")

	browse(t, ctx, "sign out",
		chromedp.Click(css(`form[action="/logout"] button`)),
		chromedp.WaitVisible(css(`html[lang="en"] #login-submit`)),
	)
	if loc := pageValue(t, ctx, chromedp.Location()); loc != base+"/login" {
		t.Errorf("location after sign-out = %q, want %q", loc, base+"/login")
	}
	wantSubstrings(t, "login page heading (en)", pageValue(t, ctx, chromedp.Text(css(`main h1`))), "Sign in")

	browse(t, ctx, "open the dashboard after signing out",
		chromedp.Navigate(base+"/dashboard"),
		chromedp.WaitVisible(css(`#login-submit`)),
	)
	if loc := pageValue(t, ctx, chromedp.Location()); loc != base+"/login" {
		t.Errorf("location of /dashboard after sign-out = %q, want %q", loc, base+"/login")
	}
	// Browsers drop a tab from a URL, so this target must not leave the site.
	browse(t, ctx, "switch language with a disguised off-site target",
		chromedp.Navigate(base+"/lang/zh-CN?next=%2F%09%2Fevil.example%2F"),
		chromedp.WaitVisible(css(`html[lang="zh-CN"] main h1`)),
	)
	if loc := pageValue(t, ctx, chromedp.Location()); loc != base+"/" {
		t.Errorf("location after /lang/zh-CN?next=/%%09/evil.example/ = %q, want %q", loc, base+"/")
	}

	var open int64
	if err := e.DB.Table("auth_sessions").Where("revoked_at IS NULL").Count(&open).Error; err != nil {
		t.Fatal(err)
	}
	if open != 0 {
		t.Errorf("open sessions after sign-out = %d, want 0", open)
	}
}

// A new organization signs up, uploads evidence and applies for certification;
// the district admin approves it in the queue; the public directory lists it
// for the category; an officer then publishes a transfer item of that category,
// which the public catalog finds.
func TestBrowserSignupCertifyPublish(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	base := serveHTTP(t, e)
	ctx := newBrowserFor(t, 90*time.Second)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	code := servertest.CreditCode(t, "52330502MJ7200001")
	name := "湖州市吴兴区阳光助残服务社"
	evidence := filepath.Join(t.TempDir(), "评估等级证书.pdf")
	if err := os.WriteFile(evidence, samplePDF, 0o600); err != nil {
		t.Fatal(err)
	}
	signOut := func(step string) {
		t.Helper()
		browse(t, ctx, step,
			chromedp.Click(css(`form[action="/logout"] button`)),
			chromedp.WaitVisible(css(`#login-submit`)),
		)
	}
	signInAs := func(username, landmark string) {
		t.Helper()
		browse(t, ctx, "sign in as "+username,
			chromedp.SendKeys(css(`#username`), username),
			chromedp.SendKeys(css(`#password`), servertest.DemoPassword),
			chromedp.Click(css(`#login-submit`)),
			chromedp.WaitVisible(css(landmark)),
		)
	}

	browse(t, ctx, "open the sign-up form from the login page",
		chromedp.Navigate(base+"/login"),
		chromedp.Click(css(`#signup-link`)),
		chromedp.WaitVisible(css(`#org-submit`)),
	)
	browse(t, ctx, "sign up",
		chromedp.SendKeys(css(`#legal_name`), name),
		chromedp.SendKeys(css(`#credit_code`), code),
		chromedp.SetValue(css(`#org_type`), "social_service_institution"),
		chromedp.SetValue(css(`#registration_date`), "2020-05-12"),
		chromedp.SendKeys(css(`#legal_representative`), "刘洋"),
		chromedp.SendKeys(css(`#contact_name`), "刘洋"),
		chromedp.SendKeys(css(`#contact_phone`), "0572-2300456"),
		chromedp.SendKeys(css(`#contact_email`), "office@yangguang.example.org"),
		chromedp.SendKeys(css(`#address`), "吴兴区飞英街道测试路 8 号"),
		chromedp.SetValue(css(`#staff_count`), "16"),
		chromedp.SetValue(css(`#certified_social_workers`), "5"),
		chromedp.SendKeys(css(`#admin-username`), "yangguang-admin"),
		chromedp.SendKeys(css(`#admin-display_name`), "刘洋"),
		chromedp.SendKeys(css(`#admin-password`), "a long enough password"),
		chromedp.SendKeys(css(`#admin-password_confirm`), "a long enough password"),
		chromedp.Click(css(`#org-submit`)),
		chromedp.WaitVisible(css(`#done`)),
	)
	if loc := pageValue(t, ctx, chromedp.Location()); loc != base+"/org?done=registered" {
		t.Errorf("location after sign-up = %q, want %q", loc, base+"/org?done=registered")
	}
	wantSubstrings(t, "the organization's page", pageValue(t, ctx, chromedp.Text(css(`main`))), name, code, "yangguang-admin")

	browse(t, ctx, "upload evidence",
		chromedp.SetUploadFiles(css(`#document-file`), []string{evidence}),
		chromedp.Click(css(`#upload-submit`)),
		chromedp.WaitVisible(css(`#documents #done`)),
	)
	wantSubstrings(t, "the documents", pageValue(t, ctx, chromedp.Text(css(`#document-list`))), "评估等级证书.pdf")
	orgID := e.IDOf(t, "organizations", "credit_code = ?", code)
	docID := e.IDOf(t, "organization_documents", "organization_id = ?", orgID)

	browse(t, ctx, "apply for DISABILITY_SUPPORT",
		chromedp.Click(css(`#cat-DISABILITY_SUPPORT`)),
		chromedp.SendKeys(css(`#apply-statement`), "本社有康复治疗师 3 名，持证社工 5 名。"),
		chromedp.Click(css(fmt.Sprintf(`#evidence-%d`, docID))),
		chromedp.Click(css(`#apply-submit`)),
		chromedp.WaitVisible(css(`#certifications #done`)),
	)
	wantSubstrings(t, "the certifications", pageValue(t, ctx, chromedp.Text(css(`#cert-list`))), "残疾人帮扶", "待审核")
	certID := e.IDOf(t, "certifications", "organization_id = ?", orgID)

	signOut("sign the organization out")
	signInAs("demo-district", "#dashboard-district_admin")
	card := fmt.Sprintf("#cert-%d", certID)
	browse(t, ctx, "open the queue",
		chromedp.Click(css(`#work-nav details:has(a[href="/district/certifications"]) > summary`)),
		chromedp.Click(css(`header a[href="/district/certifications"]`)),
		chromedp.WaitVisible(css(card)),
	)
	wantSubstrings(t, "the pending application", pageValue(t, ctx, chromedp.Text(css(card))), name, "残疾人帮扶", "评估等级证书.pdf")
	browse(t, ctx, "approve at 3A",
		chromedp.SetValue(css(fmt.Sprintf("#approve-%d-grade", certID)), "3"),
		chromedp.SetValue(css(fmt.Sprintf("#approve-%d-valid_through", certID)), "2029-11-21"),
		chromedp.Click(css(fmt.Sprintf("#approve-%d", certID))),
		chromedp.WaitVisible(css(`#done`)),
	)
	wantSubstrings(t, "the approval notice", pageValue(t, ctx, chromedp.Text(css(`#done`))), name)

	browse(t, ctx, "filter the public directory by DISABILITY_SUPPORT",
		chromedp.Click(css(`header a[href="/capable"]`)),
		chromedp.WaitVisible(css(`#capable-search`)),
		chromedp.SetValue(css(`#category`), "DISABILITY_SUPPORT"),
		chromedp.Click(css(`#capable-search`)),
		// Only a filtered directory offers to clear its filters.
		chromedp.WaitVisible(css(`form.filters a[href="/capable"]`)),
		chromedp.WaitVisible(css(fmt.Sprintf(`#org-%d`, orgID))),
	)
	wantSubstrings(t, "the directory entry", pageValue(t, ctx, chromedp.Text(css(fmt.Sprintf(`#org-%d`, orgID)))),
		name, "3A", "残疾人帮扶", "2029-11-21")
	if loc := pageValue(t, ctx, chromedp.Location()); !strings.Contains(loc, "category=DISABILITY_SUPPORT") {
		t.Errorf("location of the filtered directory = %q, want it to carry the category", loc)
	}

	signOut("sign the district admin out")
	signInAs("demo-officer", "#dashboard-procurement_officer")
	title := "残疾人康复上门服务"
	browse(t, ctx, "create a transfer item",
		chromedp.Navigate(base+"/items/new"),
		chromedp.WaitVisible(css(`#save-item`)),
		chromedp.SendKeys(css(`#title`), title),
		chromedp.SetValue(css(`#category_code`), "DISABILITY_SUPPORT"),
		chromedp.SendKeys(css(`#description`), "为辖区持证残疾人提供康复训练上门服务，每人每月不少于两次。"),
		chromedp.SendKeys(css(`#target_population`), "辖区内持证残疾人"),
		chromedp.Click(css(`#community_ids input[type="checkbox"]`)),
		chromedp.SetValue(css(`#annual_quantity`), "600"),
		chromedp.SendKeys(css(`#quantity_unit`), "人次"),
		chromedp.SendKeys(css(`#unit_price_fen`), "120"),
		chromedp.Click(css(`#save-item`)),
		chromedp.WaitVisible(css(`#publish-item`)),
	)
	browse(t, ctx, "publish it",
		chromedp.Click(css(`#publish-item`)),
		chromedp.WaitVisible(css(`#item-state .badge-published`)),
	)
	browse(t, ctx, "search the public catalog",
		chromedp.Navigate(base+"/catalog?q="+url.QueryEscape("康复上门")),
		chromedp.WaitVisible(css(`#result-count`)),
	)
	wantSubstrings(t, "the catalog results", pageValue(t, ctx, chromedp.Text(css(`#results`))), title, "残疾人帮扶")
}

// demo-finance opens a fund account that takes donations, appropriates money
// and finds it in the fund report; an anonymous visitor then donates to it:
// the browser follows the redirect to Stripe Checkout (which the test does not
// load), the signed webhook completes the donation, the receipt says so and
// the fund's available balance has grown.
func TestBrowserFundAppropriateDonate(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithStripe(t)
	e := pe.Env
	base := serveHTTP(t, e)
	ctx := newBrowserFor(t, 90*time.Second)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	name := "爱山街道社区慈善基金"
	signInAs := func(username, landmark string) { t.Helper(); browserSignIn(t, ctx, base, username, landmark) }

	signInAs("demo-finance", "#dashboard-finance_officer")
	browse(t, ctx, "open a fund account",
		chromedp.Click(css(`#work-nav details:has(a[href="/funds"]) > summary`)),
		chromedp.Click(css(`header a[href="/funds"]`)),
		chromedp.WaitVisible(css(`#fund-create`)),
		chromedp.SetValue(css(`#fund-fiscal_year`), "2026"),
		chromedp.SetValue(css(`#fund-source`), "social_donations"),
		chromedp.SendKeys(css(`#fund-name`), name),
		chromedp.Click(css(`#fund-cat-ELDERLY_HOME_CARE`)),
		chromedp.Click(css(`#fund-cat-DISABILITY_SUPPORT`)),
		chromedp.Click(css(`#fund-accepts_donations`)),
		chromedp.Click(css(`#fund-create`)),
		chromedp.WaitVisible(css(`#done[data-done="created"]`)),
	)
	id := e.IDOf(t, "fund_accounts", "name = ?", name)
	if loc := pageValue(t, ctx, chromedp.Location()); loc != fmt.Sprintf("%s/funds/%d?done=created", base, id) {
		t.Errorf("location after opening the account = %q, want its page", loc)
	}
	browse(t, ctx, "appropriate 80,000 yuan",
		chromedp.SendKeys(css(`#approp-amount_fen`), "80000"),
		chromedp.SendKeys(css(`#approp-document_ref`), "湖吴民〔2026〕21号"),
		chromedp.SendKeys(css(`#approp-memo`), "慈善基金配套"),
		chromedp.Click(css(`#approp-submit`)),
		chromedp.WaitVisible(css(`#done[data-done="appropriated"]`)),
	)
	wantSubstrings(t, "the available balance", pageValue(t, ctx, chromedp.Text(css(`#balance-available`))), "¥80,000.00")
	wantSubstrings(t, "the postings", pageValue(t, ctx, chromedp.Text(css(`#postings-table`))), "拨款", "80,000.00", "湖吴民〔2026〕21号")
	browse(t, ctx, "open the fund report",
		chromedp.Click(css(`header a[href="/reports/funds"]`)),
		chromedp.WaitVisible(css(`#utilisation`)),
	)
	wantSubstrings(t, "the utilisation report", pageValue(t, ctx, chromedp.Text(css(`#utilisation`))), "社会捐赠", "80,000.00")
	wantSubstrings(t, "the floor report", pageValue(t, ctx, chromedp.Text(css(`#floor-section`))), "南街社区", "10,000.00")
	browse(t, ctx, "sign out",
		chromedp.Click(css(`form[action="/logout"] button`)),
		chromedp.WaitVisible(css(`#login-submit`)),
	)

	// Stripe's pages are not reachable from the test: requests to them are
	// paused, noted, and failed as an unreachable host would fail them.
	checkout := "https://checkout.stripe.com/"
	browse(t, ctx, "hold requests to Stripe Checkout", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: checkout + "*"}}})
		return err
	}))
	browse(t, ctx, "fill the donation form",
		chromedp.Click(css(`header a[href="/donate"]`)),
		chromedp.WaitVisible(css(`#donate-submit`)),
		chromedp.Click(css(fmt.Sprintf(`#donate-fund-%d`, id))),
		chromedp.SendKeys(css(`#donate-amount_fen`), "500"),
		chromedp.SendKeys(css(`#donate-donor_name`), "热心市民"),
	)
	paused := pageValue(t, ctx, chromedp.WaitEvent(fetch.RequestPaused, nil, chromedp.Click(css(`#donate-submit`))))
	if !strings.HasPrefix(paused.Request.URL, checkout) {
		t.Errorf("the donation form led to %q, want Stripe Checkout", paused.Request.URL)
	}
	browse(t, ctx, "stop at Stripe Checkout", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, fetch.FailRequest, fetch.FailRequestParams{RequestID: paused.RequestID,
			ErrorReason: network.ErrorReasonNameNotResolved}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, fetch.Disable, cdp.Empty{})
		return err
	}))

	donation := e.IDOf(t, "donations", "fund_account_id = ? AND state = 'pending'", id)
	event := servertest.CheckoutCompleted(t, e, "evt_browser_donation", donation, 50_000)
	servertest.DeliverEvent(t, e, event, "evt_browser_donation")
	servertest.ApplyEvent(t, pe, "evt_browser_donation")
	browse(t, ctx, "open the receipt",
		chromedp.Navigate(fmt.Sprintf("%s/donate/receipt/%d", base, donation)),
		chromedp.WaitVisible(css(`#receipt-state`)),
	)
	wantSubstrings(t, "the receipt", pageValue(t, ctx, chromedp.Text(css(`#receipt`))), "感谢您的捐赠", "¥500.00", name, "已到账")

	signInAs("demo-finance", "#dashboard-finance_officer")
	browse(t, ctx, "open the fund again",
		chromedp.Navigate(fmt.Sprintf("%s/funds/%d", base, id)),
		chromedp.WaitVisible(css(`#balance-available`)),
	)
	wantSubstrings(t, "the available balance after the donation", pageValue(t, ctx, chromedp.Text(css(`#balance-available`))), "¥80,500.00")
	wantSubstrings(t, "the postings after the donation", pageValue(t, ctx, chromedp.Text(css(`#postings-table`))), "捐赠", "500.00")
}
