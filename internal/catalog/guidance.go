package catalog

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
)

// GuidanceEntry says that a district allows a category to be purchased.
type GuidanceEntry struct {
	ID           int64     `json:"id"`
	DistrictID   int64     `json:"district_id"`
	CategoryCode string    `json:"category_code"`
	CatalogCode  string    `json:"catalog_code"`
	Notes        string    `json:"notes"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

var catalogCode = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,31}$`)

// ListGuidance returns a district's guidance catalog, by catalog code. It is
// public; an unknown district answers apperr.ErrNotFound.
func (s *Service) ListGuidance(ctx context.Context, districtID int64) ([]GuidanceEntry, error) {
	db := s.db.WithContext(ctx)
	var n int64
	if err := db.Table("districts").Where("id = ?", districtID).Count(&n).Error; err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, apperr.ErrNotFound
	}
	out := []GuidanceEntry{}
	return out, db.Where("district_id = ?", districtID).Order("catalog_code").Find(&out).Error
}

// GuidanceInput is a new guidance catalog entry.
type GuidanceInput struct {
	CategoryCode string
	CatalogCode  string
	Notes        string
}

// AddGuidance adds a category to the district admin's own district's catalog;
// another district answers apperr.ErrNotFound, a listed category or catalog
// code ErrGuidanceExists.
func (s *Service) AddGuidance(ctx context.Context, by access.Actor, districtID int64, in GuidanceInput) (GuidanceEntry, error) {
	own, err := districtOf(by)
	if err != nil {
		return GuidanceEntry{}, err
	}
	if own != districtID {
		return GuidanceEntry{}, apperr.ErrNotFound
	}
	in.Notes = strings.TrimSpace(in.Notes)
	var f apperr.Fields
	f.Check(in.CategoryCode != "", "category_code", "is required")
	f.Check(catalogCode.MatchString(in.CatalogCode), "catalog_code", "must be 1 to 32 of letters, digits, '.' and '-'")
	f.Check(len(in.Notes) <= 2000, "notes", "must be at most 2000 bytes")
	if err := f.Err(); err != nil {
		return GuidanceEntry{}, err
	}
	now := s.clock.Now()
	e := GuidanceEntry{DistrictID: districtID, CategoryCode: in.CategoryCode, CatalogCode: in.CatalogCode, Notes: in.Notes, CreatedAt: now, UpdatedAt: now}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&e).Error; err != nil {
			switch {
			case errors.Is(err, gorm.ErrDuplicatedKey):
				return ErrGuidanceExists
			case errors.Is(err, gorm.ErrForeignKeyViolated):
				return apperr.InvalidField("category_code", "is not a service category")
			}
			return fmt.Errorf("add guidance entry: %w", err)
		}
		return audit.Record(tx, by, "guidance.add", "guidance_entry", e.ID, e)
	})
	return e, err
}

// inGuidance reports whether the district of subdistrictID lists category.
func inGuidance(tx *gorm.DB, subdistrictID int64, category string) (bool, error) {
	var n int64
	err := tx.Table("guidance_entries g").Joins("JOIN subdistricts s ON s.district_id = g.district_id").
		Where("s.id = ? AND g.category_code = ?", subdistrictID, category).Count(&n).Error
	return n > 0, err
}
