// Package place holds districts (区), subdistricts (街道) and communities (社区)
// with their household counts. Districts and subdistricts are public geography;
// communities belong to their subdistrict and are scoped like every tenant record.
package place

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// District is a city district (区), owner of the guidance catalog and certification.
type District struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	NameZh    string    `json:"name_zh"`
	NameEn    string    `json:"name_en"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Subdistrict is a subdistrict office (街道), the buyer of services.
type Subdistrict struct {
	ID         int64     `json:"id"`
	DistrictID int64     `json:"district_id"`
	Code       string    `json:"code"`
	NameZh     string    `json:"name_zh"`
	NameEn     string    `json:"name_en"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Community is a residential community (社区) where services are delivered.
type Community struct {
	ID            int64     `json:"id"`
	SubdistrictID int64     `json:"subdistrict_id"`
	Code          string    `json:"code"`
	NameZh        string    `json:"name_zh"`
	NameEn        string    `json:"name_en"`
	Households    int       `json:"households"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Errors returned by the Service.
var (
	ErrDuplicate = apperr.New(apperr.Conflict, "place.duplicate", "a place with this code or name already exists")
)

// Service manages places.
type Service struct {
	db    *gorm.DB
	clock clock.Clock
}

// NewService returns a Service on db.
func NewService(db *gorm.DB, c clock.Clock) *Service { return &Service{db: db, clock: c} }

var (
	districtCode    = regexp.MustCompile(`^[0-9]{6}$`)
	subdistrictCode = regexp.MustCompile(`^[0-9]{9}$`)
	communityCode   = regexp.MustCompile(`^[0-9]{12}$`)
)

// DistrictInput is what a platform admin sets on a district.
type DistrictInput struct {
	Code   string
	NameZh string
	NameEn string
}

func (in *DistrictInput) validate() error {
	in.NameZh, in.NameEn = strings.TrimSpace(in.NameZh), strings.TrimSpace(in.NameEn)
	var f apperr.Fields
	f.Check(districtCode.MatchString(in.Code), "code", "must be the 6-digit administrative division code")
	f.Check(in.NameZh != "" && len(in.NameZh) <= 200, "name_zh", "is required (at most 200 bytes)")
	f.Check(len(in.NameEn) <= 200, "name_en", "must be at most 200 bytes")
	return f.Err()
}

// ListDistricts returns every district by code.
func (s *Service) ListDistricts(ctx context.Context) ([]District, error) {
	var out []District
	err := s.db.WithContext(ctx).Order("code").Find(&out).Error
	return out, err
}

// GetDistrict returns one district or apperr.ErrNotFound.
func (s *Service) GetDistrict(ctx context.Context, id int64) (District, error) {
	var d District
	err := s.db.WithContext(ctx).Take(&d, id).Error
	return d, notFound(err)
}

// CreateDistrict adds a district. It returns ErrDuplicate for a code in use.
func (s *Service) CreateDistrict(ctx context.Context, by access.Actor, in DistrictInput) (District, error) {
	if err := in.validate(); err != nil {
		return District{}, err
	}
	now := s.clock.Now()
	d := District{Code: in.Code, NameZh: in.NameZh, NameEn: in.NameEn, CreatedAt: now, UpdatedAt: now}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&d).Error; err != nil {
			return duplicate(err)
		}
		return audit.Record(tx, by, "district.create", "district", d.ID, d)
	})
	return d, err
}

// UpdateDistrict replaces a district's code and names.
func (s *Service) UpdateDistrict(ctx context.Context, by access.Actor, id int64, in DistrictInput) (District, error) {
	return s.EditDistrict(ctx, by, id, func(cur *DistrictInput) { *cur = in })
}

// EditDistrict changes a district: edit gets its current values, read under
// the row lock, so concurrent partial edits do not undo each other.
func (s *Service) EditDistrict(ctx context.Context, by access.Actor, id int64, edit func(*DistrictInput)) (District, error) {
	var d District
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Take(&d, id).Error; err != nil {
			return notFound(err)
		}
		in := DistrictInput{Code: d.Code, NameZh: d.NameZh, NameEn: d.NameEn}
		edit(&in)
		if err := in.validate(); err != nil {
			return err
		}
		d.Code, d.NameZh, d.NameEn, d.UpdatedAt = in.Code, in.NameZh, in.NameEn, s.clock.Now()
		if err := tx.Select("code", "name_zh", "name_en", "updated_at").UpdateColumns(&d).Error; err != nil {
			return duplicate(err)
		}
		return audit.Record(tx, by, "district.update", "district", d.ID, d)
	})
	return d, err
}

// SubdistrictInput is what a platform admin sets on a subdistrict.
type SubdistrictInput struct {
	DistrictID int64
	Code       string
	NameZh     string
	NameEn     string
}

func (in *SubdistrictInput) validate() error {
	in.NameZh, in.NameEn = strings.TrimSpace(in.NameZh), strings.TrimSpace(in.NameEn)
	var f apperr.Fields
	f.Check(in.DistrictID > 0, "district_id", "is required")
	f.Check(subdistrictCode.MatchString(in.Code), "code", "must be the 9-digit township-level division code")
	f.Check(in.NameZh != "" && len(in.NameZh) <= 200, "name_zh", "is required (at most 200 bytes)")
	f.Check(len(in.NameEn) <= 200, "name_en", "must be at most 200 bytes")
	return f.Err()
}

// ListSubdistricts returns the subdistricts, of one district when districtID is not 0.
func (s *Service) ListSubdistricts(ctx context.Context, districtID int64) ([]Subdistrict, error) {
	q := s.db.WithContext(ctx).Order("code")
	if districtID != 0 {
		q = q.Where("district_id = ?", districtID)
	}
	var out []Subdistrict
	return out, q.Find(&out).Error
}

// GetSubdistrict returns one subdistrict or apperr.ErrNotFound.
func (s *Service) GetSubdistrict(ctx context.Context, id int64) (Subdistrict, error) {
	var d Subdistrict
	err := s.db.WithContext(ctx).Take(&d, id).Error
	return d, notFound(err)
}

// CreateSubdistrict adds a subdistrict to a district.
func (s *Service) CreateSubdistrict(ctx context.Context, by access.Actor, in SubdistrictInput) (Subdistrict, error) {
	if err := in.validate(); err != nil {
		return Subdistrict{}, err
	}
	now := s.clock.Now()
	d := Subdistrict{DistrictID: in.DistrictID, Code: in.Code, NameZh: in.NameZh, NameEn: in.NameEn, CreatedAt: now, UpdatedAt: now}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&d).Error; err != nil {
			return foreignKey(duplicate(err), "district_id")
		}
		return audit.Record(tx, by, "subdistrict.create", "subdistrict", d.ID, d)
	})
	return d, err
}

// UpdateSubdistrict replaces a subdistrict's code and names; it cannot move districts.
func (s *Service) UpdateSubdistrict(ctx context.Context, by access.Actor, id int64, in SubdistrictInput) (Subdistrict, error) {
	return s.EditSubdistrict(ctx, by, id, func(cur *SubdistrictInput) { *cur = in })
}

// EditSubdistrict changes a subdistrict's code and names: edit gets its
// current values, read under the row lock. It cannot move districts.
func (s *Service) EditSubdistrict(ctx context.Context, by access.Actor, id int64, edit func(*SubdistrictInput)) (Subdistrict, error) {
	var d Subdistrict
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Take(&d, id).Error; err != nil {
			return notFound(err)
		}
		in := SubdistrictInput{Code: d.Code, NameZh: d.NameZh, NameEn: d.NameEn}
		edit(&in)
		in.DistrictID = d.DistrictID
		if err := in.validate(); err != nil {
			return err
		}
		d.Code, d.NameZh, d.NameEn, d.UpdatedAt = in.Code, in.NameZh, in.NameEn, s.clock.Now()
		if err := tx.Select("code", "name_zh", "name_en", "updated_at").UpdateColumns(&d).Error; err != nil {
			return duplicate(err)
		}
		return audit.Record(tx, by, "subdistrict.update", "subdistrict", d.ID, d)
	})
	return d, err
}

// CommunityInput is what an officer sets on a community.
type CommunityInput struct {
	SubdistrictID int64
	Code          string
	NameZh        string
	NameEn        string
	Households    int
}

func (in *CommunityInput) validate() error {
	in.NameZh, in.NameEn = strings.TrimSpace(in.NameZh), strings.TrimSpace(in.NameEn)
	var f apperr.Fields
	f.Check(in.SubdistrictID > 0, "subdistrict_id", "is required")
	f.Check(communityCode.MatchString(in.Code), "code", "must be the 12-digit village-level division code")
	f.Check(in.NameZh != "" && len(in.NameZh) <= 200, "name_zh", "is required (at most 200 bytes)")
	f.Check(len(in.NameEn) <= 200, "name_en", "must be at most 200 bytes")
	f.Check(in.Households >= 0 && in.Households <= 1_000_000, "households", "must be between 0 and 1000000")
	return f.Err()
}

// ScopeCommunities restricts q (on communities) to the subdistricts by reads
// (access.Actor.Subdistricts).
func ScopeCommunities(q *gorm.DB, by access.Actor) *gorm.DB {
	cond, args := by.Subdistricts().Where("communities.subdistrict_id")
	return q.Where(cond, args...)
}

// CommunitiesByID returns the communities with these ids, by code. Which
// communities a published transfer item serves is public, so this is unscoped.
func (s *Service) CommunitiesByID(ctx context.Context, ids []int64) ([]Community, error) {
	out := []Community{}
	if len(ids) == 0 {
		return out, nil
	}
	return out, s.db.WithContext(ctx).Where("id IN ?", ids).Order("code").Find(&out).Error
}

// PublicCommunities returns every community, by code. Which communities
// exist is public: a resident picks hers to complain or to sign up.
func (s *Service) PublicCommunities(ctx context.Context) ([]Community, error) {
	out := []Community{}
	return out, s.db.WithContext(ctx).Order("code").Find(&out).Error
}

// ListCommunities returns the communities by may see, by code.
func (s *Service) ListCommunities(ctx context.Context, by access.Actor) ([]Community, error) {
	var out []Community
	err := ScopeCommunities(s.db.WithContext(ctx), by).Order("code").Find(&out).Error
	return out, err
}

// GetCommunity returns a community within by's scope, else apperr.ErrNotFound.
func (s *Service) GetCommunity(ctx context.Context, by access.Actor, id int64) (Community, error) {
	var c Community
	err := ScopeCommunities(s.db.WithContext(ctx), by).Take(&c, id).Error
	return c, notFound(err)
}

// CreateCommunity adds a community. A platform admin may add one anywhere, a
// subdistrict officer only to its own subdistrict (another one answers an
// Invalid error naming subdistrict_id); other roles get apperr.ErrForbidden.
func (s *Service) CreateCommunity(ctx context.Context, by access.Actor, in CommunityInput) (Community, error) {
	if by.Role != access.PlatformAdmin && by.Role.ScopeKind() != access.ScopeSubdistrict {
		return Community{}, apperr.ErrForbidden
	}
	if by.Role.ScopeKind() == access.ScopeSubdistrict && in.SubdistrictID == 0 {
		in.SubdistrictID = by.Scope.SubdistrictID
	}
	if err := in.validate(); err != nil {
		return Community{}, err
	}
	if by.Role.ScopeKind() == access.ScopeSubdistrict && in.SubdistrictID != by.Scope.SubdistrictID {
		return Community{}, apperr.InvalidField("subdistrict_id", "is not your subdistrict")
	}
	now := s.clock.Now()
	c := Community{SubdistrictID: in.SubdistrictID, Code: in.Code, NameZh: in.NameZh, NameEn: in.NameEn,
		Households: in.Households, CreatedAt: now, UpdatedAt: now}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&c).Error; err != nil {
			return foreignKey(duplicate(err), "subdistrict_id")
		}
		return audit.Record(tx, by, "community.create", "community", c.ID, c)
	})
	return c, err
}

// UpdateCommunity changes a community's code, names and household count.
func (s *Service) UpdateCommunity(ctx context.Context, by access.Actor, id int64, in CommunityInput) (Community, error) {
	return s.EditCommunity(ctx, by, id, func(cur *CommunityInput) { *cur = in })
}

// EditCommunity changes a community within by's scope: edit gets its current
// values, read under the row lock, so concurrent partial edits do not undo
// each other. It cannot move subdistricts.
func (s *Service) EditCommunity(ctx context.Context, by access.Actor, id int64, edit func(*CommunityInput)) (Community, error) {
	var c Community
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := ScopeCommunities(tx, by).Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Take(&c, id).Error; err != nil {
			return notFound(err)
		}
		in := CommunityInput{Code: c.Code, NameZh: c.NameZh, NameEn: c.NameEn, Households: c.Households}
		edit(&in)
		in.SubdistrictID = c.SubdistrictID
		if err := in.validate(); err != nil {
			return err
		}
		before := c
		c.Code, c.NameZh, c.NameEn, c.Households, c.UpdatedAt = in.Code, in.NameZh, in.NameEn, in.Households, s.clock.Now()
		if err := tx.Select("code", "name_zh", "name_en", "households", "updated_at").UpdateColumns(&c).Error; err != nil {
			return duplicate(err)
		}
		return audit.Record(tx, by, "community.update", "community", c.ID, map[string]any{"before": before, "after": c})
	})
	return c, err
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.ErrNotFound
	}
	return err
}

func duplicate(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrDuplicate
	}
	return err
}

func foreignKey(err error, field string) error {
	if errors.Is(err, gorm.ErrForeignKeyViolated) {
		return apperr.InvalidField(field, "does not exist")
	}
	if err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	return nil
}
