package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Factor returns the payment factor of an evaluation scoring s under the
// policy, exactly: 1 from FullAt; from FloorAt up to FullAt it rises linearly
// from FloorPercent % to 100 %; below FloorAt 0. Under DefaultPolicy it is
// PaymentFactor (WORKED_EXAMPLES.md §4: 95 → 1, 80 → 1, 70 → 0.9, 60 → 0.8,
// 59.9 → 0).
func (p Policy) Factor(s Score) *big.Rat {
	score := big.NewRat(int64(s), 10)
	full, floor, pct := exact(p.FullAt), exact(p.FloorAt), exact(p.FloorPercent)
	switch {
	case score.Cmp(full) >= 0:
		return big.NewRat(1, 1)
	case score.Cmp(floor) < 0:
		return new(big.Rat)
	}
	low := new(big.Rat).Quo(pct, big.NewRat(100, 1))
	rise := new(big.Rat).Sub(big.NewRat(1, 1), low)
	rise.Mul(rise, new(big.Rat).Sub(score, floor))
	rise.Quo(rise, new(big.Rat).Sub(full, floor))
	return low.Add(low, rise)
}

// exact is the decimal a policy figure was written as ("80", "62.5").
func exact(f float64) *big.Rat {
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'f', -1, 64))
	return r
}

// MoneyRow is where one contract's money stands in its fund account.
type MoneyRow struct {
	ContractID       int64     `json:"contract_id"`
	SubdistrictID    int64     `json:"subdistrict_id"`
	FundAccountID    int64     `json:"fund_account_id"`
	FiscalYear       int       `json:"fiscal_year"`
	Title            string    `json:"title"`
	OrganizationID   int64     `json:"organization_id"`
	OrganizationName string    `json:"organization_name"`
	Status           string    `json:"status"`
	AmountFen        money.Fen `json:"amount_fen"`
	// ReservedFen is a draft's amount, which its tender's reservation holds
	// until the signing; nothing once signed.
	ReservedFen money.Fen `json:"reserved_fen"`
	// EncumberedFen is what the contract holds encumbered now: its signing
	// and amendments, less what its milestones made payable and what
	// returned when it ended.
	EncumberedFen money.Fen `json:"encumbered_fen"`
	// PayableFen is what its milestones made payable and is not paid out
	// yet; PaidFen what was paid out.
	PayableFen money.Fen `json:"payable_fen"`
	PaidFen    money.Fen `json:"paid_fen"`
	// WithheldFen is the part of the encumbrance that its evaluations
	// withheld: for each mid-term or final milestone whose evaluation is
	// submitted, the milestone's amount less amount × the payment factor of
	// the latest submitted evaluation of that kind (a re-evaluation's once
	// there is one), at most what the contract still holds encumbered. It
	// stays encumbered until a passing re-evaluation pays it or the
	// contract's close returns it.
	WithheldFen money.Fen `json:"withheld_fen"`
}

// MoneyReport returns where the money of every contract in by's scope stands
// (reserved, encumbered, payable, paid and withheld), by fiscal year (newest
// first), subdistrict and contract; drafts dropped unsigned (lapsed) held
// nothing and are left out. Roles that read no subdistrict's records get
// none.
func (s *Service) MoneyReport(ctx context.Context, by access.Actor) ([]MoneyRow, error) {
	db := s.db.WithContext(ctx)
	cond, args := by.Subdistricts().Where("c.subdistrict_id")
	var rows []struct {
		MoneyRow
		SignedAt *string
	}
	if err := db.Table("contracts c").Select(`c.id AS contract_id, c.subdistrict_id, c.fund_account_id, f.fiscal_year, c.title,
			c.organization_id, o.legal_name AS organization_name, c.status, c.amount_fen, c.signed_at::text AS signed_at`).
		Joins("JOIN fund_accounts f ON f.id = c.fund_account_id").Joins("JOIN organizations o ON o.id = c.organization_id").
		Where(cond, args...).Where("c.status <> ?", StatusLapsed).Order("f.fiscal_year DESC, c.subdistrict_id, c.id").
		Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("money report: %w", err)
	}
	out := make([]MoneyRow, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	holders := make([]fund.Holder, len(rows))
	for i, r := range rows {
		ids[i], holders[i] = r.ContractID, fund.Holder{FundID: r.FundAccountID, ID: strconv.FormatInt(r.ContractID, 10)}
	}
	refs := []string{"contract", "milestone"}
	encumbered, err := fund.Held(db, fund.Encumbered, refs, holders...)
	if err != nil {
		return nil, err
	}
	madePayable, err := fund.Held(db, fund.Payable, refs, holders...)
	if err != nil {
		return nil, err
	}
	paid, err := fund.PaidOut(db, refs, holders...)
	if err != nil {
		return nil, err
	}
	withheld, err := withheldBy(db, ids)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		m := r.MoneyRow
		h := holders[i]
		if r.SignedAt == nil {
			m.ReservedFen = m.AmountFen
		}
		m.EncumberedFen, m.PaidFen = encumbered[h], paid[h]
		m.PayableFen = madePayable[h] - m.PaidFen
		m.WithheldFen = min(withheld[m.ContractID], m.EncumberedFen)
		out[i] = m
	}
	return out, nil
}

// withheldBy returns, by contract, what the submitted evaluations withheld
// of its mid-term and final milestones (MoneyRow.WithheldFen, before the
// cap): the latest submitted evaluation of the milestone's kind sets the
// factor, under the contract's payment policy.
func withheldBy(db *gorm.DB, ids []int64) (map[int64]money.Fen, error) {
	var rows []struct {
		ContractID    int64
		AmountFen     money.Fen
		PaymentPolicy []byte
		ScoreTenths   int64
	}
	if err := db.Raw(`SELECT m.contract_id, m.amount_fen, c.payment_policy, e.score_tenths
		FROM contract_milestones m
		JOIN contracts c ON c.id = m.contract_id
		JOIN LATERAL (SELECT (score * 10)::bigint AS score_tenths FROM evaluations
			WHERE contract_id = m.contract_id AND kind = m.after AND status = 'submitted'
			ORDER BY submitted_at DESC, id DESC LIMIT 1) e ON true
		WHERE m.contract_id IN ? AND m.after IN ('midterm', 'final')`, ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("money report: withheld amounts: %w", err)
	}
	out := make(map[int64]money.Fen, len(rows))
	for _, r := range rows {
		var p Policy
		if err := json.Unmarshal(r.PaymentPolicy, &p); err != nil {
			return nil, fmt.Errorf("money report: payment policy of contract %d: %w", r.ContractID, err)
		}
		out[r.ContractID] += r.AmountFen - MilestonePayment(r.AmountFen, p.Factor(Score(r.ScoreTenths)))
	}
	return out, nil
}
