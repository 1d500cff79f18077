package contract

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The kinds of notification about a contract.
const (
	KindSignRequested       = "contract_sign_requested"
	KindSigned              = "contract_signed"
	KindAmendmentProposed   = "contract_amendment_proposed"
	KindAmendmentDecided    = "contract_amendment_decided"
	KindTerminationProposed = "contract_termination_proposed"
	KindTerminationRejected = "contract_termination_rejected"
	KindTerminated          = "contract_terminated"
	KindLapsed              = "contract_lapsed"
	KindActive              = "contract_active"
)

var subjects = map[string][2]string{
	KindSignRequested:       {"合同待签订：%s", "A contract awaits signing: %s"},
	KindSigned:              {"合同已签订：%s", "The contract is signed: %s"},
	KindAmendmentProposed:   {"合同变更待确认：%s", "A contract amendment awaits your decision: %s"},
	KindAmendmentDecided:    {"合同变更已处理：%s", "A contract amendment was decided: %s"},
	KindTerminationProposed: {"合同解除申请待处理：%s", "Termination of a contract was requested: %s"},
	KindTerminationRejected: {"合同解除申请未获同意：%s", "The request to terminate the contract was rejected: %s"},
	KindTerminated:          {"合同已解除：%s", "The contract was terminated: %s"},
	KindLapsed:              {"合同未签订，已作废：%s", "The contract was never signed and is dropped: %s"},
	KindActive:              {"合同已进入履约期：%s", "The contract's service period has begun: %s"},
}

// notification is a row of notifications about a contract (the tender's too).
type notification struct {
	ID             int64
	UserID         *int64
	OrganizationID *int64
	Kind           string
	TenderID       *int64
	ContractID     *int64
	SubjectZh      string
	SubjectEn      string
	CreatedAt      time.Time
}

func (notification) TableName() string { return "notifications" }

// notifyBoth tells the contract's organization and its subdistrict's
// procurement officers.
func notifyBoth(tx *gorm.DB, c Contract, kind string, now time.Time) error {
	if err := notifyOrg(tx, c, kind, now); err != nil {
		return err
	}
	return notifyOfficers(tx, c, kind, now)
}

func newNotification(c Contract, kind string, now time.Time) notification {
	s := subjects[kind]
	tenderID, contractID := c.TenderID, c.ID
	return notification{Kind: kind, TenderID: &tenderID, ContractID: &contractID, SubjectZh: fmt.Sprintf(s[0], c.Title),
		SubjectEn: fmt.Sprintf(s[1], c.Title), CreatedAt: now}
}

// notifyOrg tells every user of the contract's organization.
func notifyOrg(tx *gorm.DB, c Contract, kind string, now time.Time) error {
	n := newNotification(c, kind, now)
	orgID := c.OrganizationID
	n.OrganizationID = &orgID
	if err := tx.Create(&n).Error; err != nil {
		return fmt.Errorf("notify organization %d: %w", orgID, err)
	}
	return nil
}

// notifyOfficers tells the procurement officers of the contract's subdistrict.
func notifyOfficers(tx *gorm.DB, c Contract, kind string, now time.Time) error {
	var ids []int64
	if err := tx.Table("users").Where("role = 'procurement_officer' AND subdistrict_id = ? AND status = 'active'", c.SubdistrictID).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	list := make([]notification, len(ids))
	for i := range ids {
		list[i] = newNotification(c, kind, now)
		list[i].UserID = &ids[i]
	}
	if err := tx.Create(&list).Error; err != nil {
		return fmt.Errorf("notify officers: %w", err)
	}
	return nil
}
