// Package tender holds tenders and their lifecycle: sealed bids, the opening,
// comprehensive scoring (综合评分法), the proposed and final award, and
// challenges (质疑) during the challenge period.
//
// Locking: every transaction that changes a tender or anything of it (bids,
// scores, award proposals, challenges) first locks the tender's row, then the
// fund account's ledger rows when money may move, so that two transactions
// never hold each other's rows: whoever holds a tender's row holds its parts.
//
// This file is the scoring engine: pure functions over the bids a committee
// has scored, with exact arithmetic. Scores are Score values, integer
// hundredths of a point; every component is rounded to two decimals, half up,
// and a bid's total is the sum of its rounded components, so that the
// published parts always add up to the published total.
package tender

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Score is a bid score in hundredths of a point: Score(8092) is 80.92 points.
type Score int64

// String returns s with two decimals, e.g. "80.92".
func (s Score) String() string {
	sign, v := "", uint64(s)
	if s < 0 {
		sign, v = "-", -v
	}
	frac := strconv.FormatUint(v%100, 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + strconv.FormatUint(v/100, 10) + "." + frac
}

// Weights are a tender's evaluation weights in points: the most a bid can score
// for its price, its technical proposal and its bidder's performance record.
// They are zero or more and sum to 100.
type Weights struct {
	Price       int `json:"price"`
	Technical   int `json:"technical"`
	Performance int `json:"performance"`
}

// NewcomerPercent is the performance record, in percent, of a bidder with no
// past contracts: neutral, neither rewarded nor punished.
const NewcomerPercent = 60

// Reasons a bid is flagged as abnormally low (AbnormalReasons).
const (
	// ReasonBelowMean: the price is more than 40 % below the mean price of
	// the other bids.
	ReasonBelowMean = "below_mean_of_others"
	// ReasonBelowNext: the price is more than 30 % below the next higher
	// price among the bids.
	ReasonBelowNext = "below_next_higher_price"
)

// BidInput is one compliant bid as the evaluation committee scored it.
type BidInput struct {
	ID    int64
	Price money.Fen
	// MemberTotals holds each committee member's technical total for the bid
	// (the sum of the member's criterion scores), between 0 and the technical
	// weight. Every bid carries one total per member.
	MemberTotals []Score
	// PerformanceRecord is the bidder's track record as a share between 0
	// and 1 (17/20 for 85 %); nil marks a newcomer, who gets NewcomerPercent.
	PerformanceRecord *big.Rat
	// ReceivedAt is when the bid was received; it breaks the last tie.
	ReceivedAt time.Time
}

// BidScore is the scoring of one bid.
type BidScore struct {
	ID    int64
	Price money.Fen
	// PriceScore, Technical and Performance are the rounded components;
	// Total is their sum.
	PriceScore  Score
	Technical   Score
	Performance Score
	Total       Score
	// Rank is the bid's place, from 1; no two bids share one.
	Rank int
	// AbnormallyLow informs the committee that the price may not cover the
	// service (AbnormalReasons says why); it does not exclude the bid.
	AbnormallyLow   bool
	AbnormalReasons []string
}

// ScoreBids scores the compliant bids of one tender with the comprehensive
// method and ranks them. The caller passes only bids that passed the
// compliance check: the lowest price among them is the reference price.
//
//   - price score = price weight × lowest price ÷ bid price;
//   - technical score = mean of the member totals; with five or more members
//     the single highest and the single lowest total are dropped first;
//   - performance score = performance weight × performance record
//     (NewcomerPercent for a newcomer).
//
// Each component is rounded to two decimals, half up, and the total is their
// sum. Bids are returned best first: by total, then technical score (both
// rounded, as published; higher first), then price (lower first), then
// receipt (earlier first); bids equal in all of these keep the order they
// were passed in.
//
// A bid is flagged abnormally low when its price is more than 40 % below the
// mean price of the other bids (price < 0.6 × mean), or more than 30 % below
// the next higher price among the bids (price < 0.7 × next); both tests are
// exact and strict, so a price exactly 30 % below is not flagged.
//
// ScoreBids returns an apperr Invalid error, naming every bad field, for
// weights that are negative or do not sum to 100, no bids, a duplicate ID, a
// price that is not more than zero, a bid without member totals or with a
// different number of them than the first bid, a member total outside 0 to the
// technical weight, or a performance record outside 0 to 1.
func ScoreBids(w Weights, bids []BidInput) ([]BidScore, error) {
	if err := validate(w, bids); err != nil {
		return nil, err
	}
	lowest := bids[0].Price
	for _, b := range bids[1:] {
		lowest = min(lowest, b.Price)
	}
	// 100 × price weight × lowest price: the numerator of every price score
	// in hundredths.
	priceNum := new(big.Int).Mul(big.NewInt(int64(w.Price)*100), big.NewInt(int64(lowest)))
	newcomer := big.NewRat(NewcomerPercent, 100)
	out := make([]BidScore, len(bids))
	for i, b := range bids {
		s := BidScore{ID: b.ID, Price: b.Price}
		s.PriceScore = roundDiv(new(big.Int).Set(priceNum), big.NewInt(int64(b.Price)))
		s.Technical = technical(b.MemberTotals)
		record := b.PerformanceRecord
		if record == nil {
			record = newcomer
		}
		s.Performance = roundDiv(new(big.Int).Mul(big.NewInt(int64(w.Performance)*100), record.Num()), record.Denom())
		s.Total = s.PriceScore + s.Technical + s.Performance
		out[i] = s
	}
	flagAbnormal(bids, out)

	order := make([]int, len(bids))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := out[i], out[j]
		if c := cmp.Compare(b.Total, a.Total); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Technical, a.Technical); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Price, b.Price); c != 0 {
			return c
		}
		return bids[i].ReceivedAt.Compare(bids[j].ReceivedAt)
	})
	ranked := make([]BidScore, len(out))
	for r, i := range order {
		ranked[r] = out[i]
		ranked[r].Rank = r + 1
	}
	return ranked, nil
}

