// Package contract holds contracts and their lifecycle: parties, metrics with
// targets, payment milestones, the provider's service records (服务记录) and
// the mid-term and final evaluations (评估).
//
// This file is the evaluation engine: pure functions with exact arithmetic.
// Metric attainments and payment factors are exact *big.Rat values; a contract
// score is a Score, integer tenths of a point, rounded half up once at the end;
// money is money.Fen.
package contract

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Direction says which way a metric improves.
type Direction string

// The directions of a metric, as the service standards spell them.
const (
	Higher Direction = "higher" // higher is better: visits, coverage, satisfaction
	Lower  Direction = "lower"  // lower is better: response time, complaints
)

// Attainment returns how far actual meets target, capped at 1:
// min(actual ÷ target, 1) when higher is better and min(target ÷ actual, 1)
// when lower is better.
//
// At zero the ratios are settled this way: when higher is better, a zero
// target is met by any actual (attainment 1); when lower is better, a zero
// actual meets any target (attainment 1, "nothing to complain about"), and a
// zero target with an actual above zero scores 0.
//
// It returns an apperr Invalid error for a direction other than Higher or
// Lower, or a target or actual that is missing or negative. The result is a
// new value; target and actual are not changed.
func Attainment(d Direction, target, actual *big.Rat) (*big.Rat, error) {
	var f apperr.Fields
	checkMetric(&f, "", d, target, actual)
	if err := f.Err(); err != nil {
		return nil, err
	}
	return attainment(d, target, actual), nil
}

func attainment(d Direction, target, actual *big.Rat) *big.Rat {
	num, den := actual, target
	if d == Lower {
		num, den = target, actual
	}
	if den.Sign() == 0 {
		return big.NewRat(1, 1)
	}
	a := new(big.Rat).Quo(num, den)
	if a.Cmp(big.NewRat(1, 1)) > 0 {
		a.SetInt64(1)
	}
	return a
}

func checkMetric(f *apperr.Fields, prefix string, d Direction, target, actual *big.Rat) {
	f.Check(d == Higher || d == Lower, prefix+"direction", "must be higher or lower")
	f.Check(target != nil && target.Sign() >= 0, prefix+"target", "must be zero or more")
	f.Check(actual != nil && actual.Sign() >= 0, prefix+"actual", "must be zero or more")
}

// MetricResult is one metric of a contract as an evaluation measured it.
type MetricResult struct {
	Weight    int
	Direction Direction
	Target    *big.Rat
	Actual    *big.Rat
}

// Score is a contract score in tenths of a point: Score(923) is 92.3 points.
type Score int64

// String returns s with one decimal, e.g. "92.3".
func (s Score) String() string {
	sign, v := "", uint64(s)
	if s < 0 {
		sign, v = "-", -v
	}
	return sign + strconv.FormatUint(v/10, 10) + "." + strconv.FormatUint(v%10, 10)
}

// ContractScore returns 100 × Σ weight·attainment ÷ Σ weight over the metrics,
// computed exactly and rounded to one decimal, half up, at the end.
//
// It returns an apperr Invalid error, naming every bad field, for no metrics,
// a negative weight, weights summing to zero, or a metric Attainment refuses.
func ContractScore(metrics []MetricResult) (Score, error) {
	var f apperr.Fields
	f.Check(len(metrics) > 0, "metrics", "must hold at least one metric")
	weights := 0
	for i, m := range metrics {
		prefix := fmt.Sprintf("metrics[%d].", i)
		f.Check(m.Weight >= 0, prefix+"weight", "must be zero or more")
		checkMetric(&f, prefix, m.Direction, m.Target, m.Actual)
		weights += max(m.Weight, 0)
	}
	f.Check(len(metrics) == 0 || weights > 0, "metrics", "must have weights summing to more than zero")
	if err := f.Err(); err != nil {
		return 0, err
	}
	sum, term := new(big.Rat), new(big.Rat)
	for _, m := range metrics {
		term.SetInt64(int64(m.Weight))
		sum.Add(sum, term.Mul(term, attainment(m.Direction, m.Target, m.Actual)))
	}
	// In tenths: 1000 × Σ w·a ÷ Σ w.
	sum.Mul(sum, big.NewRat(1000, int64(weights)))
	return Score(roundHalfUp(sum).Int64()), nil
}

// Grade is an evaluation grade, named by its code.
type Grade string

