// Package payout holds the payout providers (Stripe Connect transfers and the
// manual bank transfer), the Stripe webhooks and donations through Stripe
// Checkout.
package payout

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Currency is the currency of every Stripe amount: amounts are in fen, the
// minor unit of CNY.
const Currency = "cny"

// WebhookTolerance is how far a webhook's signature time may lie from now.
const WebhookTolerance = 300 * time.Second

// Errors of the Stripe provider.
var (
	ErrAmount             = apperr.New(apperr.Invalid, "payout.amount", "the amount must be positive")
	ErrCurrency           = apperr.New(apperr.Invalid, "payout.currency", "the currency must be cny")
	ErrWebhookSignature   = apperr.New(apperr.Invalid, "payout.webhook_signature", "the webhook signature is missing or wrong")
	ErrWebhookStale       = apperr.New(apperr.Invalid, "payout.webhook_stale", "the webhook signature is too old or in the future")
	ErrWebhookPayload     = apperr.New(apperr.Invalid, "payout.webhook_payload", "the webhook payload is not an event of this API version")
	errNoIdempotencyKey   = errors.New("stripe: an idempotency key is required")
	errNoConnectedAccount = errors.New("stripe: a connected account id is required")
)

// StripeProvider pays organizations through Stripe Connect and takes donations
// through Stripe Checkout. Every call it makes carries an idempotency key, so
// a retried call (by stripe-go or by a job) never pays twice; Stripe keeps a
// key for 24 hours and refuses its reuse with other parameters.
type StripeProvider struct {
	api *client.API
}

// NewStripeProvider returns a provider using secretKey. backends nil means
// Stripe itself, through an HTTP client with a 30 s timeout; tests pass
// stripetest.Backends.
func NewStripeProvider(secretKey string, backends *stripe.Backends) *StripeProvider {
	if backends == nil {
		backends = stripe.NewBackends(&http.Client{Timeout: 30 * time.Second})
	}
	return &StripeProvider{api: client.New(secretKey, backends)}
}

// CreateConnectedAccount creates the organization's Express connected account,
// able to receive transfers, and returns its id. The idempotency key is
// "account:{orgID}", so calling it again for the same organization within 24
// hours returns the same account; the caller stores the id.
func (p *StripeProvider) CreateConnectedAccount(ctx context.Context, orgID int64, email string) (string, error) {
	params := &stripe.AccountParams{
		Type:  stripe.String(string(stripe.AccountTypeExpress)),
		Email: stripe.String(email),
		Capabilities: &stripe.AccountCapabilitiesParams{
			Transfers: &stripe.AccountCapabilitiesTransfersParams{Requested: stripe.Bool(true)},
		},
		Metadata: map[string]string{"org_id": strconv.FormatInt(orgID, 10)},
	}
	params.Context = ctx
	params.SetIdempotencyKey("account:" + strconv.FormatInt(orgID, 10))
	acct, err := p.api.Accounts.New(params)
	if err != nil {
		return "", fmt.Errorf("stripe: create connected account for organization %d: %w", orgID, err)
	}
	return acct.ID, nil
}

// AccountLink returns the URL of a Stripe-hosted onboarding page for the
// connected account. A link is single-use and expires within minutes, so each
// call asks for a new one under a fresh idempotency key.
func (p *StripeProvider) AccountLink(ctx context.Context, accountID, refreshURL, returnURL string) (string, error) {
	if accountID == "" {
		return "", errNoConnectedAccount
	}
	params := &stripe.AccountLinkParams{
		Account:    stripe.String(accountID),
		RefreshURL: stripe.String(refreshURL),
		ReturnURL:  stripe.String(returnURL),
		Type:       stripe.String(string(stripe.AccountLinkTypeAccountOnboarding)),
	}
	params.Context = ctx
	params.SetIdempotencyKey("account_link:" + accountID + ":" + stripe.NewIdempotencyKey())
	link, err := p.api.AccountLinks.New(params)
	if err != nil {
		return "", fmt.Errorf("stripe: account link for %s: %w", accountID, err)
	}
	return link.URL, nil
}

