package server_test

import (
	"fmt"
	"net/url"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestZZScreens(t *testing.T) {
	if os.Getenv("SCREENS") == "" {
		t.Skip()
	}
	e := newEnv(t)
	category := "ELDERLY_HOME_CARE"
	officer := signIn(t, e, "demo-officer")
	nanjie := e.idOf("communities", "code = ?", "330502003001")
	draft := createItem(t, e, officer, itemForm("", "Home bathing for elderly residents (draft)", "SERVICE_HOTLINE", nanjie))
	var first int64
	for i := 1; i <= 22; i++ {
		f := itemForm("", fmt.Sprintf("Community home care package %02d", i), category, nanjie)
		f.Set("description", "Home visits for elderly residents living alone: cleaning, meals, bathing and companionship, at least twice a month, by trained caregivers.")
		f.Set("legal_basis", "State Council General Office guidance on purchasing services from social forces (2013 No. 96)")
		f.Set("target_population", "Residents aged 80 and over living alone")
		id := createItem(t, e, officer, f)
		publish(t, officer, id)
		if first == 0 {
			first = id
		}
	}
	base := serveHTTP(t, e)
	ctx := newBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	shot := func(name string, a chromedp.Action[[]byte]) {
		buf := pageValue(t, ctx, a)
		if err := os.WriteFile("/tmp/shots/"+name+".png", buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	login := func(user string) {
		browse(t, ctx, "login "+user, chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(css(`#username`), user),
			chromedp.SendKeys(css(`#password`), demoPassword),
			chromedp.Click(css(`#login-submit`)),
			chromedp.WaitVisible(css(`#welcome`)))
	}
	logout := func() {
		browse(t, ctx, "logout", chromedp.Click(css(`form[action="/logout"] button`)), chromedp.WaitVisible(css(`#login-submit`)))
	}
	page := func(name, path string, scrolls ...string) {
		browse(t, ctx, name, chromedp.Navigate(base+path), chromedp.WaitVisible(css(`main h1`)))
		shot(name, chromedp.CaptureScreenshot())
		for i, s := range scrolls {
			browse(t, ctx, name+" scroll", chromedp.ScrollIntoView(css(s)))
			shot(fmt.Sprintf("%s_%d", name, i+1), chromedp.CaptureScreenshot())
		}
	}
	browse(t, ctx, "english", chromedp.Navigate(base+"/lang/en?next=/"))
	page("catalog", "/catalog?q="+url.QueryEscape("home care")+"&page=2", "nav.pager")
	page("catalog_p1", "/catalog?category=ELDERLY_HOME_CARE", "nav.pager")
	page("catalog_item", fmt.Sprintf("/catalog/items/%d", first), "#item-metrics")
	page("standards", "/standards", "#std-ELDERLY_DAY_CARE")
	login("demo-officer")
	page("items", "/items")
	page("item_draft", fmt.Sprintf("/items/%d", draft), "#item-metrics")
	page("item_edit", fmt.Sprintf("/items/%d/edit", draft), "#community_ids", "#metrics")
	page("item_new", "/items/new", "#metrics")
	page("item_pub", fmt.Sprintf("/items/%d", first))
	page("item_versions", fmt.Sprintf("/items/%d/versions", first))
	browse(t, ctx, "error1", chromedp.Navigate(base+"/items/new"),
		chromedp.SendKeys(css(`#unit_price`), "12.345"),
		chromedp.Click(css(`#save-item`)),
		chromedp.WaitVisible(css(`#form-alert`)))
	shot("item_new_error", chromedp.CaptureScreenshot())
	browse(t, ctx, "error2", chromedp.Navigate(base+"/items/new"),
		chromedp.SendKeys(css(`#unit_price`), "12"),
		chromedp.SendKeys(css(`#annual_quantity`), "12"),
		chromedp.Click(css(`#save-item`)),
		chromedp.WaitVisible(css(`#form-alert`)))
	shot("item_new_error2", chromedp.CaptureScreenshot())
	browse(t, ctx, "publish refused", chromedp.Navigate(fmt.Sprintf("%s/items/%d", base, draft)),
		chromedp.Click(css(`#publish-item`)),
		chromedp.WaitVisible(css(`#form-alert`)))
	shot("item_publish_refused", chromedp.CaptureScreenshot())
	logout()
	login("demo-district")
	page("dstd", "/district/standards", "#std-ELDERLY_HOME_CARE", "#add-metric")
	browse(t, ctx, "adjust error", chromedp.Navigate(base+"/district/standards"),
		chromedp.SetValue(css(`#w-ELDERLY_DAY_CARE-meal_services`), "0"),
		chromedp.Click(css(`form#adj-ELDERLY_DAY_CARE-meal_services button`)),
		chromedp.WaitVisible(css(`#form-alert`)))
	shot("dstd_error", chromedp.CaptureScreenshot())
	page("guidance", "/district/guidance", "#add-guidance")
	browse(t, ctx, "guidance error", chromedp.Navigate(base+"/district/guidance"),
		chromedp.SendKeys(css(`#catalog_code`), "bad code"),
		chromedp.Click(css(`#add-guidance-submit`)),
		chromedp.WaitVisible(css(`#form-alert`)))
	shot("guidance_error", chromedp.CaptureScreenshot())
	logout()
	login("demo-finance")
	page("item_finance", fmt.Sprintf("/items/%d", first))
	// a narrow screen
	browse(t, ctx, "narrow", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/catalog"), chromedp.WaitVisible(css(`main h1`)))
	shot("narrow_catalog", chromedp.CaptureScreenshot())
	browse(t, ctx, "narrow2", chromedp.Navigate(fmt.Sprintf("%s/items/%d", base, first)), chromedp.WaitVisible(css(`main h1`)))
	shot("narrow_item", chromedp.CaptureScreenshot())
}
