package load

import (
	"context"

	"gorm.io/gorm"
)

// LoadTargets reads the scenarios' targets from a generated database.
func LoadTargets(ctx context.Context, db *gorm.DB) (Targets, error) {
	var t Targets
	db = db.WithContext(ctx)
	db.Raw(`SELECT id FROM tenders WHERE status <> 'draft' ORDER BY id LIMIT 10`).Scan(&t.PublicTenders)
	db.Raw(`SELECT id FROM organizations ORDER BY id LIMIT 10`).Scan(&t.Providers)
	t.SearchTerms = []string{"服务", "老人"}
	return t, nil
}
