// Package dataset generates the benchmark dataset of `jiedao bench seed`: a
// district with its subdistricts, communities, officers, evaluators and
// residents, certified organizations, published transfer items, funded
// accounts, tenders in every state of their lifecycle with sealed and opened
// bids, contracts with their metrics and milestones, service records and
// ratings, at a scale (1: 20 subdistricts, 2,000 organizations, 20,000
// tenders, 100,000 bids, 5,000 contracts, 1,000,000 service records, 200,000
// ratings). It writes the rows directly, with COPY, in one transaction, as the
// services would have left them (sealed bids open through the real opening;
// ledger balances come from postings; rating aggregates equal their ratings),
// and one audit entry noting the run. LoadTargets finds in such a database
// what the load scenarios of `jiedao bench run` act on.
//
// Determinism: the rows follow from the seed and the day of Options.Now
// (UTC): every timestamp is relative to that day's midnight, so two runs on
// the same day with the same seed write the same rows, except the sealed
// bodies of bids and their digests (sealed with a random nonce, as the app
// seals them) and the bid commitments computed from those digests.
package dataset

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// Password is the password of every generated account.
const Password = "bench-pass-2026"

// Prefix begins the username of every generated account; a database holding
// one is refused.
const Prefix = "bench-"

// MaxScale bounds Options.Scale: codes of subdistricts and communities have
// three digits for their number.
const MaxScale = 40.0

// Options are what Generate generates.
type Options struct {
	// Scale multiplies every count (1: the figures of the package comment);
	// fractions make small datasets for tests. The district stays one.
	Scale float64
	// Seed makes the run reproducible (default 1).
	Seed uint64
	// Now is the time the dataset is generated for (zero: time.Now()); rows
	// are placed relative to its day's midnight (UTC).
	Now time.Time
	// SealKey seals the bids (JIEDAO_SEAL_KEY); RatingKey derives the rating
	// codes (JIEDAO_RATING_KEY). Both must be the server's.
	SealKey, RatingKey []byte
	// Argon2 hashes Password once for all accounts.
	Argon2 config.Argon2
	// Progress, if set, is told each step as it ends.
	Progress func(step string, rows int64, took time.Duration)
}

// Report tells what Generate wrote.
type Report struct {
	Scale float64
	Seed  uint64
	// Rows counts the rows written per table.
	Rows map[string]int64
	// Took is the whole run, the commit and ANALYZE included.
	Took time.Duration
}

// ErrNotEmpty is returned by Generate for a database that holds bench data
// or the demo already.
var ErrNotEmpty = errors.New("dataset: the database holds bench data or the demo already; generate into a freshly migrated database")

// Generate fills the migrated database at databaseURL with the dataset of
// o, in one transaction (nothing is left of a failed run), then ANALYZEs it.
// It returns ErrNotEmpty for a database with bench data or the demo.
func Generate(ctx context.Context, databaseURL string, o Options) (Report, error) {
	start := time.Now()
	if o.Scale <= 0 || o.Scale > MaxScale || math.IsNaN(o.Scale) {
		return Report{}, fmt.Errorf("dataset: scale must be above 0 and at most %g", MaxScale)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	sealer, err := tender.NewSealer(o.SealKey)
	if err != nil {
		return Report{}, fmt.Errorf("dataset: %w", err)
	}
	if len(o.RatingKey) == 0 {
		return Report{}, errors.New("dataset: no rating-code key")
	}
	hash, err := auth.HashPassword(Password, o.Argon2)
	if err != nil {
		return Report{}, err
	}
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return Report{}, fmt.Errorf("dataset: %w", err)
	}
	sqldb := stdlib.OpenDB(*cfg)
	defer sqldb.Close()
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("dataset: connect: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return Report{}, err
	}
	defer tx.Rollback() //nolint:errcheck // after a commit, a no-op
	g := newGen(o, sealer, hash)
	// The generator speaks pgx (COPY) on the connection the transaction
	// runs on; the audit entry goes through gorm on the same transaction.
	err = conn.Raw(func(dc any) error {
		g.c = dc.(*stdlib.Conn).Conn()
		return g.run(ctx)
	})
	if err != nil {
		return Report{}, err
	}
	if err := g.auditEntry(ctx, tx); err != nil {
		return Report{}, err
	}
	t := time.Now()
	if err := tx.Commit(); err != nil {
		return Report{}, fmt.Errorf("dataset: commit: %w", err)
	}
	g.step("commit", 0, t)
	t = time.Now()
	if _, err := sqldb.ExecContext(ctx, "ANALYZE"); err != nil {
		return Report{}, fmt.Errorf("dataset: analyze: %w", err)
	}
	g.step("analyze", 0, t)
	return Report{Scale: o.Scale, Seed: o.Seed, Rows: g.rows, Took: time.Since(start)}, nil
}

