package tender

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/notify"
)

// Notification is an in-app notification, to one user or to every user of an
// organization. It names the tender (and the contract, for a contract's
// notice) and what happened, never bid content.
type Notification struct {
	ID             int64     `json:"id"`
	UserID         *int64    `json:"-"`
	OrganizationID *int64    `json:"-"`
	Kind           string    `json:"kind"`
	TenderID       *int64    `json:"tender_id"`
	ContractID     *int64    `json:"contract_id"`
	ComplaintID    *int64    `json:"complaint_id"`
	SubjectZh      string    `json:"subject_zh"`
	SubjectEn      string    `json:"subject_en"`
	CreatedAt      time.Time `json:"created_at"`
}

// TableName is the table of Notification.
func (Notification) TableName() string { return "notifications" }

// The kinds of notification.
const (
	KindTenderPublished  = "tender_published"
	KindAnswerPublished  = "answer_published"
	KindAmendment        = "tender_amended"
	KindOpeningDone      = "opening_done"
	KindAwardProposed    = "award_proposed"
	KindChallengeAnswer  = "challenge_answered"
	KindAwardFinal       = "award_final"
	KindAwardBlocked     = "award_blocked"
	KindTenderCancelled  = "tender_cancelled"
	KindQuestionAsked    = "question_asked"
	KindChallengeFiled   = "challenge_filed"
	KindCommitteeToScore = "committee_to_score"
	KindMemberRecused    = "member_recused"
	KindEvaluated        = "evaluation_complete"
	KindOpeningRefused   = "opening_refused"
)

var subjects = map[string][2]string{
	KindTenderPublished:  {"新招标：%s", "New tender: %s"},
	KindAnswerPublished:  {"招标答疑已发布：%s", "An answer was published: %s"},
	KindAmendment:        {"招标文件已变更：%s", "The tender was amended: %s"},
	KindOpeningDone:      {"已开标：%s", "Bids were opened: %s"},
	KindAwardProposed:    {"中标候选人公示：%s", "Award proposed: %s"},
	KindChallengeAnswer:  {"质疑已答复：%s", "A challenge was answered: %s"},
	KindAwardFinal:       {"中标结果已确定：%s", "The award is final: %s"},
	KindAwardBlocked:     {"中标候选人不再符合资格，中标结果暂缓确定：%s", "A proposed winner is no longer eligible; the award is on hold: %s"},
	KindTenderCancelled:  {"招标已终止：%s", "The tender was cancelled: %s"},
	KindQuestionAsked:    {"收到新的提问：%s", "A bidder asked a question: %s"},
	KindChallengeFiled:   {"收到质疑：%s", "A challenge was filed: %s"},
	KindCommitteeToScore: {"请声明并评分：%s", "Declare and score the bids: %s"},
	KindMemberRecused:    {"评审委员回避，请补充委员：%s", "A committee member is recused; name a replacement: %s"},
	KindEvaluated:        {"评审完成，可提出中标建议：%s", "The evaluation is complete; propose the award: %s"},
	KindOpeningRefused:   {"开标被拒绝：投标与截标时的承诺不符：%s", "The opening was refused: the bids differ from the commitment made at the close: %s"},
}

func notice(kind string, t Tender, now time.Time) notify.Notice {
	s := subjects[kind]
	return notify.Notice{Kind: kind, TenderID: notify.Ref(t.ID), SubjectZh: fmt.Sprintf(s[0], t.Title), SubjectEn: fmt.Sprintf(s[1], t.Title), At: now}
}

// notifyOrgs tells each organization, in one insert.
func notifyOrgs(tx *gorm.DB, kind string, t Tender, orgIDs []int64, now time.Time) error {
	return notify.Organizations(tx, notice(kind, t, now), orgIDs...)
}

// notifyUsers tells each user, in one insert.
func notifyUsers(tx *gorm.DB, kind string, t Tender, userIDs []int64, now time.Time) error {
	return notify.Users(tx, notice(kind, t, now), userIDs...)
}

// notifyInterested tells the organizations that may bid on t: for an invited
// tender the invited ones, else every organization certified for the category
// in the district today, and every organization with a bid.
func notifyInterested(tx *gorm.DB, t Tender, kind string, now time.Time) error {
	day := civil.ChinaDate(now)
	var ids []int64
	err := tx.Raw(`SELECT organization_id FROM tender_invitations WHERE tender_id = ?
		UNION SELECT organization_id FROM bids WHERE tender_id = ? AND status = 'active'
		UNION SELECT c.organization_id FROM certifications c
			JOIN certification_categories cc ON cc.certification_id = c.id
			JOIN subdistricts sd ON sd.district_id = c.district_id
			WHERE ? AND sd.id = ? AND cc.category_code = ? AND c.status = 'approved' AND c.valid_from <= ? AND c.valid_until > ?
		ORDER BY 1`, t.ID, t.ID, !t.method().Invited, t.SubdistrictID, t.CategoryCode, day, day).Scan(&ids).Error
	if err != nil {
		return fmt.Errorf("organizations to tell: %w", err)
	}
	return notifyOrgs(tx, kind, t, ids, now)
}

// notifyBidders tells every organization that bid on t (a bid not withdrawn).
func notifyBidders(tx *gorm.DB, t Tender, kind string, now time.Time) error {
	var ids []int64
	if err := tx.Model(&Bid{}).Distinct("organization_id").Where("tender_id = ? AND status = 'active'", t.ID).Order("organization_id").
		Pluck("organization_id", &ids).Error; err != nil {
		return err
	}
	return notifyOrgs(tx, kind, t, ids, now)
}

// notifyOfficers tells the procurement officers of t's subdistrict.
func notifyOfficers(tx *gorm.DB, t Tender, kind string, now time.Time) error {
	return notify.Officers(tx, notice(kind, t, now), t.SubdistrictID)
}

// notifyCommittee tells the members of t's committee who are not recused.
func notifyCommittee(tx *gorm.DB, t Tender, kind string, now time.Time) error {
	var ids []int64
	if err := tx.Model(&member{}).Where("tender_id = ? AND NOT recused", t.ID).Order("user_id").Pluck("user_id", &ids).Error; err != nil {
		return err
	}
	return notifyUsers(tx, kind, t, ids, now)
}

// Notifications returns by's newest notifications (at most 100): its own and
// its organization's.
func (s *Service) Notifications(ctx context.Context, by access.Actor) ([]Notification, error) {
	out := []Notification{}
	q := s.db.WithContext(ctx).Where("user_id = ?", by.UserID)
	if by.Is(access.OrgAdmin, access.OrgMember) {
		q = q.Or("organization_id = ?", by.Scope.OrganizationID)
	}
	err := q.Order("id DESC").Limit(100).Find(&out).Error
	return out, err
}
