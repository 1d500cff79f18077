package ui_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// categoryOrder lists the service categories, least likely to be seeded first.
var categoryOrder = []string{"SERVICE_HOTLINE", "CIVIL_MEDIATION", "COMMUNITY_HEALTH", "CULTURE_SPORTS", "LEGAL_AID",
	"YOUTH_GUIDANCE", "CHARITY_SUPERMARKET", "COMMUNITY_EDUCATION", "EMPLOYMENT_SERVICE", "VOLUNTEER_SERVICE",
	"SOCIAL_WORK_STATION", "SOCIAL_ASSISTANCE", "DISABILITY_SUPPORT", "ELDERLY_APARTMENT", "ELDERLY_DAY_CARE", "ELDERLY_HOME_CARE"}

// unlistedCategories returns the categories the demo district's guidance
// catalog does not list (the seed may list some).
func unlistedCategories(t *testing.T, e *servertest.Env) []string {
	t.Helper()
	var listed []string
	if err := e.DB.Table("guidance_entries").Pluck("category_code", &listed).Error; err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range categoryOrder {
		if !slices.Contains(listed, c) {
			out = append(out, c)
		}
	}
	if len(out) < 2 {
		t.Fatalf("the seed lists %v in the guidance catalog; the tests need two unlisted categories", listed)
	}
	return out
}

// itemForm is a complete, valid editor form for a new transfer item.
func itemForm(token, title, category string, communityID int64) url.Values {
	return url.Values{
		"csrf_token": {token}, "metrics_category": {""},
		"title": {title}, "category_code": {category},
		"description":       {"为辖区内独居、失能老人提供上门助浴服务，每月不少于两次。\n服务人员须持有养老护理员证书。"},
		"legal_basis":       {"《国务院办公厅关于政府向社会力量购买服务的指导意见》"},
		"target_population": {"辖区内 80 周岁以上独居及失能老人"},
		"community_ids":     {strconv.FormatInt(communityID, 10)},
		"annual_quantity":   {"1200"}, "quantity_unit": {"人次"}, "unit_price": {"85.50"},
		"purchase_method": {"open_tender"}, "min_grade": {"3"}, "min_social_workers": {"2"},
	}
}

var createdItem = regexp.MustCompile(`^/items/(\d+)\?done=created$`)

// createItem creates a transfer item through the editor and returns its id.
func createItem(t *testing.T, e *servertest.Env, officer *servertest.PageClient, form url.Values) int64 {
	t.Helper()
	form.Set("csrf_token", servertest.CSRFToken(t, officer.Get(t, "/items/new")))
	r := officer.Post(t, "/items", form)
	m := createdItem.FindStringSubmatch(r.Header.Get("Location"))
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("POST /items = %d Location %q, want 303 to the new item; body %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// listCategory adds category to the demo district's guidance catalog through its page.
func listCategory(t *testing.T, e *servertest.Env, district *servertest.PageClient, category, code string) {
	t.Helper()
	token := servertest.CSRFToken(t, district.Get(t, "/district/guidance"))
	r := district.Post(t, "/district/guidance", url.Values{"csrf_token": {token}, "category_code": {category},
		"catalog_code": {code}, "notes": {"页面测试列入"}})
	servertest.WantRedirect(t, "POST /district/guidance", r, "/district/guidance?added="+category)
}

// publish publishes the item's draft through its page.
func publish(t *testing.T, officer *servertest.PageClient, id int64) {
	t.Helper()
	path := fmt.Sprintf("/items/%d", id)
	r := officer.Post(t, path+"/publish", url.Values{"csrf_token": {servertest.CSRFToken(t, officer.Get(t, path))}})
	servertest.WantRedirect(t, "POST "+path+"/publish", r, path+"?done=published")
}

// wantBody fails unless the body holds each of want.
func wantBody(t *testing.T, what string, r servertest.Response, want ...string) {
	t.Helper()
	body := string(r.Body)
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s does not contain %q", what, w)
		}
	}
}

// wantNoBody fails if the body holds any of unwanted.
func wantNoBody(t *testing.T, what string, r servertest.Response, unwanted ...string) {
	t.Helper()
	body := string(r.Body)
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s contains %q", what, w)
		}
	}
}

func wantStatus(t *testing.T, what string, r servertest.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s = %d, want %d", what, r.Status, status)
	}
}

var (
	metricChoice = regexp.MustCompile(`<input type="checkbox" id="metric-([a-z0-9_]+)" name="metric" value="[a-z0-9_]+"( checked)?><label for="metric-[a-z0-9_]+">([^<]+)</label>`)
	metricInput  = regexp.MustCompile(`name="((?:target|weight)_[a-z0-9_]+)" value="([^"]*)"`)
)

