package rating

import (
	"context"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/work"
)

// WorkOrg returns the ratings of the organization's services that have no
// reply yet; one query.
func (s *Service) WorkOrg(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT 'rating.reply' AS kind, c.title AS subject, NULL::timestamptz AS due,
		'/org/ratings#rating-' || r.id AS link, 'rating' AS record_type, r.id AS record_id
		FROM ratings r JOIN contracts c ON c.id = r.contract_id
		WHERE r.organization_id = ? AND r.reply IS NULL`, by.Scope.OrganizationID)
}
