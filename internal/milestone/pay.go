package milestone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/rating"
)

// plain reports whether s holds no control characters but line breaks and tabs.
func plain(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' })
}

// Accept records the procurement officer's acceptance (验收) of the work a
// milestone pays for, with a note, for its round awaiting acceptance. Only a
// procurement officer of the contract's subdistrict may (other roles:
// apperr.ErrForbidden; another subdistrict's milestone: apperr.ErrNotFound).
// It returns ErrNotInForce for a contract that is not signed or active and
// ErrNotDue when no round awaits acceptance. Once the organization's invoice
// is attached too, the subdistrict's finance officers are told to approve.
func (s *Service) Accept(ctx context.Context, by access.Actor, milestoneID int64, note string) (Milestone, error) {
	if by.Role != access.ProcurementOfficer {
		return Milestone{}, apperr.ErrForbidden
	}
	note = strings.TrimSpace(note)
	now := s.clock.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, m, err := writable(tx, by, milestoneID)
		if err != nil {
			return err
		}
		var f apperr.Fields
		f.Check(note != "", "note", "is required: what was checked and found (验收意见)")
		f.Check(len(note) <= 2000 && plain(note), "note", "must be at most 2000 bytes of text")
		if err := f.Err(); err != nil {
			return err
		}
		if !inForce(c) {
			return ErrNotInForce
		}
		p, ok, err := openPayment(tx, m.ID)
		if err != nil {
			return err
		}
		if !ok || p.State != StateDue {
			return ErrNotDue
		}
		if err := oneRow(tx.Model(&payment{}).Where("id = ? AND state = ?", p.ID, StateDue).Updates(map[string]any{
			"state": StateAccepted, "accepted_by": by.UserRef(), "accepted_at": now, "accept_note": note, "updated_at": now}),
			"accept milestone payment", p.ID); err != nil {
			return err
		}
		if err := audit.Record(tx, by, "milestone.accept", "milestone_payment", p.ID, map[string]any{"milestone_id": m.ID,
			"contract_id": c.ID, "round": p.Round, "payable_fen": p.PayableFen, "note_digest": rating.Digest(note)}); err != nil {
			return err
		}
		if p.InvoiceDocumentID != nil {
			return notifyFinance(tx, c, m, KindReady, p.PayableFen, now)
		}
		return nil
	})
	if err != nil {
		return Milestone{}, err
	}
	return s.Get(ctx, by, milestoneID)
}

// InvoiceInput is the organization's invoice (发票) or receipt (收据) for a
// milestone payment: its kind, number and amount in fen.
type InvoiceInput struct {
	Kind      string
	Number    string
	AmountFen money.Fen
}

// AttachInvoice stores the organization's invoice or receipt (a PDF, PNG or
// JPEG, kept as the organization's documents are, org.Service) for the
// milestone's round awaiting acceptance or approval, replacing one attached
// before. Only the staff of the contract's organization may (other roles:
// apperr.ErrForbidden; another organization's milestone: apperr.ErrNotFound).
// The kind must be invoice or receipt, the number given and the amount
// exactly the round's payable amount (apperr.Invalid naming the field,
// nothing stored); ErrNotInvoiceable when no round awaits an invoice. The
// document, the attachment and their audit entries are one transaction.
func (s *Service) AttachInvoice(ctx context.Context, by access.Actor, milestoneID int64, in InvoiceInput, fileName string, file io.Reader) (Milestone, error) {
	if !by.Is(access.OrgStaff...) {
		return Milestone{}, apperr.ErrForbidden
	}
	in.Number = strings.TrimSpace(in.Number)
	// Every check first, so that a refused invoice stores nothing.
	var orgID int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, _, _, err := s.invoiceable(tx, by, milestoneID, in)
		orgID = c.OrganizationID
		return err
	})
	if err != nil {
		return Milestone{}, err
	}
	now := s.clock.Now()
	_, err = s.orgs.SaveDocumentWith(ctx, by, orgID, fileName, file, func(tx *gorm.DB, d org.Document) error {
		c, m, p, err := s.invoiceable(tx, by, milestoneID, in)
		if err != nil {
			return err
		}
		if err := oneRow(tx.Model(&payment{}).Where("id = ? AND state IN ?", p.ID, []string{StateDue, StateAccepted}).Updates(map[string]any{
			"invoice_document_id": d.ID, "invoice_kind": in.Kind, "invoice_number": in.Number, "invoice_amount_fen": in.AmountFen,
			"invoiced_by": by.UserRef(), "invoiced_at": now, "updated_at": now}), "attach invoice to milestone payment", p.ID); err != nil {
			return err
		}
		if err := audit.Record(tx, by, "milestone.invoice", "milestone_payment", p.ID, map[string]any{"milestone_id": m.ID,
			"contract_id": c.ID, "round": p.Round, "document_id": d.ID, "sha256": d.SHA256, "kind": in.Kind, "number": in.Number,
			"amount_fen": in.AmountFen, "replaced_document_id": p.InvoiceDocumentID}); err != nil {
			return err
		}
		if p.State == StateAccepted {
			return notifyFinance(tx, c, m, KindReady, p.PayableFen, now)
		}
		return nil
	})
	if err != nil {
		return Milestone{}, err
	}
	return s.Get(ctx, by, milestoneID)
}

