package payout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
)

// StripeConfig enables the Stripe flows: onboarding, donations and webhooks.
type StripeConfig struct {
	Provider      *StripeProvider
	WebhookSecret string
}

// UseStripe turns Stripe on: new payouts go through Stripe Connect, donations
// through Checkout, and webhooks are verified with cfg.WebhookSecret.
func (s *Service) UseStripe(cfg StripeConfig) {
	s.stripe, s.provider, s.webhookSecret = cfg.Provider, cfg.Provider, cfg.WebhookSecret
}

// StripeEnabled reports whether Stripe is configured.
func (s *Service) StripeEnabled() bool { return s.provider != nil }

// ---- webhooks ----

// ReceiveEvent verifies a webhook's signature on the raw payload, stores the
// event once by its id and schedules the job that applies it. A duplicate is
// accepted and changes nothing.
func (s *Service) ReceiveEvent(ctx context.Context, payload []byte, signature string) (string, error) {
	if s.provider == nil || s.webhookSecret == "" {
		return "", ErrStripeMissing
	}
	ev, err := s.provider.ParseWebhook(payload, signature, s.webhookSecret, s.clock.Now())
	if err != nil {
		return "", err
	}
	// An event without an id cannot be stored once; PostgreSQL's jsonb cannot hold NUL.
	if ev.ID == "" || bytes.Contains(payload, []byte(`\u0000`)) {
		return "", ErrWebhookPayload
	}
	err = s.db.WithContext(ctx).Exec(`INSERT INTO stripe_events (id, type, payload, received_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, ev.ID, string(ev.Type), string(payload), s.clock.Now()).Error
	if err != nil {
		return "", fmt.Errorf("store event %s: %w", ev.ID, err)
	}
	if s.enqueueEvent != nil {
		if err := s.enqueueEvent(ctx, ev.ID); err != nil {
			s.log.WarnContext(ctx, "enqueue stripe event failed; the sweep will retry", "event_id", ev.ID, "error", err.Error())
		}
	}
	return ev.ID, nil
}

type storedEvent struct {
	ID          string
	Type        string
	Payload     string
	ProcessedAt *time.Time
}

func (storedEvent) TableName() string { return "stripe_events" }

// eventObject is the part of an event's data.object we read.
type eventObject struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	Metadata       map[string]string `json:"metadata"`
	AmountTotal    int64             `json:"amount_total"`
	Currency       string            `json:"currency"`
	PaymentStatus  string            `json:"payment_status"`
	PayoutsEnabled bool              `json:"payouts_enabled"`
}

// ApplyEvent applies a stored event once: the event row is locked and marked
// processed in the same transaction as its effect. Every effect checks the
// state it changes, so duplicates and events out of order end the same.
func (s *Service) ApplyEvent(ctx context.Context, id string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ev storedEvent
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Take(&ev, "id = ?", id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil
			}
			return err
		}
		if ev.ProcessedAt != nil {
			return nil
		}
		var body struct {
			Created int64 `json:"created"`
			Data    struct {
				Object eventObject `json:"object"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(ev.Payload), &body); err != nil {
			return tx.Model(&ev).Updates(map[string]any{"processed_at": s.clock.Now(), "error": "unreadable payload"}).Error
		}
		obj := body.Data.Object
		by := access.SystemActor("stripe-webhook", "stripe:"+ev.ID)
		var effect error
		switch ev.Type {
		case "checkout.session.completed", "checkout.session.async_payment_succeeded":
			if obj.PaymentStatus == "paid" {
				effect = s.completeDonation(tx, by, obj)
			}
		case "checkout.session.expired":
			effect = s.expireDonation(tx, by, obj.ID)
		case "account.updated":
			// Only an event newer than the one that set the flag changes it, so
			// events arriving out of order end in the newest state.
			at := time.Unix(body.Created, 0).UTC()
			res := tx.Exec(`UPDATE organization_payout_accounts SET payouts_enabled = ?, stripe_event_at = ?, updated_at = ?
				WHERE stripe_account_id = ? AND (stripe_event_at IS NULL OR stripe_event_at <= ?)`,
				obj.PayoutsEnabled, at, s.clock.Now(), obj.ID, at)
			effect = res.Error
			if effect == nil && res.RowsAffected > 0 {
				effect = audit.Record(tx, by, "payout.account_updated", "stripe_account", obj.ID,
					map[string]any{"payouts_enabled": obj.PayoutsEnabled, "event": ev.ID})
			}
		}
		msg := ""
		if effect != nil {
			if apperr.KindOf(effect) == apperr.Internal {
				return effect // retried by the job
			}
			msg = effect.Error() // an event we cannot apply: recorded, not retried
		}
		return tx.Model(&ev).Updates(map[string]any{"processed_at": s.clock.Now(), "error": msg}).Error
	})
}

// ---- donations ----

