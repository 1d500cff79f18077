package tender_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// cancelledFrom returns the state the tender.cancel audit entry says the
// tender was cancelled from.
func (w *world) cancelledFrom(tenderID int64) string {
	w.t.Helper()
	var data []string
	if err := w.db.Raw(`SELECT data FROM audit_entries WHERE entity_type = 'tender' AND entity_id = ? AND action = 'tender.cancel'`,
		fmt.Sprint(tenderID)).Scan(&data).Error; err != nil || len(data) != 1 {
		w.t.Fatalf("tender.cancel audit entries = %v, %v; want one", data, err)
	}
	var entry struct {
		From string `json:"from"`
	}
	if err := json.Unmarshal([]byte(data[0]), &entry); err != nil {
		w.t.Fatal(err)
	}
	return entry.From
}

// postings counts the fund postings of a tender by kind.
func (w *world) postings(tenderID int64, kind string) int64 {
	w.t.Helper()
	return w.count(`SELECT count(*) FROM ledger_postings WHERE reference_type = 'tender' AND reference_id = ? AND kind = ?`, fmt.Sprint(tenderID), kind)
}

// TestPublishReservesCeiling: publishing moves exactly the ceiling from
// available to reserved, once.
func TestPublishReservesCeiling(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	in := w.input(3)
	ceiling := money.Fen(12_345_678)
	in.CeilingFen = &ceiling
	avail0, res0 := w.balances()
	d, err := w.svc.Create(context.Background(), w.officer, in)
	if err != nil {
		t.Fatal(err)
	}
	if a, r := w.balances(); a != avail0 || r != res0 {
		t.Errorf("a draft moved money: available %+d reserved %+d", a-avail0, r-res0)
	}
	v, err := w.svc.Publish(context.Background(), w.officer, d.ID)
	if err != nil {
		t.Fatalf("Publish() error = %v", err)
	}
	if a, r := w.balances(); a != avail0-ceiling || r != res0+ceiling {
		t.Errorf("after publish available %+d reserved %+d, want -%d and +%d", a-avail0, r-res0, ceiling, ceiling)
	}
	if n := w.postings(v.ID, "reserve"); n != 1 {
		t.Errorf("reserve postings = %d, want 1", n)
	}
	if _, err := w.svc.Publish(context.Background(), w.officer, d.ID); !errors.Is(err, tender.ErrNotDraft) {
		t.Errorf("Publish() again error = %v, want %v", err, tender.ErrNotDraft)
	}
	if a, r := w.balances(); a != avail0-ceiling || r != res0+ceiling {
		t.Errorf("a second publish moved money: available %+d reserved %+d", a-avail0, r-res0)
	}
}

// TestCancelReleases: cancelling in any state before the award releases the
// reservation, once.
func TestCancelReleases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		state  string
		stored string // the state the audit entry names
		reach  func(w *world) tender.View
	}{
		{"published", "published", func(w *world) tender.View { return w.published(w.input(3)) }},
		{"closed by the clock only", "published", func(w *world) tender.View {
			v := w.published(w.input(3))
			w.clock.Set(v.ClosesAt)
			return v
		}},
		{"closed", "closed", func(w *world) tender.View {
			v := w.published(w.input(3))
			return w.advanceTo(v.ID, v.ClosesAt)
		}},
		{"opened", "opened", func(w *world) tender.View {
			v, _ := w.open(w.input(3), 48_000_000, 45_000_000, 47_000_000)
			return v
		}},
		{"evaluated", "evaluated", func(w *world) tender.View {
			v, _ := w.evaluated()
			return v
		}},
		{"award_proposed", "award_proposed", func(w *world) tender.View {
			v, _ := w.proposed()
			return v
		}},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			ctx := context.Background()
			avail0, res0 := w.balances()
			v := tt.reach(w)
			if a, r := w.balances(); a != avail0-v.CeilingFen || r != res0+v.CeilingFen {
				t.Fatalf("before cancel available %+d reserved %+d, want the ceiling reserved", a-avail0, r-res0)
			}
			got, err := w.svc.Cancel(ctx, w.officer, v.ID, "需求变更")
			if err != nil {
				t.Fatalf("Cancel() from %s error = %v", tt.state, err)
			}
			if got.Status != tender.StatusCancelled || got.StatusReason != "需求变更" || got.EndedAt == nil {
				t.Errorf("after Cancel(): status %s reason %q ended %v", got.Status, got.StatusReason, got.EndedAt)
			}
			if a, r := w.balances(); a != avail0 || r != res0 {
				t.Errorf("after cancel available %+d reserved %+d, want both back", a-avail0, r-res0)
			}
			if n := w.postings(v.ID, "release"); n != 1 {
				t.Errorf("release postings = %d, want 1", n)
			}
			if from := w.cancelledFrom(v.ID); from != tt.stored {
				t.Errorf("tender.cancel audit entry from = %q, want %q", from, tt.stored)
			}
			if _, err := w.svc.Cancel(ctx, w.officer, v.ID, "再次取消"); !errors.Is(err, tender.ErrNotCancellable) {
				t.Errorf("Cancel() again error = %v, want %v", err, tender.ErrNotCancellable)
			}
			if _, err := w.svc.Advance(ctx, v.ID); err != nil {
				t.Errorf("Advance() after cancel error = %v", err)
			}
			if got := w.get(v.ID).Status; got != tender.StatusCancelled {
				t.Errorf("status after Advance() = %s, want cancelled", got)
			}
		})
	}
}

