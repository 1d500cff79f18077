package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

func TestCatalogPublic(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	officer, officer2, district := f.tokens["demo-officer"], f.tokens["demo-officer2"], f.tokens["demo-district"]
	for _, c := range []string{"ELDERLY_HOME_CARE", "LEGAL_AID"} {
		catEnsureGuidance(t, e, district, f.district, c)
	}
	publish := func(token string, body map[string]any) catalog.View {
		t.Helper()
		e.Clock.Advance(time.Minute) // publication order decides the catalog's order
		return catPublish(t, e, token, catCreate(t, e, token, body).ID)
	}
	bath := catItemBody("蓝鲸公示·银龄助浴关爱行动", "ELDERLY_HOME_CARE", f.commA)
	bath["description"] = "BlueWhale bathing service for elderly residents."
	a := publish(officer, bath)
	legal := catItemBody("蓝鲸公示·社区法律顾问", "LEGAL_AID")
	legal["target_population"] = "蓝鲸居民与小微企业"
	b := publish(officer, legal)
	feiying := catItemBody("飞英街道居家养老服务", "ELDERLY_HOME_CARE", f.commB)
	feiying["description"] = "蓝鲸公示：飞英街道的上门服务。"
	c := publish(officer2, feiying)
	meals := publish(officer, catItemBody("蓝鲸公示·老年助餐服务", "ELDERLY_HOME_CARE"))
	// A later draft of a published item, and an item never published.
	servertest.Call(t, e, "PATCH", catItemPath(meals.ID, ""), officer,
		map[string]any{"title": "白鹭草稿·老年助餐服务", "description": "白鹭草稿内容"}, http.StatusOK, nil)
	draft := catCreate(t, e, officer, catItemBody("蓝鲸公示·未发布的草稿", "ELDERLY_HOME_CARE"))

	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name  string
		query url.Values
		want  []int64
		total int64
	}{
		{"Chinese substring of titles and a description", q("q", "蓝鲸公示"), []int64{meals.ID, c.ID, b.ID, a.ID}, 4},
		{"Chinese substring of one title", q("q", "银龄助浴关爱"), []int64{a.ID}, 1},
		{"substring of the target population", q("q", "蓝鲸居民"), []int64{b.ID}, 1},
		{"case-insensitive", q("q", "bluewhale"), []int64{a.ID}, 1},
		{"a draft's newer content", q("q", "白鹭"), []int64{}, 0},
		{"an unpublished item", q("q", "未发布的草稿"), []int64{}, 0},
		{"LIKE wildcards are literal", q("q", "蓝鲸公示%"), []int64{}, 0},
		{"underscore is literal", q("q", "蓝鲸公示_"), []int64{}, 0},
		{"subdistrict A", q("q", "蓝鲸公示", "subdistrict_id", fmt.Sprint(f.subA)), []int64{meals.ID, b.ID, a.ID}, 3},
		{"subdistrict B", q("q", "蓝鲸公示", "subdistrict_id", fmt.Sprint(f.subB)), []int64{c.ID}, 1},
		{"district", q("q", "蓝鲸公示", "district_id", fmt.Sprint(f.district)), []int64{meals.ID, c.ID, b.ID, a.ID}, 4},
		{"unknown district", q("q", "蓝鲸公示", "district_id", "999999"), []int64{}, 0},
		{"category", q("q", "蓝鲸公示", "category", "LEGAL_AID"), []int64{b.ID}, 1},
		{"category and subdistrict", q("q", "蓝鲸公示", "category", "ELDERLY_HOME_CARE", "subdistrict_id", fmt.Sprint(f.subA)),
			[]int64{meals.ID, a.ID}, 2},
		{"first page", q("q", "蓝鲸公示", "per_page", "3"), []int64{meals.ID, c.ID, b.ID}, 4},
		{"second page", q("q", "蓝鲸公示", "per_page", "3", "page", "2"), []int64{a.ID}, 4},
		{"past the last page", q("q", "蓝鲸公示", "per_page", "3", "page", "3"), []int64{}, 4},
	}
	for _, tt := range tests {
		for _, who := range []string{"anonymous", "demo-resident", "demo-officer2"} {
			page := catSearch(t, e, f.tokens[who], tt.query)
			if diff := cmp.Diff(tt.want, catIDs(page.Items)); diff != "" || page.Total != tt.total {
				t.Errorf("%s: GET /api/v1/public/transfer-items?%s as %s: total %d, want %d; ids (-want +got):\n%s",
					tt.name, tt.query.Encode(), who, page.Total, tt.total, diff)
			}
		}
	}
	page := catSearch(t, e, "", q("q", "蓝鲸公示"))
	if page.Page != 1 || page.PerPage != 20 {
		t.Errorf("default pagination = page %d per_page %d, want 1 and 20", page.Page, page.PerPage)
	}
	for _, v := range page.Items {
		if v.Status != "published" || v.VersionStatus != "published" || v.PublishedAt == nil {
			t.Errorf("public item %d is %s/%s, want published", v.ID, v.Status, v.VersionStatus)
		}
		if v.ID == meals.ID && (v.Version != 1 || v.Title != meals.Title) {
			t.Errorf("public item %d = version %d %q, want the published version 1 %q", v.ID, v.Version, v.Title, meals.Title)
		}
	}
	if page = catSearch(t, e, "", q("q", "蓝鲸公示", "per_page", "2", "page", "2")); page.Page != 2 || page.PerPage != 2 {
		t.Errorf("pagination echoed = page %d per_page %d, want 2 and 2", page.Page, page.PerPage)
	}
	if got := catGet(t, e, "", fmt.Sprintf("/api/v1/public/transfer-items/%d", meals.ID)); got.Version != 1 || got.Title != meals.Title {
		t.Errorf("public item %d = version %d %q, want version 1 %q", meals.ID, got.Version, got.Title, meals.Title)
	}
	if got := catGet(t, e, "", fmt.Sprintf("/api/v1/public/transfer-items/%d", a.ID)); !cmp.Equal(got, a) {
		t.Errorf("public item %d differs from its published version (-published +public):\n%s", a.ID, cmp.Diff(a, got))
	}
	for _, path := range []string{fmt.Sprintf("/api/v1/public/transfer-items/%d", draft.ID), "/api/v1/public/transfer-items/999999",
		"/api/v1/public/transfer-items/abc"} {
		e.Refused(t, servertest.Request{Method: "GET", Path: path, Token: "", Body: nil}, http.StatusNotFound, "not_found")
	}

	// Once the draft is published, its content is public and the old one gone.
	publishedMeals := catPublish(t, e, officer, meals.ID)
	if page = catSearch(t, e, "", q("q", "白鹭")); !slices.Equal(catIDs(page.Items), []int64{meals.ID}) || page.Items[0].Version != 2 {
		t.Errorf("after publishing version 2, q=白鹭 = %+v, want item %d at version 2", page.Items, meals.ID)
	}
	if page = catSearch(t, e, "", q("q", "蓝鲸公示·老年助餐")); page.Total != 0 {
		t.Errorf("after publishing version 2, the superseded title is still found: %+v", page.Items)
	}
	if diff := cmp.Diff(publishedMeals, catGet(t, e, "", fmt.Sprintf("/api/v1/public/transfer-items/%d", meals.ID))); diff != "" {
		t.Errorf("public item after publishing version 2 (-published +public):\n%s", diff)
	}

	// A bad token is refused even on the public routes.
	for _, path := range []string{"/api/v1/public/transfer-items", fmt.Sprintf("/api/v1/public/transfer-items/%d", a.ID),
		"/api/v1/standards", "/api/v1/standards/ELDERLY_HOME_CARE", fmt.Sprintf("/api/v1/districts/%d/guidance-catalog", f.district)} {
		e.Refused(t, servertest.Request{Method: "GET", Path: path, Token: "not-a-token", Body: nil}, http.StatusUnauthorized, "auth.invalid_token")
	}
}

