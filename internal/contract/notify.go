package contract

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/notify"
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

// notifyBoth tells the contract's organization and its subdistrict's
// procurement officers.
func notifyBoth(tx *gorm.DB, c Contract, kind string, now time.Time) error {
	if err := notifyOrg(tx, c, kind, now); err != nil {
		return err
	}
	return notifyOfficers(tx, c, kind, now)
}

func notice(c Contract, kind string, now time.Time) notify.Notice {
	s := subjects[kind]
	return notify.Notice{Kind: kind, TenderID: notify.Ref(c.TenderID), ContractID: notify.Ref(c.ID), SubjectZh: fmt.Sprintf(s[0], c.Title),
		SubjectEn: fmt.Sprintf(s[1], c.Title), At: now}
}

// notifyOrg tells every user of the contract's organization.
func notifyOrg(tx *gorm.DB, c Contract, kind string, now time.Time) error {
	return notify.Organizations(tx, notice(c, kind, now), c.OrganizationID)
}

// notifyOfficers tells the procurement officers of the contract's subdistrict.
func notifyOfficers(tx *gorm.DB, c Contract, kind string, now time.Time) error {
	return notify.Officers(tx, notice(c, kind, now), c.SubdistrictID)
}
