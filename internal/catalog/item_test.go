package catalog_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/apperr/apperrtest"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/money"
)

// itemMetrics returns the item metrics a new item of category in district
// takes by default: every active template of the standard in force, by weight
// then code.
func (w *world) itemMetrics(t *testing.T, category string, districtID int64) []catalog.ItemMetric {
	t.Helper()
	s, err := w.svc.GetStandard(context.Background(), category, districtID)
	if err != nil {
		t.Fatalf("GetStandard() error = %v", err)
	}
	var out []catalog.ItemMetric
	for _, m := range s.Metrics {
		if m.Status == "active" {
			out = append(out, catalog.ItemMetric{Code: m.Code, NameZh: m.NameZh, NameEn: m.NameEn, Unit: m.Unit,
				Direction: m.Direction, Source: m.Source, Target: m.DefaultTarget, Weight: m.DefaultWeight})
		}
	}
	return out
}

// metricOwner ignores which version an item metric row belongs to: the API
// does not show it, and a new version's copy differs only there.
var metricOwner = cmpopts.IgnoreFields(catalog.ItemMetric{}, "ItemID", "Version")

func codes(ms []catalog.ItemMetric) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Code
	}
	return out
}

func TestCreateItem(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	in := input("居家养老上门服务", "ELDERLY_HOME_CARE")
	in.CommunityIDs = ptr([]int64{w.a2.ID, w.a1.ID, w.a2.ID})
	in.Title = ptr("  居家养老上门服务  ")
	got := w.create(t, w.officerA, in)

	want := catalog.View{
		ID: got.ID, SubdistrictID: w.a.ID, Status: "draft", Version: 1, VersionStatus: "draft",
		Title: "居家养老上门服务", Description: "为辖区内高龄、独居老人提供上门助洁、助浴服务。", CategoryCode: "ELDERLY_HOME_CARE",
		LegalBasis: "《关于政府向社会力量购买服务的指导意见》", TargetPopulation: "80周岁以上老人",
		CommunityIDs: []int64{w.a1.ID, w.a2.ID}, AnnualQuantity: 1200, QuantityUnit: "人次", UnitPriceFen: 5000,
		PurchaseMethod: "open_tender", MinGrade: 3, MinSocialWorkers: 2,
		Metrics:   w.itemMetrics(t, "ELDERLY_HOME_CARE", 0),
		UpdatedAt: start,
	}
	if diff := cmp.Diff(want, got, metricOwner); diff != "" {
		t.Errorf("CreateItem() mismatch (-want +got):\n%s", diff)
	}
	if want := []string{"service_visits", "elderly_coverage", "resident_satisfaction", "response_time", "complaints_upheld"}; !cmp.Equal(codes(got.Metrics), want) {
		t.Errorf("CreateItem() metrics = %v, want %v", codes(got.Metrics), want)
	}
	if read, err := w.svc.GetItem(ctx, w.officerA, got.ID, 0); err != nil || !cmp.Equal(read, got) {
		t.Errorf("GetItem() = %+v, %v, want what CreateItem returned", read, err)
	}
	if read, err := w.svc.GetItem(ctx, w.officerA, got.ID, 1); err != nil || !cmp.Equal(read, got) {
		t.Errorf("GetItem(version 1) = %+v, %v, want what CreateItem returned", read, err)
	}
	if n := w.count(t, `SELECT count(*) FROM transfer_item_versions WHERE item_id = ? AND created_by = ? AND published_by IS NULL`,
		got.ID, w.officerA.UserID); n != 1 {
		t.Errorf("version 1 rows created by officer-a = %d, want 1", n)
	}

	// Chosen metrics keep the standard's names and take local targets and weights.
	in = input("居家养老上门服务（精简指标）", "ELDERLY_HOME_CARE")
	in.Metrics = &[]catalog.MetricChoice{
		{Code: "resident_satisfaction"},
		{Code: "service_visits", Target: ptr(1500.0), Weight: ptr(40)},
	}
	chosen := w.create(t, w.officerA, in)
	wantMetrics := []catalog.ItemMetric{
		{Code: "service_visits", NameZh: "上门服务人次", NameEn: "Home service visits delivered", Unit: "次", Direction: "higher",
			Source: "service_records", Target: 1500, Weight: 40},
		{Code: "resident_satisfaction", NameZh: "居民满意度", NameEn: "Resident satisfaction", Unit: "%", Direction: "higher",
			Source: "resident_ratings", Target: 85, Weight: 20},
	}
	if diff := cmp.Diff(wantMetrics, chosen.Metrics, metricOwner); diff != "" {
		t.Errorf("CreateItem(chosen metrics) metrics mismatch (-want +got):\n%s", diff)
	}
	if n := w.audited(t, "transfer_item.create"); n != 2 {
		t.Errorf("transfer_item.create audit entries = %d, want 2", n)
	}
}

