// Package org holds social organizations (社会组织): their identity (unified
// social credit code), profile and staffing, self-registration and members,
// evidence documents, and certifications (认定) with the public directory of
// capable organizations (有承接能力的社会组织目录).
package org

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// Type is the legal form of an organization.
type Type string

// The organization types.
const (
	SocialGroup              Type = "social_group"               // 社会团体
	SocialServiceInstitution Type = "social_service_institution" // 社会服务机构
	Foundation               Type = "foundation"                 // 基金会
	Enterprise               Type = "enterprise"                 // 企业
)

func (t Type) valid() bool {
	switch t {
	case SocialGroup, SocialServiceInstitution, Foundation, Enterprise:
		return true
	}
	return false
}

// Organization is a social organization's profile.
type Organization struct {
	ID                     int64      `json:"id"`
	CreditCode             string     `json:"credit_code"`
	LegalName              string     `json:"legal_name"`
	OrgType                Type       `json:"org_type"`
	DistrictID             int64      `json:"district_id"`
	RegistrationDate       *time.Time `json:"registration_date" gorm:"type:date"`
	LegalRepresentative    string     `json:"legal_representative"`
	ContactName            string     `json:"contact_name"`
	ContactPhone           string     `json:"contact_phone"`
	ContactEmail           string     `json:"contact_email"`
	Address                string     `json:"address"`
	StaffCount             int        `json:"staff_count"`
	CertifiedSocialWorkers int        `json:"certified_social_workers"`
	Status                 string     `json:"status"`
	CreatedAt              time.Time  `json:"created_at"`
	UpdatedAt              time.Time  `json:"updated_at"`
}

// Errors returned by the Service.
var (
	ErrDuplicateCode = apperr.New(apperr.Conflict, "organization.duplicate_credit_code", "an organization with this credit code is already registered")
)

// Service manages organizations.
type Service struct {
	db    *gorm.DB
	clock clock.Clock
	opts  Options
}

// Options are the settings a Service needs beyond the database and the clock.
type Options struct {
	// Argon2 hashes the passwords of accounts created by Signup and AddMember.
	Argon2 config.Argon2
	// Uploads is where SaveDocument stores evidence and how large it may be.
	Uploads config.Uploads
}

// NewService returns a Service on db.
func NewService(db *gorm.DB, c clock.Clock, opts Options) *Service {
	return &Service{db: db, clock: c, opts: opts}
}

// Input is an organization's profile as submitted.
type Input struct {
	CreditCode             string
	LegalName              string
	OrgType                Type
	DistrictID             int64
	RegistrationDate       *time.Time
	LegalRepresentative    string
	ContactName            string
	ContactPhone           string
	ContactEmail           string
	Address                string
	StaffCount             int
	CertifiedSocialWorkers int
}

func (in *Input) validate(now time.Time) error {
	in.CreditCode = strings.ToUpper(strings.TrimSpace(in.CreditCode))
	for _, p := range []*string{&in.LegalName, &in.LegalRepresentative, &in.ContactName, &in.ContactPhone, &in.ContactEmail, &in.Address} {
		*p = strings.TrimSpace(*p)
	}
	// In the order of the organization's fields, which the errors keep.
	var f apperr.Fields
	f.Check(in.LegalName != "" && len(in.LegalName) <= 300, "legal_name", "is required (at most 300 bytes)")
	f.Check(ValidCreditCode(in.CreditCode), "credit_code", "is not a valid unified social credit code (GB 32100-2015)")
	f.Check(in.DistrictID > 0, "district_id", "is required")
	f.Check(in.OrgType.valid(), "org_type", "must be social_group, social_service_institution, foundation or enterprise")
	f.Check(in.RegistrationDate == nil || !in.RegistrationDate.After(now), "registration_date", "cannot be in the future")
	f.Check(len(in.LegalRepresentative) <= 100, "legal_representative", "must be at most 100 bytes")
	f.Check(len(in.ContactName) <= 100, "contact_name", "must be at most 100 bytes")
	f.Check(len(in.ContactPhone) <= 40, "contact_phone", "must be at most 40 bytes")
	if in.ContactEmail != "" {
		_, err := mail.ParseAddress(in.ContactEmail)
		f.Check(err == nil && len(in.ContactEmail) <= 200, "contact_email", "is not an e-mail address")
	}
	f.Check(len(in.Address) <= 300, "address", "must be at most 300 bytes")
	f.Check(in.StaffCount >= 0 && in.StaffCount <= 100000, "staff_count", "must be between 0 and 100000")
	f.Check(in.CertifiedSocialWorkers >= 0 && in.CertifiedSocialWorkers <= in.StaffCount,
		"certified_social_workers", "must be between 0 and staff_count")
	return f.Err()
}

// Scope restricts q (on organizations) to what by may see: all for a platform
// admin, the district's for district roles, its own for organization staff,
// none for anyone else.
func Scope(q *gorm.DB, by access.Actor) *gorm.DB {
	switch {
	case by.Role == access.PlatformAdmin:
		return q
	case by.Role.ScopeKind() == access.ScopeDistrict:
		return q.Where("organizations.district_id = ?", by.Scope.DistrictID)
	case by.Role.ScopeKind() == access.ScopeOrganization:
		return q.Where("organizations.id = ?", by.Scope.OrganizationID)
	default:
		return q.Where("false")
	}
}

// List returns the organizations by may see, by legal name.
func (s *Service) List(ctx context.Context, by access.Actor) ([]Organization, error) {
	var out []Organization
	return out, Scope(s.db.WithContext(ctx), by).Order("legal_name, id").Find(&out).Error
}

