package catalog_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/apperr/apperrtest"
	"github.com/jiedao-market/jiedao/internal/catalog"
)

// domainCategories is DOMAIN.md's list of service categories, in its order.
var domainCategories = []struct{ code, zh string }{
	{"ELDERLY_HOME_CARE", "居家养老服务"},
	{"ELDERLY_DAY_CARE", "老年人日间照料"},
	{"ELDERLY_APARTMENT", "老年公寓服务"},
	{"DISABILITY_SUPPORT", "残疾人帮扶"},
	{"SOCIAL_ASSISTANCE", "社会救助服务"},
	{"CHARITY_SUPERMARKET", "慈善超市服务"},
	{"VOLUNTEER_SERVICE", "志愿者服务"},
	{"YOUTH_GUIDANCE", "青少年教育引导"},
	{"LEGAL_AID", "法律咨询服务"},
	{"CIVIL_MEDIATION", "民间调解"},
	{"EMPLOYMENT_SERVICE", "就业援助服务"},
	{"COMMUNITY_EDUCATION", "社区教育与技能培训"},
	{"CULTURE_SPORTS", "文体活动"},
	{"COMMUNITY_HEALTH", "社区卫生计生服务"},
	{"SOCIAL_WORK_STATION", "社区社工站运营"},
	{"SERVICE_HOTLINE", "社区服务热线"},
}

// metricKey is the part of a metric template the standards are judged by.
type metricKey struct {
	Code      string
	Direction string
	Target    float64
	Weight    int
	Status    string
	District  int64
}

func keys(ms []catalog.MetricTemplate) []metricKey {
	out := make([]metricKey, len(ms))
	for i, m := range ms {
		out[i] = metricKey{Code: m.Code, Direction: m.Direction, Target: m.DefaultTarget, Weight: m.DefaultWeight, Status: m.Status}
		if m.DistrictID != nil {
			out[i].District = *m.DistrictID
		}
	}
	return out
}

var sortKeys = cmpopts.SortSlices(func(a, b metricKey) bool { return a.Code < b.Code })

// shippedHomeCare is ELDERLY_HOME_CARE as shipped (the worked example's set).
var shippedHomeCare = []metricKey{
	{Code: "service_visits", Direction: "higher", Target: 1200, Weight: 30, Status: "active"},
	{Code: "elderly_coverage", Direction: "higher", Target: 90, Weight: 20, Status: "active"},
	{Code: "response_time", Direction: "lower", Target: 24, Weight: 20, Status: "active"},
	{Code: "resident_satisfaction", Direction: "higher", Target: 85, Weight: 20, Status: "active"},
	{Code: "complaints_upheld", Direction: "lower", Target: 2, Weight: 10, Status: "active"},
}

func TestListStandardsShipped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// A district's adjustment must not leak into the shipped standards.
	if _, err := w.svc.AdjustMetric(t.Context(), w.adminD, "ELDERLY_HOME_CARE", "service_visits",
		catalog.MetricInput{DefaultTarget: ptr(1500.0)}); err != nil {
		t.Fatalf("AdjustMetric() error = %v", err)
	}
	for _, districtID := range []int64{0, w.e.ID} {
		got, err := w.svc.ListStandards(t.Context(), districtID)
		if err != nil {
			t.Fatalf("ListStandards(%d) error = %v", districtID, err)
		}
		if len(got) != len(domainCategories) {
			t.Fatalf("ListStandards(%d) = %d categories, want %d", districtID, len(got), len(domainCategories))
		}
		for i, want := range domainCategories {
			s := got[i]
			if s.Code != want.code || s.NameZh != want.zh || s.NameEn == "" {
				t.Errorf("category %d = %s %s %q, want %s %s", i, s.Code, s.NameZh, s.NameEn, want.code, want.zh)
			}
			if n := len(s.Metrics); n < 4 || n > 8 {
				t.Errorf("%s has %d metrics, want 4 to 8", s.Code, n)
			}
			weights := 0
			satisfaction := false
			for _, m := range s.Metrics {
				weights += m.DefaultWeight
				if m.DistrictID != nil || m.Status != "active" {
					t.Errorf("%s.%s district/status = %v/%s, want shipped and active", s.Code, m.Code, m.DistrictID, m.Status)
				}
				if m.NameZh == "" || m.NameEn == "" || m.Unit == "" {
					t.Errorf("%s.%s names/unit = %q/%q/%q, want all set", s.Code, m.Code, m.NameZh, m.NameEn, m.Unit)
				}
				if m.Code == "resident_satisfaction" {
					satisfaction = m.DefaultTarget == 85 && m.Source == "resident_ratings" && m.Direction == "higher"
				}
			}
			if weights != 100 {
				t.Errorf("%s default weights sum to %d, want 100", s.Code, weights)
			}
			if !satisfaction {
				t.Errorf("%s lacks resident_satisfaction (resident_ratings, higher, 85)", s.Code)
			}
		}
		if diff := cmp.Diff(shippedHomeCare, keys(got[0].Metrics), sortKeys); diff != "" {
			t.Errorf("ListStandards(%d) ELDERLY_HOME_CARE mismatch (-want +got):\n%s", districtID, diff)
		}
	}
}