// TestCreateItemDistrictStandard shows that an item takes the standard in force
// for its district: adjusted targets, added metrics, and not retired ones.
func TestCreateItemDistrictStandard(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	if _, err := w.svc.AdjustMetric(ctx, w.adminD, "ELDERLY_HOME_CARE", "service_visits", catalog.MetricInput{DefaultTarget: ptr(1500.0)}); err != nil {
		t.Fatalf("AdjustMetric() error = %v", err)
	}
	if _, err := w.svc.RetireMetric(ctx, w.adminD, "ELDERLY_HOME_CARE", "complaints_upheld"); err != nil {
		t.Fatalf("RetireMetric() error = %v", err)
	}
	if _, err := w.svc.AddMetric(ctx, w.adminD, "ELDERLY_HOME_CARE", catalog.MetricInput{Code: "meal_deliveries",
		NameZh: ptr("助餐送餐人次"), NameEn: ptr("Meals delivered"), Unit: ptr("次"), Direction: ptr("higher"),
		Source: ptr("service_records"), DefaultTarget: ptr(3000.0), DefaultWeight: ptr(10)}); err != nil {
		t.Fatalf("AddMetric() error = %v", err)
	}
	inD := w.create(t, w.officerB, input("居家养老", "ELDERLY_HOME_CARE"))
	byCode := map[string]catalog.ItemMetric{}
	for _, m := range inD.Metrics {
		byCode[m.Code] = m
	}
	if _, ok := byCode["complaints_upheld"]; ok {
		t.Errorf("district D's item metrics = %v, want no retired complaints_upheld", codes(inD.Metrics))
	}
	if m, ok := byCode["meal_deliveries"]; !ok || m.Target != 3000 {
		t.Errorf("district D's item metrics = %v, want the added meal_deliveries (3000)", codes(inD.Metrics))
	}
	if m := byCode["service_visits"]; m.Target != 1500 || m.Weight != 30 {
		t.Errorf("district D's service_visits = %v/%d, want the adjusted 1500/30", m.Target, m.Weight)
	}
	inE := w.create(t, w.officerC, input("居家养老", "ELDERLY_HOME_CARE"))
	if diff := cmp.Diff(w.itemMetrics(t, "ELDERLY_HOME_CARE", 0), inE.Metrics, metricOwner); diff != "" {
		t.Errorf("district E's item metrics mismatch the shipped standard (-want +got):\n%s", diff)
	}
}

func TestCreateItemRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if _, err := w.svc.RetireMetric(t.Context(), w.adminD, "ELDERLY_HOME_CARE", "complaints_upheld"); err != nil {
		t.Fatalf("RetireMetric() error = %v", err)
	}
	with := func(change func(*catalog.ItemInput)) catalog.ItemInput {
		in := input("居家养老上门服务", "ELDERLY_HOME_CARE")
		change(&in)
		return in
	}
	metrics := func(ms ...catalog.MetricChoice) func(*catalog.ItemInput) {
		return func(in *catalog.ItemInput) { in.Metrics = &ms }
	}
	for _, tc := range []struct {
		name   string
		by     access.Actor
		in     catalog.ItemInput
		want   error
		fields []string
	}{
		{"finance officer", w.financeA, with(func(*catalog.ItemInput) {}), apperr.ErrForbidden, nil},
		{"district admin", w.adminD, with(func(*catalog.ItemInput) {}), apperr.ErrForbidden, nil},
		{"platform admin", platform, with(func(*catalog.ItemInput) {}), apperr.ErrForbidden, nil},
		{"org admin", w.orgAdmin, with(func(*catalog.ItemInput) {}), apperr.ErrForbidden, nil},
		{"unknown metric", w.officerA, with(metrics(catalog.MetricChoice{Code: "no_such_metric"})), nil, []string{"metrics"}},
		{"metric of another category", w.officerA, with(metrics(catalog.MetricChoice{Code: "meal_services"})), nil, []string{"metrics"}},
		{"retired metric", w.officerA, with(metrics(catalog.MetricChoice{Code: "complaints_upheld"})), nil, []string{"metrics"}},
		{"duplicate metric", w.officerA, with(metrics(catalog.MetricChoice{Code: "service_visits"},
			catalog.MetricChoice{Code: "service_visits", Target: ptr(10.0)})), nil, []string{"metrics"}},
		{"metric weight 0", w.officerA, with(metrics(catalog.MetricChoice{Code: "service_visits", Weight: ptr(0)})), nil, []string{"metrics"}},
		{"metric weight 101", w.officerA, with(metrics(catalog.MetricChoice{Code: "service_visits", Weight: ptr(101)})), nil, []string{"metrics"}},
		{"negative metric target", w.officerA, with(metrics(catalog.MetricChoice{Code: "service_visits", Target: ptr(-1.0)})), nil, []string{"metrics"}},
		{"no metric", w.officerA, with(metrics()), nil, []string{"metrics"}},
		{"community of another subdistrict", w.officerA, with(func(in *catalog.ItemInput) {
			in.CommunityIDs = ptr([]int64{w.a1.ID, w.b1.ID})
		}), nil, []string{"community_ids"}},
		{"unknown community", w.officerA, with(func(in *catalog.ItemInput) { in.CommunityIDs = ptr([]int64{w.b1.ID + 1000}) }), nil, []string{"community_ids"}},
		{"unknown category", w.officerA, with(func(in *catalog.ItemInput) { in.CategoryCode = ptr("NO_SUCH_CATEGORY") }), nil, []string{"category_code"}},
		{"blank title", w.officerA, with(func(in *catalog.ItemInput) { in.Title = ptr("   ") }), nil, []string{"title"}},
		{"bad numbers", w.officerA, with(func(in *catalog.ItemInput) {
			in.AnnualQuantity, in.UnitPriceFen, in.MinGrade, in.MinSocialWorkers = ptr(-1), ptr(money.Fen(-1)), ptr(6), ptr(-1)
		}), nil, []string{"annual_quantity", "min_grade", "min_social_workers", "unit_price_fen"}},
		{"bad purchase method", w.officerA, with(func(in *catalog.ItemInput) { in.PurchaseMethod = ptr("auction") }), nil, []string{"purchase_method"}},
		{"nothing", w.officerA, catalog.ItemInput{}, nil,
			[]string{"annual_quantity", "category_code", "purchase_method", "title", "unit_price_fen"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := w.svc.CreateItem(t.Context(), tc.by, tc.in)
			if tc.fields != nil {
				apperrtest.WantInvalid(t, err, tc.fields...)
				return
			}
			apperrtest.WantErr(t, "CreateItem()", err, tc.want)
		})
	}
	t.Cleanup(func() {
		if n := w.count(t, `SELECT count(*) FROM transfer_items`); n != 0 {
			t.Errorf("transfer items after refused creations = %d, want 0", n)
		}
		if n := w.audited(t, "transfer_item.create"); n != 0 {
			t.Errorf("transfer_item.create audit entries = %d, want 0", n)
		}
	})
}

