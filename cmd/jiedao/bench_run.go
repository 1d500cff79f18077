package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jiedao-market/jiedao/internal/bench/load"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/db"
)

const benchRunUsage = "usage: jiedao bench run --scale N [--duration 10s] [--out bench/results/latest.json] [--only a,b] [--pprof 127.0.0.1:6060]"

// benchRun is `jiedao bench run`: the baselines and scenarios of `make
// bench` against a server it starts on the generated database
// (JIEDAO_DATABASE_URL), printed as one table and written as JSON.
func benchRun(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scale := fs.Float64("scale", 0, "the scale the database was generated at (jiedao bench seed --scale)")
	duration := fs.Duration("duration", 10*time.Second, "how long each scenario runs")
	out := fs.String("out", filepath.Join(load.DefaultDir, "latest.json"), "where the JSON report goes (the server's log goes beside it)")
	only := fs.String("only", "", "comma-separated scenario names to run (default: all)")
	binary := fs.String("binary", "", "the jiedao binary to serve with (default: this one)")
	pprof := fs.String("pprof", "", "host:port where the server serves Go's profiler during the run (e.g. 127.0.0.1:6060; default: off)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprintln(stderr, benchRunUsage)
		return exitCode(2)
	}
	if *scale <= 0 || *duration < time.Second {
		fmt.Fprintln(stderr, benchRunUsage+"\n(--scale above 0, --duration at least 1s)")
		return exitCode(2)
	}
	if err := needDatabase(cfg); err != nil {
		return err
	}
	if *binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		*binary = exe
	}
	var names []string
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	gdb, err := db.Open(ctx, cfg.Database.URL, db.Options{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	rep, err := load.Run(ctx, load.Options{
		Binary: *binary, DatabaseURL: cfg.Database.URL, Env: os.Environ(), Scale: *scale, Duration: *duration,
		Dir: filepath.Dir(*out), Only: names, Pprof: *pprof, Progress: stderr,
		Targets: func(ctx context.Context) (load.Targets, error) { return load.LoadTargets(ctx, gdb, cfg.Rating.CodeKey) },
	})
	if err != nil {
		return fmt.Errorf("bench run: %w", err)
	}
	if len(rep.Results) == 0 {
		return errors.New("bench run: no scenario ran (see --only)")
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if err := rep.WriteJSON(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "written to %s\n", *out)
	return nil
}
