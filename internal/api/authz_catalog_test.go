package api_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/catalog"
)

// azCatalogShared is what the catalog rows of one matrix group share: a
// published transfer item of 爱山 (A), created on first use.
type azCatalogShared struct {
	once      sync.Once
	published int64
}

var (
	azCatalogMu    sync.Mutex
	azCatalogState = map[*azFixture]*azCatalogShared{}
)

// azCatalog returns the group's shared catalog records, creating them through
// the API (as demo-district and demo-officer) on first use.
func azCatalog(t testing.TB, f *azFixture) *azCatalogShared {
	azCatalogMu.Lock()
	s, ok := azCatalogState[f]
	if !ok {
		s = &azCatalogShared{}
		azCatalogState[f] = s
	}
	azCatalogMu.Unlock()
	s.once.Do(func() {
		s.published = azCatalogItem(t, f, "矩阵共享事项", true).ID
	})
	return s
}

// azCatalogItem creates a transfer item of A as demo-officer, in a category of
// 吴兴区's guidance catalog, and publishes it when published is set.
func azCatalogItem(t testing.TB, f *azFixture, title string, published bool) catalog.View {
	t.Helper()
	catEnsureGuidance(t, f.e, f.tokens["demo-district"], f.district, "ELDERLY_HOME_CARE")
	it := catCreate(t, f.e, f.tokens["demo-officer"], catItemBody(title, "ELDERLY_HOME_CARE", f.commA))
	if published {
		it = catPublish(t, f.e, f.tokens["demo-officer"], it.ID)
	}
	return it
}

// azItemPath returns a path under the shared published item of A.
func azItemPath(suffix string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		return fmt.Sprintf("/api/v1/transfer-items/%d%s", azCatalog(t, f).published, suffix)
	}
}

// azFreshItemPath returns a path under a transfer item of A created for this
// one call, so that every identity meets the same state: a draft, or a
// published item.
func azFreshItemPath(suffix string, published bool) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		return fmt.Sprintf("/api/v1/transfer-items/%d%s", azCatalogItem(t, f, "矩阵单次事项", published).ID, suffix)
	}
}

// Wants shared by several catalog rows.
var (
	azEveryone      = azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}
	azDistrictOnly  = azWant{no401, no403, ok200, no403, no403, no403, no403, no403, no403, no403, no403}
	azItemReaders   = azWant{no401, ok200, ok200, ok200, ok200, no403, no403, nf404, no403, no403, no403}
	azItemOfficerA  = azWant{no401, no403, no403, ok200, no403, no403, no403, nf404, no403, no403, no403}
	azItemListWants = azWant{no401, ok200, ok200, ok200, ok200, no403, no403, ok200, no403, no403, no403}
)

// azCatalogMatrix covers the catalog routes: standards, guidance catalogs and
// transfer items. The public routes answer everyone, anonymous included.
var azCatalogMatrix = map[string][]azMatrixRow{
	"standards": {
		{method: "GET", route: "/api/v1/standards", want: azEveryone},
		{method: "GET", route: "/api/v1/standards/:code", path: func(t testing.TB, f *azFixture) string { return "/api/v1/standards/ELDERLY_HOME_CARE" },
			want: azEveryone},
		{method: "POST", route: "/api/v1/standards/:code/metrics", path: func(t testing.TB, f *azFixture) string { return "/api/v1/standards/ELDERLY_HOME_CARE/metrics" },
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"code": fmt.Sprintf("matrix_metric_%d", i), "name_zh": fmt.Sprintf("矩阵指标%d", i),
					"name_en": fmt.Sprintf("Matrix metric %d", i), "unit": "次", "direction": "higher", "source": "service_records",
					"default_target": 100, "default_weight": 10}
			},
			want: azWant{no401, no403, new201, no403, no403, no403, no403, no403, no403, no403, no403}},
		{method: "PATCH", route: "/api/v1/standards/:code/metrics/:metric",
			path: func(t testing.TB, f *azFixture) string {
				return "/api/v1/standards/ELDERLY_HOME_CARE/metrics/service_visits"
			},
			body: func(t testing.TB, f *azFixture, i int) any { return map[string]any{"default_target": 1300 + i} },
			want: azDistrictOnly},
		{method: "POST", route: "/api/v1/standards/:code/metrics/:metric/retire",
			path: func(t testing.TB, f *azFixture) string {
				return "/api/v1/standards/ELDERLY_HOME_CARE/metrics/complaints_upheld/retire"
			},
			want: azDistrictOnly},
	},
	"guidance-catalog": {
		{method: "GET", route: "/api/v1/districts/:id/guidance-catalog",
			path: func(t testing.TB, f *azFixture) string {
				return fmt.Sprintf("/api/v1/districts/%d/guidance-catalog", f.district)
			},
			want: azEveryone},
		{method: "POST", route: "/api/v1/districts/:id/guidance-catalog",
			path: func(t testing.TB, f *azFixture) string {
				return fmt.Sprintf("/api/v1/districts/%d/guidance-catalog", f.district)
			},
			body: func(t testing.TB, f *azFixture, i int) any {
				category := catFreeCategory(t, f.e, f.district)
				return map[string]any{"category_code": category, "catalog_code": fmt.Sprintf("MX-%02d", i), "notes": "矩阵测试"}
			},
			want: azWant{no401, no403, new201, no403, no403, no403, no403, no403, no403, no403, no403}},
	},
	"transfer-items": {
		{method: "GET", route: "/api/v1/transfer-items", want: azItemListWants},
		{method: "POST", route: "/api/v1/transfer-items",
			body: func(t testing.TB, f *azFixture, i int) any {
				comm := f.commA
				if azIdentities[i] == "demo-officer2" {
					comm = f.commB // a real body for B's officer names B's community
				}
				return catItemBody(fmt.Sprintf("矩阵新建事项%d", i), "ELDERLY_HOME_CARE", comm)
			},
			want: azWant{no401, no403, no403, new201, no403, no403, no403, new201, no403, no403, no403}},
		{method: "GET", route: "/api/v1/transfer-items/:id", path: azItemPath(""), want: azItemReaders},
		{method: "PATCH", route: "/api/v1/transfer-items/:id", path: azItemPath(""),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"description": fmt.Sprintf("矩阵修改%d", i)}
			},
			want: azItemOfficerA},
		{method: "POST", route: "/api/v1/transfer-items/:id/publish", path: azFreshItemPath("/publish", false), want: azItemOfficerA},
		{method: "POST", route: "/api/v1/transfer-items/:id/retire", path: azFreshItemPath("/retire", true), want: azItemOfficerA},
		{method: "GET", route: "/api/v1/transfer-items/:id/versions", path: azItemPath("/versions"), want: azItemReaders},
		{method: "GET", route: "/api/v1/public/transfer-items", want: azEveryone},
		{method: "GET", route: "/api/v1/public/transfer-items/:id",
			path: func(t testing.TB, f *azFixture) string {
				return fmt.Sprintf("/api/v1/public/transfer-items/%d", azCatalog(t, f).published)
			},
			want: azEveryone},
	},
}
