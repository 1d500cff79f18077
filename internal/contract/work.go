package contract

import (
	"context"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/work"
)

// WorkOfficer returns the contracts of the officer's subdistrict that wait
// for its signature (due by the signing deadline) and the organizations'
// amendments that wait for its decision: one query each.
func (s *Service) WorkOfficer(ctx context.Context, by access.Actor) ([]work.Item, error) {
	db := s.db.WithContext(ctx)
	sign, err := work.Query(db, `SELECT 'contract.sign' AS kind, title AS subject, sign_by AS due,
		'/contracts/' || id AS link, 'contract' AS record_type, id AS record_id
		FROM contracts WHERE subdistrict_id = ? AND status = 'draft' AND officer_signed_at IS NULL`, by.Scope.SubdistrictID)
	if err != nil {
		return nil, err
	}
	amend, err := work.Query(db, `SELECT 'contract.amendment' AS kind, c.title AS subject, NULL::timestamptz AS due,
		'/contracts/' || c.id || '#amendments' AS link, 'contract_amendment' AS record_type, a.id AS record_id
		FROM contract_amendments a JOIN contracts c ON c.id = a.contract_id
		WHERE c.subdistrict_id = ? AND a.status = 'proposed' AND a.proposed_side = 'organization'`, by.Scope.SubdistrictID)
	return append(sign, amend...), err
}

// WorkOrg returns, for an organization's admin (who signs for it), the
// organization's contracts that wait for its signature and the subdistrict's
// amendments that wait for its answer: one query each.
func (s *Service) WorkOrg(ctx context.Context, by access.Actor) ([]work.Item, error) {
	if by.Role != access.OrgAdmin {
		return nil, nil
	}
	db := s.db.WithContext(ctx)
	sign, err := work.Query(db, `SELECT 'org.contract.sign' AS kind, title AS subject, sign_by AS due,
		'/contracts/' || id AS link, 'contract' AS record_type, id AS record_id
		FROM contracts WHERE organization_id = ? AND status = 'draft' AND org_signed_at IS NULL`, by.Scope.OrganizationID)
	if err != nil {
		return nil, err
	}
	amend, err := work.Query(db, `SELECT 'org.amendment' AS kind, c.title AS subject, NULL::timestamptz AS due,
		'/contracts/' || c.id || '#amendments' AS link, 'contract_amendment' AS record_type, a.id AS record_id
		FROM contract_amendments a JOIN contracts c ON c.id = a.contract_id
		WHERE c.organization_id = ? AND a.status = 'proposed' AND a.proposed_side = 'subdistrict'`, by.Scope.OrganizationID)
	return append(sign, amend...), err
}
