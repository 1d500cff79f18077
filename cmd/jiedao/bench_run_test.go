package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/bench/dataset"
	"github.com/jiedao-market/jiedao/internal/bench/load"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// serveAsJiedao, set in a child's environment, makes this test binary act as
// the jiedao command (TestMain): `jiedao bench run` starts it as its server.
const serveAsJiedao = "JIEDAO_TEST_ACT_AS_JIEDAO"

func TestMain(m *testing.M) {
	if os.Getenv(serveAsJiedao) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestBenchRun runs `jiedao bench run` end to end on a tiny generated
// dataset: a child server, the HTTP ceiling, a read, the bid surge and the
// opening job, one second each, then checks the table and the JSON.
func TestBenchRun(t *testing.T) {
	_, dbURL := dbtest.NewWithURL(t)
	env := testEnv(dbURL)
	env["JIEDAO_CONFIG"] = ""
	env["JIEDAO_AUTH_KEYS"] = "k1:" + testKey(1)
	env["JIEDAO_CSRF_SECRET"] = testKey(2)
	env["JIEDAO_UPLOADS_DIR"] = t.TempDir()
	env[serveAsJiedao] = "1"
	// The child server inherits this process's environment.
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const scale = 0.002
	if _, err := dataset.Generate(ctx, dbURL, dataset.Options{Scale: scale, SealKey: cfg.Tender.SealKey, RatingKey: cfg.Rating.CodeKey,
		Argon2: config.Argon2{MemoryKiB: 8 << 10, Iterations: 1, Parallelism: 1}}); err != nil {
		t.Fatalf("Generate() error = %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "results", "latest.json")
	only := strings.Join([]string{load.BaselineHealth, "public tender list", "bid surge", load.ScenarioOpening}, ",")
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	err = run(ctx, []string{"bench", "run", "--scale", "0.002", "--duration", "1s", "--only", only, "--binary", exe, "--out", out},
		os.Getenv, &stdout, &stderr)
	if err != nil {
		t.Fatalf("jiedao bench run: %v\nstderr:\n%s", err, stderr.String())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep load.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("latest.json: %v", err)
	}
	var names []string
	for _, res := range rep.Results {
		names = append(names, res.Name)
		if res.Requests == 0 || res.Errors != 0 {
			t.Errorf("%s: %d requests, %d errors (%s), want some and none", res.Name, res.Requests, res.Errors, res.Note)
		}
		if res.Kind != load.KindJob && res.PeakRSS == 0 {
			t.Errorf("%s: no peak RSS", res.Name)
		}
	}
	if got := strings.Join(names, ","); got != only {
		t.Fatalf("results %s, want %s", got, only)
	}
	if list := rep.Results[1]; list.Baseline != load.BaselineHealth || list.Ratio <= 0 || list.Rate <= 0 {
		t.Errorf("public tender list: rate %v, ratio %v to %q, want a ratio to %q", list.Rate, list.Ratio, list.Baseline, load.BaselineHealth)
	}
	if opening := rep.Results[3]; !strings.Contains(opening.Note, "opened in") {
		t.Errorf("tender opening: note %q, want the tender opened", opening.Note)
	}
	for _, want := range []string{"scenario", "public tender list", "ratio", "written to " + out} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
}
