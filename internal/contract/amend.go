package contract

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Amendment is a change of a signed contract proposed by one party; the
// other accepts it (a new version) or rejects it.
type Amendment struct {
	ID           int64      `json:"id"`
	ContractID   int64      `json:"contract_id"`
	BaseVersion  int        `json:"base_version"`
	ProposedSide string     `json:"proposed_side"` // subdistrict or organization
	ProposedBy   *int64     `json:"-"`
	Reason       string     `json:"reason"`
	Changes      Changes    `json:"changes" gorm:"serializer:json"`
	Status       string     `json:"status"` // proposed, accepted, rejected
	DecidedBy    *int64     `json:"-"`
	DecisionNote string     `json:"decision_note"`
	ProposedAt   time.Time  `json:"proposed_at"`
	DecidedAt    *time.Time `json:"decided_at"`
}

// TableName is the table of Amendment.
func (Amendment) TableName() string { return "contract_amendments" }

// Changes are what an amendment changes; an absent part stays as it is.
type Changes struct {
	AmountFen    *money.Fen    `json:"amount_fen,omitempty"`
	ServiceStart *civil.Date   `json:"service_start,omitempty"`
	ServiceEnd   *civil.Date   `json:"service_end,omitempty"`
	Targets      []TargetInput `json:"targets,omitempty"`
	// Milestones replace the milestones not yet approved; they must sum to
	// the (new) amount less what the approved ones hold. When the amount
	// changes without them, the last pending milestone takes the difference.
	Milestones *[]MilestoneInput `json:"milestones,omitempty"`
}

// TargetInput is a metric's new target.
type TargetInput struct {
	Code   string  `json:"code"`
	Target float64 `json:"target"`
}

// AmendmentInput is a proposed amendment: the changes and the reason.
type AmendmentInput struct {
	Reason string `json:"reason"`
	Changes
}

func sideOf(by access.Actor, c Contract) (string, bool) {
	switch {
	case officer(by, c):
		return "subdistrict", true
	case by.Role == access.OrgAdmin && by.Scope.OrganizationID == c.OrganizationID:
		return "organization", true
	}
	return "", false
}

// plan is an amendment checked against the contract: the milestones it
// leaves and the change of the amount.
type plan struct {
	amount     money.Fen
	delta      money.Fen
	start, end civil.Date
	pending    []MilestoneInput // nil: the pending milestones stay
}

// check checks ch against c as it stands, and the cumulative cap.
func (s *Service) check(tx *gorm.DB, c Contract, ch Changes, now time.Time) (plan, error) {
	p := plan{amount: c.AmountFen, start: c.ServiceStart, end: c.ServiceEnd}
	var f apperr.Fields
	if ch.AmountFen == nil && ch.ServiceStart == nil && ch.ServiceEnd == nil && len(ch.Targets) == 0 && ch.Milestones == nil {
		f.Add("changes", "name at least one change: amount_fen, service_start, service_end, targets or milestones")
		return p, f.Err()
	}
	_, milestones, err := Details(tx, c.ID)
	if err != nil {
		return p, err
	}
	var approved money.Fen
	var pending []Milestone
	for _, m := range milestones {
		if m.Status == "pending" {
			pending = append(pending, m)
		} else {
			approved += m.AmountFen
		}
	}
	signed := c.AmountFen
	if c.SignedAmountFen != nil {
		signed = *c.SignedAmountFen
	}
	if ch.AmountFen != nil {
		p.amount = *ch.AmountFen
		capFen := signed * money.Fen(s.opts.AmendmentCapPercent) / 100
		f.Check(p.amount > 0, "amount_fen", "must be more than zero")
		f.Check(p.amount-signed <= capFen, "amount_fen", fmt.Sprintf("raises the contract by more than %d %% of the signed amount in all (at most %d fen)",
			s.opts.AmendmentCapPercent, signed+capFen))
		f.Check(p.amount > approved, "amount_fen", fmt.Sprintf("must stay above what approved milestones hold (%d fen)", approved))
	}
	p.delta = p.amount - c.AmountFen
	if ch.ServiceStart != nil {
		p.start = *ch.ServiceStart
		f.Check(c.Status == StatusSigned, "service_start", "cannot move once the service has begun")
		f.Check(!ch.ServiceStart.IsZero(), "service_start", "must be a date")
	}
	if ch.ServiceEnd != nil {
		p.end = *ch.ServiceEnd
		f.Check(!p.end.Before(civil.ChinaDate(now)), "service_end", "cannot end before today")
	}
	f.Check(!p.end.Before(p.start), "service_end", "must not be before service_start")
	metrics, _, err := Details(tx, c.ID)
	if err != nil {
		return p, err
	}
	known := map[string]bool{}
	for _, m := range metrics {
		known[m.Code] = true
	}
	seen := map[string]bool{}
	for i, t := range ch.Targets {
		field := fmt.Sprintf("targets[%d]", i)
		f.Check(known[t.Code] && !seen[t.Code], field+".code", "must be one of the contract's metrics, once")
		f.Check(t.Target >= 0 && t.Target <= 1e9 && !math.IsNaN(t.Target), field+".target", "must be between 0 and 1,000,000,000")
		seen[t.Code] = true
	}
	switch {
	case ch.Milestones != nil:
		checkMilestones(&f, "milestones", *ch.Milestones, p.amount-approved)
		p.pending = *ch.Milestones
	case p.delta != 0:
		if len(pending) == 0 {
			f.Add("milestones", "every milestone is approved: name new milestones for the changed amount")
			break
		}
		last := pending[len(pending)-1]
		f.Check(last.AmountFen+p.delta > 0, "amount_fen", "cuts more than the last pending milestone holds: name the milestones")
		for _, m := range pending {
			p.pending = append(p.pending, MilestoneInput{Name: m.Name, After: m.After, AmountFen: m.AmountFen})
		}
		p.pending[len(p.pending)-1].AmountFen += p.delta
	}
	return p, f.Err()
}

