// Package db opens the PostgreSQL pool through GORM and applies the embedded
// goose migrations under an advisory lock, so several replicas may start at once.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/jiedao-market/jiedao/migrations"
)

// Options sizes the pool.
type Options struct {
	MaxOpenConns int
	MaxIdleConns int
}

// Open connects to url and checks the connection.
func Open(ctx context.Context, url string, opt Options) (*gorm.DB, error) {
	gdb, err := gorm.Open(dialector{postgres.New(postgres.Config{DSN: url}).(*postgres.Dialector)}, &gorm.Config{
		TranslateError: true,
		Logger:         logger.Discard,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if opt.MaxOpenConns > 0 {
		sqlDB.SetMaxOpenConns(opt.MaxOpenConns)
	}
	if opt.MaxIdleConns > 0 {
		sqlDB.SetMaxIdleConns(opt.MaxIdleConns)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return gdb, nil
}

// dialector is PostgreSQL's, but for Explain. GORM calls Explain to write a
// statement out with its arguments inlined for a log line, and its Scan does
// so on every call whether or not anything logs (a trace recorder): a
// regular-expression pass over the statement and every argument, 5 % of a
// bid's CPU and a tenth of its allocations. Nothing here logs statements (the
// logger discards them), and a statement's arguments (sealed bids, password
// hashes, personal data) should never be inlined into a string that could
// be: Explain returns the statement with its $n placeholders.
type dialector struct{ *postgres.Dialector }

// Explain returns sql as it is: the arguments stay out of it.
func (dialector) Explain(sql string, _ ...any) string { return sql }

// Close closes the pool behind gdb.
func Close(gdb *gorm.DB) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// migrationLockID is the advisory lock key held while migrating ("jiedao" in hex, more or less).
const migrationLockID = 0x6a6965646130

func provider(url string, log *slog.Logger) (*goose.Provider, *sql.DB, error) {
	sqlDB, err := sql.Open("pgx", url)
	if err != nil {
		return nil, nil, fmt.Errorf("open database for migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		sqlDB.Close()
		return nil, nil, err
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS,
		goose.WithSessionLocker(locker), goose.WithSlog(log), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("migrations: %w", err)
	}
	return p, sqlDB, nil
}

// Migrate applies every pending migration and returns how many it applied.
func Migrate(ctx context.Context, url string, log *slog.Logger) (int, error) {
	p, sqlDB, err := provider(url, log)
	if err != nil {
		return 0, err
	}
	defer sqlDB.Close()
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate up: %w", err)
	}
	return len(res), nil
}

// MigrateDown rolls back the most recent migration.
func MigrateDown(ctx context.Context, url string, log *slog.Logger) error {
	p, sqlDB, err := provider(url, log)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	if _, err := p.Down(ctx); err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// Status lists the migrations with their state.
func Status(ctx context.Context, url string) ([]MigrationStatus, error) {
	p, sqlDB, err := provider(url, nil)
	if err != nil {
		return nil, err
	}
	defer sqlDB.Close()
	list, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(list))
	for _, m := range list {
		out = append(out, MigrationStatus{
			Version:   m.Source.Version,
			Name:      m.Source.Path,
			Applied:   m.State == goose.StateApplied,
			AppliedAt: m.AppliedAt,
		})
	}
	return out, nil
}
