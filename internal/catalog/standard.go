// Package catalog holds the service standards (服务标准) with their metric
// templates, the districts' guidance catalogs (指导性目录) and the subdistricts'
// versioned transfer items (转移事项目录).
package catalog

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// Category is one of the service categories of DOMAIN.md. The table also
// holds the category agencies are certified for (THIRD_PARTY_EVALUATION,
// kind "evaluation"), which has no standard and funds no service: the
// catalog reads only the kind "service" (services).
type Category struct {
	Code   string `json:"code"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	Sort   int    `json:"-"`
}

// TableName is the table of Category.
func (Category) TableName() string { return "service_categories" }

// MetricTemplate is one metric of a service standard. DistrictID is nil for
// the shipped standard and set for a district's own addition or adjustment.
type MetricTemplate struct {
	ID            int64     `json:"-"`
	CategoryCode  string    `json:"-"`
	DistrictID    *int64    `json:"district_id"`
	Code          string    `json:"code"`
	NameZh        string    `json:"name_zh"`
	NameEn        string    `json:"name_en"`
	Unit          string    `json:"unit"`
	Direction     string    `json:"direction"`
	Source        string    `json:"source"`
	DefaultTarget float64   `json:"default_target"`
	DefaultWeight int       `json:"default_weight"`
	Status        string    `json:"status"`
	CreatedAt     time.Time `json:"-"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Standard is a category with the metric templates in force for a district
// (or the shipped ones when no district is asked for).
type Standard struct {
	Category
	Metrics []MetricTemplate `json:"metrics"`
}

// Errors returned by the Service.
var (
	ErrMetricExists = apperr.New(apperr.Conflict, "metric.exists", "the standard already has a metric with this code")
	ErrNotInCatalog = apperr.New(apperr.Conflict, "transfer_item.category_not_in_catalog",
		"the category is not in the district's guidance catalog")
	ErrGuidanceExists = apperr.New(apperr.Conflict, "guidance.exists", "the catalog already lists this category or catalog code")
	ErrNoDraft        = apperr.New(apperr.Conflict, "transfer_item.no_draft", "the transfer item has no draft to publish")
	ErrRetired        = apperr.New(apperr.Conflict, "transfer_item.retired", "the transfer item is retired")
	ErrNotPublished   = apperr.New(apperr.Conflict, "transfer_item.not_published", "only a published transfer item can be retired")
	ErrNoPublished    = apperr.New(apperr.Conflict, "transfer_item.no_published_version", "the transfer item has no published version")
)

// Service manages standards, guidance catalogs and transfer items.
type Service struct {
	db    *gorm.DB
	clock clock.Clock
}

// NewService returns a Service on db.
func NewService(db *gorm.DB, c clock.Clock) *Service { return &Service{db: db, clock: c} }

// effectiveMetrics returns the metric templates of category in force for
// district: the district's own rows, and the shipped rows it did not override.
func effectiveMetrics(tx *gorm.DB, category string, districtID int64) ([]MetricTemplate, error) {
	var out []MetricTemplate
	err := tx.Raw(`SELECT * FROM (
			SELECT DISTINCT ON (code) * FROM metric_templates
			WHERE category_code = ? AND (district_id IS NULL OR district_id = ?)
			ORDER BY code, district_id NULLS LAST) m
		ORDER BY default_weight DESC, code`, category, districtID).Scan(&out).Error
	return out, err
}

// ListStandards returns every category's standard in force for districtID (0:
// the shipped standards), in DOMAIN.md's order.
func (s *Service) ListStandards(ctx context.Context, districtID int64) ([]Standard, error) {
	db := s.db.WithContext(ctx)
	var cats []Category
	if err := services(db).Order("sort").Find(&cats).Error; err != nil {
		return nil, err
	}
	var rows []MetricTemplate
	err := db.Raw(`SELECT * FROM (
			SELECT DISTINCT ON (category_code, code) * FROM metric_templates
			WHERE district_id IS NULL OR district_id = ?
			ORDER BY category_code, code, district_id NULLS LAST) m
		ORDER BY default_weight DESC, code`, districtID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	byCat := map[string][]MetricTemplate{}
	for _, m := range rows {
		byCat[m.CategoryCode] = append(byCat[m.CategoryCode], m)
	}
	out := make([]Standard, len(cats))
	for i, c := range cats {
		out[i] = Standard{Category: c, Metrics: byCat[c.Code]}
		if out[i].Metrics == nil {
			out[i].Metrics = []MetricTemplate{}
		}
	}
	return out, nil
}

// ListCategories returns the service categories in DOMAIN.md's order.
func (s *Service) ListCategories(ctx context.Context) ([]Category, error) {
	var cats []Category
	return cats, services(s.db.WithContext(ctx)).Order("sort").Find(&cats).Error
}

// services limits a query of service_categories to the services.
func services(q *gorm.DB) *gorm.DB { return q.Where("kind = 'service'") }

// GetStandard returns one category's standard in force for districtID.
func (s *Service) GetStandard(ctx context.Context, code string, districtID int64) (Standard, error) {
	db := s.db.WithContext(ctx)
	var c Category
	if err := services(db).Take(&c, "code = ?", code).Error; err != nil {
		return Standard{}, notFound(err)
	}
	metrics, err := effectiveMetrics(db, code, districtID)
	if err != nil {
		return Standard{}, err
	}
	return Standard{Category: c, Metrics: metrics}, nil
}

var metricCode = regexp.MustCompile(`^[a-z][a-z0-9_]{1,62}$`)

// MetricSources are where a metric's actual value comes from: the provider's
// service records, residents' ratings, upheld complaints, residents' service
// requests (response time), or the evaluator's finding.
var MetricSources = []string{"service_records", "resident_ratings", "complaints", "service_requests", "evaluator"}

// MetricInput is a metric template as a district admin submits it; nil
// fields of an adjustment keep their value.
type MetricInput struct {
	Code          string
	NameZh        *string
	NameEn        *string
	Unit          *string
	Direction     *string
	Source        *string
	DefaultTarget *float64
	DefaultWeight *int
}

func (in MetricInput) apply(m *MetricTemplate) {
	set(&m.NameZh, in.NameZh)
	set(&m.NameEn, in.NameEn)
	set(&m.Unit, in.Unit)
	set(&m.Direction, in.Direction)
	set(&m.Source, in.Source)
	set(&m.DefaultTarget, in.DefaultTarget)
	set(&m.DefaultWeight, in.DefaultWeight)
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// roundCents rounds a target to the two decimals the database keeps, so that
// what is checked is what is stored.
func roundCents(x float64) float64 { return math.Round(x*100) / 100 }

func (m *MetricTemplate) validate() error {
	m.NameZh, m.NameEn, m.Unit = strings.TrimSpace(m.NameZh), strings.TrimSpace(m.NameEn), strings.TrimSpace(m.Unit)
	m.DefaultTarget = roundCents(m.DefaultTarget)
	var f apperr.Fields
	f.Check(metricCode.MatchString(m.Code), "code", "must be 2 to 63 of a-z, 0-9 and _, starting with a letter")
	f.Check(m.NameZh != "" && len(m.NameZh) <= 200, "name_zh", "is required (at most 200 bytes)")
	f.Check(m.NameEn != "" && len(m.NameEn) <= 200, "name_en", "is required (at most 200 bytes)")
	f.Check(len(m.Unit) <= 40, "unit", "must be at most 40 bytes")
	f.Check(m.Direction == "higher" || m.Direction == "lower", "direction", "must be higher or lower")
	f.Check(slices.Contains(MetricSources, m.Source), "source", "must be one of "+strings.Join(MetricSources, ", "))
	f.Check(m.DefaultTarget >= 0 && m.DefaultTarget < 1e12, "default_target", "must be zero or more")
	f.Check(m.DefaultWeight >= 1 && m.DefaultWeight <= 100, "default_weight", "must be between 1 and 100")
	return f.Err()
}

// districtOf returns the district a district admin works in, or
// apperr.ErrForbidden for anyone else.
func districtOf(by access.Actor) (int64, error) {
	if by.Role != access.DistrictAdmin || by.Scope.DistrictID == 0 {
		return 0, apperr.ErrForbidden
	}
	return by.Scope.DistrictID, nil
}

// AddMetric adds a metric template to a category's standard for the district
// admin's district. It returns ErrMetricExists when the code is in force already.
func (s *Service) AddMetric(ctx context.Context, by access.Actor, category string, in MetricInput) (MetricTemplate, error) {
	districtID, err := districtOf(by)
	if err != nil {
		return MetricTemplate{}, err
	}
	now := s.clock.Now()
	m := MetricTemplate{CategoryCode: category, DistrictID: &districtID, Code: in.Code, Status: "active", CreatedAt: now, UpdatedAt: now}
	in.apply(&m)
	if err := m.validate(); err != nil {
		return MetricTemplate{}, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := services(tx).Take(&Category{}, "code = ?", category).Error; err != nil {
			return notFound(err)
		}
		current, err := effectiveMetrics(tx, category, districtID)
		if err != nil {
			return err
		}
		for _, c := range current {
			if c.Code == m.Code {
				return ErrMetricExists
			}
		}
		if err := tx.Create(&m).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrMetricExists
			}
			return fmt.Errorf("add metric: %w", err)
		}
		return audit.Record(tx, by, "metric.add", "metric_template", m.ID, m)
	})
	return m, err
}

