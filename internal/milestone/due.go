package milestone

import (
	"fmt"
	"math/big"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/money"
)

// ContractSigned makes the contract's signing milestones due, in full (factor
// 1), inside the transaction that signed it, with the contract's row locked:
// a contract.SignedHook.
func (s *Service) ContractSigned(tx *gorm.DB, by access.Actor, c contract.Contract, now time.Time) error {
	return s.makeDue(tx, by, c, "signing", nil, now)
}

// EvaluationSubmitted makes the milestones that wait for a submitted mid-term
// or final evaluation due, inside the transaction that submits it: an
// evaluation.SubmitHook. Each milestone triggered by the evaluation's kind
// gets one payment round per evaluation: its payable amount is the milestone
// amount × the evaluation's payment factor under the contract's policy
// (Factor), rounded half up to the fen (Payable), less what earlier rounds
// of the milestone made payable; nothing payable leaves the round withheld.
// The first evaluation of its kind sets the milestone's first round; only a
// re-evaluation (ReevaluationOf) adds another, and a round of the milestone
// still awaiting approval is superseded by it. An ad-hoc evaluation, an
// evaluation already applied and a contract that is not signed or active
// change nothing.
//
// It locks the contract's row, then the milestones': the submitting
// transaction should lock the contract's row first, as every contract change
// does, so that two changes never hold each other's rows.
func (s *Service) EvaluationSubmitted(tx *gorm.DB, by access.Actor, ev evaluation.Submitted) error {
	if ev.Kind != evaluation.KindMidterm && ev.Kind != evaluation.KindFinal {
		return nil
	}
	c, err := lockContract(tx, ev.ContractID)
	if err != nil {
		return err
	}
	if !inForce(c) {
		return nil
	}
	return s.makeDue(tx, by, c, ev.Kind, &ev, s.clock.Now())
}

// makeDue gives each milestone of the locked contract c whose trigger is
// trigger its payment round: for the signing (ev nil) in full, once; for an
// evaluation scaled by its factor.
func (s *Service) makeDue(tx *gorm.DB, by access.Actor, c contract.Contract, trigger string, ev *evaluation.Submitted, now time.Time) error {
	var ms []milestoneRow
	if err := tx.Clauses(lockUpdate).Where("contract_id = ? AND after = ?", c.ID, trigger).Order("seq").Find(&ms).Error; err != nil {
		return fmt.Errorf("milestones of contract %d after %s: %w", c.ID, trigger, err)
	}
	for _, m := range ms {
		var rounds []payment
		if err := tx.Clauses(lockUpdate).Select(paymentColumns).Where("milestone_id = ?", m.ID).Order("round").Find(&rounds).Error; err != nil {
			return fmt.Errorf("payments of milestone %d: %w", m.ID, err)
		}
		if !applies(rounds, ev) {
			continue
		}
		factor := big.NewRat(1, 1)
		if ev != nil {
			factor = Factor(c.PaymentPolicy, ev.ScoreTenths)
		}
		if err := s.addRound(tx, by, c, m, rounds, ev, factor, now); err != nil {
			return err
		}
	}
	return nil
}

// applies reports whether an evaluation (nil: the signing) adds a round to a
// milestone with rounds: the signing and a first evaluation only to a
// milestone without one, a re-evaluation once.
func applies(rounds []payment, ev *evaluation.Submitted) bool {
	for _, r := range rounds {
		switch {
		case ev == nil:
			return false
		case r.EvaluationID != nil && *r.EvaluationID == ev.ID:
			return false
		case r.EvaluationID != nil && ev.ReevaluationOf == nil:
			return false
		}
	}
	return true
}

// addRound writes milestone m's next round for ev (nil: the signing) at
// factor, superseding a round still awaiting approval, with its audit entry
// and notices.
func (s *Service) addRound(tx *gorm.DB, by access.Actor, c contract.Contract, m milestoneRow, rounds []payment,
	ev *evaluation.Submitted, factor *big.Rat, now time.Time) error {
	var earlier money.Fen
	var superseded []int64
	for _, r := range rounds {
		switch r.State {
		case StateApproved, StatePaid:
			earlier += r.PayableFen
		case StateDue, StateAccepted:
			superseded = append(superseded, r.ID)
		}
	}
	target := Payable(m.AmountFen, factor)
	payable := max(target-earlier, 0)
	state := StateDue
	if payable == 0 {
		state = StateWithheld
	}
	if len(superseded) > 0 {
		if err := tx.Model(&payment{}).Where("id IN ? AND state IN ?", superseded, []string{StateDue, StateAccepted}).
			Updates(map[string]any{"state": StateSuperseded, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("supersede the payments of milestone %d: %w", m.ID, err)
		}
	}
	p := payment{MilestoneID: m.ID, ContractID: c.ID, SubdistrictID: c.SubdistrictID, Round: len(rounds) + 1, Factor: FormatFactor(factor),
		MilestoneFen: m.AmountFen, EarlierFen: earlier, PayableFen: payable, State: state, DueAt: now}
	if ev != nil {
		id, score := ev.ID, ev.ScoreTenths
		p.EvaluationID, p.ScoreTenths = &id, &score
	}
	err := tx.Raw(`INSERT INTO milestone_payments (milestone_id, contract_id, subdistrict_id, round, evaluation_id, score_tenths, factor,
		milestone_fen, earlier_fen, payable_fen, state, due_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?::numeric, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.MilestoneID, p.ContractID, p.SubdistrictID, p.Round, p.EvaluationID, p.ScoreTenths, p.Factor,
		p.MilestoneFen, p.EarlierFen, p.PayableFen, p.State, now, now, now).Scan(&p.ID).Error
	if err != nil {
		return fmt.Errorf("insert payment round %d of milestone %d: %w", p.Round, m.ID, err)
	}
	if err := oneRow(tx.Model(&milestoneRow{}).Where("id = ?", m.ID).
		Updates(map[string]any{"status": MilestoneDue, "due_at": gorm.Expr("COALESCE(due_at, ?)", now)}), "make due milestone", m.ID); err != nil {
		return err
	}
	action := "milestone.due"
	if state == StateWithheld {
		action = "milestone.withheld"
	}
	if err := audit.Record(tx, by, action, "milestone", m.ID, map[string]any{"contract_id": c.ID, "payment_id": p.ID, "round": p.Round,
		"trigger": m.After, "evaluation_id": p.EvaluationID, "score_tenths": p.ScoreTenths, "factor": p.Factor,
		"milestone_fen": m.AmountFen, "earlier_fen": earlier, "payable_fen": payable, "withheld_fen": m.AmountFen - earlier - payable,
		"superseded_payment_ids": superseded}); err != nil {
		return err
	}
	if state == StateWithheld {
		return notifyBoth(tx, c, m, KindWithheld, payable, now)
	}
	return notifyBoth(tx, c, m, KindDue, payable, now)
}
