package track_test

import (
	"math/big"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/track"
)

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}

func contract(yuan int64, tenths int64) track.Completed {
	return track.Completed{AmountFen: money.Fen(yuan * 100), ScoreTenths: tenths}
}

// TestPercent is the performance formula, P = 0.7 × S + 0.3 × R − 10 × T
// clamped to 0–100, exactly; the first case is the README's worked example.
func TestPercent(t *testing.T) {
	t.Parallel()
	p := track.Params{PriorWeight: 10, PublicMinimum: 5}
	four := big.NewRat(4, 1)
	tests := []struct {
		name string
		p    track.Params
		in   track.Inputs
		// want are P, S, B and R exactly ("" for nil), then the flags.
		wantP, wantS, wantB, wantR string
		rFromS, newcomer           bool
	}{
		{
			// S = (450,000 × 92.3 + 150,000 × 70.0) ÷ 600,000 = 86.725;
			// B = (10 × 4 + 168) ÷ (10 + 40) = 4.16; R = (4.16 − 1) × 25 = 79;
			// P = 60.7075 + 23.7 − 10 = 74.4075.
			name: "worked example", p: p,
			in:    track.Inputs{Contracts: []track.Completed{contract(450_000, 923), contract(150_000, 700)}, Ratings: 40, RatingSum: 168, PlatformMean: four, Terminations: 1},
			wantP: "74.4075", wantS: "86.725", wantB: "4.16", wantR: "79",
		},
		{
			name: "newcomer", p: p, in: track.Inputs{PlatformMean: four},
			wantP: "60", newcomer: true,
		},
		{
			name: "no completed contract, one terminated for cause", p: p, in: track.Inputs{PlatformMean: four, Terminations: 1},
			wantP: "50",
		},
		{
			name: "no completed contract, seven terminated for cause", p: p, in: track.Inputs{Terminations: 7},
			wantP: "0",
		},
		{
			name: "fewer ratings than the minimum: R = S", p: p,
			in:    track.Inputs{Contracts: []track.Completed{contract(300_000, 855)}, Ratings: 4, RatingSum: 4, PlatformMean: four},
			wantP: "85.5", wantS: "85.5", wantR: "85.5", rFromS: true,
		},
		{
			name: "exactly the minimum: R from the ratings", p: p,
			in: track.Inputs{Contracts: []track.Completed{contract(300_000, 855)}, Ratings: 5, RatingSum: 5, PlatformMean: four},
			// B = (40 + 5) ÷ 15 = 3; R = 50; P = 59.85 + 15.
			wantP: "74.85", wantS: "85.5", wantB: "3", wantR: "50",
		},
		{
			name: "no ratings on the platform: R = S", p: p,
			in:    track.Inputs{Contracts: []track.Completed{contract(300_000, 855)}},
			wantP: "85.5", wantS: "85.5", wantR: "85.5", rFromS: true,
		},
		{
			name: "a higher public minimum", p: track.Params{PriorWeight: 10, PublicMinimum: 41},
			in:    track.Inputs{Contracts: []track.Completed{contract(450_000, 923), contract(150_000, 700)}, Ratings: 40, RatingSum: 168, PlatformMean: four, Terminations: 1},
			wantP: "76.725", wantS: "86.725", wantR: "86.725", rFromS: true,
		},
		{
			name: "weighted by amount, not by count", p: p,
			in: track.Inputs{Contracts: []track.Completed{contract(900_000, 1000), contract(100_000, 0)}},
			// S = 90, not the plain mean 50.
			wantP: "90", wantS: "90", wantR: "90", rFromS: true,
		},
		{
			name: "a mean that does not end: kept exact", p: p,
			in:    track.Inputs{Contracts: []track.Completed{contract(100_000, 900), contract(200_000, 800)}},
			wantP: "250/3", wantS: "250/3", wantR: "250/3", rFromS: true,
		},
		{
			name: "one-star ratings: R = 0", p: track.Params{PriorWeight: 0, PublicMinimum: 1},
			in:    track.Inputs{Contracts: []track.Completed{contract(100_000, 800)}, Ratings: 20, RatingSum: 20, PlatformMean: four},
			wantP: "56", wantS: "80", wantB: "1", wantR: "0",
		},
		{
			name: "clamped at 0", p: p,
			in:    track.Inputs{Contracts: []track.Completed{contract(100_000, 300)}, Terminations: 4},
			wantP: "0", wantS: "30", wantR: "30", rFromS: true,
		},
		{
			name: "at 0 without clamping", p: p,
			in:    track.Inputs{Contracts: []track.Completed{contract(100_000, 300)}, Terminations: 3},
			wantP: "0", wantS: "30", wantR: "30", rFromS: true,
		},
		{
			name: "the top: 100", p: track.Params{PriorWeight: 0, PublicMinimum: 1},
			in:    track.Inputs{Contracts: []track.Completed{contract(100_000, 1000)}, Ratings: 3, RatingSum: 15, PlatformMean: four},
			wantP: "100", wantS: "100", wantB: "5", wantR: "100",
		},
		{
			name: "terminations lower a full record", p: p,
			in:    track.Inputs{Contracts: []track.Completed{contract(100_000, 1000)}, Terminations: 2},
			wantP: "80", wantS: "100", wantR: "100", rFromS: true,
		},
	}
	str := func(r *big.Rat) string {
		if r == nil {
			return ""
		}
		return r.RatString()
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := track.Percent(tt.p, tt.in)
			if err != nil {
				t.Fatalf("Percent() error = %v", err)
			}
			gotAll := []string{str(got.P), str(got.S), str(got.B), str(got.R)}
			wantAll := []string{rat(tt.wantP).RatString(), tt.wantS, tt.wantB, tt.wantR}
			for i, w := range wantAll[1:] {
				if w != "" {
					wantAll[i+1] = rat(w).RatString()
				}
			}
			if diff := cmp.Diff(wantAll, gotAll); diff != "" {
				t.Errorf("Percent() P, S, B, R (-want +got):\n%s", diff)
			}
			if got.RFromS != tt.rFromS || got.Newcomer != tt.newcomer || got.T != tt.in.Terminations {
				t.Errorf("Percent() RFromS, Newcomer, T = %v, %v, %d; want %v, %v, %d", got.RFromS, got.Newcomer, got.T, tt.rFromS, tt.newcomer, tt.in.Terminations)
			}
		})
	}
}

