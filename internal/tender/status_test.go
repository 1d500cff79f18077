package tender_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/tender"
)

func TestCancellable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status string
		want   bool
	}{
		{tender.StatusDraft, true},
		{tender.StatusPublished, true},
		{tender.StatusClosed, true},
		{tender.StatusOpened, true},
		{tender.StatusEvaluated, true},
		{tender.StatusAwardProposed, true},
		{tender.StatusAwarded, false},
		{tender.StatusCancelled, false},
		{tender.StatusFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			t.Parallel()
			if got := tender.Cancellable(tt.status); got != tt.want {
				t.Errorf("Cancellable(%q) = %v, want %v", tt.status, got, tt.want)
			}
		})
	}
}

// Every purchase method the catalog knows has its settings, and no other.
func TestMethodSettingsCoverPurchaseMethods(t *testing.T) {
	t.Parallel()
	got := slices.Sorted(maps.Keys(tender.MethodSettings))
	if want := slices.Sorted(slices.Values(catalog.PurchaseMethods)); !slices.Equal(got, want) {
		t.Errorf("MethodSettings methods = %v, want catalog.PurchaseMethods %v", got, want)
	}
}

// States holds every state once, draft first, in lifecycle order.
func TestStates(t *testing.T) {
	t.Parallel()
	want := []string{"draft", "published", "closed", "opened", "evaluated", "award_proposed", "award_blocked", "awarded", "cancelled", "failed"}
	if !slices.Equal(tender.States, want) {
		t.Errorf("States = %v, want %v", tender.States, want)
	}
}