// technical returns the mean of the member totals, trimmed of the single
// highest and lowest when there are five or more, rounded half up.
func technical(totals []Score) Score {
	kept := totals
	if len(totals) >= 5 {
		kept = slices.Clone(totals)
		slices.Sort(kept)
		kept = kept[1 : len(kept)-1]
	}
	var sum int64
	for _, t := range kept {
		sum += int64(t)
	}
	// Totals are at most 100.00 points each, so the sum cannot overflow.
	return Score((2*sum + int64(len(kept))) / (2 * int64(len(kept))))
}

// flagAbnormal sets the abnormally-low flags of out, which is parallel to bids.
func flagAbnormal(bids []BidInput, out []BidScore) {
	prices := make([]money.Fen, len(bids))
	sum := new(big.Int)
	for i, b := range bids {
		prices[i] = b.Price
		sum.Add(sum, big.NewInt(int64(b.Price)))
	}
	slices.Sort(prices)
	prices = slices.Compact(prices)
	others := big.NewInt(int64(len(bids) - 1))
	var lhs, rhs big.Int
	for i, b := range bids {
		p := big.NewInt(int64(b.Price))
		if len(bids) > 1 {
			// price < 0.6 × (sum − price) ÷ (n − 1)  ⇔  10 × price × (n − 1) < 6 × (sum − price)
			lhs.Mul(p, others)
			lhs.Mul(&lhs, big.NewInt(10))
			rhs.Sub(sum, p)
			rhs.Mul(&rhs, big.NewInt(6))
			if lhs.Cmp(&rhs) < 0 {
				out[i].AbnormalReasons = append(out[i].AbnormalReasons, ReasonBelowMean)
			}
		}
		// prices holds this one; the next higher is the one after it.
		if k, _ := slices.BinarySearch(prices, b.Price); k+1 < len(prices) {
			// price < 0.7 × next  ⇔  10 × price < 7 × next
			lhs.Mul(p, big.NewInt(10))
			rhs.Mul(big.NewInt(int64(prices[k+1])), big.NewInt(7))
			if lhs.Cmp(&rhs) < 0 {
				out[i].AbnormalReasons = append(out[i].AbnormalReasons, ReasonBelowNext)
			}
		}
		out[i].AbnormallyLow = len(out[i].AbnormalReasons) > 0
	}
}

