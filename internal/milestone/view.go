package milestone

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
)

// Schedule is a contract's payment milestones with their totals.
type Schedule struct {
	ContractID     int64     `json:"contract_id"`
	ContractStatus string    `json:"contract_status"`
	AmountFen      money.Fen `json:"amount_fen"`
	PayableFen     money.Fen `json:"payable_fen"`
	PaidFen        money.Fen `json:"paid_fen"`
	WithheldFen    money.Fen `json:"withheld_fen"`
	// EncumberedFen is what the contract holds encumbered in its fund now:
	// what is not yet payable, withheld amounts included, until it closes.
	EncumberedFen money.Fen   `json:"encumbered_fen"`
	Items         []Milestone `json:"items"`
}

// Milestone is a payment milestone as the contract's readers see it: its
// amount and trigger, where it stands, what its evaluation scored, and what
// it pays, has paid and withholds, with its payment rounds.
type Milestone struct {
	ID         int64      `json:"id"`
	ContractID int64      `json:"contract_id"`
	Seq        int        `json:"seq"`
	Name       string     `json:"name"`
	Percent    int        `json:"percent"`
	AmountFen  money.Fen  `json:"amount_fen"`
	After      string     `json:"after"`  // the trigger: signing, midterm or final
	Status     string     `json:"status"` // pending, due or paid
	DueAt      *time.Time `json:"due_at"`
	// The latest evaluation the milestone was scaled by and its score (one
	// decimal), nil for the signing; the payment factor of its latest round
	// (1.00 for the signing), nil while pending.
	EvaluationID *int64  `json:"evaluation_id"`
	Score        *string `json:"score"`
	Factor       *string `json:"factor"`
	// PayableFen is what the milestone pays at its best factor so far;
	// PaidFen what reached the organization; WithheldFen what it does not
	// pay (yet): the amount less PayableFen once due.
	PayableFen  money.Fen `json:"payable_fen"`
	PaidFen     money.Fen `json:"paid_fen"`
	WithheldFen money.Fen `json:"withheld_fen"`
	Payments    []Payment `json:"payments"`
}

// Payment is one payment round of a milestone.
type Payment struct {
	ID           int64      `json:"id"`
	Round        int        `json:"round"`
	EvaluationID *int64     `json:"evaluation_id"`
	Score        *string    `json:"score"`
	Factor       string     `json:"factor"`
	EarlierFen   money.Fen  `json:"earlier_fen"` // what earlier rounds made payable
	PayableFen   money.Fen  `json:"payable_fen"`
	State        string     `json:"state"`
	DueAt        time.Time  `json:"due_at"`
	AcceptedAt   *time.Time `json:"accepted_at"`
	AcceptNote   *string    `json:"accept_note"`
	Invoice      *Invoice   `json:"invoice"`
	ApprovedAt   *time.Time `json:"approved_at"`
	Payout       *Payout    `json:"payout"`
	PaidAt       *time.Time `json:"paid_at"`
}

// Invoice is the organization's invoice or receipt of a payment round.
type Invoice struct {
	DocumentID   int64     `json:"document_id"`
	DocumentName string    `json:"document_name"`
	Kind         string    `json:"kind"` // invoice (发票) or receipt (收据)
	Number       string    `json:"number"`
	AmountFen    money.Fen `json:"amount_fen"`
	InvoicedAt   time.Time `json:"invoiced_at"`
}

// Payout is where the payout of an approved round stands.
type Payout struct {
	ID       int64      `json:"id"`
	Provider string     `json:"provider"` // stripe or manual
	State    string     `json:"state"`    // requested, paid or failed
	PaidAt   *time.Time `json:"paid_at"`
}

// readable returns contract id if by may read it: subdistrict staff their
// subdistricts' (access.Actor.Subdistricts), an organization's staff its
// own; other roles apperr.ErrForbidden, anyone else's apperr.ErrNotFound.
func readable(db *gorm.DB, by access.Actor, id int64) (contract.Contract, error) {
	if !by.Is(access.ContractReaders...) {
		return contract.Contract{}, apperr.ErrForbidden
	}
	q := db.Where("id = ?", id)
	if by.Is(access.OrgStaff...) {
		q = q.Where("organization_id = ?", by.Scope.OrganizationID)
	} else {
		cond, args := by.Subdistricts().Where("subdistrict_id")
		q = q.Where(cond, args...)
	}
	var c contract.Contract
	if err := q.Take(&c).Error; err != nil {
		return contract.Contract{}, notFound(err)
	}
	return c, nil
}

// List returns a contract's payment milestones in order, with their rounds
// and totals, to its readers: the contract's subdistrict staff (its
// procurement and finance officers, the district and the platform) and its
// organization's staff. Other roles get apperr.ErrForbidden, anyone else
// apperr.ErrNotFound.
func (s *Service) List(ctx context.Context, by access.Actor, contractID int64) (Schedule, error) {
	db := s.db.WithContext(ctx)
	c, err := readable(db, by, contractID)
	if err != nil {
		return Schedule{}, err
	}
	items, err := milestones(db, c.ID, 0)
	if err != nil {
		return Schedule{}, err
	}
	out := Schedule{ContractID: c.ID, ContractStatus: c.Status, AmountFen: c.AmountFen, Items: items}
	for _, m := range items {
		out.PayableFen += m.PayableFen
		out.PaidFen += m.PaidFen
		out.WithheldFen += m.WithheldFen
	}
	if c.SignedAt != nil {
		if out.EncumberedFen, err = held(db, c); err != nil {
			return Schedule{}, err
		}
	}
	return out, nil
}

