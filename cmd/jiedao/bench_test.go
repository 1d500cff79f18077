package main

import (
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

func TestBenchSeed(t *testing.T) {
	t.Parallel()
	_, dbURL := dbtest.NewWithURL(t)
	env := testEnv(dbURL)
	out := mustRun(t, env, "bench", "seed", "--scale", "0.002", "--seed", "3").stdout
	for _, want := range []string{"service_records", "tenders", "done in", "bench-pass-2026"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench seed printed %q, want it to mention %q", out, want)
		}
	}
	// The run's one audit entry keeps the chain whole.
	if out := mustRun(t, env, "audit", "verify").stdout; !strings.Contains(out, "audit chain intact") {
		t.Errorf("audit verify after bench seed = %q, want the chain intact", out)
	}
	for _, tt := range []struct {
		name string
		args []string
		text string
	}{
		{"again", []string{"bench", "seed", "--scale", "0.002"}, "holds bench data or the demo"},
		{"no subcommand", []string{"bench"}, "usage: jiedao bench seed"},
		{"bad scale", []string{"bench", "seed", "--scale", "0"}, "scale must be above 0"},
		{"stray argument", []string{"bench", "seed", "extra"}, "usage: jiedao bench seed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, env, tt.args...)
			if r.err == nil || !strings.Contains(r.err.Error(), tt.text) {
				t.Errorf("jiedao %s: error = %v, want it to mention %q", strings.Join(tt.args, " "), r.err, tt.text)
			}
		})
	}
}
