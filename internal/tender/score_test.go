package tender_test

import (
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// pts turns whole points into member totals.
func pts(points ...int64) []tender.Score {
	out := make([]tender.Score, len(points))
	for i, p := range points {
		out[i] = tender.Score(p * 100)
	}
	return out
}

func yuan(t testing.TB, s string) money.Fen {
	t.Helper()
	f, err := money.ParseYuan(s)
	if err != nil {
		t.Fatalf("ParseYuan(%q) error = %v", s, err)
	}
	return f
}

func pct(p int64) *big.Rat { return big.NewRat(p, 100) }

var opening = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// at is a receipt time, minutes before the close.
func at(minutes int) time.Time { return opening.Add(-time.Duration(minutes) * time.Minute) }

// row is a BidScore as the committee reads it.
type row struct {
	ID                                    int64
	Price, Technical, Performance, PScore string
	Total                                 string
	Rank                                  int
	Reasons                               []string
}

func rows(got []tender.BidScore) []row {
	out := make([]row, len(got))
	for i, s := range got {
		if s.AbnormallyLow != (len(s.AbnormalReasons) > 0) {
			panic(fmt.Sprintf("bid %d: AbnormallyLow %v with reasons %v", s.ID, s.AbnormallyLow, s.AbnormalReasons))
		}
		out[i] = row{ID: s.ID, Price: s.Price.Yuan(), Technical: s.Technical.String(), Performance: s.Performance.String(),
			PScore: s.PriceScore.String(), Total: s.Total.String(), Rank: s.Rank, Reasons: s.AbnormalReasons}
	}
	return out
}

var std = tender.Weights{Price: 30, Technical: 60, Performance: 10}

func TestScoreBids(t *testing.T) {
	const A, B, C, D = 1, 2, 3, 4
	tests := []struct {
		name string
		w    tender.Weights
		bids []tender.BidInput
		want []row // best first
	}{
		{
			name: "worked example 2",
			w:    std,
			bids: []tender.BidInput{
				{ID: A, Price: yuan(t, "480,000.00"), MemberTotals: pts(52, 55, 50, 58, 54), PerformanceRecord: pct(85), ReceivedAt: at(40)},
				{ID: B, Price: yuan(t, "450,000.00"), MemberTotals: pts(56, 57, 55, 59, 50), PerformanceRecord: pct(90), ReceivedAt: at(30)},
				{ID: C, Price: yuan(t, "300,000.00"), MemberTotals: pts(40, 42, 45, 38, 44), ReceivedAt: at(20)},
				{ID: D, Price: yuan(t, "470,000.00"), MemberTotals: pts(50, 52, 51, 53, 49), PerformanceRecord: pct(70), ReceivedAt: at(10)},
			},
			want: []row{
				{ID: B, Price: "450000.00", Technical: "56.00", Performance: "9.00", PScore: "20.00", Total: "85.00", Rank: 1},
				{ID: A, Price: "480000.00", Technical: "53.67", Performance: "8.50", PScore: "18.75", Total: "80.92", Rank: 2},
				// 300,000 < 0.7 × 450,000 = 315,000, but not < 0.6 × 466,666.67 = 280,000.
				{ID: C, Price: "300000.00", Technical: "42.00", Performance: "6.00", PScore: "30.00", Total: "78.00", Rank: 3,
					Reasons: []string{tender.ReasonBelowNext}},
				{ID: D, Price: "470000.00", Technical: "51.00", Performance: "7.00", PScore: "19.15", Total: "77.15", Rank: 4},
			},
		},
		{
			name: "tie on total: higher technical first",
			w:    std,
			bids: []tender.BidInput{
				{ID: 5, Price: yuan(t, "400,000.00"), MemberTotals: pts(50, 50, 50, 50, 50), PerformanceRecord: pct(80), ReceivedAt: at(50)},
				{ID: 6, Price: yuan(t, "400,000.00"), MemberTotals: pts(52, 52, 52, 52, 52), ReceivedAt: at(10)},
			},
			want: []row{
				{ID: 6, Price: "400000.00", Technical: "52.00", Performance: "6.00", PScore: "30.00", Total: "88.00", Rank: 1},
				{ID: 5, Price: "400000.00", Technical: "50.00", Performance: "8.00", PScore: "30.00", Total: "88.00", Rank: 2},
			},
		},
		{
			name: "tie on total and technical: lower price first",
			w:    std,
			bids: []tender.BidInput{
				// 30 × 400,000 ÷ 480,000 = 25.00; the record makes up the 5 points.
				{ID: 1, Price: yuan(t, "480,000.00"), MemberTotals: pts(50, 50, 50, 50), PerformanceRecord: pct(100), ReceivedAt: at(50)},
				{ID: 2, Price: yuan(t, "400,000.00"), MemberTotals: pts(50, 50, 50, 50), PerformanceRecord: pct(50), ReceivedAt: at(10)},
			},
			want: []row{
				{ID: 2, Price: "400000.00", Technical: "50.00", Performance: "5.00", PScore: "30.00", Total: "85.00", Rank: 1},
				{ID: 1, Price: "480000.00", Technical: "50.00", Performance: "10.00", PScore: "25.00", Total: "85.00", Rank: 2},
			},
		},
		{
			name: "equal everything: earlier receipt first",
			w:    std,
			bids: []tender.BidInput{
				{ID: 1, Price: yuan(t, "400,000.00"), MemberTotals: pts(50, 51, 52, 53, 54), ReceivedAt: at(5)},
				{ID: 2, Price: yuan(t, "400,000.00"), MemberTotals: pts(50, 51, 52, 53, 54), ReceivedAt: at(6)},
			},
			want: []row{
				{ID: 2, Price: "400000.00", Technical: "52.00", Performance: "6.00", PScore: "30.00", Total: "88.00", Rank: 1},
				{ID: 1, Price: "400000.00", Technical: "52.00", Performance: "6.00", PScore: "30.00", Total: "88.00", Rank: 2},
			},
		},
		{
			name: "equal receipt too: the order passed in",
			w:    std,
			bids: []tender.BidInput{
				{ID: 9, Price: yuan(t, "400,000.00"), MemberTotals: pts(50), ReceivedAt: at(5)},
				{ID: 3, Price: yuan(t, "400,000.00"), MemberTotals: pts(50), ReceivedAt: at(5)},
			},
			want: []row{
				{ID: 9, Price: "400000.00", Technical: "50.00", Performance: "6.00", PScore: "30.00", Total: "86.00", Rank: 1},
				{ID: 3, Price: "400000.00", Technical: "50.00", Performance: "6.00", PScore: "30.00", Total: "86.00", Rank: 2},
			},
		},
		{
			name: "four members: no trimming",
			w:    std,
			bids: []tender.BidInput{
				// (40 + 50 + 55 + 60) ÷ 4 = 51.25; trimmed it would be 52.50.
				{ID: 1, Price: yuan(t, "100.00"), MemberTotals: pts(40, 50, 55, 60), PerformanceRecord: pct(100)},
			},
			want: []row{{ID: 1, Price: "100.00", Technical: "51.25", Performance: "10.00", PScore: "30.00", Total: "91.25", Rank: 1}},
		},
		{
			name: "exactly five members: the highest and lowest dropped",
			w:    std,
			bids: []tender.BidInput{
				// (50 + 55 + 58) ÷ 3 = 54.333…
				{ID: 1, Price: yuan(t, "100.00"), MemberTotals: pts(58, 40, 55, 60, 50), PerformanceRecord: pct(0)},
			},
			want: []row{{ID: 1, Price: "100.00", Technical: "54.33", Performance: "0.00", PScore: "30.00", Total: "84.33", Rank: 1}},
		},
		{
			name: "a repeated highest and lowest: one of each dropped",
			w:    std,
			bids: []tender.BidInput{
				// (60 + 50 + 45 + 40) ÷ 4 = 48.75; dropping every 60 and 40 would give 47.50.
				{ID: 1, Price: yuan(t, "100.00"), MemberTotals: pts(60, 40, 50, 60, 45, 40), PerformanceRecord: pct(0)},
			},
			want: []row{{ID: 1, Price: "100.00", Technical: "48.75", Performance: "0.00", PScore: "30.00", Total: "78.75", Rank: 1}},
		},
		{
			name: "halves round up, exactly",
			w:    std,
			bids: []tender.BidInput{
				// Technical (50.01 + 50.00 + 50.00 + 50.01) ÷ 4 = 50.005; performance 10 × 0.1235 = 1.235
				// (in binary floating point 1.2349999…); price 30 × 373.00 ÷ 6,000.00 = 1.865 (banker's rounding gives 1.86).
				{ID: 1, Price: yuan(t, "6,000.00"), MemberTotals: []tender.Score{5001, 5000, 5000, 5001}, PerformanceRecord: big.NewRat(1235, 10000)},
				{ID: 2, Price: yuan(t, "373.00"), MemberTotals: []tender.Score{0, 0, 0, 1}, PerformanceRecord: big.NewRat(12345, 100000)},
			},
			want: []row{
				{ID: 1, Price: "6000.00", Technical: "50.01", Performance: "1.24", PScore: "1.87", Total: "53.12", Rank: 1},
				// 0.0025 → 0.00; 10 × 0.12345 = 1.2345 → 1.23.
				{ID: 2, Price: "373.00", Technical: "0.00", Performance: "1.23", PScore: "30.00", Total: "31.23", Rank: 2,
					Reasons: []string{tender.ReasonBelowMean, tender.ReasonBelowNext}},
			},
		},
		{
			name: "abnormally low by both rules",
			w:    std,
			bids: []tender.BidInput{
				// Mean of the others 310.00 × 0.6 = 186.00; next 300.00 × 0.7 = 210.00.
				{ID: 1, Price: yuan(t, "100.00"), MemberTotals: pts(30)},
				{ID: 2, Price: yuan(t, "300.00"), MemberTotals: pts(30)},
				{ID: 3, Price: yuan(t, "310.00"), MemberTotals: pts(30)},
				{ID: 4, Price: yuan(t, "320.00"), MemberTotals: pts(30)},
			},
			want: []row{
				{ID: 1, Price: "100.00", Technical: "30.00", Performance: "6.00", PScore: "30.00", Total: "66.00", Rank: 1,
					Reasons: []string{tender.ReasonBelowMean, tender.ReasonBelowNext}},
				{ID: 2, Price: "300.00", Technical: "30.00", Performance: "6.00", PScore: "10.00", Total: "46.00", Rank: 2},
				{ID: 3, Price: "310.00", Technical: "30.00", Performance: "6.00", PScore: "9.68", Total: "45.68", Rank: 3},
				{ID: 4, Price: "320.00", Technical: "30.00", Performance: "6.00", PScore: "9.38", Total: "45.38", Rank: 4},
			},
		},
		{
			name: "abnormally low by the mean only",
			w:    std,
			bids: []tender.BidInput{
				// Mean of the others 710.00 × 0.6 = 426.00; next 130.00 × 0.7 = 91.00.
				{ID: 1, Price: yuan(t, "100.00"), MemberTotals: pts(30)},
				{ID: 2, Price: yuan(t, "130.00"), MemberTotals: pts(30)},
				{ID: 3, Price: yuan(t, "1,000.00"), MemberTotals: pts(30)},
				{ID: 4, Price: yuan(t, "1,000.00"), MemberTotals: pts(30)},
			},
			want: []row{
				{ID: 1, Price: "100.00", Technical: "30.00", Performance: "6.00", PScore: "30.00", Total: "66.00", Rank: 1,
					Reasons: []string{tender.ReasonBelowMean}},
				// 130.00 < 0.6 × 700.00 and < 0.7 × 1,000.00.
				{ID: 2, Price: "130.00", Technical: "30.00", Performance: "6.00", PScore: "23.08", Total: "59.08", Rank: 2,
					Reasons: []string{tender.ReasonBelowMean, tender.ReasonBelowNext}},
				{ID: 3, Price: "1000.00", Technical: "30.00", Performance: "6.00", PScore: "3.00", Total: "39.00", Rank: 3},
				{ID: 4, Price: "1000.00", Technical: "30.00", Performance: "6.00", PScore: "3.00", Total: "39.00", Rank: 4},
			},
		},
		{
			name: "exactly 40 % below the mean: not flagged",
			w:    std,
			bids: []tender.BidInput{
				// Mean of the others 100.00 × 0.6 = 60.00; next 85.00 × 0.7 = 59.50.
				{ID: 1, Price: yuan(t, "60.00"), MemberTotals: pts(30)},
				{ID: 2, Price: yuan(t, "85.00"), MemberTotals: pts(30)},
				{ID: 3, Price: yuan(t, "115.00"), MemberTotals: pts(30)},
			},
			want: []row{
				{ID: 1, Price: "60.00", Technical: "30.00", Performance: "6.00", PScore: "30.00", Total: "66.00", Rank: 1},
				{ID: 2, Price: "85.00", Technical: "30.00", Performance: "6.00", PScore: "21.18", Total: "57.18", Rank: 2},
				{ID: 3, Price: "115.00", Technical: "30.00", Performance: "6.00", PScore: "15.65", Total: "51.65", Rank: 3},
			},
		},
		{
			name: "equal prices: the next higher is the next distinct price",
			w:    std,
			bids: []tender.BidInput{
				// 60.00 < 0.7 × 100.00, though not below 0.7 × the other 60.00.
				{ID: 1, Price: yuan(t, "100.00"), MemberTotals: pts(30)},
				{ID: 2, Price: yuan(t, "60.00"), MemberTotals: pts(30)},
				{ID: 3, Price: yuan(t, "60.00"), MemberTotals: pts(30)},
			},
			want: []row{
				{ID: 2, Price: "60.00", Technical: "30.00", Performance: "6.00", PScore: "30.00", Total: "66.00", Rank: 1,
					Reasons: []string{tender.ReasonBelowNext}},
				{ID: 3, Price: "60.00", Technical: "30.00", Performance: "6.00", PScore: "30.00", Total: "66.00", Rank: 2,
					Reasons: []string{tender.ReasonBelowNext}},
				{ID: 1, Price: "100.00", Technical: "30.00", Performance: "6.00", PScore: "18.00", Total: "54.00", Rank: 3},
			},
		},
		{
			name: "exactly 30 % below the next: not flagged",
			w:    std,
			bids: []tender.BidInput{
				{ID: 1, Price: yuan(t, "70.00"), MemberTotals: pts(30)},
				{ID: 2, Price: yuan(t, "100.00"), MemberTotals: pts(30)},
			},
			want: []row{
				{ID: 1, Price: "70.00", Technical: "30.00", Performance: "6.00", PScore: "30.00", Total: "66.00", Rank: 1},
				{ID: 2, Price: "100.00", Technical: "30.00", Performance: "6.00", PScore: "21.00", Total: "57.00", Rank: 2},
			},
		},
		{
			name: "a single bid",
			w:    tender.Weights{Price: 0, Technical: 100, Performance: 0},
			bids: []tender.BidInput{{ID: 1, Price: 1, MemberTotals: pts(100, 99)}},
			want: []row{{ID: 1, Price: "0.01", Technical: "99.50", Performance: "0.00", PScore: "0.00", Total: "99.50", Rank: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tender.ScoreBids(tt.w, tt.bids)
			if err != nil {
				t.Fatalf("ScoreBids() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, rows(got)); diff != "" {
				t.Errorf("ScoreBids() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScoreBidsKeepsInput(t *testing.T) {
	totals := pts(58, 40, 55, 60, 50)
	record := pct(85)
	bids := []tender.BidInput{{ID: 1, Price: 100, MemberTotals: totals, PerformanceRecord: record}}
	if _, err := tender.ScoreBids(std, bids); err != nil {
		t.Fatalf("ScoreBids() error = %v", err)
	}
	if diff := cmp.Diff(pts(58, 40, 55, 60, 50), totals); diff != "" {
		t.Errorf("ScoreBids() changed the member totals (-want +got):\n%s", diff)
	}
	if record.Cmp(pct(85)) != 0 {
		t.Errorf("ScoreBids() changed the performance record to %v", record)
	}
}

func TestScoreBidsRefuses(t *testing.T) {
	ok := func(id int64) tender.BidInput {
		return tender.BidInput{ID: id, Price: 100_000, MemberTotals: pts(50, 50, 50), PerformanceRecord: pct(80)}
	}
	with := func(id int64, change func(*tender.BidInput)) tender.BidInput {
		b := ok(id)
		change(&b)
		return b
	}
	tests := []struct {
		name string
		w    tender.Weights
		bids []tender.BidInput
		want []apperr.FieldError
	}{
		{"weights over 100", tender.Weights{Price: 30, Technical: 60, Performance: 20}, []tender.BidInput{ok(1)},
			[]apperr.FieldError{{Field: "weights", Message: "must sum to 100"}}},
		{"weights under 100", tender.Weights{Price: 30, Technical: 60}, []tender.BidInput{ok(1)},
			[]apperr.FieldError{{Field: "weights", Message: "must sum to 100"}}},
		{"a negative weight", tender.Weights{Price: -10, Technical: 100, Performance: 10}, []tender.BidInput{ok(1)},
			[]apperr.FieldError{{Field: "weights.price", Message: "must be zero or more"}}},
		{"no bids", std, nil, []apperr.FieldError{{Field: "bids", Message: "must hold at least one bid"}}},
		{"a zero price", std, []tender.BidInput{ok(1), with(2, func(b *tender.BidInput) { b.Price = 0 })},
			[]apperr.FieldError{{Field: "bids[1].price", Message: "must be more than zero"}}},
		{"a negative price", std, []tender.BidInput{with(1, func(b *tender.BidInput) { b.Price = -1 })},
			[]apperr.FieldError{{Field: "bids[0].price", Message: "must be more than zero"}}},
		{"a member total above the technical weight", std,
			[]tender.BidInput{ok(1), with(2, func(b *tender.BidInput) { b.MemberTotals = []tender.Score{5000, 6001, 5000} })},
			[]apperr.FieldError{{Field: "bids[1].member_totals[1]", Message: "must be between 0 and the technical weight 60"}}},
		{"a negative member total", std, []tender.BidInput{with(1, func(b *tender.BidInput) { b.MemberTotals = []tender.Score{5000, 5000, -1} })},
			[]apperr.FieldError{{Field: "bids[0].member_totals[2]", Message: "must be between 0 and the technical weight 60"}}},
		{"no member totals", std, []tender.BidInput{with(1, func(b *tender.BidInput) { b.MemberTotals = nil })},
			[]apperr.FieldError{{Field: "bids[0].member_totals", Message: "must hold each committee member's total"}}},
		{"a member missing", std, []tender.BidInput{ok(1), with(2, func(b *tender.BidInput) { b.MemberTotals = pts(50, 50) })},
			[]apperr.FieldError{{Field: "bids[1].member_totals", Message: "must hold one total per committee member: 3, as bids[0] does"}}},
		{"a record above 1", std, []tender.BidInput{with(1, func(b *tender.BidInput) { b.PerformanceRecord = big.NewRat(101, 100) })},
			[]apperr.FieldError{{Field: "bids[0].performance_record", Message: "must be between 0 and 1"}}},
		{"a negative record", std, []tender.BidInput{with(1, func(b *tender.BidInput) { b.PerformanceRecord = big.NewRat(-1, 100) })},
			[]apperr.FieldError{{Field: "bids[0].performance_record", Message: "must be between 0 and 1"}}},
		{"a duplicate ID", std, []tender.BidInput{ok(1), ok(2), ok(1)},
			[]apperr.FieldError{{Field: "bids[2].id", Message: "duplicates bids[0].id"}}},
		{"everything at once", tender.Weights{Price: 50, Technical: 60}, []tender.BidInput{with(1, func(b *tender.BidInput) {
			b.Price = 0
			b.MemberTotals = pts(61)
		})}, []apperr.FieldError{
			{Field: "weights", Message: "must sum to 100"},
			{Field: "bids[0].price", Message: "must be more than zero"},
			{Field: "bids[0].member_totals[0]", Message: "must be between 0 and the technical weight 60"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tender.ScoreBids(tt.w, tt.bids)
			if got != nil {
				t.Errorf("ScoreBids() = %v, want nil", got)
			}
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid {
				t.Fatalf("ScoreBids() error = %v, want an Invalid apperr.Error", err)
			}
			if diff := cmp.Diff(tt.want, e.Fields); diff != "" {
				t.Errorf("ScoreBids() fields mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScoreString(t *testing.T) {
	tests := []struct {
		in   tender.Score
		want string
	}{{0, "0.00"}, {5, "0.05"}, {50, "0.50"}, {8092, "80.92"}, {10000, "100.00"}, {-105, "-1.05"},
		{-1 << 63, "-92233720368547758.08"}}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Score(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

// BenchmarkScoreBids scores a large open tender: 50 bids, 7 committee members.
func BenchmarkScoreBids(b *testing.B) {
	bids := make([]tender.BidInput, 50)
	for i := range bids {
		totals := make([]tender.Score, 7)
		for j := range totals {
			totals[j] = tender.Score(3000 + (i*131+j*577)%3001)
		}
		bids[i] = tender.BidInput{ID: int64(i + 1), Price: money.Fen(30_000_000 + (i*7919)%20_000_000),
			MemberTotals: totals, PerformanceRecord: big.NewRat(int64(50+i%50), 100), ReceivedAt: at(i)}
		if i%5 == 0 {
			bids[i].PerformanceRecord = nil
		}
	}
	for b.Loop() {
		got, err := tender.ScoreBids(std, bids)
		if err != nil || len(got) != len(bids) {
			b.Fatalf("ScoreBids() = %d scores, error = %v", len(got), err)
		}
	}
}
