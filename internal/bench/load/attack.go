package load

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Connections is the number of connections (and workers) every scenario
// uses: enough to keep 2 cores busy, few enough to be a realistic proxy pool.
const Connections = 64

// attack is one scenario run by vegeta: targets at full speed from
// Connections workers for the duration (or until the targets run out).
type attack struct {
	Name, Kind, Route string
	Targeter          vegeta.Targeter
	// Targets counts the distinct targets; none skips the scenario.
	Targets int
	// Note adds to the result's note (e.g. rows per request).
	Note string
}

// run attacks the server for d and measures it, with the server's peak RSS.
func (a attack) run(srv *Server, d time.Duration) (Result, error) {
	if a.Targets == 0 {
		return Result{Name: a.Name, Kind: a.Kind, Route: a.Route, Note: "skipped: the dataset has no targets for it"}, nil
	}
	if err := srv.Alive(); err != nil {
		return Result{}, err
	}
	if err := ResetPeak(srv.PID()); err != nil {
		return Result{}, fmt.Errorf("reset the server's peak RSS: %w", err)
	}
	atk := vegeta.NewAttacker(vegeta.Workers(Connections), vegeta.MaxWorkers(Connections),
		vegeta.Connections(Connections), vegeta.MaxConnections(Connections), vegeta.KeepAlive(true),
		vegeta.Timeout(30*time.Second), vegeta.Redirects(vegeta.NoFollow), vegeta.MaxBody(512), vegeta.HTTP2(false))
	var s sample
	// A zero rate is vegeta's "as fast as the workers go".
	for r := range atk.Attack(a.Targeter, vegeta.Rate{Freq: 0}, d, a.Name) {
		s.add(r)
	}
	res := s.result(a.Name, a.Kind, a.Route)
	res.Note = joinNotes(a.Note, res.Note)
	peak, err := PeakRSS(srv.PID())
	if err != nil {
		return Result{}, fmt.Errorf("read the server's peak RSS: %w", err)
	}
	res.PeakRSS = peak
	return res, srv.Alive()
}

// sample gathers an attack's results.
type sample struct {
	lat          []time.Duration
	errors       int
	firstError   string
	errorsByCode map[int]int
	begin, end   time.Time
}

// add counts r: success is a 2xx or 3xx answer. The result of a worker that
// found no target left is no request.
func (s *sample) add(r *vegeta.Result) {
	if r.Code == 0 && r.Error == vegeta.ErrNoTargets.Error() {
		return
	}
	if s.begin.IsZero() || r.Timestamp.Before(s.begin) {
		s.begin = r.Timestamp
	}
	if e := r.Timestamp.Add(r.Latency); e.After(s.end) {
		s.end = e
	}
	if r.Code >= 200 && r.Code < 400 {
		s.lat = append(s.lat, r.Latency)
		return
	}
	s.errors++
	if s.errorsByCode == nil {
		s.errorsByCode = map[int]int{}
	}
	s.errorsByCode[int(r.Code)]++
	if s.firstError == "" {
		s.firstError = fmt.Sprintf("first error: %d %s", r.Code, strings.TrimSpace(r.Error+" "+oneLine(string(r.Body), 200)))
	}
}

// result is the sample's rate (successes per second of the attack), its
// successes' latency percentiles and its errors.
func (s *sample) result(name, kind, route string) Result {
	res := Result{Name: name, Kind: kind, Route: route, Requests: len(s.lat) + s.errors, Errors: s.errors}
	if elapsed := s.end.Sub(s.begin); elapsed > 0 {
		res.Rate = float64(len(s.lat)) / elapsed.Seconds()
	}
	res.P50, res.P95, res.P99 = percentiles(s.lat)
	if s.errors > 0 {
		var codes []string
		for code, n := range s.errorsByCode {
			label := fmt.Sprint(code)
			if code == 0 {
				label = "no answer"
			}
			codes = append(codes, fmt.Sprintf("%d × %s", n, label))
		}
		slices.Sort(codes)
		res.Note = strings.Join(codes, ", ") + "; " + s.firstError
	}
	return res
}

// staticTargets is a targeter that takes the targets in turn, forever.
func staticTargets(ts []vegeta.Target) vegeta.Targeter {
	return vegeta.NewStaticTargeter(ts...)
}

// onceTargets is a targeter that makes each of n targets once (make(i) the
// i-th), then reports no targets left, which ends the attack.
func onceTargets(n int, make func(i int, t *vegeta.Target) error) vegeta.Targeter {
	var next atomic.Int64
	return func(t *vegeta.Target) error {
		i := int(next.Add(1) - 1)
		if i >= n {
			return vegeta.ErrNoTargets
		}
		return make(i, t)
	}
}

// cyclingTargets is a targeter that makes target i mod n for the i-th request.
func cyclingTargets(n int, make func(i int, t *vegeta.Target) error) vegeta.Targeter {
	var next atomic.Int64
	return func(t *vegeta.Target) error {
		if n == 0 {
			return vegeta.ErrNoTargets
		}
		return make(int((next.Add(1)-1)%int64(n)), t)
	}
}

// headers is a header set with the pairs given.
func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}

// parallel runs f(i) for i in [0, n) on workers goroutines and returns the
// first error.
func parallel(n, workers int, f func(i int) error) error {
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}
