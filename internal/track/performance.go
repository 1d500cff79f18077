// Package track holds organizations' track records: their contracts by
// state, evaluation grades, final scores, residents' satisfaction, complaints
// upheld, terminations and upheld challenges, shown on the public provider
// profile; and the performance percentage P that tender scoring takes from
// that record at each opening.
//
// This file is the performance engine: P with exact arithmetic (*big.Rat),
// and the reads of its inputs.
package track

import (
	"fmt"
	"math/big"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/rating"
)

// NewcomerPercent is P of an organization without a completed contract in
// the window (and no termination for cause): neutral, neither rewarded nor
// punished.
const NewcomerPercent = 60

// WindowYears is how far back, from a tender's opening time, completed and
// terminated contracts count.
const WindowYears = 3

// Params are the rating settings P uses: the prior weight m of the Bayesian
// average and the public minimum of ratings below which R is S.
type Params struct {
	PriorWeight   int
	PublicMinimum int
}

// ParamsOf returns the Params of the rating configuration.
func ParamsOf(cfg config.Rating) Params {
	return Params{PriorWeight: cfg.PriorWeight, PublicMinimum: cfg.PublicMinimum}
}

// DefaultParams are the default rating settings (config.Default).
func DefaultParams() Params { return ParamsOf(config.Default().Rating) }

// Completed is a completed contract counted in S: its amount and its final
// score in tenths (923 is 92.3).
type Completed struct {
	ContractID  int64
	AmountFen   money.Fen
	ScoreTenths int64
}

// Inputs are what P is computed from.
type Inputs struct {
	// Contracts are the organization's contracts completed in the window
	// with a final score.
	Contracts []Completed
	// Ratings and RatingSum are the number of residents' ratings of those
	// contracts (self-service and follow-up) and the sum of their overall
	// stars.
	Ratings, RatingSum int64
	// PlatformMean is C, the platform-wide mean overall rating; nil when the
	// platform has no rating.
	PlatformMean *big.Rat
	// Terminations is T, the contracts terminated for cause in the window.
	Terminations int
}

// Result is P and its parts, exact.
type Result struct {
	// Newcomer: no completed contract in the window; P is NewcomerPercent.
	Newcomer bool
	// S is the amount-weighted mean final score, in percent; nil without a
	// completed contract.
	S *big.Rat
	// B is the Bayesian average overall stars of those contracts' ratings;
	// nil below the public minimum (or without a completed contract).
	B *big.Rat
	// R is the residents' satisfaction in percent, (B − 1) ÷ 4 × 100, or S
	// below the public minimum (RFromS); nil without a completed contract.
	R      *big.Rat
	RFromS bool
	T      int
	// P is the performance percentage, 0 to 100.
	P *big.Rat
}

// Percent computes P = 0.7 × S + 0.3 × R − 10 × T, clamped to 0–100, where S
// is the amount-weighted mean final score of the completed contracts, R the
// residents' satisfaction over them in percent (the Bayesian average B of
// their overall stars with prior weight p.PriorWeight and the platform mean,
// 1 star = 0 %, 5 stars = 100 %; R = S when they have fewer than
// p.PublicMinimum ratings) and T the terminations for cause. Without a
// completed contract in the window P is NewcomerPercent, as the rule
// says, whatever T is (Result.T still reports the terminations).
//
// It returns an apperr Invalid error for a negative prior weight or
// termination count, a public minimum below 1, a contract with an amount not
// above zero or a score outside 0–1000 tenths, or ratings whose sum lies
// outside 1 to 5 stars each.
func Percent(p Params, in Inputs) (Result, error) {
	var f apperr.Fields
	f.Check(p.PriorWeight >= 0, "prior_weight", "must be zero or more")
	f.Check(p.PublicMinimum >= 1, "public_minimum", "must be at least 1")
	f.Check(in.Terminations >= 0, "terminations", "must be zero or more")
	f.Check(in.Ratings >= 0 && in.RatingSum >= rating.MinStars*in.Ratings && in.RatingSum <= rating.MaxStars*in.Ratings,
		"ratings", "must sum to between 1 and 5 stars each")
	for i, c := range in.Contracts {
		f.Check(c.AmountFen > 0, fmt.Sprintf("contracts[%d].amount_fen", i), "must be more than zero")
		f.Check(c.ScoreTenths >= 0 && c.ScoreTenths <= 1000, fmt.Sprintf("contracts[%d].score", i), "must be between 0 and 100")
	}
	if err := f.Err(); err != nil {
		return Result{}, err
	}
	r := Result{T: in.Terminations}
	penalty := big.NewRat(10*int64(in.Terminations), 1)
	if len(in.Contracts) == 0 {
		r.Newcomer, r.P = true, big.NewRat(NewcomerPercent, 1)
		return r, nil
	}
	weighted, amount := new(big.Int), new(big.Int)
	for _, c := range in.Contracts {
		a := big.NewInt(int64(c.AmountFen))
		amount.Add(amount, a)
		weighted.Add(weighted, a.Mul(a, big.NewInt(c.ScoreTenths)))
	}
	r.S = new(big.Rat).SetFrac(weighted, amount.Mul(amount, big.NewInt(10)))
	if in.Ratings < int64(p.PublicMinimum) || in.PlatformMean == nil {
		r.R, r.RFromS = r.S, true
	} else {
		b, err := rating.BayesianFromSum(p.PriorWeight, in.PlatformMean, in.Ratings, in.RatingSum)
		if err != nil {
			return Result{}, err
		}
		r.B = b
		r.R = new(big.Rat).Mul(new(big.Rat).Sub(b, big.NewRat(1, 1)), big.NewRat(25, 1))
	}
	pct := new(big.Rat).Mul(big.NewRat(7, 10), r.S)
	pct.Add(pct, new(big.Rat).Mul(big.NewRat(3, 10), r.R))
	r.P = clamp(pct.Sub(pct, penalty))
	return r, nil
}

