package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Item is a transfer item (转移事项): a lineage of versions of one service a
// subdistrict hands over. Status is draft until the first publication, then
// published, and retired at the end.
type Item struct {
	ID               int64
	SubdistrictID    int64
	Status           string
	PublishedVersion *int
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// TableName is the table of Item.
func (Item) TableName() string { return "transfer_items" }

// Version is one version of a transfer item's content. Only a draft changes.
type Version struct {
	ItemID           int64      `gorm:"primaryKey;autoIncrement:false"`
	Version          int        `gorm:"primaryKey;autoIncrement:false"`
	Status           string     // draft, published, superseded, retired
	Title            string     //
	Description      string     //
	CategoryCode     string     //
	LegalBasis       string     //
	TargetPopulation string     //
	AnnualQuantity   int        //
	QuantityUnit     string     //
	UnitPriceFen     money.Fen  //
	PurchaseMethod   string     //
	MinGrade         int        //
	MinSocialWorkers int        //
	CreatedBy        *int64     //
	PublishedAt      *time.Time //
	PublishedBy      *int64     //
	CreatedAt        time.Time  //
	UpdatedAt        time.Time  //
}

// TableName is the table of Version.
func (Version) TableName() string { return "transfer_item_versions" }

// ItemMetric is a metric of a transfer item version, copied from the standard
// with local target and weight.
type ItemMetric struct {
	ItemID    int64   `json:"-" gorm:"primaryKey;autoIncrement:false"`
	Version   int     `json:"-" gorm:"primaryKey;autoIncrement:false"`
	Code      string  `json:"code" gorm:"primaryKey"`
	NameZh    string  `json:"name_zh"`
	NameEn    string  `json:"name_en"`
	Unit      string  `json:"unit"`
	Direction string  `json:"direction"`
	Source    string  `json:"source"`
	Target    float64 `json:"target"`
	Weight    int     `json:"weight"`
}

// TableName is the table of ItemMetric.
func (ItemMetric) TableName() string { return "transfer_item_metrics" }

type itemCommunity struct {
	ItemID      int64 `gorm:"primaryKey;autoIncrement:false"`
	Version     int   `gorm:"primaryKey;autoIncrement:false"`
	CommunityID int64 `gorm:"primaryKey;autoIncrement:false"`
}

func (itemCommunity) TableName() string { return "transfer_item_communities" }

// View is a transfer item at one version, as the API shows it.
type View struct {
	ID               int64        `json:"id"`
	SubdistrictID    int64        `json:"subdistrict_id"`
	Status           string       `json:"status"`
	PublishedVersion *int         `json:"published_version"`
	Version          int          `json:"version"`
	VersionStatus    string       `json:"version_status"`
	Title            string       `json:"title"`
	Description      string       `json:"description"`
	CategoryCode     string       `json:"category_code"`
	LegalBasis       string       `json:"legal_basis"`
	TargetPopulation string       `json:"target_population"`
	CommunityIDs     []int64      `json:"community_ids"`
	AnnualQuantity   int          `json:"annual_quantity"`
	QuantityUnit     string       `json:"quantity_unit"`
	UnitPriceFen     money.Fen    `json:"unit_price_fen"`
	PurchaseMethod   string       `json:"purchase_method"`
	MinGrade         int          `json:"min_grade"`
	MinSocialWorkers int          `json:"min_social_workers"`
	Metrics          []ItemMetric `json:"metrics"`
	PublishedAt      *time.Time   `json:"published_at"`
	UpdatedAt        time.Time    `json:"updated_at"`
}

// MetricChoice picks a metric of the category's standard with a local target
// and weight (nil keeps the standard's default).
type MetricChoice struct {
	Code   string
	Target *float64
	Weight *int
}

// ItemInput is the content of a transfer item as an officer submits it; for an
// edit, nil fields keep their value.
type ItemInput struct {
	Title            *string
	Description      *string
	CategoryCode     *string
	LegalBasis       *string
	TargetPopulation *string
	CommunityIDs     *[]int64
	AnnualQuantity   *int
	QuantityUnit     *string
	UnitPriceFen     *money.Fen
	PurchaseMethod   *string
	MinGrade         *int
	MinSocialWorkers *int
	// Metrics replaces the metric set; nil keeps it, or takes the standard's
	// defaults for a new item or a changed category.
	Metrics *[]MetricChoice
}

// The purchase methods (采购方式) of a transfer item and of the tenders made
// from it; the tender package keeps each one's settings.
const (
	MethodOpenTender          = "open_tender"
	MethodInvitedTender       = "invited_tender"
	MethodSingleSource        = "single_source"
	MethodVenturePhilanthropy = "venture_philanthropy"
)

// PurchaseMethods lists the purchase methods, in the order forms offer them.
var PurchaseMethods = []string{MethodOpenTender, MethodInvitedTender, MethodSingleSource, MethodVenturePhilanthropy}

// content is a version's editable content with its parts.
type content struct {
	v           Version
	communities []int64
	metrics     []ItemMetric
}

func (c *content) apply(in ItemInput) {
	set(&c.v.Title, in.Title)
	set(&c.v.Description, in.Description)
	set(&c.v.CategoryCode, in.CategoryCode)
	set(&c.v.LegalBasis, in.LegalBasis)
	set(&c.v.TargetPopulation, in.TargetPopulation)
	set(&c.v.AnnualQuantity, in.AnnualQuantity)
	set(&c.v.QuantityUnit, in.QuantityUnit)
	set(&c.v.UnitPriceFen, in.UnitPriceFen)
	set(&c.v.PurchaseMethod, in.PurchaseMethod)
	set(&c.v.MinGrade, in.MinGrade)
	set(&c.v.MinSocialWorkers, in.MinSocialWorkers)
	if in.CommunityIDs != nil {
		c.communities = slices.Clone(*in.CommunityIDs)
	}
}

// validate checks the content and resolves the metric set against the
// category's standard in force for the subdistrict's district.
func (c *content) validate(tx *gorm.DB, subdistrictID int64, in ItemInput, categoryChanged bool) error {
	v := &c.v
	for _, p := range []*string{&v.Title, &v.Description, &v.LegalBasis, &v.TargetPopulation, &v.QuantityUnit} {
		*p = strings.TrimSpace(*p)
	}
	var f apperr.Fields
	f.Check(v.Title != "" && len(v.Title) <= 300, "title", "is required (at most 300 bytes)")
	f.Check(len(v.Description) <= 20000, "description", "must be at most 20000 bytes")
	f.Check(len(v.LegalBasis) <= 2000, "legal_basis", "must be at most 2000 bytes")
	f.Check(len(v.TargetPopulation) <= 2000, "target_population", "must be at most 2000 bytes")
	f.Check(v.AnnualQuantity >= 0 && v.AnnualQuantity <= 100_000_000, "annual_quantity", "must be between 0 and 100000000")
	f.Check(len(v.QuantityUnit) <= 40, "quantity_unit", "must be at most 40 bytes")
	f.Check(v.UnitPriceFen >= 0 && v.UnitPriceFen <= 10_000_000_000, "unit_price_fen", "must be between 0 and 10000000000 fen")
	f.Check(slices.Contains(PurchaseMethods, v.PurchaseMethod), "purchase_method", "must be open_tender, invited_tender, single_source or venture_philanthropy")
	f.Check(v.MinGrade >= 1 && v.MinGrade <= 5, "min_grade", "must be between 1 (1A) and 5 (5A)")
	f.Check(v.MinSocialWorkers >= 0 && v.MinSocialWorkers <= 10000, "min_social_workers", "must be between 0 and 10000")
	slices.Sort(c.communities)
	c.communities = slices.Compact(c.communities)
	if len(c.communities) > 0 {
		var n int64
		if err := tx.Table("communities").Where("id IN ? AND subdistrict_id = ?", c.communities, subdistrictID).Count(&n).Error; err != nil {
			return err
		}
		f.Check(int(n) == len(c.communities), "community_ids", "must be communities of your subdistrict")
	}
	var districtID int64
	if err := tx.Table("subdistricts").Select("district_id").Where("id = ?", subdistrictID).Take(&districtID).Error; err != nil {
		return fmt.Errorf("district of subdistrict %d: %w", subdistrictID, err)
	}
	var cat Category
	if err := services(tx).Take(&cat, "code = ?", v.CategoryCode).Error; err != nil {
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		f.Add("category_code", "is not a service category")
		return f.Err()
	}
	if in.Metrics != nil || categoryChanged || c.metrics == nil {
		templates, err := effectiveMetrics(tx, v.CategoryCode, districtID)
		if err != nil {
			return err
		}
		metrics, ok := resolveMetrics(templates, in.Metrics)
		f.Check(ok, "metrics", "each metric must be an active metric of the category's standard, once, with target >= 0 and weight 1 to 100")
		f.Check(!ok || len(metrics) > 0, "metrics", "at least one metric is required")
		c.metrics = metrics
	}
	return f.Err()
}

// resolveMetrics turns choices into item metrics; nil choices take every
// active template with its defaults.
func resolveMetrics(templates []MetricTemplate, choices *[]MetricChoice) ([]ItemMetric, bool) {
	active := map[string]MetricTemplate{}
	for _, t := range templates {
		if t.Status == "active" {
			active[t.Code] = t
		}
	}
	toMetric := func(t MetricTemplate) ItemMetric {
		return ItemMetric{Code: t.Code, NameZh: t.NameZh, NameEn: t.NameEn, Unit: t.Unit, Direction: t.Direction,
			Source: t.Source, Target: t.DefaultTarget, Weight: t.DefaultWeight}
	}
	var out []ItemMetric
	if choices == nil {
		for _, t := range templates {
			if t.Status == "active" {
				out = append(out, toMetric(t))
			}
		}
		return out, true
	}
	seen := map[string]bool{}
	for _, ch := range *choices {
		t, ok := active[ch.Code]
		if !ok || seen[ch.Code] {
			return nil, false
		}
		seen[ch.Code] = true
		m := toMetric(t)
		set(&m.Target, ch.Target)
		set(&m.Weight, ch.Weight)
		m.Target = roundCents(m.Target)
		if !(m.Target >= 0 && m.Target < 1e12) || m.Weight < 1 || m.Weight > 100 { // NaN fails too
			return nil, false
		}
		out = append(out, m)
	}
	return out, true
}

// insertVersion writes a draft version with its communities and metrics.
func insertVersion(tx *gorm.DB, c content) error {
	if err := tx.Create(&c.v).Error; err != nil {
		return fmt.Errorf("insert version: %w", err)
	}
	return insertParts(tx, c)
}

func insertParts(tx *gorm.DB, c content) error {
	for _, id := range c.communities {
		if err := tx.Create(&itemCommunity{ItemID: c.v.ItemID, Version: c.v.Version, CommunityID: id}).Error; err != nil {
			return fmt.Errorf("insert community: %w", err)
		}
	}
	for _, m := range c.metrics {
		m.ItemID, m.Version = c.v.ItemID, c.v.Version
		if err := tx.Create(&m).Error; err != nil {
			return fmt.Errorf("insert metric: %w", err)
		}
	}
	return nil
}

// scopeItems restricts q (on transfer_items) to the subdistricts by reads
// (access.Actor.Subdistricts).
func scopeItems(q *gorm.DB, by access.Actor) *gorm.DB {
	cond, args := by.Subdistricts().Where("transfer_items.subdistrict_id")
	return q.Where(cond, args...)
}

// officerItem locks the item for a procurement officer of its subdistrict;
// another subdistrict's item answers apperr.ErrNotFound.
func officerItem(tx *gorm.DB, by access.Actor, id int64) (Item, error) {
	var it Item
	if by.Role != access.ProcurementOfficer {
		return it, apperr.ErrForbidden
	}
	err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).
		Where("id = ? AND subdistrict_id = ?", id, by.Scope.SubdistrictID).Take(&it).Error
	return it, notFound(err)
}