// gen holds a run's state: the random source, what was generated so far
// that later steps refer to, and the next id of each table.
type gen struct {
	o      Options
	r      *rand.Rand
	sealer *tender.Sealer
	hash   string
	c      *pgx.Conn
	base   time.Time // midnight (UTC) of the day of o.Now
	rows   map[string]int64
	next   map[string]int64

	w       world
	ledgers map[int64]*fundLedger
	rated   []rating
	pools   map[string][]int // eligible organizations by category and minimums
	// deferred are the foreign keys and indexes restore makes again.
	deferred []deferred
}

func newGen(o Options, sealer *tender.Sealer, hash string) *gen {
	// #nosec G404 -- a seeded generator is the point: the dataset is made again from its seed. Nothing secret comes from it (the
	// seals' nonces come from crypto/rand inside tender.Sealer).
	return &gen{o: o, r: rand.New(rand.NewPCG(o.Seed, 0x6a6965646130)), sealer: sealer, hash: hash,
		base: o.Now.UTC().Truncate(24 * time.Hour), rows: map[string]int64{}, next: map[string]int64{}}
}

// n scales a count at scale 1, never below min.
func (g *gen) n(atOne float64, min int) int {
	v := int(math.Round(atOne * g.o.Scale))
	return max(v, min)
}

func (g *gen) step(name string, rows int64, t time.Time) {
	if g.o.Progress != nil {
		g.o.Progress(name, rows, time.Since(t))
	}
}

// run writes every table in dependency order.
func (g *gen) run(ctx context.Context) error {
	if err := g.refuse(ctx); err != nil {
		return err
	}
	// Memory for the indexes made again and the joins that check the
	// foreign keys: sorts and hashes in memory rather than on disk.
	if _, err := g.c.Exec(ctx, `SET LOCAL maintenance_work_mem = '256MB'; SET LOCAL work_mem = '64MB'`); err != nil {
		return err
	}
	t := time.Now()
	if err := g.deferConstraints(ctx); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	g.step("defer constraints", 0, t)
	steps := []struct {
		name string
		f    func(context.Context) error
	}{
		{"places and accounts", g.places},
		{"organizations", g.organizations},
		{"transfer items", g.catalog},
		{"fund accounts", g.funds},
		{"tenders", g.tenders},
		{"bids", g.bids},
		{"scores and awards", g.awards},
		{"contracts", g.contracts},
		{"evaluations", g.evaluations},
		{"milestones", g.milestones},
		{"service records", g.serviceRecords},
		{"ratings", g.ratings},
		{"ledger", g.ledger},
		{"constraints", g.restore},
		{"sequences", g.sequences},
	}
	for _, s := range steps {
		t, before := time.Now(), g.total()
		if err := s.f(ctx); err != nil {
			return fmt.Errorf("dataset: %s: %w", s.name, err)
		}
		g.step(s.name, g.total()-before, t)
	}
	return nil
}

func (g *gen) total() int64 {
	var n int64
	for _, v := range g.rows {
		n += v
	}
	return n
}