// The whole life of a transfer item through the pages: an officer drafts it,
// publishing waits for the district's guidance catalog, the public finds it,
// and an edit becomes a new version while the old one stays readable.
func TestPagesTransferItemLifecycle(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	category := unlistedCategories(t, e)[0]
	nanjie := e.Demo(t).CommA
	officer := servertest.SignIn(t, e, "demo-officer")
	const title = "老年人上门助浴服务（页面测试甲）"

	r := officer.Get(t, "/items/new")
	wantStatus(t, "GET /items/new", r, http.StatusOK)
	wantBody(t, "GET /items/new", r, `<label for="title">`, `id="metrics-after-save"`, `name="community_ids" value="`+strconv.FormatInt(nanjie, 10)+`"`)
	id := createItem(t, e, officer, itemForm("", title, category, nanjie))
	path := fmt.Sprintf("/items/%d", id)

	r = officer.Get(t, path+"?done=created")
	wantStatus(t, "GET "+path, r, http.StatusOK)
	wantBody(t, "the new item's page", r, title, `role="status"`, `action="`+path+`/publish"`, `id="not-listed"`, "南街社区", "¥85.50", "3A 及以上")
	wantNoBody(t, "the new item's page", r, `action="`+path+`/retire"`)

	// The editor shows the standard's metrics, all chosen; drop the last and
	// raise the first one's target.
	r = officer.Get(t, path+"/edit")
	wantStatus(t, "GET "+path+"/edit", r, http.StatusOK)
	choices := metricChoice.FindAllStringSubmatch(string(r.Body), -1)
	if len(choices) < 3 {
		t.Fatalf("the editor offers %d metrics, want the standard's (at least 3): %s", len(choices), r.Body)
	}
	form := itemForm(servertest.CSRFToken(t, r), title, category, nanjie)
	form.Set("metrics_category", category)
	for _, m := range metricInput.FindAllStringSubmatch(string(r.Body), -1) {
		form.Set(m[1], m[2])
	}
	for _, c := range choices[:len(choices)-1] {
		if c[2] == "" {
			t.Errorf("metric %s of the new item is not chosen", c[1])
		}
		form.Add("metric", c[1])
	}
	first, dropped := choices[0], choices[len(choices)-1]
	form.Set("target_"+first[1], "1500")
	servertest.WantRedirect(t, "POST "+path+"/edit", officer.Post(t, path+"/edit", form), path+"?done=saved")
	r = officer.Get(t, path)
	wantBody(t, "the edited item", r, html.EscapeString(first[3]), ">1500<")
	wantNoBody(t, "the edited item", r, html.EscapeString(dropped[3]))

	// Publishing waits for the district's guidance catalog.
	r = officer.Post(t, path+"/publish", url.Values{"csrf_token": {servertest.CSRFToken(t, r)}})
	wantStatus(t, "POST "+path+"/publish before the category is listed", r, http.StatusConflict)
	wantBody(t, "the refused publication", r, `role="alert"`, "尚未列入本区政府购买服务指导性目录", "请联系区民政局")

	district := servertest.SignIn(t, e, "demo-district")
	listCategory(t, e, district, category, "T-PAGES.01")
	r = district.Get(t, "/district/guidance?added="+category)
	wantBody(t, "the guidance catalog", r, "T-PAGES.01", "页面测试列入", `role="status"`)

	publish(t, officer, id)
	r = officer.Get(t, path)
	wantBody(t, "the published item", r, `badge-published`, `href="`+path+`?version=1"`)
	wantNoBody(t, "the published item", r, `action="`+path+`/publish"`)
	wantBody(t, "the published item", r, `action="`+path+`/retire"`)

	// The public finds it by a Chinese substring and reads its metrics.
	anon := servertest.NewPageClient(e)
	r = anon.Get(t, "/catalog?q="+url.QueryEscape("上门助浴"))
	wantStatus(t, "GET /catalog?q=上门助浴", r, http.StatusOK)
	wantBody(t, "the catalog search", r, title, fmt.Sprintf(`href="/catalog/items/%d"`, id))
	r = anon.Get(t, "/catalog?q="+url.QueryEscape("不存在的事项名称"))
	wantNoBody(t, "a search for nothing", r, title)
	wantBody(t, "a search for nothing", r, "没有符合条件的转移事项")

	public := fmt.Sprintf("/catalog/items/%d", id)
	r = anon.Get(t, public)
	wantStatus(t, "GET "+public, r, http.StatusOK)
	wantBody(t, "the public item", r, title, `id="item-metrics"`, html.EscapeString(first[3]), ">1500<", "¥85.50", "¥102,600.00",
		"3A 及以上", "公开招标", "南街社区", "1200 人次", "辖区内 80 周岁以上独居及失能老人")
	wantNoBody(t, "the public item", r, `action="`, "/edit")
	en := servertest.NewPageClient(e)
	en.Cookies["jd_lang"] = "en"
	r = en.Get(t, public)
	wantBody(t, "the public item in English", r, "3A or above", "Open tender", "Nanjie Community", "Indicative unit price", "Higher is better")

	// An edit of the published item is version 2, a draft; the public still reads version 1.
	r = officer.Get(t, path+"/edit")
	wantBody(t, "the editor of a published item", r, `id="new-version-hint"`)
	form.Set("csrf_token", servertest.CSRFToken(t, r))
	form.Set("title", "老年人上门助浴服务（页面测试甲·第二版）")
	servertest.WantRedirect(t, "POST "+path+"/edit of the published item", officer.Post(t, path+"/edit", form), path+"?done=saved")
	r = officer.Get(t, path)
	wantBody(t, "the item with a new draft", r, "页面测试甲·第二版", `action="`+path+`/publish"`, `href="`+path+`?version=2"`)
	r = officer.Get(t, path+"/versions")
	wantStatus(t, "GET "+path+"/versions", r, http.StatusOK)
	wantBody(t, "the version history", r, `href="`+path+`?version=1"`, `href="`+path+`?version=2"`, "页面测试甲·第二版", title)
	r = officer.Get(t, path+"?version=1")
	wantBody(t, "version 1", r, "<h1>"+title+"</h1>")
	wantStatus(t, "GET "+path+"?version=9", officer.Get(t, path+"?version=9"), http.StatusNotFound)
	r = anon.Get(t, public)
	wantBody(t, "the public item during a draft", r, "<h1>"+title+"</h1>")
	wantNoBody(t, "the public item during a draft", r, "第二版")

	publish(t, officer, id)
	r = officer.Get(t, path+"/versions")
	wantBody(t, "the version history after the second publication", r, "已被替代", "现行版本")
	wantBody(t, "the public item after the second publication", anon.Get(t, public), "页面测试甲·第二版")

	// Retiring keeps the last version readable to the public.
	r = officer.Post(t, path+"/retire", url.Values{"csrf_token": {servertest.CSRFToken(t, officer.Get(t, path))}})
	servertest.WantRedirect(t, "POST "+path+"/retire", r, path+"?done=retired")
	r = officer.Get(t, path)
	wantNoBody(t, "the retired item", r, `action="`+path+`/publish"`, `action="`+path+`/retire"`, path+"/edit")
	r = officer.Get(t, path+"/edit")
	wantStatus(t, "GET "+path+"/edit of a retired item", r, http.StatusConflict)
	wantBody(t, "GET "+path+"/edit of a retired item", r, `role="alert"`, "该事项已撤销")
	wantBody(t, "the retired public item", anon.Get(t, public), `id="retired-note"`)
	wantNoBody(t, "the catalog after retiring", anon.Get(t, "/catalog?q="+url.QueryEscape("上门助浴")), public)
}