// CreateItem creates a transfer item in the officer's subdistrict with
// version 1 as a draft. Without metrics it takes the standard's.
func (s *Service) CreateItem(ctx context.Context, by access.Actor, in ItemInput) (View, error) {
	if by.Role != access.ProcurementOfficer {
		return View{}, apperr.ErrForbidden
	}
	var f apperr.Fields
	f.Check(in.Title != nil, "title", "is required")
	f.Check(in.CategoryCode != nil, "category_code", "is required")
	f.Check(in.AnnualQuantity != nil, "annual_quantity", "is required")
	f.Check(in.UnitPriceFen != nil, "unit_price_fen", "is required")
	f.Check(in.PurchaseMethod != nil, "purchase_method", "is required")
	if err := f.Err(); err != nil {
		return View{}, err
	}
	now := s.clock.Now()
	var id int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c := content{v: Version{Version: 1, Status: "draft", MinGrade: 1, CreatedBy: by.UserRef(), CreatedAt: now, UpdatedAt: now}}
		c.apply(in)
		if err := c.validate(tx, by.Scope.SubdistrictID, in, true); err != nil {
			return err
		}
		it := Item{SubdistrictID: by.Scope.SubdistrictID, Status: "draft", CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&it).Error; err != nil {
			return fmt.Errorf("insert transfer item: %w", err)
		}
		id, c.v.ItemID = it.ID, it.ID
		if err := insertVersion(tx, c); err != nil {
			return err
		}
		return audit.Record(tx, by, "transfer_item.create", "transfer_item", it.ID, map[string]any{"version": 1, "title": c.v.Title, "category": c.v.CategoryCode})
	})
	if err != nil {
		return View{}, err
	}
	return s.GetItem(ctx, by, id, 0)
}