func TestCatalogBadQuery(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	officer := f.tokens["demo-officer"]
	item := catCreate(t, e, officer, catItemBody("蓝鲸查询·参数测试", "ELDERLY_HOME_CARE"))
	tests := []struct {
		path   string
		fields []string
	}{
		{"/api/v1/public/transfer-items?page=0", []string{"page"}},
		{"/api/v1/public/transfer-items?page=abc", []string{"page"}},
		{"/api/v1/public/transfer-items?page=100001", []string{"page"}},
		{"/api/v1/public/transfer-items?per_page=0", []string{"per_page"}},
		{"/api/v1/public/transfer-items?per_page=101", []string{"per_page"}},
		{"/api/v1/public/transfer-items?per_page=1.5", []string{"per_page"}},
		{"/api/v1/public/transfer-items?district_id=-3", []string{"district_id"}},
		{"/api/v1/public/transfer-items?subdistrict_id=x", []string{"subdistrict_id"}},
		{"/api/v1/public/transfer-items?q=" + url.QueryEscape(strings.Repeat("鲸", 67)), []string{"q"}},
		{"/api/v1/public/transfer-items?page=0&per_page=500&district_id=x", []string{"district_id", "page", "per_page"}},
		{"/api/v1/standards?district_id=abc", []string{"district_id"}},
		{"/api/v1/standards/ELDERLY_HOME_CARE?district_id=0", []string{"district_id"}},
		{catItemPath(item.ID, "?version=0"), []string{"version"}},
		{catItemPath(item.ID, "?version=two"), []string{"version"}},
	}
	for _, tt := range tests {
		e.Refused(t, servertest.Request{Method: "GET", Path: tt.path, Token: officer, Body: nil}, http.StatusBadRequest, "validation", tt.fields...)
	}
	// The limits themselves are accepted.
	for _, path := range []string{"/api/v1/public/transfer-items?page=100000&per_page=100",
		"/api/v1/public/transfer-items?q=" + url.QueryEscape(strings.Repeat("鲸", 66))} {
		servertest.Call(t, e, "GET", path, "", nil, http.StatusOK, nil)
	}
}

