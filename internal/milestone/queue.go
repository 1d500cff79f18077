package milestone

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Awaiting is a payment round accepted and invoiced for its payable amount,
// waiting for a finance officer's approval, as the approvals queue lists it.
type Awaiting struct {
	MilestoneID      int64     `json:"milestone_id"`
	ContractID       int64     `json:"contract_id"`
	ContractTitle    string    `json:"contract_title"`
	OrganizationName string    `json:"organization_name"`
	Seq              int       `json:"seq"`
	Name             string    `json:"name"`
	After            string    `json:"after"`
	Round            int       `json:"round"`
	Score            *string   `json:"score"`
	Factor           string    `json:"factor"`
	PayableFen       money.Fen `json:"payable_fen"`
	AcceptedAt       time.Time `json:"accepted_at"`
	AcceptNote       string    `json:"accept_note"`
	// AcceptedByCaller is true when the caller accepted the work: another
	// finance officer approves its payment (ErrSameAccount).
	AcceptedByCaller bool    `json:"accepted_by_caller"`
	Invoice          Invoice `json:"invoice"`
}

// MaxAwaiting bounds the approvals queue, oldest acceptance first.
const MaxAwaiting = 500

// Awaiting returns the payment rounds of the contracts of the subdistricts
// by reads (access.Actor.Subdistricts: a finance or procurement officer its
// own, a district admin its district's, the platform admin all) that were
// accepted and carry the organization's invoice for their payable amount:
// those a finance officer may approve, the oldest acceptance first, at most
// MaxAwaiting. Other roles get apperr.ErrForbidden.
func (s *Service) Awaiting(ctx context.Context, by access.Actor) ([]Awaiting, error) {
	if !by.Is(access.SubdistrictStaff...) {
		return nil, apperr.ErrForbidden
	}
	cond, args := by.Subdistricts().Where("p.subdistrict_id")
	// Plain fields: GORM does not scan into an unexported embedded struct.
	var rows []struct {
		MilestoneID       int64
		ContractID        int64
		Round             int
		ScoreTenths       *int
		Factor            string
		PayableFen        money.Fen
		AcceptedBy        *int64
		AcceptedAt        time.Time
		AcceptNote        string
		InvoiceDocumentID int64
		InvoiceKind       string
		InvoiceNumber     string
		InvoiceAmountFen  money.Fen
		InvoicedAt        time.Time
		Seq               int
		Name              string
		After             string
		ContractTitle     string
		OrganizationName  string
		DocumentName      string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT p.milestone_id, p.contract_id, p.round, p.score_tenths, p.factor::text AS factor,
			p.payable_fen, p.accepted_by, p.accepted_at, p.accept_note, p.invoice_document_id, p.invoice_kind, p.invoice_number,
			p.invoice_amount_fen, p.invoiced_at, m.seq, m.name, m.after, c.title AS contract_title, o.legal_name AS organization_name,
			d.original_name AS document_name
		FROM milestone_payments p
		JOIN contract_milestones m ON m.id = p.milestone_id
		JOIN contracts c ON c.id = p.contract_id
		JOIN organizations o ON o.id = c.organization_id
		JOIN organization_documents d ON d.id = p.invoice_document_id
		WHERE p.state = ? AND p.invoice_amount_fen = p.payable_fen AND c.status IN ('signed', 'active') AND `+cond+`
		ORDER BY p.accepted_at, p.id LIMIT ?`, append(append([]any{StateAccepted}, args...), MaxAwaiting)...).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("rounds awaiting approval: %w", err)
	}
	out := make([]Awaiting, 0, len(rows))
	for _, r := range rows {
		a := Awaiting{MilestoneID: r.MilestoneID, ContractID: r.ContractID, ContractTitle: r.ContractTitle, OrganizationName: r.OrganizationName,
			Seq: r.Seq, Name: r.Name, After: r.After, Round: r.Round, Factor: trimFactor(r.Factor), PayableFen: r.PayableFen,
			AcceptedAt: r.AcceptedAt, AcceptNote: r.AcceptNote, AcceptedByCaller: r.AcceptedBy != nil && *r.AcceptedBy == by.UserID,
			Invoice: Invoice{DocumentID: r.InvoiceDocumentID, DocumentName: r.DocumentName, Kind: r.InvoiceKind,
				Number: r.InvoiceNumber, AmountFen: r.InvoiceAmountFen, InvoicedAt: r.InvoicedAt}}
		if r.ScoreTenths != nil {
			score := FormatScore(*r.ScoreTenths)
			a.Score = &score
		}
		out = append(out, a)
	}
	return out, nil
}

// RoundRef names the payment round a payout pays: its contract, the
// milestone's place in the contract's schedule and the round.
type RoundRef struct {
	ContractID int64
	Seq        int
	Round      int
}

// RefOf reads the reference of a payout (payout.Payout's ReferenceType and
// ReferenceID) as the payment round it pays; ok is false for a payout of
// anything else.
func RefOf(referenceType, referenceID string) (r RoundRef, ok bool) {
	if referenceType != "milestone" {
		return RoundRef{}, false
	}
	parts := strings.Split(referenceID, "/")
	if len(parts) != 3 {
		return RoundRef{}, false
	}
	var err [3]error
	r.ContractID, err[0] = strconv.ParseInt(parts[0], 10, 64)
	r.Seq, err[1] = strconv.Atoi(parts[1])
	r.Round, err[2] = strconv.Atoi(parts[2])
	if err[0] != nil || err[1] != nil || err[2] != nil || r.ContractID <= 0 || r.Seq <= 0 || r.Round <= 0 {
		return RoundRef{}, false
	}
	return r, true
}
