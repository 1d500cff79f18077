// Command jiedao is the JieDao server and its operations tool:
//
//	jiedao serve                 migrate, then serve HTTP and work jobs (--workers=false: only enqueue)
//	jiedao migrate up|down|status
//	jiedao seed --demo           create the demo data (idempotent)
//	jiedao audit verify          check the audit hash chain
//	jiedao audit verify --against FILE   and the published heads saved in FILE
//	jiedao audit verify --max-pending D  and no entry waiting longer than D to be chained
//	jiedao version
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db"
	"github.com/jiedao-market/jiedao/internal/platform/jobs"
	"github.com/jiedao-market/jiedao/internal/platform/replica"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/server"
	"github.com/jiedao-market/jiedao/internal/tender"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "jiedao:", err)
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		os.Exit(1)
	}
}

// exitCode is an error that only sets the exit status; its message was printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const usage = `usage: jiedao <command>

commands:
  serve                  apply migrations, then serve HTTP (see configs/jiedao.yaml) and
                         work background jobs; --workers=false only enqueues them
  migrate up|down|status apply, roll back one, or list migrations
  seed --demo            create the demo district, organizations and accounts
  audit verify           walk the audit hash chain; exit 1 naming the first broken entry
    [--against FILE]     also check the published heads saved in FILE (the JSON of
                         /api/v1/public/audit/heads, or one head): exit 1 naming the
                         first entry that no longer has its published hash
    [--max-pending D]    exit 1 when an entry has waited longer than D (default 1m)
                         to be integrated into the chain: no sequencer is running
  version                print the build version`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitCode(2)
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.Log.Level)
	switch args[0] {
	case "serve":
		return serve(ctx, cfg, log, args[1:])
	case "migrate":
		return migrate(ctx, cfg, log, args[1:], stdout)
	case "seed":
		return seed(ctx, cfg, args[1:], getenv, stdout)
	case "audit":
		return auditCmd(ctx, cfg, args[1:], stdout)
	}
	fmt.Fprintln(stderr, usage)
	return exitCode(2)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return "jiedao " + info.Main.Version
	}
	return "jiedao (devel)"
}

func needDatabase(cfg config.Config) error {
	if cfg.Database.URL == "" {
		return errors.New("JIEDAO_DATABASE_URL is not set (make run sets it from .data/jiedao.env)")
	}
	return nil
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	workers := fs.Bool("workers", true, "work background jobs (false: an API-only replica that only enqueues them)")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	if err := cfg.RequireSecrets(); err != nil {
		return err
	}
	if err := cfg.Tender.RequireSealKey(); err != nil {
		return err
	}
	if err := cfg.Rating.RequireCodeKey(); err != nil {
		return err
	}
	n, err := db.Migrate(ctx, cfg.Database.URL, log)
	if err != nil {
		return err
	}
	log.Info("migrations applied", "count", n)
	pool, err := jobs.Open(ctx, cfg.Database.URL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := jobs.Migrate(ctx, pool); err != nil {
		return err
	}
	gdb, err := db.Open(ctx, cfg.Database.URL, db.Options{MaxOpenConns: cfg.Database.MaxOpenConns, MaxIdleConns: cfg.Database.MaxIdleConns})
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	var readPool *sql.DB // the read replica's, when there is one
	if cfg.Database.ReplicaURL != "" {
		if readPool, err = replica.Use(ctx, gdb, cfg.Database.ReplicaURL,
			db.Options{MaxOpenConns: cfg.Database.MaxOpenConns, MaxIdleConns: cfg.Database.MaxIdleConns}); err != nil {
			return err
		}
		defer readPool.Close()
		log.Info("public reads go to the read replica")
	}
	clk := clock.System{}
	svc, err := request.NewServices(cfg, gdb, clk, log)
	if err != nil {
		return err
	}
	payouts, tenders := svc.Payouts, svc.Tenders
	if cfg.Stripe.Enabled() {
		payouts.UseStripe(payout.StripeConfig{
			Provider:      payout.NewStripeProvider(cfg.Stripe.SecretKey, payout.BackendsAt(cfg.Stripe.APIURL)),
			WebhookSecret: cfg.Stripe.WebhookSecret,
		})
	}
	// Packages with background work add their workers to this bundle and
	// their periodic jobs to Start, and insert through runner.Client().
	bundle := jobs.NewWorkers()
	payouts.Register(bundle)
	tenders.Register(bundle, cfg.Tender.SweepInterval)
	svc.Contracts.Register(bundle, cfg.Tender.SweepInterval)
	svc.Complaints.Register(bundle, cfg.Tender.SweepInterval)
	svc.RedFlags.Register(bundle)
	audit.RegisterHeads(bundle, gdb, clk, cfg.Audit.HeadPublishHour)
	svc.Mail.Register(bundle)
	svc.Remind.Register(bundle)
	periodic := append(payout.PeriodicJobs(), tender.PeriodicJobs(cfg.Tender.SweepInterval)...)
	periodic = append(periodic, contract.PeriodicJobs(cfg.Tender.SweepInterval)...)
	periodic = append(periodic, complaint.PeriodicJobs(cfg.Tender.SweepInterval)...)
	periodic = append(periodic, svc.RedFlags.PeriodicJobs()...)
	periodic = append(periodic, audit.HeadPeriodicJobs(cfg.Audit.HeadPublishHour)...)
	periodic = append(periodic, svc.Mail.PeriodicJobs()...)
	periodic = append(periodic, svc.Remind.PeriodicJobs()...)
	runner, err := jobs.StartWith(ctx, pool, bundle, periodic, *workers, log, func(c *river.Client[pgx.Tx]) {
		payouts.UseRiver(c)
		tenders.UseRiver(c, log)
		svc.Contracts.UseRiver(c, log)
		svc.Complaints.UseRiver(c, log)
		svc.Mail.UseRiver(c)
	})
	if err != nil {
		return err
	}
	log.Info("jobs ready", "working", runner.Working(), "stripe", cfg.Stripe.Enabled(), "mail", cfg.Mail.Enabled())
	srv, err := server.New(server.Deps{Config: cfg, DB: gdb, Replica: readPool, Log: log, Clock: clk, Services: svc})
	if err != nil {
		return err
	}
	// The audit sequencer links committed entries into the chain; it stops
	// after the jobs, with a last round for what they and the server wrote.
	seqCtx, stopSequencer := context.WithCancel(context.WithoutCancel(ctx))
	sequenced := make(chan struct{})
	go func() {
		defer close(sequenced)
		audit.NewSequencer(gdb, cfg.Audit.SequenceInterval, cfg.Audit.SequenceBatch, log).Run(seqCtx)
	}()
	defer func() { stopSequencer(); <-sequenced }()
	serveErr := srv.Serve(ctx)
	if err := runner.Stop(cfg.HTTP.ShutdownGrace); err != nil {
		log.Error("stop jobs", "err", err)
		return errors.Join(serveErr, err)
	}
	return serveErr
}

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if err := needDatabase(cfg); err != nil {
		return err
	}
	cmd := "up"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "up":
		n, err := db.Migrate(ctx, cfg.Database.URL, log)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d migration(s)\n", n)
		// River's schema comes after ours, which never depend on it.
		return withJobPool(ctx, cfg, func(pool *pgxpool.Pool) error {
			if err := jobs.Migrate(ctx, pool); err != nil {
				return err
			}
			applied, _, err := jobs.Version(ctx, pool)
			if err == nil {
				fmt.Fprintf(stdout, "River schema at version %d\n", applied)
			}
			return err
		})
	case "down":
		return db.MigrateDown(ctx, cfg.Database.URL, log)
	case "status":
		list, err := db.Status(ctx, cfg.Database.URL)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tMIGRATION\tAPPLIED")
		for _, m := range list {
			applied := "pending"
			if m.Applied {
				applied = m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", m.Version, m.Name, applied)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		return withJobPool(ctx, cfg, func(pool *pgxpool.Pool) error {
			applied, latest, err := jobs.Version(ctx, pool)
			if err == nil {
				fmt.Fprintf(stdout, "River schema at version %d of %d\n", applied, latest)
			}
			return err
		})
	}
	return fmt.Errorf("migrate: unknown command %q (up, down or status)", cmd)
}

// withJobPool runs f with River's pool on the database.
func withJobPool(ctx context.Context, cfg config.Config, f func(*pgxpool.Pool) error) error {
	pool, err := jobs.Open(ctx, cfg.Database.URL)
	if err != nil {
		return err
	}
	defer pool.Close()
	return f(pool)
}

func seed(ctx context.Context, cfg config.Config, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	withDemo := fs.Bool("demo", false, "create the demo data")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	if !*withDemo {
		return errors.New("seed: only --demo is available")
	}
	if err := cfg.Tender.RequireSealKey(); err != nil {
		return err
	}
	if err := cfg.Rating.RequireCodeKey(); err != nil {
		return err
	}
	if err := needDatabase(cfg); err != nil {
		return err
	}
	gdb, err := db.Open(ctx, cfg.Database.URL, db.Options{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	password, generated := getenv("JIEDAO_DEMO_PASSWORD"), false
	if password == "" {
		b := make([]byte, 8)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		password, generated = "demo-"+hex.EncodeToString(b), true
	}
	res, err := demo.Seed(ctx, gdb, clock.System{}, password, cfg.Auth.Argon2, demo.Keys{Seal: cfg.Tender.SealKey, Rating: cfg.Rating.CodeKey, Uploads: cfg.Uploads, OCIDPrefix: cfg.OCDS.Prefix}, demo.WithTenders())
	if err != nil {
		return err
	}
	// No server may be running to sequence what the seed recorded.
	if _, err := audit.IntegrateAll(ctx, gdb); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo data ready (%d new account(s))\n\nDemo logins at %s/login\n", res.CreatedUsers, cfg.HTTP.PublicURL)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  USERNAME\tROLE")
	for _, l := range res.Logins {
		fmt.Fprintf(tw, "  %s\t%s\n", l.Username, l.Role)
	}
	tw.Flush()
	switch {
	case res.PasswordWorks && generated:
		fmt.Fprintf(stdout, "\nPassword (generated; set JIEDAO_DEMO_PASSWORD to choose one): %s\n", password)
	case res.PasswordWorks:
		fmt.Fprintf(stdout, "\nPassword (JIEDAO_DEMO_PASSWORD): %s\n", password)
	default:
		fmt.Fprintln(stdout, "\nSome accounts existed already and keep the password they were created with.")
	}
	if cfg.Mail.Enabled() {
		fmt.Fprintf(stdout, "E-mail: on, through %s:%d\n", cfg.Mail.Host, cfg.Mail.Port)
	} else {
		fmt.Fprintln(stdout, "E-mail: off (no mail.host configured; the README's \"E-mail\" says how to turn it on)")
	}
	return nil
}

func auditCmd(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) < 1 || args[0] != "verify" {
		return errors.New("audit: usage: jiedao audit verify [--against FILE] [--max-pending DURATION]")
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	against := fs.String("against", "", "a saved list of published heads (JSON, as /api/v1/public/audit/heads serves it)")
	maxPending := fs.Duration("max-pending", time.Minute, "fail when an entry has waited longer than this to be integrated into the chain")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 {
		return errors.New("audit: usage: jiedao audit verify [--against FILE] [--max-pending DURATION]")
	}
	var heads []audit.Head
	if *against != "" {
		var err error
		if heads, err = readHeads(*against); err != nil {
			return err
		}
	}
	if err := needDatabase(cfg); err != nil {
		return err
	}
	gdb, err := db.Open(ctx, cfg.Database.URL, db.Options{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	rep, err := audit.Verify(ctx, gdb)
	if err != nil {
		return err
	}
	if rep.Broken != nil {
		fmt.Fprintf(stdout, "audit chain BROKEN at %s (%d entries verified before it)\n", rep.Broken, rep.Entries)
		return exitCode(1)
	}
	fmt.Fprintf(stdout, "audit chain intact: %d entries\n", rep.Entries)
	if rep.Pending > 0 {
		fmt.Fprintf(stdout, "%d entries pending integration, the oldest for %s\n", rep.Pending, rep.PendingAge.Round(time.Millisecond))
	}
	if rep.PendingAge > *maxPending {
		fmt.Fprintf(stdout, "audit chain STALLED: an entry has waited more than %s to be integrated: no sequencer is running (jiedao serve runs one)\n", *maxPending)
		return exitCode(1)
	}
	if *against == "" {
		return nil
	}
	brk, err := audit.CheckHeads(ctx, gdb, heads)
	if err != nil {
		return err
	}
	if brk != nil {
		fmt.Fprintf(stdout, "audit chain CONTRADICTS a published head: %s\n", brk)
		return exitCode(1)
	}
	fmt.Fprintf(stdout, "published heads hold: all %d in %s\n", len(heads), *against)
	return nil
}

// readHeads reads a saved list of published heads: the JSON array that
// GET /api/v1/public/audit/heads serves, or a single head object.
func readHeads(path string) ([]audit.Head, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit verify --against: %w", err)
	}
	raw = bytes.TrimSpace(raw)
	var heads []audit.Head
	if len(raw) > 0 && raw[0] == '{' {
		var h audit.Head
		err = json.Unmarshal(raw, &h)
		heads = []audit.Head{h}
	} else {
		err = json.Unmarshal(raw, &heads)
	}
	if err != nil {
		return nil, fmt.Errorf("audit verify --against %s: not a list of heads: %w", path, err)
	}
	for i, h := range heads {
		if h.Seq < 1 || len(h.Hash) != 64 || h.Day.IsZero() {
			return nil, fmt.Errorf("audit verify --against %s: head %d lacks its day, seq or 64-digit hash", path, i+1)
		}
	}
	return heads, nil
}