// TestCancelDraftMovesNothing: a draft has no reservation to release.
func TestCancelDraftMovesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	avail0, res0 := w.balances()
	d, err := w.svc.Create(context.Background(), w.officer, w.input(3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Cancel(context.Background(), w.officer, d.ID, "不再需要"); err != nil {
		t.Fatalf("Cancel(draft) error = %v", err)
	}
	if a, r := w.balances(); a != avail0 || r != res0 || w.postings(d.ID, "release") != 0 {
		t.Errorf("cancelling a draft moved money: available %+d reserved %+d", a-avail0, r-res0)
		t.Logf("postings of the draft: %d reserve, %d release", w.postings(d.ID, "reserve"), w.postings(d.ID, "release"))
	}
	if from := w.cancelledFrom(d.ID); from != tender.StatusDraft {
		t.Errorf("tender.cancel audit entry from = %q, want draft", from)
	}
}

// TestFailedOpeningReleases: fewer compliant bids than the minimum fail the
// tender (流标) with the reason recorded, and release the reservation.
func TestFailedOpeningReleases(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	avail0, res0 := w.balances()
	v := w.published(w.input(3))
	w.bid(w.orgs[0], v.ID, 48_000_000)
	w.bid(w.orgs[1], v.ID, 45_000_000)
	v = w.advanceTo(v.ID, v.OpensAt)
	if v.Status != tender.StatusFailed || !strings.Contains(v.StatusReason, "2 compliant bids, fewer than the minimum of 3") || v.EndedAt == nil {
		t.Fatalf("status %s reason %q, want failed with the count in the reason", v.Status, v.StatusReason)
	}
	if a, r := w.balances(); a != avail0 || r != res0 {
		t.Errorf("after the failed opening available %+d reserved %+d, want both back", a-avail0, r-res0)
	}
	if n := w.postings(v.ID, "release"); n != 1 {
		t.Errorf("release postings = %d, want 1", n)
	}
	rec, err := w.svc.OpeningRecord(ctx, w.orgs[0], v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != tender.StatusFailed || rec.Reason != v.StatusReason || rec.CompliantCount != 2 || len(rec.Bids) != 2 {
		t.Errorf("opening record = %+v, want failed with 2 compliant bids and the reason", rec)
	}
	if n := w.audits(v.ID, "tender.open"); n != 1 {
		t.Errorf("tender.open audit entries = %d, want 1", n)
	}
	if _, err := w.svc.Cancel(ctx, w.officer, v.ID, "x"); !errors.Is(err, tender.ErrNotCancellable) {
		t.Errorf("Cancel(failed) error = %v, want %v", err, tender.ErrNotCancellable)
	}
	w.advanceTo(v.ID, v.OpensAt.Add(time.Hour))
	if n := w.postings(v.ID, "release"); n != 1 {
		t.Errorf("release postings after another Advance() = %d, want 1", n)
	}
}

// TestAwardLeavesLedgerClean: the final award and its draft contract keep
// the ceiling reserved (signing encumbers it, a later issue) and the ledger
// invariants intact.
func TestAwardLeavesLedgerClean(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	avail0, res0 := w.balances()
	v, p := w.proposed()
	v = w.advanceTo(v.ID, p.ChallengeEndsAt)
	if v.Status != tender.StatusAwarded || len(v.Contracts) != 1 {
		t.Fatalf("status %s with %d contracts, want awarded with 1", v.Status, len(v.Contracts))
	}
	if a, r := w.balances(); a != avail0-v.CeilingFen || r != res0+v.CeilingFen {
		t.Errorf("after the award available %+d reserved %+d, want the ceiling still reserved", a-avail0, r-res0)
	}
	violations, err := fund.CheckInvariants(w.db)
	if err != nil || len(violations) != 0 {
		t.Errorf("fund.CheckInvariants() = %v, %v", violations, err)
	}
}

// TestPublishInsufficientFunds: a ceiling above what is available is
// refused, and the tender stays a draft with nothing posted or announced.
func TestPublishInsufficientFunds(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	avail0, res0 := w.balances()
	in := w.input(3)
	ceiling := avail0 + 1
	in.CeilingFen = &ceiling
	d, err := w.svc.Create(ctx, w.officer, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Publish(ctx, w.officer, d.ID); !errors.Is(err, fund.ErrInsufficient) {
		t.Fatalf("Publish() error = %v, want %v", err, fund.ErrInsufficient)
	}
	if got := w.get(d.ID); got.Status != tender.StatusDraft || got.PublishedAt != nil {
		t.Errorf("after the refusal: status %s published_at %v, want a draft", got.Status, got.PublishedAt)
	}
	if a, r := w.balances(); a != avail0 || r != res0 {
		t.Errorf("after the refusal available %+d reserved %+d, want no change", a-avail0, r-res0)
	}
	if n := w.count(`SELECT count(*) FROM ledger_postings WHERE reference_type = 'tender' AND reference_id = ?`, fmt.Sprint(d.ID)); n != 0 {
		t.Errorf("postings = %d, want 0", n)
	}
	if n := w.audits(d.ID, "tender.publish") + w.count(`SELECT count(*) FROM notifications WHERE tender_id = ?`, d.ID); n != 0 {
		t.Errorf("audit entries and notifications of a refused publish = %d, want 0", n)
	}
	if _, err := w.svc.PublicGet(ctx, d.ID); err == nil {
		t.Error("PublicGet() found the refused tender")
	}
}
