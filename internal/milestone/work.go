package milestone

import (
	"context"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/work"
)

// WorkOfficer returns the milestone payments of the officer's subdistrict
// whose work waits for its acceptance (验收); one query.
func (s *Service) WorkOfficer(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT 'milestone.accept' AS kind, c.title AS subject, NULL::timestamptz AS due,
		'/contracts/' || c.id || '/milestones' AS link, 'milestone_payment' AS record_type, p.id AS record_id
		FROM milestone_payments p JOIN contracts c ON c.id = p.contract_id
		WHERE p.subdistrict_id = ? AND p.state = 'due'`, by.Scope.SubdistrictID)
}

// WorkFinance returns the milestone payments of the finance officer's
// subdistrict that are accepted and invoiced and wait for a payment approval
// by someone other than who accepted them; one query.
func (s *Service) WorkFinance(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT 'milestone.approve' AS kind, c.title AS subject, NULL::timestamptz AS due,
		'/approvals' AS link, 'milestone_payment' AS record_type, p.id AS record_id
		FROM milestone_payments p JOIN contracts c ON c.id = p.contract_id
		WHERE p.subdistrict_id = ? AND p.state = 'accepted' AND p.invoiced_at IS NOT NULL
		  AND p.accepted_by IS DISTINCT FROM ?`, by.Scope.SubdistrictID, by.UserID)
}