// Get returns one milestone as List shows it, to the same readers.
func (s *Service) Get(ctx context.Context, by access.Actor, milestoneID int64) (Milestone, error) {
	db := s.db.WithContext(ctx)
	var m milestoneRow
	if err := db.Take(&m, "id = ?", milestoneID).Error; err != nil {
		return Milestone{}, notFound(err)
	}
	if _, err := readable(db, by, m.ContractID); err != nil {
		return Milestone{}, err
	}
	list, err := milestones(db, m.ContractID, m.ID)
	if err != nil {
		return Milestone{}, err
	}
	if len(list) != 1 {
		return Milestone{}, apperr.ErrNotFound
	}
	return list[0], nil
}

// milestones reads a contract's milestones (only milestoneID's, unless 0)
// with their rounds, invoices and payouts.
func milestones(db *gorm.DB, contractID, milestoneID int64) ([]Milestone, error) {
	q := db.Where("contract_id = ?", contractID)
	if milestoneID != 0 {
		q = q.Where("id = ?", milestoneID)
	}
	var rows []milestoneRow
	if err := q.Order("seq").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("milestones of contract %d: %w", contractID, err)
	}
	pq := db.Select(paymentColumns).Where("contract_id = ?", contractID)
	if milestoneID != 0 {
		pq = pq.Where("milestone_id = ?", milestoneID)
	}
	var rounds []payment
	if err := pq.Order("milestone_id, round").Find(&rounds).Error; err != nil {
		return nil, fmt.Errorf("payments of contract %d: %w", contractID, err)
	}
	var docIDs, payoutIDs []int64
	for _, r := range rounds {
		if r.InvoiceDocumentID != nil {
			docIDs = append(docIDs, *r.InvoiceDocumentID)
		}
		if r.PayoutID != nil {
			payoutIDs = append(payoutIDs, *r.PayoutID)
		}
	}
	names := map[int64]string{}
	if len(docIDs) > 0 {
		var docs []struct {
			ID           int64
			OriginalName string
		}
		if err := db.Table("organization_documents").Select("id, original_name").Where("id IN ?", docIDs).Scan(&docs).Error; err != nil {
			return nil, err
		}
		for _, d := range docs {
			names[d.ID] = d.OriginalName
		}
	}
	payouts := map[int64]Payout{}
	if len(payoutIDs) > 0 {
		var list []Payout
		if err := db.Table("payouts").Select("id, provider, state, paid_at").Where("id IN ?", payoutIDs).Scan(&list).Error; err != nil {
			return nil, err
		}
		for _, p := range list {
			payouts[p.ID] = p
		}
	}
	byMilestone := map[int64][]payment{}
	for _, r := range rounds {
		byMilestone[r.MilestoneID] = append(byMilestone[r.MilestoneID], r)
	}
	out := make([]Milestone, 0, len(rows))
	for _, m := range rows {
		v := Milestone{ID: m.ID, ContractID: m.ContractID, Seq: m.Seq, Name: m.Name, Percent: m.Percent, AmountFen: m.AmountFen,
			After: m.After, Status: m.Status, DueAt: m.DueAt, Payments: []Payment{}}
		for _, r := range byMilestone[m.ID] {
			pv := Payment{ID: r.ID, Round: r.Round, EvaluationID: r.EvaluationID, Factor: trimFactor(r.Factor), EarlierFen: r.EarlierFen,
				PayableFen: r.PayableFen, State: r.State, DueAt: r.DueAt, AcceptedAt: r.AcceptedAt, AcceptNote: r.AcceptNote,
				ApprovedAt: r.ApprovedAt, PaidAt: r.PaidAt}
			if r.ScoreTenths != nil {
				score := FormatScore(*r.ScoreTenths)
				pv.Score = &score
			}
			if r.InvoiceDocumentID != nil {
				pv.Invoice = &Invoice{DocumentID: *r.InvoiceDocumentID, DocumentName: names[*r.InvoiceDocumentID], Kind: deref(r.InvoiceKind),
					Number: deref(r.InvoiceNumber), AmountFen: *r.InvoiceAmountFen, InvoicedAt: *r.InvoicedAt}
			}
			if r.PayoutID != nil {
				p := payouts[*r.PayoutID]
				pv.Payout = &p
			}
			v.Payments = append(v.Payments, pv)
			if r.State == StateSuperseded {
				continue
			}
			v.PayableFen = r.EarlierFen + r.PayableFen
			v.EvaluationID, v.Score, v.Factor = r.EvaluationID, pv.Score, &pv.Factor
			if r.State == StatePaid {
				v.PaidFen += r.PayableFen
			}
		}
		if m.Status != MilestonePending {
			v.WithheldFen = m.AmountFen - v.PayableFen
		}
		out = append(out, v)
	}
	return out, nil
}

// trimFactor writes a stored factor ("0.900000") as FormatFactor does ("0.90").
func trimFactor(s string) string {
	f, ok := new(big.Rat).SetString(s)
	if !ok {
		return s
	}
	return FormatFactor(f)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// InvoiceDocument opens the invoice or receipt attached to a milestone's
// latest invoiced round, for the contract's readers (List); the caller closes
// it. A milestone without one is ErrNoInvoiceFile.
func (s *Service) InvoiceDocument(ctx context.Context, by access.Actor, milestoneID int64) (org.Document, io.ReadCloser, error) {
	m, err := s.Get(ctx, by, milestoneID)
	if err != nil {
		return org.Document{}, nil, err
	}
	var c contract.Contract
	if err := s.db.WithContext(ctx).Take(&c, m.ContractID).Error; err != nil {
		return org.Document{}, nil, err
	}
	for i := len(m.Payments) - 1; i >= 0; i-- {
		if inv := m.Payments[i].Invoice; inv != nil {
			return s.orgs.OpenCitedDocument(ctx, c.OrganizationID, inv.DocumentID)
		}
	}
	return org.Document{}, nil, ErrNoInvoiceFile
}