// ProposeAmendment proposes an amendment of a signed or active contract, as
// its procurement officer or its organization's admin, with a reason.
func (s *Service) ProposeAmendment(ctx context.Context, by access.Actor, id int64, in AmendmentInput) (Amendment, error) {
	if !by.Is(access.ProcurementOfficer, access.OrgAdmin) {
		return Amendment{}, apperr.ErrForbidden
	}
	in.Reason = strings.TrimSpace(in.Reason)
	now := s.clock.Now()
	var a Amendment
	err := s.tx(ctx, func(tx *gorm.DB) error {
		c, err := lockVisible(tx, by, id)
		if err != nil {
			return err
		}
		side, ok := sideOf(by, c)
		if !ok {
			return apperr.ErrForbidden
		}
		if err := inForce(c); err != nil {
			return err
		}
		var f apperr.Fields
		checkReason(&f, "reason", in.Reason)
		if err := f.Err(); err != nil {
			return err
		}
		if _, err := s.check(tx, c, in.Changes, now); err != nil {
			return err
		}
		var open int64
		if err := tx.Model(&Amendment{}).Where("contract_id = ? AND status = 'proposed'", c.ID).Count(&open).Error; err != nil {
			return err
		}
		if open > 0 {
			return ErrAmendmentOpen
		}
		a = Amendment{ContractID: c.ID, BaseVersion: c.Version, ProposedSide: side, ProposedBy: by.UserRef(), Reason: in.Reason,
			Changes: in.Changes, Status: "proposed", ProposedAt: now}
		if err := tx.Create(&a).Error; err != nil {
			return fmt.Errorf("insert amendment: %w", err)
		}
		if err := audit.Record(tx, by, "contract.amendment_propose", "contract", c.ID, map[string]any{"amendment_id": a.ID,
			"changes": in.Changes, "reason": in.Reason}); err != nil {
			return err
		}
		if side == "subdistrict" {
			return notifyOrg(tx, c, KindAmendmentProposed, now)
		}
		return notifyOfficers(tx, c, KindAmendmentProposed, now)
	})
	return a, err
}

func inForce(c Contract) error {
	switch c.Status {
	case StatusSigned, StatusActive:
		return nil
	case StatusDraft:
		return ErrNotInForce
	}
	return ErrEnded
}