// roundDiv returns num ÷ den in whole units, rounded half up; den > 0. It
// reuses num.
func roundDiv(num, den *big.Int) Score {
	num.Lsh(num, 1)
	num.Add(num, den)
	// Euclidean division by a positive divisor is floor division.
	return Score(num.Div(num, new(big.Int).Lsh(den, 1)).Int64())
}

func validate(w Weights, bids []BidInput) error {
	var f apperr.Fields
	f.Check(w.Price >= 0, "weights.price", "must be zero or more")
	f.Check(w.Technical >= 0, "weights.technical", "must be zero or more")
	f.Check(w.Performance >= 0, "weights.performance", "must be zero or more")
	f.Check(w.Price+w.Technical+w.Performance == 100, "weights", "must sum to 100")
	f.Check(len(bids) > 0, "bids", "must hold at least one bid")
	seen := make(map[int64]int, len(bids))
	maxTotal := Score(w.Technical) * 100
	for i, b := range bids {
		field := fmt.Sprintf("bids[%d]", i)
		if k, dup := seen[b.ID]; dup {
			f.Add(field+".id", fmt.Sprintf("duplicates bids[%d].id", k))
		} else {
			seen[b.ID] = i
		}
		f.Check(b.Price > 0, field+".price", "must be more than zero")
		switch {
		case len(b.MemberTotals) == 0:
			f.Add(field+".member_totals", "must hold each committee member's total")
		case len(b.MemberTotals) != len(bids[0].MemberTotals):
			f.Add(field+".member_totals", fmt.Sprintf("must hold one total per committee member: %d, as bids[0] does", len(bids[0].MemberTotals)))
		}
		for j, t := range b.MemberTotals {
			f.Check(t >= 0 && t <= maxTotal, fmt.Sprintf("%s.member_totals[%d]", field, j),
				"must be between 0 and the technical weight "+strconv.Itoa(w.Technical))
		}
		if r := b.PerformanceRecord; r != nil {
			f.Check(r.Sign() >= 0 && r.Cmp(big.NewRat(1, 1)) <= 0, field+".performance_record", "must be between 0 and 1")
		}
	}
	return f.Err()
}

// AbnormalFlags returns, for each of the compliant prices, the reasons it is
// abnormally low among them (ReasonBelowMean, ReasonBelowNext), as ScoreBids
// flags them: the opening informs the committee before any scoring.
func AbnormalFlags(prices []money.Fen) [][]string {
	bids := make([]BidInput, len(prices))
	for i, p := range prices {
		bids[i].Price = p
	}
	out := make([]BidScore, len(prices))
	flagAbnormal(bids, out)
	flags := make([][]string, len(prices))
	for i := range out {
		flags[i] = nonNil(out[i].AbnormalReasons)
	}
	return flags
}

// MarshalJSON writes s as an exact decimal number, e.g. 80.92.
func (s Score) MarshalJSON() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalJSON reads a decimal number with at most two decimals, e.g. 12.5,
// exactly; an exponent, more decimals or a value beyond ±10⁹ is refused.
func (s *Score) UnmarshalJSON(b []byte) error {
	v, err := ParseScore(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ErrScoreSyntax is returned by ParseScore.
var ErrScoreSyntax = fmt.Errorf("a score is a decimal number with at most two decimals")

// ParseScore parses "12", "12.5" or "12.50" into hundredths, exactly.
func ParseScore(text string) (Score, error) {
	neg := strings.HasPrefix(text, "-")
	text = strings.TrimPrefix(text, "-")
	whole, frac, dotted := strings.Cut(text, ".")
	if whole == "" || len(whole) > 9 || len(frac) > 2 || (dotted && frac == "") {
		return 0, ErrScoreSyntax
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, ErrScoreSyntax
		}
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := Score(w*100 + f)
	if neg {
		v = -v
	}
	return v, nil
}
