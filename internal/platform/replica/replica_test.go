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
	primary, _ := dbtest.NewWithURL(t)
	_, replicaURL := dbtest.NewWithURL(t)
	standby, err := db.Open(ctx, replicaURL, db.Options{MaxOpenConns: 2})
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
	who := func(t *testing.T, q *gorm.DB) string {
		t.Helper()
		var name string
		if err := q.Raw(`SELECT name FROM whoami`).Scan(&name).Error; err != nil {
			t.Fatalf("read whoami: %v", err)
		}
		return name
	}
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
