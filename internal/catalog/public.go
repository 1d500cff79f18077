package catalog

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/money"

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
	// Brief leaves each item's communities and metrics out (empty), for a
	// list that shows neither (the catalog page): two sub-selects per row
	// and their JSON fewer.
	Brief bool
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
	q = q.Session(&gorm.Session{})
	page := ItemPage{Page: f.Page, PerPage: f.PerPage, Items: []View{}}
	// One statement: the page's keys and the number of matches (a window
	// over the matching rows, before the offset and limit), sorted narrow;
	// then, for the page's rows only, the item, its published version and
	// the version's communities and metrics (as JSON).
	keys := q.Select("transfer_items.id, v.version, v.published_at, count(*) OVER () AS total").
		Order("v.published_at DESC, transfer_items.id DESC").Offset((f.Page - 1) * f.PerPage).Limit(f.PerPage)
	parts := `coalesce((SELECT json_agg(c.community_id ORDER BY c.community_id) FROM transfer_item_communities c
				WHERE c.item_id = p.id AND c.version = p.version), '[]') AS community_ids,
			coalesce((SELECT json_agg(m ORDER BY m.weight DESC, m.code) FROM transfer_item_metrics m
				WHERE m.item_id = p.id AND m.version = p.version), '[]') AS metrics`
	if f.Brief {
		parts = `'[]' AS community_ids, '[]' AS metrics`
	}
	var rows []publicRow
	if err := db.Raw(`SELECT i.id, i.subdistrict_id, i.status, i.published_version,
			v.version, v.status AS version_status, v.title, v.description, v.category_code, v.legal_basis, v.target_population,
			v.annual_quantity, v.quantity_unit, v.unit_price_fen, v.purchase_method, v.min_grade, v.min_social_workers,
			v.published_at, v.updated_at, p.total, `+parts+`
		FROM (?) p JOIN transfer_items i ON i.id = p.id JOIN transfer_item_versions v ON (v.item_id, v.version) = (p.id, p.version)
		ORDER BY p.published_at DESC, p.id DESC`, keys).Scan(&rows).Error; err != nil {
		return page, err
	}
	if len(rows) == 0 && f.Page > 1 {
		// Past the last page the window has no row to count on.
		if err := q.Count(&page.Total).Error; err != nil {
			return page, err
		}
		return page, nil
	}
	for _, r := range rows {
		page.Total = r.Total
		page.Items = append(page.Items, r.view())
	}
	return page, nil
}

// publicRow is a row of the public catalog: an item at its published
// version, with the number of matches.
type publicRow struct {
	ID               int64
	SubdistrictID    int64
	Status           string
	PublishedVersion *int
	Version          int
	VersionStatus    string
	Title            string
	Description      string
	CategoryCode     string
	LegalBasis       string
	TargetPopulation string
	AnnualQuantity   int
	QuantityUnit     string
	UnitPriceFen     money.Fen
	PurchaseMethod   string
	MinGrade         int
	MinSocialWorkers int
	PublishedAt      *time.Time
	UpdatedAt        time.Time
	CommunityIDs     []int64      `gorm:"serializer:json"`
	Metrics          []ItemMetric `gorm:"serializer:json"`
	Total            int64
}

func (r publicRow) view() View {
	it := Item{ID: r.ID, SubdistrictID: r.SubdistrictID, Status: r.Status, PublishedVersion: r.PublishedVersion}
	for i := range r.Metrics { // their keys are not in the JSON
		r.Metrics[i].ItemID, r.Metrics[i].Version = r.ID, r.Version
	}
	return view(it, content{v: Version{ItemID: r.ID, Version: r.Version, Status: r.VersionStatus, Title: r.Title,
		Description: r.Description, CategoryCode: r.CategoryCode, LegalBasis: r.LegalBasis, TargetPopulation: r.TargetPopulation,
		AnnualQuantity: r.AnnualQuantity, QuantityUnit: r.QuantityUnit, UnitPriceFen: r.UnitPriceFen, PurchaseMethod: r.PurchaseMethod,
		MinGrade: r.MinGrade, MinSocialWorkers: r.MinSocialWorkers, PublishedAt: r.PublishedAt, UpdatedAt: r.UpdatedAt},
		communities: r.CommunityIDs, metrics: r.Metrics})
}

// PublicItem returns the published version of a transfer item, or, for a
// retired one, its last published version; never a draft. An item never
// published answers apperr.ErrNotFound.
func (s *Service) PublicItem(ctx context.Context, id int64) (View, error) {
	// One statement: the item, its published version and the version's
	// communities and metrics (as JSON).
	var r publicRow
	err := replica.Public(s.db.WithContext(ctx)).Raw(`SELECT i.id, i.subdistrict_id, i.status, i.published_version,
			v.version, v.status AS version_status, v.title, v.description, v.category_code, v.legal_basis, v.target_population,
			v.annual_quantity, v.quantity_unit, v.unit_price_fen, v.purchase_method, v.min_grade, v.min_social_workers,
			v.published_at, v.updated_at,
			coalesce((SELECT json_agg(c.community_id ORDER BY c.community_id) FROM transfer_item_communities c
				WHERE c.item_id = v.item_id AND c.version = v.version), '[]') AS community_ids,
			coalesce((SELECT json_agg(m ORDER BY m.weight DESC, m.code) FROM transfer_item_metrics m
				WHERE m.item_id = v.item_id AND m.version = v.version), '[]') AS metrics
		FROM transfer_items i JOIN transfer_item_versions v ON v.item_id = i.id AND v.version = i.published_version
		WHERE i.id = ? AND i.status IN ('published', 'retired')`, id).Take(&r).Error
	if err != nil {
		return View{}, notFound(err)
	}
	return r.view(), nil
}
