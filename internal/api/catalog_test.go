package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// catItemBody is a complete, valid transfer item of category serving communities.
func catItemBody(title, category string, communities ...int64) map[string]any {
	if communities == nil {
		communities = []int64{}
	}
	return map[string]any{
		"title":              title,
		"description":        "为辖区内高龄、失能老人提供上门助餐、助洁服务。",
		"category_code":      category,
		"legal_basis":        "《湖州市吴兴区政府购买服务管理办法》",
		"target_population":  "辖区内80周岁以上老人",
		"community_ids":      communities,
		"annual_quantity":    1200,
		"quantity_unit":      "人次",
		"unit_price_fen":     8000,
		"purchase_method":    "open_tender",
		"min_grade":          3,
		"min_social_workers": 2,
	}
}

// catItemTables are the tables a transfer item writes.
var catItemTables = []string{"transfer_items", "transfer_item_versions", "transfer_item_communities", "transfer_item_metrics"}

func catCreate(t testing.TB, e *servertest.Env, token string, body map[string]any) catalog.View {
	t.Helper()
	var v catalog.View
	servertest.Call(t, e, "POST", "/api/v1/transfer-items", token, body, http.StatusCreated, &v)
	return v
}

func catItemPath(id int64, suffix string) string {
	return fmt.Sprintf("/api/v1/transfer-items/%d%s", id, suffix)
}

func catPublish(t testing.TB, e *servertest.Env, token string, id int64) catalog.View {
	t.Helper()
	var v catalog.View
	servertest.Call(t, e, "POST", catItemPath(id, "/publish"), token, nil, http.StatusOK, &v)
	return v
}

func catGet(t testing.TB, e *servertest.Env, token string, path string) catalog.View {
	t.Helper()
	var v catalog.View
	servertest.Call(t, e, "GET", path, token, nil, http.StatusOK, &v)
	return v
}

func catVersions(t testing.TB, e *servertest.Env, token string, id int64) []catalog.View {
	t.Helper()
	var list struct {
		Items []catalog.View `json:"items"`
	}
	servertest.Call(t, e, "GET", catItemPath(id, "/versions"), token, nil, http.StatusOK, &list)
	return list.Items
}

// catListIDs returns the ids GET /api/v1/transfer-items answers token with.
func catListIDs(t testing.TB, e *servertest.Env, token string) []int64 {
	t.Helper()
	var list struct {
		Items []catalog.View `json:"items"`
	}
	servertest.Call(t, e, "GET", "/api/v1/transfer-items", token, nil, http.StatusOK, &list)
	ids := []int64{}
	for _, v := range list.Items {
		ids = append(ids, v.ID)
	}
	return ids
}

// catGuidance returns a district's guidance catalog as the public sees it.
func catGuidance(t testing.TB, e *servertest.Env, district int64) []catalog.GuidanceEntry {
	t.Helper()
	var list struct {
		Items []catalog.GuidanceEntry `json:"items"`
	}
	servertest.Call(t, e, "GET", fmt.Sprintf("/api/v1/districts/%d/guidance-catalog", district), "", nil, http.StatusOK, &list)
	return list.Items
}

func catListed(entries []catalog.GuidanceEntry, category string) bool {
	return slices.ContainsFunc(entries, func(g catalog.GuidanceEntry) bool { return g.CategoryCode == category })
}

// catEnsureGuidance adds category to the district's guidance catalog as the
// district admin of token, unless the catalog (seeded, say) lists it already.
func catEnsureGuidance(t testing.TB, e *servertest.Env, token string, district int64, category string) {
	t.Helper()
	if catListed(catGuidance(t, e, district), category) {
		return
	}
	servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/districts/%d/guidance-catalog", district), token,
		map[string]any{"category_code": category, "catalog_code": "X-" + strings.ReplaceAll(category, "_", "-")}, http.StatusCreated, nil)
}

