package servertest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/platform/stripetest"
	"github.com/jiedao-market/jiedao/internal/server"
)

// WebhookSecret is the webhook signing secret of the test environments
// with Stripe on.
const WebhookSecret = "whsec_jiedao_server_test" // #nosec G101 -- a test environment's secret, guarding nothing

// PayEnv is a test environment whose server uses a payout service the test
// holds, so that it can request payouts and apply stored Stripe events as the
// jobs would.
type PayEnv struct {
	*Env
	Payouts *payout.Service
	Calls   *stripetest.CallCounter // the calls to stripe-mock; nil while Stripe is off
}

// NewEnvWithPayouts builds the application on a fresh seeded database with a
// payout service the test holds, Stripe off: every payout is manual, and the
// donation, onboarding and webhook routes answer 409.
func NewEnvWithPayouts(t testing.TB) *PayEnv {
	t.Helper()
	return WithPayouts(t, NewEnv(t))
}

// NewEnvWithStripe is newEnvWithPayouts with Stripe on: the service talks to
// a stripe-mock of its own, through a CallCounter, and verifies webhooks with
// WebhookSecret. Payouts it requests go through Stripe.
func NewEnvWithStripe(t testing.TB) *PayEnv {
	t.Helper()
	pe := NewEnvWithPayouts(t)
	pe.UseStripe(t)
	return pe
}

// WithPayouts rebuilds e's server around a payout service of its own, as
// cmd/jiedao wires it, without jobs. Tokens issued before stay valid: the
// new server signs with the same keys and reads the same sessions.
func WithPayouts(t testing.TB, e *Env) *PayEnv {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	pe := &PayEnv{Env: e, Payouts: payout.NewService(e.DB, e.Clock, log, payout.Options{})}
	svc := e.Services
	svc.UsePayouts(e.DB, e.Clock, pe.Payouts)
	e.Services = svc
	var err error
	e.Server, err = server.New(server.Deps{Config: e.Cfg, DB: e.DB, Log: log, Clock: e.Clock, Services: svc})
	if err != nil {
		t.Fatalf("server.New() error = %v", err)
	}
	return pe
}

// UseStripe turns Stripe on for pe's payout service, pointed at a stripe-mock
// that lives as long as t, with a fresh call counter.
func (pe *PayEnv) UseStripe(t testing.TB) {
	t.Helper()
	pe.Calls = &stripetest.CallCounter{}
	pe.Payouts.UseStripe(payout.StripeConfig{
		Provider:      payout.NewStripeProvider(stripetest.SecretKey, stripetest.Backends(stripetest.Start(t), pe.Calls)),
		WebhookSecret: WebhookSecret,
	})
}

// ManualPayouts returns a payout service on e's database without Stripe, for
// requesting manual payouts whatever the server's service is configured with.
func ManualPayouts(e *Env) *payout.Service {
	return payout.NewService(e.DB, e.Clock, slog.New(slog.NewJSONHandler(e.Logs, nil)), payout.Options{})
}

