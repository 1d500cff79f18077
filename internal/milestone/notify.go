package milestone

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/notify"
)

// The kinds of notification about milestone payments, each to those who act
// next: a due milestone to the officers (acceptance) and the organization
// (invoice); a withheld one to both; one accepted and invoiced to the
// subdistrict's finance officers (approval); an approved and a paid one to
// the organization.
const (
	KindDue      = "milestone_due"
	KindWithheld = "milestone_withheld"
	KindReady    = "milestone_ready"
	KindApproved = "milestone_approved"
	KindPaid     = "milestone_paid"
)

var subjects = map[string][2]string{
	KindDue:      {"付款节点已到期，待验收与开票：%s · %s（应付 ¥%s）", "A payment milestone is due for acceptance and invoicing: %s · %s (payable ¥%s)"},
	KindWithheld: {"评估未达付款标准，款项暂缓支付：%s · %s（本轮应付 ¥%s）", "The evaluation does not meet the payment standard, payment is withheld: %s · %s (payable now ¥%s)"},
	KindReady:    {"付款节点已验收并附发票，待审批：%s · %s（应付 ¥%s）", "A payment milestone is accepted and invoiced, awaiting approval: %s · %s (payable ¥%s)"},
	KindApproved: {"付款已审批，等待支付：%s · %s（¥%s）", "The payment is approved and on its way: %s · %s (¥%s)"},
	KindPaid:     {"款项已支付：%s · %s（¥%s）", "The payment was made: %s · %s (¥%s)"},
}

func notice(c contract.Contract, m milestoneRow, kind string, amount money.Fen, now time.Time) notify.Notice {
	s := subjects[kind]
	return notify.Notice{Kind: kind, TenderID: notify.Ref(c.TenderID), ContractID: notify.Ref(c.ID),
		SubjectZh: fmt.Sprintf(s[0], c.Title, m.Name, amount.Grouped()), SubjectEn: fmt.Sprintf(s[1], c.Title, m.Name, amount.Grouped()), At: now}
}

// notifyBoth tells the contract's organization and its subdistrict's
// procurement officers.
func notifyBoth(tx *gorm.DB, c contract.Contract, m milestoneRow, kind string, amount money.Fen, now time.Time) error {
	n := notice(c, m, kind, amount, now)
	if err := notify.Organizations(tx, n, c.OrganizationID); err != nil {
		return err
	}
	return notify.Officers(tx, n, c.SubdistrictID)
}

// notifyOrg tells every user of the contract's organization.
func notifyOrg(tx *gorm.DB, c contract.Contract, m milestoneRow, kind string, amount money.Fen, now time.Time) error {
	return notify.Organizations(tx, notice(c, m, kind, amount, now), c.OrganizationID)
}

// notifyFinance tells the active finance officers of the contract's
// subdistrict.
func notifyFinance(tx *gorm.DB, c contract.Contract, m milestoneRow, kind string, amount money.Fen, now time.Time) error {
	var ids []int64
	if err := tx.Table("users").Where("role = 'finance_officer' AND subdistrict_id = ? AND status = 'active'", c.SubdistrictID).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("finance officers of subdistrict %d: %w", c.SubdistrictID, err)
	}
	return notify.Users(tx, notice(c, m, kind, amount, now), ids...)
}
