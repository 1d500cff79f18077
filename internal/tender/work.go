package tender

import (
	"context"
	"time"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/work"
)

// openingGrace is how long after its opening time a tender may wait for the
// opening job before the officer is asked to look.
const openingGrace = time.Hour

// WorkOfficer returns what waits for a procurement officer in the tenders of
// its subdistrict, one query each: questions unanswered (due when questions
// close); tenders past their opening time by openingGrace and still not
// opened (an opening refused, or not run), due at the opening time;
// committees left even or short by a recusal; evaluated tenders to propose
// an award for; and open challenges, due at the end of the challenge period.
func (s *Service) WorkOfficer(ctx context.Context, by access.Actor) ([]work.Item, error) {
	db, sd := s.db.WithContext(ctx), by.Scope.SubdistrictID
	opening, err := work.Query(db, `SELECT 'tender.opening' AS kind, t.title AS subject, t.opens_at AS due,
		'/tenders/' || t.id AS link, 'tender' AS record_type, t.id AS record_id
		FROM tenders t WHERE t.subdistrict_id = ? AND t.status IN ('published', 'closed') AND t.opens_at <= ?`, sd, s.clock.Now().Add(-openingGrace))
	if err != nil {
		return nil, err
	}
	queries := []string{
		`SELECT 'tender.question' AS kind, t.title AS subject, t.questions_close_at AS due,
			'/tenders/' || t.id || '#questions' AS link, 'tender_question' AS record_type, q.id AS record_id
			FROM tender_questions q JOIN tenders t ON t.id = q.tender_id
			WHERE t.subdistrict_id = ? AND t.status = 'published' AND q.answered_at IS NULL`,
		`SELECT 'tender.committee' AS kind, t.title AS subject, NULL::timestamptz AS due,
			'/tenders/' || t.id || '#committee' AS link, 'tender' AS record_type, t.id AS record_id
			FROM tenders t WHERE t.subdistrict_id = ? AND t.status = 'opened'
			  AND EXISTS (SELECT 1 FROM tender_committee m WHERE m.tender_id = t.id AND m.recused)
			  AND (SELECT count(*) FROM tender_committee m WHERE m.tender_id = t.id AND NOT m.recused) % 2 = 0`,
		`SELECT 'tender.award' AS kind, t.title AS subject, NULL::timestamptz AS due,
			'/tenders/' || t.id || '#award' AS link, 'tender' AS record_type, t.id AS record_id
			FROM tenders t WHERE t.subdistrict_id = ? AND t.status IN ('evaluated', 'award_blocked')`,
		`SELECT 'tender.challenge' AS kind, t.title AS subject, t.challenge_ends_at AS due,
			'/tenders/' || t.id || '#challenges' AS link, 'challenge' AS record_type, c.id AS record_id
			FROM challenges c JOIN tenders t ON t.id = c.tender_id
			WHERE t.subdistrict_id = ? AND c.status = 'open'`,
	}
	out := opening
	for _, q := range queries {
		items, err := work.Query(db, q, sd)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

// WorkOrg returns the open tenders the organization may bid on that close
// within 7 days and where it has no bid yet (eligibility as the
// opportunities list's), and its bids that need reconfirming after an
// amendment, both due at the close; one query each.
func (s *Service) WorkOrg(ctx context.Context, by access.Actor) ([]work.Item, error) {
	db, orgID, now := s.db.WithContext(ctx), by.Scope.OrganizationID, s.clock.Now()
	open, err := work.Scan(eligibleWhere(db.Table("tenders"), orgID, now).
		Where("tenders.closes_at <= ?", now.AddDate(0, 0, 7)).
		Where("NOT EXISTS (SELECT 1 FROM bids b WHERE b.tender_id = tenders.id AND b.organization_id = ? AND b.status = 'active')", orgID).
		Select(`'tender.open' AS kind, tenders.title AS subject, tenders.closes_at AS due,
			'/opportunities/' || tenders.id AS link, 'tender' AS record_type, tenders.id AS record_id`))
	if err != nil {
		return nil, err
	}
	re, err := work.Query(db, `SELECT 'bid.reconfirm' AS kind, t.title AS subject, t.closes_at AS due,
		'/opportunities/' || t.id AS link, 'bid' AS record_type, b.id AS record_id
		FROM bids b JOIN tenders t ON t.id = b.tender_id
		WHERE b.organization_id = ? AND b.status = 'active' AND b.needs_reconfirmation
		  AND t.status = 'published' AND t.closes_at > ?`, orgID, now)
	return append(open, re...), err
}

// WorkEvaluator returns the opened tenders whose committee the evaluator sits
// on and where it has yet to declare, or declared without conflict and has
// yet to submit its scores for the current round; one query each.
func (s *Service) WorkEvaluator(ctx context.Context, by access.Actor) ([]work.Item, error) {
	db := s.db.WithContext(ctx)
	declare, err := work.Query(db, `SELECT 'review.declare' AS kind, t.title AS subject, NULL::timestamptz AS due,
		'/reviews/' || t.id AS link, 'tender' AS record_type, t.id AS record_id
		FROM tender_committee m JOIN tenders t ON t.id = m.tender_id
		WHERE m.user_id = ? AND t.status = 'opened' AND m.declared_at IS NULL AND NOT m.recused`, by.UserID)
	if err != nil {
		return nil, err
	}
	score, err := work.Query(db, `SELECT 'review.score' AS kind, t.title AS subject, NULL::timestamptz AS due,
		'/reviews/' || t.id AS link, 'tender' AS record_type, t.id AS record_id
		FROM tender_committee m JOIN tenders t ON t.id = m.tender_id
		WHERE m.user_id = ? AND t.status = 'opened' AND m.declared_at IS NOT NULL AND NOT m.recused
		  AND NOT EXISTS (SELECT 1 FROM score_sheets s WHERE s.tender_id = t.id AND s.round = t.evaluation_round AND s.user_id = m.user_id)`, by.UserID)
	return append(declare, score...), err
}
