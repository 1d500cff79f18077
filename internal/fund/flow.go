package fund

import (
	"fmt"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Ref names the record a posting is for, such as a tender or a milestone; with
// the movement and the fund it makes the posting's idempotency key, so a
// retried operation posts once. A record that moves the same money twice (a
// tender reserving again after a release) needs a Ref per round, e.g. an ID
// of "12/2".
type Ref struct {
	Type string
	ID   string
}

func (r Ref) key(kind string, fundID int64) string {
	return fmt.Sprintf("%s:%d:%s:%s", kind, fundID, r.Type, r.ID)
}

// ErrNotEarmarked is returned by Reserve for a category the fund may not pay for.
var ErrNotEarmarked = apperr.New(apperr.Conflict, "fund.not_earmarked", "the fund account is not earmarked for this service category")

func positive(amount money.Fen) error {
	if amount <= 0 {
		return apperr.InvalidField("amount", "must be more than zero")
	}
	return nil
}

func move(tx *gorm.DB, by access.Actor, fundID int64, kind string, ref Ref, from, to string, amount money.Fen) (Posting, error) {
	if err := positive(amount); err != nil {
		return Posting{}, err
	}
	return Post(tx, by, Entry{FundAccountID: fundID, Kind: kind, IdempotencyKey: ref.key(kind, fundID), ReferenceType: ref.Type,
		ReferenceID: ref.ID, Lines: []Line{{Account: from, Amount: -amount}, {Account: to, Amount: amount}}})
}

// Reserve sets amount aside for a published tender: available → reserved. It
// returns ErrNotEarmarked for a category outside the fund's earmark and
// ErrInsufficient when less is available.
func Reserve(tx *gorm.DB, by access.Actor, fundID int64, category string, amount money.Fen, ref Ref) (Posting, error) {
	var n int64
	if err := tx.Table("fund_account_categories").Where("fund_account_id = ? AND category_code = ?", fundID, category).Count(&n).Error; err != nil {
		return Posting{}, fmt.Errorf("earmark of fund %d: %w", fundID, err)
	}
	if n == 0 {
		return Posting{}, ErrNotEarmarked
	}
	return move(tx, by, fundID, "reserve", ref, Available, Reserved, amount)
}

// Release returns a reservation to available (a tender cancelled or failed).
func Release(tx *gorm.DB, by access.Actor, fundID int64, amount money.Fen, ref Ref) (Posting, error) {
	return move(tx, by, fundID, "release", ref, Reserved, Available, amount)
}

// Encumber commits a signed contract's amount out of its tender's
// reservation: exactly amount moves from reserved to encumbered. The rest of
// the reservation stays reserved for the tender's other winners until the
// tender releases it (Release), once its last winning contract is signed or
// dropped.
func Encumber(tx *gorm.DB, by access.Actor, fundID int64, amount money.Fen, ref Ref) (Posting, error) {
	return move(tx, by, fundID, "encumber", ref, Reserved, Encumbered, amount)
}

// EncumberMore commits a rise of a signed contract's amount (an amendment)
// out of available money: available → encumbered. It returns ErrInsufficient
// when less is available.
func EncumberMore(tx *gorm.DB, by access.Actor, fundID int64, amount money.Fen, ref Ref) (Posting, error) {
	return move(tx, by, fundID, "encumber", ref, Available, Encumbered, amount)
}

// MakePayable moves an approved milestone payment from encumbered to payable.
func MakePayable(tx *gorm.DB, by access.Actor, fundID int64, amount money.Fen, ref Ref) (Posting, error) {
	return move(tx, by, fundID, "payable", ref, Encumbered, Payable, amount)
}

// MarkPaid records a confirmed payout: payable → paid.
func MarkPaid(tx *gorm.DB, by access.Actor, fundID int64, amount money.Fen, ref Ref) (Posting, error) {
	return move(tx, by, fundID, "paid", ref, Payable, Paid, amount)
}

// ReturnEncumbrance returns what a closed contract left encumbered to available.
func ReturnEncumbrance(tx *gorm.DB, by access.Actor, fundID int64, amount money.Fen, ref Ref) (Posting, error) {
	return move(tx, by, fundID, "return_encumbrance", ref, Encumbered, Available, amount)
}

// Credit brings money in from outside: an appropriation or a donation,
// source → available.
func Credit(tx *gorm.DB, by access.Actor, fundID int64, kind string, amount money.Fen, key, documentRef, memo string, ref Ref) (Posting, error) {
	if err := positive(amount); err != nil {
		return Posting{}, err
	}
	return Post(tx, by, Entry{FundAccountID: fundID, Kind: kind, IdempotencyKey: key, ReferenceType: ref.Type, ReferenceID: ref.ID,
		DocumentRef: documentRef, Memo: memo, Lines: []Line{{Account: Source, Amount: -amount}, {Account: Available, Amount: amount}}})
}

// Holder names a record that holds money in a fund through postings
// referring to it: those whose reference type is one of the holder's kinds
// and whose reference id is ID or begins with ID + "/" (a contract's signing,
// "12", its amendments, "12/v2", its milestones, "12/1").
type Holder struct {
	FundID int64
	ID     string
}

// Held returns what each holder's postings hold in an account of its fund:
// the sum of their lines on it, for the postings whose reference type is one
// of refTypes. A signed contract's encumbrance is Held(tx, Encumbered,
// {"contract", "milestone"}, its id): its signing and amendments, less what
// its milestones moved on to payable and what returned. One query for all.
func Held(tx *gorm.DB, account string, refTypes []string, holders ...Holder) (map[Holder]money.Fen, error) {
	out, err := sumByHolder(tx, `SELECT p.fund_account_id AS fund_id, split_part(p.reference_id, '/', 1) AS id, SUM(l.amount) AS sum
		FROM ledger_lines l
		JOIN ledger_postings p ON p.id = l.posting_id
		JOIN ledger_accounts a ON a.id = l.account_id
		WHERE a.kind = ? AND p.reference_type IN ? AND p.fund_account_id IN ? AND split_part(p.reference_id, '/', 1) IN ?
		GROUP BY 1, 2`, []any{account, refTypes}, holders)
	if err != nil {
		return nil, fmt.Errorf("held in %s by %v: %w", account, refTypes, err)
	}
	return out, nil
}

// sumByHolder runs query, which selects fund_id, id and sum grouped by
// holder and takes args followed by the holders' fund ids and ids, and
// returns each holder's sum (0 for those the query does not name).
func sumByHolder(tx *gorm.DB, query string, args []any, holders []Holder) (map[Holder]money.Fen, error) {
	out := make(map[Holder]money.Fen, len(holders))
	if len(holders) == 0 {
		return out, nil
	}
	funds, ids := make([]int64, 0, len(holders)), make([]string, 0, len(holders))
	for _, h := range holders {
		out[h] = 0
		funds, ids = append(funds, h.FundID), append(ids, h.ID)
	}
	var rows []struct {
		FundID int64
		ID     string
		Sum    money.Fen
	}
	if err := tx.Raw(query, append(args, funds, ids)...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		h := Holder{FundID: r.FundID, ID: r.ID}
		if _, asked := out[h]; asked {
			out[h] = r.Sum
		}
	}
	return out, nil
}