// catStandardMetric returns the metric code of standard as token sees it with query.
func catStandardMetric(t testing.TB, e *servertest.Env, token, code, query, metric string) (catalog.MetricTemplate, int) {
	t.Helper()
	var st catalog.Standard
	servertest.Call(t, e, "GET", "/api/v1/standards/"+code+query, token, nil, http.StatusOK, &st)
	for _, m := range st.Metrics {
		if m.Code == metric {
			return m, len(st.Metrics)
		}
	}
	t.Fatalf("standard %s%s has no metric %s: %+v", code, query, metric, st.Metrics)
	return catalog.MetricTemplate{}, 0
}

func TestCatalogStandards(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	district, officer := f.tokens["demo-district"], f.tokens["demo-officer"]

	var list struct {
		Items []catalog.Standard `json:"items"`
	}
	servertest.Call(t, e, "GET", "/api/v1/standards", "", nil, http.StatusOK, &list)
	wantCodes := []string{"ELDERLY_HOME_CARE", "ELDERLY_DAY_CARE", "ELDERLY_APARTMENT", "DISABILITY_SUPPORT", "SOCIAL_ASSISTANCE",
		"CHARITY_SUPERMARKET", "VOLUNTEER_SERVICE", "YOUTH_GUIDANCE", "LEGAL_AID", "CIVIL_MEDIATION", "EMPLOYMENT_SERVICE",
		"COMMUNITY_EDUCATION", "CULTURE_SPORTS", "COMMUNITY_HEALTH", "SOCIAL_WORK_STATION", "SERVICE_HOTLINE"}
	var codes []string
	for _, s := range list.Items {
		codes = append(codes, s.Code)
		weights := 0
		for _, m := range s.Metrics {
			weights += m.DefaultWeight
			if m.DistrictID != nil || m.Status != "active" {
				t.Errorf("shipped standard %s metric %s: district_id %v status %s, want null and active", s.Code, m.Code, m.DistrictID, m.Status)
			}
		}
		if len(s.Metrics) == 0 || weights != 100 || s.NameZh == "" || s.NameEn == "" {
			t.Errorf("standard %s (%s, %s) has %d metrics weighing %d, want names and metrics weighing 100", s.Code, s.NameZh, s.NameEn, len(s.Metrics), weights)
		}
	}
	if diff := cmp.Diff(wantCodes, codes); diff != "" {
		t.Errorf("GET /api/v1/standards codes (-want +got):\n%s", diff)
	}

	var home catalog.Standard
	servertest.Call(t, e, "GET", "/api/v1/standards/ELDERLY_HOME_CARE", "", nil, http.StatusOK, &home)
	type metric struct {
		Code   string
		Target float64
		Weight int
	}
	var got []metric
	for _, m := range home.Metrics {
		got = append(got, metric{m.Code, m.DefaultTarget, m.DefaultWeight})
	}
	want := []metric{{"service_visits", 1200, 30}, {"elderly_coverage", 90, 20}, {"resident_satisfaction", 85, 20},
		{"response_time", 24, 20}, {"complaints_upheld", 2, 10}}
	if diff := cmp.Diff(want, got); diff != "" || home.NameZh != "居家养老服务" {
		t.Errorf("GET /api/v1/standards/ELDERLY_HOME_CARE = %s, metrics (-want +got):\n%s", home.NameZh, diff)
	}
	for _, code := range []string{"NO_SUCH_STANDARD", "elderly_home_care"} {
		e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/standards/" + code, Token: "", Body: nil}, http.StatusNotFound, "not_found")
	}

	// 吴兴区 adjusts a shipped metric: its own copy, nobody else's.
	o := newCatOther(t, f)
	wuxing, nanxun := fmt.Sprintf("?district_id=%d", f.district), fmt.Sprintf("?district_id=%d", o.district)
	templatesBefore := servertest.Count(t, e, "metric_templates")
	var adjusted catalog.MetricTemplate
	servertest.Call(t, e, "PATCH", "/api/v1/standards/ELDERLY_HOME_CARE/metrics/service_visits", district,
		map[string]any{"default_target": 1500}, http.StatusOK, &adjusted)
	if adjusted.DistrictID == nil || *adjusted.DistrictID != f.district || adjusted.DefaultTarget != 1500 || adjusted.DefaultWeight != 30 ||
		adjusted.NameZh != "上门服务人次" {
		t.Errorf("adjusted metric = %+v, want 吴兴区's copy with target 1500 and the rest shipped", adjusted)
	}
	servertest.Call(t, e, "PATCH", "/api/v1/standards/ELDERLY_HOME_CARE/metrics/service_visits", district,
		map[string]any{"default_target": 1600}, http.StatusOK, &adjusted)
	if n := servertest.Count(t, e, "metric_templates"); n != templatesBefore+1 || adjusted.DefaultTarget != 1600 {
		t.Errorf("two adjustments: metric_templates %d → %d, target %v; want one district copy with target 1600", templatesBefore, n, adjusted.DefaultTarget)
	}
	views := []struct {
		who, token, query string
		want              float64
	}{
		{"anonymous for 吴兴区", "", wuxing, 1600},
		{"demo-officer (own district)", officer, "", 1600},
		{"demo-district (own district)", district, "", 1600},
		{"anonymous (shipped)", "", "", 1200},
		{"anonymous for 南浔区", "", nanxun, 1200},
		{"南浔区's officer", o.officer, "", 1200},
		{"demo-district asking for 南浔区", district, nanxun, 1200},
	}
	for _, v := range views {
		m, n := catStandardMetric(t, e, v.token, "ELDERLY_HOME_CARE", v.query, "service_visits")
		if m.DefaultTarget != v.want || n != 5 {
			t.Errorf("service_visits as %s: target %v of %d metrics, want %v of 5", v.who, m.DefaultTarget, n, v.want)
		}
	}
	var shipped float64
	if err := e.DB.Table("metric_templates").Select("default_target").
		Where("category_code = 'ELDERLY_HOME_CARE' AND code = 'service_visits' AND district_id IS NULL").Take(&shipped).Error; err != nil || shipped != 1200 {
		t.Errorf("shipped service_visits target = %v (%v), want 1200 untouched", shipped, err)
	}
	for _, list := range []string{"", wuxing} {
		var all struct {
			Items []catalog.Standard `json:"items"`
		}
		servertest.Call(t, e, "GET", "/api/v1/standards"+list, "", nil, http.StatusOK, &all)
		want := 1200.0
		if list != "" {
			want = 1600
		}
		if m := all.Items[0].Metrics[0]; all.Items[0].Code != "ELDERLY_HOME_CARE" || m.Code != "service_visits" || m.DefaultTarget != want {
			t.Errorf("GET /api/v1/standards%s: first metric %s %s target %v, want ELDERLY_HOME_CARE service_visits %v", list, all.Items[0].Code, m.Code, m.DefaultTarget, want)
		}
	}

	// A district's own metric, then a retired one, shape the items created after.
	catEnsureGuidance(t, e, district, f.district, "ELDERLY_HOME_CARE")
	before := catCreate(t, e, officer, catItemBody("蓝鲸标准·调整前的事项", "ELDERLY_HOME_CARE"))
	var added catalog.MetricTemplate
	servertest.Call(t, e, "POST", "/api/v1/standards/ELDERLY_HOME_CARE/metrics", district, map[string]any{
		"code": "home_safety_checks", "name_zh": "居家安全检查次数", "name_en": "Home safety checks", "unit": "次",
		"direction": "higher", "source": "service_records", "default_target": 300, "default_weight": 10}, http.StatusCreated, &added)
	if added.DistrictID == nil || *added.DistrictID != f.district || added.Status != "active" || added.DefaultTarget != 300 {
		t.Errorf("added metric = %+v, want 吴兴区's, active, target 300", added)
	}
	if _, n := catStandardMetric(t, e, "", "ELDERLY_HOME_CARE", wuxing, "home_safety_checks"); n != 6 {
		t.Errorf("吴兴区's ELDERLY_HOME_CARE has %d metrics, want 6", n)
	}
	var shippedHome catalog.Standard
	servertest.Call(t, e, "GET", "/api/v1/standards/ELDERLY_HOME_CARE"+nanxun, "", nil, http.StatusOK, &shippedHome)
	if len(shippedHome.Metrics) != 5 {
		t.Errorf("南浔区's ELDERLY_HOME_CARE has %d metrics, want the shipped 5", len(shippedHome.Metrics))
	}
	for _, code := range []string{"home_safety_checks", "response_time"} {
		body := map[string]any{"code": code, "name_zh": "重复", "name_en": "Duplicate", "direction": "lower", "source": "evaluator", "default_weight": 5}
		e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/standards/ELDERLY_HOME_CARE/metrics", Token: district, Body: body}, http.StatusConflict, "metric.exists")
	}
	var retired catalog.MetricTemplate
	servertest.Call(t, e, "POST", "/api/v1/standards/ELDERLY_HOME_CARE/metrics/complaints_upheld/retire", district, nil, http.StatusOK, &retired)
	if retired.Status != "retired" || retired.DistrictID == nil || *retired.DistrictID != f.district {
		t.Errorf("retired metric = %+v, want 吴兴区's copy, retired", retired)
	}
	if m, _ := catStandardMetric(t, e, "", "ELDERLY_HOME_CARE", "", "complaints_upheld"); m.Status != "active" {
		t.Errorf("the shipped complaints_upheld is %s after 吴兴区 retired its own, want active", m.Status)
	}
	after := catCreate(t, e, officer, catItemBody("蓝鲸标准·调整后的事项", "ELDERLY_HOME_CARE"))
	targets := func(v catalog.View) map[string]float64 {
		out := map[string]float64{}
		for _, m := range v.Metrics {
			out[m.Code] = m.Target
		}
		return out
	}
	wantAfter := map[string]float64{"service_visits": 1600, "elderly_coverage": 90, "resident_satisfaction": 85, "response_time": 24, "home_safety_checks": 300}
	if diff := cmp.Diff(wantAfter, targets(after)); diff != "" {
		t.Errorf("metrics of an item created after the changes (-want +got):\n%s", diff)
	}
	wantBefore := map[string]float64{"service_visits": 1600, "elderly_coverage": 90, "resident_satisfaction": 85, "response_time": 24, "complaints_upheld": 2}
	if diff := cmp.Diff(wantBefore, targets(catGet(t, e, officer, catItemPath(before.ID, "")))); diff != "" {
		t.Errorf("metrics of an item created before the metric was added and retired (-want +got):\n%s", diff)
	}
	nx := catCreate(t, e, o.officer, catItemBody("蓝鲸标准·南浔事项", "ELDERLY_HOME_CARE", o.comm))
	if diff := cmp.Diff(map[string]float64{"service_visits": 1200, "elderly_coverage": 90, "resident_satisfaction": 85, "response_time": 24,
		"complaints_upheld": 2}, targets(nx)); diff != "" {
		t.Errorf("metrics of 南浔区's item, want the shipped standard (-want +got):\n%s", diff)
	}
	e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/transfer-items", Token: officer, Body: func() map[string]any {
		b := catItemBody("蓝鲸标准·退役指标", "ELDERLY_HOME_CARE")
		b["metrics"] = []map[string]any{{"code": "complaints_upheld"}}
		return b
	}()}, http.StatusBadRequest, "validation", "metrics")

	// Unknown standards and metrics.
	metricBody := map[string]any{"code": "new_metric", "name_zh": "新指标", "name_en": "New metric", "direction": "higher",
		"source": "evaluator", "default_weight": 5}
	e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/standards/NO_SUCH_STANDARD/metrics", Token: district, Body: metricBody}, http.StatusNotFound, "not_found")
	e.Refused(t, servertest.Request{Method: "PATCH", Path: "/api/v1/standards/ELDERLY_HOME_CARE/metrics/no_such_metric", Token: district, Body: map[string]any{"default_target": 1}}, http.StatusNotFound, "not_found")
	e.Refused(t, servertest.Request{Method: "PATCH", Path: "/api/v1/standards/NO_SUCH_STANDARD/metrics/service_visits", Token: district, Body: map[string]any{"default_target": 1}}, http.StatusNotFound, "not_found")
	e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/standards/ELDERLY_HOME_CARE/metrics/no_such_metric/retire", Token: district, Body: nil}, http.StatusNotFound, "not_found")
	// Another district's own metric is not 吴兴区's to change.
	servertest.Call(t, e, "POST", "/api/v1/standards/ELDERLY_HOME_CARE/metrics", o.admin, metricBody, http.StatusCreated, nil)
	e.Refused(t, servertest.Request{Method: "PATCH", Path: "/api/v1/standards/ELDERLY_HOME_CARE/metrics/new_metric", Token: district, Body: map[string]any{"default_target": 1}}, http.StatusNotFound, "not_found")
}

