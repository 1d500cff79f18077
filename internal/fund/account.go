package fund

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// Sources of project funds.
var Sources = []string{"fiscal_budget", "welfare_lottery", "special_development", "social_donations"}

// Account is a fund account: one subdistrict's money of one fiscal year from
// one source, earmarked to categories.
type Account struct {
	ID               int64     `json:"id"`
	SubdistrictID    int64     `json:"subdistrict_id"`
	FiscalYear       int       `json:"fiscal_year"`
	Source           string    `json:"source"`
	Name             string    `json:"name"`
	AcceptsDonations bool      `json:"accepts_donations"`
	CreatedBy        *int64    `json:"-"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// TableName is the table of Account.
func (Account) TableName() string { return "fund_accounts" }

// View is a fund account with its earmark and balances.
type View struct {
	Account
	Categories []string             `json:"categories"`
	Balances   map[string]money.Fen `json:"balances"`
}

// Errors of fund accounts.
var (
	ErrDuplicateAccount = apperr.New(apperr.Conflict, "fund.duplicate", "this subdistrict already has a fund account with this year, source and name")
	ErrNotCorrectable   = apperr.New(apperr.Conflict, "fund.not_correctable", "only an appropriation or a donation not yet corrected can be corrected")
)

// Service manages fund accounts.
type Service struct {
	db    *gorm.DB
	clock clock.Clock
}

// NewService returns a Service on db.
func NewService(db *gorm.DB, c clock.Clock) *Service {
	// Rows stamped by GORM (postings' created_at) follow the injected clock.
	db = db.Session(&gorm.Session{NowFunc: func() time.Time { return c.Now().UTC().Truncate(time.Microsecond) }})
	return &Service{db: db, clock: c}
}

// Scope restricts q (on fund_accounts) to the subdistricts by reads
// (access.Actor.Subdistricts).
func Scope(q *gorm.DB, by access.Actor) *gorm.DB {
	cond, args := by.Subdistricts().Where("fund_accounts.subdistrict_id")
	return q.Where(cond, args...)
}

// AccountInput creates a fund account.
type AccountInput struct {
	FiscalYear       int
	Source           string
	Name             string
	Categories       []string
	AcceptsDonations bool
}

// CreateAccount opens a fund account in the finance officer's subdistrict with
// its ledger sub-accounts at zero.
func (s *Service) CreateAccount(ctx context.Context, by access.Actor, in AccountInput) (View, error) {
	if by.Role != access.FinanceOfficer {
		return View{}, apperr.ErrForbidden
	}
	in.Name = strings.TrimSpace(in.Name)
	slices.Sort(in.Categories)
	in.Categories = slices.Compact(in.Categories)
	var f apperr.Fields
	f.Check(in.FiscalYear >= 2000 && in.FiscalYear <= 2100, "fiscal_year", "must be a year from 2000 to 2100")
	f.Check(slices.Contains(Sources, in.Source), "source", "must be fiscal_budget, welfare_lottery, special_development or social_donations")
	f.Check(in.Name != "" && len(in.Name) <= 200, "name", "is required (at most 200 bytes)")
	f.Check(len(in.Categories) > 0 && len(in.Categories) <= 16, "categories", "name 1 to 16 service categories")
	if err := f.Err(); err != nil {
		return View{}, err
	}
	now := s.clock.Now()
	a := Account{SubdistrictID: by.Scope.SubdistrictID, FiscalYear: in.FiscalYear, Source: in.Source, Name: in.Name,
		AcceptsDonations: in.AcceptsDonations, CreatedBy: by.UserRef(), CreatedAt: now, UpdatedAt: now}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&a).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrDuplicateAccount
			}
			return fmt.Errorf("insert fund account: %w", err)
		}
		for _, c := range in.Categories {
			res := tx.Exec(`INSERT INTO fund_account_categories (fund_account_id, category_code)
				SELECT ?, code FROM service_categories WHERE code = ? AND kind = 'service'`, a.ID, c)
			if res.Error != nil {
				return fmt.Errorf("insert category %s of fund account: %w", c, res.Error)
			}
			if res.RowsAffected != 1 {
				return apperr.InvalidField("categories", "must be service category codes")
			}
		}
		for _, k := range Kinds {
			if err := tx.Create(&LedgerAccount{FundAccountID: a.ID, Kind: k}).Error; err != nil {
				return fmt.Errorf("insert ledger account: %w", err)
			}
		}
		return audit.Record(tx, by, "fund.create", "fund_account", a.ID, map[string]any{"account": a, "categories": in.Categories})
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, by, a.ID)
}

// Names returns the names of the fund accounts with ids, by id. Only the staff
// of a fund's scope may open it, but its name is shown wherever it pays (an
// organization's payments, a tender notice).
func (s *Service) Names(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Account
	if err := s.db.WithContext(ctx).Select("id", "name").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read fund names: %w", err)
	}
	for _, a := range rows {
		out[a.ID] = a.Name
	}
	return out, nil
}

// Get returns a fund account within by's scope with its balances, else
// apperr.ErrNotFound.
func (s *Service) Get(ctx context.Context, by access.Actor, id int64) (View, error) {
	var a Account
	if err := Scope(s.db.WithContext(ctx), by).Take(&a, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return View{}, apperr.ErrNotFound
		}
		return View{}, fmt.Errorf("read fund account %d: %w", id, err)
	}
	views, err := s.views(s.db.WithContext(ctx), []Account{a})
	if err != nil {
		return View{}, err
	}
	return views[0], nil
}

// List returns the fund accounts by may see, newest year first.
func (s *Service) List(ctx context.Context, by access.Actor) ([]View, error) {
	return s.listIn(ctx, by.Subdistricts())
}

// listIn lists the fund accounts of subs with their balances.
func (s *Service) listIn(ctx context.Context, subs access.Subdistricts) ([]View, error) {
	var list []Account
	cond, args := subs.Where("fund_accounts.subdistrict_id")
	if err := s.db.WithContext(ctx).Where(cond, args...).Order("fiscal_year DESC, id").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("list fund accounts: %w", err)
	}
	return s.views(s.db.WithContext(ctx), list)
}

func (s *Service) views(db *gorm.DB, list []Account) ([]View, error) {
	out := make([]View, len(list))
	if len(list) == 0 {
		return out, nil
	}
	ids := make([]int64, len(list))
	for i, a := range list {
		ids[i] = a.ID
		out[i] = View{Account: a, Categories: []string{}, Balances: map[string]money.Fen{}}
	}
	var cats []struct {
		FundAccountID int64
		CategoryCode  string
	}
	if err := db.Table("fund_account_categories").Where("fund_account_id IN ?", ids).Order("category_code").Scan(&cats).Error; err != nil {
		return nil, fmt.Errorf("read fund account categories: %w", err)
	}
	var accts []LedgerAccount
	if err := db.Where("fund_account_id IN ?", ids).Find(&accts).Error; err != nil {
		return nil, fmt.Errorf("read ledger balances: %w", err)
	}
	index := map[int64]int{}
	for i, a := range list {
		index[a.ID] = i
	}
	for _, c := range cats {
		v := &out[index[c.FundAccountID]]
		v.Categories = append(v.Categories, c.CategoryCode)
	}
	for _, a := range accts {
		if a.Kind != Source {
			out[index[a.FundAccountID]].Balances[a.Kind] = a.Balance
		}
	}
	return out, nil
}

// ownAccount reads a fund account of the finance officer's own subdistrict;
// another subdistrict's answers apperr.ErrNotFound. It takes no lock: Post
// locks the ledger accounts, and a row lock here would deadlock with the
// foreign-key check of a concurrent posting to the same fund.
func ownAccount(tx *gorm.DB, by access.Actor, id int64) (Account, error) {
	var a Account
	if by.Role != access.FinanceOfficer {
		return a, apperr.ErrForbidden
	}
	err := tx.Where("id = ? AND subdistrict_id = ?", id, by.Scope.SubdistrictID).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return a, apperr.ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("read fund account %d: %w", id, err)
	}
	return a, nil
}

// AppropriationInput brings budget into a fund account.
type AppropriationInput struct {
	Amount         money.Fen
	DocumentRef    string // the budget document (拨款文号)
	Memo           string
	IdempotencyKey string // the same key posts once
}

// Appropriate credits an appropriation to the fund's available balance. A
// retried request with the same idempotency key posts once.
func (s *Service) Appropriate(ctx context.Context, by access.Actor, id int64, in AppropriationInput) (Posting, error) {
	in.DocumentRef, in.Memo = strings.TrimSpace(in.DocumentRef), strings.TrimSpace(in.Memo)
	var f apperr.Fields
	f.Check(in.Amount > 0 && in.Amount <= 100_000_000_000, "amount_fen", "must be between 1 fen and 1,000,000,000.00 yuan")
	f.Check(in.DocumentRef != "" && len(in.DocumentRef) <= 200, "document_ref", "is required (at most 200 bytes)")
	f.Check(len(in.Memo) <= 1000, "memo", "must be at most 1000 bytes")
	f.Check(in.IdempotencyKey != "" && len(in.IdempotencyKey) <= 100, "idempotency_key", "is required (at most 100 bytes)")
	if err := f.Err(); err != nil {
		return Posting{}, err
	}
	var p Posting
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := ownAccount(tx, by, id); err != nil {
			return err
		}
		var err error
		p, err = Credit(tx, by, id, "appropriation", in.Amount, fmt.Sprintf("appropriation:%d:%s", id, in.IdempotencyKey),
			in.DocumentRef, in.Memo, Ref{Type: "appropriation", ID: in.DocumentRef})
		return err
	})
	return p, err
}

// Correct reverses an appropriation or a donation with a posting of the
// opposite lines; the original stays as it was. The money must still be
// available (ErrInsufficient otherwise).
func (s *Service) Correct(ctx context.Context, by access.Actor, id, postingID int64, reason string) (Posting, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 1000 {
		return Posting{}, apperr.InvalidField("reason", "is required (at most 1000 bytes)")
	}
	var p Posting
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := ownAccount(tx, by, id); err != nil {
			return err
		}
		var orig Posting
		if err := tx.Where("id = ? AND fund_account_id = ?", postingID, id).Take(&orig).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return apperr.ErrNotFound
			}
			return fmt.Errorf("read posting %d: %w", postingID, err)
		}
		var reversed int64
		if err := tx.Model(&Posting{}).Where("reverses_id = ?", orig.ID).Count(&reversed).Error; err != nil {
			return fmt.Errorf("find corrections of posting %d: %w", orig.ID, err)
		}
		if (orig.Kind != "appropriation" && orig.Kind != "donation") || reversed > 0 {
			return ErrNotCorrectable
		}
		lines, err := postingLines(tx, []int64{orig.ID})
		if err != nil {
			return err
		}
		rev := make([]Line, 0, len(lines[orig.ID]))
		for _, l := range lines[orig.ID] {
			rev = append(rev, Line{Account: l.Account, Amount: -l.Amount})
		}
		p, err = Post(tx, by, Entry{FundAccountID: id, Kind: "correction", IdempotencyKey: fmt.Sprintf("correction:%d", orig.ID),
			ReferenceType: "posting", ReferenceID: fmt.Sprint(orig.ID), DocumentRef: orig.DocumentRef, Memo: reason,
			ReversesID: &orig.ID, Lines: rev})
		return err
	})
	return p, err
}

// PostingFilter selects postings of a fund account.
type PostingFilter struct {
	Kind  string
	From  time.Time // inclusive; zero: from the start
	Until time.Time // exclusive; zero: to now
	Limit int       // default 200, at most MaxPostings
}

// Postings returns a fund account's postings with their lines, newest first.
func (s *Service) Postings(ctx context.Context, by access.Actor, id int64, f PostingFilter) ([]Posting, error) {
	if _, err := s.Get(ctx, by, id); err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	f.Limit = min(f.Limit, MaxPostings)
	q := s.db.WithContext(ctx).Where("fund_account_id = ?", id)
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if !f.From.IsZero() {
		q = q.Where("created_at >= ?", f.From)
	}
	if !f.Until.IsZero() {
		q = q.Where("created_at < ?", f.Until)
	}
	var list []Posting
	if err := q.Order("id DESC").Limit(f.Limit).Find(&list).Error; err != nil {
		return nil, fmt.Errorf("list postings of fund account %d: %w", id, err)
	}
	ids := make([]int64, len(list))
	for i, p := range list {
		ids[i] = p.ID
	}
	lines, err := postingLines(s.db.WithContext(ctx), ids)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Lines = lines[list[i].ID]
	}
	return list, nil
}