func TestEditDraftInPlace(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	in := input("居家养老上门服务", "ELDERLY_HOME_CARE")
	in.CommunityIDs = ptr([]int64{w.a1.ID})
	item := w.create(t, w.officerA, in)
	w.clock.Advance(time.Hour)

	got := w.update(t, w.officerA, item.ID, catalog.ItemInput{
		Title:        ptr("居家养老上门服务（修订）"),
		CommunityIDs: ptr([]int64{w.a2.ID}),
		Metrics:      &[]catalog.MetricChoice{{Code: "response_time", Target: ptr(12.0)}},
	})
	if got.Version != 1 || got.VersionStatus != "draft" || got.Title != "居家养老上门服务（修订）" ||
		!cmp.Equal(got.CommunityIDs, []int64{w.a2.ID}) || !got.UpdatedAt.Equal(start.Add(time.Hour)) {
		t.Errorf("UpdateItem(draft) = %+v, want version 1 edited in place", got)
	}
	if len(got.Metrics) != 1 || got.Metrics[0].Code != "response_time" || got.Metrics[0].Target != 12 || got.Metrics[0].Weight != 20 {
		t.Errorf("UpdateItem(draft) metrics = %+v, want only response_time 12/20", got.Metrics)
	}
	if got.Description != item.Description || got.UnitPriceFen != item.UnitPriceFen {
		t.Errorf("UpdateItem(draft) changed fields it was not given: %+v", got)
	}

	// Without metrics the set stays; a new category takes its standard.
	got = w.update(t, w.officerA, item.ID, catalog.ItemInput{UnitPriceFen: ptr(money.Fen(6000))})
	if !cmp.Equal(codes(got.Metrics), []string{"response_time"}) || got.UnitPriceFen != 6000 {
		t.Errorf("UpdateItem(price) metrics/price = %v/%d, want [response_time]/6000", codes(got.Metrics), got.UnitPriceFen)
	}
	got = w.update(t, w.officerA, item.ID, catalog.ItemInput{CategoryCode: ptr("ELDERLY_DAY_CARE")})
	if diff := cmp.Diff(w.itemMetrics(t, "ELDERLY_DAY_CARE", w.d.ID), got.Metrics, metricOwner); diff != "" {
		t.Errorf("UpdateItem(category) metrics mismatch (-want +got):\n%s", diff)
	}
	_, err := w.svc.UpdateItem(ctx, w.officerA, item.ID, catalog.ItemInput{CommunityIDs: ptr([]int64{w.b1.ID})})
	apperrtest.WantInvalid(t, err, "community_ids")
	_, err = w.svc.UpdateItem(ctx, w.officerA, item.ID, catalog.ItemInput{Metrics: &[]catalog.MetricChoice{{Code: "service_visits"}, {Code: "service_visits"}}})
	apperrtest.WantInvalid(t, err, "metrics")

	versions, err := w.svc.Versions(ctx, w.officerA, item.ID)
	if err != nil || len(versions) != 1 {
		t.Fatalf("Versions() = %d versions, %v, want 1", len(versions), err)
	}
	if diff := cmp.Diff(got, versions[0]); diff != "" {
		t.Errorf("Versions()[0] mismatch the last edit (-want +got):\n%s", diff)
	}
	if n := w.audited(t, "transfer_item.edit"); n != 3 {
		t.Errorf("transfer_item.edit audit entries = %d, want 3", n)
	}
}

// refusedSQL are statements that change a published or superseded version of
// item id (version 1 superseded, version 2 published, both with communities
// a1 and a2) behind the service's back; the triggers refuse every one.
func refusedSQL(w *world, id int64) []struct {
	name string
	sql  string
	args []any
} {
	type stmt = struct {
		name string
		sql  string
		args []any
	}
	return []stmt{
		{"edit superseded title", `UPDATE transfer_item_versions SET title = 'x' WHERE item_id = ? AND version = 1`, []any{id}},
		{"edit published title", `UPDATE transfer_item_versions SET title = 'x' WHERE item_id = ? AND version = 2`, []any{id}},
		{"edit published price", `UPDATE transfer_item_versions SET unit_price_fen = 1 WHERE item_id = ? AND version = 2`, []any{id}},
		{"supersede with a change", `UPDATE transfer_item_versions SET status = 'superseded', description = 'x' WHERE item_id = ? AND version = 2`, []any{id}},
		{"published back to draft", `UPDATE transfer_item_versions SET status = 'draft' WHERE item_id = ? AND version = 2`, []any{id}},
		{"superseded back to published", `UPDATE transfer_item_versions SET status = 'published' WHERE item_id = ? AND version = 1`, []any{id}},
		{"rewrite publication time", `UPDATE transfer_item_versions SET published_at = now() WHERE item_id = ? AND version = 2`, []any{id}},
		{"delete published version", `DELETE FROM transfer_item_versions WHERE item_id = ? AND version = 2`, []any{id}},
		{"delete superseded version", `DELETE FROM transfer_item_versions WHERE item_id = ? AND version = 1`, []any{id}},
		{"insert metric", `INSERT INTO transfer_item_metrics (item_id, version, code, name_zh, name_en, unit, direction, source, target, weight)
			VALUES (?, 2, 'extra_metric', '额外', 'Extra', '次', 'higher', 'evaluator', 1, 10)`, []any{id}},
		{"delete metric", `DELETE FROM transfer_item_metrics WHERE item_id = ? AND version = 2 AND code = 'complaints_upheld'`, []any{id}},
		{"change metric target", `UPDATE transfer_item_metrics SET target = 1 WHERE item_id = ? AND version = 1`, []any{id}},
		{"insert community", `INSERT INTO transfer_item_communities (item_id, version, community_id) VALUES (?, 2, ?)`, []any{id, w.b1.ID}},
		{"delete community", `DELETE FROM transfer_item_communities WHERE item_id = ? AND version = 1`, []any{id}},
	}
}

