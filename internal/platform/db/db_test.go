package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/platform/db"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// Several replicas starting at once all migrate; the advisory lock lets one
// apply each migration and the others find nothing left to do.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	url := dbtest.NewEmptyURL(t)
	ctx := context.Background()
	const replicas = 4
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		applied int
		errs    []error
	)
	for i := 0; i < replicas; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := db.Migrate(ctx, url, nil)
			mu.Lock()
			defer mu.Unlock()
			applied += n
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("Migrate() errors = %v, want none", errs)
	}
	status, err := db.Status(ctx, url)
	if err != nil {
		t.Fatalf("Status() error = %v", err)
	}
	if applied != len(status) {
		t.Errorf("migrations applied across replicas = %d, want each of the %d exactly once", applied, len(status))
	}
	for _, m := range status {
		if !m.Applied {
			t.Errorf("migration %d %s is pending after Migrate", m.Version, m.Name)
		}
	}
}

// Down rolls back the newest migration and Up applies it again.
func TestMigrateDownAndUp(t *testing.T) {
	t.Parallel()
	url := dbtest.NewEmptyURL(t)
	ctx := context.Background()
	if _, err := db.Migrate(ctx, url, nil); err != nil {
		t.Fatalf("Migrate() error = %v", err)
	}
	if err := db.MigrateDown(ctx, url, nil); err != nil {
		t.Fatalf("MigrateDown() error = %v", err)
	}
	status, err := db.Status(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if last := status[len(status)-1]; last.Applied {
		t.Errorf("after MigrateDown the newest migration %s is still applied", last.Name)
	}
	if n, err := db.Migrate(ctx, url, nil); err != nil || n != 1 {
		t.Errorf("Migrate() after down = %d, %v; want 1, nil", n, err)
	}
}

// The database Open returns keeps PostgreSQL's error translation, and never
// writes a statement's arguments into its text (what a log line would show).
func TestOpenKeepsArgumentsOutOfStatements(t *testing.T) {
	t.Parallel()
	url := dbtest.NewEmptyURL(t)
	gdb, err := db.Open(context.Background(), url, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	const secret = "sealed-bid-body"
	if got := gdb.Dialector.Explain("SELECT $1", secret); strings.Contains(got, secret) {
		t.Errorf("Explain() = %q, holds the argument", got)
	}
	if err := gdb.Exec(`CREATE TABLE t (k text PRIMARY KEY)`).Error; err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		err := gdb.Exec(`INSERT INTO t VALUES (?)`, secret).Error
		if i == 1 && !errors.Is(err, gorm.ErrDuplicatedKey) {
			t.Errorf("second insert error = %v, want gorm.ErrDuplicatedKey", err)
		}
	}
	var got string
	if err := gdb.Raw(`SELECT k FROM t WHERE k = ?`, secret).Scan(&got).Error; err != nil || got != secret {
		t.Errorf("Scan() = %q, %v", got, err)
	}
}
