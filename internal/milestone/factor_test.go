package milestone_test

import (
	"math/big"
	"testing"

	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/money"
)

// WORKED_EXAMPLES.md §4: the payment factor of a score under the default
// policy, exactly, and what it makes of the 450,000.00 contract's mid-term
// milestone.
func TestFactorWorkedExample(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scoreTenths int
		want        *big.Rat
		shown       string
	}{
		{950, big.NewRat(1, 1), "1.00"},
		{800, big.NewRat(1, 1), "1.00"},
		{700, big.NewRat(9, 10), "0.90"},
		{600, big.NewRat(8, 10), "0.80"},
		{599, new(big.Rat), "0.00"},
		// Between the vector's points: linear, exact to the tenth of a point.
		{705, big.NewRat(905, 1000), "0.905"},
		{799, big.NewRat(999, 1000), "0.999"},
		{0, new(big.Rat), "0.00"},
		{1000, big.NewRat(1, 1), "1.00"},
	} {
		got := milestone.Factor(contract.DefaultPolicy, tt.scoreTenths)
		if got.Cmp(tt.want) != 0 {
			t.Errorf("Factor(default, %s) = %s, want %s", milestone.FormatScore(tt.scoreTenths), got.RatString(), tt.want.RatString())
		}
		if s := milestone.FormatFactor(got); s != tt.shown {
			t.Errorf("FormatFactor(Factor(default, %s)) = %q, want %q", milestone.FormatScore(tt.scoreTenths), s, tt.shown)
		}
	}

	amounts, err := contract.MilestoneAmounts(45_000_000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []money.Fen{13_500_000, 18_000_000, 13_500_000}; !equal(amounts, want) {
		t.Fatalf("MilestoneAmounts(450,000.00) = %v, want %v", amounts, want)
	}
	paid := milestone.Payable(amounts[1], milestone.Factor(contract.DefaultPolicy, 700))
	if paid != 16_200_000 || amounts[1]-paid != 1_800_000 {
		t.Errorf("the mid-term milestone at 70 pays %s and withholds %s, want 162,000.00 and 18,000.00", paid.Grouped(), (amounts[1] - paid).Grouped())
	}
}

func equal(a, b []money.Fen) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A contract's own policy is applied exactly, whatever its decimals; the
// payable amount is rounded half up to the fen.
func TestFactorPolicyAndRounding(t *testing.T) {
	t.Parallel()
	p := contract.Policy{FullAt: 80, FloorAt: 50, FloorPercent: 80}
	for _, tt := range []struct {
		policy      contract.Policy
		scoreTenths int
		want        *big.Rat
		shown       string
	}{
		{p, 550, big.NewRat(5, 6), "0.833333"}, // 0.8 + 0.2 × 5 ÷ 30
		{p, 499, new(big.Rat), "0.00"},         // below the floor
		{p, 500, big.NewRat(4, 5), "0.80"},     // at the floor
		{p, 650, big.NewRat(9, 10), "0.90"},    // half way
		{p, 801, big.NewRat(1, 1), "1.00"},     // above full
		{contract.Policy{FullAt: 90, FloorAt: 62.5, FloorPercent: 70}, 763, big.NewRat(2339, 2750), "0.850545"},
	} {
		got := milestone.Factor(tt.policy, tt.scoreTenths)
		if got.Cmp(tt.want) != 0 {
			t.Errorf("Factor(%+v, %d) = %s, want %s", tt.policy, tt.scoreTenths, got.RatString(), tt.want.RatString())
		}
		if s := milestone.FormatFactor(got); s != tt.shown {
			t.Errorf("FormatFactor(%s) = %q, want %q", got.RatString(), s, tt.shown)
		}
	}
	for _, tt := range []struct {
		amount money.Fen
		factor *big.Rat
		want   money.Fen
	}{
		{13_500_001, big.NewRat(9, 10), 12_150_001}, // 12,150,000.9 fen rounds up
		{5, big.NewRat(9, 10), 5},                   // 4.5 fen: a half rounds up
		{15, big.NewRat(83, 100), 12},               // 12.45 fen rounds down
		{18_000_000, big.NewRat(5, 6), 15_000_000},
		{10_000_001, big.NewRat(5, 6), 8_333_334}, // 8,333,334.1666… rounds down
		{1, new(big.Rat), 0},
		{45_000_000, big.NewRat(1, 1), 45_000_000},
	} {
		if got := milestone.Payable(tt.amount, tt.factor); got != tt.want {
			t.Errorf("Payable(%d, %s) = %d, want %d", tt.amount, tt.factor.RatString(), got, tt.want)
		}
	}
}
