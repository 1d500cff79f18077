package load_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/bench/load"
)

func report() load.Report {
	ms := func(f float64) load.Millis { return load.Millis(f * float64(time.Millisecond)) }
	return load.Report{
		StartedAt: time.Date(2026, 12, 5, 6, 30, 0, 0, time.UTC),
		Scale:     1,
		Duration:  "10s",
		Machine:   load.Machine{CPUs: 2, GoVersion: "go1.26", PostgreSQL: "PostgreSQL 15.8"},
		Results: []load.Result{
			{Name: load.BaselineTPCB, Kind: load.KindBaseline, Requests: 19840, Rate: 1984, P50: ms(7.5), P95: ms(15), P99: ms(22)},
			{Name: load.BaselineSelect, Kind: load.KindBaseline, Requests: 200000, Rate: 20000, P50: ms(0.7), P95: ms(1.5), P99: ms(2.5)},
			{Name: load.BaselineHealth, Kind: load.KindBaseline, Requests: 122860, Rate: 12286, P50: ms(4.9), P95: ms(9), P99: ms(13), PeakRSS: 40 << 20},
			{Name: "transfer-item search", Kind: load.KindRead, Requests: 11320, Errors: 3, Rate: 1132, P50: ms(50), P95: ms(110), P99: ms(135), PeakRSS: 120 << 20, Note: "3 × 500"},
			{Name: "bid surge", Kind: load.KindWrite, Requests: 2100, Rate: 210, P50: ms(250), P95: ms(900), P99: ms(1500), PeakRSS: 150 << 20},
			{Name: "open 500 bids", Kind: load.KindJob, Requests: 1, Rate: 0, P50: ms(1800), P95: ms(1800), P99: ms(1800), PeakRSS: 160 << 20},
		},
	}
}

func TestSetRatios(t *testing.T) {
	r := report()
	r.SetRatios()
	type row struct {
		Baseline string
		Ratio    float64
	}
	var got []row
	for _, res := range r.Results {
		got = append(got, row{res.Baseline, res.Ratio})
	}
	want := []row{{}, {}, {}, {load.BaselineHealth, 0.092}, {load.BaselineTPCB, 0.106}, {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SetRatios() (-want +got):\n%s", diff)
	}
}

func TestSetRatiosWithoutBaseline(t *testing.T) {
	r := load.Report{Results: []load.Result{{Name: "tender list", Kind: load.KindRead, Rate: 500}}}
	r.SetRatios()
	if got := r.Results[0]; got.Baseline != load.BaselineHealth || got.Ratio != 0 {
		t.Errorf("SetRatios() without baselines = %q %v, want %q 0", got.Baseline, got.Ratio, load.BaselineHealth)
	}
}

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		rate, base, want float64
	}{
		{1132, 12286, 0.092},
		{210, 1984, 0.106},
		{1, 3, 0.333},
		{2, 3, 0.667},
		{5, 0, 0},
		{5, -1, 0},
		{0, 10, 0},
	} {
		if got := load.Ratio(tc.rate, tc.base); got != tc.want {
			t.Errorf("Ratio(%v, %v) = %v, want %v", tc.rate, tc.base, got, tc.want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	r := report()
	r.SetRatios()
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `jiedao bench: scale 1, 10s per scenario, 2 CPU(s), PostgreSQL 15.8, 2026-12-05 06:30Z
scenario              kind      req/s      p50      p95      p99  errors  ratio  peak RSS
pgbench TPC-B         baseline   1984  7.50 ms    15 ms    22 ms       0      -         -
pgbench select-only   baseline  20000  0.70 ms  1.50 ms  2.50 ms       0      -         -
GET /healthz          baseline  12286  4.90 ms  9.00 ms    13 ms       0      -     40 MB
transfer-item search  read       1132    50 ms   110 ms   135 ms       3  0.092    120 MB
bid surge             write       210   250 ms   900 ms  1500 ms       0  0.106    150 MB
open 500 bids         job           -  1800 ms  1800 ms  1800 ms       0      -    160 MB
  transfer-item search: 3 × 500
ratio: reads ÷ GET /healthz req/s, writes ÷ pgbench TPC-B tps; errors: answers other than 2xx/3xx
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteTable() (-want +got):\n%s", diff)
	}
	// Every row of the table has its columns at the same places.
	lines := strings.Split(b.String(), "\n")[1:8]
	for _, l := range lines[1:] {
		if len(l) != len(lines[0]) {
			t.Errorf("row %q is %d wide, the header %d", l, len(l), len(lines[0]))
		}
	}
}

func TestWriteJSON(t *testing.T) {
	r := report()
	r.SetRatios()
	path := filepath.Join(t.TempDir(), "results", "latest.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatalf("WriteJSON() error = %v", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fields struct {
		Scale   float64 `json:"scale"`
		Results []map[string]any
	}
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatalf("latest.json is not JSON: %v", err)
	}
	search := fields.Results[3]
	for k, want := range map[string]any{"name": "transfer-item search", "kind": "read", "rate": 1132.0, "p99_ms": 135.0,
		"errors": 3.0, "baseline": load.BaselineHealth, "ratio": 0.092, "peak_rss_bytes": float64(120 << 20)} {
		if search[k] != want {
			t.Errorf("latest.json results[3][%q] = %v, want %v", k, search[k], want)
		}
	}
	var back load.Report
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("latest.json read back (-want +got):\n%s", diff)
	}
}