// invoiceable checks an invoice for milestone id, with the contract and the
// open round locked.
func (s *Service) invoiceable(tx *gorm.DB, by access.Actor, id int64, in InvoiceInput) (contract.Contract, milestoneRow, payment, error) {
	c, m, err := writable(tx, by, id)
	if err != nil {
		return c, m, payment{}, err
	}
	var f apperr.Fields
	f.Check(in.Kind == InvoiceKindInvoice || in.Kind == InvoiceKindReceipt, "kind", "must be invoice (发票) or receipt (收据)")
	f.Check(in.Number != "" && len(in.Number) <= 64 && plain(in.Number) && !strings.ContainsAny(in.Number, "\r\n\t"),
		"number", "is required: the invoice's or receipt's number, at most 64 bytes on one line")
	f.Check(in.AmountFen > 0, "amount_fen", "must be more than zero")
	if err := f.Err(); err != nil {
		return c, m, payment{}, err
	}
	if !inForce(c) {
		return c, m, payment{}, ErrNotInForce
	}
	p, ok, err := openPayment(tx, m.ID)
	if err != nil {
		return c, m, payment{}, err
	}
	if !ok {
		return c, m, payment{}, ErrNotInvoiceable
	}
	if in.AmountFen != p.PayableFen {
		return c, m, payment{}, apperr.InvalidField("amount_fen", fmt.Sprintf("must be the payable amount, %d fen (¥%s)", p.PayableFen, p.PayableFen.Grouped()))
	}
	return c, m, p, nil
}

// Approve approves the payment of a milestone's accepted round, as a finance
// officer of the contract's subdistrict (other roles: apperr.ErrForbidden;
// another subdistrict's milestone: apperr.ErrNotFound) who did not accept it
// (ErrSameAccount, refused and audited in a transaction of its own). In one
// transaction with its audit entry it moves the payable amount from
// encumbered to payable and writes the payout request (payout.Service.
// RequestTx: a Stripe transfer or a manual bank transfer as configured),
// referring to the round; the payout is scheduled once it commits. It
// returns ErrNotInForce for a contract that is not signed or active,
// ErrNotAccepted when no round awaits approval (not yet accepted, or
// approved already), ErrNoInvoice without the organization's invoice for
// the payable amount and ErrNotEncumbered when the contract holds less.
func (s *Service) Approve(ctx context.Context, by access.Actor, milestoneID int64) (Milestone, error) {
	if by.Role != access.FinanceOfficer {
		return Milestone{}, apperr.ErrForbidden
	}
	now := s.clock.Now()
	var p payout.Payout
	var refused payment
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, m, err := writable(tx, by, milestoneID)
		if err != nil {
			return err
		}
		if !inForce(c) {
			return ErrNotInForce
		}
		r, ok, err := openPayment(tx, m.ID)
		if err != nil {
			return err
		}
		if !ok || r.State != StateAccepted {
			return ErrNotAccepted
		}
		if r.AcceptedBy != nil && *r.AcceptedBy == by.UserID {
			refused = r
			return ErrSameAccount
		}
		if r.InvoiceDocumentID == nil || r.InvoiceAmountFen == nil || *r.InvoiceAmountFen != r.PayableFen {
			return ErrNoInvoice
		}
		rest, err := held(tx, c)
		if err != nil {
			return err
		}
		if rest < r.PayableFen {
			return ErrNotEncumbered
		}
		if p, err = s.payouts.RequestTx(tx, by, payout.RequestInput{FundAccountID: c.FundAccountID, OrganizationID: c.OrganizationID,
			Amount: r.PayableFen, Ref: ref(c, m, r)}); err != nil {
			return err
		}
		if err := oneRow(tx.Model(&payment{}).Where("id = ? AND state = ?", r.ID, StateAccepted).Updates(map[string]any{
			"state": StateApproved, "approved_by": by.UserRef(), "approved_at": now, "payout_id": p.ID, "updated_at": now}),
			"approve milestone payment", r.ID); err != nil {
			return err
		}
		if err := audit.Record(tx, by, "milestone.approve", "milestone_payment", r.ID, map[string]any{"milestone_id": m.ID,
			"contract_id": c.ID, "round": r.Round, "payable_fen": r.PayableFen, "payout_id": p.ID, "provider": p.Provider,
			"accepted_by": r.AcceptedBy}); err != nil {
			return err
		}
		return notifyOrg(tx, c, m, KindApproved, r.PayableFen, now)
	})
	if errors.Is(err, ErrSameAccount) {
		// The refusal is kept although its transaction rolled back.
		if aerr := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return audit.Record(tx, by, "milestone.approve_refused", "milestone_payment", refused.ID, map[string]any{
				"milestone_id": refused.MilestoneID, "contract_id": refused.ContractID, "round": refused.Round,
				"reason": "separation_of_duties", "accepted_by": refused.AcceptedBy})
		}); aerr != nil {
			return Milestone{}, errors.Join(err, fmt.Errorf("audit the refused approval: %w", aerr))
		}
	}
	if err != nil {
		return Milestone{}, err
	}
	s.payouts.Schedule(ctx, p)
	return s.Get(ctx, by, milestoneID)
}

