package payout

import (
	"context"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/work"
)

// WorkFinance returns the failed payouts from the finance officer's
// subdistrict's funds, to reconcile; one query.
func (s *Service) WorkFinance(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT 'payout.failed' AS kind, o.legal_name AS subject, NULL::timestamptz AS due,
		'/payouts#payout-' || p.id AS link, 'payout' AS record_type, p.id AS record_id
		FROM payouts p JOIN fund_accounts f ON f.id = p.fund_account_id JOIN organizations o ON o.id = p.organization_id
		WHERE f.subdistrict_id = ? AND p.state = 'failed'`, by.Scope.SubdistrictID)
}

// WorkOrg returns, for an organization's admin where payouts go through
// Stripe, the onboarding step while the organization has no account with
// payouts enabled; one query.
func (s *Service) WorkOrg(ctx context.Context, by access.Actor) ([]work.Item, error) {
	if s.provider == nil || by.Role != access.OrgAdmin {
		return nil, nil
	}
	return work.Query(s.db.WithContext(ctx), `SELECT 'payout.onboard' AS kind, o.legal_name AS subject, NULL::timestamptz AS due,
		'/org/payouts' AS link, 'organization' AS record_type, o.id AS record_id
		FROM organizations o WHERE o.id = ?
		  AND NOT EXISTS (SELECT 1 FROM organization_payout_accounts a WHERE a.organization_id = o.id AND a.payouts_enabled)`,
		by.Scope.OrganizationID)
}