// Who may do what with an item, whatever the page shows.
func TestPagesTransferItemAccess(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	category := unlistedCategories(t, e)[0]
	officer := servertest.SignIn(t, e, "demo-officer")
	id := createItem(t, e, officer, itemForm("", "社区法律咨询服务（页面测试乙）", category, e.IDOf(t, "communities", "code = ?", "330502003002")))
	path := fmt.Sprintf("/items/%d", id)
	items := servertest.Count(t, e, "transfer_items")

	t.Run("CSRF", func(t *testing.T) {
		for _, p := range []string{path + "/publish", path + "/retire", path + "/edit", "/items"} {
			r := officer.Post(t, p, itemForm("", "无令牌提交", category, 0))
			wantStatus(t, "POST "+p+" without a CSRF token", r, http.StatusForbidden)
			wantBody(t, "POST "+p+" without a CSRF token", r, `role="alert"`, "表单已过期")
		}
		if n := servertest.Count(t, e, "transfer_items"); n != items {
			t.Errorf("transfer_items rows = %d after refused posts, want %d", n, items)
		}
		for _, p := range []string{"/district/guidance", "/district/standards/metrics", "/district/standards/ELDERLY_HOME_CARE/service_visits"} {
			r := servertest.SignIn(t, e, "demo-district").Post(t, p, url.Values{"category_code": {category}, "catalog_code": {"X-1"}})
			wantStatus(t, "POST "+p+" without a CSRF token", r, http.StatusForbidden)
		}
	})

	t.Run("another subdistrict's officer", func(t *testing.T) {
		other := servertest.SignIn(t, e, "demo-officer2")
		for _, p := range []string{path, path + "/edit", path + "/versions", path + "?version=1"} {
			wantStatus(t, "GET "+p+" as demo-officer2", other.Get(t, p), http.StatusNotFound)
		}
		token := servertest.CSRFToken(t, other.Get(t, "/items"))
		for _, p := range []string{path + "/publish", path + "/retire", path + "/edit"} {
			wantStatus(t, "POST "+p+" as demo-officer2", other.Post(t, p, itemForm(token, "冒名修改", category, 0)), http.StatusNotFound)
		}
		wantNoBody(t, "demo-officer2's items", other.Get(t, "/items"), path)
	})

	t.Run("finance officer reads only", func(t *testing.T) {
		finance := servertest.SignIn(t, e, "demo-finance")
		r := finance.Get(t, path)
		wantStatus(t, "GET "+path+" as demo-finance", r, http.StatusOK)
		wantBody(t, "the item for demo-finance", r, "社区法律咨询服务（页面测试乙）")
		wantNoBody(t, "the item for demo-finance", r, path+"/publish", path+"/retire", path+"/edit", `id="item-actions"`)
		r = finance.Get(t, "/items")
		wantBody(t, "/items for demo-finance", r, `href="`+path+`"`)
		wantNoBody(t, "/items for demo-finance", r, `href="/items/new"`)
		wantStatus(t, "GET /items/new as demo-finance", finance.Get(t, "/items/new"), http.StatusForbidden)
		wantStatus(t, "GET "+path+"/edit as demo-finance", finance.Get(t, path+"/edit"), http.StatusForbidden)
		token := servertest.CSRFToken(t, r)
		wantStatus(t, "POST "+path+"/publish as demo-finance", finance.Post(t, path+"/publish", url.Values{"csrf_token": {token}}), http.StatusForbidden)
		wantStatus(t, "POST /items as demo-finance", finance.Post(t, "/items", itemForm(token, "财务新建", category, 0)), http.StatusForbidden)
	})

	t.Run("district admin reads only", func(t *testing.T) {
		district := servertest.SignIn(t, e, "demo-district")
		r := district.Get(t, "/items")
		wantBody(t, "/items for demo-district", r, `href="`+path+`"`, "爱山街道")
		r = district.Get(t, path)
		wantStatus(t, "GET "+path+" as demo-district", r, http.StatusOK)
		wantNoBody(t, "the item for demo-district", r, path+"/publish", path+"/edit")
	})

	t.Run("others", func(t *testing.T) {
		servertest.WantRedirect(t, "GET /items anonymously", servertest.NewPageClient(e).Get(t, "/items"), "/login")
		servertest.WantRedirect(t, "GET "+path+" anonymously", servertest.NewPageClient(e).Get(t, path), "/login")
		wantStatus(t, "GET /catalog/items/{draft}", servertest.NewPageClient(e).Get(t, fmt.Sprintf("/catalog/items/%d", id)), http.StatusNotFound)
		for _, user := range []string{"demo-evaluator", "demo-org", "demo-resident"} {
			wantStatus(t, "GET /items as "+user, servertest.SignIn(t, e, user).Get(t, "/items"), http.StatusForbidden)
		}
		officer2 := servertest.SignIn(t, e, "demo-officer2")
		for _, p := range []string{"/district/standards", "/district/guidance"} {
			wantStatus(t, "GET "+p+" as demo-officer2", officer2.Get(t, p), http.StatusForbidden)
		}
		token := servertest.CSRFToken(t, officer.Get(t, "/items"))
		r := officer.Post(t, "/district/standards/ELDERLY_HOME_CARE/service_visits", url.Values{"csrf_token": {token}, "default_target": {"1"}, "default_weight": {"1"}})
		wantStatus(t, "POST /district/standards/… as demo-officer", r, http.StatusForbidden)
	})

	t.Run("navigation", func(t *testing.T) {
		for user, want := range map[string][]string{
			"demo-officer":  {"/items"},
			"demo-finance":  {"/items"},
			"demo-district": {"/items", "/district/standards", "/district/guidance"},
			"demo-org":      nil,
		} {
			r := servertest.SignIn(t, e, user).Get(t, "/dashboard")
			for _, link := range []string{"/items", "/district/standards", "/district/guidance", "/catalog", "/standards"} {
				got := strings.Contains(string(r.Body), `href="`+link+`"`)
				if wantLink := slices.Contains(want, link) || link == "/catalog" || link == "/standards"; got != wantLink {
					t.Errorf("the header of %s links %s: %v, want %v", user, link, got, wantLink)
				}
			}
		}
		wantBody(t, "the anonymous home page", servertest.NewPageClient(e).Get(t, "/"), `href="/catalog"`, `href="/standards"`, "转移事项目录", "服务标准")
	})
}

