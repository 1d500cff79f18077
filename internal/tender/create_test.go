package tender_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestCreateNeedsPublishedItem: a tender is made from the version in force of
// a transfer item of the officer's subdistrict, and from nothing else.
func TestCreateNeedsPublishedItem(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.svc.Create(ctx, w.officer2, w.input(3)); !slices.Contains(fieldsOf(err), "transfer_item_id") {
		t.Errorf("Create(another subdistrict's item) error = %v, want one naming transfer_item_id", err)
	}
	v, err := w.svc.Create(ctx, w.officer, w.input(3))
	if err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	var published int
	if err := w.db.Raw(`SELECT published_version FROM transfer_items WHERE id = ?`, w.itemID).Scan(&published).Error; err != nil {
		t.Fatal(err)
	}
	if v.TransferItemID != w.itemID || v.TransferItemVersion != published {
		t.Errorf("Create() made from item %d version %d, want %d version %d", v.TransferItemID, v.TransferItemVersion, w.itemID, published)
	}
	if _, err := catalog.NewService(w.db, w.clock).RetireItem(ctx, w.officer, w.itemID); err != nil {
		t.Fatalf("RetireItem() error = %v", err)
	}
	if _, err := w.svc.Create(ctx, w.officer, w.input(3)); !errors.Is(err, tender.ErrItemNotPublished) {
		t.Errorf("Create(retired item) error = %v, want %v", err, tender.ErrItemNotPublished)
	}
	// A draft made from the item before it was retired can still be edited.
	title := "已退役事项的草稿"
	if got, err := w.svc.Update(ctx, w.officer, v.ID, tender.Input{Title: &title}); err != nil || got.Title != title {
		t.Errorf("Update(draft of a retired item) = %q, %v; want the title changed", got.Title, err)
	}
}