// catFreeCategory returns a service category the district's guidance catalog
// does not list yet.
func catFreeCategory(t testing.TB, e *servertest.Env, district int64) string {
	t.Helper()
	var list struct {
		Items []catalog.Standard `json:"items"`
	}
	servertest.Call(t, e, "GET", "/api/v1/standards", "", nil, http.StatusOK, &list)
	listed := catGuidance(t, e, district)
	for _, s := range list.Items {
		if !catListed(listed, s.Code) {
			return s.Code
		}
	}
	t.Fatalf("district %d lists every category in its guidance catalog", district)
	return ""
}

func catMetricCodes(ms []catalog.ItemMetric) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Code)
	}
	return out
}

func catIDs(vs []catalog.View) []int64 {
	out := []int64{}
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

// catOther is 南浔区, created by demo-admin, with one subdistrict, one
// community, a procurement officer and a district admin.
type catOther struct {
	district, sub, comm int64
	officer, admin      string // access tokens
}

func newCatOther(t testing.TB, f *azFixture) catOther {
	t.Helper()
	e, admin := f.e, f.tokens["demo-admin"]
	create := func(path string, body map[string]any) int64 {
		t.Helper()
		var out struct {
			ID int64 `json:"id"`
		}
		servertest.Call(t, e, "POST", path, admin, body, http.StatusCreated, &out)
		return out.ID
	}
	var o catOther
	o.district = create("/api/v1/districts", map[string]any{"code": "330503", "name_zh": "南浔区", "name_en": "Nanxun District"})
	o.sub = create("/api/v1/subdistricts", map[string]any{"district_id": o.district, "code": "330503001", "name_zh": "南浔镇"})
	o.comm = create("/api/v1/communities", map[string]any{"subdistrict_id": o.sub, "code": "330503001001", "name_zh": "南浔社区", "households": 800})
	const password = "nanxun password for tests"
	create("/api/v1/users", map[string]any{"username": "nx-officer", "password": password, "role": "procurement_officer", "subdistrict_id": o.sub})
	create("/api/v1/users", map[string]any{"username": "nx-district", "password": password, "role": "district_admin", "district_id": o.district})
	login := func(username string) string {
		t.Helper()
		var tk struct {
			AccessToken string `json:"access_token"`
		}
		servertest.Call(t, e, "POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": password}, http.StatusOK, &tk)
		return tk.AccessToken
	}
	o.officer, o.admin = login("nx-officer"), login("nx-district")
	return o
}

// catActions returns the audit actions recorded for a transfer item, in order.
func catActions(t testing.TB, e *servertest.Env, id int64) []string {
	t.Helper()
	var actions []string
	if err := e.DB.Table("audit_entries").Where("entity_type = ? AND entity_id = ?", "transfer_item", strconv.FormatInt(id, 10)).
		Order("id").Pluck("action", &actions).Error; err != nil {
		t.Fatalf("read audit entries of transfer item %d: %v", id, err)
	}
	return actions
}