// A refused form comes back with what was typed, an alert naming each bad
// field, and the bad inputs marked.
func TestPagesTransferItemFormErrors(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	category := unlistedCategories(t, e)[0]
	officer := servertest.SignIn(t, e, "demo-officer")
	nanjie := e.Demo(t).CommA
	items := servertest.Count(t, e, "transfer_items")

	t.Run("unparsable price", func(t *testing.T) {
		form := itemForm(servertest.CSRFToken(t, officer.Get(t, "/items/new")), "价格有误的事项", category, nanjie)
		form.Set("unit_price", "12.345")
		r := officer.Post(t, "/items", form)
		wantStatus(t, "POST /items with a bad price", r, http.StatusBadRequest)
		wantBody(t, "POST /items with a bad price", r, `role="alert"`, `<a href="#unit_price_fen">参考单价（元）</a>`,
			`id="unit_price_fen" name="unit_price" value="12.345" required aria-describedby="price-hint" aria-invalid="true"`, `value="价格有误的事项"`)
	})
	t.Run("service refuses", func(t *testing.T) {
		form := itemForm(servertest.CSRFToken(t, officer.Get(t, "/items/new")), "   ", category, nanjie)
		form.Set("annual_quantity", "-5")
		form.Set("category_code", "")
		r := officer.Post(t, "/items", form)
		wantStatus(t, "POST /items without a title", r, http.StatusBadRequest)
		wantBody(t, "POST /items without a title", r, `role="alert"`, `<a href="#title">事项名称</a>`, `<a href="#annual_quantity">年度服务数量</a>`,
			`<a href="#category_code">服务类别</a>`, "请选择服务类别", `id="title" name="title" value="   " required maxlength="300" aria-invalid="true"`)
		wantNoBody(t, "POST /items without a title", r, `href="#unit_price_fen"`)
	})
	t.Run("english", func(t *testing.T) {
		en := servertest.SignIn(t, e, "demo-officer")
		en.Cookies["jd_lang"] = "en"
		form := itemForm(servertest.CSRFToken(t, en.Get(t, "/items/new")), "", category, nanjie)
		r := en.Post(t, "/items", form)
		wantStatus(t, "POST /items without a title (en)", r, http.StatusBadRequest)
		wantBody(t, "POST /items without a title (en)", r, "Please correct the following", `<a href="#title">Title</a>: is required`)
	})
	if n := servertest.Count(t, e, "transfer_items"); n != items {
		t.Errorf("transfer_items rows = %d after refused forms, want %d", n, items)
	}

	t.Run("metrics", func(t *testing.T) {
		id := createItem(t, e, officer, itemForm("", "指标有误的事项", category, nanjie))
		path := fmt.Sprintf("/items/%d", id)
		r := officer.Get(t, path+"/edit")
		choices := metricChoice.FindAllStringSubmatch(string(r.Body), -1)
		form := itemForm(servertest.CSRFToken(t, r), "指标有误的事项", category, nanjie)
		form.Set("metrics_category", category)
		for _, m := range metricInput.FindAllStringSubmatch(string(r.Body), -1) {
			form.Set(m[1], m[2])
		}
		for _, c := range choices {
			form.Add("metric", c[1])
		}
		code := choices[0][1]
		form.Set("target_"+code, "abc")
		r = officer.Post(t, path+"/edit", form)
		wantStatus(t, "POST "+path+"/edit with a bad target", r, http.StatusBadRequest)
		wantBody(t, "POST "+path+"/edit with a bad target", r, `<a href="#target_`+code+`">`+html.EscapeString(choices[0][3])+` · 目标值</a>`,
			`id="target_`+code+`" name="target_`+code+`" value="abc" aria-invalid="true"`)

		form.Set("target_"+code, "10")
		form.Set("weight_"+code, "0")
		r = officer.Post(t, path+"/edit", form)
		wantStatus(t, "POST "+path+"/edit with weight 0", r, http.StatusBadRequest)
		wantBody(t, "POST "+path+"/edit with weight 0", r, `<a href="#metrics">服务质量指标</a>`, `value="0"`)

		form.Del("metric")
		r = officer.Post(t, path+"/edit", form)
		wantStatus(t, "POST "+path+"/edit without metrics", r, http.StatusBadRequest)
		wantBody(t, "POST "+path+"/edit without metrics", r, `<a href="#metrics">服务质量指标</a>`, "至少采用一项指标")

		// A new category resets the metrics to its standard, whatever was posted.
		other := unlistedCategories(t, e)[1]
		form.Set("category_code", other)
		r = officer.Post(t, path+"/edit", form)
		servertest.WantRedirect(t, "POST "+path+"/edit with a new category", r, path+"?done=saved")
		var n int64
		if err := e.DB.Table("transfer_item_metrics").Where("item_id = ?", id).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		var want int64
		if err := e.DB.Table("metric_templates").Where("category_code = ? AND district_id IS NULL", other).Count(&want).Error; err != nil {
			t.Fatal(err)
		}
		if n != want || n == 0 {
			t.Errorf("metrics after changing the category = %d, want the %d of %s's standard", n, want, other)
		}
	})
}

