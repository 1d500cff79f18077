package ui_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// navTops returns the top offsets of the working navigation's entries.
const navTops = `[...document.querySelectorAll('#work-nav > ul > li')].map(li => Math.round(li.getBoundingClientRect().top))`

// shown tells whether the element sel matches is rendered and visible.
func shown(sel string) string {
	return fmt.Sprintf(`(() => { const el = document.querySelector(%q); return !!el && el.checkVisibility({visibilityProperty: true}) })()`, sel)
}

// The navigation with JavaScript off: at 1280 × 800 the public bar and the
// working groups are shown without opening anything, all the groups of the
// roles with the most on one row, in both languages, and a group's menu
// opens from its summary; at 375 × 800 the menu is closed, opens by clicking
// its summary, and a group opens from the keyboard with a visible focus.
func TestBrowserNavigation(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	base := serveHTTP(t, e)
	ctx := newBrowser(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	visible := func(where, sel string, want bool) {
		t.Helper()
		if got := pageValue(t, ctx, chromedp.Evaluate[bool](shown(sel))); got != want {
			t.Errorf("%s: %s visible = %v, want %v", where, sel, got, want)
		}
	}
	browse(t, ctx, "a browser without JavaScript",
		chromedp.EmulateViewport(1280, 800),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
	)

	for _, who := range []string{"demo-district", "demo-org", "demo-officer"} {
		browserSignIn(t, ctx, base, who, `#work-nav`)
		for _, lang := range []string{"en", "zh-CN"} {
			where := fmt.Sprintf("%s at 1280 × 800 in %s", who, lang)
			browse(t, ctx, where, chromedp.Navigate(base+"/lang/"+lang+"?next=/dashboard"), chromedp.WaitReady(css(`#work-nav`)))
			visible(where, `#menu-toggle`, false)
			visible(where, `#public-nav a[href="/catalog"]`, true)
			visible(where, `#work-nav a[href="/dashboard"]`, true)
			tops := pageValue(t, ctx, chromedp.Evaluate[[]int](navTops))
			if len(tops) < 6 {
				t.Errorf("%s: %d entries in the working navigation, want at least 6", where, len(tops))
			}
			for i, top := range tops {
				if top != tops[0] {
					t.Errorf("%s: entry %d of the working navigation is at %d px, the first at %d px: want one row", where, i, top, tops[0])
				}
			}
			if w := pageValue(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 1280 {
				t.Errorf("%s: the page is %d pixels wide", where, w)
			}
		}
		browserSignOut(t, ctx)
	}

	browserSignIn(t, ctx, base, "demo-officer", `#work-nav`)
	where := "demo-officer's funds group at 1280 × 800"
	visible(where, `[data-group="funds"] a[href="/payouts"]`, false)
	browse(t, ctx, where, chromedp.Click(css(`[data-group="funds"] summary`)), chromedp.WaitVisible(css(`[data-group="funds"] a[href="/payouts"]`)))
	browse(t, ctx, where, chromedp.Click(css(`[data-group="funds"] a[href="/payouts"]`)), chromedp.WaitReady(css(`#work-nav a[href="/payouts"][aria-current="page"]`)))
	visible(where+" on /payouts", `[data-group="funds"].current summary`, true)

	where = "demo-officer at 375 × 800"
	browse(t, ctx, where, chromedp.EmulateViewport(375, 800, chromedp.EmulateMobile), chromedp.Navigate(base+"/dashboard"), chromedp.WaitVisible(css(`#menu-toggle`)))
	visible(where, `#public-nav`, false)
	visible(where, `#work-nav`, false)
	if w := pageValue(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
		t.Errorf("%s: the page is %d pixels wide", where, w)
	}
	browse(t, ctx, where+": open the menu", chromedp.Click(css(`#menu-toggle`)), chromedp.WaitVisible(css(`#work-nav`)))
	visible(where, `#public-nav a[href="/catalog"]`, true)
	visible(where, `[data-group="procurement"] summary`, true)
	visible(where, `[data-group="procurement"] a[href="/tenders"]`, false)
	browse(t, ctx, where+": open procurement from the keyboard",
		chromedp.Focus(css(`[data-group="procurement"] summary`)),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(css(`[data-group="procurement"] a[href="/tenders"]`)),
	)
	focus := pageValue(t, ctx, chromedp.Evaluate[string](`(() => { const el = document.activeElement; const s = getComputedStyle(el);
		return el.closest('[data-group]').dataset.group + ' ' + el.matches(':focus-visible') + ' ' + s.outlineStyle + ' ' + s.outlineWidth })()`))
	if focus != "procurement true solid 3px" {
		t.Errorf("%s: the focused summary = %q, want %q (a visible outline)", where, focus, "procurement true solid 3px")
	}
	browse(t, ctx, where+": follow a link", chromedp.Click(css(`[data-group="procurement"] a[href="/tenders"]`)),
		chromedp.WaitReady(css(`#menu-toggle`)))
	if loc := pageValue(t, ctx, chromedp.Location()); loc != base+"/tenders" {
		t.Errorf("%s: after the link the browser is at %s, want /tenders", where, loc)
	}
	visible(where+" on /tenders", `#work-nav`, false)
}
