package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/jiedao-market/jiedao/internal/bench/dataset"
	"github.com/jiedao-market/jiedao/internal/config"
)

const benchUsage = `usage: jiedao bench seed --scale N [--seed S]`

// bench runs the benchmark tool's subcommands.
func bench(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(benchUsage)
	}
	switch args[0] {
	case "seed":
		return benchSeed(ctx, cfg, args[1:], stdout)
	}
	return errors.New(benchUsage)
}

// benchSeed generates the benchmark dataset into the migrated database.
func benchSeed(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench seed", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	scale := fs.Float64("scale", 1, "dataset scale: 1 is 20 subdistricts, 2,000 organizations, 20,000 tenders, 1,000,000 service records; fractions allowed")
	seed := fs.Uint64("seed", 1, "random seed: the same seed on the same day writes the same rows")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return errors.New(benchUsage)
	}
	if err := needDatabase(cfg); err != nil {
		return err
	}
	if err := cfg.Tender.RequireSealKey(); err != nil {
		return err
	}
	if err := cfg.Rating.RequireCodeKey(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "generating the bench dataset at scale %g, seed %d\n", *scale, *seed)
	rep, err := dataset.Generate(ctx, cfg.Database.URL, dataset.Options{Scale: *scale, Seed: *seed, SealKey: cfg.Tender.SealKey,
		RatingKey: cfg.Rating.CodeKey, Argon2: cfg.Auth.Argon2, Progress: func(step string, rows int64, took time.Duration) {
			fmt.Fprintf(stdout, "  %-20s %10d rows  %8.1fs\n", step, rows, took.Seconds())
		}})
	if errors.Is(err, dataset.ErrNotEmpty) {
		return fmt.Errorf("bench seed: %w", err)
	}
	if err != nil {
		return err
	}
	tables := make([]string, 0, len(rep.Rows))
	for t := range rep.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TABLE\tROWS\t")
	var total int64
	for _, t := range tables {
		fmt.Fprintf(tw, "%s\t%d\t\n", t, rep.Rows[t])
		total += rep.Rows[t]
	}
	fmt.Fprintf(tw, "total\t%d\t\n", total)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done in %.1fs; every account's password is %q\n", rep.Took.Seconds(), dataset.Password)
	return nil
}
