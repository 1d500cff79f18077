package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/rivertype"

	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/platform/jobs"
)

func TestMigrateRiver(t *testing.T) {
	t.Parallel()
	_, dbURL := dbtest.NewWithURL(t)
	env := testEnv(dbURL)
	pool := jobPool(t, dbURL)
	_, latest, err := jobs.Version(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}

	if out := mustRun(t, env, "migrate", "status").stdout; !strings.Contains(out, fmt.Sprintf("River schema at version 0 of %d", latest)) {
		t.Errorf("migrate status before River's migrations = %q, want River at version 0 of %d", out, latest)
	}
	up := mustRun(t, env, "migrate", "up").stdout
	if !strings.Contains(up, "applied 0 migration(s)") || !strings.Contains(up, fmt.Sprintf("River schema at version %d", latest)) {
		t.Errorf("migrate up = %q, want ours applied already and River at version %d", up, latest)
	}
	if out := mustRun(t, env, "migrate", "status").stdout; !strings.Contains(out, fmt.Sprintf("River schema at version %d of %d", latest, latest)) {
		t.Errorf("migrate status after migrate up = %q, want River at version %d of %d", out, latest, latest)
	}
}

func TestServeWorkers(t *testing.T) {
	t.Parallel()
	for _, working := range []bool{true, false} {
		t.Run(fmt.Sprintf("workers=%v", working), func(t *testing.T) {
			t.Parallel()
			_, dbURL := dbtest.NewWithURL(t)
			env := testEnv(dbURL)
			env["JIEDAO_LOG_LEVEL"] = "info"
			env["JIEDAO_METRICS_ADDR"] = "off" // the two replicas run at once: no shared metrics port
			env["JIEDAO_UPLOADS_DIR"] = t.TempDir()
			env["JIEDAO_AUTH_KEYS"] = "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
			env["JIEDAO_CSRF_SECRET"] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))

			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			var stderr lockedBuffer
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"serve", fmt.Sprintf("--workers=%v", working)}, func(k string) string { return env[k] }, &bytes.Buffer{}, &stderr)
			}()
			waitFor(t, done, &stderr, `"msg":"serving"`)
			if want := fmt.Sprintf(`"msg":"jobs ready","working":%v`, working); !strings.Contains(stderr.String(), want) {
				t.Errorf("serve log = %s, want %s", stderr.String(), want)
			}

			// serve applied River's migrations: another replica can enqueue.
			pool := jobPool(t, dbURL)
			api, err := jobs.Start(ctx, pool, nil, nil, false, nil)
			if err != nil {
				t.Fatalf("jobs.Start(run=false) error = %v", err)
			}
			res, err := api.Client().Insert(ctx, jobs.PingArgs{}, nil)
			if err != nil {
				t.Fatalf("Insert(PingArgs) error = %v", err)
			}
			if working {
				// Another process works the job: poll its row until it completes.
				poll := time.NewTicker(20 * time.Millisecond)
				defer poll.Stop()
				deadline := time.After(30 * time.Second)
				for state(t, pool, res.Job.ID) != rivertype.JobStateCompleted {
					select {
					case <-poll.C:
					case <-deadline:
						t.Fatalf("ping job state = %q after 30 s, want completed by serve's workers", state(t, pool, res.Job.ID))
					}
				}
				// The red flags' catch-up runs at start: there was no run yet.
				var runs int
				for runs == 0 {
					if err := pool.QueryRow(ctx, `SELECT count(*) FROM red_flag_runs WHERE trigger = 'catch_up'`).Scan(&runs); err != nil {
						t.Fatalf("count red-flag runs: %v", err)
					}
					select {
					case <-poll.C:
					case <-deadline:
						t.Fatalf("no red-flag catch-up run 30 s after serve started")
					}
				}
			} else {
				var queues int
				if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_queue`).Scan(&queues); err != nil || queues != 0 {
					t.Errorf("river_queue rows = %d, %v, want none: serve --workers=false works no queue", queues, err)
				}
				if got := state(t, pool, res.Job.ID); got != rivertype.JobStateAvailable {
					t.Errorf("ping job state = %q, want it left available", got)
				}
			}

			stop()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve after cancellation: error = %v, want nil", err)
				}
			case <-time.After(time.Minute):
				t.Fatalf("serve did not return within a minute of cancellation")
			}
		})
	}
}

func jobPool(t *testing.T, dbURL string) *pgxpool.Pool {
	t.Helper()
	pool, err := jobs.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("jobs.Open() error = %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func state(t *testing.T, pool *pgxpool.Pool, id int64) rivertype.JobState {
	t.Helper()
	var s string
	if err := pool.QueryRow(context.Background(), `SELECT state FROM river_job WHERE id = $1`, id).Scan(&s); err != nil {
		t.Fatalf("job %d state: %v", id, err)
	}
	return rivertype.JobState(s)
}

// waitFor waits until the log holds text, failing if serve returns first.
func waitFor(t *testing.T, done <-chan error, log *lockedBuffer, text string) {
	t.Helper()
	deadline := time.After(time.Minute)
	for !strings.Contains(log.String(), text) {
		select {
		case err := <-done:
			t.Fatalf("serve returned %v before logging %s; log:\n%s", err, text, log.String())
		case <-log.written():
		case <-deadline:
			t.Fatalf("serve did not log %s within a minute; log:\n%s", text, log.String())
		}
	}
}

// lockedBuffer is a bytes.Buffer read while serve writes to it.
type lockedBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.b.Write(p)
	select {
	case l.ch() <- struct{}{}:
	default: // a signal is already waiting
	}
	return n, err
}

// written signals after a write, for waiting on a log line without polling.
func (l *lockedBuffer) written() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ch()
}

func (l *lockedBuffer) ch() chan struct{} {
	if l.changed == nil {
		l.changed = make(chan struct{}, 1)
	}
	return l.changed
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveEnv is the environment of a `serve` the tests start on dbURL with the
// configuration file cfgFile: its own uploads, fresh keys, info logs, no
// metrics listener (two serves of parallel tests would race for its port).
func serveEnv(t *testing.T, dbURL, cfgFile string) map[string]string {
	env := testEnv(dbURL)
	env["JIEDAO_CONFIG"] = cfgFile
	env["JIEDAO_METRICS_ADDR"] = "off"
	env["JIEDAO_LOG_LEVEL"] = "info"
	env["JIEDAO_UPLOADS_DIR"] = t.TempDir()
	env["JIEDAO_AUTH_KEYS"] = "k1:" + testKey(1)
	env["JIEDAO_CSRF_SECRET"] = testKey(2)
	return env
}

// startServe runs `jiedao serve args…` with env until it logs that it serves,
// and returns its log and stop, which cancels it and fails the test unless it
// returns cleanly within a minute.
func startServe(t *testing.T, env map[string]string, args ...string) (log *lockedBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log = &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve"}, args...), func(k string) string { return env[k] }, &bytes.Buffer{}, log)
	}()
	waitFor(t, done, log, `"msg":"serving"`)
	stopped := false
	stop = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve after cancellation: error = %v, want nil", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("serve did not return within a minute of cancellation")
		}
	}
	t.Cleanup(stop)
	return log, stop
}
