package search

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestSearchUsesTrigramIndexes: with sequential scans priced out, each
// kind's query reads its trigram index (00025; the public catalog's from
// 00002), as EXPLAIN (FORMAT JSON) shows. A query of three characters or
// more gives the index trigrams to look up.
func TestSearchUsesTrigramIndexes(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	// The public catalog's query also fits the unique index of published
	// versions: on empty tables that one is cheaper. With 2,000 published
	// items, of which none matches, only the trigram index is, once its
	// pending list (where GIN gathers new rows) is merged as VACUUM would.
	seed := `INSERT INTO districts (code, name_zh) VALUES ('330599', '计划区');
		INSERT INTO subdistricts (district_id, code, name_zh) SELECT id, '330599001', '计划街道' FROM districts;
		INSERT INTO transfer_items (id, subdistrict_id, status, published_version)
			SELECT n, (SELECT id FROM subdistricts), 'published', 1 FROM generate_series(1, 2000) n;
		INSERT INTO transfer_item_versions (item_id, version, status, title, category_code, annual_quantity, unit_price_fen, purchase_method)
			SELECT n, 1, 'published', '居家养老上门服务' || n, 'ELDERLY_HOME_CARE', 100, 8000, 'open_tender' FROM generate_series(1, 2000) n;
		ANALYZE transfer_items; ANALYZE transfer_item_versions;
		SELECT gin_clean_pending_list('transfer_item_versions_search'::regclass)`
	if err := db.Exec(seed).Error; err != nil {
		t.Fatalf("seed items: %v", err)
	}
	admin := access.Actor{UserID: 1, Role: access.PlatformAdmin}
	resident := access.Actor{UserID: 2, Role: access.Resident}
	const q = "银杏助老"
	pattern := likePattern(q)
	tests := []struct {
		name  string
		query func(db *gorm.DB) *gorm.DB
		index string
	}{
		{"tenders", func(db *gorm.DB) *gorm.DB { return tenderQuery(db, admin, q, pattern).Find(&[]tender.Tender{}) }, "tenders_search"},
		{"contracts", func(db *gorm.DB) *gorm.DB { return contractQuery(db, admin, q, pattern).Find(&[]map[string]any{}) }, "contracts_search"},
		{"organizations", func(db *gorm.DB) *gorm.DB { return orgQuery(db, admin, q, pattern).Find(&[]map[string]any{}) }, "organizations_search"},
		{"items of the staff", func(db *gorm.DB) *gorm.DB { return itemQuery(db, admin, q, pattern).Scan(&[]itemRow{}) }, "transfer_item_versions_search_all"},
		{"items of the public", func(db *gorm.DB) *gorm.DB { return itemQuery(db, resident, q, pattern).Scan(&[]itemRow{}) }, "transfer_item_versions_search"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stmt := tt.query(db.Session(&gorm.Session{DryRun: true})).Statement
			var plan string
			err := db.Transaction(func(tx *gorm.DB) error {
				// Plain index scans too: on empty tables a btree index with a
				// filter is as cheap as the trigram index's bitmap scan.
				if err := tx.Exec("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off").Error; err != nil {
					return err
				}
				return tx.Raw("EXPLAIN (FORMAT JSON) "+stmt.SQL.String(), stmt.Vars...).Row().Scan(&plan)
			})
			if err != nil {
				t.Fatalf("EXPLAIN %s: %v", stmt.SQL.String(), err)
			}
			if !strings.Contains(plan, `"Index Name": "`+tt.index+`"`) {
				t.Errorf("the plan of %s reads no %s:\n%s", stmt.SQL.String(), tt.index, plan)
			}
			if !strings.Contains(stmt.SQL.String(), "ORDER BY similarity(") {
				t.Errorf("%s is not ranked by similarity", stmt.SQL.String())
			}
		})
	}
}
