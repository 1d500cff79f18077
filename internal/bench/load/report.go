// Package load runs `jiedao bench run`: it serves a generated database with a
// child `jiedao serve`, measures the baselines (pgbench TPC-B and select-only
// on the same PostgreSQL, and /healthz at full speed) and every scenario of
// issue 16 for a fixed time with vegeta, and reports each scenario's rate,
// latencies, errors, its ratio to its baseline and the server's peak RSS as
// one table and one JSON file.
package load

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// The kinds of a result: what it measures and so which baseline it is divided by.
const (
	KindBaseline = "baseline" // a ceiling: no ratio
	KindRead     = "read"     // ÷ the /healthz rate
	KindWrite    = "write"    // ÷ the pgbench TPC-B rate
	KindJob      = "job"      // a duration: no ratio
)

// ScenarioOpening names the job scenario: a tender with 500 × scale sealed
// bids opened by the server's worker.
const ScenarioOpening = "tender opening"

// The baselines' names.
const (
	BaselineTPCB   = "pgbench TPC-B"
	BaselineSelect = "pgbench select-only"
	BaselineHealth = "GET /healthz"
)

// Result is one scenario's measurement.
type Result struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Route string `json:"route,omitempty"` // what was requested, e.g. "GET /api/v1/public/tenders"
	// Requests counts every request sent; Errors those answered other than
	// 2xx or 3xx, or not answered at all.
	Requests int `json:"requests"`
	Errors   int `json:"errors"`
	// Rate is the successful requests (or transactions) per second.
	Rate float64 `json:"rate"`
	P50  Millis  `json:"p50_ms"`
	P95  Millis  `json:"p95_ms"`
	P99  Millis  `json:"p99_ms"`
	// Baseline names the result Ratio divides by; Ratio is Rate ÷ its rate.
	Baseline string  `json:"baseline,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`
	// PeakRSS is the server's peak resident set during the scenario, in
	// bytes (VmHWM after a reset); 0 when not measured (pgbench).
	PeakRSS int64 `json:"peak_rss_bytes,omitempty"`
	// Note says what else there is to know: the first error's status and
	// body, rows per request, a job's duration.
	Note string `json:"note,omitempty"`
}

// Millis is a duration written to JSON as milliseconds.
type Millis time.Duration

// MarshalJSON writes the duration in milliseconds, to the microsecond.
func (m Millis) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%.3f", float64(m)/float64(time.Millisecond))), nil
}

// UnmarshalJSON reads milliseconds.
func (m *Millis) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*m = Millis(f * float64(time.Millisecond))
	return nil
}

// Report is one run: what ran where, and its results in order.
type Report struct {
	StartedAt time.Time `json:"started_at"`
	Scale     float64   `json:"scale"`
	Duration  string    `json:"duration"` // of each scenario
	Machine   Machine   `json:"machine"`
	Results   []Result  `json:"results"`
}

// Machine describes where a run ran.
type Machine struct {
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpu_model,omitempty"`
	MemoryMB   int64  `json:"memory_mb,omitempty"`
	Kernel     string `json:"kernel,omitempty"`
	GoVersion  string `json:"go_version"`
	PostgreSQL string `json:"postgresql,omitempty"`
}

// baselineOf names the baseline a kind is divided by.
func baselineOf(kind string) string {
	switch kind {
	case KindRead:
		return BaselineHealth
	case KindWrite:
		return BaselineTPCB
	}
	return ""
}

// SetRatios sets each read's and write's Baseline and Ratio: reads ÷ the
// /healthz rate, writes ÷ the pgbench TPC-B rate. A missing or zero baseline
// leaves the ratio 0.
func (r *Report) SetRatios() {
	rates := map[string]float64{}
	for _, res := range r.Results {
		if res.Kind == KindBaseline {
			rates[res.Name] = res.Rate
		}
	}
	for i := range r.Results {
		res := &r.Results[i]
		res.Baseline = baselineOf(res.Kind)
		res.Ratio = Ratio(res.Rate, rates[res.Baseline])
	}
}

// Ratio is rate ÷ baseline, rounded to three decimals; 0 without a baseline.
func Ratio(rate, baseline float64) float64 {
	if baseline <= 0 {
		return 0
	}
	return float64(int64(rate/baseline*1000+0.5)) / 1000
}

// WriteTable prints the results as one aligned table.
func (r Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "jiedao bench: scale %s, %s per scenario, %d CPU(s), %s, %s\n",
		formatScale(r.Scale), r.Duration, r.Machine.CPUs, r.Machine.PostgreSQL, r.StartedAt.UTC().Format("2006-01-02 15:04Z"))
	rows := [][]string{{"scenario", "kind", "req/s", "p50", "p95", "p99", "errors", "ratio", "peak RSS"}}
	for _, res := range r.Results {
		ratio := "-"
		if res.Baseline != "" {
			ratio = fmt.Sprintf("%.3f", res.Ratio)
		}
		rows = append(rows, []string{res.Name, res.Kind, formatRate(res.Rate), formatLatency(res.P50), formatLatency(res.P95),
			formatLatency(res.P99), fmt.Sprint(res.Errors), ratio, formatBytes(res.PeakRSS)})
	}
	if _, err := io.WriteString(w, align(rows, 2)); err != nil {
		return err
	}
	// Notes after the table keep its columns narrow.
	for _, res := range r.Results {
		if res.Note != "" {
			fmt.Fprintf(w, "  %s: %s\n", res.Name, res.Note)
		}
	}
	fmt.Fprintln(w, "ratio: reads ÷ "+BaselineHealth+" req/s, writes ÷ "+BaselineTPCB+" tps; errors: answers other than 2xx/3xx")
	return nil
}

// WriteJSON writes the report to path, creating its directory.
func (r Report) WriteJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

func formatScale(s float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", s), "0"), ".")
}

func formatRate(r float64) string {
	switch {
	case r == 0:
		return "-"
	case r >= 100:
		return fmt.Sprintf("%.0f", r)
	default:
		return fmt.Sprintf("%.1f", r)
	}
}

func formatLatency(m Millis) string {
	d := time.Duration(m)
	switch {
	case d == 0:
		return "-"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
}

func formatBytes(b int64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%d MB", (b+(1<<19))>>20)
}

// align lays rows out in columns two spaces apart: the first leftCols columns
// (names) flush left, the others (numbers) flush right.
func align(rows [][]string, leftCols int) string {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			if i > 0 {
				b.WriteString("  ")
			}
			if i < leftCols {
				b.WriteString(cell + pad)
			} else {
				b.WriteString(pad + cell)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
