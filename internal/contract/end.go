package contract

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/fund"
)

// TerminationRequest is a party's request to terminate a contract; the
// procurement officer decides it.
type TerminationRequest struct {
	ID           int64      `json:"id"`
	ContractID   int64      `json:"contract_id"`
	ProposedSide string     `json:"proposed_side"`
	ProposedBy   *int64     `json:"-"`
	Reason       string     `json:"reason"`
	Status       string     `json:"status"` // proposed, approved, rejected
	DecidedBy    *int64     `json:"-"`
	DecisionNote string     `json:"decision_note"`
	ProposedAt   time.Time  `json:"proposed_at"`
	DecidedAt    *time.Time `json:"decided_at"`
}

// TableName is the table of TerminationRequest.
func (TerminationRequest) TableName() string { return "contract_termination_requests" }

// The officer's decisions on a termination, and what follows a dropped draft.
const (
	DecisionTerminate = "terminate"
	DecisionReject    = "reject"
	NextRanked        = "next_ranked"
	NextCancel        = "cancel"
)

// TerminateInput is a termination: the reason; for the officer the decision
// (terminate, the default, or reject a party's request); for a draft that is
// dropped what follows: the next-ranked bid's award or none.
type TerminateInput struct {
	Reason   string `json:"reason"`
	Decision string `json:"decision"`
	Next     string `json:"next"`
}

// Terminate ends a contract or asks to. The organization's admin requests
// the termination of a signed or active contract; its procurement officer
// decides: terminates it (with or without a request), returning what it
// holds encumbered, or rejects the request. A draft is dropped by the
// officer once its signing period is over or its organization is no longer
// eligible (lapsed), and either the next-ranked bid is proposed for the award
// (a new challenge period) or the tender's reservation follows (cancel).
func (s *Service) Terminate(ctx context.Context, by access.Actor, id int64, in TerminateInput) (View, error) {
	if !by.Is(access.ProcurementOfficer, access.OrgAdmin) {
		return View{}, apperr.ErrForbidden
	}
	in.Reason = strings.TrimSpace(in.Reason)
	now := s.clock.Now()
	var after func(context.Context)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		c, err := lockVisible(tx, by, id)
		if err != nil {
			return err
		}
		side, ok := sideOf(by, c)
		if !ok {
			return apperr.ErrForbidden
		}
		if c.Status != StatusDraft {
			if err := inForce(c); err != nil {
				return err
			}
		}
		var f apperr.Fields
		checkReason(&f, "reason", in.Reason)
		if side == "organization" {
			f.Check(in.Decision == "", "decision", "is the officer's")
			f.Check(in.Next == "", "next", "is the officer's")
		} else {
			f.Check(in.Decision == "" || in.Decision == DecisionTerminate || in.Decision == DecisionReject, "decision", "must be terminate or reject")
			f.Check(c.Status != StatusDraft || in.Next == NextRanked || in.Next == NextCancel, "next",
				"must be next_ranked or cancel for a draft")
			f.Check(c.Status == StatusDraft || in.Next == "", "next", "is only for a draft")
		}
		if err := f.Err(); err != nil {
			return err
		}
		switch {
		case c.Status == StatusDraft && side == "organization":
			return ErrNotInForce
		case c.Status == StatusDraft:
			after, err = s.drop(tx, by, c, in, now)
			return err
		}
		if err := inForce(c); err != nil {
			return err
		}
		var req TerminationRequest
		if err := tx.Clauses(lockUpdate).Where("contract_id = ? AND status = 'proposed'", c.ID).Limit(1).Find(&req).Error; err != nil {
			return err
		}
		switch {
		case side == "organization":
			if req.ID != 0 {
				return ErrTerminationOpen
			}
			req = TerminationRequest{ContractID: c.ID, ProposedSide: side, ProposedBy: by.UserRef(), Reason: in.Reason, Status: "proposed", ProposedAt: now}
			if err := tx.Create(&req).Error; err != nil {
				return fmt.Errorf("insert termination request: %w", err)
			}
			if err := audit.Record(tx, by, "contract.termination_request", "contract", c.ID, map[string]any{"request_id": req.ID, "reason": in.Reason}); err != nil {
				return err
			}
			return notifyOfficers(tx, c, KindTerminationProposed, now)
		case in.Decision == DecisionReject:
			if req.ID == 0 {
				return ErrNoTermination
			}
			if err := decideRequest(tx, by, req, "rejected", in.Reason, now); err != nil {
				return err
			}
			if err := audit.Record(tx, by, "contract.termination_reject", "contract", c.ID, map[string]any{"request_id": req.ID, "reason": in.Reason}); err != nil {
				return err
			}
			return notifyOrg(tx, c, KindTerminationRejected, now)
		}
		if req.ID != 0 {
			if err := decideRequest(tx, by, req, "approved", in.Reason, now); err != nil {
				return err
			}
		}
		if err := end(tx, by, c, StatusTerminated, in.Reason, now); err != nil {
			return err
		}
		return s.released(tx, c.TenderID, "contractTermination", now)
	})
	if err != nil {
		return View{}, err
	}
	if after != nil {
		after(ctx)
	}
	return s.Get(ctx, by, id)
}

func decideRequest(tx *gorm.DB, by access.Actor, r TerminationRequest, status, note string, now time.Time) error {
	return oneRow(tx.Model(&TerminationRequest{}).Where("id = ? AND status = 'proposed'", r.ID).
		Updates(map[string]any{"status": status, "decided_by": by.UserRef(), "decided_at": now, "decision_note": note}), "decide termination request", r.ID)
}

