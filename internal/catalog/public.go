package catalog

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/platform/replica"
)

// PublicFilter selects published transfer items for the public catalog.
type PublicFilter struct {
	Q             string // substring of title, description or target population
	DistrictID    int64
	SubdistrictID int64
	CategoryCode  string
	Page          int // from 1
	PerPage       int // default 20, at most 100
}

// ItemPage is one page of the public transfer-item catalog.
type ItemPage struct {
	Items   []View `json:"items"`
	Total   int64  `json:"total"`
	Page    int    `json:"page"`
	PerPage int    `json:"per_page"`
}

// Normalize applies the defaults and bounds of pagination.
func (f *PublicFilter) Normalize() {
	if f.Page < 1 {
		f.Page = 1
	}
	if f.PerPage < 1 {
		f.PerPage = 20
	}
	f.PerPage = min(f.PerPage, 100)
	f.Q = strings.TrimSpace(f.Q)
}

// likePattern escapes q for ILIKE and wraps it for a substring match.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// PublicItems returns the published transfer items matching f: the public
// 转移事项目录. Drafts, superseded versions and retired items never appear.
func (s *Service) PublicItems(ctx context.Context, f PublicFilter) (ItemPage, error) {
	f.Normalize()
	db := replica.Public(s.db.WithContext(ctx))
	q := db.Table("transfer_items").
		Joins("JOIN transfer_item_versions v ON v.item_id = transfer_items.id AND v.status = 'published'").
		Where("transfer_items.status = 'published'")
	if f.Q != "" {
		// The expression matches the trigram index on published versions.
		q = q.Where("(v.title || ' ' || v.description || ' ' || v.target_population) ILIKE ?", likePattern(f.Q))
	}
	if f.SubdistrictID != 0 {
		q = q.Where("transfer_items.subdistrict_id = ?", f.SubdistrictID)
	}
	if f.DistrictID != 0 {
		q = q.Where("transfer_items.subdistrict_id IN (SELECT id FROM subdistricts WHERE district_id = ?)", f.DistrictID)
	}
	if f.CategoryCode != "" {
		q = q.Where("v.category_code = ?", f.CategoryCode)
	}
	page := ItemPage{Page: f.Page, PerPage: f.PerPage, Items: []View{}}
	if err := q.Session(&gorm.Session{}).Count(&page.Total).Error; err != nil {
		return page, err
	}
	var items []Item
	if err := q.Select("transfer_items.*").Order("v.published_at DESC, transfer_items.id DESC").
		Offset((f.Page - 1) * f.PerPage).Limit(f.PerPage).Find(&items).Error; err != nil {
		return page, err
	}
	views, err := s.views(db, items, false)
	if err != nil {
		return page, err
	}
	page.Items = views
	return page, nil
}

// PublicItem returns the published version of a transfer item, or, for a
// retired one, its last published version; never a draft. An item never
// published answers apperr.ErrNotFound.
func (s *Service) PublicItem(ctx context.Context, id int64) (View, error) {
	db := replica.Public(s.db.WithContext(ctx))
	var it Item
	if err := db.Where("status IN ('published', 'retired')").Take(&it, id).Error; err != nil {
		return View{}, notFound(err)
	}
	c, err := loadContent(db, id, *it.PublishedVersion, true)
	if err != nil {
		return View{}, err
	}
	return view(it, c), nil
}
