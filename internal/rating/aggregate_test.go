package rating_test

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/rating"
)

// TestAggregatesEqualRecomputation submits 1,000 random ratings (by code and
// by follow-up) and compares every aggregate, and the public figures, with a
// recomputation from the rating rows.
func TestAggregatesEqualRecomputation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(12, 1000))
	var follow []int64
	for i := 0; i < 1000; i++ {
		st := rating.Stars{Timeliness: 1 + rnd.IntN(5), Professionalism: 1 + rnd.IntN(5), Attitude: 1 + rnd.IntN(5),
			Effectiveness: 1 + rnd.IntN(5), Overall: 1 + rnd.IntN(5)}
		if i%4 == 3 {
			if len(follow) == 0 {
				for range 30 {
					w.record(t, rnd.IntN(3))
				}
				fs, err := w.svc.DrawFollowUps(ctx, w.officer, w.contract.ID, 30)
				if err != nil {
					t.Fatalf("DrawFollowUps() error = %v", err)
				}
				for _, f := range fs {
					follow = append(follow, f.ID)
				}
			}
			if _, err := w.svc.RecordFollowUp(ctx, w.officer, follow[0], st); err != nil {
				t.Fatalf("RecordFollowUp() error = %v", err)
			}
			follow = follow[1:]
			continue
		}
		_, code := w.record(t, rnd.IntN(3))
		if _, err := w.svc.Submit(ctx, resident(fmt.Sprintf("10.9.%d.%d", i/200, i%200)), code, st); err != nil {
			t.Fatalf("Submit() error = %v", err)
		}
	}
	var stored, recomputed []rating.Aggregate
	if err := w.e.DB.Order("scope, scope_id, kind").Find(&stored).Error; err != nil {
		t.Fatal(err)
	}
	err := w.e.DB.Raw(`SELECT scope, scope_id, kind, count(*) AS n, sum(timeliness) AS sum_timeliness,
		sum(professionalism) AS sum_professionalism, sum(attitude) AS sum_attitude, sum(effectiveness) AS sum_effectiveness,
		sum(overall) AS sum_overall, count(*) FILTER (WHERE overall >= 4) AS satisfied
		FROM (SELECT 'community' AS scope, community_id AS scope_id, * FROM ratings UNION ALL
		      SELECT 'contract', contract_id, * FROM ratings UNION ALL
		      SELECT 'organization', organization_id, * FROM ratings UNION ALL
		      SELECT 'platform', 0, * FROM ratings) x
		GROUP BY scope, scope_id, kind ORDER BY scope, scope_id, kind`).Scan(&recomputed).Error
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(recomputed, stored); diff != "" {
		t.Errorf("aggregates differ from a recomputation (-rows +aggregates):\n%s", diff)
	}
	if len(stored) != 2*(3+1+1+1) {
		t.Errorf("aggregates = %d rows, want 12", len(stored))
	}

	// The public figures, from the rows with the worked example's formula.
	var all []int
	if err := w.e.DB.Table("ratings").Order("id").Pluck("overall", &all).Error; err != nil {
		t.Fatal(err)
	}
	var sum int
	for _, o := range all {
		sum += o
	}
	c := big.NewRat(int64(sum), int64(len(all)))
	want, err := rating.BayesianAverage(rating.PriorWeight, c, all) // one provider: the platform's ratings are its own
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.svc.Provider(ctx, w.e.Demo(t).Org1)
	if err != nil {
		t.Fatalf("Provider() error = %v", err)
	}
	if p.Summaries.All.Count != 1000 || p.Summaries.All.Bayesian != rating.Display(want) || p.Summaries.All.Means.Overall != rating.Display(c) {
		t.Errorf("Provider() all = %+v, want 1000 ratings, Bayesian %s, mean overall %s", p.Summaries.All, rating.Display(want), rating.Display(c))
	}
	if p.Summaries.Code.Count != 750 || p.Summaries.FollowUp.Count != 250 {
		t.Errorf("Provider() kinds = %d code, %d follow-up, want 750 and 250", p.Summaries.Code.Count, p.Summaries.FollowUp.Count)
	}
	for _, r := range p.Ratings {
		if r.Month == "" || r.Kind == "" {
			t.Errorf("Provider() rating %+v lacks its month or kind", r)
		}
	}
}

