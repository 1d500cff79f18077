package contract

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Contract is a contract between a subdistrict and a social organization,
// made by a final award. Its lifecycle is draft → signed → active →
// completed, or terminated.
type Contract struct {
	ID             int64      `json:"id"`
	SubdistrictID  int64      `json:"subdistrict_id"`
	TenderID       int64      `json:"tender_id"`
	BidID          int64      `json:"bid_id"`
	OrganizationID int64      `json:"organization_id"`
	FundAccountID  int64      `json:"fund_account_id"`
	Title          string     `json:"title"`
	CategoryCode   string     `json:"category_code"`
	AmountFen      money.Fen  `json:"amount_fen"`
	ServiceStart   civil.Date `json:"service_start"`
	ServiceEnd     civil.Date `json:"service_end"`
	Status         string     `json:"status"`
	Version        int        `json:"version"`
	// SignBy is the end of the signing period (art. 46: 30 days from the
	// final award by default).
	SignBy          time.Time  `json:"sign_by"`
	PaymentPolicy   Policy     `json:"payment_policy" gorm:"serializer:json"`
	OfficerSignedBy *int64     `json:"-"`
	OfficerSignedAt *time.Time `json:"officer_signed_at"`
	OrgSignedBy     *int64     `json:"-"`
	OrgSignedAt     *time.Time `json:"org_signed_at"`
	SignedAt        *time.Time `json:"signed_at"`
	// SignedAmountFen is the amount when both signed: the base of the
	// amendments' cumulative cap.
	SignedAmountFen *money.Fen `json:"signed_amount_fen"`
	ActivatedAt     *time.Time `json:"activated_at"`
	EndedAt         *time.Time `json:"ended_at"`
	EndedBy         *int64     `json:"-"`
	EndReason       *string    `json:"end_reason"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// The states of a contract. A draft never signed is lapsed when the officer
// drops it (the signing period passed, or the winner is no longer eligible).
const (
	StatusDraft      = "draft"
	StatusSigned     = "signed"
	StatusActive     = "active"
	StatusCompleted  = "completed"
	StatusTerminated = "terminated"
	StatusLapsed     = "lapsed"
)

// States lists the states of a contract, in lifecycle order.
var States = []string{StatusDraft, StatusSigned, StatusActive, StatusCompleted, StatusTerminated, StatusLapsed}

// Policy is a contract's payment policy: a milestone pays in full from a
// score of FullAt; from FloorAt to FullAt the factor falls linearly from 100 %
// to FloorPercent; below FloorAt nothing is paid until a re-evaluation. It is
// stored on the contract, so that a later change of the default never
// rewrites an old contract.
type Policy struct {
	FullAt       float64 `json:"full_at"`
	FloorAt      float64 `json:"floor_at"`
	FloorPercent float64 `json:"floor_percent"`
}

// DefaultPolicy is DOMAIN.md's: 100 % from 80, falling to 80 % at 60, nothing below.
var DefaultPolicy = Policy{FullAt: 80, FloorAt: 60, FloorPercent: 80}

func (p Policy) check(f *apperr.Fields) {
	f.Check(p.FloorAt > 0 && p.FloorAt < p.FullAt && p.FullAt <= 100, "payment_policy",
		"needs 0 < floor_at < full_at ≤ 100")
	f.Check(p.FloorPercent >= 0 && p.FloorPercent <= 100, "payment_policy.floor_percent", "must be between 0 and 100")
}

// TableName is the table of Contract.
func (Contract) TableName() string { return "contracts" }

// Metric is a metric of a contract: its target and the provider's commitment
// from the bid (nil when the bid made none).
type Metric struct {
	ContractID int64    `json:"-" gorm:"primaryKey;autoIncrement:false"`
	Code       string   `json:"code" gorm:"primaryKey"`
	NameZh     string   `json:"name_zh"`
	NameEn     string   `json:"name_en"`
	Unit       string   `json:"unit"`
	Direction  string   `json:"direction"`
	Source     string   `json:"source"`
	Target     float64  `json:"target"`
	Weight     int      `json:"weight"`
	Commitment *float64 `json:"commitment"`
}

// CountsDuration reports whether a service record of this metric counts by
// its duration (a metric in hours) rather than once.
func (m Metric) CountsDuration() bool { return m.Unit == "小时" }

// TableName is the table of Metric.
func (Metric) TableName() string { return "contract_metrics" }

// Milestone is a payment milestone of a contract.
type Milestone struct {
	ContractID int64     `json:"-" gorm:"primaryKey;autoIncrement:false"`
	Seq        int       `json:"seq" gorm:"primaryKey;autoIncrement:false"`
	Name       string    `json:"name"`
	Percent    int       `json:"percent"`
	AmountFen  money.Fen `json:"amount_fen"`
	After      string    `json:"after"` // signing, midterm or final
	// Status is pending until the milestone's trigger is met, then due while
	// its payments are under way or withheld, and paid once its latest
	// payment is (package milestone).
	Status string `json:"status"`
}

// The triggers of a milestone.
var Triggers = []string{"signing", "midterm", "final"}

// TableName is the table of Milestone.
func (Milestone) TableName() string { return "contract_milestones" }

type community struct {
	ContractID         int64 `gorm:"primaryKey;autoIncrement:false"`
	CommunityID        int64 `gorm:"primaryKey;autoIncrement:false"`
	EligiblePopulation *int
}

func (community) TableName() string { return "contract_communities" }

// Draft is what a final award puts into a new contract.
type Draft struct {
	SubdistrictID  int64
	TenderID       int64
	BidID          int64
	OrganizationID int64
	FundAccountID  int64
	Title          string
	CategoryCode   string
	Amount         money.Fen
	ServiceStart   civil.Date
	ServiceEnd     civil.Date
	CommunityIDs   []int64
	Metrics        []Metric
	// SignBy ends the signing period.
	SignBy time.Time
}

// milestoneSteps names the default milestones (DefaultMilestones).
var milestoneSteps = []struct{ name, after string }{
	{"签约预付 / on signing", "signing"},
	{"中期评估后 / after the mid-term evaluation", "midterm"},
	{"终期评估后 / after the final evaluation", "final"},
}

// CreateDraft writes a draft contract inside tx, the award's transaction,
// with its communities, metrics and the default payment milestones (30 %, 40 %,
// 30 %), and its audit entry.
func CreateDraft(tx *gorm.DB, by access.Actor, d Draft, now time.Time) (Contract, error) {
	c := Contract{SubdistrictID: d.SubdistrictID, TenderID: d.TenderID, BidID: d.BidID, OrganizationID: d.OrganizationID,
		FundAccountID: d.FundAccountID, Title: d.Title, CategoryCode: d.CategoryCode, AmountFen: d.Amount,
		ServiceStart: d.ServiceStart, ServiceEnd: d.ServiceEnd, Status: StatusDraft, Version: 1, SignBy: d.SignBy,
		PaymentPolicy: DefaultPolicy, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&c).Error; err != nil {
		return Contract{}, fmt.Errorf("insert contract for bid %d: %w", d.BidID, err)
	}
	for _, id := range d.CommunityIDs {
		if err := tx.Create(&community{ContractID: c.ID, CommunityID: id}).Error; err != nil {
			return Contract{}, fmt.Errorf("insert contract community: %w", err)
		}
	}
	for _, m := range d.Metrics {
		m.ContractID = c.ID
		if err := tx.Create(&m).Error; err != nil {
			return Contract{}, fmt.Errorf("insert contract metric: %w", err)
		}
	}
	percents := DefaultMilestones()
	amounts, err := MilestoneAmounts(d.Amount, percents)
	if err != nil {
		return Contract{}, err
	}
	for i, p := range percents {
		m := Milestone{ContractID: c.ID, Seq: i + 1, Name: milestoneSteps[i].name, Percent: p, AmountFen: amounts[i], After: milestoneSteps[i].after, Status: "pending"}
		if err := tx.Create(&m).Error; err != nil {
			return Contract{}, fmt.Errorf("insert milestone: %w", err)
		}
	}
	if err := audit.Record(tx, by, "contract.draft", "contract", c.ID, map[string]any{
		"tender_id": d.TenderID, "bid_id": d.BidID, "organization_id": d.OrganizationID, "amount_fen": d.Amount, "sign_by": d.SignBy}); err != nil {
		return Contract{}, err
	}
	return c, notifyBoth(tx, c, KindSignRequested, now)
}

// ForTender returns the contracts a tender's award made, by id.
func ForTender(db *gorm.DB, tenderID int64) ([]Contract, error) {
	out := []Contract{}
	err := db.Where("tender_id = ?", tenderID).Order("id").Find(&out).Error
	return out, err
}

// Details returns a contract's metrics and milestones.
func Details(db *gorm.DB, id int64) ([]Metric, []Milestone, error) {
	metrics, milestones := []Metric{}, []Milestone{}
	if err := db.Where("contract_id = ?", id).Order("weight DESC, code").Find(&metrics).Error; err != nil {
		return nil, nil, err
	}
	if err := db.Where("contract_id = ?", id).Order("seq").Find(&milestones).Error; err != nil {
		return nil, nil, err
	}
	return metrics, milestones, nil
}
