package contract_test

import (
	"math/big"
	"testing"

	"github.com/jiedao-market/jiedao/internal/contract"
)

// TestPolicyFactor: under the default policy a contract's own factor is
// PaymentFactor at every score (WORKED_EXAMPLES.md §4 among them); another
// policy moves the line.
func TestPolicyFactor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		score contract.Score
		want  *big.Rat
	}{{950, big.NewRat(1, 1)}, {800, big.NewRat(1, 1)}, {700, big.NewRat(9, 10)}, {600, big.NewRat(8, 10)}, {599, new(big.Rat)}} {
		if got := contract.DefaultPolicy.Factor(tc.score); got.Cmp(tc.want) != 0 {
			t.Errorf("DefaultPolicy.Factor(%s) = %s, want %s", tc.score, got.RatString(), tc.want.RatString())
		}
	}
	for s := contract.Score(0); s <= 1000; s++ {
		if got, want := contract.DefaultPolicy.Factor(s), contract.PaymentFactor(s); got.Cmp(want) != 0 {
			t.Fatalf("DefaultPolicy.Factor(%s) = %s, PaymentFactor = %s", s, got.RatString(), want.RatString())
		}
	}
	p := contract.Policy{FullAt: 90, FloorAt: 50, FloorPercent: 50}
	for _, tc := range []struct {
		score contract.Score
		want  *big.Rat
	}{{900, big.NewRat(1, 1)}, {700, big.NewRat(3, 4)}, {500, big.NewRat(1, 2)}, {499, new(big.Rat)}, {625, big.NewRat(21, 32)}} {
		if got := p.Factor(tc.score); got.Cmp(tc.want) != 0 {
			t.Errorf("%+v.Factor(%s) = %s, want %s", p, tc.score, got.RatString(), tc.want.RatString())
		}
	}
	// A policy written with decimals is taken as written, not as the nearest
	// binary fractions: 62.5 % at 60, rising to 100 % at 80.3; at 70,
	// 0.625 + 0.375 × 10 ÷ 20.3 = 0.625 + 375 ÷ 2030.
	q := contract.Policy{FullAt: 80.3, FloorAt: 60, FloorPercent: 62.5}
	if got, want := q.Factor(700), new(big.Rat).Add(big.NewRat(5, 8), big.NewRat(375, 2030)); got.Cmp(want) != 0 {
		t.Errorf("%+v.Factor(70.0) = %s, want %s", q, got.RatString(), want.RatString())
	}
}