// The district admin adjusts, adds and retires metrics and keeps the
// guidance catalog; mistakes come back named.
func TestPagesDistrictStandardsAndGuidance(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	district := servertest.SignIn(t, e, "demo-district")
	districtID := e.Demo(t).District

	r := district.Get(t, "/district/standards")
	wantStatus(t, "GET /district/standards", r, http.StatusOK)
	wantBody(t, "GET /district/standards", r, `id="std-ELDERLY_HOME_CARE"`, `action="/district/standards/ELDERLY_HOME_CARE/service_visits"`,
		`id="t-ELDERLY_HOME_CARE-service_visits" name="default_target" form="adj-ELDERLY_HOME_CARE-service_visits" value="1200"`, "有效指标权重合计 100")
	token := servertest.CSRFToken(t, r)

	const adjust = "/district/standards/ELDERLY_HOME_CARE/service_visits"
	r = district.Post(t, adjust, url.Values{"csrf_token": {token}, "default_target": {"1500"}, "default_weight": {"30"}})
	servertest.WantRedirect(t, "POST "+adjust, r, "/district/standards?saved=ELDERLY_HOME_CARE#std-ELDERLY_HOME_CARE")
	r = district.Get(t, "/district/standards?saved=ELDERLY_HOME_CARE")
	wantBody(t, "the adjusted standard", r, `role="status"`, `id="t-ELDERLY_HOME_CARE-service_visits" name="default_target" form="adj-ELDERLY_HOME_CARE-service_visits" value="1500"`)

	r = district.Post(t, adjust, url.Values{"csrf_token": {token}, "default_target": {"1500"}, "default_weight": {"0"}})
	wantStatus(t, "POST "+adjust+" with weight 0", r, http.StatusBadRequest)
	wantBody(t, "POST "+adjust+" with weight 0", r, `role="alert"`, `<a href="#w-ELDERLY_HOME_CARE-service_visits">默认权重</a>`,
		"居家养老服务 · 上门服务人次", `id="w-ELDERLY_HOME_CARE-service_visits" name="default_weight" form="adj-ELDERLY_HOME_CARE-service_visits" value="0" aria-invalid="true"`)
	r = district.Post(t, adjust, url.Values{"csrf_token": {token}, "default_target": {"很多"}, "default_weight": {"30"}})
	wantStatus(t, "POST "+adjust+" with a word for a target", r, http.StatusBadRequest)
	wantBody(t, "POST "+adjust+" with a word for a target", r, `<a href="#t-ELDERLY_HOME_CARE-service_visits">默认目标值</a>`)

	// The public reads the reference standard, or the district's on request.
	anon := servertest.NewPageClient(e)
	r = anon.Get(t, "/standards")
	wantStatus(t, "GET /standards", r, http.StatusOK)
	if got := strings.Count(string(r.Body), `<section id="std-`); got != 16 {
		t.Errorf("GET /standards shows %d standards, want 16", got)
	}
	wantNoBody(t, "GET /standards", r, "<form method=\"post\"")

	newMetric := url.Values{"csrf_token": {token}, "category": {"ELDERLY_HOME_CARE"}, "code": {"bath_safety_checks"},
		"name_zh": {"助浴安全检查次数"}, "name_en": {"Bathing safety checks"}, "unit": {"次"}, "direction": {"higher"},
		"source": {"evaluator"}, "default_target": {"12"}, "default_weight": {"5"}}
	r = district.Post(t, "/district/standards/metrics", newMetric)
	servertest.WantRedirect(t, "POST /district/standards/metrics", r, "/district/standards?saved=ELDERLY_HOME_CARE#std-ELDERLY_HOME_CARE")
	r = district.Get(t, "/district/standards")
	wantBody(t, "the standard with a new metric", r, "助浴安全检查次数", `action="/district/standards/ELDERLY_HOME_CARE/bath_safety_checks/retire"`, "有效指标权重合计 105")
	wantBody(t, "the district's standards, public", anon.Get(t, fmt.Sprintf("/standards?district_id=%d", districtID)), "助浴安全检查次数")
	wantNoBody(t, "the reference standards", anon.Get(t, "/standards?district_id=0"), "助浴安全检查次数")

	r = district.Post(t, "/district/standards/metrics", newMetric)
	wantStatus(t, "POST /district/standards/metrics again", r, http.StatusConflict)
	wantBody(t, "POST /district/standards/metrics again", r, `role="alert"`, "已有相同代码的指标", `value="助浴安全检查次数"`)
	bad := url.Values{"csrf_token": {token}, "category": {""}, "code": {"Bad Code"}, "name_zh": {""}, "name_en": {"x"},
		"direction": {"higher"}, "source": {"evaluator"}, "default_target": {"1"}, "default_weight": {"1"}}
	r = district.Post(t, "/district/standards/metrics", bad)
	wantStatus(t, "POST /district/standards/metrics with no category", r, http.StatusBadRequest)
	wantBody(t, "POST /district/standards/metrics with no category", r, `<a href="#new-category">服务类别</a>`)
	bad.Set("category", "LEGAL_AID")
	r = district.Post(t, "/district/standards/metrics", bad)
	wantStatus(t, "POST /district/standards/metrics with bad fields", r, http.StatusBadRequest)
	wantBody(t, "POST /district/standards/metrics with bad fields", r, `<a href="#new-code">指标代码</a>`, `<a href="#new-name_zh">中文名称</a>`,
		`id="new-code" name="code" value="Bad Code" maxlength="63" aria-describedby="new-code-hint" aria-invalid="true"`)

	r = district.Post(t, "/district/standards/ELDERLY_HOME_CARE/bath_safety_checks/retire", url.Values{"csrf_token": {token}})
	servertest.WantRedirect(t, "POST …/retire", r, "/district/standards?saved=ELDERLY_HOME_CARE#std-ELDERLY_HOME_CARE")
	r = district.Get(t, "/district/standards")
	wantNoBody(t, "the standard after retiring", r, `action="/district/standards/ELDERLY_HOME_CARE/bath_safety_checks"`)
	wantBody(t, "the standard after retiring", r, `<tr class="retired">`, "有效指标权重合计 100")
	wantStatus(t, "POST a retire of an unknown metric", district.Post(t, "/district/standards/ELDERLY_HOME_CARE/no_such_metric/retire",
		url.Values{"csrf_token": {token}}), http.StatusNotFound)

	// The guidance catalog.
	category := unlistedCategories(t, e)[0]
	r = district.Get(t, "/district/guidance")
	wantStatus(t, "GET /district/guidance", r, http.StatusOK)
	wantBody(t, "GET /district/guidance", r, `<option value="`+category+`">`)
	r = district.Post(t, "/district/guidance", url.Values{"csrf_token": {token}, "category_code": {category}, "catalog_code": {"非法 编码"}, "notes": {"备注保留"}})
	wantStatus(t, "POST /district/guidance with a bad code", r, http.StatusBadRequest)
	wantBody(t, "POST /district/guidance with a bad code", r, `<a href="#catalog_code">目录编码</a>`, `value="非法 编码"`, "备注保留",
		`<option value="`+category+`" selected>`)
	listCategory(t, e, district, category, "T-GUIDE.1")
	r = district.Post(t, "/district/guidance", url.Values{"csrf_token": {token}, "category_code": {unlistedCategories(t, e)[0]}, "catalog_code": {"T-GUIDE.1"}})
	wantStatus(t, "POST /district/guidance with a listed code", r, http.StatusConflict)
	wantBody(t, "POST /district/guidance with a listed code", r, `role="alert"`, "目录中已有该类别或该目录编码")
	wantNoBody(t, "GET /district/guidance", district.Get(t, "/district/guidance"), `<option value="`+category+`">`)
}