// Transfer moves amountFen (CNY) from the platform's balance to the connected
// account and returns the transfer id. The caller derives idempotencyKey from
// what is being paid (the payout's id), so that a retry returns the first
// transfer. It returns ErrAmount for an amount that is not positive.
func (p *StripeProvider) Transfer(ctx context.Context, accountID string, amountFen int64, idempotencyKey string, metadata map[string]string) (string, error) {
	amount := money.Fen(amountFen)
	switch {
	case amount <= 0:
		return "", ErrAmount
	case accountID == "":
		return "", errNoConnectedAccount
	case idempotencyKey == "":
		return "", errNoIdempotencyKey
	}
	params := &stripe.TransferParams{
		Amount:      stripe.Int64(int64(amount)),
		Currency:    stripe.String(Currency),
		Destination: stripe.String(accountID),
		Metadata:    metadata,
	}
	params.Context = ctx
	params.SetIdempotencyKey(idempotencyKey)
	tr, err := p.api.Transfers.New(params)
	if err != nil {
		return "", fmt.Errorf("stripe: transfer %s to %s: %w", amount.Yuan(), accountID, err)
	}
	return tr.ID, nil
}

// CheckoutSession creates a Checkout session in which a donor gives amountFen
// of currency, which must be Currency ("cny": the amount is in fen), and
// returns its id and the URL to send the donor to. metadata (the fund, the
// donation's id) is set on both the session and its payment intent, so the
// webhooks of either carry it. It returns ErrAmount for an amount that is not
// positive and ErrCurrency for another currency.
func (p *StripeProvider) CheckoutSession(ctx context.Context, amountFen int64, currency, successURL, cancelURL, idempotencyKey string, metadata map[string]string) (sessionID, url string, err error) {
	amount := money.Fen(amountFen)
	switch {
	case amount <= 0:
		return "", "", ErrAmount
	case currency != Currency:
		return "", "", ErrCurrency
	case idempotencyKey == "":
		return "", "", errNoIdempotencyKey
	}
	params := &stripe.CheckoutSessionParams{
		Mode:       stripe.String(string(stripe.CheckoutSessionModePayment)),
		SubmitType: stripe.String(string(stripe.CheckoutSessionSubmitTypeDonate)),
		SuccessURL: stripe.String(successURL),
		CancelURL:  stripe.String(cancelURL),
		LineItems: []*stripe.CheckoutSessionLineItemParams{{
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripe.String(Currency),
				UnitAmount:  stripe.Int64(int64(amount)),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripe.String("社会捐赠 Donation")},
			},
			Quantity: stripe.Int64(1),
		}},
		Metadata:          metadata,
		PaymentIntentData: &stripe.CheckoutSessionPaymentIntentDataParams{Metadata: metadata},
	}
	params.Context = ctx
	params.SetIdempotencyKey(idempotencyKey)
	s, err := p.api.CheckoutSessions.New(params)
	if err != nil {
		return "", "", fmt.Errorf("stripe: checkout session for %s: %w", amount.Yuan(), err)
	}
	return s.ID, s.URL, nil
}

// ParseWebhook verifies the Stripe-Signature header sigHeader of payload with
// the endpoint's signing secret and returns the event. It returns
// ErrWebhookSignature for a missing or wrong signature (an altered payload, a
// wrong secret), ErrWebhookStale when the signed time is more than
// WebhookTolerance away from now (a replay), and ErrWebhookPayload for a signed
// payload that is not an event of the API version stripe-go pins
// (stripe.APIVersion).
func (p *StripeProvider) ParseWebhook(payload []byte, sigHeader, secret string, now time.Time) (stripe.Event, error) {
	if err := webhook.ValidatePayloadIgnoringTolerance(payload, sigHeader, secret); err != nil {
		return stripe.Event{}, fmt.Errorf("%w (%w)", ErrWebhookSignature, err)
	}
	// stripe-go measures the tolerance against the wall clock and only into
	// the past; this measures it against our clock, both ways.
	signed, ok := signedAt(sigHeader)
	if d := now.Sub(signed); !ok || d > WebhookTolerance || d < -WebhookTolerance {
		return stripe.Event{}, ErrWebhookStale
	}
	ev, err := webhook.ConstructEventWithOptions(payload, sigHeader, secret, webhook.ConstructEventOptions{IgnoreTolerance: true})
	if err != nil {
		return stripe.Event{}, fmt.Errorf("%w (%w)", ErrWebhookPayload, err)
	}
	return ev, nil
}

// signedAt reads the time ("t=") of a Stripe-Signature header. stripe-go signs
// with the last one, so a header with several is refused rather than have its
// time checked on one and its signature on another.
func signedAt(header string) (time.Time, bool) {
	var at time.Time
	found := false
	for _, part := range strings.Split(header, ",") {
		v, ok := strings.CutPrefix(part, "t=")
		if !ok {
			continue
		}
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil || found {
			return time.Time{}, false
		}
		at, found = time.Unix(sec, 0), true
	}
	return at, found
}