// PayoutPaid records a milestone round paid when its payout is, inside the
// transaction that records the payout paid, before the ledger's posting: a
// payout.PaidHook. A payout of anything else, or of no round, is left alone.
// Once the contract's final milestone is paid and no other round awaits
// acceptance, approval or payment, the contract is completed: its final
// score (its first final evaluation's) is recorded and what it still holds
// encumbered, withheld amounts included, returns to available money.
func (s *Service) PayoutPaid(tx *gorm.DB, by access.Actor, p payout.Payout) error {
	if p.ReferenceType != "milestone" {
		return nil
	}
	var found []payment
	if err := tx.Select(paymentColumns).Where("payout_id = ?", p.ID).Find(&found).Error; err != nil {
		return fmt.Errorf("payment of payout %d: %w", p.ID, err)
	}
	if len(found) == 0 {
		return nil
	}
	c, err := lockContract(tx, found[0].ContractID)
	if err != nil {
		return err
	}
	var r payment
	if err := tx.Clauses(lockUpdate).Select(paymentColumns).Take(&r, found[0].ID).Error; err != nil {
		return err
	}
	if r.State == StatePaid {
		return nil
	}
	if r.State != StateApproved {
		return fmt.Errorf("milestone payment %d of payout %d is %s, not approved", r.ID, p.ID, r.State)
	}
	var m milestoneRow
	if err := tx.Clauses(lockUpdate).Take(&m, "id = ?", r.MilestoneID).Error; err != nil {
		return err
	}
	// The fund's rows before the first audit entry: the payout's posting and
	// the contract's completion take them next.
	if err := lockFund(tx, c.FundAccountID); err != nil {
		return err
	}
	now := s.clock.Now()
	if err := oneRow(tx.Model(&payment{}).Where("id = ? AND state = ?", r.ID, StateApproved).
		Updates(map[string]any{"state": StatePaid, "paid_at": now, "updated_at": now}), "pay milestone payment", r.ID); err != nil {
		return err
	}
	// The milestone is paid when its latest round is.
	if err := tx.Model(&milestoneRow{}).Where("id = ? AND NOT EXISTS (SELECT 1 FROM milestone_payments WHERE milestone_id = ? AND round > ?)",
		m.ID, m.ID, r.Round).Update("status", MilestonePaid).Error; err != nil {
		return err
	}
	if err := audit.Record(tx, by, "milestone.paid", "milestone_payment", r.ID, map[string]any{"milestone_id": m.ID,
		"contract_id": c.ID, "round": r.Round, "payout_id": p.ID, "amount_fen": r.PayableFen}); err != nil {
		return err
	}
	if err := notifyOrg(tx, c, m, KindPaid, r.PayableFen, now); err != nil {
		return err
	}
	return complete(tx, by, c, now)
}

// complete completes the locked contract c once its final milestone is paid
// and nothing else waits: every milestone is due, no round awaits
// acceptance, approval or payment, and a round of a milestone after the final
// evaluation is paid.
func complete(tx *gorm.DB, by access.Actor, c contract.Contract, now time.Time) error {
	if !inForce(c) {
		return nil
	}
	var n struct {
		Pending   int64
		Open      int64
		FinalPaid int64
	}
	err := tx.Raw(`SELECT
		(SELECT count(*) FROM contract_milestones WHERE contract_id = ? AND status = 'pending') AS pending,
		(SELECT count(*) FROM milestone_payments WHERE contract_id = ? AND state IN ?) AS open,
		(SELECT count(*) FROM milestone_payments p JOIN contract_milestones m ON m.id = p.milestone_id
		  WHERE p.contract_id = ? AND m.after = 'final' AND p.state = ?) AS final_paid`,
		c.ID, c.ID, []string{StateDue, StateAccepted, StateApproved}, c.ID, StatePaid).Scan(&n).Error
	if err != nil {
		return fmt.Errorf("what contract %d still waits for: %w", c.ID, err)
	}
	if n.Pending > 0 || n.Open > 0 || n.FinalPaid == 0 {
		return nil
	}
	var final []int
	if err := tx.Raw(`SELECT (score * 10)::int FROM evaluations
		WHERE contract_id = ? AND kind = 'final' AND reevaluation_of IS NULL AND status = 'submitted' ORDER BY id LIMIT 1`, c.ID).
		Scan(&final).Error; err != nil {
		return fmt.Errorf("final evaluation of contract %d: %w", c.ID, err)
	}
	if len(final) == 1 {
		if err := contract.RecordFinalScore(tx, c.ID, final[0]); err != nil {
			return err
		}
	}
	return contract.Complete(tx, by, c.ID, now)
}
