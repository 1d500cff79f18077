package payout

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/notify"
)

// KindFailed is the notification of a payout the job gave up on: to every
// user of the organization it pays and to the finance officers of the fund's
// subdistrict, who reconcile it and confirm how it was settled. A payout that
// is requested or paid is told by what it pays for (a milestone's approval
// and payment, package milestone).
const KindFailed = "payout_failed"

// notifyFailed tells the payee and the fund's finance officers that payout p
// failed, inside the transaction that records it.
func notifyFailed(tx *gorm.DB, p *Payout, now time.Time) error {
	n := notify.Notice{Kind: KindFailed, At: now,
		SubjectZh: fmt.Sprintf("付款 #%d 未能完成，待财务人员核对后处理：¥%s", p.ID, p.AmountFen.Grouped()),
		SubjectEn: fmt.Sprintf("Payout #%d did not go through and awaits reconciliation by a finance officer: ¥%s", p.ID, p.AmountFen.Grouped())}
	if err := notify.Organizations(tx, n, p.OrganizationID); err != nil {
		return err
	}
	var ids []int64
	if err := tx.Table("users").Where(`role = 'finance_officer' AND status = 'active'
		AND subdistrict_id = (SELECT subdistrict_id FROM fund_accounts WHERE id = ?)`, p.FundAccountID).Order("id").Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("finance officers of fund %d: %w", p.FundAccountID, err)
	}
	return notify.Users(tx, n, ids...)
}