// UpdateItem edits a transfer item. A draft version is edited in place; a
// published version is never changed: the edit becomes version n+1, a draft,
// which publishing later puts in its place. A retired item answers ErrRetired.
func (s *Service) UpdateItem(ctx context.Context, by access.Actor, id int64, in ItemInput) (View, error) {
	now := s.clock.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		it, err := officerItem(tx, by, id)
		if err != nil {
			return err
		}
		if it.Status == "retired" {
			return ErrRetired
		}
		cur, err := loadContent(tx, id, 0, true)
		if err != nil {
			return err
		}
		action := "transfer_item.edit"
		c := cur
		if cur.v.Status != "draft" {
			// A new version starts from the published content.
			c.v.Version, c.v.Status, c.v.CreatedAt, c.v.CreatedBy = cur.v.Version+1, "draft", now, by.UserRef()
			c.v.PublishedAt, c.v.PublishedBy = nil, nil
			action = "transfer_item.new_version"
		}
		c.v.UpdatedAt = now
		c.apply(in)
		categoryChanged := c.v.CategoryCode != cur.v.CategoryCode
		if err := c.validate(tx, it.SubdistrictID, in, categoryChanged); err != nil {
			return err
		}
		if action == "transfer_item.new_version" {
			if err := insertVersion(tx, c); err != nil {
				return err
			}
		} else {
			if err := tx.Model(&c.v).Select("title", "description", "category_code", "legal_basis", "target_population",
				"annual_quantity", "quantity_unit", "unit_price_fen", "purchase_method", "min_grade", "min_social_workers",
				"updated_at").UpdateColumns(&c.v).Error; err != nil {
				return fmt.Errorf("update draft: %w", err)
			}
			if err := tx.Where("item_id = ? AND version = ?", id, c.v.Version).Delete(&itemCommunity{}).Error; err != nil {
				return err
			}
			if err := tx.Where("item_id = ? AND version = ?", id, c.v.Version).Delete(&ItemMetric{}).Error; err != nil {
				return err
			}
			if err := insertParts(tx, c); err != nil {
				return err
			}
		}
		if err := tx.Model(&it).UpdateColumn("updated_at", now).Error; err != nil {
			return err
		}
		return audit.Record(tx, by, action, "transfer_item", id, map[string]any{"version": c.v.Version, "title": c.v.Title})
	})
	if err != nil {
		return View{}, err
	}
	return s.GetItem(ctx, by, id, 0)
}