func TestItemLifecycle(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	in := input("居家养老上门服务", "ELDERLY_HOME_CARE")
	in.CommunityIDs = ptr([]int64{w.a1.ID, w.a2.ID})
	item := w.create(t, w.officerA, in)
	id := item.ID

	// Another district listing the category does not put it in this one's catalog.
	w.allow(t, w.adminE, "ELDERLY_HOME_CARE", "A01")
	_, err := w.svc.PublishItem(ctx, w.officerA, id)
	apperrtest.WantErr(t, "PublishItem(not in catalog)", err, catalog.ErrNotInCatalog)
	if got, _ := w.svc.GetItem(ctx, w.officerA, id, 0); got.Status != "draft" || got.VersionStatus != "draft" {
		t.Errorf("after a refused publication status = %s/%s, want draft/draft", got.Status, got.VersionStatus)
	}
	w.allow(t, w.adminD, "ELDERLY_HOME_CARE", "A01")
	_, err = w.svc.PublishedItem(ctx, w.officerA, id)
	apperrtest.WantErr(t, "PublishedItem(never published)", err, catalog.ErrNoPublished)

	w.clock.Advance(time.Hour)
	published1 := start.Add(time.Hour)
	v1 := w.publish(t, w.officerA, id)
	if v1.Status != "published" || v1.Version != 1 || v1.VersionStatus != "published" || deref(v1.PublishedVersion) != 1 ||
		v1.PublishedAt == nil || !v1.PublishedAt.Equal(published1) {
		t.Errorf("PublishItem() = %+v, want version 1 published at %v", v1, published1)
	}
	if diff := cmp.Diff(item, v1, cmpopts.IgnoreFields(catalog.View{}, "Status", "PublishedVersion", "VersionStatus",
		"PublishedAt", "UpdatedAt")); diff != "" {
		t.Errorf("PublishItem() changed the content (-draft +published):\n%s", diff)
	}
	_, err = w.svc.PublishItem(ctx, w.officerA, id)
	apperrtest.WantErr(t, "PublishItem(no draft)", err, catalog.ErrNoDraft)

	// Editing the published item starts version 2 and leaves version 1 alone.
	w.clock.Advance(time.Hour)
	v2 := w.update(t, w.officerA, id, catalog.ItemInput{Title: ptr("居家养老上门服务（2027年度）"), UnitPriceFen: ptr(money.Fen(5500))})
	if v2.Version != 2 || v2.VersionStatus != "draft" || v2.Status != "published" || deref(v2.PublishedVersion) != 1 ||
		v2.PublishedAt != nil || v2.Title != "居家养老上门服务（2027年度）" || v2.UnitPriceFen != 5500 {
		t.Errorf("UpdateItem(published) = %+v, want a version 2 draft", v2)
	}
	if diff := cmp.Diff(v1, v2, metricOwner, cmpopts.IgnoreFields(catalog.View{}, "Version", "VersionStatus", "Title", "UnitPriceFen",
		"PublishedAt", "UpdatedAt")); diff != "" {
		t.Errorf("version 2 does not start from version 1 (-v1 +v2):\n%s", diff)
	}
	if got, err := w.svc.GetItem(ctx, w.officerA, id, 1); err != nil || !cmp.Equal(v1, got) {
		t.Errorf("GetItem(version 1) after an edit: %v\n%s", err, cmp.Diff(v1, got))
	}
	public, err := w.svc.PublicItem(ctx, id)
	if err != nil || !cmp.Equal(v1, public) {
		t.Errorf("PublicItem() with a pending draft: %v\n%s", err, cmp.Diff(v1, public))
	}
	if inForce, err := w.svc.PublishedItem(ctx, w.officerA, id); err != nil || !cmp.Equal(v1, inForce) {
		t.Errorf("PublishedItem() with a pending draft: %v\n%s", err, cmp.Diff(v1, inForce))
	}
	// A second edit changes the version 2 draft, not a version 3.
	v2 = w.update(t, w.officerA, id, catalog.ItemInput{LegalBasis: ptr("《民政部 财政部关于政府购买社会工作服务的指导意见》")})
	if v2.Version != 2 || v2.Title != "居家养老上门服务（2027年度）" {
		t.Errorf("UpdateItem(draft of published) = version %d %q, want version 2 edited", v2.Version, v2.Title)
	}

	// Publishing version 2 supersedes version 1, which stays readable.
	w.clock.Advance(time.Hour)
	published2 := w.clock.Now()
	got := w.publish(t, w.officerA, id)
	if got.Version != 2 || got.VersionStatus != "published" || deref(got.PublishedVersion) != 2 || !got.PublishedAt.Equal(published2) {
		t.Errorf("PublishItem(version 2) = %+v, want version 2 published at %v", got, published2)
	}
	old, err := w.svc.GetItem(ctx, w.officerA, id, 1)
	if err != nil {
		t.Fatalf("GetItem(version 1) error = %v", err)
	}
	if old.VersionStatus != "superseded" {
		t.Errorf("version 1 status = %s, want superseded", old.VersionStatus)
	}
	if inForce, err := w.svc.PublishedItem(ctx, w.officerA, id); err != nil || !cmp.Equal(got, inForce) {
		t.Errorf("PublishedItem() after publishing version 2: %v\n%s", err, cmp.Diff(got, inForce))
	}
	if diff := cmp.Diff(v1, old, cmpopts.IgnoreFields(catalog.View{}, "VersionStatus", "PublishedVersion", "UpdatedAt")); diff != "" {
		t.Errorf("version 1 content changed when superseded (-published +superseded):\n%s", diff)
	}
	versions, err := w.svc.Versions(ctx, w.officerA, id)
	if err != nil {
		t.Fatalf("Versions() error = %v", err)
	}
	var states []string
	for _, v := range versions {
		states = append(states, v.VersionStatus)
	}
	if len(versions) != 2 || versions[0].Version != 2 || versions[1].Version != 1 || !cmp.Equal(states, []string{"published", "superseded"}) {
		t.Errorf("Versions() = %d versions %v, want 2 published, 1 superseded", len(versions), states)
	} else if !cmp.Equal(versions[1], old) || !cmp.Equal(versions[0], got) {
		t.Errorf("Versions() differ from GetItem():\n%s\n%s", cmp.Diff(got, versions[0]), cmp.Diff(old, versions[1]))
	}

	// Behind the service's back, the database refuses to change either version.
	for _, s := range refusedSQL(w, id) {
		if err := w.db.Exec(s.sql, s.args...).Error; err == nil {
			t.Errorf("%s: %s succeeded, want the trigger to refuse it", s.name, s.sql)
		}
	}
	for _, want := range []catalog.View{got, old} {
		if now, err := w.svc.GetItem(ctx, w.officerA, id, want.Version); err != nil || !cmp.Equal(want, now) {
			t.Errorf("version %d after refused SQL: %v\n%s", want.Version, err, cmp.Diff(want, now))
		}
	}

	// Retiring discards the pending draft and retires the published version.
	w.update(t, w.officerA, id, catalog.ItemInput{Title: ptr("将被丢弃的草稿")})

	// With a draft (version 3) to move them to, a published version's parts
	// still cannot be moved away from it.
	for _, stmt := range []string{
		`UPDATE transfer_item_metrics SET version = 3 WHERE item_id = ? AND version = 2 AND code = 'complaints_upheld'`,
		`UPDATE transfer_item_communities SET version = 3 WHERE item_id = ? AND version = 2`,
	} {
		if err := w.db.Exec(`DELETE FROM transfer_item_metrics WHERE item_id = ? AND version = 3`, id).Error; err != nil {
			t.Fatal(err)
		}
		if err := w.db.Exec(`DELETE FROM transfer_item_communities WHERE item_id = ? AND version = 3`, id).Error; err != nil {
			t.Fatal(err)
		}
		if err := w.db.Exec(stmt, id).Error; err == nil {
			t.Errorf("%s succeeded, want the trigger to refuse moving a published version's part", stmt)
		}
	}
	if now, err := w.svc.GetItem(ctx, w.officerA, id, 2); err != nil || !cmp.Equal(got, now) {
		t.Errorf("version 2 after refused moves: %v\n%s", err, cmp.Diff(got, now))
	}
	w.clock.Advance(time.Hour)
	retired, err := w.svc.RetireItem(ctx, w.officerA, id)
	if err != nil {
		t.Fatalf("RetireItem() error = %v", err)
	}
	if retired.Status != "retired" || retired.Version != 2 || retired.VersionStatus != "retired" || deref(retired.PublishedVersion) != 2 {
		t.Errorf("RetireItem() = %+v, want version 2 retired", retired)
	}
	if diff := cmp.Diff(got, retired, cmpopts.IgnoreFields(catalog.View{}, "Status", "VersionStatus", "UpdatedAt")); diff != "" {
		t.Errorf("RetireItem() changed the content (-published +retired):\n%s", diff)
	}
	for _, table := range []string{"transfer_item_versions", "transfer_item_metrics", "transfer_item_communities"} {
		if n := w.count(t, `SELECT count(*) FROM `+table+` WHERE item_id = ? AND version = 3`, id); n != 0 {
			t.Errorf("%s rows of the discarded draft = %d, want 0", table, n)
		}
	}
	if versions, err := w.svc.Versions(ctx, w.officerA, id); err != nil || len(versions) != 2 || versions[1].VersionStatus != "superseded" {
		t.Errorf("Versions() after retirement = %d versions, %v, want 2 (retired, superseded)", len(versions), err)
	}
	if public, err := w.svc.PublicItem(ctx, id); err != nil || public.Version != 2 || public.Title != got.Title || public.VersionStatus != "retired" {
		t.Errorf("PublicItem(retired) = version %d %q %s, %v, want its last published version", public.Version, public.Title, public.VersionStatus, err)
	}

	_, err = w.svc.UpdateItem(ctx, w.officerA, id, catalog.ItemInput{Title: ptr("复活")})
	apperrtest.WantErr(t, "UpdateItem(retired)", err, catalog.ErrRetired)
	_, err = w.svc.PublishItem(ctx, w.officerA, id)
	apperrtest.WantErr(t, "PublishItem(retired)", err, catalog.ErrRetired)
	_, err = w.svc.RetireItem(ctx, w.officerA, id)
	apperrtest.WantErr(t, "RetireItem(retired)", err, catalog.ErrNotPublished)
	_, err = w.svc.PublishedItem(ctx, w.officerA, id)
	apperrtest.WantErr(t, "PublishedItem(retired)", err, catalog.ErrNoPublished)

	if n := w.count(t, `SELECT count(*) FROM transfer_item_versions WHERE item_id = ? AND version = 2
		AND created_by = ? AND published_by = ?`, id, w.officerA.UserID, w.officerA.UserID); n != 1 {
		t.Errorf("version 2 rows created and published by officer-a = %d, want 1", n)
	}
	for action, want := range map[string]int64{
		"transfer_item.create": 1, "transfer_item.new_version": 2, "transfer_item.edit": 1,
		"transfer_item.publish": 2, "transfer_item.retire": 1,
	} {
		n := w.count(t, `SELECT count(*) FROM audit_entries WHERE action = ? AND entity_type = 'transfer_item'
			AND entity_id = ? AND actor_id = ? AND actor_role = 'procurement_officer'`, action, strconv.FormatInt(id, 10), w.officerA.UserID)
		if n != want {
			t.Errorf("%s audit entries by officer-a on item %d = %d, want %d", action, id, n, want)
		}
	}
	if _, err := audit.IntegrateAll(ctx, w.db); err != nil { // as the sequencer does
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, w.db)
	if err != nil || rep.Broken != nil || rep.Entries != w.count(t, `SELECT count(*) FROM audit_entries`) {
		t.Errorf("audit.Verify() = %+v, %v, want every entry intact", rep, err)
	}
}