// AdjustMetric changes a metric template in force for the district admin's
// district. Adjusting a shipped template creates the district's own copy; the
// shipped one, and other districts, are untouched.
func (s *Service) AdjustMetric(ctx context.Context, by access.Actor, category, code string, in MetricInput) (MetricTemplate, error) {
	return s.changeMetric(ctx, by, category, code, "metric.adjust", func(m *MetricTemplate) {
		in.apply(m)
	})
}

// RetireMetric retires a metric template for the district admin's district: it
// is no longer offered for new transfer items; items that use it keep it.
func (s *Service) RetireMetric(ctx context.Context, by access.Actor, category, code string) (MetricTemplate, error) {
	return s.changeMetric(ctx, by, category, code, "metric.retire", func(m *MetricTemplate) {
		m.Status = "retired"
	})
}

func (s *Service) changeMetric(ctx context.Context, by access.Actor, category, code, action string, change func(*MetricTemplate)) (MetricTemplate, error) {
	districtID, err := districtOf(by)
	if err != nil {
		return MetricTemplate{}, err
	}
	var m MetricTemplate
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The first change of a shipped metric creates the district's row; the
		// lock keeps two such changes from both trying to create it.
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`,
			fmt.Sprintf("metric_template:%d:%s:%s", districtID, category, code)).Error; err != nil {
			return err
		}
		err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).
			Where("category_code = ? AND code = ? AND district_id = ?", category, code, districtID).Take(&m).Error
		own := err == nil
		if errors.Is(err, gorm.ErrRecordNotFound) {
			err = tx.Where("category_code = ? AND code = ? AND district_id IS NULL", category, code).Take(&m).Error
		}
		if err != nil {
			return notFound(err)
		}
		before := m
		change(&m)
		if err := m.validate(); err != nil {
			return err
		}
		m.UpdatedAt = s.clock.Now()
		if own {
			err = tx.Model(&m).Select("name_zh", "name_en", "unit", "direction", "source", "default_target",
				"default_weight", "status", "updated_at").UpdateColumns(&m).Error
		} else {
			m.ID, m.DistrictID, m.CreatedAt = 0, &districtID, m.UpdatedAt
			err = tx.Create(&m).Error
		}
		if err != nil {
			return fmt.Errorf("%s: %w", action, err)
		}
		return audit.Record(tx, by, action, "metric_template", m.ID, map[string]any{"before": before, "after": m})
	})
	return m, err
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.ErrNotFound
	}
	return err
}
