package audit_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// BenchmarkRecord measures one audited transaction: insert the pending
// entry, commit.
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

// BenchmarkRecordParallel measures audited transactions from parallel
// writers (GOMAXPROCS × -cpu goroutines), each in its own subdistrict of
// entities, with a sequencer integrating behind them as in `jiedao serve`:
// the writers never wait for each other or for it.
func BenchmarkRecordParallel(b *testing.B) {
	gdb := dbtest.New(b)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, stop := context.WithCancel(b.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		audit.NewSequencer(gdb, 200*time.Millisecond, audit.DefaultSequenceBatch, log).Run(ctx)
	}()
	change := map[string]any{"status": "published", "amount": 123456}
	var writer atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := writer.Add(1)
		by := access.Actor{UserID: 0, Username: fmt.Sprintf("bench-%d", w), Role: access.System, RequestID: "bench"}
		for i := 0; pb.Next(); i++ {
			if err := gdb.Transaction(func(tx *gorm.DB) error {
				return audit.Record(tx, by, "bench.write", "subdistrict", w*1_000_000+int64(i), change)
			}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	stop()
	<-done
	if _, err := audit.IntegrateAll(b.Context(), gdb); err != nil {
		b.Fatal(err)
	}
	if rep, err := audit.Verify(b.Context(), gdb); err != nil || rep.Broken != nil || rep.Pending != 0 {
		b.Fatalf("Verify() = %+v, %v", rep, err)
	}
}

// BenchmarkIntegrate measures the sequencer: integrating a batch of 1,000
// pending entries into the chain.
func BenchmarkIntegrate(b *testing.B) {
	gdb := dbtest.New(b)
	by := access.Actor{Username: "bench", Role: access.System}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := gdb.Transaction(func(tx *gorm.DB) error {
			for j := 0; j < audit.DefaultSequenceBatch; j++ {
				if err := audit.Record(tx, by, "bench.write", "bench", j, nil); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if n, err := audit.Integrate(b.Context(), gdb, audit.DefaultSequenceBatch); err != nil || n != audit.DefaultSequenceBatch {
			b.Fatalf("Integrate() = %d, %v", n, err)
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
	if _, err := audit.IntegrateAll(b.Context(), gdb); err != nil {
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
