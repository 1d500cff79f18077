package contract_test

import (
	"math"
	"math/big"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/money"
)

func n(v int64) *big.Rat { return big.NewRat(v, 1) }

// workedMetrics are the metrics of WORKED_EXAMPLES §3.
func workedMetrics() []contract.MetricResult {
	return []contract.MetricResult{
		{Weight: 30, Direction: contract.Higher, Target: n(1200), Actual: n(1100)}, // service visits delivered
		{Weight: 20, Direction: contract.Higher, Target: n(90), Actual: n(95)},     // coverage of registered elderly (%)
		{Weight: 20, Direction: contract.Lower, Target: n(24), Actual: n(30)},      // response time (hours)
		{Weight: 20, Direction: contract.Higher, Target: n(85), Actual: n(80)},     // resident satisfaction (%)
		{Weight: 10, Direction: contract.Lower, Target: n(2), Actual: n(0)},        // complaints upheld
	}
}

func TestAttainment(t *testing.T) {
	tests := []struct {
		name           string
		d              contract.Direction
		target, actual *big.Rat
		want           string // exact
		want6          string // as WORKED_EXAMPLES prints it
	}{
		{"§3 visits", contract.Higher, n(1200), n(1100), "11/12", "0.916667"},
		{"§3 coverage, capped", contract.Higher, n(90), n(95), "1", "1.000000"},
		{"§3 response time", contract.Lower, n(24), n(30), "4/5", "0.800000"},
		{"§3 satisfaction", contract.Higher, n(85), n(80), "16/17", "0.941176"},
		{"§3 complaints, zero actual", contract.Lower, n(2), n(0), "1", "1.000000"},
		{"lower, met early", contract.Lower, n(24), n(12), "1", "1.000000"},
		{"higher, exactly met", contract.Higher, n(85), n(85), "1", "1.000000"},
		{"higher, nothing delivered", contract.Higher, n(1200), n(0), "0", "0.000000"},
		{"higher, zero target, zero actual", contract.Higher, n(0), n(0), "1", "1.000000"},
		{"higher, zero target", contract.Higher, n(0), n(7), "1", "1.000000"},
		{"lower, zero target, zero actual", contract.Lower, n(0), n(0), "1", "1.000000"},
		{"lower, zero target missed", contract.Lower, n(0), n(1), "0", "0.000000"},
		{"decimals", contract.Higher, big.NewRat(855, 10), big.NewRat(81225, 1000), "19/20", "0.950000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := contract.Attainment(tt.d, tt.target, tt.actual)
			if err != nil {
				t.Fatalf("Attainment() error = %v", err)
			}
			if got.RatString() != tt.want || got.FloatString(6) != tt.want6 {
				t.Errorf("Attainment() = %s (%s), want %s (%s)", got.RatString(), got.FloatString(6), tt.want, tt.want6)
			}
		})
	}
}

func TestAttainmentKeepsInput(t *testing.T) {
	target, actual := n(90), n(95)
	a, err := contract.Attainment(contract.Higher, target, actual)
	if err != nil {
		t.Fatalf("Attainment() error = %v", err)
	}
	a.SetInt64(7)
	if target.Cmp(n(90)) != 0 || actual.Cmp(n(95)) != 0 {
		t.Errorf("Attainment() shares its result with its input: target %v, actual %v", target, actual)
	}
}

