package org

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// CertStatus is a certification's stored state, or its effective state.
type CertStatus string

// The stored states of a certification (认定). An application is pending until
// a district admin approves or rejects it; an approved certification may be
// suspended, and an approved or suspended one revoked.
const (
	CertPending   CertStatus = "pending"
	CertApproved  CertStatus = "approved"
	CertRejected  CertStatus = "rejected"
	CertSuspended CertStatus = "suspended"
	CertRevoked   CertStatus = "revoked"
)

// The effective states of an approved certification, judged by today's date in
// China against its validity [ValidFrom, ValidUntil).
const (
	CertActive      CertStatus = "active"
	CertExpired     CertStatus = "expired"
	CertNotYetValid CertStatus = "not_yet_valid"
)

// Certification is a certification (认定): the organization may undertake these
// service categories in this district, at this grade (1A–5A), from ValidFrom
// through ValidThrough, both days included, as the certificate states them.
type Certification struct {
	ID               int64      `json:"id"`
	OrganizationID   int64      `json:"organization_id"`
	OrganizationName string     `json:"organization_name"`
	DistrictID       int64      `json:"district_id"`
	Status           CertStatus `json:"status"`
	// EffectiveStatus is Status, except that an approved certification is
	// active, expired or not_yet_valid according to today's date in China.
	EffectiveStatus CertStatus  `json:"effective_status"`
	Categories      []string    `json:"categories"`
	Statement       string      `json:"statement"`
	Grade           *int        `json:"grade"`
	ValidFrom       *civil.Date `json:"valid_from"`
	ValidThrough    *civil.Date `json:"valid_through"`
	DecisionReason  string      `json:"decision_reason"`
	// DeclaredSocialWorkers is the number of certified social workers the
	// organization declares today; VerifiedSocialWorkers the number its
	// district admin verified at the approval or since, nil before one is.
	// Eligibility counts the lower of the two.
	DeclaredSocialWorkers   int        `json:"declared_social_workers"`
	VerifiedSocialWorkers   *int       `json:"verified_social_workers"`
	SocialWorkersVerifiedAt *time.Time `json:"social_workers_verified_at"`
	DocumentIDs             []int64    `json:"document_ids"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
	DecidedAt               *time.Time `json:"decided_at"`
}

// effective returns the status of a certification with this stored status and
// validity on the given day.
func effective(status CertStatus, from, until *civil.Date, today civil.Date) CertStatus {
	if status != CertApproved || from == nil || until == nil {
		return status
	}
	switch {
	case today.Before(*from):
		return CertNotYetValid
	case !today.Before(*until):
		return CertExpired
	default:
		return CertActive
	}
}

// Errors of certifications.
var (
	ErrPendingExists = apperr.New(apperr.Conflict, "certification.pending_exists",
		"the organization already has a pending application in this district")
	ErrNotPending = apperr.New(apperr.Conflict, "certification.not_pending",
		"only a pending application can be approved or rejected")
	ErrNotApproved = apperr.New(apperr.Conflict, "certification.not_approved",
		"only an approved certification can be suspended")
	ErrNotRevocable = apperr.New(apperr.Conflict, "certification.not_revocable",
		"only an approved or suspended certification can be revoked")
	ErrCertExpired = &apperr.Error{Kind: apperr.Invalid, Code: "certification.expired",
		Message: "the certification would already have ended",
		Fields:  []apperr.FieldError{{Field: "valid_through", Message: "must not be before today"}}}
	ErrNotVerifiable = apperr.New(apperr.Conflict, "certification.not_verifiable",
		"only an approved or suspended certification's social workers can be verified")
	ErrOrgSuspended = apperr.New(apperr.Conflict, "organization.suspended", "the organization is suspended")
)

// certRecord is one row of certifications; OrganizationName is read from the
// joined organization when listing.
type certRecord struct {
	ID               int64
	OrganizationID   int64
	OrganizationName string `gorm:"->"`
	// DeclaredSocialWorkers is read from the joined organization.
	DeclaredSocialWorkers int `gorm:"->"`
	DistrictID            int64
	Status                CertStatus
	Statement             string
	Grade                 *int
	ValidFrom             *civil.Date
	ValidUntil            *civil.Date
	DecisionReason        string
	AppliedBy             int64
	DecidedBy             *int64
	DecidedAt             *time.Time
	// The social workers verified by a district admin, who and when.
	VerifiedSocialWorkers   *int
	SocialWorkersVerifiedBy *int64
	SocialWorkersVerifiedAt *time.Time
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

func (certRecord) TableName() string { return "certifications" }

type certCategory struct {
	CertificationID int64
	CategoryCode    string
}

func (certCategory) TableName() string { return "certification_categories" }

type certDocument struct {
	CertificationID int64
	DocumentID      int64
}

func (certDocument) TableName() string { return "certification_documents" }

// ApplyInput is an organization's application for certification.
type ApplyInput struct {
	DistrictID  int64
	Categories  []string // service category codes from the district's guidance catalog, or EvaluationCategory
	Statement   string   // the organization's case: experience, staff, premises
	DocumentIDs []int64  // evidence, uploaded with SaveDocument
}

const (
	maxStatement      = 4000
	maxCertCategories = 16
	maxCertDocuments  = 50
	maxReason         = 2000
)

func (in *ApplyInput) validate() error {
	in.Statement = strings.TrimSpace(in.Statement)
	var f apperr.Fields
	f.Check(in.DistrictID > 0, "district_id", "is required")
	cats := make([]string, 0, len(in.Categories))
	for _, c := range in.Categories {
		cats = append(cats, strings.TrimSpace(c))
	}
	in.Categories = cats
	switch {
	case len(cats) == 0:
		f.Add("categories", "name at least one service category")
	case len(cats) > maxCertCategories:
		f.Add("categories", fmt.Sprintf("name at most %d service categories", maxCertCategories))
	case hasDuplicates(cats):
		f.Add("categories", "name each category once")
	case slices.Contains(cats, ""):
		f.Add("categories", "must not be blank")
	}
	f.Check(len(in.Statement) <= maxStatement, "statement", fmt.Sprintf("must be at most %d bytes", maxStatement))
	switch {
	case len(in.DocumentIDs) > maxCertDocuments:
		f.Add("document_ids", fmt.Sprintf("name at most %d documents", maxCertDocuments))
	case hasDuplicates(in.DocumentIDs):
		f.Add("document_ids", "name each document once")
	}
	return f.Err()
}

func hasDuplicates[T comparable](list []T) bool {
	seen := make(map[T]bool, len(list))
	for _, v := range list {
		if seen[v] {
			return true
		}
		seen[v] = true
	}
	return false
}

// Apply files an application for certification by the organization of by, who
// must be its org_admin (any other role gets apperr.ErrForbidden). Each category
// must be in the district's guidance catalog and each document the
// organization's own, else apperr.Invalid naming "categories" or
// "document_ids". An organization holds at most one pending application per
// district (ErrPendingExists), and a suspended organization cannot apply
// (ErrOrgSuspended). The application, its certification.apply audit entry and
// the notification to the district's admins are written in one transaction.
func (s *Service) Apply(ctx context.Context, by access.Actor, in ApplyInput) (Certification, error) {
	if by.Role != access.OrgAdmin || by.Scope.OrganizationID == 0 {
		return Certification{}, apperr.ErrForbidden
	}
	if err := in.validate(); err != nil {
		return Certification{}, err
	}
	orgID, now := by.Scope.OrganizationID, s.clock.Now()
	var out Certification
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The organization's row serializes its applications, so two at once
		// cannot both find no pending one.
		var o Organization
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Take(&o, orgID).Error; err != nil {
			return notFound(err)
		}
		if o.Status != "active" {
			return ErrOrgSuspended
		}
		if err := checkApplication(tx, orgID, in); err != nil {
			return err
		}
		var pending int64
		if err := tx.Model(&certRecord{}).Where("organization_id = ? AND district_id = ? AND status = ?",
			orgID, in.DistrictID, CertPending).Count(&pending).Error; err != nil {
			return fmt.Errorf("count pending applications: %w", err)
		}
		if pending > 0 {
			return ErrPendingExists
		}
		c := certRecord{OrganizationID: orgID, DistrictID: in.DistrictID, Status: CertPending, Statement: in.Statement,
			AppliedBy: by.UserID, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&c).Error; err != nil {
			return fmt.Errorf("insert certification: %w", err)
		}
		cats := make([]certCategory, len(in.Categories))
		for i, code := range in.Categories {
			cats[i] = certCategory{CertificationID: c.ID, CategoryCode: code}
		}
		if err := tx.Create(&cats).Error; err != nil {
			return fmt.Errorf("insert certification categories: %w", err)
		}
		if len(in.DocumentIDs) > 0 {
			docs := make([]certDocument, len(in.DocumentIDs))
			for i, id := range in.DocumentIDs {
				docs[i] = certDocument{CertificationID: c.ID, DocumentID: id}
			}
			if err := tx.Create(&docs).Error; err != nil {
				return fmt.Errorf("insert certification documents: %w", err)
			}
		}
		if err := audit.Record(tx, by, "certification.apply", "certification", c.ID, map[string]any{
			"organization_id": orgID, "district_id": in.DistrictID, "categories": in.Categories,
			"document_ids": in.DocumentIDs, "statement": in.Statement}); err != nil {
			return err
		}
		if err := notifyApplied(tx, c, o.LegalName, now); err != nil {
			return err
		}
		var err error
		out, err = getCert(tx, c.ID, civil.ChinaDate(now))
		return err
	})
	return out, err
}

// checkApplication checks the application against the database: its
// categories in the district's guidance catalog (or of kind evaluation, as
// EvaluationCategory is: granted by any district, outside its catalog), its
// documents the organization's.
func checkApplication(tx *gorm.DB, orgID int64, in ApplyInput) error {
	var f apperr.Fields
	var listed []string
	if err := tx.Raw(`SELECT category_code FROM guidance_entries WHERE district_id = ? AND category_code IN ?
		UNION SELECT code FROM service_categories WHERE kind = 'evaluation' AND code IN ? AND EXISTS (SELECT 1 FROM districts WHERE id = ?)`,
		in.DistrictID, in.Categories, in.Categories, in.DistrictID).Scan(&listed).Error; err != nil {
		return fmt.Errorf("read guidance catalog: %w", err)
	}
	if missing := without(in.Categories, listed); len(missing) > 0 {
		f.Add("categories", "not in the district's guidance catalog: "+strings.Join(missing, ", "))
	}
	if len(in.DocumentIDs) > 0 {
		var owned []int64
		if err := tx.Model(&Document{}).Where("organization_id = ? AND id IN ?", orgID, in.DocumentIDs).
			Pluck("id", &owned).Error; err != nil {
			return fmt.Errorf("read documents: %w", err)
		}
		if missing := without(in.DocumentIDs, owned); len(missing) > 0 {
			f.Add("document_ids", fmt.Sprintf("not documents of this organization: %v", missing))
		}
	}
	return f.Err()
}

// without returns the elements of list that are not in drop, in list's order.
func without[T comparable](list, drop []T) []T {
	var out []T
	for _, v := range list {
		if !slices.Contains(drop, v) {
			out = append(out, v)
		}
	}
	return out
}

// ApproveInput is a district admin's approval of an application.
type ApproveInput struct {
	Grade        int        // evaluation grade, 1 to 5 (1A–5A)
	ValidFrom    civil.Date // first day of validity
	ValidThrough civil.Date // last day of validity; not before ValidFrom nor today
	// VerifiedSocialWorkers is the number of certified social workers the
	// district admin verified (required, 0 to MaxSocialWorkers).
	VerifiedSocialWorkers *int
}

// MaxSocialWorkers bounds a verified number of certified social workers.
const MaxSocialWorkers = 100000

// checkSocialWorkers adds the error of a verified number of social workers to f.
func checkSocialWorkers(f *apperr.Fields, n *int) {
	switch {
	case n == nil:
		f.Add("verified_social_workers", "is required")
	case *n < 0 || *n > MaxSocialWorkers:
		f.Add("verified_social_workers", fmt.Sprintf("must be 0 to %d", MaxSocialWorkers))
	}
}

func (in ApproveInput) validate(today civil.Date) error {
	var f apperr.Fields
	f.Check(in.Grade >= 1 && in.Grade <= 5, "grade", "must be 1 to 5")
	f.Check(!in.ValidFrom.IsZero(), "valid_from", "is required")
	switch {
	case in.ValidThrough.IsZero():
		f.Add("valid_through", "is required")
	case !in.ValidFrom.IsZero() && in.ValidThrough.Before(in.ValidFrom):
		f.Add("valid_through", "must not be before valid_from")
	}
	checkSocialWorkers(&f, in.VerifiedSocialWorkers)
	if err := f.Err(); err != nil {
		return err
	}
	if in.ValidThrough.Before(today) {
		return ErrCertExpired
	}
	return nil
}

// Approve grants a pending application: the grade, the validity period
// from ValidFrom through ValidThrough (stored as the first day no longer valid,
// valid_until, so that "valid on day d" is valid_from <= d < valid_until) and
// the verified number of certified social workers. Only a district admin of the certification's
// district may decide: another district's admin gets apperr.ErrNotFound, any
// other role apperr.ErrForbidden. It returns apperr.Invalid for a bad grade or
// period, ErrCertExpired when ValidThrough is before today (in China), and
// ErrNotPending unless the application is pending. The change and its
// certification.approve audit entry are written in one transaction with the
// notification to the organization's users.
func (s *Service) Approve(ctx context.Context, by access.Actor, id int64, in ApproveInput) (Certification, error) {
	if by.Role != access.DistrictAdmin {
		return Certification{}, apperr.ErrForbidden
	}
	now := s.clock.Now()
	today := civil.ChinaDate(now)
	var out Certification
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Scope first: another district's certification is 404 whatever the input.
		c, err := lockCert(tx, by, id)
		if err != nil {
			return err
		}
		if err := in.validate(today); err != nil {
			return err
		}
		if c.Status != CertPending {
			return ErrNotPending
		}
		if err := moveCert(tx, c, CertApproved, ErrNotPending, map[string]any{
			"grade": in.Grade, "valid_from": in.ValidFrom, "valid_until": in.ValidThrough.AddDays(1), "decision_reason": "",
			"verified_social_workers": *in.VerifiedSocialWorkers, "social_workers_verified_by": by.UserID,
			"social_workers_verified_at": now, "decided_by": by.UserID, "decided_at": now, "updated_at": now}); err != nil {
			return err
		}
		if err := audit.Record(tx, by, "certification.approve", "certification", id, map[string]any{
			"organization_id": c.OrganizationID, "district_id": c.DistrictID, "from": c.Status, "to": CertApproved,
			"grade": in.Grade, "valid_from": in.ValidFrom.String(), "valid_through": in.ValidThrough.String(),
			"verified_social_workers": *in.VerifiedSocialWorkers}); err != nil {
			return err
		}
		if err := notifyDecided(tx, c, CertApproved, in.Grade, in.ValidThrough.String(), "", now); err != nil {
			return err
		}
		out, err = getCert(tx, id, today)
		return err
	})
	return out, err
}

// VerifySocialWorkers records a new verified number of certified social
// workers for an approved or suspended certification, as its district admin
// re-verifies it: the organization's own figure is self-declared, and
// eligibility counts the lower of the two. Access is as for Approve; it
// returns apperr.Invalid naming "verified_social_workers" for a number out of
// range and ErrNotVerifiable from any other state. The change and its
// certification.verify_social_workers audit entry are written in one
// transaction.
func (s *Service) VerifySocialWorkers(ctx context.Context, by access.Actor, id int64, n *int) (Certification, error) {
	if by.Role != access.DistrictAdmin {
		return Certification{}, apperr.ErrForbidden
	}
	now := s.clock.Now()
	var out Certification
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockCert(tx, by, id)
		if err != nil {
			return err
		}
		var f apperr.Fields
		checkSocialWorkers(&f, n)
		if err := f.Err(); err != nil {
			return err
		}
		if c.Status != CertApproved && c.Status != CertSuspended {
			return ErrNotVerifiable
		}
		if err := tx.Model(&certRecord{}).Where("id = ?", id).Updates(map[string]any{
			"verified_social_workers": *n, "social_workers_verified_by": by.UserID,
			"social_workers_verified_at": now, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("verify social workers of certification %d: %w", id, err)
		}
		if err := audit.Record(tx, by, "certification.verify_social_workers", "certification", id, map[string]any{
			"organization_id": c.OrganizationID, "district_id": c.DistrictID,
			"from": c.VerifiedSocialWorkers, "to": *n}); err != nil {
			return err
		}
		out, err = getCert(tx, id, civil.ChinaDate(now))
		return err
	})
	return out, err
}

// dayBefore returns the day before until, the last day of a validity that
// ends (exclusively) at until; nil for nil.
func dayBefore(until *civil.Date) *civil.Date {
	if until == nil {
		return nil
	}
	d := until.AddDays(-1)
	return &d
}

// Decisions are the decisions on a certification that take a reason, as Decide
// names them.
var Decisions = []string{"reject", "suspend", "revoke"}

// Decide makes one of Decisions on a certification, with a reason: Reject,
// Suspend or Revoke. An unknown decision is apperr.ErrNotFound; access and
// errors are otherwise those of the decision.
func (s *Service) Decide(ctx context.Context, by access.Actor, id int64, decision, reason string) (Certification, error) {
	switch decision {
	case "reject":
		return s.Reject(ctx, by, id, reason)
	case "suspend":
		return s.Suspend(ctx, by, id, reason)
	case "revoke":
		return s.Revoke(ctx, by, id, reason)
	}
	return Certification{}, apperr.ErrNotFound
}

// Reject refuses a pending application with a reason. Access and errors are
// as for Approve; a missing reason returns apperr.Invalid naming "reason".
func (s *Service) Reject(ctx context.Context, by access.Actor, id int64, reason string) (Certification, error) {
	return s.decide(ctx, by, id, reason, "certification.reject", CertRejected, ErrNotPending, CertPending)
}

// Suspend suspends an approved certification with a reason; the organization
// is not capable under it until it is revoked or a new one is approved. Access
// is as for Approve; it returns ErrNotApproved unless the certification is
// approved, apperr.Invalid naming "reason" without a reason.
func (s *Service) Suspend(ctx context.Context, by access.Actor, id int64, reason string) (Certification, error) {
	return s.decide(ctx, by, id, reason, "certification.suspend", CertSuspended, ErrNotApproved, CertApproved)
}

// Revoke ends an approved or suspended certification for good, with a reason.
// Access is as for Approve; it returns ErrNotRevocable from any other state,
// apperr.Invalid naming "reason" without a reason.
func (s *Service) Revoke(ctx context.Context, by access.Actor, id int64, reason string) (Certification, error) {
	return s.decide(ctx, by, id, reason, "certification.revoke", CertRevoked, ErrNotRevocable, CertApproved, CertSuspended)
}

// decide moves a certification from one of the from states to the to state
// with a reason, auditing it as action and telling the organization's users;
// notFrom is the error for any other state.
func (s *Service) decide(ctx context.Context, by access.Actor, id int64, reason, action string,
	to CertStatus, notFrom error, from ...CertStatus) (Certification, error) {
	if by.Role != access.DistrictAdmin {
		return Certification{}, apperr.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return Certification{}, apperr.InvalidField("reason", "is required")
	case len(reason) > maxReason:
		return Certification{}, apperr.InvalidField("reason", fmt.Sprintf("must be at most %d bytes", maxReason))
	}
	now := s.clock.Now()
	var out Certification
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockCert(tx, by, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, c.Status) {
			return notFrom
		}
		if err := moveCert(tx, c, to, notFrom, map[string]any{
			"decision_reason": reason, "decided_by": by.UserID, "decided_at": now, "updated_at": now}); err != nil {
			return err
		}
		if err := audit.Record(tx, by, action, "certification", id, map[string]any{
			"organization_id": c.OrganizationID, "district_id": c.DistrictID, "from": c.Status, "to": to,
			"reason": reason}); err != nil {
			return err
		}
		if err := notifyDecided(tx, c, to, 0, "", reason, now); err != nil {
			return err
		}
		out, err = getCert(tx, id, civil.ChinaDate(now))
		return err
	})
	return out, err
}

// lockCert locks a certification of the district admin by's district, else
// apperr.ErrNotFound.
func lockCert(tx *gorm.DB, by access.Actor, id int64) (certRecord, error) {
	var c certRecord
	err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).
		Where("id = ? AND district_id = ?", id, by.Scope.DistrictID).Take(&c).Error
	return c, notFound(err)
}

// moveCert changes c's status to to, with the other columns in set, provided
// it still has the status it was read with; else it returns notFrom.
func moveCert(tx *gorm.DB, c certRecord, to CertStatus, notFrom error, set map[string]any) error {
	set["status"] = to
	res := tx.Model(&certRecord{}).Where("id = ? AND status = ?", c.ID, c.Status).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("certification %d %s → %s: %w", c.ID, c.Status, to, res.Error)
	}
	if res.RowsAffected != 1 {
		return notFrom
	}
	return nil
}

// CertFilter narrows ListCertifications. Status is a stored state (pending,
// approved, rejected, suspended, revoked) or an effective one (active, expired,
// not_yet_valid); empty means any. DistrictID 0 means any district.
type CertFilter struct {
	Status     string
	DistrictID int64
}

// certScope restricts q (on certifications c) to what by may see: its own
// organization's for organization staff, its district's for a district admin,
// all for a platform admin, none for anyone else.
func certScope(q *gorm.DB, by access.Actor) *gorm.DB {
	switch by.Role {
	case access.PlatformAdmin:
		return q
	case access.DistrictAdmin:
		return q.Where("c.district_id = ?", by.Scope.DistrictID)
	case access.OrgAdmin, access.OrgMember:
		return q.Where("c.organization_id = ?", by.Scope.OrganizationID)
	default:
		return q.Where("false")
	}
}

// activeOn restricts q (on certifications c) to those approved and valid on
// the day.
func activeOn(q *gorm.DB, day civil.Date) *gorm.DB {
	return q.Where("c.status = ? AND c.valid_from <= ? AND c.valid_until > ?", CertApproved, day, day)
}

// ListCertifications returns the certifications by may see, oldest first (a
// district admin's queue of applications is in the order they came): its own
// organization's for organization staff, its district's for a district admin,
// all for a platform admin, none for anyone else. An unknown status returns
// apperr.Invalid naming "status".
func (s *Service) ListCertifications(ctx context.Context, by access.Actor, f CertFilter) ([]Certification, error) {
	today := civil.ChinaDate(s.clock.Now())
	db := s.db.WithContext(ctx)
	q := certScope(certQuery(db), by)
	switch st := CertStatus(f.Status); st {
	case "":
	case CertPending, CertApproved, CertRejected, CertSuspended, CertRevoked:
		q = q.Where("c.status = ?", st)
	case CertActive:
		q = activeOn(q, today)
	case CertExpired:
		q = q.Where("c.status = ? AND c.valid_until <= ?", CertApproved, today)
	case CertNotYetValid:
		q = q.Where("c.status = ? AND c.valid_from > ?", CertApproved, today)
	default:
		return nil, apperr.InvalidField("status", "is not a certification status")
	}
	if f.DistrictID != 0 {
		q = q.Where("c.district_id = ?", f.DistrictID)
	}
	return loadCerts(db, q, today)
}

// GetCertification returns a certification within the scope of
// ListCertifications, else apperr.ErrNotFound.
func (s *Service) GetCertification(ctx context.Context, by access.Actor, id int64) (Certification, error) {
	db := s.db.WithContext(ctx)
	list, err := loadCerts(db, certScope(certQuery(db), by).Where("c.id = ?", id), civil.ChinaDate(s.clock.Now()))
	if err != nil {
		return Certification{}, err
	}
	if len(list) == 0 {
		return Certification{}, apperr.ErrNotFound
	}
	return list[0], nil
}

func getCert(tx *gorm.DB, id int64, today civil.Date) (Certification, error) {
	list, err := loadCerts(tx, certQuery(tx).Where("c.id = ?", id), today)
	if err != nil {
		return Certification{}, err
	}
	if len(list) == 0 {
		return Certification{}, apperr.ErrNotFound
	}
	return list[0], nil
}

// certQuery selects certifications c with their organization's name and
// declared social workers.
func certQuery(db *gorm.DB) *gorm.DB {
	return db.Table("certifications AS c").Select("c.*, o.legal_name AS organization_name, o.certified_social_workers AS declared_social_workers").
		Joins("JOIN organizations o ON o.id = c.organization_id")
}

// loadCerts runs q (from certQuery) and attaches the categories and documents
// of all the certifications found with one query each.
func loadCerts(db *gorm.DB, q *gorm.DB, today civil.Date) ([]Certification, error) {
	var recs []certRecord
	if err := q.Order("c.created_at, c.id").Find(&recs).Error; err != nil {
		return nil, fmt.Errorf("list certifications: %w", err)
	}
	out := make([]Certification, len(recs))
	ids := make([]int64, len(recs))
	index := make(map[int64]int, len(recs))
	for i, r := range recs {
		out[i] = Certification{ID: r.ID, OrganizationID: r.OrganizationID, OrganizationName: r.OrganizationName,
			DistrictID: r.DistrictID, Status: r.Status, EffectiveStatus: effective(r.Status, r.ValidFrom, r.ValidUntil, today),
			Categories: []string{}, Statement: r.Statement, Grade: r.Grade, ValidFrom: r.ValidFrom, ValidThrough: dayBefore(r.ValidUntil),
			DecisionReason: r.DecisionReason, DeclaredSocialWorkers: r.DeclaredSocialWorkers, VerifiedSocialWorkers: r.VerifiedSocialWorkers,
			SocialWorkersVerifiedAt: r.SocialWorkersVerifiedAt, DocumentIDs: []int64{}, CreatedAt: r.CreatedAt,
			UpdatedAt: r.UpdatedAt, DecidedAt: r.DecidedAt}
		ids[i], index[r.ID] = r.ID, i
	}
	if len(ids) == 0 {
		return out, nil
	}
	cats, err := categoriesOf(db, ids)
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		i := index[c.CertificationID]
		out[i].Categories = append(out[i].Categories, c.CategoryCode)
	}
	var docs []certDocument
	if err := db.Where("certification_id IN ?", ids).Order("certification_id, document_id").Find(&docs).Error; err != nil {
		return nil, fmt.Errorf("list certification documents: %w", err)
	}
	for _, d := range docs {
		i := index[d.CertificationID]
		out[i].DocumentIDs = append(out[i].DocumentIDs, d.DocumentID)
	}
	return out, nil
}

// categoriesOf returns the categories of the certifications, in the catalog's
// order of categories.
func categoriesOf(db *gorm.DB, ids []int64) ([]certCategory, error) {
	var cats []certCategory
	err := db.Table("certification_categories AS cc").Select("cc.certification_id, cc.category_code").
		Joins("JOIN service_categories sc ON sc.code = cc.category_code").
		Where("cc.certification_id IN ?", ids).Order("cc.certification_id, sc.sort, cc.category_code").
		Scan(&cats).Error
	if err != nil {
		return nil, fmt.Errorf("list certification categories: %w", err)
	}
	return cats, nil
}
