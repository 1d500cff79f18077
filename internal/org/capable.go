package org

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/platform/replica"
)

// EvaluationCategory is the certification category of third-party
// evaluation agencies (第三方评估机构): a category of kind evaluation, outside
// the service catalog, that a district grants as it grants any other. An
// organization holding it in a district may have evaluator accounts
// (AddMember) and evaluate that district's contracts.
const EvaluationCategory = "THIRD_PARTY_EVALUATION"

// Capable reports whether the organization may undertake the category in the
// district at the instant at: it is active and holds an approved certification
// of the district covering the category whose validity includes at's date in
// China. Expiry needs no job: a certification stops counting on its end date.
func Capable(tx *gorm.DB, orgID, districtID int64, category string, at time.Time) (bool, error) {
	day := civil.ChinaDate(at)
	var ok bool
	err := tx.Raw(`SELECT EXISTS (
		SELECT 1 FROM certifications c
		JOIN organizations o ON o.id = c.organization_id
		JOIN certification_categories cc ON cc.certification_id = c.id
		WHERE c.organization_id = ? AND c.district_id = ? AND cc.category_code = ? AND o.status = 'active'
		  AND c.status = ? AND c.valid_from <= ? AND c.valid_until > ?)`,
		orgID, districtID, category, CertApproved, day, day).Scan(&ok).Error
	if err != nil {
		return false, fmt.Errorf("capability of organization %d: %w", orgID, err)
	}
	return ok, nil
}

// Eligibility says whether an organization may bid on a tender, and if not, why.
type Eligibility struct {
	Eligible bool     `json:"eligible"`
	Reasons  []string `json:"reasons"` // the Reason… constants; empty when eligible
}

// The reasons an organization is not eligible.
const (
	ReasonNoCertification       = "no active certification for the category"
	ReasonGradeBelowMinimum     = "grade below minimum"
	ReasonTooFewSocialWorkers   = "too few certified social workers"
	ReasonOrganizationSuspended = "organization suspended"
)

// Eligibility checks an organization against a tender's requirements at the
// instant at: an active certification for the category in the district (see
// Capable) at minGrade or above; at least minSocialWorkers certified social
// workers, counting the lower of the organization's declared figure and the
// figure its district admin verified for that certification (none verified
// counts as zero); and an organization that is not suspended. It returns
// apperr.ErrNotFound for an unknown organization.
func (s *Service) Eligibility(ctx context.Context, orgID, districtID int64, category string, minGrade, minSocialWorkers int, at time.Time) (Eligibility, error) {
	return EligibilityTx(s.db.WithContext(ctx), orgID, districtID, category, minGrade, minSocialWorkers, at)
}

// EligibilityTx is Eligibility inside tx, for work such as a bid that decides
// on it in its own transaction.
func EligibilityTx(tx *gorm.DB, orgID, districtID int64, category string, minGrade, minSocialWorkers int, at time.Time) (Eligibility, error) {
	q, args := EligibilityQuery(orgID, districtID, category, at)
	var raw string
	if err := tx.Raw(q, args...).Scan(&raw).Error; err != nil {
		return Eligibility{}, fmt.Errorf("eligibility of organization %d: %w", orgID, err)
	}
	return DecideEligibility([]byte(raw), minGrade, minSocialWorkers)
}

// EligibilityQuery is the statement (and its arguments) that reads what
// Eligibility decides on, as one JSON array, so that work deciding it in a
// statement of its own may put it there as a scalar sub-select (a bid
// does). DecideEligibility decides on its value.
func EligibilityQuery(orgID, districtID int64, category string, at time.Time) (string, []any) {
	day := civil.ChinaDate(at)
	// The organization's status on every row, and a row for each
	// certification that counts (one row of NULLs when none does); no row
	// for an unknown organization.
	return `SELECT coalesce(json_agg(json_build_object('status', o.status, 'grade', c.grade,
		  'social_workers', LEAST(COALESCE(c.verified_social_workers, 0), o.certified_social_workers))), '[]')
		FROM organizations o
		LEFT JOIN (certifications c JOIN certification_categories cc ON cc.certification_id = c.id AND cc.category_code = ?)
		  ON c.organization_id = o.id AND c.district_id = ? AND c.status = ? AND c.valid_from <= ? AND c.valid_until > ?
		WHERE o.id = ?`, []any{category, districtID, CertApproved, day, day, orgID}
}

