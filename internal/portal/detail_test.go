package portal_test

import (
	"context"
	"testing"

	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/portal"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// The fund report on the worked example's funding-floor vectors
// (WORKED_EXAMPLES.md §6): 爱山's three communities, of 999, 2,000 and 2,001
// households, share a signed contract of 29,999.97 equally, 9,999.99 each:
// all three are below their floors of 10,000.00, 30,000.00 and 40,000.00.
func TestFundsFloorAndSources(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	ctx := context.Background()
	d := e.Demo(t)
	var communities []int64
	if err := e.DB.Table("communities").Where("subdistrict_id = ?", d.SubA).Order("id").Pluck("id", &communities).Error; err != nil {
		t.Fatal(err)
	}
	if len(communities) != 3 {
		t.Fatalf("爱山 has %d communities, want 3", len(communities))
	}
	for i, h := range []int{999, 2000, 2001} {
		if err := e.DB.Exec(`UPDATE communities SET households = ? WHERE id = ?`, h, communities[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	before, err := e.Services.Portal.Funds(ctx, portal.FundFilter{SubdistrictID: d.SubA})
	if err != nil {
		t.Fatalf("Funds() error = %v", err)
	}
	e.SignedContract(t, 2_999_997)

	got, err := e.Services.Portal.Funds(ctx, portal.FundFilter{SubdistrictID: d.SubA})
	if err != nil {
		t.Fatalf("Funds() error = %v", err)
	}
	if got.Year != 2026 || got.BelowFloor != 3 || len(got.Floors) != 3 {
		t.Fatalf("Funds() = year %d, %d of %d below the floor; want 2026, 3 of 3", got.Year, got.BelowFloor, len(got.Floors))
	}
	wantFloor := map[int]money.Fen{999: 1_000_000, 2000: 3_000_000, 2001: 4_000_000}
	for _, r := range got.Floors {
		if r.Floor != wantFloor[r.Households] || r.Contracted != 999_999 || !r.BelowFloor {
			t.Errorf("floor row of %d households = floor %s, contracted %s, below %v; want %s, 9,999.99, below",
				r.Households, r.Floor.Grouped(), r.Contracted.Grouped(), r.BelowFloor, wantFloor[r.Households].Grouped())
		}
	}
	source := func(f portal.Funds, src string) portal.SourceRow {
		for _, r := range f.BySource {
			if r.Source == src {
				return r
			}
		}
		t.Fatalf("no %s row in %+v", src, f.BySource)
		return portal.SourceRow{}
	}
	b, a := source(before, "fiscal_budget"), source(got, "fiscal_budget")
	if a.Received != b.Received || a.Balances[fund.Encumbered]-b.Balances[fund.Encumbered] != 2_999_997 ||
		b.Balances[fund.Available]-a.Balances[fund.Available] != 2_999_997 {
		t.Errorf("fiscal budget before %+v, after %+v: want 29,999.97 moved from available to encumbered", b, a)
	}
	var sum money.Fen
	for _, v := range a.Balances {
		sum += v
	}
	if sum != a.Received {
		t.Errorf("fiscal budget balances sum to %s, want what came in, %s", sum.Grouped(), a.Received.Grouped())
	}
	var cat money.Fen
	for _, r := range got.ByCategory {
		cat += r.Balances[fund.Encumbered]
	}
	if cat < 2_999_997 {
		t.Errorf("by category, encumbered %s, want at least 29,999.97", cat.Grouped())
	}

	other, err := e.Services.Portal.Funds(ctx, portal.FundFilter{SubdistrictID: d.SubA, Year: 2025})
	if err != nil {
		t.Fatalf("Funds(2025) error = %v", err)
	}
	if len(other.BySource) != 0 || len(other.Floors) != 0 {
		t.Errorf("Funds(2025) = %d sources, %d floor rows; want none", len(other.BySource), len(other.Floors))
	}
	if _, err := e.Services.Portal.Funds(ctx, portal.FundFilter{SubdistrictID: 999_999}); err == nil {
		t.Errorf("Funds(unknown subdistrict) error = nil, want not found")
	}
}

// The provider directory on the worked example's ratings (WORKED_EXAMPLES.md
// §5, with a public minimum of 3): C = 4.0; provider X (org 1) with three
// ratings of 5 shows 55 ÷ 13 = 4.23; a provider with fewer ratings shows none.
// Completed contracts count only completed ones.
func TestProvidersFigures(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(t)
	cfg.Rating.PublicMinimum = 3
	e := servertest.NewEnvWith(t, cfg)
	ctx := context.Background()
	d := e.Demo(t)
	done := e.ActiveContract(t)
	e.SetContractStatus(t, done.ID, "completed")
	e.ActiveContract(t)
	for _, a := range []struct {
		scope   string
		id      int64
		n, sum  int64
		satisfy int64
	}{{"platform", 0, 100, 400, 80}, {"organization", d.Org1, 3, 15, 3}, {"organization", d.Org2, 2, 10, 2}} {
		if err := e.DB.Exec(`INSERT INTO rating_aggregates (scope, scope_id, kind, n, sum_timeliness, sum_professionalism, sum_attitude,
			sum_effectiveness, sum_overall, satisfied) VALUES (?, ?, 'code', ?, ?, ?, ?, ?, ?, ?)`, a.scope, a.id, a.n, a.sum, a.sum, a.sum, a.sum, a.sum, a.satisfy).Error; err != nil {
			t.Fatal(err)
		}
	}
	page, err := e.Services.Portal.Providers(ctx, portal.ProviderFilter{})
	if err != nil {
		t.Fatalf("Providers() error = %v", err)
	}
	seen := map[int64]portal.Provider{}
	for _, p := range page.Items {
		seen[p.ID] = p
	}
	x, ok := seen[d.Org1]
	if !ok {
		t.Fatalf("Providers() = %+v, want org 1 among them", page.Items)
	}
	if x.Completed != 1 || x.Ratings != 3 || x.Bayesian != "4.23" || x.Needed != 0 || len(x.Certifications) == 0 {
		t.Errorf("org 1 = completed %d, %d ratings, Bayesian %q, needed %d, %d certifications; want 1, 3, 4.23, 0, some",
			x.Completed, x.Ratings, x.Bayesian, x.Needed, len(x.Certifications))
	}
	if y, ok := seen[d.Org2]; ok && (y.Bayesian != "" || y.Needed != 1) {
		t.Errorf("org 2 with 2 ratings = Bayesian %q, needed %d; want none, 1 more", y.Bayesian, y.Needed)
	}
	serving, err := e.Services.Portal.Providers(ctx, portal.ProviderFilter{SubdistrictID: d.SubB})
	if err != nil {
		t.Fatalf("Providers(飞英) error = %v", err)
	}
	if serving.Total != 0 {
		t.Errorf("Providers(飞英) = %d, want none: no contract there", serving.Total)
	}
	serving, err = e.Services.Portal.Providers(ctx, portal.ProviderFilter{SubdistrictID: d.SubA})
	if err != nil || serving.Total != 1 || serving.Items[0].ID != d.Org1 {
		t.Errorf("Providers(爱山) = %+v, %v; want org 1 alone", serving.Items, err)
	}
}