func clamp(x *big.Rat) *big.Rat {
	switch {
	case x.Sign() < 0:
		return new(big.Rat)
	case x.Cmp(big.NewRat(100, 1)) > 0:
		return big.NewRat(100, 1)
	}
	return x
}

// Rule names how a stored performance record was taken: RuleTrackRecord is
// Percent; RuleMeanFinalScore the plain mean final score that tenders opened
// before migration 00017 were scored with.
const (
	RuleTrackRecord    = "track_record"
	RuleMeanFinalScore = "mean_final_score"
)

// Basis is a performance record as the score table shows it: the window, the
// inputs and the parts, with two decimals (half up; P itself is kept exact).
type Basis struct {
	Rule string `json:"rule"`
	// Since and Until bound the window: contracts that ended after Since and
	// at or before Until (the tender's opening time) count.
	Since *time.Time `json:"since,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	// Completed is the number of completed contracts with a final score in
	// the window, AmountFen their total amount.
	Completed int       `json:"completed"`
	AmountFen money.Fen `json:"amount_fen"`
	// FinalScore is S; empty without a completed contract.
	FinalScore string `json:"final_score,omitempty"`
	// Ratings is the number of residents' ratings of those contracts;
	// Minimum the public minimum below which R is S.
	Ratings int64 `json:"ratings"`
	Minimum int   `json:"minimum,omitempty"`
	// Bayesian is B in stars; Satisfaction is R in percent, taken from S
	// when SatisfactionFromScore.
	Bayesian              string `json:"bayesian_average,omitempty"`
	Satisfaction          string `json:"satisfaction_percent,omitempty"`
	SatisfactionFromScore bool   `json:"satisfaction_from_score"`
	// TerminationsForCause is T.
	TerminationsForCause int `json:"terminations_for_cause"`
	// Percent is P.
	Percent  string `json:"percent"`
	Newcomer bool   `json:"newcomer"`
}

// basis describes r, taken over [since, until) with p.
func basis(p Params, in Inputs, r Result, since, until time.Time) Basis {
	b := Basis{Rule: RuleTrackRecord, Since: &since, Until: &until, Completed: len(in.Contracts), Ratings: in.Ratings,
		Minimum: p.PublicMinimum, SatisfactionFromScore: r.RFromS, TerminationsForCause: r.T, Percent: rating.Display(r.P),
		Newcomer: r.Newcomer}
	for _, c := range in.Contracts {
		b.AmountFen += c.AmountFen
	}
	if r.S != nil {
		b.FinalScore = rating.Display(r.S)
		b.Satisfaction = rating.Display(r.R)
	}
	if r.B != nil {
		b.Bayesian = rating.Display(r.B)
	}
	return b
}

// Record is an organization's performance record as a tender opening at
// Until takes it: P exact and its basis.
type Record struct {
	OrganizationID int64
	Result         Result
	Basis          Basis
}

// Take returns the performance record of each organization as a tender
// opening at `at` takes it, reading in db (a transaction or the pool):
//   - S from its contracts completed (status completed, with a final
//     score) whose ended_at is within WindowYears before at: after
//     at − 3 years and not after at;
//   - R from the ratings of those contracts (rating aggregates) and the
//     platform mean as they stand;
//   - T: its contracts terminated for cause (TerminatedForCause) in the same
//     window.
func Take(db *gorm.DB, p Params, orgIDs []int64, at time.Time) (map[int64]Record, error) {
	since := at.AddDate(-WindowYears, 0, 0)
	out := make(map[int64]Record, len(orgIDs))
	if len(orgIDs) == 0 {
		return out, nil
	}
	inputs, err := readInputs(db, orgIDs, since, at)
	if err != nil {
		return nil, err
	}
	for _, id := range orgIDs {
		in := inputs[id]
		r, err := Percent(p, in)
		if err != nil {
			return nil, fmt.Errorf("performance of organization %d: %w", id, err)
		}
		out[id] = Record{OrganizationID: id, Result: r, Basis: basis(p, in, r, since, at)}
	}
	return out, nil
}

// readInputs reads the Inputs of each organization over (since, until] in
// one statement, whatever the number of organizations and contracts: the
// completed contracts with a final score (by id), the ratings of those
// contracts from their rating aggregates, the terminations for cause, and
// the platform mean C from the platform's aggregates.
func readInputs(db *gorm.DB, orgIDs []int64, since, until time.Time) (map[int64]Inputs, error) {
	var rows []struct {
		OrganizationID int64
		Contracts      []Completed `gorm:"serializer:json"`
		Ratings        int64
		RatingSum      int64
		Terminations   int
		PlatformN      int64
		PlatformSum    int64
	}
	err := db.Raw(`WITH k AS (
			SELECT c.id, c.organization_id, c.amount_fen, (c.final_score * 10)::bigint AS tenths,
			       coalesce(a.n, 0) AS n, coalesce(a.sum_overall, 0) AS sum_overall
			FROM contracts c
			LEFT JOIN LATERAL (SELECT sum(n) AS n, sum(sum_overall) AS sum_overall FROM rating_aggregates
			                   WHERE scope = @contract AND scope_id = c.id) a ON true
			WHERE c.organization_id IN @orgs AND c.status = 'completed' AND c.final_score IS NOT NULL
			  AND c.ended_at > @since AND c.ended_at <= @until),
		platform AS (SELECT coalesce(sum(n), 0) AS n, coalesce(sum(sum_overall), 0) AS sum_overall FROM rating_aggregates
			WHERE scope = @platform AND scope_id = 0 AND kind IN @kinds)
		SELECT o.id AS organization_id,
		       coalesce((SELECT json_agg(json_build_object('ContractID', k.id, 'AmountFen', k.amount_fen, 'ScoreTenths', k.tenths) ORDER BY k.id)
		                 FROM k WHERE k.organization_id = o.id), '[]') AS contracts,
		       coalesce((SELECT sum(k.n) FROM k WHERE k.organization_id = o.id), 0) AS ratings,
		       coalesce((SELECT sum(k.sum_overall) FROM k WHERE k.organization_id = o.id), 0) AS rating_sum,
		       (SELECT count(*) FROM contracts c WHERE c.organization_id = o.id AND c.ended_at > @since AND c.ended_at <= @until
		          AND `+forCause+`) AS terminations,
		       platform.n AS platform_n, platform.sum_overall AS platform_sum
		FROM organizations o, platform WHERE o.id IN @orgs`,
		map[string]any{"orgs": orgIDs, "since": since, "until": until, "contract": rating.ScopeContract,
			"platform": rating.ScopePlatform, "kinds": []string{rating.KindCode, rating.KindFollowUp}}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("performance inputs of %v: %w", orgIDs, err)
	}
	out := make(map[int64]Inputs, len(rows))
	for _, r := range rows {
		in := Inputs{Contracts: r.Contracts, Ratings: r.Ratings, RatingSum: r.RatingSum, Terminations: r.Terminations}
		if len(in.Contracts) == 0 {
			in.Contracts = nil
		}
		if r.PlatformN > 0 {
			in.PlatformMean = big.NewRat(r.PlatformSum, r.PlatformN)
		}
		out[r.OrganizationID] = in
	}
	return out, nil
}

// forCause is the SQL condition (on contracts c) of a termination for cause:
// the subdistrict ended the contract on its own motion. A termination the
// organization asked for itself (an approved request of its side) is by
// agreement, and a draft dropped unsigned is lapsed, not terminated.
const forCause = `c.status = 'terminated' AND NOT EXISTS (SELECT 1 FROM contract_termination_requests r
	WHERE r.contract_id = c.id AND r.proposed_side = 'organization' AND r.status = 'approved')`
