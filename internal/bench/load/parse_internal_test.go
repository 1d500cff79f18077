package load

import (
	"errors"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestPercentiles(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var lat []time.Duration
	for i := 100; i >= 1; i-- { // 1..100 ms, unsorted
		lat = append(lat, ms(i))
	}
	p50, p95, p99 := percentiles(lat)
	if p50 != Millis(ms(50)) || p95 != Millis(ms(95)) || p99 != Millis(ms(99)) {
		t.Errorf("percentiles(1..100 ms) = %v %v %v, want 50 95 99 ms", time.Duration(p50), time.Duration(p95), time.Duration(p99))
	}
	if p50, p95, p99 := percentiles([]time.Duration{ms(7)}); p50 != Millis(ms(7)) || p95 != p50 || p99 != p50 {
		t.Errorf("percentiles(7 ms) = %v %v %v, want 7 ms each", p50, p95, p99)
	}
	if p50, _, _ := percentiles(nil); p50 != 0 {
		t.Errorf("percentiles(nil) = %v, want 0", p50)
	}
}

func TestParsePgbench(t *testing.T) {
	out := []byte(`pgbench (15.18 (Debian 15.18-0+deb12u1))
number of transactions actually processed: 7253
latency average = 4.348 ms
initial connection time = 72.111 ms
tps = 3680.238848 (without initial connection time)
`)
	tps, err := parseTPS(out)
	if err != nil || tps != 3680.238848 {
		t.Errorf("parseTPS() = %v, %v, want 3680.238848", tps, err)
	}
	if _, err := parseTPS([]byte("connection to server failed\n")); err == nil || !strings.Contains(err.Error(), "connection to server failed") {
		t.Errorf("parseTPS(failure) error = %v, want the last line", err)
	}
	lat, failed, err := parseTransactionLog([]byte("5 1 4525 0 1796451210 292777\n3 1 9866 0 1796451210 294884\n4 2 failed 0 1796451210 294900\n"))
	if err != nil || failed != 1 || len(lat) != 2 || lat[0] != 4525*time.Microsecond || lat[1] != 9866*time.Microsecond {
		t.Errorf("parseTransactionLog() = %v, %d, %v, want [4.525ms 9.866ms], 1 failed", lat, failed, err)
	}
	if _, _, err := parseTransactionLog([]byte("garbage\n")); err == nil {
		t.Error("parseTransactionLog(garbage) error = nil, want one")
	}
}

func TestParseHWM(t *testing.T) {
	status := []byte("Name:\tjiedao\nVmPeak:\t 1300000 kB\nVmHWM:\t  153600 kB\nVmRSS:\t  100000 kB\n")
	if got, err := parseHWM(status); err != nil || got != 150<<20 {
		t.Errorf("parseHWM() = %d, %v, want %d", got, err, 150<<20)
	}
	if _, err := parseHWM([]byte("Name:\tjiedao\n")); err == nil {
		t.Error("parseHWM(no VmHWM) error = nil, want one")
	}
}

func TestWithDatabase(t *testing.T) {
	got, err := WithDatabase("postgres://u:p@127.0.0.1:5432/jiedao?sslmode=disable", "jiedao_pgbench")
	if want := "postgres://u:p@127.0.0.1:5432/jiedao_pgbench?sslmode=disable"; err != nil || got != want {
		t.Errorf("WithDatabase() = %q, %v, want %q", got, err, want)
	}
	if _, err := WithDatabase("host=127.0.0.1 dbname=jiedao", "x"); err == nil {
		t.Error("WithDatabase(key=value string) error = nil, want one")
	}
}

func TestSample(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	var s sample
	for i := range 10 {
		s.add(&vegeta.Result{Code: 201, Timestamp: t0.Add(time.Duration(i) * 100 * time.Millisecond), Latency: 10 * time.Millisecond})
	}
	s.add(&vegeta.Result{Code: 302, Timestamp: t0.Add(980 * time.Millisecond), Latency: 20 * time.Millisecond})
	s.add(&vegeta.Result{Code: 409, Timestamp: t0.Add(600 * time.Millisecond), Latency: 5 * time.Millisecond, Body: []byte(`{"title": "bidding has closed"}`)})
	s.add(&vegeta.Result{Code: 0, Timestamp: t0.Add(700 * time.Millisecond), Error: "connection refused"})
	// A worker finding no target left made no request.
	s.add(&vegeta.Result{Timestamp: t0.Add(2 * time.Second), Error: vegeta.ErrNoTargets.Error()})
	res := s.result("bid surge", KindWrite, "POST /x")
	// 11 successes over the 1 s from the first request to the last answer.
	if res.Requests != 13 || res.Errors != 2 || res.Rate != 11 {
		t.Errorf("result() = %d requests, %d errors, %v/s, want 13, 2, 11/s", res.Requests, res.Errors, res.Rate)
	}
	if res.P50 != Millis(10*time.Millisecond) || res.P99 != Millis(20*time.Millisecond) {
		t.Errorf("result() p50 %v p99 %v, want 10 ms and 20 ms (of the successes)", time.Duration(res.P50), time.Duration(res.P99))
	}
	if want := `1 × 409, 1 × no answer; first error: 409 {"title": "bidding has closed"}`; res.Note != want {
		t.Errorf("result() note = %q, want %q", res.Note, want)
	}
}

func TestOnceTargets(t *testing.T) {
	tr := onceTargets(3, func(i int, tg *vegeta.Target) error {
		tg.URL = strings.Repeat("x", i+1)
		return nil
	})
	var got []string
	for {
		var tg vegeta.Target
		if err := tr(&tg); err != nil {
			if !errors.Is(err, vegeta.ErrNoTargets) {
				t.Fatalf("targeter error = %v, want ErrNoTargets", err)
			}
			break
		}
		got = append(got, tg.URL)
	}
	if strings.Join(got, ",") != "x,xx,xxx" {
		t.Errorf("onceTargets(3) made %v, want x, xx, xxx", got)
	}
}

func TestCSVFile(t *testing.T) {
	from := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	got := string(csvFile(4, 17, "visit", from, from.AddDate(0, 0, 2)))
	want := `date,community,service_type,duration_minutes,staff,beneficiary_ref,notes
2026-11-30,17,visit,30,张社工,B-00000,上门探访
2026-12-01,17,visit,31,张社工,B-00001,上门探访
2026-12-02,17,visit,32,张社工,B-00002,上门探访
2026-11-30,17,visit,33,张社工,B-00003,上门探访
`
	if got != want {
		t.Errorf("csvFile() =\n%s\nwant\n%s", got, want)
	}
}

func TestResidentAddr(t *testing.T) {
	if got := residentAddr(70000); got != "10.1.17.112" {
		t.Errorf("residentAddr(70000) = %q, want 10.1.17.112", got)
	}
}
