// Package milestone pays a contract's payment milestones. A milestone becomes
// due when its trigger is met (the contract's signing, or its mid-term or
// final evaluation submitted); each time it does, it gets a payment round
// whose payable amount is the milestone amount × the payment factor of the
// evaluation under the contract's policy. A round is accepted by the
// subdistrict's procurement officer (验收), invoiced by the organization
// (发票/收据), approved by a finance officer who is not the accepting user (the
// payable posting and the payout request, in one transaction) and paid when
// the payout is (migrations/00016_milestones.sql). Paying the last round once
// the final milestone is paid completes the contract.
package milestone

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// The states of a payment round. A round that makes nothing payable (a
// failing evaluation, or one no better than what was paid) is withheld; one
// that pays goes due → accepted → approved → paid, or is superseded by a
// re-evaluation's round before its approval.
const (
	StateWithheld   = "withheld"
	StateDue        = "due"
	StateAccepted   = "accepted"
	StateApproved   = "approved"
	StatePaid       = "paid"
	StateSuperseded = "superseded"
)

// The states of a milestone: its trigger not met (pending), its rounds under
// way or withheld (due), its latest round paid (paid).
const (
	MilestonePending = "pending"
	MilestoneDue     = "due"
	MilestonePaid    = "paid"
)

// The kinds of invoice an organization attaches: a VAT invoice (发票) or a
// receipt (收据), which many social organizations issue instead.
const (
	InvoiceKindInvoice = "invoice"
	InvoiceKindReceipt = "receipt"
)

// Errors of milestone payments.
var (
	ErrNotDue = apperr.New(apperr.Conflict, "milestone.not_due",
		"the milestone has no payment awaiting acceptance")
	ErrNotAccepted = apperr.New(apperr.Conflict, "milestone.not_accepted",
		"the milestone has no accepted payment awaiting approval")
	ErrNotInvoiceable = apperr.New(apperr.Conflict, "milestone.not_invoiceable",
		"the milestone has no payment awaiting an invoice")
	ErrNoInvoice = apperr.New(apperr.Conflict, "milestone.no_invoice",
		"the organization has not attached its invoice or receipt for the payable amount")
	ErrSameAccount = apperr.New(apperr.Forbidden, "milestone.same_account",
		"the account that accepted the work may not approve its payment: another finance officer approves it")
	ErrNotInForce = apperr.New(apperr.Conflict, "milestone.contract_not_in_force",
		"the contract is not signed or active: its milestones are not paid")
	ErrNotEncumbered = apperr.New(apperr.Conflict, "milestone.not_encumbered",
		"the contract holds less encumbered money than the payment")
	ErrNoInvoiceFile = apperr.New(apperr.NotFound, "milestone.no_invoice_document",
		"no invoice or receipt is attached to this milestone")
)

// Service makes milestones due and carries their payment rounds through
// acceptance, invoice, approval and payment.
type Service struct {
	db      *gorm.DB
	clock   clock.Clock
	payouts *payout.Service
	orgs    *org.Service
}

// NewService returns the milestone service; it requests payouts through
// payouts and stores invoices as orgs stores organizations' documents.
// Register its hooks where the services are built: Contracts.OnSigned
// (ContractSigned), Payouts.OnPaid (PayoutPaid) and the evaluations' OnSubmit
// (EvaluationSubmitted).
func NewService(db *gorm.DB, c clock.Clock, payouts *payout.Service, orgs *org.Service) *Service {
	return &Service{db: db, clock: c, payouts: payouts, orgs: orgs}
}

// EvaluationSubmitted is an evaluation.SubmitHook.
var _ evaluation.SubmitHook = (*Service)(nil).EvaluationSubmitted

// ContractSigned is a contract.SignedHook.
var _ contract.SignedHook = (*Service)(nil).ContractSigned

// PayoutPaid is a payout.PaidHook.
var _ payout.PaidHook = (*Service)(nil).PayoutPaid

// milestoneRow is a row of contract_milestones with its id.
type milestoneRow struct {
	ID         int64
	ContractID int64
	Seq        int
	Name       string
	Percent    int
	AmountFen  money.Fen
	After      string
	Status     string
	DueAt      *time.Time
}

