package audit_test

import (
	"testing"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// BenchmarkRecord measures one audited transaction: lock the chain, read its
// head, hash and insert the entry, commit.
func BenchmarkRecord(b *testing.B) {
	gdb := dbtest.New(b)
	by := access.Actor{UserID: 0, Username: "bench", Role: access.System, RequestID: "bench"}
	change := map[string]any{"status": "published", "amount": 123456}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := gdb.Transaction(func(tx *gorm.DB) error {
			return audit.Record(tx, by, "bench.write", "bench", i, change)
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures walking a chain of 5,000 entries.
func BenchmarkVerify(b *testing.B) {
	gdb := dbtest.New(b)
	by := access.Actor{Username: "bench", Role: access.System}
	if err := gdb.Transaction(func(tx *gorm.DB) error {
		for i := 0; i < 5000; i++ {
			if err := audit.Record(tx, by, "bench.write", "bench", i, nil); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := audit.Verify(b.Context(), gdb)
		if err != nil || rep.Broken != nil || rep.Entries != 5000 {
			b.Fatalf("Verify() = %+v, %v", rep, err)
		}
	}
}