// TestWorkedExampleFromSums reproduces WORKED_EXAMPLES §5 from the sums the
// aggregates keep: X with three 5s → 55/13 = 4.23, Y with 300 ratings
// averaging 4.6 → 1,420/310 = 4.58, C = 4.0, m = 10.
func TestWorkedExampleFromSums(t *testing.T) {
	t.Parallel()
	c := big.NewRat(4, 1)
	for _, tt := range []struct {
		n, sum  int64
		want    string
		display string
	}{{3, 15, "55/13", "4.23"}, {300, 1380, "142/31", "4.58"}} {
		got, err := rating.BayesianFromSum(rating.PriorWeight, c, tt.n, tt.sum)
		if err != nil {
			t.Fatalf("BayesianFromSum() error = %v", err)
		}
		if got.RatString() != tt.want || rating.Display(got) != tt.display {
			t.Errorf("BayesianFromSum(%d, %d) = %s (%s), want %s (%s)", tt.n, tt.sum, got.RatString(), rating.Display(got), tt.want, tt.display)
		}
	}
	if _, err := rating.BayesianFromSum(rating.PriorWeight, c, 2, 11); err == nil {
		t.Error("BayesianFromSum(2 ratings summing 11) error = nil, want invalid")
	}
}

func TestPublicMinimumAndGap(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	org := w.e.Demo(t).Org1
	for i := 0; i < 4; i++ {
		_, code := w.record(t, 0)
		if _, err := w.svc.Submit(ctx, resident("10.5.0.1"), code, given(5)); err != nil {
			t.Fatal(err)
		}
	}
	p, err := w.svc.Provider(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	if p.Summaries.All.Count != 4 || p.Summaries.All.Needed != 1 || p.Summaries.All.Means != nil || p.Summaries.All.Bayesian != "" {
		t.Errorf("Provider() below the minimum = %+v, want 4 and 1 more needed, no averages", p.Summaries.All)
	}
	_, code := w.record(t, 0)
	if _, err := w.svc.Submit(ctx, resident("10.5.0.1"), code, given(5)); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		w.record(t, 1)
	}
	fs, err := w.svc.DrawFollowUps(ctx, w.officer, w.contract.ID, 5)
	if err != nil || len(fs) != 5 {
		t.Fatalf("DrawFollowUps() = %d, %v; want 5", len(fs), err)
	}
	notes := func() int64 {
		var n int64
		w.e.DB.Table("notifications").Where("kind = 'rating_gap' AND user_id = ?", w.officer.UserID).Count(&n)
		return n
	}
	for i, f := range fs {
		if _, err := w.svc.RecordFollowUp(ctx, w.officer, f.ID, given(3)); err != nil {
			t.Fatalf("RecordFollowUp() error = %v", err)
		}
		if want := int64(0); i < 4 && notes() != want {
			t.Fatalf("gap notifications after %d follow-ups = %d, want 0", i+1, notes())
		}
	}
	if _, err := w.svc.RecordFollowUp(ctx, w.officer, fs[0].ID, given(3)); err == nil {
		t.Error("second RecordFollowUp() error = nil, want ErrFollowUpDone")
	}
	cr, err := w.svc.Contract(ctx, w.officer, w.contract.ID)
	if err != nil {
		t.Fatalf("Contract() error = %v", err)
	}
	if !cr.Gap.Flagged || cr.Gap.Difference != "2.00" || cr.Summaries.Code.Count != 5 || cr.Summaries.FollowUp.Count != 5 {
		t.Errorf("Contract() = %+v, want the kinds apart and a 2.00 gap flagged", cr)
	}
	if notes() != 1 {
		t.Errorf("gap notifications = %d, want 1", notes())
	}
	if _, err := w.svc.Contract(ctx, w.e.ActorOf(t, "demo-officer2"), w.contract.ID); err == nil {
		t.Error("Contract() by another subdistrict's officer error = nil, want not found")
	}
}
