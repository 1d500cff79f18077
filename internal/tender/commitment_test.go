package tender_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/merkle"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// rootOf is the commitment root of the digests, computed here from the
// merkle package and the leaf order the service publishes.
func rootOf(t *testing.T, digests ...string) string {
	t.Helper()
	sorted := slices.Clone(digests)
	slices.Sort(sorted)
	leaves := make([][]byte, len(sorted))
	for i, d := range sorted {
		b, err := hex.DecodeString(d)
		if err != nil {
			t.Fatal(err)
		}
		leaves[i] = b
	}
	r := merkle.Root(leaves)
	return hex.EncodeToString(r[:])
}

// TestCommitmentAtClose: the close commits to the bids standing then (a
// replaced and a withdrawn bid are left out), the count and root join the
// close's audit entry, each standing bid's receipt has a proof that
// verifies against the published root, and the others have none.
func TestCommitmentAtClose(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v := w.published(w.input(3))
	if _, err := w.svc.BidCommitment(ctx, v.ID); !errors.Is(err, tender.ErrNotCommitted) {
		t.Fatalf("BidCommitment() before the close error = %v, want %v", err, tender.ErrNotCommitted)
	}
	r0 := w.bid(w.orgs[0], v.ID, 45_000_000)
	replaced := w.bid(w.orgs[1], v.ID, 46_000_000)
	r1 := w.bid(w.orgs[1], v.ID, 44_000_000)
	withdrawn := w.bid(w.orgs[2], v.ID, 47_000_000)
	if _, err := w.svc.WithdrawBid(ctx, w.orgs[2], withdrawn.BidID); err != nil {
		t.Fatalf("WithdrawBid() error = %v", err)
	}
	r3 := w.bid(w.orgs[3], v.ID, 43_000_000)

	w.advanceTo(v.ID, v.ClosesAt)
	c, err := w.svc.BidCommitment(ctx, v.ID)
	if err != nil {
		t.Fatalf("BidCommitment() error = %v", err)
	}
	want := rootOf(t, r0.Digest, r1.Digest, r3.Digest)
	if c.BidCount != 3 || c.Root != want || !c.CommittedAt.Equal(v.ClosesAt) || c.LeafOrder != tender.LeafOrder {
		t.Errorf("BidCommitment() = %+v, want 3 bids, root %s, committed at %v", c, want, v.ClosesAt)
	}
	if n := w.count(`SELECT count(*) FROM audit_entries WHERE entity_type = 'tender' AND entity_id = ? AND action = 'tender.close'
		AND data LIKE ?`, fmt.Sprint(v.ID), `%"commitment_root":"`+want+`"%`); n != 1 {
		t.Errorf("%d close audit entries name the root, want 1", n)
	}
	for _, r := range []tender.Receipt{r0, r1, r3} {
		p, err := w.svc.CommitmentProof(ctx, v.ID, r.Digest)
		if err != nil {
			t.Fatalf("CommitmentProof(%s) error = %v", r.Digest, err)
		}
		if !p.Verified || p.Root != want || p.Size != 3 || p.Digest != r.Digest {
			t.Errorf("CommitmentProof(%s) = %+v, want verified against %s", r.Digest, p, want)
		}
		// A verifier needs nothing of ours but the proof: the merkle package
		// alone accepts it, and rejects it for another digest.
		leaf, _ := hex.DecodeString(r.Digest)
		root, _ := hex.DecodeString(p.Root)
		path := make([][32]byte, len(p.AuditPath))
		for i, h := range p.AuditPath {
			b, _ := hex.DecodeString(h)
			path[i] = [32]byte(b)
		}
		if !merkle.Verify([32]byte(root), leaf, p.Index, p.Size, path) {
			t.Errorf("merkle.Verify() of the proof of %s = false", r.Digest)
		}
		p.Digest = replaced.Digest
		if tender.VerifyProof(p) {
			t.Errorf("VerifyProof() of another digest = true")
		}
	}
	for _, r := range []tender.Receipt{replaced, withdrawn} {
		if _, err := w.svc.CommitmentProof(ctx, v.ID, r.Digest); !errors.Is(err, tender.ErrDigestNotCommitted) {
			t.Errorf("CommitmentProof(%s, not standing) error = %v, want %v", r.Digest, err, tender.ErrDigestNotCommitted)
		}
	}
	if err := w.db.Exec(`UPDATE bid_commitments SET bid_count = 4 WHERE tender_id = ?`, v.ID).Error; err == nil {
		t.Error("UPDATE bid_commitments succeeded, want append-only refusal")
	}
	if err := w.db.Exec(`DELETE FROM bid_commitments WHERE tender_id = ?`, v.ID).Error; err == nil {
		t.Error("DELETE FROM bid_commitments succeeded, want append-only refusal")
	}
	opened := w.advanceTo(v.ID, v.OpensAt)
	if opened.Status != tender.StatusOpened {
		t.Errorf("status after the opening = %s, want opened", opened.Status)
	}
}