// DecideAmendment accepts or rejects a proposed amendment, as the other
// party, with a note. Accepting applies it in one transaction with its audit
// entry: a rise is encumbered out of available money (fund.ErrInsufficient
// when the fund cannot cover it, and nothing changes), a cut returns the
// difference, and the contract becomes its next version.
func (s *Service) DecideAmendment(ctx context.Context, by access.Actor, amendmentID int64, accept bool, note string) (Amendment, error) {
	if !by.Is(access.ProcurementOfficer, access.OrgAdmin) {
		return Amendment{}, apperr.ErrForbidden
	}
	note = strings.TrimSpace(note)
	now := s.clock.Now()
	var a Amendment
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var contractID int64
		if err := tx.Model(&Amendment{}).Select("contract_id").Where("id = ?", amendmentID).Take(&contractID).Error; err != nil {
			return notFound(err)
		}
		c, err := lockVisible(tx, by, contractID)
		if err != nil {
			return err
		}
		side, ok := sideOf(by, c)
		if !ok {
			return apperr.ErrForbidden
		}
		if err := tx.Clauses(lockUpdate).Take(&a, amendmentID).Error; err != nil {
			return err
		}
		if a.Status != "proposed" {
			return ErrAmendmentDecided
		}
		if a.ProposedSide == side {
			return ErrOwnAmendment
		}
		var f apperr.Fields
		f.Check(len(note) <= 5000 && plain(note), "note", "must be at most 5000 bytes of text")
		f.Check(accept || note != "", "note", "give the reason for rejecting")
		if err := f.Err(); err != nil {
			return err
		}
		if err := inForce(c); err != nil {
			return err
		}
		status, kind := "rejected", "contract.amendment_reject"
		if accept {
			status, kind = "accepted", "contract.amendment_accept"
		}
		if accept {
			if err := s.apply(tx, by, c, a, now); err != nil {
				return err
			}
		}
		if err := oneRow(tx.Model(&Amendment{}).Where("id = ? AND status = 'proposed'", a.ID).
			Updates(map[string]any{"status": status, "decided_by": by.UserRef(), "decided_at": now, "decision_note": note}), "decide amendment", a.ID); err != nil {
			return err
		}
		a.Status, a.DecidedAt, a.DecisionNote = status, &now, note
		if err := audit.Record(tx, by, kind, "contract", c.ID, map[string]any{"amendment_id": a.ID, "note": note}); err != nil {
			return err
		}
		if accept {
			id := a.ID
			if err := snapshot(tx, c.ID, &id, now); err != nil {
				return err
			}
			if err := s.released(tx, c.TenderID, "contractAmendment", now); err != nil {
				return err
			}
		}
		return notifyBoth(tx, c, KindAmendmentDecided, now)
	})
	return a, err
}

// apply makes the amendment a the contract's next version.
func (s *Service) apply(tx *gorm.DB, by access.Actor, c Contract, a Amendment, now time.Time) error {
	p, err := s.check(tx, c, a.Changes, now)
	if err != nil {
		return err
	}
	next := c.Version + 1
	if p.delta != 0 {
		if err := lockFund(tx, c.FundAccountID); err != nil {
			return err
		}
		r := ref(c, "v"+strconv.Itoa(next))
		if p.delta > 0 {
			_, err = fund.EncumberMore(tx, by, c.FundAccountID, p.delta, r)
		} else {
			_, err = fund.ReturnEncumbrance(tx, by, c.FundAccountID, -p.delta, r)
		}
		if err != nil {
			return err
		}
	}
	if err := tx.Model(&Contract{}).Where("id = ?", c.ID).Updates(map[string]any{"amount_fen": p.amount, "service_start": p.start,
		"service_end": p.end, "version": next, "updated_at": now}).Error; err != nil {
		return fmt.Errorf("amend contract %d: %w", c.ID, err)
	}
	for _, t := range a.Changes.Targets {
		if err := tx.Model(&Metric{}).Where("contract_id = ? AND code = ?", c.ID, t.Code).Update("target", t.Target).Error; err != nil {
			return err
		}
	}
	if p.pending == nil {
		return nil
	}
	var maxSeq int
	if err := tx.Model(&Milestone{}).Select("COALESCE(MAX(seq), 0)").Where("contract_id = ? AND status <> 'pending'", c.ID).Scan(&maxSeq).Error; err != nil {
		return err
	}
	if err := tx.Where("contract_id = ? AND status = 'pending'", c.ID).Delete(&Milestone{}).Error; err != nil {
		return err
	}
	for i, m := range p.pending {
		row := Milestone{ContractID: c.ID, Seq: maxSeq + i + 1, Name: strings.TrimSpace(m.Name), Percent: percentOf(m.AmountFen, p.amount),
			AmountFen: m.AmountFen, After: m.After, Status: "pending"}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("insert milestone: %w", err)
		}
	}
	return nil
}