// Get returns an organization within by's scope, else apperr.ErrNotFound.
func (s *Service) Get(ctx context.Context, by access.Actor, id int64) (Organization, error) {
	var o Organization
	err := Scope(s.db.WithContext(ctx), by).Take(&o, id).Error
	return o, notFound(err)
}

// LegalNames returns the legal names of the organizations with ids, by id. A
// name is public (the capable-organization directory, award notices), so no
// scope applies.
func (s *Service) LegalNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Organization
	if err := s.db.WithContext(ctx).Select("id", "legal_name").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read organization names: %w", err)
	}
	for _, o := range rows {
		out[o.ID] = o.LegalName
	}
	return out, nil
}

// ContactEmail returns the contact e-mail address of organization id ("" when
// it gave none), apperr.ErrNotFound for no such organization.
func ContactEmail(tx *gorm.DB, id int64) (string, error) {
	var o Organization
	if err := tx.Select("id", "contact_email").Take(&o, id).Error; err != nil {
		return "", notFound(fmt.Errorf("read the contact e-mail of organization %d: %w", id, err))
	}
	return o.ContactEmail, nil
}

// Create registers an organization. A district admin registers only in its own
// district. It returns ErrDuplicateCode for a credit code already registered.
func (s *Service) Create(ctx context.Context, by access.Actor, in Input) (Organization, error) {
	if by.Role.ScopeKind() == access.ScopeDistrict && in.DistrictID == 0 {
		in.DistrictID = by.Scope.DistrictID
	}
	now := s.clock.Now()
	if err := in.validate(now); err != nil {
		return Organization{}, err
	}
	if by.Role.ScopeKind() == access.ScopeDistrict && in.DistrictID != by.Scope.DistrictID {
		return Organization{}, apperr.InvalidField("district_id", "is not your district")
	}
	var o Organization
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		o, err = CreateTx(tx, by, in, now)
		return err
	})
	return o, err
}

// CreateTx inserts an already validated organization inside tx, with its audit entry.
func CreateTx(tx *gorm.DB, by access.Actor, in Input, now time.Time) (Organization, error) {
	o := Organization{Status: "active", CreatedAt: now, UpdatedAt: now}
	in.apply(&o)
	if err := tx.Create(&o).Error; err != nil {
		switch {
		case errors.Is(err, gorm.ErrDuplicatedKey):
			return o, ErrDuplicateCode
		case errors.Is(err, gorm.ErrForeignKeyViolated):
			return o, apperr.InvalidField("district_id", "does not exist")
		}
		return o, fmt.Errorf("insert organization: %w", err)
	}
	return o, audit.Record(tx, by, "organization.create", "organization", o.ID, o)
}

func (in Input) apply(o *Organization) {
	o.CreditCode, o.LegalName, o.OrgType, o.DistrictID = in.CreditCode, in.LegalName, in.OrgType, in.DistrictID
	o.RegistrationDate, o.LegalRepresentative = in.RegistrationDate, in.LegalRepresentative
	o.ContactName, o.ContactPhone, o.ContactEmail, o.Address = in.ContactName, in.ContactPhone, in.ContactEmail, in.Address
	o.StaffCount, o.CertifiedSocialWorkers = in.StaffCount, in.CertifiedSocialWorkers
}

// Update replaces an organization's profile within by's scope. The credit code
// and district are identity and do not change here.
func (s *Service) Update(ctx context.Context, by access.Actor, id int64, in Input) (Organization, error) {
	return s.Edit(ctx, by, id, func(cur *Input) { *cur = in })
}

// Edit changes an organization's profile within by's scope: edit gets the
// current profile, read under the row lock, so concurrent partial edits do not
// undo each other. The credit code and district do not change.
func (s *Service) Edit(ctx context.Context, by access.Actor, id int64, edit func(*Input)) (Organization, error) {
	if by.Role == access.OrgMember {
		return Organization{}, apperr.ErrForbidden // members read the profile; its admin keeps it
	}
	var o Organization
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := Scope(tx, by).Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Take(&o, id).Error; err != nil {
			return notFound(err)
		}
		now := s.clock.Now()
		in := Input{LegalName: o.LegalName, OrgType: o.OrgType, RegistrationDate: o.RegistrationDate,
			LegalRepresentative: o.LegalRepresentative, ContactName: o.ContactName, ContactPhone: o.ContactPhone,
			ContactEmail: o.ContactEmail, Address: o.Address, StaffCount: o.StaffCount, CertifiedSocialWorkers: o.CertifiedSocialWorkers}
		edit(&in)
		in.CreditCode, in.DistrictID = o.CreditCode, o.DistrictID
		if err := in.validate(now); err != nil {
			return err
		}
		before := o
		in.apply(&o)
		o.UpdatedAt = now
		if err := tx.Model(&o).Omit("id", "credit_code", "district_id", "status", "created_at").Updates(map[string]any{
			"legal_name": o.LegalName, "org_type": o.OrgType, "registration_date": o.RegistrationDate,
			"legal_representative": o.LegalRepresentative, "contact_name": o.ContactName, "contact_phone": o.ContactPhone,
			"contact_email": o.ContactEmail, "address": o.Address, "staff_count": o.StaffCount,
			"certified_social_workers": o.CertifiedSocialWorkers, "updated_at": o.UpdatedAt,
		}).Error; err != nil {
			return fmt.Errorf("update organization %d: %w", id, err)
		}
		return audit.Record(tx, by, "organization.update", "organization", o.ID, map[string]any{"before": before, "after": o})
	})
	return o, err
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.ErrNotFound
	}
	return err
}