// The grades, from best to worst.
const (
	Excellent Grade = "excellent" // 优秀, 90 and over
	Good      Grade = "good"      // 良好, 80 to under 90
	Pass      Grade = "pass"      // 合格, 60 to under 80
	Fail      Grade = "fail"      // 不合格, under 60
)

// Zh returns the grade's Chinese name, e.g. "优秀"; "" for an unknown grade.
func (g Grade) Zh() string {
	switch g {
	case Excellent:
		return "优秀"
	case Good:
		return "良好"
	case Pass:
		return "合格"
	case Fail:
		return "不合格"
	}
	return ""
}

// Grade returns the grade of the (rounded) score s: Excellent from 90, Good
// from 80, Pass from 60, Fail below.
func (s Score) Grade() Grade {
	switch {
	case s >= 900:
		return Excellent
	case s >= 800:
		return Good
	case s >= 600:
		return Pass
	default:
		return Fail
	}
}

// PaymentFactor returns the share of a milestone that an evaluation scoring s
// (the rounded, published score) releases under the default payment policy:
// 1 from 80; from 60 to under 80, 0.80 + 0.20 × (s − 60) ÷ 20, falling
// linearly; 0 below 60, until a re-evaluation after rectification (整改). The
// factor is exact: 79.9 gives 0.999.
func PaymentFactor(s Score) *big.Rat {
	switch {
	case s >= 800:
		return big.NewRat(1, 1)
	case s >= 600:
		// 0.80 + 0.20 × (s/10 − 60) ÷ 20 = 0.80 + (s − 600) ÷ 1000 with s in tenths.
		return big.NewRat(800+int64(s)-600, 1000)
	default:
		return new(big.Rat)
	}
}

// DefaultMilestones returns the default payment milestones, in percent of the
// contract amount: 30 on signing, 40 after the mid-term evaluation, 30 after
// the final one.
func DefaultMilestones() []int { return []int{30, 40, 30} }

// MilestoneAmounts splits a contract's total into milestones of the given
// percents (DefaultMilestones when percents is empty). Every milestone but the
// last is rounded down to the fen; the last takes the rest, so the amounts
// always add up to total.
//
// It returns an apperr Invalid error for a negative total, or percents that
// are not each more than zero or do not sum to 100.
func MilestoneAmounts(total money.Fen, percents []int) ([]money.Fen, error) {
	if len(percents) == 0 {
		percents = DefaultMilestones()
	}
	var f apperr.Fields
	f.Check(total >= 0, "total", "must be zero or more")
	sum := 0
	for i, p := range percents {
		f.Check(p > 0 && p <= 100, fmt.Sprintf("percents[%d]", i), "must be between 1 and 100")
		sum += p
	}
	f.Check(sum == 100, "percents", "must sum to 100")
	if err := f.Err(); err != nil {
		return nil, err
	}
	out := make([]money.Fen, len(percents))
	rest := total
	// total × p ÷ 100 without overflowing: the hundreds and the rest apart.
	whole, part := total/100, total%100
	for i, p := range percents[:len(percents)-1] {
		out[i] = whole*money.Fen(p) + part*money.Fen(p)/100
		rest -= out[i]
	}
	out[len(out)-1] = rest
	return out, nil
}

// MilestonePayment returns what a milestone of amount pays at the payment
// factor: amount × factor, rounded to the whole fen, half up. The rest of the
// milestone stays encumbered until a re-evaluation or the contract's close.
//
// amount must be zero or more and factor between 0 and 1, as MilestoneAmounts
// and PaymentFactor return them; MilestonePayment panics otherwise, since
// either would be a programming error.
func MilestonePayment(amount money.Fen, factor *big.Rat) money.Fen {
	if amount < 0 || factor == nil || factor.Sign() < 0 || factor.Cmp(big.NewRat(1, 1)) > 0 {
		panic(fmt.Sprintf("contract: MilestonePayment(%d, %v): amount must be ≥ 0 and factor in [0, 1]", amount, factor))
	}
	pay := new(big.Rat).SetInt64(int64(amount))
	return money.Fen(roundHalfUp(pay.Mul(pay, factor)).Int64())
}

// roundHalfUp returns r rounded to an integer, halves upwards: ⌊r + ½⌋.
func roundHalfUp(r *big.Rat) *big.Int {
	n := new(big.Int).Lsh(r.Num(), 1)
	n.Add(n, r.Denom())
	// Euclidean division by a positive divisor is floor division.
	return n.Div(n, new(big.Int).Lsh(r.Denom(), 1))
}