// Donation is a gift to a fund account through Stripe Checkout.
type Donation struct {
	ID                int64      `json:"id"`
	FundAccountID     int64      `json:"fund_account_id"`
	AmountFen         money.Fen  `json:"amount_fen"`
	DonorName         string     `json:"donor_name"`
	CheckoutSessionID *string    `json:"-"`
	State             string     `json:"state"`
	PostingID         *int64     `json:"-"`
	CreatedAt         time.Time  `json:"created_at"`
	CompletedAt       *time.Time `json:"completed_at"`
}

// TableName is the table of Donation.
func (Donation) TableName() string { return "donations" }

// Donation limits, in fen.
const (
	MinDonation money.Fen = 100         // 1.00 yuan
	MaxDonation money.Fen = 100_000_000 // 1,000,000.00 yuan
)

// ErrNoDonations is returned for a fund account that does not take donations.
var ErrNoDonations = apperr.New(apperr.NotFound, "donation.fund_not_open", "this fund account does not accept donations")

// DonationInput starts a donation.
type DonationInput struct {
	FundAccountID int64
	Amount        money.Fen
	DonorName     string
	SuccessURL    string // {DONATION_ID} is replaced by the donation's id
	CancelURL     string
}

// StartDonation records a pending donation and opens a Stripe Checkout
// Session for it, returning the page the donor pays on.
func (s *Service) StartDonation(ctx context.Context, in DonationInput) (Donation, string, error) {
	if s.provider == nil {
		return Donation{}, "", ErrStripeMissing
	}
	in.DonorName = strings.TrimSpace(in.DonorName)
	var f apperr.Fields
	f.Check(in.FundAccountID > 0, "fund_account_id", "is required")
	f.Check(in.Amount >= MinDonation && in.Amount <= MaxDonation, "amount_fen", "must be from 100 (1.00 yuan) to 100000000 (1,000,000.00 yuan)")
	f.Check(len(in.DonorName) <= 100, "donor_name", "must be at most 100 bytes")
	if err := f.Err(); err != nil {
		return Donation{}, "", err
	}
	var open int64
	if err := s.db.WithContext(ctx).Table("fund_accounts").Where("id = ? AND accepts_donations", in.FundAccountID).Count(&open).Error; err != nil {
		return Donation{}, "", err
	}
	if open == 0 {
		return Donation{}, "", ErrNoDonations
	}
	d := Donation{FundAccountID: in.FundAccountID, AmountFen: in.Amount, DonorName: in.DonorName, State: "pending", CreatedAt: s.clock.Now()}
	if err := s.db.WithContext(ctx).Create(&d).Error; err != nil {
		return Donation{}, "", fmt.Errorf("insert donation: %w", err)
	}
	id := strconv.FormatInt(d.ID, 10)
	sessionID, url, err := s.provider.CheckoutSession(ctx, int64(d.AmountFen), Currency,
		strings.ReplaceAll(in.SuccessURL, "{DONATION_ID}", id), in.CancelURL, "donation:"+id,
		map[string]string{"donation_id": id, "fund_account_id": strconv.FormatInt(d.FundAccountID, 10)})
	if err != nil {
		return Donation{}, "", fmt.Errorf("checkout session for donation %d: %w", d.ID, err)
	}
	if err := s.db.WithContext(ctx).Model(&d).Update("checkout_session_id", sessionID).Error; err != nil {
		return Donation{}, "", err
	}
	d.CheckoutSessionID = &sessionID
	return d, url, nil
}

// GetDonation returns a donation for its receipt page.
func (s *Service) GetDonation(ctx context.Context, id int64) (Donation, error) {
	var d Donation
	if err := s.db.WithContext(ctx).Take(&d, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return d, apperr.ErrNotFound
		}
		return d, err
	}
	return d, nil
}

// expireDonation records that a donor left the checkout without paying.
func (s *Service) expireDonation(tx *gorm.DB, by access.Actor, sessionID string) error {
	var d Donation
	if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("checkout_session_id = ?", sessionID).Take(&d).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		return err
	}
	if d.State != "pending" {
		return nil
	}
	if err := tx.Model(&d).Update("state", "expired").Error; err != nil {
		return err
	}
	return audit.Record(tx, by, "donation.expire", "donation", d.ID, nil)
}

