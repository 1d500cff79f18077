package limit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/limit"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// Concurrent hits on one key, through two counters on one database (two
// replicas), each count once: exactly max are let through; a refusal says
// how long the window has left; other keys count apart.
func TestTakeConcurrent(t *testing.T) {
	t.Parallel()
	gdb := dbtest.New(t)
	replicas := []*limit.Service{limit.NewService(gdb), limit.NewService(gdb)}
	const max, hits = 7, 30
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
		waits   []time.Duration
	)
	for i := range hits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, wait, err := replicas[i%2].Take(context.Background(), "write:192.0.2.1", max, time.Minute)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("Take() error = %v", err)
			case ok:
				allowed++
			default:
				waits = append(waits, wait)
			}
		}()
	}
	wg.Wait()
	if allowed != max || len(waits) != hits-max {
		t.Errorf("Take() let %d of %d through and refused %d, want %d and %d", allowed, hits, len(waits), max, hits-max)
	}
	for _, w := range waits {
		if w < time.Second || w > time.Minute {
			t.Errorf("Take() refusal wait = %v, want within the minute", w)
		}
	}
	if ok, _, err := replicas[0].Take(context.Background(), "write:192.0.2.2", max, time.Minute); err != nil || !ok {
		t.Errorf("Take() on another address = %v, %v, want let through", ok, err)
	}
}

// A window ends: the next hit starts a new one, and ended windows of other
// keys are pruned by hits on any key.
func TestTakeWindowEnds(t *testing.T) {
	t.Parallel()
	gdb := dbtest.New(t)
	s := limit.NewService(gdb)
	ctx := context.Background()
	if err := gdb.Exec(`INSERT INTO rate_limits (key, window_end, hits) VALUES ('write:198.51.100.9', now() - interval '1 hour', 3)`).Error; err != nil {
		t.Fatal(err)
	}
	if ok, _, err := s.Take(ctx, "lookup:192.0.2.1", 1, time.Second); err != nil || !ok {
		t.Fatalf("first Take() = %v, %v, want let through", ok, err)
	}
	var ended int64
	if err := gdb.Raw(`SELECT count(*) FROM rate_limits WHERE key = 'write:198.51.100.9'`).Scan(&ended).Error; err != nil || ended != 0 {
		t.Errorf("ended window of another key: %d rows, %v, want pruned", ended, err)
	}
	if ok, wait, err := s.Take(ctx, "lookup:192.0.2.1", 1, time.Second); err != nil || ok || wait != time.Second {
		t.Fatalf("second Take() within the second = %v, %v, %v, want refused, 1s", ok, wait, err)
	}
	// The window is the database's second; poll until it has passed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, _, err := s.Take(ctx, "lookup:192.0.2.1", 1, time.Second)
		if err != nil {
			t.Fatalf("Take() error = %v", err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Take() still refused 10 s after a 1 s window began")
		}
	}
	var hits int
	if err := gdb.Raw(`SELECT hits FROM rate_limits WHERE key = 'lookup:192.0.2.1'`).Scan(&hits).Error; err != nil || hits != 1 {
		t.Errorf("hits in the new window = %d, %v, want 1", hits, err)
	}
}
