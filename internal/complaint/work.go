package complaint

import (
	"context"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/work"
)

// WorkOfficer returns the complaints of the officer's subdistrict that wait
// for it, in one query: received ones to triage (due at the first-response
// deadline), assigned ones whose organization let the first-response
// deadline pass (overdue), and responded ones to decide (due at the decision
// deadline).
func (s *Service) WorkOfficer(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT
		CASE status WHEN 'received' THEN 'complaint.triage' WHEN 'assigned' THEN 'complaint.overdue' ELSE 'complaint.decide' END AS kind,
		reference AS subject,
		CASE status WHEN 'received' THEN first_response_due WHEN 'assigned' THEN first_response_due ELSE decision_due END AS due,
		'/complaints#complaint-' || id AS link, 'complaint' AS record_type, id AS record_id
		FROM complaints WHERE subdistrict_id = ?
		  AND (status IN ('received', 'responded') OR (status = 'assigned' AND first_response_due <= ?))`,
		by.Scope.SubdistrictID, s.clock.Now())
}

// WorkResident returns the complaints the resident filed while signed in
// that are not decided yet, due at their decision deadline; one query.
func (s *Service) WorkResident(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT 'resident.complaint' AS kind, reference AS subject,
		decision_due AS due, ? || reference AS link, 'complaint' AS record_type, id AS record_id
		FROM complaints WHERE created_by = ? AND status <> 'decided'`, "/complaints/track?reference=", by.UserID)
}

// WorkOrg returns the complaints assigned to the organization that wait for
// its response, due at the first-response deadline; one query.
func (s *Service) WorkOrg(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT 'org.complaint.respond' AS kind, reference AS subject,
		first_response_due AS due, '/org/complaints#complaint-' || id AS link, 'complaint' AS record_type, id AS record_id
		FROM complaints WHERE organization_id = ? AND status = 'assigned'`, by.Scope.OrganizationID)
}
