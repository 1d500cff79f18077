package payout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// Payout is the durable intent to pay an organization from a fund account.
type Payout struct {
	ID               int64      `json:"id"`
	FundAccountID    int64      `json:"fund_account_id"`
	OrganizationID   int64      `json:"organization_id"`
	AmountFen        money.Fen  `json:"amount_fen"`
	Provider         string     `json:"provider"`
	State            string     `json:"state"`
	ReferenceType    string     `json:"reference_type"`
	ReferenceID      string     `json:"reference_id"`
	StripeTransferID *string    `json:"stripe_transfer_id"`
	ManualReference  string     `json:"manual_reference"`
	Attempts         int        `json:"attempts"`
	LastError        string     `json:"last_error"`
	RequestedBy      *int64     `json:"-"`
	ConfirmedBy      *int64     `json:"-"`
	PaidAt           *time.Time `json:"paid_at"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// TableName is the table of Payout.
func (Payout) TableName() string { return "payouts" }

// Transferer moves money to a connected Stripe account; StripeProvider is the
// real one. Every call carries the idempotency key.
type Transferer interface {
	Transfer(ctx context.Context, accountID string, amountFen int64, idempotencyKey string, metadata map[string]string) (string, error)
}

// Errors of payouts.
var (
	ErrReferenceReused = apperr.New(apperr.Conflict, "payout.reference_reused", "a payout for this reference exists with another payee, fund or amount")
	ErrNotManual       = apperr.New(apperr.Conflict, "payout.not_manual", "only a manual payout is confirmed by hand")
	ErrNotRequested    = apperr.New(apperr.Conflict, "payout.not_requested", "the payout is not waiting to be paid")
	ErrNoStripe        = errors.New("payout: the organization has no connected Stripe account")
	ErrStripeMissing   = apperr.New(apperr.Conflict, "payout.stripe_not_configured", "Stripe is not configured on this platform")
)

// Service requests, carries out and confirms payouts.
type Service struct {
	db       *gorm.DB
	clock    clock.Clock
	stripe   Transferer // nil: every payout is manual
	log      *slog.Logger
	enqueue  func(ctx context.Context, payoutID int64) error
	afterPay func(p Payout) error // test seam: runs after Stripe answered, before commit

	enqueueEvent  func(ctx context.Context, eventID string) error
	provider      *StripeProvider // onboarding, checkout and webhooks; nil without Stripe
	webhookSecret string
	onPaid        []PaidHook
}

// PaidHook runs inside the transaction that records a payout as paid (the
// job's Stripe transfer or a finance officer's confirmation), before the
// ledger's payable → paid posting, so that it takes its own row locks (the
// record the payout is for) before the fund's rows and the first audit entry.
// It sees the payout as it was before: State is requested or failed. An
// error rolls the payment's recording back.
type PaidHook func(tx *gorm.DB, by access.Actor, p Payout) error

// OnPaid adds a hook that runs when a payout is paid (PaidHook); the
// milestone payments use it.
func (s *Service) OnPaid(h PaidHook) { s.onPaid = append(s.onPaid, h) }

// Options configure a Service.
type Options struct {
	// Stripe pays through Stripe Connect; nil makes every payout manual.
	Stripe Transferer
	// Enqueue schedules the job that carries a payout out; it runs after the
	// requesting transaction commits. nil: nothing is scheduled (the sweep
	// still finds the payout).
	Enqueue func(ctx context.Context, payoutID int64) error
	// AfterTransfer, for tests only, runs after Stripe answered and before the
	// payout is recorded; an error aborts the recording as a crash would.
	AfterTransfer func(p Payout) error
}

// NewService returns a Service.
func NewService(db *gorm.DB, c clock.Clock, log *slog.Logger, opts Options) *Service {
	// Rows stamped by GORM (postings' created_at) follow the injected clock.
	db = db.Session(&gorm.Session{NowFunc: func() time.Time { return c.Now().UTC().Truncate(time.Microsecond) }})
	return &Service{db: db, clock: c, stripe: opts.Stripe, log: log, enqueue: opts.Enqueue, afterPay: opts.AfterTransfer}
}

// RequestInput asks to pay an organization for one thing (a milestone).
type RequestInput struct {
	FundAccountID  int64
	OrganizationID int64
	Amount         money.Fen
	Ref            fund.Ref // one payout per reference, whatever the retries
}

// RequestTx moves the amount to payable and writes the payout row, its durable
// intent, inside tx. Requesting the same reference again returns the first
// payout and posts nothing. The caller schedules it after commit (Schedule).
func (s *Service) RequestTx(tx *gorm.DB, by access.Actor, in RequestInput) (Payout, error) {
	if in.Amount <= 0 {
		return Payout{}, apperr.InvalidField("amount", "must be more than zero")
	}
	if _, err := fund.MakePayable(tx, by, in.FundAccountID, in.Amount, in.Ref); err != nil {
		return Payout{}, err
	}
	provider := "manual"
	if s.stripe != nil {
		provider = "stripe"
	}
	now := s.clock.Now()
	p := Payout{FundAccountID: in.FundAccountID, OrganizationID: in.OrganizationID, AmountFen: in.Amount, Provider: provider,
		State: "requested", ReferenceType: in.Ref.Type, ReferenceID: in.Ref.ID, RequestedBy: by.UserRef(), CreatedAt: now, UpdatedAt: now}
	res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "reference_type"}, {Name: "reference_id"}}, DoNothing: true}).Create(&p)
	if res.Error != nil {
		return Payout{}, fmt.Errorf("insert payout: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		if err := tx.Where("reference_type = ? AND reference_id = ?", in.Ref.Type, in.Ref.ID).Take(&p).Error; err != nil {
			return Payout{}, err
		}
		if p.OrganizationID != in.OrganizationID || p.FundAccountID != in.FundAccountID || p.AmountFen != in.Amount {
			return Payout{}, ErrReferenceReused
		}
		return p, nil
	}
	return p, audit.Record(tx, by, "payout.request", "payout", p.ID, map[string]any{
		"fund_account_id": p.FundAccountID, "organization_id": p.OrganizationID, "amount_fen": p.AmountFen, "provider": provider})
}

// Request is RequestTx in its own transaction, then schedules the payout.
func (s *Service) Request(ctx context.Context, by access.Actor, in RequestInput) (Payout, error) {
	var p Payout
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		p, err = s.RequestTx(tx, by, in)
		return err
	})
	if err != nil {
		return Payout{}, err
	}
	s.Schedule(ctx, p)
	return p, nil
}

// Schedule enqueues the job for a Stripe payout. A failure is only logged: the
// payout row is the durable intent and the sweep enqueues it later.
func (s *Service) Schedule(ctx context.Context, p Payout) {
	if s.enqueue == nil || p.Provider != "stripe" || p.State != "requested" {
		return
	}
	if err := s.enqueue(ctx, p.ID); err != nil {
		s.log.WarnContext(ctx, "enqueue payout failed; the sweep will retry", "payout_id", p.ID, "error", err.Error())
	}
}

// Process carries out a requested Stripe payout: one Transfer with the key
// "payout:{id}", then, in the same transaction, the transfer id, the state
// paid and the paid posting. A payout already paid, or manual, is left alone;
// any retry uses the same key, so Stripe makes one transfer however often this
// runs.
func (s *Service) Process(ctx context.Context, id int64) error {
	var failed error // an attempt to note once the row lock is released
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Payout
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Take(&p, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil // nothing to do for a payout that does not exist
			}
			return err
		}
		if p.State != "requested" || p.Provider != "stripe" {
			return nil
		}
		if s.stripe == nil {
			return ErrStripeMissing
		}
		var accountID string
		err := tx.Table("organization_payout_accounts").Select("stripe_account_id").
			Where("organization_id = ?", p.OrganizationID).Scan(&accountID).Error
		if err != nil {
			return err
		}
		if accountID == "" {
			failed = ErrNoStripe
			return ErrNoStripe
		}
		var first struct{ At *time.Time }
		if err := tx.Raw(`SELECT min(started_at) AS at FROM payout_attempts WHERE payout_id = ?`, p.ID).Scan(&first).Error; err != nil {
			return err
		}
		if first.At != nil && s.clock.Now().Sub(*first.At) > IdempotencyWindow {
			// A transfer may exist that a new key would duplicate: stop, for a person to reconcile.
			return s.fail(tx, &p, "Stripe's idempotency window has passed since the first attempt: reconcile with the Stripe dashboard, then confirm by hand")
		}
		// Recorded outside this transaction so that a crash keeps it.
		if err := s.db.WithContext(ctx).Exec(`INSERT INTO payout_attempts (payout_id, started_at) VALUES (?, ?)`, p.ID, s.clock.Now()).Error; err != nil {
			return err
		}
		transferID, err := s.stripe.Transfer(ctx, accountID, int64(p.AmountFen), "payout:"+strconv.FormatInt(p.ID, 10),
			map[string]string{"payout_id": strconv.FormatInt(p.ID, 10), "reference": p.ReferenceType + ":" + p.ReferenceID})
		if err != nil {
			failed = err
			return fmt.Errorf("transfer for payout %d: %w", p.ID, err)
		}
		if s.afterPay != nil {
			if err := s.afterPay(p); err != nil {
				return err
			}
		}
		return s.markPaid(tx, access.SystemActor("payout-job", "job:payout:"+strconv.FormatInt(p.ID, 10)), &p,
			map[string]any{"stripe_transfer_id": transferID, "attempts": p.Attempts + 1})
	})
	if failed != nil {
		s.note(ctx, id, failed)
	}
	return err
}

// IdempotencyWindow is how long after its first call a payout's job may still
// call Stripe: less than the 24 hours Stripe keeps an idempotency key.
const IdempotencyWindow = 23 * time.Hour

// fail moves a payout to failed with the reason, inside tx, with its audit
// entry and the notification of the payee and the fund's finance officers
// (KindFailed). The money stays payable until a finance officer confirms how
// it was paid (ConfirmManual).
func (s *Service) fail(tx *gorm.DB, p *Payout, reason string) error {
	now := s.clock.Now()
	res := tx.Model(&Payout{}).Where("id = ? AND state = 'requested'", p.ID).
		Updates(map[string]any{"state": "failed", "last_error": reason, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return nil // not waiting any more: nothing failed
	}
	if err := audit.Record(tx, access.SystemActor("payout-job", "job:payout:"+strconv.FormatInt(p.ID, 10)), "payout.fail", "payout", p.ID,
		map[string]any{"reason": reason}); err != nil {
		return err
	}
	return notifyFailed(tx, p, now)
}

// note records a failed attempt after the job's transaction ended (it held the
// row lock), so that the finance officer sees why a payout waits.
func (s *Service) note(ctx context.Context, id int64, cause error) {
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	if err := s.db.WithContext(ctx).Model(&Payout{}).Where("id = ? AND state = 'requested'", id).
		Updates(map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_error": msg, "updated_at": s.clock.Now()}).Error; err != nil {
		s.log.ErrorContext(ctx, "record payout attempt", "payout_id", id, "error", err.Error())
	}
}

// markPaid sets the payout paid with the given columns, posts payable → paid
// and audits it, inside tx, after the OnPaid hooks.
func (s *Service) markPaid(tx *gorm.DB, by access.Actor, p *Payout, set map[string]any) error {
	for _, h := range s.onPaid {
		if err := h(tx, by, *p); err != nil {
			return fmt.Errorf("payout %d paid: %w", p.ID, err)
		}
	}
	// The ledger first: RequestTx locks the ledger accounts before it touches
	// payouts, so taking them in the same order here cannot deadlock with it.
	if _, err := fund.MarkPaid(tx, by, p.FundAccountID, p.AmountFen, fund.Ref{Type: "payout", ID: strconv.FormatInt(p.ID, 10)}); err != nil {
		return err
	}
	now := s.clock.Now()
	set["state"], set["paid_at"], set["updated_at"], set["last_error"] = "paid", now, now, ""
	res := tx.Model(&Payout{}).Where("id = ? AND state IN ('requested', 'failed')", p.ID).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("mark payout %d paid: %w", p.ID, res.Error)
	}
	if res.RowsAffected != 1 {
		return ErrNotRequested
	}
	set["payout_id"] = p.ID
	return audit.Record(tx, by, "payout.paid", "payout", p.ID, set)
}

// ConfirmManual records the bank transfer that paid a manual payout, or how a
// payout the job gave up on (failed) was settled; only a finance officer of
// the fund's subdistrict may (others: apperr.ErrNotFound).
func (s *Service) ConfirmManual(ctx context.Context, by access.Actor, id int64, reference string) (Payout, error) {
	reference = strings.TrimSpace(reference)
	if reference == "" || len(reference) > 200 {
		return Payout{}, apperr.InvalidField("reference", "is required: the bank transfer's reference (at most 200 bytes)")
	}
	if by.Role != access.FinanceOfficer {
		return Payout{}, apperr.ErrForbidden
	}
	var p Payout
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).
			Where("id = ? AND fund_account_id IN (SELECT id FROM fund_accounts WHERE subdistrict_id = ?)", id, by.Scope.SubdistrictID).
			Take(&p).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return apperr.ErrNotFound
		} else if err != nil {
			return err
		}
		// A manual payout waiting to be paid, or any payout the job gave up on
		// (to be reconciled), is confirmed by hand.
		switch {
		case p.State == "failed":
		case p.State != "requested":
			return ErrNotRequested
		case p.Provider != "manual":
			return ErrNotManual
		}
		if err := s.markPaid(tx, by, &p, map[string]any{"manual_reference": reference, "confirmed_by": by.UserRef()}); err != nil {
			return err
		}
		return tx.Take(&p, id).Error
	})
	return p, err
}

// Scope restricts q (on payouts) to what by may see: an organization's staff
// the payouts it received, everyone else those paid from the fund accounts of
// the subdistricts it reads (access.Actor.Subdistricts). The payout list and
// the payouts export both read through it.
func Scope(q *gorm.DB, by access.Actor) *gorm.DB {
	if by.Is(access.OrgStaff...) {
		return q.Where("payouts.organization_id = ?", by.Scope.OrganizationID)
	}
	cond, args := by.Subdistricts().Where("f.subdistrict_id")
	return q.Where("payouts.fund_account_id IN (SELECT f.id FROM fund_accounts f WHERE "+cond+")", args...)
}

// List returns the payouts by may see, newest first, optionally of one state.
func (s *Service) List(ctx context.Context, by access.Actor, state string) ([]Payout, error) {
	q := Scope(s.db.WithContext(ctx), by)
	if state != "" {
		q = q.Where("state = ?", state)
	}
	out := []Payout{}
	return out, q.Order("id DESC").Limit(1000).Find(&out).Error
}

// Due returns the ids of requested Stripe payouts, for the sweep that
// schedules any whose job was lost.
func (s *Service) Due(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&Payout{}).Where("state = 'requested' AND provider = 'stripe'").Order("id").Limit(1000).Pluck("id", &ids).Error
	return ids, err
}