func TestAttainmentRefuses(t *testing.T) {
	tests := []struct {
		name           string
		d              contract.Direction
		target, actual *big.Rat
		want           []apperr.FieldError
	}{
		{"unknown direction", "up", n(1), n(1), []apperr.FieldError{{Field: "direction", Message: "must be higher or lower"}}},
		{"negative target", contract.Higher, n(-1), n(1), []apperr.FieldError{{Field: "target", Message: "must be zero or more"}}},
		{"negative actual", contract.Lower, n(1), n(-1), []apperr.FieldError{{Field: "actual", Message: "must be zero or more"}}},
		{"missing values", contract.Lower, nil, nil, []apperr.FieldError{
			{Field: "target", Message: "must be zero or more"}, {Field: "actual", Message: "must be zero or more"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := contract.Attainment(tt.d, tt.target, tt.actual)
			if got != nil {
				t.Errorf("Attainment() = %v, want nil", got)
			}
			checkFields(t, "Attainment()", err, tt.want)
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

func TestContractScore(t *testing.T) {
	tests := []struct {
		name      string
		metrics   []contract.MetricResult
		want      string
		wantGrade contract.Grade
		wantZh    string
	}{
		// 100 × (27.5 + 20 + 16 + 18.82353 + 10) ÷ 100 = 92.32353.
		{"worked example 3", workedMetrics(), "92.3", contract.Excellent, "优秀"},
		{"all met", []contract.MetricResult{{Weight: 1, Direction: contract.Higher, Target: n(1), Actual: n(2)}}, "100.0", contract.Excellent, "优秀"},
		{"nothing delivered", []contract.MetricResult{{Weight: 1, Direction: contract.Higher, Target: n(1), Actual: n(0)}}, "0.0", contract.Fail, "不合格"},
		// 100 × (1 × 1 + 1 × 0.599) ÷ 2 = 79.95: half up to 80.0, good, not 79.9, pass.
		{"a half rounds up", []contract.MetricResult{
			{Weight: 1, Direction: contract.Higher, Target: n(1), Actual: n(1)},
			{Weight: 1, Direction: contract.Higher, Target: n(1000), Actual: n(599)},
		}, "80.0", contract.Good, "良好"},
		// 100 × (3 × 0.7 + 0 × 1) ÷ 3 = 70: a zero weight counts for nothing.
		{"a zero weight", []contract.MetricResult{
			{Weight: 3, Direction: contract.Lower, Target: n(7), Actual: n(10)},
			{Weight: 0, Direction: contract.Higher, Target: n(1), Actual: n(1)},
		}, "70.0", contract.Pass, "合格"},
		// 100 × 2 ÷ 3 = 66.666…
		{"thirds", []contract.MetricResult{{Weight: 3, Direction: contract.Higher, Target: n(3), Actual: n(2)}}, "66.7", contract.Pass, "合格"},
		// 100 × 0.5995 = 59.95 → 60.0: the rounded score passes.
		{"a half at 60", []contract.MetricResult{{Weight: 5, Direction: contract.Higher, Target: n(2000), Actual: n(1199)}}, "60.0", contract.Pass, "合格"},
		// 100 × 0.5994 = 59.94 → 59.9.
		{"just under 60", []contract.MetricResult{{Weight: 5, Direction: contract.Higher, Target: n(5000), Actual: n(2997)}}, "59.9", contract.Fail, "不合格"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := contract.ContractScore(tt.metrics)
			if err != nil {
				t.Fatalf("ContractScore() error = %v", err)
			}
			if got.String() != tt.want || got.Grade() != tt.wantGrade || got.Grade().Zh() != tt.wantZh {
				t.Errorf("ContractScore() = %s, grade %s %s; want %s, grade %s %s",
					got, got.Grade(), got.Grade().Zh(), tt.want, tt.wantGrade, tt.wantZh)
			}
		})
	}
}

func TestContractScoreRefuses(t *testing.T) {
	metric := func(change func(*contract.MetricResult)) contract.MetricResult {
		m := contract.MetricResult{Weight: 10, Direction: contract.Higher, Target: n(1), Actual: n(1)}
		change(&m)
		return m
	}
	tests := []struct {
		name    string
		metrics []contract.MetricResult
		want    []apperr.FieldError
	}{
		{"no metrics", nil, []apperr.FieldError{{Field: "metrics", Message: "must hold at least one metric"}}},
		{"weights summing to zero", []contract.MetricResult{metric(func(m *contract.MetricResult) { m.Weight = 0 })},
			[]apperr.FieldError{{Field: "metrics", Message: "must have weights summing to more than zero"}}},
		{"a negative weight", []contract.MetricResult{metric(func(*contract.MetricResult) {}), metric(func(m *contract.MetricResult) { m.Weight = -1 })},
			[]apperr.FieldError{{Field: "metrics[1].weight", Message: "must be zero or more"}}},
		{"a bad metric", []contract.MetricResult{metric(func(m *contract.MetricResult) { m.Direction = ""; m.Actual = nil })},
			[]apperr.FieldError{{Field: "metrics[0].direction", Message: "must be higher or lower"}, {Field: "metrics[0].actual", Message: "must be zero or more"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := contract.ContractScore(tt.metrics)
			if got != 0 {
				t.Errorf("ContractScore() = %s, want 0", got)
			}
			checkFields(t, "ContractScore()", err, tt.want)
		})
	}
}

func TestGrade(t *testing.T) {
	tests := []struct {
		in   contract.Score
		want contract.Grade
	}{
		{1000, contract.Excellent}, {900, contract.Excellent}, {899, contract.Good}, {800, contract.Good},
		{799, contract.Pass}, {600, contract.Pass}, {599, contract.Fail}, {0, contract.Fail},
	}
	for _, tt := range tests {
		if got := tt.in.Grade(); got != tt.want {
			t.Errorf("Score(%s).Grade() = %s, want %s", tt.in, got, tt.want)
		}
	}
	if got := contract.Grade("unknown").Zh(); got != "" {
		t.Errorf(`Grade("unknown").Zh() = %q, want ""`, got)
	}
}

func TestPaymentFactor(t *testing.T) {
	tests := []struct {
		score contract.Score
		want  string // exact
		want2 string // as WORKED_EXAMPLES prints it
	}{
		{950, "1", "1.00"}, {800, "1", "1.00"}, {700, "9/10", "0.90"}, {600, "4/5", "0.80"}, {599, "0", "0.00"}, // §4
		{1000, "1", "1.00"}, {799, "999/1000", "1.00"}, {601, "801/1000", "0.80"}, {650, "17/20", "0.85"}, {0, "0", "0.00"},
	}
	for _, tt := range tests {
		got := contract.PaymentFactor(tt.score)
		if got.RatString() != tt.want || got.FloatString(2) != tt.want2 {
			t.Errorf("PaymentFactor(%s) = %s (%s), want %s (%s)", tt.score, got.RatString(), got.FloatString(2), tt.want, tt.want2)
		}
	}
}

func yuan(t *testing.T, s string) money.Fen {
	t.Helper()
	f, err := money.ParseYuan(s)
	if err != nil {
		t.Fatalf("ParseYuan(%q) error = %v", s, err)
	}
	return f
}

func yuans(fs []money.Fen) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Yuan()
	}
	return out
}

func TestMilestoneAmounts(t *testing.T) {
	tests := []struct {
		name     string
		total    money.Fen
		percents []int
		want     []string
	}{
		{"§4 default", 45_000_000, nil, []string{"135000.00", "180000.00", "135000.00"}},
		{"§4 explicit", 45_000_000, []int{30, 40, 30}, []string{"135000.00", "180000.00", "135000.00"}},
		// 3,000.30 and 4,000.40 round down; the last takes 3,000.31.
		{"remainder to the last", 1_000_101, nil, []string{"3000.30", "4000.40", "3000.31"}},
		{"thirds of a fen", 1, nil, []string{"0.00", "0.00", "0.01"}},
		{"one milestone", 12_345, []int{100}, []string{"123.45"}},
		{"nothing", 0, nil, []string{"0.00", "0.00", "0.00"}},
		{"the largest amount", math.MaxInt64, []int{99, 1}, []string{"91311383164862280.48", "922337203685477.59"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := contract.MilestoneAmounts(tt.total, tt.percents)
			if err != nil {
				t.Fatalf("MilestoneAmounts() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, yuans(got)); diff != "" {
				t.Errorf("MilestoneAmounts() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMilestoneAmountsRefuses(t *testing.T) {
	tests := []struct {
		name     string
		total    money.Fen
		percents []int
		want     []apperr.FieldError
	}{
		{"a negative total", -1, nil, []apperr.FieldError{{Field: "total", Message: "must be zero or more"}}},
		{"under 100", 100, []int{30, 40}, []apperr.FieldError{{Field: "percents", Message: "must sum to 100"}}},
		{"a zero milestone", 100, []int{30, 0, 70}, []apperr.FieldError{{Field: "percents[1]", Message: "must be between 1 and 100"}}},
		{"a negative milestone", 100, []int{110, -10}, []apperr.FieldError{
			{Field: "percents[0]", Message: "must be between 1 and 100"}, {Field: "percents[1]", Message: "must be between 1 and 100"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := contract.MilestoneAmounts(tt.total, tt.percents)
			if got != nil {
				t.Errorf("MilestoneAmounts() = %v, want nil", got)
			}
			checkFields(t, "MilestoneAmounts()", err, tt.want)
		})
	}
}

func TestMilestonePayment(t *testing.T) {
	// §4: the mid-term evaluation of a 450,000.00 contract scores 70.
	amounts, err := contract.MilestoneAmounts(yuan(t, "450,000.00"), nil)
	if err != nil {
		t.Fatalf("MilestoneAmounts() error = %v", err)
	}
	second := amounts[1]
	paid := contract.MilestonePayment(second, contract.PaymentFactor(700))
	if got, rest := paid.Yuan(), (second - paid).Yuan(); got != "162000.00" || rest != "18000.00" {
		t.Errorf("MilestonePayment(%s, PaymentFactor(70.0)) = %s, leaving %s; want 162000.00, leaving 18000.00", second.Yuan(), got, rest)
	}

	tests := []struct {
		amount money.Fen
		factor *big.Rat
		want   money.Fen
	}{
		{18_000_000, big.NewRat(1, 1), 18_000_000},
		{18_000_000, new(big.Rat), 0},
		{5, big.NewRat(9, 10), 5},               // 4.5 → 5
		{15, big.NewRat(9, 10), 14},             // 13.5 → 14
		{25, big.NewRat(9, 10), 23},             // 22.5 → 23 (banker's rounding gives 22)
		{12_345, big.NewRat(999, 1000), 12_333}, // 12,332.655 → 12,333
		{1, big.NewRat(1, 2), 1},                // 0.5 → 1
		{1, big.NewRat(49, 100), 0},             // 0.49 → 0
	}
	for _, tt := range tests {
		if got := contract.MilestonePayment(tt.amount, tt.factor); got != tt.want {
			t.Errorf("MilestonePayment(%d, %s) = %d, want %d", tt.amount, tt.factor.RatString(), got, tt.want)
		}
	}
}

func TestMilestonePaymentPanics(t *testing.T) {
	tests := []struct {
		name   string
		amount money.Fen
		factor *big.Rat
	}{
		{"negative amount", -1, big.NewRat(1, 1)},
		{"nil factor", 1, nil},
		{"factor above 1", 1, big.NewRat(11, 10)},
		{"negative factor", 1, big.NewRat(-1, 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("MilestonePayment(%d, %v) did not panic", tt.amount, tt.factor)
				}
			}()
			contract.MilestonePayment(tt.amount, tt.factor)
		})
	}
}

func TestScoreString(t *testing.T) {
	tests := []struct {
		in   contract.Score
		want string
	}{{0, "0.0"}, {5, "0.5"}, {923, "92.3"}, {1000, "100.0"}, {-15, "-1.5"}}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Score(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}
