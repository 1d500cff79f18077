package evaluation_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/evaluation"
)

// WORKED_EXAMPLES §3 through the real service: a final evaluation of a
// contract whose records, ratings, requests and complaints were crafted to
// give the example's actuals scores 92.3, 优秀.
func TestWorkedExampleThroughTheService(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.setMetrics(t,
		metric{"service_visits", "次", "higher", "service_records", "1200", 30},
		metric{"elderly_coverage", "%", "higher", "service_records", "90", 20},
		metric{"response_time", "小时", "lower", "service_requests", "24", 20},
		metric{"resident_satisfaction", "%", "higher", "resident_ratings", "85", 20},
		metric{"complaints_upheld", "件", "lower", "complaints", "2", 10},
	)
	// 1,000 eligible people; 1,100 visits to 950 of them.
	for i, n := range []int{300, 300, 400} {
		if err := w.e.DB.Exec(`UPDATE contract_communities SET eligible_population = ? WHERE contract_id = ? AND community_id = ?`,
			n, w.c.ID, w.c.Communities[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	now := w.e.Clock.Now()
	if err := w.e.DB.Exec(`INSERT INTO service_records (contract_id, organization_id, community_id, service_date, service_type, duration_minutes,
		staff_name, beneficiary_ref, rating_code_hash, rating_expires_at, created_at, updated_at)
		SELECT ?, ?, (ARRAY[?, ?, ?]::bigint[])[(g % 3) + 1], ?::date + (g % 361), 'service_visits', 60, '测试员', 'B' || ((g - 1) % 950 + 1),
			sha256(convert_to('rec' || g || '-' || ?::bigint, 'UTF8')), ?, ?, ? FROM generate_series(1, 1100) g`,
		w.c.ID, w.e.Demo(t).Org1, w.c.Communities[0], w.c.Communities[1], w.c.Communities[2], w.c.ServiceStart, w.c.ID,
		now.Add(30*24*time.Hour), now, now).Error; err != nil {
		t.Fatalf("insert records: %v", err)
	}
	var ids []int64
	if err := w.e.DB.Table("service_records").Where("contract_id = ?", w.c.ID).Order("id").Limit(5).Pluck("id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	// Satisfaction 80 %: 4 of 5 ratings at 4 stars or more, of both kinds.
	w.rate(t, ids[0], "code", 5)
	w.rate(t, ids[1], "code", 4)
	w.rate(t, ids[2], "code", 2)
	w.rate(t, ids[3], "follow_up", 4)
	w.rate(t, ids[4], "follow_up", 4)
	// Response time 30 hours: accepted after 24 and 36 hours; a declined one counts in neither.
	t0 := w.c.ServiceStart.AddDays(10).StartInChina().Add(9 * time.Hour)
	w.request(t, t0, "accepted", 24*time.Hour)
	w.request(t, t0.Add(time.Hour), "accepted", 36*time.Hour)
	w.request(t, t0.Add(2*time.Hour), "declined", time.Hour)
	// No complaint upheld: one not upheld, one undecided.
	w.complain(t, t0, "not_upheld")
	w.complain(t, t0.Add(time.Hour), "")

	v := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindFinal})
	if v.PeriodStart != w.c.ServiceStart || v.PeriodEnd != w.c.ServiceEnd {
		t.Errorf("final period = %s to %s, want the service period %s to %s", v.PeriodStart, v.PeriodEnd, w.c.ServiceStart, w.c.ServiceEnd)
	}
	w.e.Clock.Advance(302 * 24 * time.Hour) // past the service end
	w.open(t, w.evaluator, v.ID)
	v, err := w.svc.Submit(ctx, w.evaluator, v.ID)
	if err != nil {
		t.Fatalf("Submit() error = %v", err)
	}
	if v.Status != evaluation.StatusSubmitted || *v.Score != "92.3" || *v.Grade != evaluation.GradeExcellent {
		t.Errorf("Submit() = %s %v %v, want submitted 92.3 excellent", v.Status, *v.Score, *v.Grade)
	}
	type row struct{ Code, Share, TargetUsed, Actual, Attainment string }
	var got []row
	for _, f := range v.Figures {
		got = append(got, row{f.Code, f.Share, f.TargetUsed, *f.Actual, *f.Attainment})
	}
	want := []row{
		{"service_visits", "1.000000", "1200.00", "1100.00", "0.916667"},
		{"elderly_coverage", "1.000000", "90.00", "95.00", "1.000000"},
		{"resident_satisfaction", "1.000000", "85.00", "80.00", "0.941176"},
		{"response_time", "1.000000", "24.00", "30.00", "0.800000"},
		{"complaints_upheld", "1.000000", "2.00", "0.00", "1.000000"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("figures (-want +got):\n%s", diff)
	}
}

// basis decodes a figure's basis.
func basis(t *testing.T, f evaluation.Figure) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(f.Basis, &m); err != nil {
		t.Fatalf("basis of %s: %v", f.Code, err)
	}
	return m
}

// A mid-term evaluation's computed figures equal hand counts on crafted
// records, ratings of both kinds, complaints and requests, with cumulative
// targets pro-rated to the 61 of 361 days elapsed, and each basis says what
// it counted.
func TestComputedFiguresEqualHandCounts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addMetrics(t,
		metric{"elderly_coverage", "%", "higher", "service_records", "50", 10},
		metric{"response_time", "小时", "lower", "service_requests", "24", 10},
		metric{"complaints_upheld", "件", "lower", "complaints", "2", 10},
		metric{"inspection_score", "分", "higher", "evaluator", "90", 10},
	)
	start, cm := w.c.ServiceStart, w.c.Communities
	r1 := w.record(t, start.AddDays(1), "service_visits", 60, cm[0], "B1")
	r2 := w.record(t, start.AddDays(2), "service_visits", 60, cm[1], "B2")
	r3 := w.record(t, start.AddDays(3), "service_visits", 60, cm[2], "B3")
	r4 := w.record(t, start.AddDays(4), "service_visits", 60, cm[0], "B1")
	w.record(t, w.today, "service_visits", 60, cm[1], "B2") // the period's last day counts
	w.record(t, start, "volunteer_hours", 90, cm[0], "B1")  // its first day too
	w.record(t, start.AddDays(20), "volunteer_hours", 45, cm[1], "B4")
	w.record(t, start.AddDays(21), "volunteer_hours", 30, cm[1], "B4")
	late := w.record(t, w.today.AddDays(1), "service_visits", 60, cm[2], "B9") // after the period
	w.rate(t, r1, "code", 5)
	w.rate(t, r2, "code", 3)
	w.rate(t, r3, "code", 4)
	w.rate(t, r1, "follow_up", 4)
	w.rate(t, r4, "follow_up", 1)
	w.rate(t, late, "code", 5)
	from := start.StartInChina()
	w.complain(t, from, "upheld") // at the first midnight: in
	w.complain(t, from.Add(30*24*time.Hour), "upheld")
	w.complain(t, from.Add(-time.Minute), "upheld") // the minute before: out
	w.complain(t, from.Add(40*24*time.Hour), "not_upheld")
	w.complain(t, from.Add(41*24*time.Hour), "")
	now := w.e.Clock.Now()
	w.request(t, from.Add(3*24*time.Hour), "accepted", 10*time.Hour)
	w.request(t, from.Add(5*24*time.Hour), "accepted", 4*time.Hour)
	w.request(t, from.Add(6*24*time.Hour), "declined", 2*time.Hour)
	w.request(t, now.Add(-6*time.Hour), "requested", 0)
	w.request(t, from.Add(-time.Hour), "accepted", 100*time.Hour) // before the period

	v := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindMidterm})
	if v.PeriodStart != start || v.PeriodEnd != w.today {
		t.Fatalf("mid-term period = %s to %s, want %s to %s", v.PeriodStart, v.PeriodEnd, start, w.today)
	}
	w.open(t, w.evaluator, v.ID)
	w.e.Clock.Advance(time.Minute) // the unanswered request waits 6 hours and a minute by now
	v = w.enter(t, w.evaluator, v.ID, map[string]string{"inspection_score": "88.5"})

	type row struct{ Code, Share, TargetUsed, Actual string }
	want := []row{
		{"service_visits", "0.168975", "202.77", "5.00"},
		{"satisfaction", "0.168975", "90.00", "60.00"},
		{"volunteer_hours", "0.168975", "337.95", "2.75"},
		{"complaints_upheld", "0.168975", "0.34", "2.00"},
		{"elderly_coverage", "0.168975", "50.00", "0.22"},
		{"inspection_score", "0.168975", "90.00", "88.50"},
		{"response_time", "0.168975", "24.00", "6.67"},
	}
	var got []row
	for _, f := range v.Figures {
		a := "<nil>"
		if f.Actual != nil {
			a = *f.Actual
		}
		got = append(got, row{f.Code, f.Share, f.TargetUsed, a})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("figures (-want +got):\n%s", diff)
	}

	checks := []struct {
		code string
		want map[string]any
	}{
		{"service_visits", map[string]any{"records": 5.0, "duration_minutes": 300.0, "exact": "5"}},
		{"volunteer_hours", map[string]any{"records": 3.0, "duration_minutes": 165.0, "exact": "11/4"}},
		{"elderly_coverage", map[string]any{"beneficiaries": 4.0, "eligible_population": 1800.0, "exact": "2/9"}},
		{"satisfaction", map[string]any{"ratings": 5.0, "satisfied": 3.0, "exact": "60",
			"by_kind": map[string]any{"code": map[string]any{"ratings": 3.0, "satisfied": 2.0}, "follow_up": map[string]any{"ratings": 2.0, "satisfied": 1.0}}}},
		{"complaints_upheld", map[string]any{"upheld": 2.0, "not_upheld": 1.0, "undecided": 1.0}},
		{"response_time", map[string]any{"accepted": 2.0, "accepted_hours": "14.00", "unanswered": 1.0, "unanswered_hours": "6.02",
			"declined": 1.0, "exact": "1201/180"}},
		{"inspection_score", map[string]any{"method": "entered by the evaluator"}},
	}
	for _, c := range checks {
		b := basis(t, figure(t, v, c.code))
		for k, want := range c.want {
			if diff := cmp.Diff(want, b[k]); diff != "" {
				t.Errorf("%s basis[%s] (-want +got):\n%s", c.code, k, diff)
			}
		}
		p, _ := b["period"].(map[string]any)
		if p["from"] != start.String() || p["to"] != w.today.String() {
			t.Errorf("%s basis period = %v, want %s to %s", c.code, p, start, w.today)
		}
	}
	pr := basis(t, figure(t, v, "service_visits"))["pro_rating"].(map[string]any)
	if pr["cumulative"] != true || pr["period_days"] != 61.0 || pr["service_days"] != 361.0 {
		t.Errorf("service_visits pro_rating = %v, want cumulative 61 of 361 days", pr)
	}
	if pr := basis(t, figure(t, v, "satisfaction"))["pro_rating"].(map[string]any); pr["cumulative"] != false {
		t.Errorf("satisfaction pro_rating = %v, want not cumulative", pr)
	}

	// Reading the evaluation computes as it stands and writes nothing.
	w.e.WritesNothing(t, "Get", func() {
		if _, err := w.svc.Get(ctx, w.orgAdmin, v.ID); err != nil {
			t.Fatalf("Get() error = %v", err)
		}
	})

	v, err := w.svc.Submit(ctx, w.evaluator, v.ID)
	if err != nil {
		t.Fatalf("Submit() error = %v", err)
	}
	// 100 × (40·5/202.77 + 30·2.75/337.95 + 30·60/90 + 10·0.22/50 + 10·1 + 10·0.34/2 + 10·88.5/90) ÷ 140 = 30.577
	if *v.Score != "30.6" || *v.Grade != evaluation.GradeFail {
		t.Errorf("Submit() = %s %s, want 30.6 fail", *v.Score, *v.Grade)
	}
	attain := map[string]string{"service_visits": "0.024658", "volunteer_hours": "0.008137", "satisfaction": "0.666667",
		"elderly_coverage": "0.004400", "response_time": "1.000000", "complaints_upheld": "0.170000", "inspection_score": "0.983333"}
	for code, want := range attain {
		if f := figure(t, v, code); f.Attainment == nil || *f.Attainment != want {
			t.Errorf("%s attainment = %v, want %s", code, f.Attainment, want)
		}
	}
	// The unanswered request had waited 6 h 1 min at the submission too:
	// the frozen figure is the one computed then.
	if got := *figure(t, v, "response_time").Actual; got != "6.67" {
		t.Errorf("frozen response_time = %s, want 6.67", got)
	}
}

