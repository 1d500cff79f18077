package catalog_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
)

// publicWorld adds to a world one item in each state the public catalog must
// tell apart, published an hour apart so that the newest comes first.
type publicWorld struct {
	*world
	homeCare  catalog.View // A, published
	legal     catalog.View // B, published
	meals     catalog.View // A, published, with a pending draft of another title
	nanxun    catalog.View // C (district E), published
	draftOnly catalog.View // A, never published
	retired   catalog.View // A, published then retired
}

func newPublicWorld(t *testing.T) *publicWorld {
	t.Helper()
	w := &publicWorld{world: newWorld(t)}
	w.allow(t, w.adminD, "ELDERLY_HOME_CARE", "A01")
	w.allow(t, w.adminD, "LEGAL_AID", "A09")
	w.allow(t, w.adminE, "ELDERLY_HOME_CARE", "A01")
	item := func(by access.Actor, title, category, description, population string) catalog.View {
		in := input(title, category)
		in.Description, in.TargetPopulation = ptr(description), ptr(population)
		v := w.create(t, by, in)
		w.clock.Advance(time.Hour)
		return v
	}
	w.homeCare = item(w.officerA, "居家养老上门服务", "ELDERLY_HOME_CARE", "为独居老人提供助洁服务，全年100次上门目标，编号HCX2026。", "80周岁以上老人")
	w.homeCare = w.publish(t, w.officerA, w.homeCare.ID)
	w.legal = item(w.officerB, "社区法律咨询服务", "LEGAL_AID", "法律咨询覆盖率100%。", "辖区居民")
	w.legal = w.publish(t, w.officerB, w.legal.ID)
	w.meals = item(w.officerA, "居家养老助餐服务", "ELDERLY_HOME_CARE", "老年食堂助餐，项目编号HC_2026。", "60周岁以上老人")
	w.meals = w.publish(t, w.officerA, w.meals.ID)
	w.update(t, w.officerA, w.meals.ID, catalog.ItemInput{Title: ptr("草稿标题"), Description: ptr("草稿描述")})
	w.nanxun = item(w.officerC, "南浔居家养老服务", "ELDERLY_HOME_CARE", "南浔镇居家养老。", "老人")
	w.nanxun = w.publish(t, w.officerC, w.nanxun.ID)
	w.draftOnly = item(w.officerA, "居家养老草稿事项", "ELDERLY_HOME_CARE", "未发布。", "老人")
	w.retired = item(w.officerA, "居家养老已退役事项", "ELDERLY_HOME_CARE", "已退役。", "老人")
	w.publish(t, w.officerA, w.retired.ID)
	var err error
	if w.retired, err = w.svc.RetireItem(context.Background(), w.officerA, w.retired.ID); err != nil {
		t.Fatalf("RetireItem() error = %v", err)
	}
	return w
}

func titles(vs []catalog.View) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Title)
	}
	return out
}