func TestCatalogInputRefused(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	officer, district := f.tokens["demo-officer"], f.tokens["demo-district"]
	catEnsureGuidance(t, e, district, f.district, "ELDERLY_HOME_CARE")
	published := catCreate(t, e, officer, catItemBody("蓝鲸输入·已发布事项", "ELDERLY_HOME_CARE", f.commA))
	catPublish(t, e, officer, published.ID)
	draft := catCreate(t, e, officer, catItemBody("蓝鲸输入·草稿事项", "ELDERLY_HOME_CARE", f.commA))

	with := func(change map[string]any) map[string]any {
		b := catItemBody("蓝鲸输入·新事项", "ELDERLY_HOME_CARE", f.commA)
		for k, v := range change {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	guidancePath := fmt.Sprintf("/api/v1/districts/%d/guidance-catalog", f.district)
	huge := with(map[string]any{"description": strings.Repeat("长", e.Cfg.HTTP.JSONBodyLimit/3+1)})
	tests := []struct {
		name, method, path string
		token              string
		body               any
		header             map[string]string
		want               int
		code               string
		fields             []string
		tables             []string
	}{
		{name: "unknown field", method: "POST", path: "/api/v1/transfer-items", token: officer,
			body: with(map[string]any{"colour": "red"}), want: 400, code: "validation", fields: []string{"colour"}},
		{name: "metric of no standard", method: "POST", path: "/api/v1/transfer-items", token: officer,
			body: with(map[string]any{"metrics": []map[string]any{{"code": "service_visits"}, {"code": "no_such_metric"}}}),
			want: 400, code: "validation", fields: []string{"metrics"}},
		{name: "metric of another standard", method: "POST", path: "/api/v1/transfer-items", token: officer,
			body: with(map[string]any{"metrics": []map[string]any{{"code": "meal_services"}}}), want: 400, code: "validation", fields: []string{"metrics"}},
		{name: "metric twice", method: "POST", path: "/api/v1/transfer-items", token: officer,
			body: with(map[string]any{"metrics": []map[string]any{{"code": "service_visits"}, {"code": "service_visits"}}}),
			want: 400, code: "validation", fields: []string{"metrics"}},
		{name: "no metric", method: "POST", path: "/api/v1/transfer-items", token: officer,
			body: with(map[string]any{"metrics": []map[string]any{}}), want: 400, code: "validation", fields: []string{"metrics"}},
		{name: "metric weight 0 and negative target", method: "POST", path: "/api/v1/transfer-items", token: officer,
			body: with(map[string]any{"metrics": []map[string]any{{"code": "service_visits", "weight": 0, "target": -1}}}),
			want: 400, code: "validation", fields: []string{"metrics"}},
		{name: "community of another subdistrict", method: "POST", path: "/api/v1/transfer-items", token: officer,
			body: with(map[string]any{"community_ids": []int64{f.commA, f.commB}}), want: 400, code: "validation", fields: []string{"community_ids"}},
		{name: "unknown community", method: "POST", path: "/api/v1/transfer-items", token: officer,
			body: with(map[string]any{"community_ids": []int64{999999}}), want: 400, code: "validation", fields: []string{"community_ids"}},
		{name: "unknown category", method: "POST", path: "/api/v1/transfer-items", token: officer,
			body: with(map[string]any{"category_code": "NO_SUCH"}), want: 400, code: "validation", fields: []string{"category_code"}},
		{name: "required fields missing", method: "POST", path: "/api/v1/transfer-items", token: officer,
			body: map[string]any{}, want: 400, code: "validation",
			fields: []string{"annual_quantity", "category_code", "purchase_method", "title", "unit_price_fen"}},
		{name: "several bad values", method: "POST", path: "/api/v1/transfer-items", token: officer,
			body: with(map[string]any{"title": "  ", "purchase_method": "auction", "min_grade": 6, "unit_price_fen": -1,
				"annual_quantity": -5, "min_social_workers": -1}),
			want: 400, code: "validation",
			fields: []string{"annual_quantity", "min_grade", "min_social_workers", "purchase_method", "title", "unit_price_fen"}},
		{name: "number for title", method: "POST", path: "/api/v1/transfer-items", token: officer,
			body: with(map[string]any{"title": 12}), want: 400, code: "validation", fields: []string{"title"}},
		{name: "fraction of a fen", method: "POST", path: "/api/v1/transfer-items", token: officer,
			body: with(map[string]any{"unit_price_fen": 12.5}), want: 400, code: "validation", fields: []string{"unit_price_fen"}},
		{name: "text/plain", method: "POST", path: "/api/v1/transfer-items", token: officer, body: with(nil),
			header: map[string]string{"Content-Type": "text/plain"}, want: 415, code: "unsupported_media_type"},
		{name: "larger than the JSON body limit", method: "POST", path: "/api/v1/transfer-items", token: officer, body: huge,
			want: 413, code: "body_too_large"},
		{name: "malformed JSON", method: "POST", path: "/api/v1/transfer-items", token: officer, body: `{"title":`,
			want: 400, code: "malformed_json"},
		{name: "PATCH published: community of another subdistrict", method: "PATCH", path: catItemPath(published.ID, ""), token: officer,
			body: map[string]any{"title": "不会成为第二版", "community_ids": []int64{f.commB}}, want: 400, code: "validation",
			fields: []string{"community_ids"}},
		{name: "PATCH published: unknown field", method: "PATCH", path: catItemPath(published.ID, ""), token: officer,
			body: map[string]any{"title": "不会成为第二版", "status": "draft"}, want: 400, code: "validation", fields: []string{"status"}},
		{name: "PATCH draft: unknown metric", method: "PATCH", path: catItemPath(draft.ID, ""), token: officer,
			body: map[string]any{"metrics": []map[string]any{{"code": "no_such_metric"}}}, want: 400, code: "validation", fields: []string{"metrics"}},
		{name: "PATCH draft: category to another standard with the old metrics", method: "PATCH", path: catItemPath(draft.ID, ""), token: officer,
			body: map[string]any{"category_code": "LEGAL_AID", "metrics": []map[string]any{{"code": "service_visits"}}}, want: 400,
			code: "validation", fields: []string{"metrics"}},
		{name: "PATCH draft: empty title", method: "PATCH", path: catItemPath(draft.ID, ""), token: officer,
			body: map[string]any{"title": ""}, want: 400, code: "validation", fields: []string{"title"}},
		{name: "guidance: unknown category", method: "POST", path: guidancePath, token: district,
			body: map[string]any{"category_code": "NO_SUCH", "catalog_code": "IN-01"}, want: 400, code: "validation",
			fields: []string{"category_code"}, tables: []string{"guidance_entries"}},
		{name: "guidance: bad catalog code", method: "POST", path: guidancePath, token: district,
			body: map[string]any{"category_code": "LEGAL_AID", "catalog_code": "第1条"}, want: 400, code: "validation",
			fields: []string{"catalog_code"}, tables: []string{"guidance_entries"}},
		{name: "guidance: unknown field", method: "POST", path: guidancePath, token: district,
			body: map[string]any{"category_code": "LEGAL_AID", "catalog_code": "IN-01", "year": 2026}, want: 400, code: "validation",
			fields: []string{"year"}, tables: []string{"guidance_entries"}},
		{name: "guidance: category listed already", method: "POST", path: guidancePath, token: district,
			body: map[string]any{"category_code": "ELDERLY_HOME_CARE", "catalog_code": "IN-02"}, want: 409, code: "guidance.exists",
			tables: []string{"guidance_entries"}},
		{name: "metric: bad values", method: "POST", path: "/api/v1/standards/ELDERLY_HOME_CARE/metrics", token: district,
			body: map[string]any{"code": "Bad Code", "name_zh": "", "name_en": "x", "direction": "up", "source": "guess",
				"default_target": -1, "default_weight": 101},
			want: 400, code: "validation", fields: []string{"code", "default_target", "default_weight", "direction", "name_zh", "source"},
			tables: []string{"metric_templates"}},
		{name: "metric: unknown field", method: "POST", path: "/api/v1/standards/ELDERLY_HOME_CARE/metrics", token: district,
			body: map[string]any{"code": "new_metric", "name_zh": "新", "name_en": "New", "direction": "higher", "source": "evaluator",
				"default_weight": 5, "category": "LEGAL_AID"}, want: 400, code: "validation", fields: []string{"category"},
			tables: []string{"metric_templates"}},
		{name: "metric PATCH: code", method: "PATCH", path: "/api/v1/standards/ELDERLY_HOME_CARE/metrics/service_visits", token: district,
			body: map[string]any{"code": "visits"}, want: 400, code: "validation", fields: []string{"code"}, tables: []string{"metric_templates"}},
		{name: "metric PATCH: weight 0", method: "PATCH", path: "/api/v1/standards/ELDERLY_HOME_CARE/metrics/service_visits", token: district,
			body: map[string]any{"default_weight": 0}, want: 400, code: "validation", fields: []string{"default_weight"},
			tables: []string{"metric_templates"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tables := tt.tables
			if tables == nil {
				tables = catItemTables
			}
			if tt.header == nil {
				e.Refused(t, servertest.Request{Method: tt.method, Path: tt.path, Token: tt.token, Body: tt.body}, tt.want, tt.code, tt.fields...)
				return
			}
			before := inCounts(t, e, append(tables, "audit_entries")...)
			r := e.Do(t, servertest.Request{Method: tt.method, Path: tt.path, Token: tt.token, Body: tt.body, Header: tt.header})
			if p := r.Problem(t); r.Status != tt.want || p.Code != tt.code {
				t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, r.Status, r.Body, tt.want, tt.code)
			}
			if diff := cmp.Diff(before, inCounts(t, e, append(tables, "audit_entries")...)); diff != "" {
				t.Errorf("refused request changed row counts (-before +after):\n%s", diff)
			}
		})
	}

	// The refused PATCHes left both items as they were.
	if vs := catVersions(t, e, officer, published.ID); len(vs) != 1 || vs[0].VersionStatus != "published" {
		t.Errorf("published item after refused edits has versions %+v, want only version 1, published", vs)
	}
	if got := catGet(t, e, officer, catItemPath(draft.ID, "")); !cmp.Equal(got, draft) {
		t.Errorf("draft after refused edits (-before +after):\n%s", cmp.Diff(draft, got))
	}
	// The same body with a valid change is accepted, so each refusal was for its reason.
	before := inCounts(t, e, "transfer_items", "audit_entries")
	catCreate(t, e, officer, with(nil))
	if after := inCounts(t, e, "transfer_items", "audit_entries"); after["transfer_items"] != before["transfer_items"]+1 ||
		after["audit_entries"] != before["audit_entries"]+1 {
		t.Errorf("valid create: counts %v → %v, want one more item and one more audit entry", before, after)
	}
}