// completeDonation credits a paid donation to its fund once.
func (s *Service) completeDonation(tx *gorm.DB, by access.Actor, obj eventObject) error {
	var d Donation
	q := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"})
	if id, err := strconv.ParseInt(obj.Metadata["donation_id"], 10, 64); err == nil {
		q = q.Where("id = ?", id)
	} else {
		q = q.Where("checkout_session_id = ?", obj.ID)
	}
	if err := q.Take(&d).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return apperr.New(apperr.NotFound, "donation.unknown", "no donation matches the checkout session")
		}
		return err
	}
	if d.State == "completed" {
		return nil
	}
	switch {
	case d.CheckoutSessionID == nil && obj.Metadata["donation_id"] == strconv.FormatInt(d.ID, 10):
		// The session was made but its id not yet stored: the metadata names the donation.
		if err := tx.Model(&d).Update("checkout_session_id", obj.ID).Error; err != nil {
			return err
		}
	case d.CheckoutSessionID == nil || obj.ID != *d.CheckoutSessionID:
		return apperr.New(apperr.Conflict, "donation.session_mismatch", "the event's checkout session is not the donation's")
	}
	if obj.AmountTotal != int64(d.AmountFen) || !strings.EqualFold(obj.Currency, Currency) {
		return apperr.New(apperr.Conflict, "donation.amount_mismatch",
			fmt.Sprintf("paid %d %s, expected %d %s", obj.AmountTotal, obj.Currency, d.AmountFen, Currency))
	}
	id := strconv.FormatInt(d.ID, 10)
	p, err := fund.Credit(tx, by, d.FundAccountID, "donation", d.AmountFen, "donation:"+id, "", "donation "+id, fund.Ref{Type: "donation", ID: id})
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if err := tx.Model(&d).Updates(map[string]any{"state": "completed", "posting_id": p.ID, "completed_at": now}).Error; err != nil {
		return err
	}
	return audit.Record(tx, by, "donation.complete", "donation", d.ID, map[string]any{"amount_fen": d.AmountFen, "posting_id": p.ID})
}

// ---- onboarding ----

// Connection is how far an organization's Stripe account is connected.
type Connection struct {
	Connected      bool // a connected account exists
	PayoutsEnabled bool // Stripe says it can receive transfers
}

// ConnectionOf returns how far by's own organization is connected to Stripe.
func (s *Service) ConnectionOf(ctx context.Context, by access.Actor) (Connection, error) {
	var acct struct {
		StripeAccountID string
		PayoutsEnabled  bool
	}
	if err := s.db.WithContext(ctx).Table("organization_payout_accounts").Select("stripe_account_id, payouts_enabled").
		Where("organization_id = ?", by.Scope.OrganizationID).Scan(&acct).Error; err != nil {
		return Connection{}, fmt.Errorf("read payout account of organization %d: %w", by.Scope.OrganizationID, err)
	}
	return Connection{Connected: acct.StripeAccountID != "", PayoutsEnabled: acct.PayoutsEnabled}, nil
}

// Onboard connects an organization to Stripe: it creates its connected
// account once and returns an Account Link where its admin completes the
// onboarding. Only that organization's admin may.
func (s *Service) Onboard(ctx context.Context, by access.Actor, orgID int64, refreshURL, returnURL string) (string, error) {
	if by.Role != access.OrgAdmin {
		return "", apperr.ErrForbidden
	}
	if by.Scope.OrganizationID != orgID {
		return "", apperr.ErrNotFound
	}
	if s.provider == nil {
		return "", ErrStripeMissing
	}
	var account string
	db := s.db.WithContext(ctx)
	if err := db.Table("organization_payout_accounts").Select("stripe_account_id").Where("organization_id = ?", orgID).Scan(&account).Error; err != nil {
		return "", err
	}
	if account == "" {
		email, err := org.ContactEmail(db, orgID)
		if err != nil {
			return "", err
		}
		// The idempotency key "account:{org}" makes a repeated call return the same account.
		created, err := s.provider.CreateConnectedAccount(ctx, orgID, email)
		if err != nil {
			return "", fmt.Errorf("connect organization %d: %w", orgID, err)
		}
		err = db.Transaction(func(tx *gorm.DB) error {
			now := s.clock.Now()
			res := tx.Exec(`INSERT INTO organization_payout_accounts (organization_id, stripe_account_id, created_at, updated_at)
				VALUES (?, ?, ?, ?) ON CONFLICT (organization_id) DO NOTHING`, orgID, created, now, now)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return nil
			}
			return audit.Record(tx, by, "payout.connect", "organization", orgID, map[string]any{"stripe_account_id": created})
		})
		if err != nil {
			return "", err
		}
		if err := db.Table("organization_payout_accounts").Select("stripe_account_id").Where("organization_id = ?", orgID).Scan(&account).Error; err != nil {
			return "", err
		}
	}
	return s.provider.AccountLink(ctx, account, refreshURL, returnURL)
}

// BackendsAt returns stripe-go backends talking to url instead of Stripe
// (stripe-mock in development), or nil for Stripe itself when url is empty.
func BackendsAt(url string) *stripe.Backends {
	if url == "" {
		return nil
	}
	cfg := &stripe.BackendConfig{URL: stripe.String(url), HTTPClient: &http.Client{Timeout: 30 * time.Second}}
	return &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, cfg),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, cfg),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, cfg),
	}
}
