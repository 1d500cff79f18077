package evaluation

import (
	"context"

	"github.com/jiedao-market/jiedao/internal/access"
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

// WorkOfficer returns the rectification orders of the officer's subdistrict
// still without the organization's report, due at the end of the deadline
// day; one query.
func (s *Service) WorkOfficer(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT 'rectification.due' AS kind, c.title AS subject,
		((o.deadline + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') AS due,
		'/evaluations/' || o.evaluation_id AS link, 'rectification_order' AS record_type, o.id AS record_id
		FROM rectification_orders o JOIN contracts c ON c.id = o.contract_id
		WHERE o.subdistrict_id = ? AND o.reported_at IS NULL`, by.Scope.SubdistrictID)
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