// end closes the locked contract c (terminated or completed) and returns
// what it still holds encumbered to available money.
func end(tx *gorm.DB, by access.Actor, c Contract, status, reason string, now time.Time) error {
	if err := lockFund(tx, c.FundAccountID); err != nil {
		return err
	}
	sums, err := held(tx, c)
	if err != nil {
		return err
	}
	rest := sums[c.ID]
	if rest > 0 {
		if _, err := fund.ReturnEncumbrance(tx, by, c.FundAccountID, rest, ref(c, "end")); err != nil {
			return err
		}
	}
	if err := oneRow(tx.Model(&Contract{}).Where("id = ? AND status IN ?", c.ID, []string{StatusSigned, StatusActive}).
		Updates(map[string]any{"status": status, "ended_at": now, "ended_by": by.UserRef(), "end_reason": reason, "updated_at": now}),
		"end contract", c.ID); err != nil {
		return err
	}
	// An amendment still awaiting a decision can no longer be decided.
	if err := tx.Model(&Amendment{}).Where("contract_id = ? AND status = 'proposed'", c.ID).
		Updates(map[string]any{"status": "withdrawn", "decided_at": now, "decision_note": "合同已终止 / the contract ended"}).Error; err != nil {
		return err
	}
	action := "contract.terminate"
	if status == StatusCompleted {
		action = "contract.complete"
	}
	if err := audit.Record(tx, by, action, "contract", c.ID, map[string]any{"reason": reason, "returned_fen": rest}); err != nil {
		return err
	}
	if status == StatusTerminated {
		return notifyBoth(tx, c, KindTerminated, now)
	}
	return nil
}

// Complete completes a signed or active contract once its final milestone is
// paid, returning what it still holds encumbered, inside the transaction that
// paid it (the payments' hook). A contract already ended is left alone. The
// caller locks the contract's row before the fund's rows and its first audit
// entry (the order every contract change takes); Complete locks it again.
func Complete(tx *gorm.DB, by access.Actor, id int64, now time.Time) error {
	var c Contract
	if err := tx.Clauses(lockUpdate).Take(&c, id).Error; err != nil {
		return notFound(err)
	}
	if c.Status != StatusSigned && c.Status != StatusActive {
		return nil
	}
	return end(tx, by, c, StatusCompleted, "终期款项已支付 / the final milestone is paid", now)
}

// RecordFinalScore sets a contract's final score, the track record's (tender
// scoring's) measure of it: the score of its first final evaluation, in
// tenths (923 is 92.3), never a re-evaluation's. Call it inside the
// transaction that completes the contract, with its row locked.
func RecordFinalScore(tx *gorm.DB, id int64, tenths int) error {
	if tenths < 0 || tenths > 1000 {
		return fmt.Errorf("final score of contract %d: %d tenths is out of range", id, tenths)
	}
	return oneRow(tx.Model(&Contract{}).Where("id = ?", id).Update("final_score", gorm.Expr("?::numeric / 10", tenths)),
		"record the final score of contract", id)
}

// drop makes the locked draft c lapsed, when it may be, and follows it with
// the award of the next-ranked bid or the reservation's settlement.
func (s *Service) drop(tx *gorm.DB, by access.Actor, c Contract, in TerminateInput, now time.Time) (func(context.Context), error) {
	if in.Decision == DecisionReject {
		return nil, apperr.InvalidField("decision", "a draft has no termination request to reject")
	}
	if now.Before(c.SignBy) {
		e, err := eligibility(tx, c, now)
		if err != nil {
			return nil, err
		}
		if e.Eligible {
			return nil, ErrNotDroppable
		}
	}
	// Locks in the order the tender's steps take them: its row (the
	// replacement moves it), then the fund's rows, then the audit chain.
	if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Table("tenders").Select("id").Where("id = ?", c.TenderID).
		Take(&struct{ ID int64 }{}).Error; err != nil {
		return nil, fmt.Errorf("lock tender %d: %w", c.TenderID, err)
	}
	if err := lockFund(tx, c.FundAccountID); err != nil {
		return nil, err
	}
	if err := oneRow(tx.Model(&Contract{}).Where("id = ? AND status = ?", c.ID, StatusDraft).
		Updates(map[string]any{"status": StatusLapsed, "ended_at": now, "ended_by": by.UserRef(), "end_reason": in.Reason, "updated_at": now}),
		"drop contract", c.ID); err != nil {
		return nil, err
	}
	if err := audit.Record(tx, by, "contract.lapse", "contract", c.ID, map[string]any{"reason": in.Reason, "next": in.Next}); err != nil {
		return nil, err
	}
	if err := notifyBoth(tx, c, KindLapsed, now); err != nil {
		return nil, err
	}
	if in.Next == NextRanked {
		if s.replace == nil {
			return nil, fmt.Errorf("contract: no replacer set")
		}
		return s.replace(tx, by, c.TenderID, c.BidID, in.Reason, now)
	}
	if err := SettleReservation(tx, by, c.TenderID); err != nil {
		return nil, err
	}
	// The tender stays awarded; when none of its contracts stands, its
	// status reason says so on every page that shows it.
	var standing int64
	if err := tx.Table("contracts").Where("tender_id = ? AND status <> ?", c.TenderID, StatusLapsed).Count(&standing).Error; err != nil {
		return nil, err
	}
	if standing > 0 {
		return nil, nil
	}
	return nil, tx.Table("tenders").Where("id = ?", c.TenderID).Updates(map[string]any{"updated_at": now,
		"status_reason": "中标人未签订合同，本次采购未形成合同 / no contract was signed: " + in.Reason}).Error
}
