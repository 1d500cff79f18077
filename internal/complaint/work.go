package complaint

import (
	"context"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/work"
)

// WorkOfficer returns the complaints of the officer's subdistrict that wait
// for it: received ones to triage (due at the first-response deadline) and
// responded ones to decide (due at the decision deadline), in one query.
func (s *Service) WorkOfficer(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT
		CASE WHEN status = 'received' THEN 'complaint.triage' ELSE 'complaint.decide' END AS kind,
		reference AS subject,
		CASE WHEN status = 'received' THEN first_response_due ELSE decision_due END AS due,
		'/complaints#complaint-' || id AS link, 'complaint' AS record_type, id AS record_id
		FROM complaints WHERE subdistrict_id = ? AND status IN ('received', 'responded')`, by.Scope.SubdistrictID)
}

// WorkOrg returns the complaints assigned to the organization that wait for
// its response, due at the first-response deadline; one query.
func (s *Service) WorkOrg(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT 'org.complaint.respond' AS kind, reference AS subject,
		first_response_due AS due, '/org/complaints#complaint-' || id AS link, 'complaint' AS record_type, id AS record_id
		FROM complaints WHERE organization_id = ? AND status = 'assigned'`, by.Scope.OrganizationID)
}
