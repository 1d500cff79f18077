package tender_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// A bid in progress holds off neither another organization's bid on the same
// tender nor a bid of its own organization on another tender.
func TestBidsOnOneTenderDoNotQueue(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.published(w.input(3))
	other := w.published(w.input(3))
	held := w.db.Begin()
	defer held.Rollback()
	if err := tender.LockBidder(w.svc, held, w.orgs[0], v.ID); err != nil {
		t.Fatal(err)
	}
	// Were they held off, the deadline would end them.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := w.svc.SubmitBid(ctx, w.orgs[1], v.ID, w.body(45_000_000, "服务方案：并发")); err != nil {
		t.Fatalf("SubmitBid(another organization) beside a bid in progress: %v", err)
	}
	if _, err := w.svc.SubmitBid(ctx, w.orgs[0], other.ID, w.body(45_000_000, "服务方案：并发")); err != nil {
		t.Fatalf("SubmitBid(same organization, another tender) beside a bid in progress: %v", err)
	}
	if err := held.Commit().Error; err != nil {
		t.Fatal(err)
	}
}

// An organization's bids sent at once on one tender replace one another in
// a line: one active bid at the end, every other replaced by exactly one.
func TestOneOrganizationsBidsAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.published(w.input(3))
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		body := w.body(money.Fen(40_000_000+i), "服务方案：同时")
		wg.Go(func() {
			_, err := w.svc.SubmitBid(context.Background(), w.orgs[0], v.ID, body)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("SubmitBid() error = %v", err)
		}
	}
	var rows []struct {
		Status     string
		ReplacesID *int64
	}
	if err := w.db.Raw(`SELECT status, replaces_id FROM bids WHERE tender_id = ? AND organization_id = ?`, v.ID, w.orgs[0].Scope.OrganizationID).
		Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	active, replaces := 0, map[int64]int{}
	for _, r := range rows {
		if r.Status == "active" {
			active++
		}
		if r.ReplacesID != nil {
			replaces[*r.ReplacesID]++
		}
	}
	if len(rows) != n || active != 1 || len(replaces) != n-1 {
		t.Fatalf("%d bids, %d active, %d replaced; want %d, 1, %d", len(rows), active, len(replaces), n, n-1)
	}
	for id, k := range replaces {
		if k != 1 {
			t.Errorf("bid %d replaced %d times", id, k)
		}
	}
}

// A bid that waits for its organization's bid in progress on the tender is
// judged, and stamped, by the database's clock once it holds that lock too,
// and replaces the bid it waited for.
func TestBidWaitingForItsOrganizationIsJudgedWhenItGetsTheLock(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	sealer, err := tender.NewSealer(w.sealKey)
	if err != nil {
		t.Fatal(err)
	}
	system := tender.NewService(w.db, clock.System{}, sealer, tender.Options{AmendmentMinDays: 3, ChallengeDays: 5})
	v := w.published(w.input(3))
	first := w.bid(w.orgs[0], v.ID, 47_000_000)
	// On the database's clock the tender closes tomorrow and the
	// organization's certification holds.
	if err := w.db.Exec(`UPDATE tenders SET closes_at = clock_timestamp() + interval '1 day', opens_at = clock_timestamp() + interval '2 days' WHERE id = ?`, v.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := w.db.Exec(`UPDATE certifications SET valid_from = current_date - 1, valid_until = current_date + 30 WHERE organization_id = ?`, w.orgs[0].Scope.OrganizationID).Error; err != nil {
		t.Fatal(err)
	}
	held := w.db.Begin()
	defer held.Rollback()
	var pid int
	if err := held.Raw(`SELECT pg_backend_pid()`).Scan(&pid).Error; err != nil {
		t.Fatal(err)
	}
	if err := tender.LockBidder(system, held, w.orgs[0], v.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var r tender.Receipt
	go func() {
		var err error
		r, err = system.SubmitBid(context.Background(), w.orgs[0], v.ID, w.body(45_000_000, "服务方案：排队"))
		done <- err
	}()
	w.waitBlockedBy(t, pid, done)
	var released time.Time
	if err := held.Raw(`SELECT clock_timestamp()`).Scan(&released).Error; err != nil {
		t.Fatal(err)
	}
	if err := held.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("SubmitBid() error = %v", err)
	}
	if !r.ReceivedAt.After(released) {
		t.Errorf("received_at = %v, not after the lock it waited for was released (%v)", r.ReceivedAt, released)
	}
	if r.ReplacesID == nil || *r.ReplacesID != first.BidID {
		t.Errorf("replaces_id = %v, want %d", r.ReplacesID, first.BidID)
	}
}
