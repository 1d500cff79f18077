// Package fund holds project funds (项目经费): fund accounts earmarked to
// service categories (专款专用) and the double-entry ledger, in integer fen,
// through which their money moves: appropriated → available → reserved →
// encumbered → payable → paid.
package fund

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Sub-account kinds of a fund account's ledger.
const (
	Source     = "source" // the outside world; negative: money received
	Available  = "available"
	Reserved   = "reserved"
	Encumbered = "encumbered"
	Payable    = "payable"
	Paid       = "paid"
)

// PostingKinds lists the kinds of posting.
var PostingKinds = []string{"appropriation", "donation", "correction", "reserve", "release", "encumber", "payable", "paid", "return_encumbrance"}

// Kinds lists the ledger accounts every fund account has, in display order.
var Kinds = []string{Source, Available, Reserved, Encumbered, Payable, Paid}

// LedgerAccount is one sub-account of a fund account, with its cached balance.
type LedgerAccount struct {
	ID            int64
	FundAccountID int64
	Kind          string
	Balance       money.Fen
}

// TableName is the table of LedgerAccount.
func (LedgerAccount) TableName() string { return "ledger_accounts" }

// Posting is one balanced movement of money.
type Posting struct {
	ID             int64     `json:"id"`
	FundAccountID  int64     `json:"fund_account_id"`
	Kind           string    `json:"kind"`
	IdempotencyKey string    `json:"-"`
	ReferenceType  string    `json:"reference_type"`
	ReferenceID    string    `json:"reference_id"`
	DocumentRef    string    `json:"document_ref"`
	Memo           string    `json:"memo"`
	ReversesID     *int64    `json:"reverses_id"`
	CreatedBy      *int64    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
	Lines          []Line    `json:"lines" gorm:"-"`
}

// TableName is the table of Posting.
func (Posting) TableName() string { return "ledger_postings" }

// Line moves Amount into (positive) or out of (negative) one sub-account.
type Line struct {
	Account string    `json:"account"`
	Amount  money.Fen `json:"amount"`
}

type lineRow struct {
	ID        int64
	PostingID int64
	AccountID int64
	Amount    money.Fen
}

func (lineRow) TableName() string { return "ledger_lines" }

// Errors of the ledger.
var (
	ErrInsufficient = apperr.New(apperr.Conflict, "fund.insufficient", "the fund account does not hold enough money for this")
	ErrUnbalanced   = errors.New("fund: posting lines do not sum to zero")
	ErrKeyReused    = apperr.New(apperr.Conflict, "fund.idempotency_key_reused", "this idempotency key was used for a different posting")
)

// Entry is a posting to write: its kind, its lines, and the key that makes a
// retried write post once.
type Entry struct {
	FundAccountID  int64
	Kind           string
	IdempotencyKey string
	ReferenceType  string
	ReferenceID    string
	DocumentRef    string
	Memo           string
	ReversesID     *int64
	Lines          []Line
}