// A computed figure with nothing to measure (no ratings) is left to the
// evaluator, whose value counts until the records give one.
func TestUnmeasurableFigureIsEntered(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindMidterm})
	if f := figure(t, v, "satisfaction"); f.Actual != nil || basis(t, f)["measurable"] != false {
		t.Fatalf("satisfaction without ratings = %v %s, want no actual, not measurable", f.Actual, f.Basis)
	}
	w.open(t, w.evaluator, v.ID)
	if _, err := w.svc.Submit(ctx, w.evaluator, v.ID); !is(err, evaluation.ErrFiguresMissing) {
		t.Fatalf("Submit() without satisfaction error = %v, want %v", err, evaluation.ErrFiguresMissing)
	}
	visits := "12"
	if _, err := w.svc.Update(ctx, w.evaluator, v.ID, evaluation.Patch{Figures: []evaluation.Entry{{Code: "service_visits", Actual: &visits}}}); !isInvalid(err, "figures[0].actual") {
		t.Errorf("entering a computed figure error = %v, want invalid figures[0].actual", err)
	}
	v = w.enter(t, w.evaluator, v.ID, map[string]string{"satisfaction": "92"})
	f := figure(t, v, "satisfaction")
	if f.Actual == nil || *f.Actual != "92.00" || f.EnteredBy == nil || basis(t, f)["entered_by_evaluator"] != true {
		t.Errorf("entered satisfaction = %v by %v, basis %s; want 92.00 by the evaluator", f.Actual, f.EnteredBy, f.Basis)
	}
	// A rating arrives: the computed value replaces the entry.
	rec := w.record(t, w.c.ServiceStart.AddDays(3), "service_visits", 30, w.c.Communities[0], "B1")
	w.rate(t, rec, "code", 3)
	notes := "复核"
	v, err := w.svc.Update(ctx, w.evaluator, v.ID, evaluation.Patch{Notes: &notes})
	if err != nil {
		t.Fatalf("Update() error = %v", err)
	}
	if f := figure(t, v, "satisfaction"); f.Actual == nil || *f.Actual != "0.00" || f.EnteredBy != nil {
		t.Errorf("satisfaction with one 3-star rating = %v by %v, want 0.00 computed", f.Actual, f.EnteredBy)
	}
}
