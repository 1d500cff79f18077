package audit

import (
	"context"

	"gorm.io/gorm"
)

// IntegrateWithHook is Integrate calling afterChunk after each UPDATE
// statement of the batch (of updateChunk rows) with the rows written so far:
// the crash test stops a sequencer there.
func IntegrateWithHook(ctx context.Context, db *gorm.DB, limit int, afterChunk func(int)) (int, error) {
	n, _, err := integrate(ctx, db, limit, true, afterChunk)
	return n, err
}

// UpdateChunk is updateChunk, for the crash test.
const UpdateChunk = updateChunk