// Post writes e inside tx, the caller's transaction, with its audit entry. The
// posting's accounts are locked in id order, so concurrent postings never
// deadlock, and a restricted account never goes below zero (ErrInsufficient).
// Posting again with the same key and content returns the first posting and
// writes nothing; the same key with other content is ErrKeyReused.
func Post(tx *gorm.DB, by access.Actor, e Entry) (Posting, error) {
	var sum money.Fen
	for _, l := range e.Lines {
		if l.Amount == 0 || !slices.Contains(Kinds, l.Account) {
			return Posting{}, fmt.Errorf("fund: bad line %+v", l)
		}
		sum += l.Amount
	}
	if sum != 0 || len(e.Lines) < 2 {
		return Posting{}, ErrUnbalanced
	}
	accounts, err := lockAccounts(tx, e.FundAccountID)
	if err != nil {
		return Posting{}, err
	}
	// The key decides: a retry finds the posting it already made.
	var prior int64
	if err := tx.Model(&Posting{}).Where("idempotency_key = ?", e.IdempotencyKey).Count(&prior).Error; err != nil {
		return Posting{}, fmt.Errorf("find posting %s: %w", e.IdempotencyKey, err)
	}
	if prior > 0 {
		return existing(tx, e)
	}
	// Check every balance before writing anything, so that a refusal leaves
	// the caller's transaction as it was.
	for _, l := range e.Lines {
		acct := accounts[l.Account]
		if acct.Kind != Source && acct.Balance+l.Amount < 0 {
			return Posting{}, ErrInsufficient
		}
		acct.Balance += l.Amount
		accounts[l.Account] = acct
	}
	p := Posting{FundAccountID: e.FundAccountID, Kind: e.Kind, IdempotencyKey: e.IdempotencyKey, ReferenceType: e.ReferenceType,
		ReferenceID: e.ReferenceID, DocumentRef: e.DocumentRef, Memo: e.Memo, ReversesID: e.ReversesID, CreatedBy: by.UserRef(),
		Lines: e.Lines}
	res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "idempotency_key"}}, DoNothing: true}).Create(&p)
	if res.Error != nil {
		return Posting{}, fmt.Errorf("insert posting: %w", res.Error)
	}
	if res.RowsAffected == 0 { // the same key, written meanwhile for another fund
		return existing(tx, e)
	}
	for _, l := range e.Lines {
		if err := tx.Create(&lineRow{PostingID: p.ID, AccountID: accounts[l.Account].ID, Amount: l.Amount}).Error; err != nil {
			if errors.Is(err, gorm.ErrCheckConstraintViolated) {
				return Posting{}, ErrInsufficient
			}
			return Posting{}, fmt.Errorf("insert line: %w", err)
		}
	}
	return p, audit.Record(tx, by, "ledger."+e.Kind, "fund_account", e.FundAccountID, map[string]any{
		"posting_id": p.ID, "lines": e.Lines, "reference": e.ReferenceType + ":" + e.ReferenceID, "document_ref": e.DocumentRef})
}

// lockAccounts locks a fund account's sub-accounts in id order and returns
// them by kind.
func lockAccounts(tx *gorm.DB, fundID int64) (map[string]LedgerAccount, error) {
	var rows []LedgerAccount
	if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("fund_account_id = ?", fundID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("lock ledger accounts of fund %d: %w", fundID, err)
	}
	if len(rows) != len(Kinds) {
		return nil, apperr.ErrNotFound
	}
	out := make(map[string]LedgerAccount, len(rows))
	for _, r := range rows {
		out[r.Kind] = r
	}
	return out, nil
}

// existing returns the posting already made with e's key, or ErrKeyReused
// when it is not the same posting.
func existing(tx *gorm.DB, e Entry) (Posting, error) {
	var p Posting
	if err := tx.Where("idempotency_key = ?", e.IdempotencyKey).Take(&p).Error; err != nil {
		return Posting{}, fmt.Errorf("read posting %q: %w", e.IdempotencyKey, err)
	}
	lines, err := postingLines(tx, []int64{p.ID})
	if err != nil {
		return Posting{}, err
	}
	p.Lines = lines[p.ID]
	if p.FundAccountID != e.FundAccountID || p.Kind != e.Kind || !sameLines(p.Lines, e.Lines) {
		return Posting{}, ErrKeyReused
	}
	return p, nil
}

func sameLines(a, b []Line) bool {
	key := func(ls []Line) []Line {
		out := slices.Clone(ls)
		sort.Slice(out, func(i, j int) bool {
			if out[i].Account != out[j].Account {
				return out[i].Account < out[j].Account
			}
			return out[i].Amount < out[j].Amount
		})
		return out
	}
	return slices.Equal(key(a), key(b))
}

// postingLines loads the lines of the postings, by posting id.
func postingLines(tx *gorm.DB, ids []int64) (map[int64][]Line, error) {
	var rows []struct {
		PostingID int64
		Kind      string
		Amount    money.Fen
	}
	if len(ids) == 0 {
		return map[int64][]Line{}, nil
	}
	err := tx.Table("ledger_lines l").Select("l.posting_id, a.kind, l.amount").
		Joins("JOIN ledger_accounts a ON a.id = l.account_id").Where("l.posting_id IN ?", ids).Order("l.id").Scan(&rows).Error
	out := map[int64][]Line{}
	for _, r := range rows {
		out[r.PostingID] = append(out[r.PostingID], Line{Account: r.Kind, Amount: r.Amount})
	}
	return out, err
}