func TestGetStandard(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	got, err := w.svc.GetStandard(t.Context(), "ELDERLY_HOME_CARE", 0)
	if err != nil {
		t.Fatalf("GetStandard() error = %v", err)
	}
	if got.NameZh != "居家养老服务" {
		t.Errorf("GetStandard() name = %q, want 居家养老服务", got.NameZh)
	}
	if diff := cmp.Diff(shippedHomeCare, keys(got.Metrics), sortKeys); diff != "" {
		t.Errorf("GetStandard() mismatch (-want +got):\n%s", diff)
	}
	byCode := map[string]catalog.MetricTemplate{}
	for _, m := range got.Metrics {
		byCode[m.Code] = m
	}
	if m := byCode["service_visits"]; m.Source != "service_records" || m.Unit != "次" {
		t.Errorf("service_visits source/unit = %s/%s, want service_records/次", m.Source, m.Unit)
	}
	if _, err := w.svc.GetStandard(t.Context(), "NO_SUCH_CATEGORY", 0); !isErr(err, apperr.ErrNotFound) {
		t.Errorf("GetStandard(unknown) error = %v, want %v", err, apperr.ErrNotFound)
	}
}

// standardOf returns the metric keys of category in force for district.
func (w *world) standardOf(t *testing.T, category string, districtID int64) []metricKey {
	t.Helper()
	s, err := w.svc.GetStandard(t.Context(), category, districtID)
	if err != nil {
		t.Fatalf("GetStandard(%s, %d) error = %v", category, districtID, err)
	}
	return keys(s.Metrics)
}