// refuse returns ErrNotEmpty when bench or demo accounts exist.
func (g *gen) refuse(ctx context.Context) error {
	var n int64
	if err := g.c.QueryRow(ctx, `SELECT count(*) FROM users WHERE username LIKE 'bench-%' OR username LIKE 'demo-%'`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return ErrNotEmpty
	}
	return nil
}

// id returns the next id of table, above any it holds.
func (g *gen) id(ctx context.Context, table string) (int64, error) {
	n, ok := g.next[table]
	if !ok {
		if err := g.c.QueryRow(ctx, `SELECT coalesce(max(id), 0) + 1 FROM `+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
			return 0, err
		}
	}
	g.next[table] = n + 1
	return n, nil
}

// ids returns k consecutive new ids of table, the first of them.
func (g *gen) ids(ctx context.Context, table string, k int) (int64, error) {
	first, err := g.id(ctx, table)
	if err != nil {
		return 0, err
	}
	g.next[table] = first + int64(k)
	return first, nil
}

// copyRows copies rows into table.
func (g *gen) copyRows(ctx context.Context, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	n, err := g.c.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	g.rows[table] += n
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}

// copyFunc streams rows made by next into table.
func (g *gen) copyFunc(ctx context.Context, table string, cols []string, next func() ([]any, error)) error {
	n, err := g.c.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(next))
	g.rows[table] += n
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}

// copyPipe copies the rows produce emits into table, produce running in
// its own goroutine so that making rows (sealing, hashing) overlaps with
// the database writing them. produce alone uses the generator meanwhile;
// emit reports false once the copy has stopped.
func (g *gen) copyPipe(ctx context.Context, table string, cols []string, produce func(emit func([]any) bool) error) error {
	ch := make(chan []any, 2048)
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		defer close(ch)
		done <- produce(func(row []any) bool {
			select {
			case ch <- row:
				return true
			case <-stop:
				return false
			}
		})
	}()
	n, err := g.c.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		return <-ch, nil // nil once produce is done: the end of the rows
	}))
	close(stop)
	for range ch {
	}
	g.rows[table] += n
	if perr := <-done; perr != nil {
		return fmt.Errorf("copy %s: %w", table, perr)
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}

// sequences moves every serial sequence past the ids written.
func (g *gen) sequences(ctx context.Context) error {
	for table, next := range g.next {
		var seq *string
		if err := g.c.QueryRow(ctx, `SELECT pg_get_serial_sequence($1, 'id')`, table).Scan(&seq); err != nil {
			return err
		}
		if seq == nil {
			continue
		}
		if _, err := g.c.Exec(ctx, `SELECT setval($1, greatest($2::bigint - 1, 1))`, *seq, next); err != nil {
			return fmt.Errorf("sequence of %s: %w", table, err)
		}
	}
	return nil
}

// auditEntry writes the one audit entry of the run, through audit.Record.
func (g *gen) auditEntry(ctx context.Context, tx *sql.Tx) error {
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: tx}), &gorm.Config{TranslateError: true, SkipDefaultTransaction: true,
		Logger: logger.Discard})
	if err != nil {
		return err
	}
	counts := map[string]int64{}
	for k, v := range g.rows {
		counts[k] = v
	}
	by := access.SystemActor("bench-seed", "bench-seed")
	return audit.Record(gdb.WithContext(ctx), by, "bench.seed", "district", g.w.districtID, map[string]any{
		"scale": g.o.Scale, "seed": g.o.Seed, "day": g.base.Format(time.DateOnly), "rows": counts,
		"note": "benchmark dataset written directly by jiedao bench seed, not through the services; this entry stands for all its rows"})
}

// pick returns a random element of s.
func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// between returns a random int in [lo, hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// days is d days as a duration.
func days(d int) time.Duration { return time.Duration(d) * 24 * time.Hour }

func ptr[T any](v T) *T { return &v }

// username is the generated account name of kind and number.
func username(kind string, n int) string {
	return fmt.Sprintf("%s%s-%05d", Prefix, strings.ToLower(kind), n)
}
