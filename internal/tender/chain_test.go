package tender_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/access"
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
		if err := w.db.Raw(`INSERT INTO bids (tender_id, organization_id, status, sealed, digest, seal_key_id, seal_version, received_at)
			VALUES (?, ?, 'withdrawn', '\x00', ?, '0000000000000000', 2, ?) RETURNING id`,
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
		{"the active bid relabelled as sealed under version 1", func(_, second, _ int64) []string {
			return []string{sqlf(`UPDATE bids SET seal_version = 1 WHERE id = %d`, second)}
		}},
		{"the withdrawn bid's receipt time moved", func(_, _, gone int64) []string {
			return []string{sqlf(`UPDATE bids SET received_at = received_at - interval '1 second' WHERE id = %d`, gone)}
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
			if _, err := w.svc.Advance(ctx, v.ID); !errors.Is(err, tender.ErrTampered) {
				t.Errorf("Advance() error = %v, want %v", err, tender.ErrTampered)
			} else {
				t.Logf("the opening stopped: %v", err)
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
		{"its seal version changed", sqlf(`UPDATE bids SET seal_version = 1 WHERE id = %d`, second.BidID)},
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

// TestV1BidsStillOpen: bids sealed before seal version 2 (bound to tender and
// bidder only, with ids from the old sequence) open as they are, also when a
// version 2 bid replaced one of them.
func TestV1BidsStillOpen(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.freshOrgs(3)
	v := w.published(w.input(3))
	sealer, err := tender.NewSealer(w.sealKey)
	if err != nil {
		t.Fatal(err)
	}
	// v1 inserts a bid as the code before version 2 sealed and stored it.
	v1 := func(id int64, o access.Actor, price money.Fen) {
		t.Helper()
		plain, err := json.Marshal(w.body(price, "旧版密封的方案"))
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := sealer.Seal(tender.Envelope{Version: tender.SealV1, TenderID: v.ID, OrgID: o.Scope.OrganizationID}, plain)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.db.Exec(`INSERT INTO bids (id, tender_id, organization_id, status, sealed, digest, seal_key_id, seal_version, received_at, submitted_by)
			VALUES (?, ?, ?, 'active', ?, ?, ?, 1, ?, ?)`, id, v.ID, o.Scope.OrganizationID, sealed, tender.Digest(sealed), sealer.KeyID(),
			w.clock.Now(), o.UserID).Error; err != nil {
			t.Fatalf("insert a version 1 bid: %v", err)
		}
	}
	v1(41, w.orgs[0], 48_000_000)
	v1(42, w.orgs[1], 47_000_000)
	w.clock.Advance(time.Hour)
	replacement := w.bid(w.orgs[1], v.ID, 46_000_000)
	if replacement.ReplacesID == nil || *replacement.ReplacesID != 42 {
		t.Fatalf("replacement replaces_id = %v, want 42", replacement.ReplacesID)
	}
	w.bid(w.orgs[2], v.ID, 45_000_000)
	if got := w.advanceTo(v.ID, v.OpensAt); got.Status != tender.StatusOpened {
		t.Fatalf("status = %s (%s), want opened", got.Status, got.StatusReason)
	}
	rec, err := w.svc.OpeningRecord(context.Background(), w.officer, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	prices := map[int64]money.Fen{}
	for _, e := range rec.Bids {
		if !e.Compliant || e.PriceFen == nil {
			t.Errorf("bid %d: compliant %v, reasons %v, price %v; want compliant with its price", e.BidID, e.Compliant, e.ComplianceReasons, e.PriceFen)
			continue
		}
		prices[e.BidID] = *e.PriceFen
	}
	if want := map[int64]money.Fen{41: 48_000_000, replacement.BidID: 46_000_000}; prices[41] != want[41] || prices[replacement.BidID] != want[replacement.BidID] || len(prices) != 3 {
		t.Errorf("opened prices = %v, want the version 1 bid 41 at 48000000 and the replacement %d at 46000000 among 3", prices, replacement.BidID)
	}
}

// TestBidIDTakenIsDrawnAgain: an id drawn that another bid holds already is
// drawn again, and the bid sealed with the new one.
func TestBidIDTakenIsDrawnAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.published(w.input(3))
	taken := w.bid(w.orgs[0], v.ID, 45_000_000)
	fresh := taken.BidID ^ 1<<40
	draws := []int64{taken.BidID, taken.BidID, fresh}
	tender.SetBidIDs(w.svc, func() int64 {
		id := draws[0]
		draws = draws[1:]
		return id
	})
	r := w.bid(w.orgs[1], v.ID, 44_000_000)
	if r.BidID != fresh {
		t.Errorf("SubmitBid() bid id = %d, want %d, the first free one drawn", r.BidID, fresh)
	}
	if n := w.count(`SELECT count(*) FROM bids WHERE tender_id = ?`, v.ID); n != 2 {
		t.Errorf("bids = %d, want 2", n)
	}
	// One audit entry per bid stored, naming it; none for the ids refused.
	if n := w.count(`SELECT count(*) FROM audit_entries WHERE action = 'bid.submit' AND entity_id = ?`, fmt.Sprint(v.ID)); n != 2 {
		t.Errorf("bid.submit entries = %d, want 2", n)
	}
	if n := w.count(`SELECT count(*) FROM audit_entries WHERE action = 'bid.submit' AND data::jsonb->>'bid_id' = ?`, fmt.Sprint(fresh)); n != 1 {
		t.Errorf("bid.submit entries of bid %d = %d, want 1", fresh, n)
	}
	if got := w.advanceTo(v.ID, v.OpensAt); got.OpenedAt == nil {
		t.Fatalf("status = %s (%s), want the bids opened", got.Status, got.StatusReason)
	}
}

// TestLatestBidWhateverItsID: random ids fall in any order; an organization's
// bid that counts, and its list of bids, follow receipt and status instead.
func TestLatestBidWhateverItsID(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v := w.published(w.input(3))
	next := int64(8_000_000_000_000_000)
	tender.SetBidIDs(w.svc, func() int64 { // each id below the one before
		next -= 1 << 30
		return next
	})
	first := w.bid(w.orgs[0], v.ID, 49_000_000)
	w.clock.Advance(time.Minute)
	second := w.bid(w.orgs[0], v.ID, 48_000_000)
	w.clock.Advance(time.Minute)
	if _, err := w.svc.WithdrawBid(ctx, w.orgs[0], second.BidID); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	third := w.bid(w.orgs[0], v.ID, 47_000_000)
	// At one instant, as on a test's clock: replaced, then withdrawn.
	same := w.bid(w.orgs[1], v.ID, 46_000_000)
	sameNext := w.bid(w.orgs[1], v.ID, 45_000_000)
	if _, err := w.svc.WithdrawBid(ctx, w.orgs[1], sameNext.BidID); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		by         access.Actor
		wantMine   int64
		wantStatus string
		wantList   []int64
	}{
		{w.orgs[0], third.BidID, "active", []int64{third.BidID, second.BidID, first.BidID}},
		{w.orgs[1], sameNext.BidID, "withdrawn", []int64{sameNext.BidID, same.BidID}},
	} {
		got, err := w.svc.Get(ctx, tt.by, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.MyBid == nil || got.MyBid.ID != tt.wantMine || got.MyBid.Status != tt.wantStatus {
			t.Errorf("%s: Get() my bid = %+v, want %d (%s)", tt.by.Username, got.MyBid, tt.wantMine, tt.wantStatus)
		}
		statuses, err := w.svc.MyBidStatuses(ctx, tt.by)
		if err != nil || statuses[v.ID] != tt.wantStatus {
			t.Errorf("%s: MyBidStatuses() = %v, %v; want %s for tender %d", tt.by.Username, statuses, err, tt.wantStatus, v.ID)
		}
		bids, err := w.svc.Bids(ctx, tt.by, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, b := range bids {
			ids = append(ids, b.ID)
		}
		if !slices.Equal(ids, tt.wantList) {
			t.Errorf("%s: Bids() = %v, want newest first %v", tt.by.Username, ids, tt.wantList)
		}
	}
}