// DecideEligibility decides Eligibility on the value of EligibilityQuery.
// It returns apperr.ErrNotFound for an unknown organization.
func DecideEligibility(raw []byte, minGrade, minSocialWorkers int) (Eligibility, error) {
	var rows []struct {
		Status        string `json:"status"`
		Grade         *int   `json:"grade"`
		SocialWorkers *int   `json:"social_workers"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		return Eligibility{}, fmt.Errorf("eligibility: %w", err)
	}
	if len(rows) == 0 {
		return Eligibility{}, apperr.ErrNotFound
	}
	e := Eligibility{Reasons: []string{}}
	if rows[0].Status != "active" {
		e.Reasons = append(e.Reasons, ReasonOrganizationSuspended)
	}
	// One certification must meet both minimums; the reasons name what the
	// best of them lacks: the grade, else the social workers among those of
	// the grade.
	certs, graded := 0, 0
	workers := false
	for _, c := range rows {
		if c.Grade == nil {
			continue
		}
		certs++
		if *c.Grade >= minGrade {
			graded++
			workers = workers || c.SocialWorkers != nil && *c.SocialWorkers >= minSocialWorkers
		}
	}
	switch {
	case certs == 0:
		e.Reasons = append(e.Reasons, ReasonNoCertification)
	case graded == 0:
		e.Reasons = append(e.Reasons, ReasonGradeBelowMinimum)
	case !workers:
		e.Reasons = append(e.Reasons, ReasonTooFewSocialWorkers)
	}
	e.Eligible = len(e.Reasons) == 0
	return e, nil
}

// CapableFilter narrows the public directory. Zero values mean any district,
// any category, any name; Page counts from 1, PerPage defaults to 20 and is at
// most 100.
type CapableFilter struct {
	DistrictID int64
	Category   string
	Q          string // a substring of the legal name
	// SubdistrictID keeps the organizations that serve the subdistrict:
	// holding a contract there signed by both parties.
	SubdistrictID int64
	Page          int
	PerPage       int
}

// Page is one page of a list, with the total number of items in the list.
type Page[T any] struct {
	Items   []T   `json:"items"`
	Total   int64 `json:"total"`
	Page    int   `json:"page"`
	PerPage int   `json:"per_page"`
}

// CapableOrg is an organization in the public directory of capable
// organizations, with its certifications active today.
type CapableOrg struct {
	ID                     int64                 `json:"id"`
	LegalName              string                `json:"legal_name"`
	CreditCode             string                `json:"credit_code"`
	OrgType                Type                  `json:"org_type"`
	DistrictID             int64                 `json:"district_id"`
	StaffCount             int                   `json:"staff_count"`
	CertifiedSocialWorkers int                   `json:"certified_social_workers"`
	Certifications         []ActiveCertification `json:"certifications"`
}

// ActiveCertification is the public face of a certification active today.
type ActiveCertification struct {
	ID         int64    `json:"id"`
	DistrictID int64    `json:"district_id"`
	Categories []string `json:"categories"`
	Grade      int      `json:"grade"`
	// VerifiedSocialWorkers is the figure the district verified; nil if none.
	VerifiedSocialWorkers *int `json:"verified_social_workers"`
	// The validity, both days included.
	ValidFrom    civil.Date `json:"valid_from"`
	ValidThrough civil.Date `json:"valid_through"`
}

const (
	defaultPerPage = 20
	maxPerPage     = 100
	maxPage        = 1 << 20
	maxQuery       = 100
)

// PublicCapable returns the directory of capable organizations (有承接能力的社会
// 组织目录) for anyone: the active organizations holding at least one
// certification active today (in the district, for the category, when given),
// ordered by legal name. Each lists those certifications. Nothing pending,
// rejected, suspended, revoked, expired or not yet valid appears. It returns
// apperr.Invalid naming "q" for a search longer than 100 characters and "page"
// for an absurd page number.
func (s *Service) PublicCapable(ctx context.Context, f CapableFilter) (Page[CapableOrg], error) {
	f.Q, f.Category = strings.TrimSpace(f.Q), strings.TrimSpace(f.Category)
	if utf8.RuneCountInString(f.Q) > maxQuery {
		return Page[CapableOrg]{}, apperr.InvalidField("q", fmt.Sprintf("must be at most %d characters", maxQuery))
	}
	if f.Page > maxPage {
		return Page[CapableOrg]{}, apperr.InvalidField("page", "is too large")
	}
	f.Page = max(f.Page, 1)
	if f.PerPage <= 0 {
		f.PerPage = defaultPerPage
	}
	f.PerPage = min(f.PerPage, maxPerPage)
	page := Page[CapableOrg]{Items: []CapableOrg{}, Page: f.Page, PerPage: f.PerPage}

	db := replica.Public(s.db.WithContext(ctx))
	today := civil.ChinaDate(s.clock.Now())
	matching := capableCertifications(f, today)
	orgs := capableOrgs(db, f, today).Session(&gorm.Session{})
	// Two statements: the number of matches, then the page's organizations
	// (read in name order from the index) with, for the page's rows only,
	// the certifications that earn them their place (as JSON). A window
	// count in the same statement would sort every match by name for a page
	// of twenty: two and a half times the database time of both.
	if err := orgs.Count(&page.Total).Error; err != nil {
		return page, fmt.Errorf("count capable organizations: %w", err)
	}
	keys := orgs.Select("o.id, o.legal_name, o.credit_code, o.org_type, o.district_id, o.staff_count, o.certified_social_workers").
		Order("o.legal_name, o.id").Limit(f.PerPage).Offset((f.Page - 1) * f.PerPage)
	certs := matching(s.db.Table("certifications AS c")).Select(certColumns).Where("c.organization_id = p.id")
	var rows []struct {
		ID                     int64
		LegalName              string
		CreditCode             string
		OrgType                Type
		DistrictID             int64
		StaffCount             int
		CertifiedSocialWorkers int
		Certifications         []certRow `gorm:"serializer:json"`
	}
	if err := db.Raw(`SELECT p.*, (SELECT coalesce(json_agg(x ORDER BY x.valid_until DESC, x.id), '[]') FROM (?) x) AS certifications
		FROM (?) p ORDER BY p.legal_name, p.id`, certs, keys).Scan(&rows).Error; err != nil {
		return page, fmt.Errorf("list capable organizations: %w", err)
	}
	for _, r := range rows {
		o := CapableOrg{ID: r.ID, LegalName: r.LegalName, CreditCode: r.CreditCode, OrgType: r.OrgType, DistrictID: r.DistrictID,
			StaffCount: r.StaffCount, CertifiedSocialWorkers: r.CertifiedSocialWorkers, Certifications: []ActiveCertification{}}
		for _, c := range r.Certifications {
			o.Certifications = append(o.Certifications, c.active())
		}
		page.Items = append(page.Items, o)
	}
	return page, nil
}

// certColumns are the columns of a certification c as the directory and the
// profile show it, its categories (in the order of the service categories)
// as a JSON array: one statement reads certifications and categories.
const certColumns = `c.id, c.organization_id, c.district_id, c.grade, c.verified_social_workers, c.valid_from, c.valid_until,
	coalesce((SELECT json_agg(cc.category_code ORDER BY sc.sort, cc.category_code) FROM certification_categories cc
		JOIN service_categories sc ON sc.code = cc.category_code WHERE cc.certification_id = c.id), '[]') AS categories`

// certRow is a row of certColumns, scanned or, inside a JSON array, decoded.
type certRow struct {
	ID                    int64      `json:"id"`
	OrganizationID        int64      `json:"organization_id"`
	DistrictID            int64      `json:"district_id"`
	Grade                 int        `json:"grade"`
	VerifiedSocialWorkers *int       `json:"verified_social_workers"`
	ValidFrom             civil.Date `json:"valid_from"`
	ValidUntil            civil.Date `json:"valid_until"`
	Categories            []string   `json:"categories" gorm:"serializer:json"`
}

// active is the row as the public sees it.
func (c certRow) active() ActiveCertification {
	ac := ActiveCertification{ID: c.ID, DistrictID: c.DistrictID, Categories: c.Categories, Grade: c.Grade,
		VerifiedSocialWorkers: c.VerifiedSocialWorkers, ValidFrom: c.ValidFrom, ValidThrough: c.ValidUntil.AddDays(-1)}
	if ac.Categories == nil {
		ac.Categories = []string{}
	}
	return ac
}

// PublicOrganization is the public face of one organization, whatever its
// standing: what the directory shows of it, its status and the
// certifications active today (none when it holds none).
type PublicOrganization struct {
	CapableOrg
	Status string `json:"status"` // active or suspended
}

// PublicOrganization returns the public face of the organization for anyone:
// its identity, staffing and status, and its certifications approved and
// valid today (categories, grade, validity). An unknown organization is
// apperr.ErrNotFound.
func (s *Service) PublicOrganization(ctx context.Context, id int64) (PublicOrganization, error) {
	db := replica.Public(s.db.WithContext(ctx))
	today := civil.ChinaDate(s.clock.Now())
	// One statement: the organization and, as JSON, its certifications
	// active today with their categories.
	certs := activeOn(s.db.Table("certifications AS c"), today).Select(certColumns).Where("c.organization_id = o.id")
	var o struct {
		ID                     int64
		LegalName              string
		CreditCode             string
		OrgType                Type
		DistrictID             int64
		StaffCount             int
		CertifiedSocialWorkers int
		Status                 string
		Certifications         []certRow `gorm:"serializer:json"`
	}
	err := db.Raw(`SELECT o.id, o.legal_name, o.credit_code, o.org_type, o.district_id, o.staff_count, o.certified_social_workers, o.status,
			(SELECT coalesce(json_agg(x ORDER BY x.valid_until DESC, x.id), '[]') FROM (?) x) AS certifications
		FROM organizations o WHERE o.id = ?`, certs, id).Take(&o).Error
	if err != nil {
		return PublicOrganization{}, notFound(err)
	}
	out := PublicOrganization{CapableOrg: CapableOrg{ID: o.ID, LegalName: o.LegalName, CreditCode: o.CreditCode, OrgType: o.OrgType,
		DistrictID: o.DistrictID, StaffCount: o.StaffCount, CertifiedSocialWorkers: o.CertifiedSocialWorkers,
		Certifications: []ActiveCertification{}}, Status: o.Status}
	for _, c := range o.Certifications {
		out.Certifications = append(out.Certifications, c.active())
	}
	return out, nil
}

// capableCertifications restricts q (on certifications c) to those that earn
// an organization its place in the directory f selects on day.
func capableCertifications(f CapableFilter, day civil.Date) func(q *gorm.DB) *gorm.DB {
	return func(q *gorm.DB) *gorm.DB {
		q = activeOn(q, day)
		if f.DistrictID != 0 {
			q = q.Where("c.district_id = ?", f.DistrictID)
		}
		if f.Category != "" {
			q = q.Where("EXISTS (SELECT 1 FROM certification_categories cc WHERE cc.certification_id = c.id AND cc.category_code = ?)", f.Category)
		}
		return q
	}
}

// capableOrgs is the query (on organizations o) of the directory f selects
// on day, without paging or order.
func capableOrgs(db *gorm.DB, f CapableFilter, day civil.Date) *gorm.DB {
	matching := capableCertifications(f, day)
	orgs := db.Table("organizations AS o").Where("o.status = 'active'").
		Where("EXISTS (?)", matching(db.Table("certifications AS c").Select("1").Where("c.organization_id = o.id")))
	if f.Q != "" {
		orgs = orgs.Where(`o.legal_name ILIKE ? ESCAPE '\'`, "%"+escapeLike(f.Q)+"%")
	}
	if f.SubdistrictID != 0 {
		orgs = orgs.Where("EXISTS (SELECT 1 FROM contracts k WHERE k.organization_id = o.id AND k.subdistrict_id = ? AND k.signed_at IS NOT NULL)",
			f.SubdistrictID)
	}
	return orgs
}

// CapableName is an organization of the directory as a choice names it.
type CapableName struct {
	ID        int64  `json:"id"`
	LegalName string `json:"legal_name"`
}

// CapableNames returns every organization of the directory of capable
// organizations for the category in the district (as PublicCapable selects
// them), ordered by legal name, unpaged: for a form that offers them all,
// such as a tender's invitations. It returns only database errors.
func (s *Service) CapableNames(ctx context.Context, districtID int64, category string) ([]CapableName, error) {
	f := CapableFilter{DistrictID: districtID, Category: strings.TrimSpace(category)}
	out := []CapableName{}
	err := capableOrgs(s.db.WithContext(ctx), f, civil.ChinaDate(s.clock.Now())).Select("o.id, o.legal_name").
		Order("o.legal_name, o.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list capable organizations: %w", err)
	}
	return out, nil
}

// escapeLike escapes the wildcards of a LIKE pattern, with \ as the escape.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
