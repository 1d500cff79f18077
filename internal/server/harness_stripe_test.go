package server_test

import (
	"context"
	"fmt"
	"log/slog"
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

// payWebhookSecret is the webhook signing secret of the test environments
// with Stripe on.
const payWebhookSecret = "whsec_jiedao_server_test"

// payEnv is a test environment whose server uses a payout service the test
// holds, so that it can request payouts and apply stored Stripe events as the
// jobs would.
type payEnv struct {
	*env
	payouts *payout.Service
	calls   *stripetest.CallCounter // the calls to stripe-mock; nil while Stripe is off
}

// newEnvWithPayouts builds the application on a fresh seeded database with a
// payout service the test holds, Stripe off: every payout is manual, and the
// donation, onboarding and webhook routes answer 409.
func newEnvWithPayouts(t testing.TB) *payEnv {
	t.Helper()
	return withPayouts(newEnv(t))
}

// newEnvWithStripe is newEnvWithPayouts with Stripe on: the service talks to
// a stripe-mock of its own, through a CallCounter, and verifies webhooks with
// payWebhookSecret. Payouts it requests go through Stripe.
func newEnvWithStripe(t testing.TB) *payEnv {
	t.Helper()
	pe := newEnvWithPayouts(t)
	pe.useStripe(t)
	return pe
}

// withPayouts rebuilds e's server around a payout service of its own, as
// cmd/jiedao wires it, without jobs. Tokens issued before stay valid: the
// new server signs with the same keys and reads the same sessions.
func withPayouts(e *env) *payEnv {
	e.t.Helper()
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	pe := &payEnv{env: e, payouts: payout.NewService(e.db, e.clock, log, payout.Options{})}
	svc := e.svc
	svc.Payouts = pe.payouts
	var err error
	e.srv, err = server.New(server.Deps{Config: e.cfg, DB: e.db, Log: log, Clock: e.clock, Services: svc})
	if err != nil {
		e.t.Fatalf("server.New() error = %v", err)
	}
	return pe
}

// useStripe turns Stripe on for pe's payout service, pointed at a stripe-mock
// that lives as long as t, with a fresh call counter.
func (pe *payEnv) useStripe(t testing.TB) {
	t.Helper()
	pe.calls = &stripetest.CallCounter{}
	pe.payouts.UseStripe(payout.StripeConfig{
		Provider:      payout.NewStripeProvider(stripetest.SecretKey, stripetest.Backends(stripetest.Start(t), pe.calls)),
		WebhookSecret: payWebhookSecret,
	})
}

// manualPayouts returns a payout service on e's database without Stripe, for
// requesting manual payouts whatever the server's service is configured with.
func manualPayouts(e *env) *payout.Service {
	return payout.NewService(e.db, e.clock, slog.New(slog.NewJSONHandler(e.logs, nil)), payout.Options{})
}

// payActor returns the actor of the user username as a session would carry
// it: a subdistrict officer's scope names its district too.
func payActor(t testing.TB, db *gorm.DB, username string) access.Actor {
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

// payRequest makes a payout of amount to organization org from fund account
// fundID as finance would for an approved milestone: the amount is reserved
// for a tender, encumbered by its contract and made payable with the payout
// row, in one transaction. ref names the milestone and must be unique in the
// test. The payout is manual or Stripe as svc is configured.
func payRequest(t testing.TB, db *gorm.DB, svc *payout.Service, finance access.Actor, fundID, org int64, amount money.Fen, ref string) payout.Payout {
	t.Helper()
	var p payout.Payout
	err := db.Transaction(func(tx *gorm.DB) error {
		if _, err := fund.Reserve(tx, finance, fundID, "ELDERLY_HOME_CARE", amount, fund.Ref{Type: "tender", ID: ref}); err != nil {
			return fmt.Errorf("reserve: %w", err)
		}
		if _, err := fund.Encumber(tx, finance, fundID, amount, amount, fund.Ref{Type: "contract", ID: ref}); err != nil {
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

// payEvent returns a Stripe event of type typ about object, of the API
// version stripe-go pins, as Stripe would send it.
func payEvent(id, typ string, created time.Time, object string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"api_version":%q,"created":%d,"livemode":false,`+
		`"pending_webhooks":1,"data":{"object":%s}}`, id, typ, stripe.APIVersion, created.Unix(), object))
}

// paySign returns the Stripe-Signature header of payload signed with secret
// at the time at.
func paySign(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

// payApply applies the stored Stripe event id as the event job would.
func payApply(t testing.TB, pe *payEnv, id string) {
	t.Helper()
	if err := pe.payouts.ApplyEvent(context.Background(), id); err != nil {
		t.Fatalf("ApplyEvent(%s) error = %v", id, err)
	}
}
