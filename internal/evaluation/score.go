package evaluation

import (
	"math/big"
	"regexp"
	"strings"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/contract"
)

// This file is the arithmetic of an evaluation: pure functions on exact
// *big.Rat values. A figure's published values are decimals as the database
// keeps them: target, target_used and actual with two places, share and
// attainment with six; the score is computed exactly from the published
// target_used and actual, so that anyone can check it from the figures, and
// rounded half up to one decimal once, at the end (contract.ContractScore).

// The sources of a figure's actual value (migrations/00011_metric_sources.sql).
const (
	SourceServiceRecords  = "service_records"
	SourceResidentRatings = "resident_ratings"
	SourceEvaluator       = "evaluator"
	SourceComplaints      = "complaints"
	SourceServiceRequests = "service_requests"
)

// Coverage reports whether a metric is a coverage rate (its code ends in
// _coverage): distinct beneficiaries over the eligible population, in percent.
func Coverage(code string) bool { return strings.HasSuffix(code, "_coverage") }

// Cumulative reports whether a metric's actual adds up over time — a count or
// a sum of hours from service records, or the complaints upheld — so that a
// mid-term evaluation compares it with the target pro-rated to the part of
// the service period it covers. Rates, means and percentages (coverage,
// satisfaction, response time) and what the evaluator enters are never
// pro-rated.
func Cumulative(source, code string) bool {
	return source == SourceComplaints || (source == SourceServiceRecords && !Coverage(code))
}

// Days returns the number of days from start to end, both included (0 when
// end is before start).
func Days(start, end civil.Date) int64 {
	if end.Before(start) {
		return 0
	}
	// China keeps no daylight saving: every day is 24 hours.
	return int64(end.StartInChina().Sub(start.StartInChina()).Hours()/24) + 1
}

// Share returns the part of the service period an evaluation period covers,
// exactly: its days over the service period's days (both ends included). A
// final evaluation covers the whole period: 1.
func Share(serviceStart, serviceEnd, periodStart, periodEnd civil.Date) *big.Rat {
	total := Days(serviceStart, serviceEnd)
	if total == 0 {
		return big.NewRat(1, 1)
	}
	return big.NewRat(Days(periodStart, periodEnd), total)
}

// TargetUsed returns what a figure's actual is compared with: a cumulative
// metric's target times share, rounded half up to the fen-like two places the
// figures keep (WORKED_EXAMPLES rounds every published value half up); any
// other metric's target as it is.
func TargetUsed(target, share *big.Rat, cumulative bool) *big.Rat {
	if !cumulative {
		return new(big.Rat).Set(target)
	}
	return Round(new(big.Rat).Mul(target, share), 2)
}

// Measure is one figure as the score reads it.
type Measure struct {
	Weight     int
	Direction  string // higher or lower
	TargetUsed *big.Rat
	Actual     *big.Rat
}

// Result is an evaluation's score: the exact attainment of each measure, the
// score in tenths of a point (contract.Score) and its grade.
type Result struct {
	Attainments []*big.Rat
	Score       contract.Score
	Grade       string
}

// Score returns the attainment of each measure — min(actual ÷ target_used, 1)
// when higher is better, min(target_used ÷ actual, 1) when lower is better
// (contract.Attainment: a zero actual on a lower-is-better metric scores 1; a
// zero target_used is met by any actual when higher is better, and by a zero
// actual alone when lower is better) — and the score 100 × Σ w·a ÷ Σ w,
// exact, rounded half up to one decimal, with its grade. It returns an
// apperr Invalid error as contract.ContractScore does for a bad measure.
func Score(ms []Measure) (Result, error) {
	list := make([]contract.MetricResult, len(ms))
	out := Result{Attainments: make([]*big.Rat, len(ms))}
	for i, m := range ms {
		list[i] = contract.MetricResult{Weight: m.Weight, Direction: contract.Direction(m.Direction), Target: m.TargetUsed, Actual: m.Actual}
	}
	s, err := contract.ContractScore(list)
	if err != nil {
		return Result{}, err
	}
	for i, m := range list {
		a, err := contract.Attainment(m.Direction, m.Target, m.Actual)
		if err != nil {
			return Result{}, err
		}
		out.Attainments[i] = a
	}
	out.Score, out.Grade = s, string(s.Grade())
	return out, nil
}

// Round returns r rounded half up to places decimals (r ≥ 0 here: halves
// away from zero, as big.Rat.FloatString rounds, is half up).
func Round(r *big.Rat, places int) *big.Rat {
	out, _ := new(big.Rat).SetString(r.FloatString(places))
	return out
}

// Fixed returns r with exactly places decimals, rounded half up.
func Fixed(r *big.Rat, places int) string { return r.FloatString(places) }

var decimalPattern = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,2})?$`)

// ParseAmount reads a figure's value as the evaluator enters it: a decimal of
// zero or more with at most two places and twelve whole digits ("87.5",
// "1100"). ok is false for anything else.
func ParseAmount(s string) (r *big.Rat, ok bool) {
	s = strings.TrimSpace(s)
	if !decimalPattern.MatchString(s) {
		return nil, false
	}
	return new(big.Rat).SetString(s)
}

// ScoreString returns a score in tenths as the database keeps it, "92.3".
func ScoreString(s contract.Score) string { return s.String() }
