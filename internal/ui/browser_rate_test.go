package ui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// A resident rates a service on a 360 × 640 phone with JavaScript off,
// from the link of the record's QR code: the code is filled in, the page
// does not scroll sideways, the stars are tapped and the thank-you page
// follows. The same code again is refused in the page.
func TestBrowserRate(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	code := ratingCode(t, e, e.ActiveContract(t), "NJ-PHONE")
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
	rate := func(name string, landmark string) {
		t.Helper()
		steps := []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(base + "/rate?code=" + code),
			chromedp.WaitVisible(css(`#rate-submit`)),
		}
		for i, dim := range []string{"timeliness", "professionalism", "attitude", "effectiveness", "overall"} {
			steps = append(steps, chromedp.Click(css(fmt.Sprintf(`label[for="rate-%s-%d"]`, dim, 5-i%2))))
		}
		steps = append(steps, chromedp.SendKeys(css(`#rate-comment`), "服务很及时"), chromedp.Click(css(`#rate-submit`)),
			chromedp.WaitVisible(css(landmark)))
		browse(t, ctx, name, steps...)
	}

	browse(t, ctx, "open the QR code's link",
		chromedp.Navigate(base+"/rate?code="+code),
		chromedp.WaitVisible(css(`#rate-submit`)),
	)
	if v := pageValue(t, ctx, chromedp.Value(css(`#rate-code`))); v != code {
		t.Errorf("the code field = %q, want %q", v, code)
	}
	wantSubstrings(t, "the heading", pageValue(t, ctx, chromedp.Text(css(`main h1`))), "服务评价")
	if w := pageValue(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		t.Errorf("the rating page is %d pixels wide on a 360-pixel phone", w)
	}

	rate("rate the service", `#rate-thanks`)
	if loc := pageValue(t, ctx, chromedp.Location()); !strings.HasSuffix(loc, "/rate/thanks") {
		t.Errorf("after rating the browser is at %q, want /rate/thanks", loc)
	}
	var stars [5]int
	if err := e.DB.Raw(`SELECT timeliness, professionalism, attitude, effectiveness, overall FROM ratings ORDER BY id DESC LIMIT 1`).
		Row().Scan(&stars[0], &stars[1], &stars[2], &stars[3], &stars[4]); err != nil || stars != [5]int{5, 4, 5, 4, 5} {
		t.Errorf("the rating's stars = %v (%v), want [5 4 5 4 5]", stars, err)
	}

	rate("rate again with the same code", `#form-alert`)
	wantSubstrings(t, "the refusal", pageValue(t, ctx, chromedp.Text(css(`#form-alert`))), "此评价码无法使用")
}