// The public catalog filters and pages, keeping the filters in every link.
func TestPagesPublicCatalogPaging(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	category := unlistedCategories(t, e)[0]
	officer := servertest.SignIn(t, e, "demo-officer")
	listCategory(t, e, servertest.SignIn(t, e, "demo-district"), category, "T-PAGE.2")
	nanjie := e.Demo(t).CommA
	for i := 1; i <= 23; i++ {
		id := createItem(t, e, officer, itemForm("", fmt.Sprintf("翻页测试事项第%02d号", i), category, nanjie))
		publish(t, officer, id)
	}
	anon := servertest.NewPageClient(e)
	q := url.QueryEscape("翻页测试")
	r := anon.Get(t, "/catalog?q="+q+"&category="+category)
	wantStatus(t, "GET /catalog page 1", r, http.StatusOK)
	wantBody(t, "GET /catalog page 1", r, "共 23 项，当前显示第 1–20 项", "翻页测试事项第23号", `rel="next"`,
		`href="/catalog?category=`+category+`&amp;page=2&amp;q=`+q+`"`, `aria-current="page">1<`)
	wantNoBody(t, "GET /catalog page 1", r, "翻页测试事项第03号", `rel="prev"`)
	r = anon.Get(t, "/catalog?q="+q+"&category="+category+"&page=2")
	wantBody(t, "GET /catalog page 2", r, "共 23 项，当前显示第 21–23 项", "翻页测试事项第01号", `rel="prev"`, `<ol class="results" start="21">`)
	wantNoBody(t, "GET /catalog page 2", r, "翻页测试事项第23号", `rel="next"`)

	feiying := e.Demo(t).SubB
	r = anon.Get(t, fmt.Sprintf("/catalog?q=%s&subdistrict=%d", q, feiying))
	wantBody(t, "GET /catalog in 飞英街道", r, "没有符合条件的转移事项", fmt.Sprintf(`<option value="%d" selected>`, feiying))
	wantNoBody(t, "GET /catalog in 飞英街道", r, "翻页测试事项")
	r = anon.Get(t, "/catalog?q="+q+"&category="+unlistedCategories(t, e)[1])
	wantNoBody(t, "GET /catalog in another category", r, "翻页测试事项")
	// Bad filter values are ignored, not refused.
	r = anon.Get(t, "/catalog?q="+q+"&subdistrict=abc&category=NOPE&page=-3")
	wantStatus(t, "GET /catalog with bad filters", r, http.StatusOK)
	wantBody(t, "GET /catalog with bad filters", r, "共 23 项")
}

