package replica_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/platform/db"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/platform/replica"
)

// Only the reads that opt in, under a context that allows lag (anonymous
// requests), go to the replica: every other read and every statement of a
// transaction stay on the primary. A second database stands in for the
// replica here, each holding a row that says which it is; the real
// streaming replica is tested in internal/chaos (make test-chaos).
func TestPublicRouting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	primary, replicaURL, _ := twoDatabases(t)
	if got := who(t, replica.Public(primary)); got != "primary" {
		t.Errorf("Public without a replica read from %s, want primary (a no-op)", got)
	}

	sqlDB, err := replica.Use(ctx, primary, replicaURL, db.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatalf("Use() error = %v", err)
	}
	t.Cleanup(func() { sqlDB.Close() })

	if got := who(t, replica.Public(primary.WithContext(ctx))); got != "primary" {
		t.Errorf("Public for a signed-in request read from %s, want primary (read-your-writes)", got)
	}
	ctx = replica.AllowLag(ctx)
	pub := replica.Public(primary.WithContext(ctx))
	if got := who(t, pub); got != "replica" {
		t.Errorf("Public raw read from %s, want replica", got)
	}
	var names []string
	if err := pub.Table("whoami").Pluck("name", &names).Error; err != nil || len(names) != 1 || names[0] != "replica" {
		t.Errorf("Public query read %v, %v, want [replica]", names, err)
	}
	if got := who(t, pub); got != "replica" {
		t.Errorf("Public reused read from %s, want replica", got)
	}
	if got := who(t, primary.WithContext(ctx)); got != "primary" {
		t.Errorf("a read that does not opt in read from %s, want primary", got)
	}
	var n int64
	if err := primary.Table("whoami").Count(&n).Error; err != nil || n != 1 {
		t.Errorf("a count that does not opt in = %d, %v, want the primary's 1", n, err)
	}
	err = primary.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if got := who(t, replica.Public(tx).Where("name = 'primary'")); got != "primary" {
			t.Errorf("Public in a transaction read from %s, want primary", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// twoDatabases returns a primary and the URL of a second database standing
// in for its replica, and the replica's pool: each holds a table whoami with
// one row naming it ("primary", "replica").
func twoDatabases(t *testing.T) (primary *gorm.DB, replicaURL string, standby *gorm.DB) {
	t.Helper()
	primary, _ = dbtest.NewWithURL(t)
	_, replicaURL = dbtest.NewWithURL(t)
	standby, err := db.Open(context.Background(), replicaURL, db.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(standby) })
	for gdb, name := range map[*gorm.DB]string{primary: "primary", standby: "replica"} {
		if err := gdb.Exec(`CREATE TABLE whoami (name text NOT NULL)`).Error; err != nil {
			t.Fatal(err)
		}
		if err := gdb.Exec(`INSERT INTO whoami VALUES (?)`, name).Error; err != nil {
			t.Fatal(err)
		}
	}
	return primary, replicaURL, standby
}

// who reads which database q's raw read reached.
func who(t *testing.T, q *gorm.DB) string {
	t.Helper()
	var name string
	if err := q.Raw(`SELECT name FROM whoami`).Scan(&name).Error; err != nil {
		t.Fatalf("read whoami: %v", err)
	}
	return name
}

// The routing follows Public's mark alone, never the SQL: a statement
// without the mark stays on the primary whatever table it names and
// whatever kind it is; a marked one goes to the replica each time it is
// reused and by every way of reading, except in a transaction; a marked
// write through GORM (Create) stays on the primary; and the mark adds
// nothing to the SQL.
func TestPublicMark(t *testing.T) {
	t.Parallel()
	primary, replicaURL, standby := twoDatabases(t)
	sqlDB, err := replica.Use(context.Background(), primary, replicaURL, db.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatalf("Use() error = %v", err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	ctx := replica.AllowLag(context.Background())
	pub := replica.Public(primary.WithContext(ctx))

	t.Run("unmarked statements naming the public table stay on the primary", func(t *testing.T) {
		q := primary.WithContext(ctx)
		if got := who(t, q); got != "primary" {
			t.Errorf("raw read from %s, want primary", got)
		}
		var names []string
		if err := q.Raw(`UPDATE whoami SET name = name RETURNING name`).Scan(&names).Error; err != nil || len(names) != 1 || names[0] != "primary" {
			t.Errorf("raw write returned %v, %v, want [primary]", names, err)
		}
		if err := q.Table("whoami").Pluck("name", &names).Error; err != nil || len(names) != 1 || names[0] != "primary" {
			t.Errorf("query read %v, %v, want [primary]", names, err)
		}
		var name string
		if err := q.Raw(`SELECT name FROM whoami`).Row().Scan(&name); err != nil || name != "primary" {
			t.Errorf("row read %q, %v, want primary", name, err)
		}
	})

	t.Run("a marked statement reused goes to the replica every time", func(t *testing.T) {
		for i := range 2 {
			if got := who(t, pub); got != "replica" {
				t.Errorf("raw read %d from %s, want replica", i, got)
			}
			var names []string
			if err := pub.Table("whoami").Pluck("name", &names).Error; err != nil || len(names) != 1 || names[0] != "replica" {
				t.Errorf("query %d read %v, %v, want [replica]", i, names, err)
			}
			var name string
			if err := pub.Raw(`SELECT name FROM whoami`).Row().Scan(&name); err != nil || name != "replica" {
				t.Errorf("row %d read %q, %v, want replica", i, name, err)
			}
		}
		q := pub.Table("whoami") // a chain built on the result, reused too
		for i := range 2 {
			var n int64
			if err := q.Where("name = 'replica'").Count(&n).Error; err != nil || n != 1 {
				t.Errorf("count %d = %d, %v, want the replica's 1", i, n, err)
			}
		}
	})

	t.Run("a marked read in a transaction stays on the primary", func(t *testing.T) {
		err := primary.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if got := who(t, replica.Public(tx)); got != "primary" {
				t.Errorf("Public(tx) read from %s, want primary", got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = pub.Transaction(func(tx *gorm.DB) error {
			if got := who(t, tx); got != "primary" {
				t.Errorf("a transaction begun on Public read from %s, want primary", got)
			}
			var names []string
			if err := tx.Table("whoami").Pluck("name", &names).Error; err != nil || len(names) != 1 || names[0] != "primary" {
				t.Errorf("its query read %v, %v, want [primary]", names, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a marked Create stays on the primary", func(t *testing.T) {
		if err := pub.Table("whoami").Create(map[string]any{"name": "created"}).Error; err != nil {
			t.Fatal(err)
		}
		for gdb, want := range map[*gorm.DB]int64{primary: 1, standby: 0} {
			var n int64
			if err := gdb.Table("whoami").Where("name = 'created'").Count(&n).Error; err != nil || n != want {
				t.Errorf("rows created = %d, %v, want %d", n, err, want)
			}
		}
	})

	t.Run("the mark adds nothing to the SQL", func(t *testing.T) {
		var names []string
		stmt := pub.Session(&gorm.Session{DryRun: true}).Table("whoami").Where("name <> ?", "x").Find(&names).Statement
		if got, want := stmt.SQL.String(), `SELECT * FROM "whoami" WHERE name <> $1`; got != want {
			t.Errorf("SQL = %q, want %q", got, want)
		}
	})
}
