package tender_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// BenchmarkSubmitBid measures one bid: eligibility, validation, sealing and
// the insert with its audit entry (each bid replaces the bidder's earlier one).
func BenchmarkSubmitBid(b *testing.B) {
	w := newWorld(b)
	ctx := context.Background()
	v := w.published(w.input(3))
	body := w.body(45_000_000, "服务方案：每周上门四次，建立一人一档。")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		body.PriceFen = money.Fen(40_000_000 + i%1000)
		if _, err := w.svc.SubmitBid(ctx, w.orgs[i%len(w.orgs)], v.ID, body); err != nil {
			b.Fatalf("SubmitBid() error = %v", err)
		}
		i++
	}
}

// BenchmarkSubmitBidSurge measures bids arriving together on one tender
// from 16 organizations, 8 at a time, each replacing its earlier bid: the
// bid surge before a close, where bids on one tender must not queue behind
// each other.
func BenchmarkSubmitBidSurge(b *testing.B) {
	w := newWorld(b)
	ctx := context.Background()
	w.freshOrgs(16)
	v := w.published(w.input(3))
	body := w.body(45_000_000, "服务方案：每周上门四次，建立一人一档。")
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(4) // 8 goroutines on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		bb := body
		bb.MetricCommitments = slices.Clone(body.MetricCommitments)
		for pb.Next() {
			i := next.Add(1)
			bb.PriceFen = money.Fen(40_000_000 + i%1000)
			// Two goroutines may hold the same organization: its
			// replacements must then come one after the other.
			if _, err := w.svc.SubmitBid(ctx, w.orgs[i%int64(len(w.orgs))], v.ID, bb); err != nil {
				b.Errorf("SubmitBid() error = %v", err)
				return
			}
		}
	})
}

// BenchmarkOpening measures the opening of 50 sealed bids: unsealing,
// compliance, abnormally-low flags, the opening record and notifications.
func BenchmarkOpening(b *testing.B) {
	w := newWorld(b)
	ctx := context.Background()
	for i := range 50 {
		w.orgs = append(w.orgs, w.newOrg(fmt.Sprintf("bench-admin-%d", i), creditCode(10_000+i), fmt.Sprintf("基准社会组织%d", i), 4))
	}
	w.orgs = w.orgs[len(w.orgs)-50:]
	body := w.body(0, "服务方案：每周上门四次，建立一人一档。")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// Short times keep the certifications valid however many rounds run.
		in := w.input(3)
		now := w.clock.Now()
		q, closes := now.Add(time.Hour), now.Add(2*time.Hour)
		in.QuestionsCloseAt, in.ClosesAt, in.OpensAt = &q, &closes, &closes
		v := w.published(in)
		for k, o := range w.orgs {
			body.PriceFen = money.Fen(40_000_000 + k*10_000)
			if _, err := w.svc.SubmitBid(ctx, o, v.ID, body); err != nil {
				b.Fatalf("SubmitBid() error = %v", err)
			}
		}
		w.clock.Set(v.OpensAt)
		b.StartTimer()
		if _, err := w.svc.Advance(ctx, v.ID); err != nil {
			b.Fatalf("Advance() error = %v", err)
		}
		b.StopTimer()
		if got := w.get(v.ID); got.Status != tender.StatusOpened {
			b.Fatalf("status = %s (%s), want opened", got.Status, got.StatusReason)
		}
		// Cancelling releases the reservation for the next round.
		if _, err := w.svc.Cancel(ctx, w.officer, v.ID, "基准测试"); err != nil {
			b.Fatalf("Cancel() error = %v", err)
		}
		b.StartTimer()
	}
}