// TestCommitmentCatchesForgery: a bid added, dropped or swapped after the
// close by someone writing SQL, in ways the checks of the bid rows alone
// accept, is caught at the opening: nothing is opened, the tender stays
// closed, the refusal is audited once and the officers are alerted. Once the
// rows are restored the opening proceeds.
func TestCommitmentCatchesForgery(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		// forge and restore are SQL on bids (statements ended by ";\n"):
		// %[1]d is the tender, %[2]d a standing bid, %[3]d a bid withdrawn
		// before the close.
		forge, restore string
	}{
		{"added: a withdrawn bid made active",
			`UPDATE bids SET status = 'active', ended_at = NULL WHERE tender_id = %[1]d AND id = %[3]d`,
			`UPDATE bids SET status = 'withdrawn', ended_at = now() WHERE tender_id = %[1]d AND id = %[3]d`},
		{"inserted: a new row copied from a withdrawn bid",
			`INSERT INTO bids (tender_id, organization_id, status, sealed, digest, seal_key_id, seal_version, received_at)
				SELECT tender_id, organization_id, 'active', sealed, digest, seal_key_id, seal_version, received_at FROM bids WHERE tender_id = %[1]d AND id = %[3]d`,
			`DELETE FROM bids WHERE tender_id = %[1]d AND status = 'active' AND organization_id = (SELECT organization_id FROM bids WHERE id = %[3]d)`},
		{"dropped: a standing bid marked withdrawn",
			`UPDATE bids SET status = 'withdrawn', ended_at = now() WHERE tender_id = %[1]d AND id = %[2]d`,
			`UPDATE bids SET status = 'active', ended_at = NULL WHERE tender_id = %[1]d AND id = %[2]d`},
		{"added, and the commitment deleted: checked against the close's audit entry",
			`UPDATE bids SET status = 'active', ended_at = NULL WHERE tender_id = %[1]d AND id = %[3]d;
			ALTER TABLE bid_commitments DISABLE TRIGGER bid_commitments_append_only;
			DELETE FROM bid_commitments WHERE tender_id = %[1]d;
			ALTER TABLE bid_commitments ENABLE TRIGGER bid_commitments_append_only`,
			`UPDATE bids SET status = 'withdrawn', ended_at = now() WHERE tender_id = %[1]d AND id = %[3]d`},
		{"swapped: one dropped, one added",
			`UPDATE bids SET status = CASE status WHEN 'active' THEN 'withdrawn' ELSE 'active' END WHERE tender_id = %[1]d AND id IN (%[2]d, %[3]d)`,
			`UPDATE bids SET status = CASE status WHEN 'active' THEN 'withdrawn' ELSE 'active' END WHERE tender_id = %[1]d AND id IN (%[2]d, %[3]d)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w.clock.Set(start)
			v := w.published(w.input(3))
			standing := w.bid(w.orgs[0], v.ID, 45_000_000)
			w.bid(w.orgs[1], v.ID, 44_000_000)
			w.bid(w.orgs[2], v.ID, 46_000_000)
			gone := w.bid(w.orgs[3], v.ID, 43_000_000)
			if _, err := w.svc.WithdrawBid(ctx, w.orgs[3], gone.BidID); err != nil {
				t.Fatal(err)
			}
			w.advanceTo(v.ID, v.ClosesAt)
			defer func() {
				if _, err := w.svc.Cancel(ctx, w.officer, v.ID, "测试结束"); err != nil {
					t.Fatalf("Cancel() error = %v", err)
				}
			}()
			forge := func(query string) {
				t.Helper()
				w.tamper(t, strings.Split(fmt.Sprintf(query, v.ID, standing.BidID, gone.BidID), ";\n")...)
			}
			forge(tt.forge)
			w.clock.Set(v.OpensAt)
			for range 2 { // a second attempt is refused again, and not recorded twice
				_, err := w.svc.Advance(ctx, v.ID)
				if !errors.Is(err, tender.ErrCommitmentMismatch) || !errors.Is(err, tender.ErrTampered) {
					t.Fatalf("Advance() error = %v, want %v and %v", err, tender.ErrCommitmentMismatch, tender.ErrTampered)
				}
			}
			if got := w.get(v.ID); got.Status != tender.StatusClosed || got.OpenedAt != nil {
				t.Errorf("status %s, opened at %v; want closed, not opened", got.Status, got.OpenedAt)
			}
			if n := w.count(`SELECT count(*) FROM bids WHERE tender_id = ? AND opened_at IS NOT NULL`, v.ID); n != 0 {
				t.Errorf("%d bids opened, want none", n)
			}
			if n := w.audits(v.ID, "tender.opening_refused"); n != 1 {
				t.Errorf("%d tender.opening_refused audit entries, want 1", n)
			}
			if n := w.count(`SELECT count(*) FROM notifications WHERE tender_id = ? AND kind = ? AND user_id = ?`,
				v.ID, tender.KindOpeningRefused, w.officer.UserID); n != 1 {
				t.Errorf("%d opening_refused notifications to the officer, want 1", n)
			}
			forge(tt.restore)
			if _, err := w.svc.Advance(ctx, v.ID); err != nil {
				t.Fatalf("Advance() after the rows were restored error = %v", err)
			}
			if got := w.get(v.ID); got.OpenedAt == nil {
				t.Errorf("status %s after the rows were restored, want opened", got.Status)
			}
		})
	}
}

// TestCommitmentOfAnEmptyTender: a tender with no bid at the close commits
// to none (the empty tree's root), and one closed before commitments were
// kept has none to show.
func TestCommitmentOfAnEmptyTender(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v := w.published(w.input(3))
	w.advanceTo(v.ID, v.ClosesAt)
	c, err := w.svc.BidCommitment(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.BidCount != 0 || c.Root != rootOf(t) {
		t.Errorf("BidCommitment() = %+v, want 0 bids and the empty root", c)
	}
	if _, err := w.svc.CommitmentProof(ctx, v.ID, strings.Repeat("ab", 32)); !errors.Is(err, tender.ErrDigestNotCommitted) {
		t.Errorf("CommitmentProof(unknown) error = %v, want %v", err, tender.ErrDigestNotCommitted)
	}
	legacy := w.published(w.input(3))
	w.bid(w.orgs[0], legacy.ID, money.Fen(45_000_000))
	if err := w.db.Exec(`UPDATE tenders SET status = 'closed' WHERE id = ?`, legacy.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.BidCommitment(ctx, legacy.ID); !errors.Is(err, tender.ErrNoCommitment) {
		t.Errorf("BidCommitment(closed before commitments) error = %v, want %v", err, tender.ErrNoCommitment)
	}
	w.clock.Set(legacy.OpensAt)
	if _, err := w.svc.Advance(ctx, legacy.ID); err != nil {
		t.Errorf("Advance() of a tender with no commitment error = %v, want it opened as before", err)
	}
}