// The worked example shows as 74.41 %: two decimals, half up, for display
// only.
func TestPercentDisplay(t *testing.T) {
	t.Parallel()
	got, err := track.Percent(track.Params{PriorWeight: 10, PublicMinimum: 5}, track.Inputs{
		Contracts: []track.Completed{contract(450_000, 923), contract(150_000, 700)}, Ratings: 40, RatingSum: 168,
		PlatformMean: big.NewRat(4, 1), Terminations: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := rating.Display(got.P); d != "74.41" {
		t.Errorf("Display(P) = %s, want 74.41", d)
	}
}

func TestPercentRefusesBadInputs(t *testing.T) {
	t.Parallel()
	ok := track.Params{PriorWeight: 10, PublicMinimum: 5}
	tests := []struct {
		name   string
		p      track.Params
		in     track.Inputs
		fields []string
	}{
		{"negative prior weight", track.Params{PriorWeight: -1, PublicMinimum: 5}, track.Inputs{}, []string{"prior_weight"}},
		{"no public minimum", track.Params{PriorWeight: 10}, track.Inputs{}, []string{"public_minimum"}},
		{"negative terminations", ok, track.Inputs{Terminations: -1}, []string{"terminations"}},
		{"ratings above five stars", ok, track.Inputs{Ratings: 2, RatingSum: 11}, []string{"ratings"}},
		{"ratings below one star", ok, track.Inputs{Ratings: 2, RatingSum: 1}, []string{"ratings"}},
		{"a contract without an amount", ok, track.Inputs{Contracts: []track.Completed{{ScoreTenths: 800}}}, []string{"contracts[0].amount_fen"}},
		{"a score above 100", ok, track.Inputs{Contracts: []track.Completed{contract(1, 1001)}}, []string{"contracts[0].score"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := track.Percent(tt.p, tt.in)
			e, isApp := apperr.As(err)
			if !isApp || e.Kind != apperr.Invalid {
				t.Fatalf("Percent() error = %v, want an Invalid error", err)
			}
			var fields []string
			for _, f := range e.Fields {
				fields = append(fields, f.Field)
			}
			if diff := cmp.Diff(tt.fields, fields); diff != "" {
				t.Errorf("Percent() fields (-want +got):\n%s", diff)
			}
		})
	}
}