func TestAdjustMetric(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	got, err := w.svc.AdjustMetric(ctx, w.adminD, "ELDERLY_HOME_CARE", "service_visits",
		catalog.MetricInput{DefaultTarget: ptr(1500.0), NameZh: ptr("上门服务人次（吴兴）")})
	if err != nil {
		t.Fatalf("AdjustMetric() error = %v", err)
	}
	if got.DistrictID == nil || *got.DistrictID != w.d.ID || got.DefaultTarget != 1500 || got.DefaultWeight != 30 ||
		got.NameZh != "上门服务人次（吴兴）" || got.Direction != "higher" || got.Source != "service_records" {
		t.Errorf("AdjustMetric() = %+v, want district %d's copy with target 1500 and the shipped rest", got, w.d.ID)
	}

	adjusted := append([]metricKey(nil), shippedHomeCare...)
	adjusted[0] = metricKey{Code: "service_visits", Direction: "higher", Target: 1500, Weight: 30, Status: "active", District: w.d.ID}
	for _, tc := range []struct {
		name     string
		district int64
		want     []metricKey
	}{
		{"own district", w.d.ID, adjusted},
		{"other district", w.e.ID, shippedHomeCare},
		{"shipped", 0, shippedHomeCare},
	} {
		if diff := cmp.Diff(tc.want, w.standardOf(t, "ELDERLY_HOME_CARE", tc.district), sortKeys); diff != "" {
			t.Errorf("GetStandard() for %s mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
	list, err := w.svc.ListStandards(ctx, w.d.ID)
	if err != nil {
		t.Fatalf("ListStandards() error = %v", err)
	}
	if diff := cmp.Diff(adjusted, keys(list[0].Metrics), sortKeys); diff != "" {
		t.Errorf("ListStandards(district) ELDERLY_HOME_CARE mismatch (-want +got):\n%s", diff)
	}

	// A second adjustment changes the district's own row, it does not add one.
	if _, err := w.svc.AdjustMetric(ctx, w.adminD, "ELDERLY_HOME_CARE", "service_visits",
		catalog.MetricInput{DefaultWeight: ptr(40)}); err != nil {
		t.Fatalf("AdjustMetric() again error = %v", err)
	}
	if n := w.count(t, `SELECT count(*) FROM metric_templates WHERE code = 'service_visits' AND category_code = 'ELDERLY_HOME_CARE' AND district_id = ?`, w.d.ID); n != 1 {
		t.Errorf("district rows of service_visits = %d, want 1", n)
	}
	if n := w.count(t, `SELECT count(*) FROM metric_templates WHERE code = 'service_visits' AND category_code = 'ELDERLY_HOME_CARE'
		AND district_id IS NULL AND default_target = 1200 AND default_weight = 30 AND name_zh = '上门服务人次'`); n != 1 {
		t.Errorf("shipped service_visits rows unchanged = %d, want 1", n)
	}
	adjusted[0].Weight = 40
	if diff := cmp.Diff(adjusted, w.standardOf(t, "ELDERLY_HOME_CARE", w.d.ID), sortKeys); diff != "" {
		t.Errorf("GetStandard() after second adjustment mismatch (-want +got):\n%s", diff)
	}
	if n := w.audited(t, "metric.adjust"); n != 2 {
		t.Errorf("metric.adjust audit entries = %d, want 2", n)
	}

	for _, tc := range []struct{ category, code string }{
		{"ELDERLY_HOME_CARE", "no_such_metric"},
		{"NO_SUCH_CATEGORY", "service_visits"},
		{"LEGAL_AID", "elderly_coverage"}, // a metric of another category
	} {
		_, err := w.svc.AdjustMetric(ctx, w.adminD, tc.category, tc.code, catalog.MetricInput{DefaultTarget: ptr(1.0)})
		apperrtest.WantErr(t, "AdjustMetric("+tc.category+", "+tc.code+")", err, apperr.ErrNotFound)
	}
}

func TestAddMetric(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	in := catalog.MetricInput{Code: "meal_deliveries", NameZh: ptr("助餐送餐人次"), NameEn: ptr("Meals delivered"), Unit: ptr("次"),
		Direction: ptr("higher"), Source: ptr("service_records"), DefaultTarget: ptr(3000.0), DefaultWeight: ptr(10)}
	got, err := w.svc.AddMetric(ctx, w.adminD, "ELDERLY_HOME_CARE", in)
	if err != nil {
		t.Fatalf("AddMetric() error = %v", err)
	}
	if got.ID == 0 || got.DistrictID == nil || *got.DistrictID != w.d.ID || got.Status != "active" || got.DefaultTarget != 3000 {
		t.Errorf("AddMetric() = %+v, want an active row of district %d", got, w.d.ID)
	}
	added := append(append([]metricKey(nil), shippedHomeCare...),
		metricKey{Code: "meal_deliveries", Direction: "higher", Target: 3000, Weight: 10, Status: "active", District: w.d.ID})
	if diff := cmp.Diff(added, w.standardOf(t, "ELDERLY_HOME_CARE", w.d.ID), sortKeys); diff != "" {
		t.Errorf("GetStandard(district) mismatch (-want +got):\n%s", diff)
	}
	for _, id := range []int64{0, w.e.ID} {
		if diff := cmp.Diff(shippedHomeCare, w.standardOf(t, "ELDERLY_HOME_CARE", id), sortKeys); diff != "" {
			t.Errorf("GetStandard(%d) mismatch (-want +got):\n%s", id, diff)
		}
	}

	for _, tc := range []struct {
		name     string
		by       access.Actor
		category string
		code     string
		want     error
	}{
		{"same code again", w.adminD, "ELDERLY_HOME_CARE", "meal_deliveries", catalog.ErrMetricExists},
		{"a shipped code", w.adminD, "ELDERLY_HOME_CARE", "service_visits", catalog.ErrMetricExists},
		{"unknown category", w.adminD, "NO_SUCH_CATEGORY", "meal_deliveries", apperr.ErrNotFound},
		{"same code in another district", w.adminE, "ELDERLY_HOME_CARE", "meal_deliveries", nil},
		{"same code in another category", w.adminD, "ELDERLY_DAY_CARE", "meal_deliveries", nil},
	} {
		in := in
		in.Code = tc.code
		_, err := w.svc.AddMetric(ctx, tc.by, tc.category, in)
		if !isErr(err, tc.want) {
			t.Errorf("AddMetric() %s error = %v, want %v", tc.name, err, tc.want)
		}
	}
	if n := w.audited(t, "metric.add"); n != 3 {
		t.Errorf("metric.add audit entries = %d, want 3", n)
	}
}

func TestRetireMetric(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	got, err := w.svc.RetireMetric(ctx, w.adminD, "ELDERLY_HOME_CARE", "complaints_upheld")
	if err != nil {
		t.Fatalf("RetireMetric() error = %v", err)
	}
	if got.Status != "retired" || got.DistrictID == nil || *got.DistrictID != w.d.ID || got.DefaultTarget != 2 {
		t.Errorf("RetireMetric() = %+v, want district %d's retired copy", got, w.d.ID)
	}
	retired := append([]metricKey(nil), shippedHomeCare...)
	retired[4] = metricKey{Code: "complaints_upheld", Direction: "lower", Target: 2, Weight: 10, Status: "retired", District: w.d.ID}
	if diff := cmp.Diff(retired, w.standardOf(t, "ELDERLY_HOME_CARE", w.d.ID), sortKeys); diff != "" {
		t.Errorf("GetStandard(district) mismatch (-want +got):\n%s", diff)
	}
	for _, id := range []int64{0, w.e.ID} {
		if diff := cmp.Diff(shippedHomeCare, w.standardOf(t, "ELDERLY_HOME_CARE", id), sortKeys); diff != "" {
			t.Errorf("GetStandard(%d) mismatch (-want +got):\n%s", id, diff)
		}
	}
	if n := w.audited(t, "metric.retire"); n != 1 {
		t.Errorf("metric.retire audit entries = %d, want 1", n)
	}
	_, err = w.svc.RetireMetric(ctx, w.adminD, "ELDERLY_HOME_CARE", "no_such_metric")
	apperrtest.WantErr(t, "RetireMetric(unknown)", err, apperr.ErrNotFound)
}

func TestMetricRoles(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	adminWithoutDistrict := w.adminD
	adminWithoutDistrict.Scope = access.Scope{}
	add := catalog.MetricInput{Code: "meal_deliveries", NameZh: ptr("助餐送餐人次"), NameEn: ptr("Meals delivered"), Unit: ptr("次"),
		Direction: ptr("higher"), Source: ptr("service_records"), DefaultTarget: ptr(3000.0), DefaultWeight: ptr(10)}
	for _, by := range []access.Actor{w.officerA, w.financeA, w.evaluatorD, w.orgAdmin, platform,
		access.Anonymous("req", "127.0.0.1"), adminWithoutDistrict} {
		t.Run(string(by.Role)+"/"+by.Username, func(t *testing.T) {
			t.Parallel()
			_, err := w.svc.AddMetric(t.Context(), by, "ELDERLY_HOME_CARE", add)
			apperrtest.WantErr(t, "AddMetric()", err, apperr.ErrForbidden)
			_, err = w.svc.AdjustMetric(t.Context(), by, "ELDERLY_HOME_CARE", "service_visits", catalog.MetricInput{DefaultTarget: ptr(1.0)})
			apperrtest.WantErr(t, "AdjustMetric()", err, apperr.ErrForbidden)
			_, err = w.svc.RetireMetric(t.Context(), by, "ELDERLY_HOME_CARE", "service_visits")
			apperrtest.WantErr(t, "RetireMetric()", err, apperr.ErrForbidden)
		})
	}
	t.Cleanup(func() {
		if n := w.count(t, `SELECT count(*) FROM metric_templates WHERE district_id IS NOT NULL`); n != 0 {
			t.Errorf("district metric rows after refused changes = %d, want 0", n)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_entries WHERE action LIKE 'metric.%'`); n != 0 {
			t.Errorf("metric audit entries after refused changes = %d, want 0", n)
		}
	})
}

func TestMetricValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	valid := func() catalog.MetricInput {
		return catalog.MetricInput{Code: "meal_deliveries", NameZh: ptr("助餐送餐人次"), NameEn: ptr("Meals delivered"), Unit: ptr("次"),
			Direction: ptr("higher"), Source: ptr("service_records"), DefaultTarget: ptr(3000.0), DefaultWeight: ptr(10)}
	}
	for _, tc := range []struct {
		name   string
		adjust bool // AdjustMetric of service_visits, else AddMetric
		change func(*catalog.MetricInput)
		fields []string
	}{
		{"add: bad code", false, func(in *catalog.MetricInput) { in.Code = "Meal-Deliveries" }, []string{"code"}},
		{"add: one-letter code", false, func(in *catalog.MetricInput) { in.Code = "m" }, []string{"code"}},
		{"add: no names", false, func(in *catalog.MetricInput) { in.NameZh, in.NameEn = ptr("  "), nil }, []string{"name_en", "name_zh"}},
		{"add: no weight", false, func(in *catalog.MetricInput) { in.DefaultWeight = nil }, []string{"default_weight"}},
		{"add: bad direction and source", false, func(in *catalog.MetricInput) { in.Direction, in.Source = ptr("up"), ptr("survey") },
			[]string{"direction", "source"}},
		{"add: long unit", false, func(in *catalog.MetricInput) {
			in.Unit = ptr("人次人次人次人次人次人次人次人次人次人次人次人次人次人次")
		}, []string{"unit"}},
		{"adjust: negative target", true, func(in *catalog.MetricInput) { *in = catalog.MetricInput{DefaultTarget: ptr(-1.0)} },
			[]string{"default_target"}},
		{"adjust: weight 0", true, func(in *catalog.MetricInput) { *in = catalog.MetricInput{DefaultWeight: ptr(0)} },
			[]string{"default_weight"}},
		{"adjust: weight 101", true, func(in *catalog.MetricInput) { *in = catalog.MetricInput{DefaultWeight: ptr(101)} },
			[]string{"default_weight"}},
		{"adjust: bad direction", true, func(in *catalog.MetricInput) { *in = catalog.MetricInput{Direction: ptr("sideways")} },
			[]string{"direction"}},
		{"adjust: empty name", true, func(in *catalog.MetricInput) { *in = catalog.MetricInput{NameEn: ptr("")} },
			[]string{"name_en"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := valid()
			tc.change(&in)
			var err error
			if tc.adjust {
				_, err = w.svc.AdjustMetric(t.Context(), w.adminD, "ELDERLY_HOME_CARE", "service_visits", in)
			} else {
				_, err = w.svc.AddMetric(t.Context(), w.adminD, "ELDERLY_HOME_CARE", in)
			}
			apperrtest.WantInvalid(t, err, tc.fields...)
		})
	}
	t.Cleanup(func() {
		if n := w.count(t, `SELECT count(*) FROM metric_templates WHERE district_id IS NOT NULL`); n != 0 {
			t.Errorf("district metric rows after invalid changes = %d, want 0", n)
		}
	})
}

func TestMetricTemplatesAreNeverDeleted(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if _, err := w.svc.AddMetric(t.Context(), w.adminD, "ELDERLY_HOME_CARE", catalog.MetricInput{Code: "meal_deliveries",
		NameZh: ptr("助餐送餐人次"), NameEn: ptr("Meals delivered"), Unit: ptr("次"), Direction: ptr("higher"),
		Source: ptr("service_records"), DefaultTarget: ptr(3000.0), DefaultWeight: ptr(10)}); err != nil {
		t.Fatalf("AddMetric() error = %v", err)
	}
	before := w.count(t, `SELECT count(*) FROM metric_templates`)
	for _, stmt := range []string{
		`DELETE FROM metric_templates`,
		`DELETE FROM metric_templates WHERE district_id IS NOT NULL`,
		`DELETE FROM metric_templates WHERE code = 'complaints_upheld'`,
	} {
		if err := w.db.Exec(stmt).Error; err == nil {
			t.Errorf("%s: error = nil, want the trigger to refuse it", stmt)
		}
	}
	if after := w.count(t, `SELECT count(*) FROM metric_templates`); after != before {
		t.Errorf("metric templates after DELETE = %d, want %d", after, before)
	}
}
