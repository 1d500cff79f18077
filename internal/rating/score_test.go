package rating_test

import (
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/rating"
)

// stars returns count ratings of each number of stars, from 5 down to 1.
func stars(fives, fours, threes, twos, ones int) []int {
	var out []int
	for s, count := range []int{ones, twos, threes, fours, fives} {
		out = append(out, slices.Repeat([]int{s + 1}, count)...)
	}
	return out
}

// Provider X and Y of WORKED_EXAMPLES §5: three ratings of 5; 300 ratings
// averaging 4.6 (1,380 stars).
var (
	providerX = stars(3, 0, 0, 0, 0)
	providerY = stars(200, 90, 0, 10, 0)
)

func TestBayesianAverage(t *testing.T) {
	tests := []struct {
		name    string
		m       int
		c       *big.Rat
		overall []int
		want    string // exact
		display string
	}{
		{"§5 X", rating.PriorWeight, big.NewRat(4, 1), providerX, "55/13", "4.23"},
		{"§5 Y", rating.PriorWeight, big.NewRat(4, 1), providerY, "142/31", "4.58"}, // 1,420 ÷ 310
		{"no ratings: the platform mean", rating.PriorWeight, big.NewRat(41, 10), nil, "41/10", "4.10"},
		{"no prior: the plain mean", 0, big.NewRat(4, 1), stars(1, 0, 0, 0, 1), "3", "3.00"},
		// (10 × 4.37 + 1) ÷ 11 = 44.7 ÷ 11 = 4.0636…
		{"a fractional platform mean", rating.PriorWeight, big.NewRat(437, 100), stars(0, 0, 0, 0, 1), "447/110", "4.06"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rating.BayesianAverage(tt.m, tt.c, tt.overall)
			if err != nil {
				t.Fatalf("BayesianAverage() error = %v", err)
			}
			if got.RatString() != tt.want || rating.Display(got) != tt.display {
				t.Errorf("BayesianAverage() = %s (%s), want %s (%s)", got.RatString(), rating.Display(got), tt.want, tt.display)
			}
		})
	}
}

func TestBayesianAverageRanksVolume(t *testing.T) {
	c := big.NewRat(4, 1)
	x, err := rating.BayesianAverage(rating.PriorWeight, c, providerX)
	if err != nil {
		t.Fatalf("BayesianAverage(X) error = %v", err)
	}
	y, err := rating.BayesianAverage(rating.PriorWeight, c, providerY)
	if err != nil {
		t.Fatalf("BayesianAverage(Y) error = %v", err)
	}
	if y.Cmp(x) <= 0 {
		t.Errorf("BayesianAverage(Y) = %s, not above BayesianAverage(X) = %s", rating.Display(y), rating.Display(x))
	}
	if c.Cmp(big.NewRat(4, 1)) != 0 {
		t.Errorf("BayesianAverage() changed c to %s", c.RatString())
	}
}

func TestBayesianAverageRefuses(t *testing.T) {
	tests := []struct {
		name    string
		m       int
		c       *big.Rat
		overall []int
		want    []apperr.FieldError
	}{
		{"negative m", -1, big.NewRat(4, 1), []int{5}, []apperr.FieldError{{Field: "m", Message: "must be zero or more"}}},
		{"no c", 10, nil, []int{5}, []apperr.FieldError{{Field: "c", Message: "must be between 1 and 5"}}},
		{"c under 1", 10, big.NewRat(99, 100), []int{5}, []apperr.FieldError{{Field: "c", Message: "must be between 1 and 5"}}},
		{"c over 5", 10, big.NewRat(501, 100), []int{5}, []apperr.FieldError{{Field: "c", Message: "must be between 1 and 5"}}},
		{"a rating of 0", 10, big.NewRat(4, 1), []int{5, 0}, []apperr.FieldError{{Field: "overall[1]", Message: "must be between 1 and 5"}}},
		{"a rating of 6", 10, big.NewRat(4, 1), []int{6}, []apperr.FieldError{{Field: "overall[0]", Message: "must be between 1 and 5"}}},
		{"nothing to average", 0, big.NewRat(4, 1), nil, []apperr.FieldError{{Field: "overall", Message: "must hold at least one rating when m is 0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rating.BayesianAverage(tt.m, tt.c, tt.overall)
			if got != nil {
				t.Errorf("BayesianAverage() = %s, want nil", got.RatString())
			}
			checkFields(t, "BayesianAverage()", err, tt.want)
		})
	}
}

func checkFields(t *testing.T, call string, err error, want []apperr.FieldError) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.Invalid {
		t.Fatalf("%s error = %v, want an Invalid apperr.Error", call, err)
	}
	if diff := cmp.Diff(want, e.Fields); diff != "" {
		t.Errorf("%s fields mismatch (-want +got):\n%s", call, diff)
	}
}

func TestSatisfaction(t *testing.T) {
	tests := []struct {
		name    string
		overall []int
		want    string
		display string
	}{
		{"§5 X", providerX, "1", "1.00"},
		{"§5 Y", providerY, "29/30", "0.97"},
		{"4 counts, 3 does not", []int{4, 3}, "1/2", "0.50"},
		{"none satisfied", []int{1, 2, 3}, "0", "0.00"},
		{"thirds", []int{5, 1, 1}, "1/3", "0.33"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rating.Satisfaction(tt.overall)
			if err != nil {
				t.Fatalf("Satisfaction() error = %v", err)
			}
			if got.RatString() != tt.want || rating.Display(got) != tt.display {
				t.Errorf("Satisfaction() = %s (%s), want %s (%s)", got.RatString(), rating.Display(got), tt.want, tt.display)
			}
		})
	}
}

func TestSatisfactionRefuses(t *testing.T) {
	if got, err := rating.Satisfaction(nil); got != nil || !errors.Is(err, rating.ErrNoRatings) {
		t.Errorf("Satisfaction(nil) = %v, %v; want nil, %v", got, err, rating.ErrNoRatings)
	}
	got, err := rating.Satisfaction([]int{5, 7})
	if got != nil {
		t.Errorf("Satisfaction() = %s, want nil", got.RatString())
	}
	checkFields(t, "Satisfaction()", err, []apperr.FieldError{{Field: "overall[1]", Message: "must be between 1 and 5"}})
}

func TestDisplay(t *testing.T) {
	tests := []struct {
		in   *big.Rat
		want string
	}{
		{big.NewRat(55, 13), "4.23"},
		{big.NewRat(1420, 310), "4.58"},
		{big.NewRat(5, 1), "5.00"},
		{big.NewRat(0, 1), "0.00"},
		{big.NewRat(1, 8), "0.13"},      // 0.125: half up
		{big.NewRat(801, 200), "4.01"},  // 4.005, which float64 holds as 4.00499…
		{big.NewRat(49, 10000), "0.00"}, // 0.0049
		{big.NewRat(2, 3), "0.67"},      // 0.666…
		{big.NewRat(-3, 500), "-0.01"},  // −0.006
		{big.NewRat(123456, 10), "12345.60"},
	}
	for _, tt := range tests {
		if got := rating.Display(tt.in); got != tt.want {
			t.Errorf("Display(%s) = %q, want %q", tt.in.RatString(), got, tt.want)
		}
	}
}
