package evaluation

import (
	"context"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/work"
)

// WorkEvaluator returns the contract evaluations assigned to the evaluator
// that it has yet to submit, due at the end of their due day; one query.
func (s *Service) WorkEvaluator(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT 'evaluation.perform' AS kind, c.title AS subject,
		((e.due_on + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') AS due,
		'/evaluations/' || e.id AS link, 'evaluation' AS record_type, e.id AS record_id
		FROM evaluations e JOIN contracts c ON c.id = e.contract_id
		WHERE e.evaluator_id = ? AND e.status IN ('scheduled', 'in_progress')`, by.UserID)
}

// WorkOfficer returns what waits for a procurement officer in the
// evaluations of its subdistrict, one query each: the signed or active
// contracts past the middle of their service period without a live mid-term
// evaluation, or within 30 days of its end without a live final one (due at
// the end of the service period), to schedule; the rectification orders still
// without the organization's report, due at the end of the deadline day; and
// the reported ones whose failing evaluation has no re-evaluation yet.
func (s *Service) WorkOfficer(ctx context.Context, by access.Actor) ([]work.Item, error) {
	db, sd := s.db.WithContext(ctx), by.Scope.SubdistrictID
	today := civil.ChinaDate(s.clock.Now()).String()
	schedule, err := work.Query(db, `SELECT 'evaluation.schedule' AS kind, c.title AS subject,
		CASE WHEN k.kind = 'final' THEN ((c.service_end + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') END AS due,
		'/contracts/' || c.id || '/evaluations' AS link, 'contract' AS record_type, c.id AS record_id
		FROM contracts c CROSS JOIN (VALUES ('midterm'), ('final')) AS k (kind)
		WHERE c.subdistrict_id = ? AND c.status IN ('signed', 'active')
		  AND CASE WHEN k.kind = 'midterm' THEN ?::date >= c.service_start + (c.service_end - c.service_start) / 2
		           ELSE ?::date >= c.service_end - 30 END
		  AND NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.contract_id = c.id AND e.kind = k.kind
		                  AND e.reevaluation_of IS NULL AND e.status <> 'cancelled')`, sd, today, today)
	if err != nil {
		return nil, err
	}
	due, err := work.Query(db, `SELECT 'rectification.due' AS kind, c.title AS subject,
		((o.deadline + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') AS due,
		'/evaluations/' || o.evaluation_id AS link, 'rectification_order' AS record_type, o.id AS record_id
		FROM rectification_orders o JOIN contracts c ON c.id = o.contract_id
		WHERE o.subdistrict_id = ? AND o.reported_at IS NULL`, sd)
	if err != nil {
		return nil, err
	}
	re, err := work.Query(db, `SELECT 'evaluation.reevaluate' AS kind, c.title AS subject, NULL::timestamptz AS due,
		'/contracts/' || c.id || '/evaluations' AS link, 'rectification_order' AS record_type, o.id AS record_id
		FROM rectification_orders o JOIN contracts c ON c.id = o.contract_id
		WHERE o.subdistrict_id = ? AND o.reported_at IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.reevaluation_of = o.evaluation_id AND e.status <> 'cancelled')`, sd)
	return append(append(schedule, due...), re...), err
}

// WorkOrg returns, for an organization's admin (who reports), the
// organization's rectification orders that wait for its report, due at the
// end of the deadline day; one query.
func (s *Service) WorkOrg(ctx context.Context, by access.Actor) ([]work.Item, error) {
	if by.Role != access.OrgAdmin {
		return nil, nil
	}
	return work.Query(s.db.WithContext(ctx), `SELECT 'org.rectification' AS kind, c.title AS subject,
		((o.deadline + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') AS due,
		'/evaluations/' || o.evaluation_id AS link, 'rectification_order' AS record_type, o.id AS record_id
		FROM rectification_orders o JOIN contracts c ON c.id = o.contract_id
		WHERE c.organization_id = ? AND o.reported_at IS NULL`, by.Scope.OrganizationID)
}
