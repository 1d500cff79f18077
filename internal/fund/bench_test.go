package fund_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/fund"
)

// benchFund opens a fund holding 1,000,000,000.00 yuan, enough for any run
// of 1-fen reservations.
func benchFund(b *testing.B, w *world) fund.View {
	b.Helper()
	f := w.account(b, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	w.appropriate(b, w.financeA, f.ID, 100_000_000_000, "bench")
	return f
}

// BenchmarkReserve measures one reservation, in its own transaction, after
// another: the latency of a ledger posting (earmark check, row locks, posting,
// lines, audit entry, deferred balance check at commit).
func BenchmarkReserve(b *testing.B) {
	w := newWorld(b)
	f := benchFund(b, w)
	i := 0
	for b.Loop() {
		i++
		if _, err := w.move(func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Reserve(tx, w.procurementA, f.ID, "ELDERLY_HOME_CARE", 1, fund.Ref{Type: "tender", ID: fmt.Sprint(i)})
		}); err != nil {
			b.Fatalf("Reserve() error = %v", err)
		}
	}
	if n := w.postings(b, f.ID); n != int64(i)+1 {
		b.Errorf("postings = %d, want %d", n, i+1)
	}
}

// BenchmarkReserveParallel measures reservations on one fund from 8 goroutines
// per CPU: the ledger's throughput when every posting contends for the same
// locks.
func BenchmarkReserveParallel(b *testing.B) {
	w := newWorld(b)
	poolSize(b, w.db, 10)
	f := benchFund(b, w)
	var seq atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ref := fund.Ref{Type: "tender", ID: fmt.Sprint(seq.Add(1))}
			if _, err := w.move(func(tx *gorm.DB) (fund.Posting, error) {
				return fund.Reserve(tx, w.procurementA, f.ID, "ELDERLY_HOME_CARE", 1, ref)
			}); err != nil {
				b.Errorf("Reserve() error = %v", err)
				return
			}
		}
	})
	b.StopTimer()
	if n := w.postings(b, f.ID); n != seq.Load()+1 {
		b.Errorf("postings = %d, want %d", n, seq.Load()+1)
	}
}
