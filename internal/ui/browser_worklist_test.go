package ui_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// The worklist in the browser: the organization's admin signs in and finds
// the draft contract to sign at the top of its worklist, opens it from there
// and signs; back on the dashboard the item is gone from 待办 and the
// signature heads 已办.
func TestBrowserWorklist(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.DraftContract(t, 1_000_000)
	base := serveHTTP(t, e)
	ctx := newBrowserFor(t, 60*time.Second)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	row := fmt.Sprintf(`#worklist-todo tr.work-item[data-kind="org.contract.sign"][data-record="%d"]`, c.ID)

	browserSignIn(t, ctx, base, "demo-org", "#dashboard-org_admin")
	first := pageValue(t, ctx, chromedp.AttributeValue(css(`#worklist-todo tbody tr:first-child`), "data-record")).Value
	kind := pageValue(t, ctx, chromedp.AttributeValue(css(`#worklist-todo tbody tr:first-child`), "data-kind")).Value
	if first != fmt.Sprint(c.ID) || kind != "org.contract.sign" {
		t.Fatalf("the worklist's first item = %s %s, want org.contract.sign %d", kind, first, c.ID)
	}
	wantSubstrings(t, "the item", pageValue(t, ctx, chromedp.Text(css(row))), "签订合同", "测试付款节点项目")
	// The navigation's 合同 group counts what waits there, this contract
	// among it (work.Service.Counts through the layout).
	badge := func() int {
		return pageValue(t, ctx, chromedp.Evaluate[int](`Number((document.querySelector('[data-group="contracts"] .pending [aria-hidden]') || {}).textContent || 0)`))
	}
	before := badge()
	if before < 1 {
		t.Fatalf("the 合同 group's badge = %d, want the contract to sign counted", before)
	}
	browse(t, ctx, "open the contract from the worklist and sign",
		chromedp.Click(css(row+` a`)),
		chromedp.WaitVisible(css(`#sign-submit`)),
		chromedp.Click(css(`#sign-submit`)),
		chromedp.WaitVisible(css(`#done[data-done="signed"]`)),
	)
	browse(t, ctx, "back to the dashboard",
		chromedp.Navigate(base+"/dashboard"),
		chromedp.WaitVisible(css(`#worklist-done`)),
	)
	if left := pageValue(t, ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, row))); left != 0 {
		t.Errorf("the signed contract is still on the worklist")
	}
	if after := badge(); after != before-1 {
		t.Errorf("the 合同 group's badge after signing = %d, want %d", after, before-1)
	}
	done := fmt.Sprintf(`#worklist-done tbody tr:first-child[data-record="contract %d"]`, c.ID)
	wantSubstrings(t, "the done list", pageValue(t, ctx, chromedp.Text(css(done))), "签订合同")
}
