package fund

import (
	"context"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/work"
)

// LowPercent is when a fund account runs low: its available balance is below
// this share of what it holds reserved for published tenders.
const LowPercent = 10

// WorkFinance returns the fund accounts of the finance officer's subdistrict
// that hold reservations and whose available balance has fallen below
// LowPercent of them; one query.
func (s *Service) WorkFinance(ctx context.Context, by access.Actor) ([]work.Item, error) {
	return work.Query(s.db.WithContext(ctx), `SELECT 'fund.low' AS kind, f.name AS subject, NULL::timestamptz AS due,
		'/funds/' || f.id AS link, 'fund_account' AS record_type, f.id AS record_id
		FROM fund_accounts f
		JOIN ledger_accounts a ON a.fund_account_id = f.id AND a.kind = 'available'
		JOIN ledger_accounts r ON r.fund_account_id = f.id AND r.kind = 'reserved'
		WHERE f.subdistrict_id = ? AND r.balance > 0 AND a.balance * 100 < r.balance * ?`, by.Scope.SubdistrictID, LowPercent)
}