// UserActor returns the actor of the user username as a session would carry
// it: a subdistrict officer's scope names its district too.
func UserActor(t testing.TB, db *gorm.DB, username string) access.Actor {
	t.Helper()
	var u struct {
		ID                    int64
		Role                  string
		DistrictID            *int64
		SubdistrictID         *int64
		OrganizationID        *int64
		SubdistrictDistrictID *int64 // the district of the user's subdistrict
	}
	err := db.Raw(`SELECT u.id, u.role, u.district_id, u.subdistrict_id, u.organization_id, s.district_id AS subdistrict_district_id
		FROM users u LEFT JOIN subdistricts s ON s.id = u.subdistrict_id WHERE u.username = ?`, username).Take(&u).Error
	if err != nil {
		t.Fatalf("read user %s: %v", username, err)
	}
	a := access.Actor{UserID: u.ID, Username: username, Role: access.Role(u.Role), RequestID: "test-" + username}
	for _, p := range []struct {
		dst *int64
		src *int64
	}{{&a.Scope.DistrictID, u.DistrictID}, {&a.Scope.DistrictID, u.SubdistrictDistrictID},
		{&a.Scope.SubdistrictID, u.SubdistrictID}, {&a.Scope.OrganizationID, u.OrganizationID}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	return a
}

// RequestPayout makes a payout of amount to organization org from fund account
// fundID as finance would for an approved milestone: the amount is reserved
// for a tender, encumbered by its contract and made payable with the payout
// row, in one transaction. ref names the milestone and must be unique in the
// test. The payout is manual or Stripe as svc is configured.
func RequestPayout(t testing.TB, db *gorm.DB, svc *payout.Service, finance access.Actor, fundID, org int64, amount money.Fen, ref string) payout.Payout {
	t.Helper()
	var p payout.Payout
	err := db.Transaction(func(tx *gorm.DB) error {
		if _, err := fund.Reserve(tx, finance, fundID, "ELDERLY_HOME_CARE", amount, fund.Ref{Type: "tender", ID: ref}); err != nil {
			return fmt.Errorf("reserve: %w", err)
		}
		if _, err := fund.Encumber(tx, finance, fundID, amount, fund.Ref{Type: "contract", ID: ref}); err != nil {
			return fmt.Errorf("encumber: %w", err)
		}
		var err error
		p, err = svc.RequestTx(tx, finance, payout.RequestInput{FundAccountID: fundID, OrganizationID: org, Amount: amount,
			Ref: fund.Ref{Type: "milestone", ID: ref}})
		return err
	})
	if err != nil {
		t.Fatalf("request a payout of %s for %s: %v", amount.Yuan(), ref, err)
	}
	return p
}

// StripeEvent returns a Stripe event of type typ about object, of the API
// version stripe-go pins, as Stripe would send it.
func StripeEvent(id, typ string, created time.Time, object string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"api_version":%q,"created":%d,"livemode":false,`+
		`"pending_webhooks":1,"data":{"object":%s}}`, id, typ, stripe.APIVersion, created.Unix(), object))
}

// SignStripe returns the Stripe-Signature header of payload signed with secret
// at the time at.
func SignStripe(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

// ApplyEvent applies the stored Stripe event id as the event job would.
func ApplyEvent(t testing.TB, pe *PayEnv, id string) {
	t.Helper()
	if err := pe.Payouts.ApplyEvent(context.Background(), id); err != nil {
		t.Fatalf("ApplyEvent(%s) error = %v", id, err)
	}
}

// CountWhere counts the rows of table matching where.
func CountWhere(t testing.TB, e *Env, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.DB.Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatalf("count %s where %s: %v", table, where, err)
	}
	return n
}

// LedgerOK fails when the ledger breaks one of its invariants.
func LedgerOK(t testing.TB, e *Env) {
	t.Helper()
	v, err := fund.CheckInvariants(e.DB)
	if err != nil {
		t.Fatalf("fund.CheckInvariants() error = %v", err)
	}
	if len(v) > 0 {
		t.Errorf("fund.CheckInvariants() = %+v, want none", v)
	}
}

// DonationStarted is the answer to POST /api/v1/public/donations.
type DonationStarted struct {
	DonationID  int64  `json:"donation_id"`
	CheckoutURL string `json:"checkout_url"`
}

// Donate starts a donation of amount to fund account fundID anonymously.
func Donate(t testing.TB, e *Env, fundID int64, amount money.Fen, donor string) DonationStarted {
	t.Helper()
	var s DonationStarted
	Call(t, e, "POST", "/api/v1/public/donations", "", map[string]any{"fund_account_id": fundID, "amount_fen": amount,
		"donor_name": donor}, http.StatusCreated, &s)
	if s.DonationID <= 0 || !strings.HasPrefix(s.CheckoutURL, "https://") {
		t.Fatalf("POST /api/v1/public/donations = %+v, want a donation id and an https checkout URL", s)
	}
	return s
}

// CheckoutCompleted is the checkout.session.completed event Stripe sends once the
// donor of donation id has paid amount.
func CheckoutCompleted(t testing.TB, e *Env, eventID string, donation int64, amount money.Fen) []byte {
	t.Helper()
	var session string
	if err := e.DB.Table("donations").Select("checkout_session_id").Where("id = ?", donation).Take(&session).Error; err != nil {
		t.Fatalf("read the checkout session of donation %d: %v", donation, err)
	}
	return StripeEvent(eventID, "checkout.session.completed", e.Clock.Now(), fmt.Sprintf(
		`{"id":%q,"object":"checkout.session","amount_total":%d,"currency":"cny","payment_status":"paid","status":"complete",`+
			`"metadata":{"donation_id":"%d"}}`, session, amount, donation))
}

// DeliverEvent posts a webhook signed with the test secret at the clock's time
// and checks that it is received.
func DeliverEvent(t testing.TB, e *Env, event []byte, wantID string) {
	t.Helper()
	var got struct {
		Received bool   `json:"received"`
		ID       string `json:"id"`
	}
	r := e.Do(t, Request{Method: "POST", Path: "/api/v1/stripe/webhook", Body: event,
		Header: map[string]string{"Stripe-Signature": SignStripe(event, WebhookSecret, e.Clock.Now())}})
	if r.Status != http.StatusOK {
		t.Fatalf("POST /api/v1/stripe/webhook = %d %s, want 200", r.Status, r.Body)
	}
	r.JSON(t, &got)
	if !got.Received || got.ID != wantID {
		t.Errorf("POST /api/v1/stripe/webhook = %s, want received %s", r.Body, wantID)
	}
}