// PublishItem publishes the item's draft: it becomes the published version and
// the version it replaces is superseded, readable still. The category must be
// in the district's guidance catalog (ErrNotInCatalog); without a draft,
// ErrNoDraft.
func (s *Service) PublishItem(ctx context.Context, by access.Actor, id int64) (View, error) {
	now := s.clock.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		it, err := officerItem(tx, by, id)
		if err != nil {
			return err
		}
		if it.Status == "retired" {
			return ErrRetired
		}
		var draft Version
		if err := tx.Where("item_id = ? AND status = 'draft'", id).Take(&draft).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNoDraft
			}
			return err
		}
		ok, err := inGuidance(tx, it.SubdistrictID, draft.CategoryCode)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotInCatalog
		}
		if it.PublishedVersion != nil {
			res := tx.Model(&Version{}).Where("item_id = ? AND version = ? AND status = 'published'", id, *it.PublishedVersion).
				Updates(map[string]any{"status": "superseded", "updated_at": now})
			if res.Error != nil {
				return fmt.Errorf("supersede version %d: %w", *it.PublishedVersion, res.Error)
			}
		}
		res := tx.Model(&Version{}).Where("item_id = ? AND version = ? AND status = 'draft'", id, draft.Version).
			Updates(map[string]any{"status": "published", "published_at": now, "published_by": by.UserRef(), "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("publish version %d: %w", draft.Version, res.Error)
		} else if res.RowsAffected != 1 {
			return fmt.Errorf("publish version %d: %d rows changed, want 1", draft.Version, res.RowsAffected)
		}
		if err := tx.Model(&it).Updates(map[string]any{"status": "published", "published_version": draft.Version, "updated_at": now}).Error; err != nil {
			return err
		}
		return audit.Record(tx, by, "transfer_item.publish", "transfer_item", id, map[string]any{
			"version": draft.Version, "superseded": it.PublishedVersion, "title": draft.Title, "category": draft.CategoryCode})
	})
	if err != nil {
		return View{}, err
	}
	return s.GetItem(ctx, by, id, 0)
}

