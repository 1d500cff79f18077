// Package delivery holds the services organizations deliver on their
// contracts: service records (服务记录), their corrections and CSV import, and
// the one-time rating code each record issues for the resident served.
package delivery

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// Readers are the roles that may list a contract's service records: the
// organization's staff, the contract's subdistrict officers and its district's
// admin. Each sees only its own contracts; others' are apperr.ErrNotFound.
var Readers = []access.Role{access.DistrictAdmin, access.ProcurementOfficer, access.FinanceOfficer, access.OrgAdmin, access.OrgMember}

// CorrectionWindow is how long after it was recorded a record can be corrected.
const CorrectionWindow = 7 * 24 * time.Hour

// Errors of recording and correcting.
var (
	ErrContractNotActive = apperr.New(apperr.Conflict, "service_record.contract_not_active",
		"services are recorded on a signed or active contract only")
	ErrCorrectionClosed = apperr.New(apperr.Conflict, "service_record.correction_closed",
		"a service record can be corrected only within 7 days of being recorded")
	ErrNoChange = apperr.New(apperr.Invalid, "service_record.no_change", "the correction changes nothing")
)

// ErrRatingKey is returned by NewService for a key that is not 32 bytes.
var ErrRatingKey = errors.New("delivery: the rating-code key must be 32 bytes")

// Service records services and issues rating codes.
type Service struct {
	db    *gorm.DB
	clock clock.Clock
	key   []byte
}

// NewService returns the service on db; rating codes are derived from and
// stored under key (32 bytes, else ErrRatingKey).
func NewService(db *gorm.DB, c clock.Clock, key []byte) (*Service, error) {
	if len(key) != 32 {
		return nil, ErrRatingKey
	}
	return &Service{db: db, clock: c, key: slices.Clone(key)}, nil
}

// NewConfigured is NewService with the key of cfg (JIEDAO_RATING_KEY), which must be set.
func NewConfigured(db *gorm.DB, c clock.Clock, cfg config.Rating) (*Service, error) {
	if err := cfg.RequireCodeKey(); err != nil {
		return nil, err
	}
	return NewService(db, c, cfg.CodeKey)
}

