// Package rating holds residents' ratings of services: one-time rating codes,
// the ratings themselves (1 to 5 stars for timeliness, professionalism,
// attitude, effectiveness and overall), providers' replies, and the public
// aggregates.
//
// This file is the aggregation engine: pure functions with exact arithmetic.
// Averages and shares are exact *big.Rat values, compared exactly; Display
// rounds one for showing, two decimals half up.
package rating

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/jiedao-market/jiedao/internal/apperr"
)

// PriorWeight is m, the number of platform-average ratings every provider's
// public score starts with, so that three ratings do not outrank three hundred.
const PriorWeight = 10

// The range of a rating, in stars.
const (
	MinStars = 1
	MaxStars = 5
)

// ErrNoRatings is returned by Satisfaction when there are no ratings to measure.
var ErrNoRatings = apperr.New(apperr.Conflict, "rating.none", "there are no ratings to measure")

// BayesianAverage returns a provider's public score from its overall ratings:
// (m × c + Σ overall) ÷ (m + n), where n is the number of ratings, m the prior
// weight (PriorWeight) and c the platform-wide mean overall rating. With no
// ratings it is c. The result is exact; rank providers on it, and round it
// only to show it (Display).
//
// It returns an apperr Invalid error, naming every bad field, for a negative
// m, a c that is missing or outside 1 to 5, a rating outside 1 to 5, or m = 0
// with no ratings.
func BayesianAverage(m int, c *big.Rat, overall []int) (*big.Rat, error) {
	var f apperr.Fields
	f.Check(m >= 0, "m", "must be zero or more")
	f.Check(c != nil && c.Cmp(big.NewRat(MinStars, 1)) >= 0 && c.Cmp(big.NewRat(MaxStars, 1)) <= 0, "c", "must be between 1 and 5")
	checkStars(&f, overall)
	f.Check(m != 0 || len(overall) > 0, "overall", "must hold at least one rating when m is 0")
	if err := f.Err(); err != nil {
		return nil, err
	}
	return bayesian(m, c, int64(len(overall)), sum(overall)), nil
}

// BayesianFromSum is BayesianAverage from a count n of overall ratings and
// their sum, as the aggregates keep them. It returns an apperr Invalid
// error for a negative m, a c missing or outside 1 to 5, a sum outside n to
// 5n, or m = 0 with no ratings.
func BayesianFromSum(m int, c *big.Rat, n, sumOverall int64) (*big.Rat, error) {
	var f apperr.Fields
	f.Check(m >= 0, "m", "must be zero or more")
	f.Check(c != nil && c.Cmp(big.NewRat(MinStars, 1)) >= 0 && c.Cmp(big.NewRat(MaxStars, 1)) <= 0, "c", "must be between 1 and 5")
	f.Check(n >= 0 && sumOverall >= MinStars*n && sumOverall <= MaxStars*n, "sum", "must be between n and 5n")
	f.Check(m != 0 || n > 0, "n", "must be at least one when m is 0")
	if err := f.Err(); err != nil {
		return nil, err
	}
	return bayesian(m, c, n, sumOverall), nil
}

func bayesian(m int, c *big.Rat, n, sumOverall int64) *big.Rat {
	num := new(big.Rat).Mul(big.NewRat(int64(m), 1), c)
	num.Add(num, big.NewRat(sumOverall, 1))
	return num.Quo(num, big.NewRat(int64(m)+n, 1))
}

// Satisfaction returns the share, between 0 and 1, of ratings whose overall is
// 4 stars or more: the resident-satisfaction metric (multiply by 100 for a
// target in percent).
//
// It returns ErrNoRatings for no ratings, and an apperr Invalid error for a
// rating outside 1 to 5.
func Satisfaction(overall []int) (*big.Rat, error) {
	if len(overall) == 0 {
		return nil, ErrNoRatings
	}
	var f apperr.Fields
	checkStars(&f, overall)
	if err := f.Err(); err != nil {
		return nil, err
	}
	satisfied := 0
	for _, o := range overall {
		if o >= 4 {
			satisfied++
		}
	}
	return big.NewRat(int64(satisfied), int64(len(overall))), nil
}

// Display returns r with two decimals, rounded half up, e.g. "4.23" for
// 55/13; r must not be nil.
func Display(r *big.Rat) string {
	// ⌊100 r + ½⌋ = ⌊(200 num + den) ÷ 2 den⌋; Euclidean division by a
	// positive divisor is floor division.
	n := new(big.Int).Mul(r.Num(), big.NewInt(200))
	n.Add(n, r.Denom())
	n.Div(n, new(big.Int).Lsh(r.Denom(), 1))
	sign := ""
	if n.Sign() < 0 {
		sign = "-"
		n.Neg(n)
	}
	cents := new(big.Int)
	n.QuoRem(n, big.NewInt(100), cents)
	frac := strconv.FormatInt(cents.Int64(), 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + n.String() + "." + frac
}

func checkStars(f *apperr.Fields, overall []int) {
	for i, o := range overall {
		f.Check(o >= MinStars && o <= MaxStars, fmt.Sprintf("overall[%d]", i), "must be between 1 and 5")
	}
}

func sum(overall []int) int64 {
	var s int64
	for _, o := range overall {
		s += int64(o)
	}
	return s
}