// Violation is one broken ledger invariant.
type Violation struct {
	What string
	ID   int64
}

// CheckInvariants verifies the whole ledger: every posting has at least two
// lines summing to zero, every cached balance equals the sum of its lines, no
// restricted account is negative, and every contract's running total
// (contract_ledger_totals) equals the sums over its postings. Tests run it
// after every ledger test.
func CheckInvariants(tx *gorm.DB) ([]Violation, error) {
	var out []Violation
	var unbalanced []int64
	if err := tx.Raw(`SELECT p.id FROM ledger_postings p LEFT JOIN ledger_lines l ON l.posting_id = p.id
		GROUP BY p.id HAVING coalesce(sum(l.amount), 0) <> 0 OR count(l.id) < 2 ORDER BY p.id`).Scan(&unbalanced).Error; err != nil {
		return nil, fmt.Errorf("check postings balance: %w", err)
	}
	for _, id := range unbalanced {
		out = append(out, Violation{What: "posting does not balance", ID: id})
	}
	var drift []int64
	if err := tx.Raw(`SELECT a.id FROM ledger_accounts a LEFT JOIN ledger_lines l ON l.account_id = a.id
		GROUP BY a.id HAVING a.balance <> coalesce(sum(l.amount), 0) ORDER BY a.id`).Scan(&drift).Error; err != nil {
		return nil, fmt.Errorf("check cached balances: %w", err)
	}
	for _, id := range drift {
		out = append(out, Violation{What: "cached balance differs from its lines", ID: id})
	}
	var negative []int64
	if err := tx.Raw(`SELECT id FROM ledger_accounts WHERE kind <> 'source' AND balance < 0 ORDER BY id`).Scan(&negative).Error; err != nil {
		return nil, fmt.Errorf("check restricted balances: %w", err)
	}
	for _, id := range negative {
		out = append(out, Violation{What: "restricted account is negative", ID: id})
	}
	var totals []struct {
		FundAccountID int64
		ContractRef   string
	}
	if err := tx.Raw(`SELECT coalesce(t.fund_account_id, s.fund_id) AS fund_account_id, coalesce(t.contract_ref, s.ref) AS contract_ref
		FROM contract_ledger_totals t FULL JOIN (` + contractSums + `) s ON s.fund_id = t.fund_account_id AND s.ref = t.contract_ref
		WHERE coalesce(t.contracted_fen, 0) <> coalesce(s.contracted, 0) OR coalesce(t.paid_fen, 0) <> coalesce(s.paid, 0)
		ORDER BY 1, 2`).Scan(&totals).Error; err != nil {
		return nil, fmt.Errorf("check contracts' running totals: %w", err)
	}
	for _, t := range totals {
		out = append(out, Violation{What: "running total of contract " + t.ContractRef + " differs from its postings", ID: t.FundAccountID})
	}
	return out, nil
}

// contractSums sums, per fund account and contract reference, the lines
// contract_ledger_totals keeps running totals of (migration 00033): what
// the contract's postings hold encumbered (as Held(tx, Encumbered,
// {"contract"}, …)) and what the payouts for it and its milestones paid (as
// PaidOut(tx, {"contract", "milestone"}, …)).
const contractSums = `SELECT fund_id, ref, sum(contracted) AS contracted, sum(paid) AS paid FROM (
	SELECT p.fund_account_id AS fund_id, split_part(p.reference_id, '/', 1) AS ref, l.amount AS contracted, 0 AS paid
	  FROM ledger_lines l JOIN ledger_postings p ON p.id = l.posting_id JOIN ledger_accounts a ON a.id = l.account_id
	 WHERE a.kind = 'encumbered' AND p.reference_type = 'contract'
	UNION ALL
	SELECT p.fund_account_id, split_part(po.reference_id, '/', 1), 0, l.amount
	  FROM ledger_lines l JOIN ledger_postings p ON p.id = l.posting_id JOIN ledger_accounts a ON a.id = l.account_id
	  JOIN payouts po ON p.reference_type = 'payout' AND p.reference_id = po.id::text
	 WHERE a.kind = 'paid' AND po.reference_type IN ('contract', 'milestone')) s GROUP BY 1, 2`
