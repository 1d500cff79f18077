package evaluation_test

import (
	"math/big"
	"testing"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/evaluation"
)

func dec(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("bad decimal %q", s)
	}
	return r
}

// WORKED_EXAMPLES §3: the contract score 92.3, grade 优秀, with a
// lower-is-better metric whose actual is zero.
func TestScoreWorkedExample(t *testing.T) {
	ms := []evaluation.Measure{
		{Weight: 30, Direction: "higher", TargetUsed: dec(t, "1200"), Actual: dec(t, "1100")}, // service visits delivered
		{Weight: 20, Direction: "higher", TargetUsed: dec(t, "90"), Actual: dec(t, "95")},     // coverage of registered elderly (%)
		{Weight: 20, Direction: "lower", TargetUsed: dec(t, "24"), Actual: dec(t, "30")},      // response time (hours)
		{Weight: 20, Direction: "higher", TargetUsed: dec(t, "85"), Actual: dec(t, "80")},     // resident satisfaction (%)
		{Weight: 10, Direction: "lower", TargetUsed: dec(t, "2"), Actual: dec(t, "0")},        // complaints upheld
	}
	res, err := evaluation.Score(ms)
	if err != nil {
		t.Fatalf("Score() error = %v", err)
	}
	if res.Score != 923 || res.Score.String() != "92.3" || res.Grade != evaluation.GradeExcellent || contract.Grade(res.Grade).Zh() != "优秀" {
		t.Errorf("Score() = %s %s, want 92.3 excellent", res.Score, res.Grade)
	}
	want := []string{"0.916667", "1.000000", "0.800000", "0.941176", "1.000000"}
	for i, a := range res.Attainments {
		if got := evaluation.Fixed(a, 6); got != want[i] {
			t.Errorf("attainment %d = %s, want %s", i, got, want[i])
		}
	}
}

func TestScoreGradesAndZeros(t *testing.T) {
	tests := []struct {
		name      string
		ms        []evaluation.Measure
		score     string
		grade     string
		attainOne string
	}{
		{"good at 80.0", []evaluation.Measure{{Weight: 1, Direction: "higher", TargetUsed: dec(t, "100"), Actual: dec(t, "80")}}, "80.0", evaluation.GradeGood, "0.800000"},
		{"pass just under 80", []evaluation.Measure{{Weight: 1, Direction: "higher", TargetUsed: dec(t, "1000"), Actual: dec(t, "799.49")}}, "79.9", evaluation.GradePass, "0.799490"},
		{"half up to 60.0", []evaluation.Measure{{Weight: 1, Direction: "higher", TargetUsed: dec(t, "1000"), Actual: dec(t, "599.50")}}, "60.0", evaluation.GradePass, "0.599500"},
		{"fail at 59.9", []evaluation.Measure{{Weight: 1, Direction: "higher", TargetUsed: dec(t, "1000"), Actual: dec(t, "599.49")}}, "59.9", evaluation.GradeFail, "0.599490"},
		{"higher, zero target_used: met", []evaluation.Measure{{Weight: 1, Direction: "higher", TargetUsed: dec(t, "0"), Actual: dec(t, "0")}}, "100.0", evaluation.GradeExcellent, "1.000000"},
		{"lower, zero target_used, zero actual: met", []evaluation.Measure{{Weight: 1, Direction: "lower", TargetUsed: dec(t, "0"), Actual: dec(t, "0")}}, "100.0", evaluation.GradeExcellent, "1.000000"},
		{"lower, zero target_used missed: 0", []evaluation.Measure{{Weight: 1, Direction: "lower", TargetUsed: dec(t, "0"), Actual: dec(t, "1")}}, "0.0", evaluation.GradeFail, "0.000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := evaluation.Score(tt.ms)
			if err != nil {
				t.Fatalf("Score() error = %v", err)
			}
			if res.Score.String() != tt.score || res.Grade != tt.grade || evaluation.Fixed(res.Attainments[0], 6) != tt.attainOne {
				t.Errorf("Score() = %s %s (%s), want %s %s (%s)", res.Score, res.Grade, evaluation.Fixed(res.Attainments[0], 6), tt.score, tt.grade, tt.attainOne)
			}
		})
	}
	if _, err := evaluation.Score(nil); !isInvalid(err, "metrics") {
		t.Errorf("Score(nil) error = %v, want invalid metrics", err)
	}
}

func TestShareAndTargetUsed(t *testing.T) {
	start, end := civil.NewDate(2026, 9, 23), civil.NewDate(2027, 9, 18) // 361 days
	day := civil.NewDate(2026, 1, 1)
	tests := []struct {
		name             string
		svcStart, svcEnd civil.Date
		from, to         civil.Date
		target           string
		cumulative       bool
		share, share6    string // exact, and as stored
		wantTargetUsed   string
	}{
		{"mid-term visits, 61 of 361 days", start, end, start, civil.NewDate(2026, 11, 22), "1200", true, "61/361", "0.168975", "202.77"},
		{"mid-term hours", start, end, start, civil.NewDate(2026, 11, 22), "2000", true, "61/361", "0.168975", "337.95"},
		{"a rate is not pro-rated", start, end, start, civil.NewDate(2026, 11, 22), "85", false, "61/361", "0.168975", "85.00"},
		{"whole period", start, end, start, end, "1200", true, "1", "1.000000", "1200.00"},
		{"rounded half up at the cent", day, day.AddDays(7), day, day, "0.1", true, "1/8", "0.125000", "0.01"},
		{"rounded down below the half", day, day.AddDays(7), day, day, "0.03", true, "1/8", "0.125000", "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			share := evaluation.Share(tt.svcStart, tt.svcEnd, tt.from, tt.to)
			if share.RatString() != tt.share || evaluation.Fixed(share, 6) != tt.share6 {
				t.Errorf("Share() = %s (%s), want %s (%s)", share.RatString(), evaluation.Fixed(share, 6), tt.share, tt.share6)
			}
			if got := evaluation.Fixed(evaluation.TargetUsed(dec(t, tt.target), share, tt.cumulative), 2); got != tt.wantTargetUsed {
				t.Errorf("TargetUsed() = %s, want %s", got, tt.wantTargetUsed)
			}
		})
	}
}

func TestCumulativeAndParse(t *testing.T) {
	for _, tt := range []struct {
		source, code string
		want         bool
	}{
		{"service_records", "service_visits", true},
		{"service_records", "volunteer_hours", true},
		{"service_records", "elderly_coverage", false},
		{"complaints", "complaints_upheld", true},
		{"service_requests", "response_time", false},
		{"resident_ratings", "resident_satisfaction", false},
		{"evaluator", "inspection_score", false},
	} {
		if got := evaluation.Cumulative(tt.source, tt.code); got != tt.want {
			t.Errorf("Cumulative(%s, %s) = %v, want %v", tt.source, tt.code, got, tt.want)
		}
	}
	for s, ok := range map[string]bool{"87.5": true, "0": true, "1100.25": true, "-1": false, "1.234": false, "1e3": false, "": false,
		"abc": false, "1234567890123": false, " 12 ": true} {
		if _, got := evaluation.ParseAmount(s); got != ok {
			t.Errorf("ParseAmount(%q) ok = %v, want %v", s, got, ok)
		}
	}
}
