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

// A resident on a 360 × 640 phone with JavaScript off signs up from the
// home page, lands on its community's menu and asks for a service; then the
// officer finds the request in its list and enters a caller's request on the
// hotline form.
func TestBrowserResidentRequest(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	c := e.ActiveContract(t)
	base := serveHTTP(t, e)
	ctx := newBrowser(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	browse(t, ctx, "a phone without JavaScript",
		chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
	)
	browse(t, ctx, "sign up from the home page",
		chromedp.Navigate(base+"/"),
		chromedp.Click(css(`#resident-signup-link`)),
		chromedp.WaitVisible(css(`#resident-submit`)),
		chromedp.SetValue(css(`#resident-community_id`), fmt.Sprint(d.CommA)),
		chromedp.SendKeys(css(`#resident-username`), "wang.resident"),
		chromedp.SendKeys(css(`#resident-password`), "a long enough password"),
		chromedp.SendKeys(css(`#resident-password_confirm`), "a long enough password"),
		chromedp.Click(css(`#resident-submit`)),
		chromedp.WaitVisible(css(`#services-done`)),
	)
	if w := pageValue(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		t.Errorf("the menu is %d pixels wide on a 360-pixel phone", w)
	}
	row := fmt.Sprintf(`#row-%d`, c.ID)
	wantSubstrings(t, "the menu", pageValue(t, ctx, chromedp.Text(css(row))), "测试服务记录项目", "湖州市吴兴区康乐居家养老服务中心")
	browse(t, ctx, "ask for the service",
		chromedp.SendKeys(css(fmt.Sprintf(`#request-note-%d`, c.ID)), "每周三上午上门"),
		chromedp.Click(css(row+` button[type="submit"]`)),
		chromedp.WaitVisible(css(`#requests-done`)),
	)
	wantSubstrings(t, "my requests", pageValue(t, ctx, chromedp.Text(css(`#requests-list`))), "测试服务记录项目", "每周三上午上门", "待受理")
	browserSignOut(t, ctx)

	browserSignIn(t, ctx, base, "demo-officer", "#dashboard-procurement_officer")
	openMenu(t, ctx)
	browse(t, ctx, "open the subdistrict's requests",
		chromedp.Click(css(`[data-group="procurement"] summary`)),
		chromedp.Click(css(`header a[href="/requests"]`)),
		chromedp.WaitVisible(css(`#requests-list`)),
	)
	wantSubstrings(t, "the officer's list", pageValue(t, ctx, chromedp.Text(css(`#requests-list`))), "每周三上午上门")
	browse(t, ctx, "enter a caller's request",
		chromedp.Click(css(`#hotline-link`)),
		chromedp.WaitVisible(css(`#hotline-community-submit`)),
		chromedp.SetValue(css(`#request-community_id`), fmt.Sprint(d.CommA)),
		chromedp.Click(css(`#hotline-community-submit`)),
		chromedp.WaitVisible(css(`#hotline-submit`)),
		chromedp.SetValue(css(`#request-contract_id`), fmt.Sprint(c.ID)),
		chromedp.SendKeys(css(`#request-note`), "老人腿脚不便"),
		chromedp.SendKeys(css(`#request-contact_name`), "张先生"),
		chromedp.SendKeys(css(`#request-contact_phone`), "13900008888"),
		chromedp.Click(css(`#hotline-submit`)),
		chromedp.WaitVisible(css(`#requests-done`)),
	)
	wantSubstrings(t, "the officer's list", pageValue(t, ctx, chromedp.Text(css(`#requests-list`))), "老人腿脚不便", "张先生 13900008888", "热线代登记")
}
