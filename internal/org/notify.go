package org

import (
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/notify"
)

// The kinds of notification about certifications: an application to the
// district's admins, who decide it; each decision to every user of the
// organization.
const (
	KindCertApplied   = "certification_applied"
	KindCertApproved  = "certification_approved"
	KindCertRejected  = "certification_rejected"
	KindCertSuspended = "certification_suspended"
	KindCertRevoked   = "certification_revoked"
)

// certKinds are the notification kinds of the certification states a
// decision moves to.
var certKinds = map[CertStatus]string{
	CertApproved:  KindCertApproved,
	CertRejected:  KindCertRejected,
	CertSuspended: KindCertSuspended,
	CertRevoked:   KindCertRevoked,
}

var certSubjects = map[string][2]string{
	KindCertApplied:   {"新的认定申请待审核：%s（%s）", "A certification application awaits your decision: %s (%s)"},
	KindCertApproved:  {"认定申请已获批准：%s，等级 %dA，有效期至 %s", "Your certification in %s was approved: grade %dA, valid through %s"},
	KindCertRejected:  {"认定申请未获批准（%s）：%s", "Your certification application in %s was rejected: %s"},
	KindCertSuspended: {"本组织的认定已被暂停（%s）：%s", "Your certification in %s was suspended: %s"},
	KindCertRevoked:   {"本组织的认定已被撤销（%s）：%s", "Your certification in %s was revoked: %s"},
}

// maxNoticeReason is how much of a decision's reason a notification quotes;
// the organization's page shows all of it.
const maxNoticeReason = 100

// districtNames returns the Chinese and English names of a district (the
// Chinese one where it has no English name).
func districtNames(tx *gorm.DB, id int64) (zh, en string, err error) {
	var d struct{ NameZh, NameEn string }
	if err := tx.Table("districts").Select("name_zh, name_en").Where("id = ?", id).Take(&d).Error; err != nil {
		return "", "", fmt.Errorf("district %d: %w", id, err)
	}
	if d.NameEn == "" {
		d.NameEn = d.NameZh
	}
	return d.NameZh, d.NameEn, nil
}

// notifyApplied tells the active admins of the application's district that
// an organization applied, inside the application's transaction.
func notifyApplied(tx *gorm.DB, c certRecord, orgName string, now time.Time) error {
	zh, en, err := districtNames(tx, c.DistrictID)
	if err != nil {
		return err
	}
	var ids []int64
	if err := tx.Table("users").Where("role = 'district_admin' AND district_id = ? AND status = 'active'", c.DistrictID).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("admins of district %d: %w", c.DistrictID, err)
	}
	s := certSubjects[KindCertApplied]
	return notify.Users(tx, notify.Notice{Kind: KindCertApplied, SubjectZh: fmt.Sprintf(s[0], orgName, zh),
		SubjectEn: fmt.Sprintf(s[1], orgName, en), At: now}, ids...)
}

// notifyDecided tells every user of the organization of the decision that
// moved certification c to status to, inside the decision's transaction: an
// approval with its grade and last valid day, any other decision with the
// beginning of its reason.
func notifyDecided(tx *gorm.DB, c certRecord, to CertStatus, grade int, validThrough, reason string, now time.Time) error {
	kind, ok := certKinds[to]
	if !ok {
		return fmt.Errorf("no notification for a certification %s", to)
	}
	zh, en, err := districtNames(tx, c.DistrictID)
	if err != nil {
		return err
	}
	s := certSubjects[kind]
	n := notify.Notice{Kind: kind, At: now}
	if to == CertApproved {
		n.SubjectZh, n.SubjectEn = fmt.Sprintf(s[0], zh, grade, validThrough), fmt.Sprintf(s[1], en, grade, validThrough)
	} else {
		quoted := cutReason(reason)
		n.SubjectZh, n.SubjectEn = fmt.Sprintf(s[0], zh, quoted), fmt.Sprintf(s[1], en, quoted)
	}
	return notify.Organizations(tx, n, c.OrganizationID)
}

// cutReason returns at most maxNoticeReason characters of a reason, with an
// ellipsis when it was longer.
func cutReason(reason string) string {
	if utf8.RuneCountInString(reason) <= maxNoticeReason {
		return reason
	}
	return string([]rune(reason)[:maxNoticeReason]) + "…"
}
