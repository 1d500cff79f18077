package tender_test

import (
	"testing"

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
