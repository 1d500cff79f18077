package tender_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestBidIDsRandom: a bid's id says nothing of how many bids the platform
// received before it: ids are drawn at random from [2^52, 2^53) (exact as
// JSON numbers in JavaScript, all of 16 digits), by SubmitBid and by the
// column's default alike.
func TestBidIDsRandom(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.published(w.input(3))
	var ids []int64
	for round := range 3 {
		for i, o := range w.orgs {
			r := w.bid(o, v.ID, money.Fen(40_000_000+round*100_000+i))
			ids = append(ids, r.BidID)
		}
	}
	for range 2 {
		var id int64
		if err := w.db.Raw(`INSERT INTO bids (tender_id, organization_id, status, sealed, digest, seal_key_id, received_at)
			VALUES (?, ?, 'withdrawn', '\x00', ?, '0000000000000000', ?) RETURNING id`,
			v.ID, w.orgs[0].Scope.OrganizationID, tender.Digest([]byte{0}), w.clock.Now()).Scan(&id).Error; err != nil {
			t.Fatalf("insert a bid without an id: %v", err)
		}
		ids = append(ids, id)
	}
	const lo, hi = int64(1) << 52, int64(1) << 53
	ascending := true
	for i, id := range ids {
		if id < lo || id >= hi {
			t.Errorf("bid id %d is outside [2^52, 2^53)", id)
		}
		if i > 0 && id < ids[i-1] {
			ascending = false
		}
		if i > 0 && (id == ids[i-1]+1 || id == ids[i-1]-1) {
			t.Errorf("bid ids %d and %d are consecutive", ids[i-1], id)
		}
	}
	if ascending {
		t.Errorf("bid ids %v ascend: they order the platform's bids", ids)
	}
	if n := len(slices.Compact(slices.Sorted(slices.Values(ids)))); n != len(ids) {
		t.Errorf("%d distinct ids among %d bids", n, len(ids))
	}
	// 14 ids drawn at random from 2^52 all lie within 2^48 of each other
	// with a probability of about 14 × 16^-13.
	if spread := slices.Max(ids) - slices.Min(ids); spread < 1<<48 {
		t.Errorf("bid ids %v lie within %d of each other, want them spread over [2^52, 2^53)", ids, spread)
	}
}

// tamper runs statements on the bids table as someone with the database's
// own rights could: with the trigger that keeps sealed bids unchanged off.
func (w *world) tamper(t *testing.T, stmts ...string) {
	t.Helper()
	tx := w.db.Begin()
	defer tx.Rollback()
	for _, s := range append(append([]string{`ALTER TABLE bids DISABLE TRIGGER bids_seal_immutable`}, stmts...),
		`ALTER TABLE bids ENABLE TRIGGER bids_seal_immutable`) {
		if err := tx.Exec(s).Error; err != nil {
			t.Fatalf("tamper: %s: %v", s, err)
		}
	}
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
}

// TestTamperedChainDoesNotOpen: bid rows swapped back to an earlier version,
// a sealed body moved onto another row of its bidder, or a replacement link
// rewired are found at the opening: nothing opens.
func TestTamperedChainDoesNotOpen(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.freshOrgs(4)
	// Each case: w.orgs[0] bid first (first) then replaced it (second);
	// w.orgs[1] bid and withdrew (gone); w.orgs[2] and w.orgs[3] bid once.
	tests := []struct {
		name  string
		stmts func(first, second, gone int64) []string
	}{
		{"the replaced body copied onto the active row", func(first, second, _ int64) []string {
			return []string{sqlf(`UPDATE bids SET (sealed, digest) = (SELECT sealed, digest FROM bids WHERE id = %d) WHERE id = %d`, first, second)}
		}},
		{"the replaced bid active again, its replacement withdrawn and unlinked", func(first, second, _ int64) []string {
			return []string{
				sqlf(`UPDATE bids SET status = 'withdrawn', replaces_id = NULL WHERE id = %d`, second),
				sqlf(`UPDATE bids SET status = 'active', ended_at = NULL WHERE id = %d`, first)}
		}},
		{"the active bid's link to the bid it replaced dropped", func(_, second, _ int64) []string {
			return []string{sqlf(`UPDATE bids SET replaces_id = NULL WHERE id = %d`, second)}
		}},
		{"the active bid linked to another bidder's withdrawn bid", func(_, second, gone int64) []string {
			return []string{sqlf(`UPDATE bids SET replaces_id = %d WHERE id = %d`, gone, second)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			w.clock.Set(start)
			in := w.input(3)
			one := 1
			in.MinBids = &one
			v := w.published(in)
			first := w.bid(w.orgs[0], v.ID, 49_000_000)
			second := w.bid(w.orgs[0], v.ID, 41_000_000)
			gone := w.bid(w.orgs[1], v.ID, 42_000_000)
			if _, err := w.svc.WithdrawBid(ctx, w.orgs[1], gone.BidID); err != nil {
				t.Fatal(err)
			}
			w.bid(w.orgs[2], v.ID, 45_000_000)
			w.bid(w.orgs[3], v.ID, 46_000_000)
			w.tamper(t, tt.stmts(first.BidID, second.BidID, gone.BidID)...)
			w.clock.Set(v.OpensAt)
			if _, err := w.svc.Advance(ctx, v.ID); err == nil {
				t.Errorf("Advance() error = nil, want the opening stopped")
			}
			if got := w.get(v.ID); got.Status != tender.StatusClosed || got.OpenedAt != nil {
				t.Errorf("status %s, opened at %v; want closed, not opened", got.Status, got.OpenedAt)
			}
			if n := w.count(`SELECT count(*) FROM bids WHERE tender_id = ? AND opened_at IS NOT NULL`, v.ID); n != 0 {
				t.Errorf("%d bids opened, want none", n)
			}
			// What is left to the officer: cancelling, which releases the reservation.
			if _, err := w.svc.Cancel(ctx, w.officer, v.ID, "投标记录被篡改"); err != nil {
				t.Fatalf("Cancel() error = %v", err)
			}
		})
	}
}

// TestBidLinksDoNotChange: the database refuses to change a bid's id or the
// bid it replaces, or to make an ended bid active again.
func TestBidLinksDoNotChange(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v := w.published(w.input(3))
	first := w.bid(w.orgs[0], v.ID, 49_000_000)
	second := w.bid(w.orgs[0], v.ID, 48_000_000)
	gone := w.bid(w.orgs[1], v.ID, 47_000_000)
	if _, err := w.svc.WithdrawBid(ctx, w.orgs[1], gone.BidID); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		stmt string
	}{
		{"the bid it replaces dropped", sqlf(`UPDATE bids SET replaces_id = NULL WHERE id = %d`, second.BidID)},
		{"the bid it replaces changed", sqlf(`UPDATE bids SET replaces_id = %d WHERE id = %d`, gone.BidID, second.BidID)},
		{"its id changed", sqlf(`UPDATE bids SET id = 4503599627370495 WHERE id = %d`, second.BidID)},
		{"a withdrawn bid active again", sqlf(`UPDATE bids SET status = 'active', ended_at = NULL WHERE id = %d`, gone.BidID)},
		{"a replaced bid withdrawn", sqlf(`UPDATE bids SET status = 'withdrawn' WHERE id = %d`, first.BidID)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := w.db.Exec(tt.stmt).Error; err == nil {
				t.Errorf("%s: error = nil, want the trigger's refusal", tt.stmt)
			}
		})
	}
}

// sqlf formats a statement of ids for tamper.
func sqlf(format string, ids ...int64) string {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return fmt.Sprintf(format, args...)
}
