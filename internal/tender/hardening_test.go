package tender_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// A bid whose text holds NUL is refused at submission: the opening stores the
// body as jsonb, which cannot hold NUL, so accepting it would stop the
// tender from ever opening.
func TestBidRefusesTextThePlatformCannotStore(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.published(w.input(3))
	ctx := context.Background()
	for _, tt := range []struct {
		name, field string
		edit        func(*tender.BidBody)
	}{
		{"NUL in the proposal", "technical_proposal", func(b *tender.BidBody) { b.TechnicalProposal = "方案\x00" }},
		{"NUL in the staffing plan", "staffing_plan", func(b *tender.BidBody) { b.StaffingPlan = "社工\x00" }},
		{"invalid UTF-8 in the proposal", "technical_proposal", func(b *tender.BidBody) { b.TechnicalProposal = "方案\xff" }},
		{"a commitment beyond numeric(14, 2)", "metric_commitments[0].value", func(b *tender.BidBody) { b.MetricCommitments[0].Value = 999_999_999_999.999 }},
		{"a negative commitment", "metric_commitments[0].value", func(b *tender.BidBody) { b.MetricCommitments[0].Value = -0.01 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := w.body(40_000_000, "方案")
			tt.edit(&b)
			_, err := w.svc.SubmitBid(ctx, w.orgs[0], v.ID, b)
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Fatalf("SubmitBid() error = %v, want invalid %s", err, tt.field)
			}
		})
	}
	if n := w.count("SELECT count(*) FROM bids WHERE tender_id = ?", v.ID); n != 0 {
		t.Errorf("bids after refusals = %d, want 0", n)
	}
	// The largest commitment numeric(14, 2) holds is accepted.
	b := w.body(40_000_000, "方案")
	b.MetricCommitments[0].Value = 999_999_999_999.99
	if _, err := w.svc.SubmitBid(ctx, w.orgs[0], v.ID, b); err != nil {
		t.Fatalf("SubmitBid(largest commitment) error = %v", err)
	}
}

// A metric target is rounded to cents before it is bounded: a value that
// rounds past numeric(14, 2) is refused, not a database error.
func TestTenderTargetRoundsBeforeBounding(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	in := w.input(3)
	var code string
	if err := w.db.Raw(`SELECT m.code FROM transfer_item_metrics m JOIN transfer_items i ON i.id = m.item_id AND i.published_version = m.version
		WHERE i.id = ? AND m.direction = 'higher' ORDER BY m.code LIMIT 1`, w.itemID).Scan(&code).Error; err != nil || code == "" {
		t.Fatalf("no higher-is-better metric: %v", err)
	}
	targets := map[string]float64{code: 999_999_999_999.996}
	in.MetricTargets = &targets
	_, err := w.svc.Create(context.Background(), w.officer, in)
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid || e.Fields[0].Field != "metric_targets."+code {
		t.Fatalf("Create() error = %v, want invalid metric_targets.%s", err, code)
	}
}

// An opening under another master key than the one the bids were sealed
// under stops with an error (the job retries) and opens nothing; under the
// right key the tender opens.
func TestOpeningRefusesAnotherSealKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.published(w.input(3))
	for i := range 3 {
		w.bid(w.orgs[i], v.ID, money.Fen(40_000_000+i))
	}
	other := make([]byte, 32)
	if _, err := rand.Read(other); err != nil {
		t.Fatal(err)
	}
	sealer, err := tender.NewSealer(other)
	if err != nil {
		t.Fatal(err)
	}
	wrong := tender.NewService(w.db, w.clock, sealer, tender.Options{AmendmentMinDays: 3, ChallengeDays: 5})
	w.clock.Set(v.OpensAt)
	if _, err := wrong.Advance(context.Background(), v.ID); !errors.Is(err, tender.ErrSealKeyMismatch) {
		t.Fatalf("Advance(other key) error = %v, want ErrSealKeyMismatch", err)
	}
	if got := w.get(v.ID); got.Status != tender.StatusClosed || got.OpenedAt != nil {
		t.Fatalf("after the refused opening: status %s, opened %v; want closed, not opened", got.Status, got.OpenedAt)
	}
	if n := w.count("SELECT count(*) FROM bids WHERE tender_id = ? AND opened_at IS NOT NULL", v.ID); n != 0 {
		t.Fatalf("bids opened under the wrong key = %d", n)
	}
	if got := w.advanceTo(v.ID, v.OpensAt); got.Status != tender.StatusOpened {
		t.Fatalf("status under the right key = %s (%s), want opened", got.Status, got.StatusReason)
	}
}

// Sealed bids are padded, so two bids whose prices differ in length seal to
// the same size.
func TestSealedSizeHidesPriceLength(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.published(w.input(3))
	w.bid(w.orgs[0], v.ID, 9)
	w.bid(w.orgs[1], v.ID, 49_999_999)
	var sizes []int
	if err := w.db.Raw(`SELECT octet_length(sealed) FROM bids WHERE tender_id = ? ORDER BY id`, v.ID).Scan(&sizes).Error; err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 2 || sizes[0] != sizes[1] {
		t.Fatalf("sealed sizes = %v, want two equal sizes", sizes)
	}
}

// The opening inserts notifications after its audit entry; their foreign-key
// checks take key-share locks on the organizations. Another transaction that
// holds an organization's row as the platform's code locks it (FOR NO KEY
// UPDATE) and then writes its own audit entry must not deadlock with it.
func TestOpeningBesideAnOrganizationEdit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.published(w.input(3))
	for i := range 3 {
		w.bid(w.orgs[i], v.ID, money.Fen(40_000_000+i))
	}
	w.clock.Set(v.OpensAt)
	edit := w.db.Begin()
	defer edit.Rollback()
	var id int64
	if err := edit.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Table("organizations").Select("id").
		Where("id = ?", w.orgs[0].Scope.OrganizationID).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	// The opening must finish while the organization's row is held; were
	// it blocked, the deadline would end it.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := w.svc.Advance(ctx, v.ID); err != nil {
		t.Fatalf("Advance() beside a held organization row: %v", err)
	}
	if err := audit.Record(edit, w.admin, "organization.edit", "organization", id, map[string]any{"contact_name": "王五"}); err != nil {
		t.Fatalf("audit.Record() error = %v", err)
	}
	if err := edit.Commit().Error; err != nil {
		t.Fatalf("Commit() error = %v", err)
	}
	if got := w.get(v.ID); got.Status != tender.StatusOpened {
		t.Fatalf("status = %s, want opened", got.Status)
	}
}

// No code locks rows FOR UPDATE: that strength blocks other transactions'
// foreign-key checks on the row (an insert referring to it) for no reason.
func TestNoRowLockBlocksForeignKeyChecks(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, bad := range []string{`Strength: "UPDATE"`, "FOR UPDATE"} {
			if strings.Contains(string(src), bad) {
				t.Errorf("%s locks rows with %s; use NO KEY UPDATE", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