func TestRetireDraftItem(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	item := w.create(t, w.officerA, input("居家养老上门服务", "ELDERLY_HOME_CARE"))
	_, err := w.svc.RetireItem(t.Context(), w.officerA, item.ID)
	apperrtest.WantErr(t, "RetireItem(draft)", err, catalog.ErrNotPublished)
	if got, err := w.svc.GetItem(t.Context(), w.officerA, item.ID, 0); err != nil || !cmp.Equal(item, got) {
		t.Errorf("GetItem() after a refused retirement: %v\n%s", err, cmp.Diff(item, got))
	}
	// A category changed in the draft is checked against the catalog when published.
	w.allow(t, w.adminD, "ELDERLY_HOME_CARE", "A01")
	w.update(t, w.officerA, item.ID, catalog.ItemInput{CategoryCode: ptr("LEGAL_AID")})
	_, err = w.svc.PublishItem(t.Context(), w.officerA, item.ID)
	apperrtest.WantErr(t, "PublishItem(category changed)", err, catalog.ErrNotInCatalog)
	if n := w.audited(t, "transfer_item.retire") + w.audited(t, "transfer_item.publish"); n != 0 {
		t.Errorf("retire/publish audit entries = %d, want 0", n)
	}
}

func TestItemScope(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.allow(t, w.adminD, "ELDERLY_HOME_CARE", "A01")
	draft := w.create(t, w.officerA, input("居家养老草稿", "ELDERLY_HOME_CARE"))
	published := w.create(t, w.officerA, input("居家养老上门服务", "ELDERLY_HOME_CARE"))
	published = w.publish(t, w.officerA, published.ID)

	for _, tc := range []struct {
		name  string
		by    access.Actor
		read  error // GetItem and Versions
		write error // UpdateItem, PublishItem, RetireItem
	}{
		{"officer of B", w.officerB, apperr.ErrNotFound, apperr.ErrNotFound},
		{"officer of another district", w.officerC, apperr.ErrNotFound, apperr.ErrNotFound},
		{"district admin", w.adminD, nil, apperr.ErrForbidden},
		{"another district's admin", w.adminE, apperr.ErrNotFound, apperr.ErrForbidden},
		{"finance officer of A", w.financeA, nil, apperr.ErrForbidden},
		{"platform admin", platform, nil, apperr.ErrForbidden},
		{"org admin", w.orgAdmin, apperr.ErrNotFound, apperr.ErrForbidden},
		{"anonymous", access.Anonymous("req", "127.0.0.1"), apperr.ErrNotFound, apperr.ErrForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			for _, want := range []catalog.View{draft, published} {
				got, err := w.svc.GetItem(ctx, tc.by, want.ID, 0)
				if !isErr(err, tc.read) {
					t.Errorf("GetItem(%d) error = %v, want %v", want.ID, err, tc.read)
				} else if err == nil && !cmp.Equal(want, got) {
					t.Errorf("GetItem(%d) mismatch (-want +got):\n%s", want.ID, cmp.Diff(want, got))
				}
				_, err = w.svc.Versions(ctx, tc.by, want.ID)
				if !isErr(err, tc.read) {
					t.Errorf("Versions(%d) error = %v, want %v", want.ID, err, tc.read)
				}
				inForce, err := w.svc.PublishedItem(ctx, tc.by, want.ID)
				wantInForce := tc.read
				if wantInForce == nil && want.ID == draft.ID {
					wantInForce = catalog.ErrNoPublished
				}
				if !isErr(err, wantInForce) {
					t.Errorf("PublishedItem(%d) error = %v, want %v", want.ID, err, wantInForce)
				} else if err == nil && !cmp.Equal(want, inForce) {
					t.Errorf("PublishedItem(%d) mismatch (-want +got):\n%s", want.ID, cmp.Diff(want, inForce))
				}
				_, err = w.svc.UpdateItem(ctx, tc.by, want.ID, catalog.ItemInput{Title: ptr("篡改")})
				apperrtest.WantErr(t, "UpdateItem()", err, tc.write)
				_, err = w.svc.PublishItem(ctx, tc.by, want.ID)
				apperrtest.WantErr(t, "PublishItem()", err, tc.write)
				_, err = w.svc.RetireItem(ctx, tc.by, want.ID)
				apperrtest.WantErr(t, "RetireItem()", err, tc.write)
			}
			list, err := w.svc.ListItems(ctx, tc.by)
			if err != nil {
				t.Fatalf("ListItems() error = %v", err)
			}
			want := []catalog.View{}
			if tc.read == nil {
				want = []catalog.View{published, draft} // newest first
			}
			if diff := cmp.Diff(want, list); diff != "" {
				t.Errorf("ListItems() mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Cleanup(func() {
		ctx := context.Background()
		for _, want := range []catalog.View{draft, published} {
			if got, err := w.svc.GetItem(ctx, w.officerA, want.ID, 0); err != nil || !cmp.Equal(want, got) {
				t.Errorf("item %d after refused changes: %v\n%s", want.ID, err, cmp.Diff(want, got))
			}
		}
		if n := w.count(t, `SELECT count(*) FROM audit_entries WHERE action LIKE 'transfer_item.%'`); n != 3 {
			t.Errorf("transfer item audit entries = %d, want 3 (two creations, one publication)", n)
		}
	})
}