func TestPublicItems(t *testing.T) {
	t.Parallel()
	w := newPublicWorld(t)
	all := []string{"南浔居家养老服务", "居家养老助餐服务", "社区法律咨询服务", "居家养老上门服务"}
	for _, tc := range []struct {
		name   string
		filter catalog.PublicFilter
		want   []string
	}{
		{"everything published, newest first", catalog.PublicFilter{}, all},
		{"Chinese substring of titles", catalog.PublicFilter{Q: "居家"}, []string{"南浔居家养老服务", "居家养老助餐服务", "居家养老上门服务"}},
		{"whole title", catalog.PublicFilter{Q: "居家养老上门服务"}, []string{"居家养老上门服务"}},
		{"substring of a description", catalog.PublicFilter{Q: "独居老人"}, []string{"居家养老上门服务"}},
		{"substring of a target population", catalog.PublicFilter{Q: "辖区居民"}, []string{"社区法律咨询服务"}},
		{"Q is trimmed", catalog.PublicFilter{Q: "  居家养老上门  "}, []string{"居家养老上门服务"}},
		{"Q ignores case", catalog.PublicFilter{Q: "hc_2026"}, []string{"居家养老助餐服务"}},
		{"a pending draft's title", catalog.PublicFilter{Q: "草稿"}, nil},
		{"a retired item's title", catalog.PublicFilter{Q: "已退役"}, nil},
		{"percent is literal", catalog.PublicFilter{Q: "%"}, []string{"社区法律咨询服务"}},
		{"percent inside Q is literal", catalog.PublicFilter{Q: "100%"}, []string{"社区法律咨询服务"}},
		{"underscore is literal", catalog.PublicFilter{Q: "_"}, []string{"居家养老助餐服务"}},
		{"underscore inside Q is literal", catalog.PublicFilter{Q: "HC_2026"}, []string{"居家养老助餐服务"}},
		{"backslash is literal", catalog.PublicFilter{Q: `\`}, nil},
		{"no match", catalog.PublicFilter{Q: "不存在的服务"}, nil},
		{"subdistrict A", catalog.PublicFilter{SubdistrictID: w.a.ID}, []string{"居家养老助餐服务", "居家养老上门服务"}},
		{"subdistrict B", catalog.PublicFilter{SubdistrictID: w.b.ID}, []string{"社区法律咨询服务"}},
		{"district D", catalog.PublicFilter{DistrictID: w.d.ID}, []string{"居家养老助餐服务", "社区法律咨询服务", "居家养老上门服务"}},
		{"district E", catalog.PublicFilter{DistrictID: w.e.ID}, []string{"南浔居家养老服务"}},
		{"unknown district", catalog.PublicFilter{DistrictID: w.e.ID + 1000}, nil},
		{"category", catalog.PublicFilter{CategoryCode: "LEGAL_AID"}, []string{"社区法律咨询服务"}},
		{"unknown category", catalog.PublicFilter{CategoryCode: "NO_SUCH_CATEGORY"}, nil},
		{"Q and district", catalog.PublicFilter{Q: "居家", DistrictID: w.d.ID}, []string{"居家养老助餐服务", "居家养老上门服务"}},
		{"Q and subdistrict", catalog.PublicFilter{Q: "服务", SubdistrictID: w.b.ID}, []string{"社区法律咨询服务"}},
		{"Q and category", catalog.PublicFilter{Q: "居家", CategoryCode: "LEGAL_AID"}, nil},
		{"district and subdistrict of another district", catalog.PublicFilter{DistrictID: w.e.ID, SubdistrictID: w.a.ID}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			page, err := w.svc.PublicItems(t.Context(), tc.filter)
			if err != nil {
				t.Fatalf("PublicItems(%+v) error = %v", tc.filter, err)
			}
			want := tc.want
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(want, titles(page.Items)); diff != "" {
				t.Errorf("PublicItems(%+v) titles mismatch (-want +got):\n%s", tc.filter, diff)
			}
			if page.Total != int64(len(want)) || page.Page != 1 || page.PerPage != 20 || page.Items == nil {
				t.Errorf("PublicItems(%+v) total/page/per page = %d/%d/%d, want %d/1/20", tc.filter, page.Total, page.Page, page.PerPage, len(want))
			}
		})
	}
}

// TestPublicItemsShowPublishedContent shows that every listed item is its
// published version in full, never the newer draft.
func TestPublicItemsShowPublishedContent(t *testing.T) {
	t.Parallel()
	w := newPublicWorld(t)
	ctx := t.Context()
	page, err := w.svc.PublicItems(ctx, catalog.PublicFilter{SubdistrictID: w.a.ID})
	if err != nil {
		t.Fatalf("PublicItems() error = %v", err)
	}
	want := []catalog.View{w.meals, w.homeCare}
	if diff := cmp.Diff(want, page.Items); diff != "" {
		t.Errorf("PublicItems() mismatch the published versions (-want +got):\n%s", diff)
	}
	// Brief: the same items, page and total, without communities and metrics.
	brief, err := w.svc.PublicItems(ctx, catalog.PublicFilter{SubdistrictID: w.a.ID, Brief: true})
	if err != nil {
		t.Fatalf("PublicItems(Brief) error = %v", err)
	}
	parts := 0
	for i := range want {
		parts += len(want[i].CommunityIDs) + len(want[i].Metrics)
		want[i].CommunityIDs, want[i].Metrics = []int64{}, []catalog.ItemMetric{}
	}
	if parts == 0 {
		t.Fatal("the items have no communities or metrics to leave out")
	}
	if diff := cmp.Diff(want, brief.Items); diff != "" || brief.Total != page.Total {
		t.Errorf("PublicItems(Brief) total %d (want %d), mismatch (-want +got):\n%s", brief.Total, page.Total, diff)
	}
	if latest, err := w.svc.GetItem(ctx, w.officerA, w.meals.ID, 0); err != nil || latest.Version != 2 || latest.Title != "草稿标题" {
		t.Errorf("GetItem(meals) = version %d %q, %v, want the officer to see the version 2 draft", latest.Version, latest.Title, err)
	}

	for _, tc := range []struct {
		name string
		id   int64
		want catalog.View
		err  error
	}{
		{"published", w.homeCare.ID, w.homeCare, nil},
		{"published with a pending draft", w.meals.ID, w.meals, nil},
		{"draft only", w.draftOnly.ID, catalog.View{}, apperr.ErrNotFound},
		{"retired: its last published version", w.retired.ID, w.retired, nil},
		{"unknown", w.retired.ID + 1000, catalog.View{}, apperr.ErrNotFound},
	} {
		got, err := w.svc.PublicItem(ctx, tc.id)
		if !isErr(err, tc.err) {
			t.Errorf("PublicItem(%s) error = %v, want %v", tc.name, err, tc.err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); err == nil && diff != "" {
			t.Errorf("PublicItem(%s) mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
	if w.retired.Status != "retired" || w.retired.VersionStatus != "retired" || w.retired.Title != "居家养老已退役事项" {
		t.Errorf("retired item = %s/%s %q, want its retired version 1", w.retired.Status, w.retired.VersionStatus, w.retired.Title)
	}
}

// seedPublished inserts n published items (version 1, one metric) into
// subdistrict by SQL, bypassing the service for speed. Item i (from 1) is
// titled fmt hit or miss (a format with one %s for i) as i%every is 0 or not,
// and published at base + i/2 minutes, so pairs share a publication time. It
// returns the ids in insertion order.
func seedPublished(t testing.TB, w *world, subdistrictID int64, n, every int, hit, miss string) []int64 {
	t.Helper()
	base := start.Add(24 * time.Hour)
	var ids []int64
	if err := w.db.Raw(`INSERT INTO transfer_items (subdistrict_id, status, published_version, created_at, updated_at)
		SELECT ?, 'published', 1, ?, ? FROM generate_series(1, ?) RETURNING id`, subdistrictID, base, base, n).Scan(&ids).Error; err != nil {
		t.Fatalf("seed items: %v", err)
	}
	slices.Sort(ids)
	lo, hi := ids[0], ids[len(ids)-1]
	// The triggers let only a draft take metrics: insert drafts, then publish.
	for _, s := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO transfer_item_versions (item_id, version, status, title, description, category_code, target_population,
			annual_quantity, quantity_unit, unit_price_fen, purchase_method, published_at, created_at, updated_at)
		  SELECT id, 1, 'draft', format(CASE WHEN i % ? = 0 THEN ?::text ELSE ?::text END, i),
			'为辖区老年人提供生活照料与精神慰藉服务，第' || i || '号事项。', 'ELDERLY_HOME_CARE', '辖区老人',
			1200, '人次', 5000, 'open_tender', ?::timestamptz + (i / 2) * interval '1 minute', ?, ?
		  FROM (SELECT id, row_number() OVER (ORDER BY id) AS i FROM transfer_items WHERE id BETWEEN ? AND ?) s`,
			[]any{every, hit, miss, base, base, base, lo, hi}},
		{`INSERT INTO transfer_item_metrics (item_id, version, code, name_zh, name_en, unit, direction, source, target, weight)
		  SELECT id, 1, 'service_visits', '上门服务人次', 'Home service visits delivered', '次', 'higher', 'service_records', 1200, 30
		  FROM transfer_items WHERE id BETWEEN ? AND ?`, []any{lo, hi}},
		{`UPDATE transfer_item_versions SET status = 'published' WHERE item_id BETWEEN ? AND ?`, []any{lo, hi}},
	} {
		if err := w.db.Exec(s.sql, s.args...).Error; err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	return ids
}

func TestPublicItemsPagination(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ids := seedPublished(t, w, w.a.ID, 105, 1, "居家养老上门服务第%s期", "")
	// Newest publication first; items published together, newest id first.
	newest := slices.Clone(ids)
	slices.Reverse(newest)
	idsOf := func(vs []catalog.View) []int64 {
		out := []int64{}
		for _, v := range vs {
			out = append(out, v.ID)
		}
		return out
	}

	var walked []int64
	for page := 1; page <= 4; page++ {
		got, err := w.svc.PublicItems(t.Context(), catalog.PublicFilter{Q: "上门", Page: page, PerPage: 40})
		if err != nil {
			t.Fatalf("PublicItems(page %d) error = %v", page, err)
		}
		wantN := min(40, max(0, 105-(page-1)*40))
		if got.Total != 105 || got.Page != page || got.PerPage != 40 || len(got.Items) != wantN || got.Items == nil {
			t.Errorf("PublicItems(page %d) total/page/per page/items = %d/%d/%d/%d, want 105/%d/40/%d",
				page, got.Total, got.Page, got.PerPage, len(got.Items), page, wantN)
		}
		walked = append(walked, idsOf(got.Items)...)
	}
	if diff := cmp.Diff(newest, walked); diff != "" {
		t.Errorf("pages 1 to 4 mismatch every item once, newest first (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name                 string
		page, perPage        int
		wantPage, wantPer    int
		wantFirst, wantCount int
	}{
		{"defaults", 0, 0, 1, 20, 0, 20},
		{"negative", -3, -5, 1, 20, 0, 20},
		{"capped at 100", 1, 1000, 1, 100, 0, 100},
		{"capped, second page", 2, 101, 2, 100, 100, 5},
		{"one per page", 7, 1, 7, 1, 6, 1},
	} {
		got, err := w.svc.PublicItems(t.Context(), catalog.PublicFilter{Page: tc.page, PerPage: tc.perPage})
		if err != nil {
			t.Fatalf("PublicItems(%s) error = %v", tc.name, err)
		}
		if got.Total != 105 || got.Page != tc.wantPage || got.PerPage != tc.wantPer {
			t.Errorf("PublicItems(%s) total/page/per page = %d/%d/%d, want 105/%d/%d", tc.name, got.Total, got.Page, got.PerPage, tc.wantPage, tc.wantPer)
		}
		if diff := cmp.Diff(newest[tc.wantFirst:tc.wantFirst+tc.wantCount], idsOf(got.Items)); diff != "" {
			t.Errorf("PublicItems(%s) ids mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
	// Each listed item carries its metrics.
	got, err := w.svc.PublicItems(t.Context(), catalog.PublicFilter{PerPage: 1})
	if err != nil || len(got.Items) != 1 || len(got.Items[0].Metrics) != 1 || got.Items[0].Metrics[0].Code != "service_visits" {
		t.Errorf("PublicItems(per page 1) = %+v, %v, want one item with its metric", got.Items, err)
	}
}