// RetireItem retires a published item: its published version is retired and
// any pending draft discarded; no new tender can use it. Versions stay readable.
func (s *Service) RetireItem(ctx context.Context, by access.Actor, id int64) (View, error) {
	now := s.clock.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		it, err := officerItem(tx, by, id)
		if err != nil {
			return err
		}
		if it.Status != "published" {
			return ErrNotPublished
		}
		var draft []Version
		if err := tx.Where("item_id = ? AND status = 'draft'", id).Find(&draft).Error; err != nil {
			return err
		}
		for _, d := range draft {
			for _, part := range []any{&itemCommunity{}, &ItemMetric{}, &Version{}} {
				if err := tx.Where("item_id = ? AND version = ?", id, d.Version).Delete(part).Error; err != nil {
					return fmt.Errorf("discard draft %d: %w", d.Version, err)
				}
			}
		}
		res := tx.Model(&Version{}).Where("item_id = ? AND version = ? AND status = 'published'", id, *it.PublishedVersion).
			Updates(map[string]any{"status": "retired", "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("retire version %d: %w", *it.PublishedVersion, res.Error)
		} else if res.RowsAffected != 1 {
			return fmt.Errorf("retire version %d: %d rows changed, want 1", *it.PublishedVersion, res.RowsAffected)
		}
		if err := tx.Model(&it).Updates(map[string]any{"status": "retired", "updated_at": now}).Error; err != nil {
			return err
		}
		return audit.Record(tx, by, "transfer_item.retire", "transfer_item", id, map[string]any{"version": *it.PublishedVersion})
	})
	if err != nil {
		return View{}, err
	}
	return s.GetItem(ctx, by, id, 0)
}

