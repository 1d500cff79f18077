package tender

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/org"
)

// Question is a bidder's question with the officer's answer. The asking
// organization is stored for the record and never shown: Mine tells the asker
// its own question.
type Question struct {
	ID             int64      `json:"id"`
	TenderID       int64      `json:"tender_id"`
	OrganizationID int64      `json:"-"`
	AskedBy        *int64     `json:"-"`
	Body           string     `json:"body"`
	AskedAt        time.Time  `json:"asked_at"`
	Answer         *string    `json:"answer"`
	AnsweredBy     *int64     `json:"-"`
	AnsweredAt     *time.Time `json:"answered_at"`
	Mine           bool       `json:"mine" gorm:"-"`
}

// TableName is the table of Question.
func (Question) TableName() string { return "tender_questions" }

// ErrAnswered is returned for a question answered already.
var ErrAnswered = apperr.New(apperr.Conflict, "question.answered", "the question has an answer already")

// orgTender reads a tender ever published for an organization's user, locking
// its row when lock is set; other roles get apperr.ErrForbidden. Whether the
// organization may take part is mayBid's question. Bids read their tender
// with lockBidder.
func orgTender(tx *gorm.DB, by access.Actor, id int64, lock bool) (Tender, error) {
	var t Tender
	if !by.Is(access.OrgAdmin, access.OrgMember) {
		return t, apperr.ErrForbidden
	}
	q := tx.Where("id = ? AND published_at IS NOT NULL", id)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "NO KEY UPDATE"})
	}
	if err := q.Take(&t).Error; err != nil {
		return t, notFound(err)
	}
	return t, nil
}

// mayBid checks that by's organization may bid on t, a tender of district
// districtID, at now; districtID 0 is looked up.
func mayBid(tx *gorm.DB, by access.Actor, t Tender, districtID int64, now time.Time) error {
	if err := invited(tx, by, t); err != nil {
		return err
	}
	if districtID == 0 {
		if err := tx.Table("subdistricts").Select("district_id").Where("id = ?", t.SubdistrictID).Take(&districtID).Error; err != nil {
			return err
		}
	}
	e, err := eligibility(tx, by.Scope.OrganizationID, districtID, t, now)
	if err != nil {
		return err
	}
	return refuseIneligible(e)
}

// invited checks that by's organization was invited to t, when t invites.
func invited(tx *gorm.DB, by access.Actor, t Tender) error {
	if !t.method().Invited {
		return nil
	}
	var n int64
	if err := tx.Model(&invitation{}).Where("tender_id = ? AND organization_id = ?", t.ID, by.Scope.OrganizationID).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrNotEligible
	}
	return nil
}

// refuseIneligible is ErrNotEligible with e's reasons, unless e is eligible.
func refuseIneligible(e org.Eligibility) error {
	if e.Eligible {
		return nil
	}
	return &apperr.Error{Kind: apperr.Forbidden, Code: ErrNotEligible.Code, Message: ErrNotEligible.Message + ": " + strings.Join(e.Reasons, "; ")}
}

// Ask files a question on a published tender before its cut-off, for an
// organization that may bid on it. The officers are told.
func (s *Service) Ask(ctx context.Context, by access.Actor, tenderID int64, body string) (Question, error) {
	body = strings.TrimSpace(body)
	if body == "" || len(body) > 5000 || !plain(body) {
		return Question{}, apperr.InvalidField("body", "is required (at most 5000 bytes of text)")
	}
	now := s.clock.Now()
	var q Question
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := orgTender(tx, by, tenderID, false)
		if err != nil {
			return err
		}
		if t.StatusAt(now) != StatusPublished {
			return ErrNotPublished
		}
		if !now.Before(t.QuestionsCloseAt) {
			return ErrQuestionsClosed
		}
		if err := mayBid(tx, by, t, 0, now); err != nil {
			return err
		}
		q = Question{TenderID: tenderID, OrganizationID: by.Scope.OrganizationID, AskedBy: by.UserRef(), Body: body, AskedAt: now, Mine: true}
		if err := tx.Create(&q).Error; err != nil {
			return fmt.Errorf("insert question: %w", err)
		}
		if err := audit.Record(tx, by, "tender.question", "tender", tenderID, map[string]any{"question_id": q.ID}); err != nil {
			return err
		}
		return notifyOfficers(tx, t, KindQuestionAsked, now)
	})
	return q, err
}

// Answer publishes the officer's answer to a question; every organization that
// may bid is told. The asker stays anonymous.
func (s *Service) Answer(ctx context.Context, by access.Actor, tenderID, questionID int64, answer string) (Question, error) {
	answer = strings.TrimSpace(answer)
	if answer == "" || len(answer) > 10000 || !plain(answer) {
		return Question{}, apperr.InvalidField("answer", "is required (at most 10000 bytes of text)")
	}
	now := s.clock.Now()
	var q Question
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := officerTender(tx, by, tenderID)
		if err != nil {
			return err
		}
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("id = ? AND tender_id = ?", questionID, tenderID).Take(&q).Error; err != nil {
			return notFound(err)
		}
		if q.Answer != nil {
			return ErrAnswered
		}
		if t.Status == StatusDraft || t.Status == StatusCancelled || t.Status == StatusFailed || t.Status == StatusAwarded {
			return ErrNotPublished
		}
		q.Answer, q.AnsweredBy, q.AnsweredAt = &answer, by.UserRef(), &now
		if err := tx.Model(&q).Select("answer", "answered_by", "answered_at").Updates(&q).Error; err != nil {
			return fmt.Errorf("answer question: %w", err)
		}
		if err := audit.Record(tx, by, "tender.answer", "tender", tenderID, map[string]any{"question_id": q.ID}); err != nil {
			return err
		}
		return notifyInterested(tx, t, KindAnswerPublished, now)
	})
	return q, err
}

// Questions returns a tender's questions as by may see them: the officers all,
// everyone else the answered ones, an organization also its own unanswered.
func (s *Service) Questions(ctx context.Context, by access.Actor, tenderID int64) ([]Question, error) {
	db := s.db.WithContext(ctx)
	var t Tender
	if err := visible(db, by).Take(&t, tenderID).Error; err != nil {
		return nil, notFound(err)
	}
	return questions(db, by, t)
}

func questions(db *gorm.DB, by access.Actor, t Tender) ([]Question, error) {
	q := db.Where("tender_id = ?", t.ID)
	switch {
	case by.Role == access.ProcurementOfficer && by.Scope.SubdistrictID == t.SubdistrictID:
	case by.Is(access.OrgAdmin, access.OrgMember):
		q = q.Where("answer IS NOT NULL OR organization_id = ?", by.Scope.OrganizationID)
	default:
		q = q.Where("answer IS NOT NULL")
	}
	out := []Question{}
	if err := q.Order("id").Find(&out).Error; err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Mine = by.Is(access.OrgAdmin, access.OrgMember) && out[i].OrganizationID == by.Scope.OrganizationID
	}
	return out, nil
}
