package servicerequest

import (
	"context"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/work"
)

// WorkOrg returns the service requests to the organization that wait for
// its acceptance, due when they would become overdue; one query.
func (s *Service) WorkOrg(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT 'request.accept' AS kind, c.title AS subject,
		r.requested_at + make_interval(secs => ?) AS due,
		'/org/requests#request-' || r.id AS link, 'service_request' AS record_type, r.id AS record_id
		FROM service_requests r JOIN contracts c ON c.id = r.contract_id
		WHERE r.organization_id = ? AND r.status = 'requested'`, s.overdue.Seconds(), by.Scope.OrganizationID)
}

// WorkResident returns the resident's own requests still open (requested or
// accepted), the accepted ones due at their scheduled time; one query.
func (s *Service) WorkResident(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT 'resident.request' AS kind,
		COALESCE(c.title, left(r.note, 40)) AS subject, r.scheduled_at AS due,
		'/requests#request-' || r.id AS link, 'service_request' AS record_type, r.id AS record_id
		FROM service_requests r LEFT JOIN contracts c ON c.id = r.contract_id
		WHERE r.resident_id = ? AND r.status IN ('requested', 'accepted')`, by.UserID)
}