var (
	formControl = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	attrID      = regexp.MustCompile(`\bid="([^"]+)"`)
	tableTag    = regexp.MustCompile(`(?s)<table\b.*?</table>`)
	rawKey      = regexp.MustCompile(`[>"](?:nav|catalog|items?|editor|metric|std|dstd|guidance|pager|form|fielderr|conflict|purchase|direction|source|unit|versions?|item_status|version_status|metric_status|newmetric)\.[a-z_.]+[<"]`)
)

// Every input of the catalog pages has a label, every table a caption and
// scoped headers, in both languages.
func TestPagesCatalogMarkup(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	category := unlistedCategories(t, e)[0]
	officer := servertest.SignIn(t, e, "demo-officer")
	district := servertest.SignIn(t, e, "demo-district")
	listCategory(t, e, district, category, "T-MARK.1")
	id := createItem(t, e, officer, itemForm("", "无障碍检查事项", category, e.Demo(t).CommA))
	publish(t, officer, id)
	anon := servertest.NewPageClient(e)
	pages := []struct {
		who  *servertest.PageClient
		path string
	}{
		{anon, "/catalog"}, {anon, fmt.Sprintf("/catalog/items/%d", id)}, {anon, "/standards"},
		{district, "/district/standards"}, {district, "/district/guidance"},
		{officer, "/items"}, {officer, "/items/new"}, {officer, fmt.Sprintf("/items/%d", id)},
		{officer, fmt.Sprintf("/items/%d/edit", id)}, {officer, fmt.Sprintf("/items/%d/versions", id)},
	}
	for _, lang := range []string{"zh-CN", "en"} {
		for _, p := range pages {
			p.who.Cookies["jd_lang"] = lang
			r := p.who.Get(t, p.path)
			what := lang + " GET " + p.path
			wantStatus(t, what, r, http.StatusOK)
			body := string(r.Body)
			wantBody(t, what, r, `<html lang="`+lang+`">`, "<h1>", `<main id="main"`)
			for _, tag := range formControl.FindAllString(body, -1) {
				if strings.Contains(tag, `type="hidden"`) {
					continue
				}
				m := attrID.FindStringSubmatch(tag)
				if m == nil || !strings.Contains(body, `<label for="`+m[1]+`"`) && !strings.Contains(body, `<label class="visually-hidden" for="`+m[1]+`"`) {
					t.Errorf("%s: %s has no label", what, tag)
				}
			}
			for _, table := range tableTag.FindAllString(body, -1) {
				if !strings.Contains(table, "<caption") {
					t.Errorf("%s: a table has no caption: %.200s", what, table)
				}
				if strings.Count(table, "<th ") != strings.Count(table, "<th scope=") {
					t.Errorf("%s: a table has headers without scope: %.200s", what, table)
				}
			}
			if m := rawKey.FindString(body); m != "" {
				t.Errorf("%s shows the raw message key %s", what, m)
			}
		}
	}
}