func (milestoneRow) TableName() string { return "contract_milestones" }

// payment is a row of milestone_payments, its factor as text.
type payment struct {
	ID                int64
	MilestoneID       int64
	ContractID        int64
	SubdistrictID     int64
	Round             int
	EvaluationID      *int64
	ScoreTenths       *int
	Factor            string
	MilestoneFen      money.Fen
	EarlierFen        money.Fen
	PayableFen        money.Fen
	State             string
	DueAt             time.Time
	AcceptedBy        *int64
	AcceptedAt        *time.Time
	AcceptNote        *string
	InvoiceDocumentID *int64
	InvoiceKind       *string
	InvoiceNumber     *string
	InvoiceAmountFen  *money.Fen
	InvoicedBy        *int64
	InvoicedAt        *time.Time
	ApprovedBy        *int64
	ApprovedAt        *time.Time
	PayoutID          *int64
	PaidAt            *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (payment) TableName() string { return "milestone_payments" }

// paymentColumns selects a payment with its factor as text.
const paymentColumns = `id, milestone_id, contract_id, subdistrict_id, round, evaluation_id, score_tenths, factor::text AS factor,
	milestone_fen, earlier_fen, payable_fen, state, due_at, accepted_by, accepted_at, accept_note, invoice_document_id, invoice_kind,
	invoice_number, invoice_amount_fen, invoiced_by, invoiced_at, approved_by, approved_at, payout_id, paid_at, created_at, updated_at`

// lockUpdate is the strength of every row lock here: NO KEY UPDATE, never
// UPDATE, which would block another transaction's insert whose foreign key
// refers to the row (its check takes a key-share lock) for no reason.
var lockUpdate = clause.Locking{Strength: "NO KEY UPDATE"}

// ---- the payment factor ----

// Factor returns the payment factor of a score, given in tenths (923 is
// 92.3), under policy p, exactly (contract.Policy.Factor): 1 from p.FullAt;
// from p.FloorAt up to p.FullAt it rises linearly from p.FloorPercent % to
// 100 %; below p.FloorAt it is 0 (nothing is paid until a passing
// re-evaluation). Under the default policy a score of 70 gives
// 0.80 + 0.20 × (70 − 60) ÷ 20 = 0.9.
func Factor(p contract.Policy, scoreTenths int) *big.Rat {
	return p.Factor(contract.Score(scoreTenths))
}

// Payable returns amount × factor in fen, rounded half up to the fen (a half
// fen or more counts as a fen): 135,000.01 × 0.9 = 121,500.009 is 121,500.01.
func Payable(amount money.Fen, factor *big.Rat) money.Fen {
	v := new(big.Rat).Mul(big.NewRat(int64(amount), 1), factor)
	return money.Fen(roundHalfUp(v).Int64())
}

// roundHalfUp rounds a non-negative v to the nearest integer, a half up.
func roundHalfUp(v *big.Rat) *big.Int {
	// floor((2·num + den) / (2·den))
	num := new(big.Int).Mul(v.Num(), big.NewInt(2))
	num.Add(num, v.Denom())
	return num.Quo(num, new(big.Int).Mul(v.Denom(), big.NewInt(2)))
}

// FormatFactor writes a factor as a decimal of at most 6 places, rounded
// half up, with at least 2: 1.00, 0.90, 0.905, 0.833333, 0.00.
func FormatFactor(f *big.Rat) string {
	millionths := roundHalfUp(new(big.Rat).Mul(f, big.NewRat(1_000_000, 1))).Int64()
	s := fmt.Sprintf("%d.%06d", millionths/1_000_000, millionths%1_000_000)
	for strings.HasSuffix(s, "0") && len(s) > strings.Index(s, ".")+3 {
		s = strings.TrimSuffix(s, "0")
	}
	return s
}

// FormatScore writes a score given in tenths with its one decimal: 923 is 92.3.
func FormatScore(tenths int) string {
	return fmt.Sprintf("%d.%d", tenths/10, tenths%10)
}

// ---- shared steps ----

// inForce reports whether the contract's milestones are paid: it is signed
// or active.
func inForce(c contract.Contract) bool {
	return c.Status == contract.StatusSigned || c.Status == contract.StatusActive
}

// ref is the ledger and payout reference of a payment round: the
// contract's id first, so that fund.Held counts it against the contract's
// encumbrance, then the milestone's seq and the round.
func ref(c contract.Contract, m milestoneRow, p payment) fund.Ref {
	return fund.Ref{Type: "milestone", ID: fmt.Sprintf("%d/%d/%d", c.ID, m.Seq, p.Round)}
}

// lockContract locks a contract's row, the first lock every milestone change
// takes (as every contract change does).
func lockContract(tx *gorm.DB, id int64) (contract.Contract, error) {
	var c contract.Contract
	if err := tx.Clauses(lockUpdate).Take(&c, id).Error; err != nil {
		return contract.Contract{}, fmt.Errorf("lock contract %d: %w", id, err)
	}
	return c, nil
}

// writable locks the contract of milestone id and the milestone, for by: a
// procurement or finance officer of the contract's subdistrict, or the staff
// of its organization. Anyone else, and a milestone that does not exist, is
// apperr.ErrNotFound.
func writable(tx *gorm.DB, by access.Actor, id int64) (contract.Contract, milestoneRow, error) {
	var m milestoneRow
	if err := tx.Take(&m, "id = ?", id).Error; err != nil {
		return contract.Contract{}, milestoneRow{}, notFound(err)
	}
	c, err := lockContract(tx, m.ContractID)
	if err != nil {
		return contract.Contract{}, milestoneRow{}, err
	}
	switch {
	case by.Is(access.ProcurementOfficer, access.FinanceOfficer) && by.Scope.SubdistrictID == c.SubdistrictID:
	case by.Is(access.OrgStaff...) && by.Scope.OrganizationID == c.OrganizationID:
	default:
		return contract.Contract{}, milestoneRow{}, apperr.ErrNotFound
	}
	// Read again under the contract's lock: an amendment may have replaced it.
	if err := tx.Clauses(lockUpdate).Take(&m, "id = ?", id).Error; err != nil {
		return contract.Contract{}, milestoneRow{}, notFound(err)
	}
	return c, m, nil
}

// openPayment locks and returns the milestone's round awaiting acceptance or
// approval; ok is false when it has none.
func openPayment(tx *gorm.DB, milestoneID int64) (p payment, ok bool, err error) {
	var list []payment
	err = tx.Clauses(lockUpdate).Select(paymentColumns).Where("milestone_id = ? AND state IN ?", milestoneID,
		[]string{StateDue, StateAccepted}).Find(&list).Error
	if err != nil || len(list) == 0 {
		return payment{}, false, err
	}
	return list[0], true, nil
}

// lockFund locks a fund account's ledger rows, in id order, as every posting
// to it does.
func lockFund(tx *gorm.DB, fundID int64) error {
	var rows []fund.LedgerAccount
	if err := tx.Clauses(lockUpdate).Where("fund_account_id = ?", fundID).Order("id").Find(&rows).Error; err != nil {
		return fmt.Errorf("lock fund %d: %w", fundID, err)
	}
	return nil
}

// held is what the contract holds encumbered now: its signing and
// amendments, less what its rounds made payable and what returned.
func held(tx *gorm.DB, c contract.Contract) (money.Fen, error) {
	h := fund.Holder{FundID: c.FundAccountID, ID: strconv.FormatInt(c.ID, 10)}
	sums, err := fund.Held(tx, fund.Encumbered, []string{"contract", "milestone"}, h)
	if err != nil {
		return 0, err
	}
	return sums[h], nil
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.ErrNotFound
	}
	return err
}

// oneRow checks that a guarded UPDATE changed exactly one row.
func oneRow(res *gorm.DB, what string, id int64) error {
	if res.Error != nil {
		return fmt.Errorf("%s %d: %w", what, id, res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("%s %d: %d rows changed, want 1", what, id, res.RowsAffected)
	}
	return nil
}