// loadContent reads one version of an item with its parts: version 0 means the
// latest (a draft when there is one) when latest is true, else the published one.
func loadContent(tx *gorm.DB, id int64, version int, latest bool) (content, error) {
	var c content
	q := tx.Where("item_id = ?", id)
	switch {
	case version > 0:
		q = q.Where("version = ?", version)
	case latest:
		q = q.Order("version DESC")
	default:
		q = q.Where("status = 'published'")
	}
	if err := q.Take(&c.v).Error; err != nil {
		return c, notFound(err)
	}
	if err := tx.Model(&itemCommunity{}).Where("item_id = ? AND version = ?", id, c.v.Version).
		Order("community_id").Pluck("community_id", &c.communities).Error; err != nil {
		return c, err
	}
	if err := tx.Where("item_id = ? AND version = ?", id, c.v.Version).Order("weight DESC, code").Find(&c.metrics).Error; err != nil {
		return c, err
	}
	return c, nil
}

func view(it Item, c content) View {
	v := c.v
	out := View{ID: it.ID, SubdistrictID: it.SubdistrictID, Status: it.Status, PublishedVersion: it.PublishedVersion,
		Version: v.Version, VersionStatus: v.Status, Title: v.Title, Description: v.Description, CategoryCode: v.CategoryCode,
		LegalBasis: v.LegalBasis, TargetPopulation: v.TargetPopulation, CommunityIDs: c.communities,
		AnnualQuantity: v.AnnualQuantity, QuantityUnit: v.QuantityUnit, UnitPriceFen: v.UnitPriceFen,
		PurchaseMethod: v.PurchaseMethod, MinGrade: v.MinGrade, MinSocialWorkers: v.MinSocialWorkers,
		Metrics: c.metrics, PublishedAt: v.PublishedAt, UpdatedAt: v.UpdatedAt}
	if out.CommunityIDs == nil {
		out.CommunityIDs = []int64{}
	}
	if out.Metrics == nil {
		out.Metrics = []ItemMetric{}
	}
	return out
}

// GetItem returns an item within by's scope at a version (0: the latest, a
// draft when there is one), else apperr.ErrNotFound.
func (s *Service) GetItem(ctx context.Context, by access.Actor, id int64, version int) (View, error) {
	return ItemAt(s.db.WithContext(ctx), by, id, version)
}

// ItemAt is GetItem inside tx, for work that reads an item in its own
// transaction (a tender made from it): the item within by's scope at a
// version (0: the latest, a draft when there is one), else
// apperr.ErrNotFound.
func ItemAt(tx *gorm.DB, by access.Actor, id int64, version int) (View, error) {
	var it Item
	if err := scopeItems(tx, by).Take(&it, id).Error; err != nil {
		return View{}, notFound(err)
	}
	c, err := loadContent(tx, id, version, true)
	if err != nil {
		return View{}, err
	}
	return view(it, c), nil
}

// PublishedItem returns the version in force of an item within by's scope:
// the published one, from which a tender is made. It returns
// apperr.ErrNotFound for an item by may not see and ErrNoPublished for an
// item with no version in force (never published, or retired).
func (s *Service) PublishedItem(ctx context.Context, by access.Actor, id int64) (View, error) {
	return PublishedItem(s.db.WithContext(ctx), by, id)
}