func TestCatalogItemLifecycle(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	officer, district := f.tokens["demo-officer"], f.tokens["demo-district"]

	category := catFreeCategory(t, e, f.district)
	var std catalog.Standard
	servertest.Call(t, e, "GET", "/api/v1/standards/"+category, officer, nil, http.StatusOK, &std)
	var wantMetrics []catalog.ItemMetric
	for _, m := range std.Metrics {
		if m.Status == "active" {
			wantMetrics = append(wantMetrics, catalog.ItemMetric{Code: m.Code, NameZh: m.NameZh, NameEn: m.NameEn, Unit: m.Unit,
				Direction: m.Direction, Source: m.Source, Target: m.DefaultTarget, Weight: m.DefaultWeight})
		}
	}
	if len(wantMetrics) == 0 {
		t.Fatalf("standard %s has no active metric", category)
	}

	// Created: version 1, a draft, with the standard's metrics.
	const title1 = "蓝鲸生命周期·社区服务项目"
	created := catCreate(t, e, officer, catItemBody(title1, category, f.commA))
	id := created.ID
	if created.Version != 1 || created.Status != "draft" || created.VersionStatus != "draft" || created.PublishedVersion != nil ||
		created.PublishedAt != nil || created.SubdistrictID != f.subA || created.Title != title1 || created.UnitPriceFen != 8000 {
		t.Errorf("created item = %+v, want version 1, a draft of subdistrict %d titled %s", created, f.subA, title1)
	}
	if diff := cmp.Diff([]int64{f.commA}, created.CommunityIDs); diff != "" {
		t.Errorf("created community_ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantMetrics, created.Metrics); diff != "" {
		t.Errorf("created metrics, want the standard's defaults (-want +got):\n%s", diff)
	}

	// Publishing waits for the district to list the category.
	e.Refused(t, servertest.Request{Method: "POST", Path: catItemPath(id, "/publish"), Token: officer, Body: nil}, http.StatusConflict, "transfer_item.category_not_in_catalog")
	if got := catGet(t, e, officer, catItemPath(id, "")); got.Status != "draft" || got.VersionStatus != "draft" {
		t.Errorf("after the refused publish the item is %s/%s, want draft/draft", got.Status, got.VersionStatus)
	}
	var entry catalog.GuidanceEntry
	servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/districts/%d/guidance-catalog", f.district), district,
		map[string]any{"category_code": category, "catalog_code": "LC-01", "notes": "生命周期测试"}, http.StatusCreated, &entry)
	if entry.DistrictID != f.district || entry.CategoryCode != category || entry.CatalogCode != "LC-01" {
		t.Errorf("guidance entry = %+v, want %s as LC-01 of district %d", entry, category, f.district)
	}
	if !catListed(catGuidance(t, e, f.district), category) {
		t.Errorf("the public guidance catalog does not list %s after it was added", category)
	}
	published1 := catPublish(t, e, officer, id)
	if published1.Version != 1 || published1.Status != "published" || published1.VersionStatus != "published" ||
		published1.PublishedVersion == nil || *published1.PublishedVersion != 1 || published1.PublishedAt == nil || !published1.PublishedAt.Equal(servertest.Start) {
		t.Errorf("published item = %+v, want version 1 published at %v", published1, servertest.Start)
	}
	e.Refused(t, servertest.Request{Method: "POST", Path: catItemPath(id, "/publish"), Token: officer, Body: nil}, http.StatusConflict, "transfer_item.no_draft")

	// An edit of the published item is version 2, a draft; version 1 stays as it was.
	e.Clock.Advance(time.Minute)
	const title2 = "蓝鲸生命周期·社区服务项目（第二版）"
	first := wantMetrics[0]
	var draft catalog.View
	servertest.Call(t, e, "PATCH", catItemPath(id, ""), officer, map[string]any{"title": title2, "unit_price_fen": 9000,
		"metrics": []map[string]any{{"code": first.Code, "target": first.Target + 10, "weight": 100}}}, http.StatusOK, &draft)
	if draft.Version != 2 || draft.VersionStatus != "draft" || draft.Status != "published" || *draft.PublishedVersion != 1 ||
		draft.Title != title2 || draft.UnitPriceFen != 9000 || draft.PublishedAt != nil {
		t.Errorf("PATCH of the published item = %+v, want version 2, a draft titled %s, with version 1 in force", draft, title2)
	}
	wantDraftMetric := first
	wantDraftMetric.Target, wantDraftMetric.Weight = first.Target+10, 100
	if diff := cmp.Diff([]catalog.ItemMetric{wantDraftMetric}, draft.Metrics); diff != "" {
		t.Errorf("version 2 metrics (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(published1, catGet(t, e, officer, catItemPath(id, "?version=1"))); diff != "" {
		t.Errorf("GET ?version=1 after the edit differs from the published version 1 (-published +now):\n%s", diff)
	}
	if got := catGet(t, e, officer, catItemPath(id, "")); got.Version != 2 || got.Title != title2 {
		t.Errorf("GET without a version = version %d %q, want the draft, version 2 %q", got.Version, got.Title, title2)
	}
	if diff := cmp.Diff(published1, catGet(t, e, "", fmt.Sprintf("/api/v1/public/transfer-items/%d", id))); diff != "" {
		t.Errorf("the public item while version 2 is a draft differs from version 1 (-version 1 +public):\n%s", diff)
	}
	// A second edit changes the draft in place.
	servertest.Call(t, e, "PATCH", catItemPath(id, ""), officer, map[string]any{"description": "第二版说明"}, http.StatusOK, &draft)
	if draft.Version != 2 || draft.Description != "第二版说明" || draft.Title != title2 {
		t.Errorf("second PATCH = version %d %q %q, want version 2 edited in place", draft.Version, draft.Title, draft.Description)
	}
	if n := len(catVersions(t, e, officer, id)); n != 2 {
		t.Errorf("after two edits the item has %d versions, want 2", n)
	}

	// Publishing version 2 supersedes version 1, which stays readable.
	e.Clock.Advance(time.Minute)
	published2 := catPublish(t, e, officer, id)
	if published2.Version != 2 || published2.VersionStatus != "published" || *published2.PublishedVersion != 2 ||
		!published2.PublishedAt.Equal(servertest.Start.Add(2*time.Minute)) || published2.Title != title2 {
		t.Errorf("publish of version 2 = %+v, want version 2 published at %v", published2, servertest.Start.Add(2*time.Minute))
	}
	versions := catVersions(t, e, f.tokens["demo-finance"], id)
	type summary struct {
		Version       int
		VersionStatus string
		Title         string
		UnitPriceFen  int64
		Metrics       []string
	}
	summarize := func(vs []catalog.View) []summary {
		out := []summary{}
		for _, v := range vs {
			out = append(out, summary{v.Version, v.VersionStatus, v.Title, int64(v.UnitPriceFen), catMetricCodes(v.Metrics)})
		}
		return out
	}
	want := []summary{
		{2, "published", title2, 9000, []string{first.Code}},
		{1, "superseded", title1, 8000, catMetricCodes(wantMetrics)},
	}
	if diff := cmp.Diff(want, summarize(versions)); diff != "" {
		t.Errorf("versions after publishing version 2 (-want +got):\n%s", diff)
	}
	v1 := catGet(t, e, officer, catItemPath(id, "?version=1"))
	if diff := cmp.Diff(published1.Metrics, v1.Metrics); diff != "" || v1.Description != published1.Description ||
		!v1.PublishedAt.Equal(*published1.PublishedAt) {
		t.Errorf("superseded version 1 changed: %+v, metrics (-published +now):\n%s", v1, diff)
	}
	e.Refused(t, servertest.Request{Method: "GET", Path: catItemPath(id, "?version=3"), Token: officer, Body: nil}, http.StatusNotFound, "not_found")
	if got := catGet(t, e, "", fmt.Sprintf("/api/v1/public/transfer-items/%d", id)); got.Version != 2 || got.Title != title2 {
		t.Errorf("public item after publishing version 2 = version %d %q, want 2 %q", got.Version, got.Title, title2)
	}

	// Retired: the versions stay readable, nothing changes any more.
	e.Clock.Advance(time.Minute)
	var retired catalog.View
	servertest.Call(t, e, "POST", catItemPath(id, "/retire"), officer, nil, http.StatusOK, &retired)
	if retired.Status != "retired" || retired.Version != 2 || retired.VersionStatus != "retired" {
		t.Errorf("retired item = %+v, want version 2 retired", retired)
	}
	want[0].VersionStatus = "retired"
	if diff := cmp.Diff(want, summarize(catVersions(t, e, district, id))); diff != "" {
		t.Errorf("versions after retiring (-want +got):\n%s", diff)
	}
	e.Refused(t, servertest.Request{Method: "PATCH", Path: catItemPath(id, ""), Token: officer, Body: map[string]any{"title": "退役后修改"}}, http.StatusConflict, "transfer_item.retired")
	e.Refused(t, servertest.Request{Method: "POST", Path: catItemPath(id, "/publish"), Token: officer, Body: nil}, http.StatusConflict, "transfer_item.retired")
	e.Refused(t, servertest.Request{Method: "POST", Path: catItemPath(id, "/retire"), Token: officer, Body: nil}, http.StatusConflict, "transfer_item.not_published")
	var page catalog.ItemPage
	servertest.Call(t, e, "GET", "/api/v1/public/transfer-items?q="+url.QueryEscape("蓝鲸生命周期"), "", nil, http.StatusOK, &page)
	if page.Total != 0 || len(page.Items) != 0 {
		t.Errorf("the public catalog lists the retired item: %+v", page)
	}
	if got := catGet(t, e, "", fmt.Sprintf("/api/v1/public/transfer-items/%d", id)); got.Status != "retired" || got.Version != 2 {
		t.Errorf("public item after retiring = %s version %d, want its last published version 2, retired", got.Status, got.Version)
	}

	wantActions := []string{"transfer_item.create", "transfer_item.publish", "transfer_item.new_version", "transfer_item.edit",
		"transfer_item.publish", "transfer_item.retire"}
	if diff := cmp.Diff(wantActions, catActions(t, e, id)); diff != "" {
		t.Errorf("audit actions of the item (-want +got):\n%s", diff)
	}

	// A draft cannot be retired; retiring discards a pending draft.
	other := catCreate(t, e, officer, catItemBody("蓝鲸生命周期·另一个事项", category))
	e.Refused(t, servertest.Request{Method: "POST", Path: catItemPath(other.ID, "/retire"), Token: officer, Body: nil}, http.StatusConflict, "transfer_item.not_published")
	catPublish(t, e, officer, other.ID)
	servertest.Call(t, e, "PATCH", catItemPath(other.ID, ""), officer, map[string]any{"title": "蓝鲸生命周期·未发布的第二版"}, http.StatusOK, nil)
	servertest.Call(t, e, "POST", catItemPath(other.ID, "/retire"), officer, nil, http.StatusOK, &retired)
	if retired.Version != 1 || retired.VersionStatus != "retired" {
		t.Errorf("retiring with a pending draft = version %d %s, want version 1 retired", retired.Version, retired.VersionStatus)
	}
	if got := summarize(catVersions(t, e, officer, other.ID)); len(got) != 1 || got[0].Version != 1 {
		t.Errorf("versions after retiring with a pending draft = %+v, want only version 1", got)
	}
}

func TestCatalogItemTenancy(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	officer, officer2, district := f.tokens["demo-officer"], f.tokens["demo-officer2"], f.tokens["demo-district"]
	catEnsureGuidance(t, e, district, f.district, "ELDERLY_HOME_CARE")
	draftA := catCreate(t, e, officer, catItemBody("蓝鲸租户·爱山草稿", "ELDERLY_HOME_CARE", f.commA))
	pubA := catCreate(t, e, officer, catItemBody("蓝鲸租户·爱山已发布", "ELDERLY_HOME_CARE", f.commA))
	catPublish(t, e, officer, pubA.ID)
	itemB := catCreate(t, e, officer2, catItemBody("蓝鲸租户·飞英事项", "ELDERLY_HOME_CARE", f.commB))

	// B's officer reaches none of A's items, and changes nothing trying.
	for _, id := range []int64{draftA.ID, pubA.ID} {
		before := inCounts(t, e, catItemTables...)
		for _, call := range []struct {
			method, suffix string
			body           any
		}{
			{"GET", "", nil},
			{"GET", "?version=1", nil},
			{"GET", "/versions", nil},
			{"PATCH", "", map[string]any{"title": "越权修改"}},
			{"POST", "/publish", nil},
			{"POST", "/retire", nil},
		} {
			e.Refused(t, servertest.Request{Method: call.method, Path: catItemPath(id, call.suffix), Token: officer2, Body: call.body}, http.StatusNotFound, "not_found")
		}
		if diff := cmp.Diff(before, inCounts(t, e, catItemTables...)); diff != "" {
			t.Errorf("demo-officer2's refused calls on item %d changed row counts (-before +after):\n%s", id, diff)
		}
	}
	e.Refused(t, servertest.Request{Method: "PATCH", Path: catItemPath(itemB.ID, ""), Token: officer, Body: map[string]any{"title": "越权修改"}}, http.StatusNotFound, "not_found")

	lists := []struct {
		who  string
		want []int64
	}{
		{"demo-officer", []int64{pubA.ID, draftA.ID}},
		{"demo-finance", []int64{pubA.ID, draftA.ID}},
		{"demo-officer2", []int64{itemB.ID}},
		{"demo-district", []int64{itemB.ID, pubA.ID, draftA.ID}},
	}
	mine := []int64{draftA.ID, pubA.ID, itemB.ID}
	for _, l := range lists {
		// Only this test's items: the seed may hold others.
		got := slices.DeleteFunc(catListIDs(t, e, f.tokens[l.who]), func(id int64) bool { return !slices.Contains(mine, id) })
		if diff := cmp.Diff(l.want, got); diff != "" {
			t.Errorf("GET /api/v1/transfer-items as %s (-want +got):\n%s", l.who, diff)
		}
	}

	// Another district: its officer's item is out of reach of 吴兴区's roles, and
	// its district admin reaches nothing of 吴兴区.
	o := newCatOther(t, f)
	nx := catCreate(t, e, o.officer, catItemBody("蓝鲸租户·南浔事项", "ELDERLY_HOME_CARE", o.comm))
	for _, who := range []string{"demo-district", "demo-officer", "demo-finance"} {
		e.Refused(t, servertest.Request{Method: "GET", Path: catItemPath(nx.ID, ""), Token: f.tokens[who], Body: nil}, http.StatusNotFound, "not_found")
		e.Refused(t, servertest.Request{Method: "GET", Path: catItemPath(nx.ID, "/versions"), Token: f.tokens[who], Body: nil}, http.StatusNotFound, "not_found")
	}
	e.Refused(t, servertest.Request{Method: "PATCH", Path: catItemPath(nx.ID, ""), Token: officer, Body: map[string]any{"title": "越权修改"}}, http.StatusNotFound, "not_found")
	e.Refused(t, servertest.Request{Method: "POST", Path: catItemPath(nx.ID, "/publish"), Token: officer, Body: nil}, http.StatusNotFound, "not_found")
	for _, id := range []int64{draftA.ID, pubA.ID, itemB.ID} {
		e.Refused(t, servertest.Request{Method: "GET", Path: catItemPath(id, ""), Token: o.admin, Body: nil}, http.StatusNotFound, "not_found")
	}
	if diff := cmp.Diff([]int64{nx.ID}, catListIDs(t, e, o.admin)); diff != "" {
		t.Errorf("GET /api/v1/transfer-items as 南浔区's district admin (-want +got):\n%s", diff)
	}
	if got := catListIDs(t, e, district); slices.Contains(got, nx.ID) {
		t.Errorf("GET /api/v1/transfer-items as demo-district = %v, includes 南浔区's item %d", got, nx.ID)
	}
	if got := catListIDs(t, e, f.tokens["demo-admin"]); !slices.Contains(got, nx.ID) || !slices.Contains(got, draftA.ID) {
		t.Errorf("GET /api/v1/transfer-items as demo-admin = %v, want both districts' items", got)
	}

	// Each district keeps its own guidance catalog.
	guidance := map[string]any{"category_code": "LEGAL_AID", "catalog_code": "NX-01"}
	e.Refused(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/districts/%d/guidance-catalog", f.district), Token: o.admin, Body: guidance}, http.StatusNotFound, "not_found")
	e.Refused(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/districts/%d/guidance-catalog", o.district), Token: district, Body: guidance}, http.StatusNotFound, "not_found")
	e.Refused(t, servertest.Request{Method: "POST", Path: catItemPath(nx.ID, "/publish"), Token: o.officer, Body: nil}, http.StatusConflict, "transfer_item.category_not_in_catalog")
	catEnsureGuidance(t, e, o.admin, o.district, "ELDERLY_HOME_CARE")
	if got := catPublish(t, e, o.officer, nx.ID); got.Status != "published" {
		t.Errorf("南浔区's item after its district listed the category = %s, want published", got.Status)
	}
}

// catSearch returns the public catalog page for the query.
func catSearch(t testing.TB, e *servertest.Env, token string, query url.Values) catalog.ItemPage {
	t.Helper()
	var page catalog.ItemPage
	servertest.Call(t, e, "GET", "/api/v1/public/transfer-items?"+query.Encode(), token, nil, http.StatusOK, &page)
	return page
}
