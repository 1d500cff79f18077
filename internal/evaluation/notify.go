package evaluation

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/notify"
)

// The kinds of notification about an evaluation: each tells whoever must act
// next (or whose money and record it decides).
const (
	KindAssigned              = "evaluation_assigned"    // to the evaluator: evaluate this contract
	KindScheduled             = "evaluation_scheduled"   // to the organization: an evaluation is coming
	KindRecused               = "evaluation_recused"     // to the officers: assign another evaluator
	KindCancelled             = "evaluation_cancelled"   // to the evaluator and the organization
	KindSubmitted             = "evaluation_submitted"   // to the officers and the organization
	KindRectificationOrdered  = "rectification_ordered"  // to the organization: put it right by the deadline
	KindRectificationReported = "rectification_reported" // to the officers: schedule the re-evaluation
	KindUnassigned            = "evaluation_unassigned"  // to an evaluator replaced before declaring
)

// The subjects name the contract and the kind of evaluation: never notes,
// statements or requirements.
var subjects = map[string][2]string{
	KindAssigned:              {"请评估合同：%s（%s）", "Please evaluate the contract: %s (%s)"},
	KindScheduled:             {"合同已安排评估：%s（%s）", "An evaluation of your contract is scheduled: %s (%s)"},
	KindRecused:               {"评估人员申请回避，请另行指派：%s（%s）", "The evaluator recused; assign another: %s (%s)"},
	KindCancelled:             {"评估已取消：%s（%s）", "An evaluation was cancelled: %s (%s)"},
	KindSubmitted:             {"评估已提交：%s（%s）", "An evaluation was submitted: %s (%s)"},
	KindRectificationOrdered:  {"整改通知：%s（%s）", "Rectification order: %s (%s)"},
	KindRectificationReported: {"机构已报告整改情况：%s（%s）", "The organization reported on its rectification: %s (%s)"},
	KindUnassigned:            {"评估已改派他人：%s（%s）", "An evaluation was assigned to someone else: %s (%s)"},
}

var kindNames = map[string][2]string{
	KindMidterm: {"中期评估", "mid-term evaluation"},
	KindFinal:   {"终期评估", "final evaluation"},
	KindAdhoc:   {"专项评估", "ad-hoc evaluation"},
}

func notice(c contractInfo, e Evaluation, kind string, now time.Time) notify.Notice {
	s, k := subjects[kind], kindNames[e.Kind]
	return notify.Notice{Kind: kind, TenderID: notify.Ref(c.TenderID), ContractID: notify.Ref(c.ID),
		SubjectZh: fmt.Sprintf(s[0], c.Title, k[0]), SubjectEn: fmt.Sprintf(s[1], c.Title, k[1]), At: now}
}

func notifyOrg(tx *gorm.DB, c contractInfo, e Evaluation, kind string, now time.Time) error {
	return notify.Organizations(tx, notice(c, e, kind, now), c.OrganizationID)
}

func notifyOfficers(tx *gorm.DB, c contractInfo, e Evaluation, kind string, now time.Time) error {
	return notify.Officers(tx, notice(c, e, kind, now), c.SubdistrictID)
}

func notifyUser(tx *gorm.DB, c contractInfo, e Evaluation, kind string, userID int64, now time.Time) error {
	return notify.Users(tx, notice(c, e, kind, now), userID)
}
