// Package dbtest gives each test its own migrated PostgreSQL database, cloned
// from a template database that is migrated once per migration set. It needs
// JIEDAO_TEST_DATABASE_URL (set by `make test`): a URL whose role may create
// databases. Without a reachable server the test fails; it never skips.
package dbtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/platform/db"
	"github.com/jiedao-market/jiedao/migrations"
)

// EnvURL names the variable holding the test server's URL.
const EnvURL = "JIEDAO_TEST_DATABASE_URL"

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// New returns a pool on a fresh, migrated database that is dropped when the
// test ends (in the background, when the package's TestMain uses Run).
func New(t testing.TB) *gorm.DB {
	t.Helper()
	gdb, _ := NewWithURL(t)
	return gdb
}

// NewWithURL is New that also returns the database's URL, for code that opens
// its own connections (the migrator, River, a served binary).
func NewWithURL(t testing.TB) (*gorm.DB, string) {
	t.Helper()
	admin := os.Getenv(EnvURL)
	if admin == "" {
		t.Fatalf("%s is not set: run the tests with `make test`, which starts PostgreSQL and sets it", EnvURL)
	}
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(admin) })
	if templateErr != nil {
		t.Fatalf("test database template: %v", templateErr)
	}
	name := "jiedao_t_" + randomHex(8)
	if err := exec(admin, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, templateName)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	dbURL := withDatabase(admin, name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gdb, err := db.Open(ctx, dbURL, db.Options{MaxOpenConns: 30, MaxIdleConns: 10})
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		_ = db.Close(gdb)
		drop(t, admin, name)
	})
	return gdb, dbURL
}

// NewEmptyURL creates an empty database (no migrations applied), dropped when
// the test ends, and returns its URL: for tests of the migrator itself.
func NewEmptyURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvURL)
	if admin == "" {
		t.Fatalf("%s is not set: run the tests with `make test`, which starts PostgreSQL and sets it", EnvURL)
	}
	name := "jiedao_e_" + randomHex(8)
	if err := exec(admin, fmt.Sprintf(`CREATE DATABASE %s`, name)); err != nil {
		t.Fatalf("create empty test database: %v", err)
	}
	t.Cleanup(func() { drop(t, admin, name) })
	return withDatabase(admin, name)
}

// background holds the drops of finished tests' databases when the package's
// TestMain runs its tests with Run.
var background struct {
	on   bool
	wg   sync.WaitGroup
	slot chan struct{} // bounds the drops running at once
	mu   sync.Mutex
	errs []error
}

// Run runs the package's tests (m.Run) and returns their exit code, for a
// TestMain: os.Exit(dbtest.Run(m)). With it, a finished test's database is
// dropped in the background instead of in the test's cleanup: PostgreSQL
// checkpoints at every DROP DATABASE, and a parallel test waiting for that
// held its slot. Run waits for every drop before it returns; a drop that
// fails makes the code 1. Without Run, tests drop their databases themselves.
func Run(m *testing.M) int {
	background.on = true
	background.slot = make(chan struct{}, 2)
	code := m.Run()
	background.wg.Wait()
	for _, err := range background.errs {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		code = cmp.Or(code, 1)
	}
	return code
}

func drop(t testing.TB, admin, name string) {
	if !background.on {
		if err := dropDatabase(admin, name); err != nil {
			t.Error(err)
		}
		return
	}
	background.wg.Add(1)
	go func() {
		defer background.wg.Done()
		background.slot <- struct{}{}
		defer func() { <-background.slot }()
		if err := dropDatabase(admin, name); err != nil {
			background.mu.Lock()
			background.errs = append(background.errs, err)
			background.mu.Unlock()
		}
	}()
}

func dropDatabase(admin, name string) error {
	// An autovacuum worker in the new database can make a forced drop fail
	// for a role outside pg_signal_backend; it finishes quickly, so retry.
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if err = exec(admin, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("drop test database %s: %w", name, err)
}

// ensureTemplate builds, once per migration set, a migrated database to clone.
// Test binaries run in parallel, so the build is serialized by an advisory lock.
func ensureTemplate(admin string) (string, error) {
	sum, err := migrationsDigest()
	if err != nil {
		return "", err
	}
	name := "jiedao_tpl_" + sum[:16]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := sql.Open("pgx", admin)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	c, err := conn.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", EnvURL, err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock(7236002)`); err != nil {
		return "", err
	}
	defer c.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7236002)`)
	var exists bool
	if err := c.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	if _, err := c.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building)); err != nil {
		return "", err
	}
	if _, err := c.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", err
	}
	if _, err := db.Migrate(ctx, withDatabase(admin, building), nil); err != nil {
		return "", err
	}
	// Renaming only once migrated means a crash never leaves a half-built template.
	if _, err := c.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", err
	}
	return name, nil
}

func migrationsDigest() (string, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func exec(admin, stmt string) error {
	conn, err := sql.Open("pgx", admin)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = conn.ExecContext(ctx, stmt)
	return err
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(fmt.Sprintf("%s is not a URL: %v", EnvURL, err))
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