// Record is a service delivered, as stored.
type Record struct {
	ID              int64
	ContractID      int64
	OrganizationID  int64
	CommunityID     int64
	ServiceDate     civil.Date
	ServiceType     string // the code of one of the contract's metrics whose source is service records
	DurationMinutes int
	StaffUserID     *int64
	StaffName       *string
	BeneficiaryRef  string
	Notes           string
	RatingCodeHash  []byte
	RatingCodeNonce int
	RatingExpiresAt time.Time
	RatingUsedAt    *time.Time
	Revision        int
	RecordedBy      *int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// TableName is the table of Record.
func (Record) TableName() string { return "service_records" }

// View is a record as its reader sees it: the beneficiary reference only for
// the organization's staff and the subdistrict's officers, the rating code
// only for the organization's staff.
type View struct {
	ID               int64       `json:"id"`
	ContractID       int64       `json:"contract_id"`
	OrganizationID   int64       `json:"organization_id"`
	CommunityID      int64       `json:"community_id"`
	ServiceDate      civil.Date  `json:"service_date"`
	ServiceType      string      `json:"service_type"`
	DurationMinutes  int         `json:"duration_minutes"`
	StaffUserID      *int64      `json:"staff_user_id"`
	StaffName        *string     `json:"staff_name"`
	BeneficiaryRef   *string     `json:"beneficiary_ref,omitempty"`
	Notes            string      `json:"notes"`
	Revision         int         `json:"revision"`
	RecordedBy       *int64      `json:"recorded_by"`
	CreatedAt        time.Time   `json:"created_at"`
	CorrectableUntil time.Time   `json:"correctable_until"`
	RatingCode       *RatingCode `json:"rating_code,omitempty"`
}

func (s *Service) view(by access.Actor, r Record) View {
	v := View{ID: r.ID, ContractID: r.ContractID, OrganizationID: r.OrganizationID, CommunityID: r.CommunityID,
		ServiceDate: r.ServiceDate, ServiceType: r.ServiceType, DurationMinutes: r.DurationMinutes,
		StaffUserID: r.StaffUserID, StaffName: r.StaffName, Notes: r.Notes, Revision: r.Revision,
		RecordedBy: r.RecordedBy, CreatedAt: r.CreatedAt, CorrectableUntil: r.CreatedAt.Add(CorrectionWindow)}
	own := by.Is(access.OrgStaff...) && by.Scope.OrganizationID == r.OrganizationID
	if own || by.Is(access.ProcurementOfficer, access.FinanceOfficer) {
		ref := r.BeneficiaryRef
		v.BeneficiaryRef = &ref
	}
	if own {
		code := s.ratingCode(r)
		v.RatingCode = &code
	}
	return v
}

// CountsDuration reports whether a record of a service type measured in unit
// counts by its duration (hours: 小时, 时, 分钟) rather than once (次, 场, 件,
// 人, 个, 节, 课时 and any other unit).
func CountsDuration(unit string) bool {
	switch unit {
	case "小时", "时", "分钟", "h", "hour", "hours":
		return true
	}
	return false
}

// Quantity is what one record of durationMinutes counts towards a metric
// measured in unit: its duration in the unit (hours, or minutes for 分钟) when
// the unit counts duration (CountsDuration), else 1.
func Quantity(unit string, durationMinutes int) float64 {
	if !CountsDuration(unit) {
		return 1
	}
	if unit == "分钟" {
		return float64(durationMinutes)
	}
	return float64(durationMinutes) / 60
}

// contractInfo is what recording on a contract checks against.
type contractInfo struct {
	ID             int64
	SubdistrictID  int64
	OrganizationID int64
	Status         string
	ServiceStart   civil.Date
	ServiceEnd     civil.Date

	communities []community
	types       []serviceType
	members     map[int64]bool // the organization's active staff accounts
}

type community struct {
	ID     int64
	Code   string
	NameZh string
}

// serviceType is a contract metric whose source is service records.
type serviceType struct {
	Code   string
	NameZh string
	Unit   string
}

// scoped limits a contracts query to the contracts by may read; a role that
// reads none is apperr.ErrForbidden.
func scoped(q *gorm.DB, by access.Actor) (*gorm.DB, error) {
	switch by.Role {
	case access.OrgAdmin, access.OrgMember:
		return q.Where("contracts.organization_id = ?", by.Scope.OrganizationID), nil
	case access.ProcurementOfficer, access.FinanceOfficer:
		return q.Where("contracts.subdistrict_id = ?", by.Scope.SubdistrictID), nil
	case access.DistrictAdmin:
		return q.Where("contracts.subdistrict_id IN (SELECT id FROM subdistricts WHERE district_id = ?)", by.Scope.DistrictID), nil
	}
	return nil, apperr.ErrForbidden
}

// readContract returns the contract id as by may see it (apperr.ErrNotFound
// outside its scope), locked FOR SHARE when lock is set so that its status
// does not change under a write.
func readContract(tx *gorm.DB, by access.Actor, id int64, lock bool) (contractInfo, error) {
	q, err := scoped(tx.Table("contracts"), by)
	if err != nil {
		return contractInfo{}, err
	}
	if lock {
		q = q.Clauses(clause.Locking{Strength: "SHARE", Table: clause.Table{Name: "contracts"}})
	}
	var c contractInfo
	err = q.Select("id, subdistrict_id, organization_id, status, service_start, service_end").Where("contracts.id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return contractInfo{}, apperr.ErrNotFound
	}
	if err != nil {
		return contractInfo{}, fmt.Errorf("read contract %d: %w", id, err)
	}
	return c, nil
}

// writableContract is readContract, locked, for a write by the organization's
// staff: the contract must be signed or active (ErrContractNotActive), and its
// communities, service types and staff are loaded.
func writableContract(tx *gorm.DB, by access.Actor, id int64) (contractInfo, error) {
	if !by.Is(access.OrgStaff...) {
		return contractInfo{}, apperr.ErrForbidden
	}
	c, err := readContract(tx, by, id, true)
	if err != nil {
		return contractInfo{}, err
	}
	if c.Status != "signed" && c.Status != "active" {
		return contractInfo{}, ErrContractNotActive
	}
	if err := tx.Raw(`SELECT m.id, m.code, m.name_zh FROM contract_communities cc JOIN communities m ON m.id = cc.community_id
		WHERE cc.contract_id = ? ORDER BY m.id`, id).Scan(&c.communities).Error; err != nil {
		return contractInfo{}, fmt.Errorf("read contract %d communities: %w", id, err)
	}
	if err := tx.Table("contract_metrics").Select("code, name_zh, unit").Where("contract_id = ? AND source = 'service_records'", id).
		Order("code").Scan(&c.types).Error; err != nil {
		return contractInfo{}, fmt.Errorf("read contract %d metrics: %w", id, err)
	}
	var members []int64
	if err := tx.Table("users").Where("organization_id = ? AND role IN ('org_admin', 'org_member') AND status = 'active'", c.OrganizationID).
		Pluck("id", &members).Error; err != nil {
		return contractInfo{}, fmt.Errorf("read organization %d staff: %w", c.OrganizationID, err)
	}
	c.members = make(map[int64]bool, len(members))
	for _, m := range members {
		c.members[m] = true
	}
	return c, nil
}
