package server_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// serveHTTP serves the environment's app on a loopback port until the test
// ends and returns its base URL.
func serveHTTP(t *testing.T, e *env) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- e.srv.App().Listener(ln) }()
	t.Cleanup(func() {
		if err := e.srv.App().ShutdownWithTimeout(10 * time.Second); err != nil {
			t.Errorf("Shutdown() error = %v", err)
		}
		if err := <-served; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("Listener() error = %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// newBrowser starts a headless Chromium with a fresh profile. The returned
// context carries the overall deadline of the browser test; a browser that does
// not start fails the test at its first action.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	execPath := os.Getenv("JIEDAO_CHROMIUM")
	if execPath == "" {
		execPath = "/usr/bin/chromium"
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(t.TempDir()),
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
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 60*time.Second)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// Closing the browser lets it remove its files; cancelling alone kills it.
		if err := chromedp.Cancel(browserCtx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("close the browser: %v", err)
		}
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	return browserCtx
}

// browse runs the browser steps of one named part of the scenario, failing the
// test on error.
func browse(t *testing.T, ctx context.Context, name string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
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
	e := newEnv(t)
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
		chromedp.SendKeys(css(`#password`), demoPassword),
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
	if err := e.db.Table("auth_sessions").Where("revoked_at IS NULL").Count(&open).Error; err != nil {
		t.Fatal(err)
	}
	if open != 0 {
		t.Errorf("open sessions after sign-out = %d, want 0", open)
	}
}
