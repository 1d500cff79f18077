package catalog_test

import (
	"testing"

	"github.com/jiedao-market/jiedao/internal/catalog"
)

// BenchmarkPublicItems measures one page of the public transfer-item catalog
// over 500 published items of one subdistrict, one in ten titled 居家养老上门服务:
// a Chinese substring search (count, page of 20, versions and metrics), the
// same narrowed to the subdistrict, a search that matches nothing, and
// browsing without a search.
func BenchmarkPublicItems(b *testing.B) {
	w := newWorld(b)
	seedPublished(b, w, w.a.ID, 500, 10, "居家养老上门服务第%s期", "社区文体活动组织第%s期")
	if err := w.db.Exec(`ANALYZE`).Error; err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name   string
		filter catalog.PublicFilter
		total  int64
	}{
		{"substring", catalog.PublicFilter{Q: "上门服务"}, 50},
		{"substring_in_subdistrict", catalog.PublicFilter{Q: "上门服务", SubdistrictID: w.a.ID}, 50},
		{"no_match", catalog.PublicFilter{Q: "法律援助"}, 0},
		{"browse", catalog.PublicFilter{Page: 3}, 500},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				page, err := w.svc.PublicItems(b.Context(), bc.filter)
				if err != nil || page.Total != bc.total {
					b.Fatalf("PublicItems(%+v) total = %d, %v, want %d", bc.filter, page.Total, err, bc.total)
				}
			}
		})
	}
}
