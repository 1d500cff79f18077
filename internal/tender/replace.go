package tender

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/money"
)

// hasContracts reports whether a final award of the tender made contracts: a
// later award proposal is then a replacement.
func hasContracts(tx *gorm.DB, tenderID int64) (bool, error) {
	var n int64
	err := tx.Table("contracts").Where("tender_id = ?", tenderID).Count(&n).Error
	return n > 0, err
}

// ProposeReplacement proposes, inside tx (the one that dropped the draft
// contract of droppedBidID), the award of the next-ranked bid of the awarded
// tender: in the frozen score table's order, a bid without a contract whose
// organization is still eligible and whose price fits the ceiling beside the
// contracts that stand. The award's winners are those contracts' bids and
// the new one, public for a new challenge period; at its end the new bid's
// draft contract is made. It returns ErrNoNextBid when no bid qualifies, and
// the step to run after the commit (scheduling the period's end).
func (s *Service) ProposeReplacement(tx *gorm.DB, by access.Actor, tenderID, droppedBidID int64, reason string, now time.Time) (func(context.Context), error) {
	var t Tender
	if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Take(&t, tenderID).Error; err != nil {
		return nil, notFound(err)
	}
	if t.Status != StatusAwarded {
		return nil, ErrNoAward
	}
	var prev AwardProposal
	if err := tx.Where("tender_id = ? AND status = 'final'", t.ID).Take(&prev).Error; err != nil {
		return nil, fmt.Errorf("final award of tender %d: %w", t.ID, err)
	}
	var contracts []struct {
		BidID     int64
		Status    string
		AmountFen money.Fen
	}
	// A standing contract holds its amount at signing out of the reservation
	// (an amendment moves available money, never the reservation), a draft
	// its price.
	if err := tx.Table("contracts").Select("bid_id, status, COALESCE(signed_amount_fen, amount_fen) AS amount_fen").Where("tender_id = ?", t.ID).
		Scan(&contracts).Error; err != nil {
		return nil, err
	}
	var standing []int64
	var sum money.Fen
	taken := map[int64]bool{}
	for _, c := range contracts {
		taken[c.BidID] = true
		if c.Status != "lapsed" {
			standing = append(standing, c.BidID)
			sum += c.AmountFen
		}
	}
	rows := prev.ScoreTable.Rows
	ineligible, err := ineligibleBids(tx, t, rows, now)
	if err != nil {
		return nil, err
	}
	var next int64
	for _, r := range rows {
		if !taken[r.BidID] && ineligible[r.BidID] == nil && sum+r.PriceFen <= t.CeilingFen {
			next = r.BidID
			break
		}
	}
	if next == 0 {
		return nil, ErrNoNextBid
	}
	if err := tx.Model(&AwardProposal{}).Where("id = ? AND status = 'final'", prev.ID).Update("status", "superseded").Error; err != nil {
		return nil, err
	}
	ends := now.AddDate(0, 0, t.ChallengeDays)
	p := AwardProposal{TenderID: t.ID, Round: t.EvaluationRound, Status: "proposed", BidIDs: append(standing, next),
		DeviationReason: fmt.Sprintf("替补中标：投标 %d 的合同未签订 / replacing bid %d, whose contract was not signed: %s", droppedBidID, droppedBidID, reason),
		ScoreTable:      prev.ScoreTable, ProposedBy: by.UserRef(), ProposedAt: now, ChallengeEndsAt: ends}
	if err := tx.Create(&p).Error; err != nil {
		return nil, fmt.Errorf("insert replacement award: %w", err)
	}
	if err := setStatus(tx, &t, StatusAwardProposed, map[string]any{"challenge_ends_at": ends, "status_reason": ""}, now); err != nil {
		return nil, err
	}
	if err := audit.Record(tx, by, "tender.award_replace", "tender", t.ID, map[string]any{"dropped_bid_id": droppedBidID, "bid_id": next,
		"award_proposal_id": p.ID, "challenge_ends_at": ends}); err != nil {
		return nil, err
	}
	if err := notifyBidders(tx, t, KindAwardProposed, now); err != nil {
		return nil, err
	}
	return func(ctx context.Context) { s.schedule(ctx, t.ID, ends) }, nil
}

// endReplacement withdraws the replacement award p of the locked tender (its
// new winner no longer eligible, or a challenge to it upheld): the award
// before it is final again, the tender awarded, and the reservation follows
// the contracts that stand. The officers are told why.
func (s *Service) endReplacement(tx *gorm.DB, by access.Actor, t *Tender, p AwardProposal, reason string, now time.Time) error {
	if err := oneRow(tx.Model(&AwardProposal{}).Where("id = ? AND status = 'proposed'", p.ID).
		Updates(map[string]any{"status": "withdrawn", "ended_at": now}), "withdraw award proposal %d", p.ID); err != nil {
		return err
	}
	var prev AwardProposal
	if err := tx.Where("tender_id = ? AND status = 'superseded'", t.ID).Order("id DESC").Take(&prev).Error; err != nil {
		return fmt.Errorf("award before the replacement of tender %d: %w", t.ID, err)
	}
	if err := tx.Model(&AwardProposal{}).Where("id = ?", prev.ID).Update("status", "final").Error; err != nil {
		return err
	}
	if err := setStatus(tx, t, StatusAwarded, map[string]any{"challenge_ends_at": nil, "status_reason": reason}, now); err != nil {
		return err
	}
	if err := audit.Record(tx, by, "tender.award_replace_withdrawn", "tender", t.ID, map[string]any{"award_proposal_id": p.ID, "reason": reason}); err != nil {
		return err
	}
	if err := contract.SettleReservation(tx, by, t.ID); err != nil {
		return err
	}
	return notifyOfficers(tx, *t, KindAwardBlocked, now)
}