// PublishedItem is the Service's PublishedItem inside tx.
func PublishedItem(tx *gorm.DB, by access.Actor, id int64) (View, error) {
	var it Item
	if err := scopeItems(tx, by).Take(&it, id).Error; err != nil {
		return View{}, notFound(err)
	}
	if it.Status != "published" || it.PublishedVersion == nil {
		return View{}, ErrNoPublished
	}
	c, err := loadContent(tx, id, *it.PublishedVersion, true)
	if err != nil {
		return View{}, fmt.Errorf("published version of transfer item %d: %w", id, err)
	}
	return view(it, c), nil
}

// Versions returns every version of an item within by's scope, newest first.
func (s *Service) Versions(ctx context.Context, by access.Actor, id int64) ([]View, error) {
	db := s.db.WithContext(ctx)
	var it Item
	if err := scopeItems(db, by).Take(&it, id).Error; err != nil {
		return nil, notFound(err)
	}
	// Three queries whatever the number of versions: versions, communities, metrics.
	var versions []Version
	if err := db.Where("item_id = ?", id).Order("version DESC").Find(&versions).Error; err != nil {
		return nil, err
	}
	var comms []itemCommunity
	if err := db.Where("item_id = ?", id).Order("community_id").Find(&comms).Error; err != nil {
		return nil, err
	}
	var metrics []ItemMetric
	if err := db.Where("item_id = ?", id).Order("weight DESC, code").Find(&metrics).Error; err != nil {
		return nil, err
	}
	parts := map[int]*content{}
	for _, v := range versions {
		parts[v.Version] = &content{v: v}
	}
	for _, c := range comms {
		parts[c.Version].communities = append(parts[c.Version].communities, c.CommunityID)
	}
	for _, m := range metrics {
		parts[m.Version].metrics = append(parts[m.Version].metrics, m)
	}
	out := make([]View, 0, len(versions))
	for _, v := range versions {
		out = append(out, view(it, *parts[v.Version]))
	}
	return out, nil
}

// ListItems returns the latest version of the items by may see, newest first.
func (s *Service) ListItems(ctx context.Context, by access.Actor) ([]View, error) {
	db := s.db.WithContext(ctx)
	var items []Item
	if err := scopeItems(db, by).Order("id DESC").Limit(500).Find(&items).Error; err != nil {
		return nil, err
	}
	return s.views(db, items, true)
}

// views loads, for each item, its latest (or published) version without parts
// in one query, and the parts in two more.
func (s *Service) views(db *gorm.DB, items []Item, latest bool) ([]View, error) {
	out := make([]View, 0, len(items))
	if len(items) == 0 {
		return out, nil
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	var versions []Version
	q := db.Where("item_id IN ?", ids)
	if latest {
		q = db.Raw(`SELECT DISTINCT ON (item_id) * FROM transfer_item_versions WHERE item_id IN ? ORDER BY item_id, version DESC`, ids)
	} else {
		q = q.Where("status = 'published'")
	}
	if err := q.Find(&versions).Error; err != nil {
		return nil, err
	}
	var comms []itemCommunity
	var metrics []ItemMetric
	pairs := db.Where("(item_id, version) IN ?", versionKeys(versions))
	if len(versions) > 0 {
		if err := pairs.Order("community_id").Find(&comms).Error; err != nil {
			return nil, err
		}
		if err := db.Where("(item_id, version) IN ?", versionKeys(versions)).Order("weight DESC, code").Find(&metrics).Error; err != nil {
			return nil, err
		}
	}
	parts := map[int64]*content{}
	for _, v := range versions {
		parts[v.ItemID] = &content{v: v}
	}
	for _, c := range comms {
		parts[c.ItemID].communities = append(parts[c.ItemID].communities, c.CommunityID)
	}
	for _, m := range metrics {
		parts[m.ItemID].metrics = append(parts[m.ItemID].metrics, m)
	}
	for _, it := range items {
		if c, ok := parts[it.ID]; ok {
			out = append(out, view(it, *c))
		}
	}
	return out, nil
}

func versionKeys(vs []Version) [][]any {
	keys := make([][]any, len(vs))
	for i, v := range vs {
		keys[i] = []any{v.ItemID, v.Version}
	}
	return keys
}
