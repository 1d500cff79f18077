package db_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/platform/db"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// Only the reads that opt in go to the replica: every other read and every
// statement of a transaction stay on the primary. A second database stands in for the
// replica here, each holding a row that says which it is; the real
// streaming replica is tested in internal/chaos (make test-chaos).
func TestPublicReadRouting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	primary, _ := dbtest.NewWithURL(t)
	_, replicaURL := dbtest.NewWithURL(t)
	replica, err := db.Open(ctx, replicaURL, db.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(replica) })
	for gdb, name := range map[*gorm.DB]string{primary: "primary", replica: "replica"} {
		if err := gdb.Exec(`CREATE TABLE whoami (name text NOT NULL)`).Error; err != nil {
			t.Fatal(err)
		}
		if err := gdb.Exec(`INSERT INTO whoami VALUES (?)`, name).Error; err != nil {
			t.Fatal(err)
		}
	}
	who := func(t *testing.T, q *gorm.DB) string {
		t.Helper()
		var name string
		if err := q.Raw(`SELECT name FROM whoami`).Scan(&name).Error; err != nil {
			t.Fatalf("read whoami: %v", err)
		}
		return name
	}
	if got := who(t, db.PublicRead(primary)); got != "primary" {
		t.Errorf("PublicRead without a replica read from %s, want primary (a no-op)", got)
	}

	sqlDB, err := db.UseReplica(ctx, primary, replicaURL, db.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatalf("UseReplica() error = %v", err)
	}
	t.Cleanup(func() { sqlDB.Close() })

	pub := db.PublicRead(primary.WithContext(ctx))
	if got := who(t, pub); got != "replica" {
		t.Errorf("PublicRead raw read from %s, want replica", got)
	}
	var names []string
	if err := pub.Table("whoami").Pluck("name", &names).Error; err != nil || len(names) != 1 || names[0] != "replica" {
		t.Errorf("PublicRead query read %v, %v, want [replica]", names, err)
	}
	if got := who(t, pub); got != "replica" {
		t.Errorf("PublicRead reused read from %s, want replica", got)
	}
	if got := who(t, primary.WithContext(ctx)); got != "primary" {
		t.Errorf("a read that does not opt in read from %s, want primary", got)
	}
	var n int64
	if err := primary.Table("whoami").Count(&n).Error; err != nil || n != 1 {
		t.Errorf("a count that does not opt in = %d, %v, want the primary's 1", n, err)
	}
	err = primary.Transaction(func(tx *gorm.DB) error {
		if got := who(t, db.PublicRead(tx).Where("name = 'primary'")); got != "primary" {
			t.Errorf("PublicRead in a transaction read from %s, want primary", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
