package api_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// azPayoutShared is what the payout rows of one matrix group share: the
// group's server rebuilt around a payout service the test holds, a manual
// payout of org 1 from 爱山 (A)'s fiscal budget waiting to be confirmed, the
// seeded fund of A that takes donations, and a pending donation to it.
type azPayoutShared struct {
	once     sync.Once
	pe       *servertest.PayEnv
	payout   int64
	fund     int64
	donation int64
}

var (
	azPayoutMu    sync.Mutex
	azPayoutState = map[*azFixture]*azPayoutShared{}
)

// azPayout returns the group's shared payout records, making them on first use.
func azPayout(t testing.TB, f *azFixture) *azPayoutShared {
	azPayoutMu.Lock()
	s, ok := azPayoutState[f]
	if !ok {
		s = &azPayoutShared{}
		azPayoutState[f] = s
	}
	azPayoutMu.Unlock()
	s.once.Do(func() {
		e := f.e
		t.Helper()
		s.pe = servertest.WithPayouts(t, e)
		// Stripe on, with a stripe-mock that ends with this cell: from then on a
		// call that reaches Stripe's API without azPayoutStripe fails with 500.
		s.pe.UseStripe(t)
		fiscal := e.IDOf(t, "fund_accounts", "subdistrict_id = ? AND source = ?", f.subA, "fiscal_budget")
		s.payout = servertest.RequestPayout(t, e.DB, servertest.ManualPayouts(e), servertest.UserActor(t, e.DB, "demo-finance"), fiscal, f.org1,
			money.Fen(1_500_000), "matrix-milestone").ID
		s.fund = e.IDOf(t, "fund_accounts", "subdistrict_id = ? AND accepts_donations", f.subA)
		d := payout.Donation{FundAccountID: s.fund, AmountFen: 20_000, DonorName: "矩阵捐赠人", State: "pending", CreatedAt: e.Clock.Now()}
		if err := e.DB.Create(&d).Error; err != nil {
			t.Fatalf("insert a donation: %v", err)
		}
		s.donation = d.ID
	})
	return s
}

// azPayoutPath returns the path made by path from the group's shared records.
func azPayoutPath(path func(t testing.TB, f *azFixture, s *azPayoutShared) string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string { return path(t, f, azPayout(t, f)) }
}

// azPayoutStripe is azPayoutPath for a call that reaches Stripe's API: the
// group's payout service is pointed at a stripe-mock that lives as long as
// the call. (The matrix cell is the only test the row functions see.)
func azPayoutStripe(path func(t testing.TB, f *azFixture, s *azPayoutShared) string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		s := azPayout(t, f)
		s.pe.UseStripe(t)
		return path(t, f, s)
	}
}

// azPayoutOnboardingBody sends no body; for the one identity whose call
// reaches Stripe's API (org 1's admin) it points the payout service at a
// stripe-mock of the cell first. Everyone else is refused before any call.
func azPayoutOnboardingBody(t testing.TB, f *azFixture, i int) any {
	if azIdentities[i] == "demo-org" {
		azPayout(t, f).pe.UseStripe(t)
	}
	return nil
}

// azPayoutEvent is the webhook the matrix delivers: an account.updated event
// for an account no organization has, signed at the clock's start (which the
// matrix never moves), so every delivery after the first is a duplicate.
var (
	azPayoutEvent  = servertest.StripeEvent("evt_matrix_1", "account.updated", servertest.Start, `{"id":"acct_matrix","object":"account","payouts_enabled":false}`)
	azPayoutSigned = map[string]string{"Stripe-Signature": servertest.SignStripe(azPayoutEvent, servertest.WebhookSecret, servertest.Start)}
)

// azPayoutMatrix covers payouts, onboarding, donations and the Stripe webhook.
// Staff of the subdistricts, the district and the organizations read payouts
// (each within its scope, see TestPayoutTenancy); only a finance officer
// confirms a manual one and only an organization's admin connects it to
// Stripe. Donations, receipts and the webhook are public; the group runs with
// Stripe on, so they succeed for everyone.
var azPayoutMatrix = map[string][]azMatrixRow{
	"payouts": {
		{method: "GET", route: "/api/v1/payouts",
			path: azPayoutPath(func(t testing.TB, f *azFixture, s *azPayoutShared) string { return "/api/v1/payouts" }),
			want: azWant{no401, ok200, ok200, ok200, ok200, no403, ok200, ok200, ok200, ok200, no403}},
		{method: "GET", route: "/api/v1/payouts",
			path: azPayoutPath(func(t testing.TB, f *azFixture, s *azPayoutShared) string { return "/api/v1/payouts?state=requested" }),
			want: azWant{no401, ok200, ok200, ok200, ok200, no403, ok200, ok200, ok200, ok200, no403}},
		{method: "GET", route: "/api/v1/exports/payouts.csv",
			path: azPayoutPath(func(t testing.TB, f *azFixture, s *azPayoutShared) string { return "/api/v1/exports/payouts.csv" }),
			want: azWant{no401, ok200, ok200, ok200, ok200, no403, ok200, ok200, ok200, ok200, no403}},
		{method: "GET", route: "/api/v1/exports/payouts.csv",
			path: azPayoutPath(func(t testing.TB, f *azFixture, s *azPayoutShared) string {
				return "/api/v1/exports/payouts.csv?status=lost"
			}),
			want: azWant{no401, bad400, bad400, bad400, bad400, no403, bad400, bad400, bad400, bad400, no403}},
		{method: "POST", route: "/api/v1/payouts/:id/manual-confirmation",
			path: azPayoutPath(func(t testing.TB, f *azFixture, s *azPayoutShared) string {
				return fmt.Sprintf("/api/v1/payouts/%d/manual-confirmation", s.payout)
			}),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"reference": fmt.Sprintf("ICBC-MATRIX-%02d", i)}
			},
			want: azWant{no401, no403, no403, no403, ok200, no403, no403, no403, no403, no403, no403}},
		{method: "POST", route: "/api/v1/organizations/:id/payout-onboarding",
			path: azPayoutPath(func(t testing.TB, f *azFixture, s *azPayoutShared) string {
				return fmt.Sprintf("/api/v1/organizations/%d/payout-onboarding", f.org1)
			}),
			body: azPayoutOnboardingBody,
			want: azWant{no401, no403, no403, no403, no403, no403, ok200, no403, nf404, no403, no403}},
		{method: "POST", route: "/api/v1/public/donations",
			path: azPayoutStripe(func(t testing.TB, f *azFixture, s *azPayoutShared) string { return "/api/v1/public/donations" }),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"fund_account_id": azPayout(t, f).fund, "amount_fen": 10_000 + i, "donor_name": fmt.Sprintf("捐赠人%d", i)}
			},
			want: azWant{new201, new201, new201, new201, new201, new201, new201, new201, new201, new201, new201}},
		{method: "GET", route: "/api/v1/public/donations/:id",
			path: azPayoutPath(func(t testing.TB, f *azFixture, s *azPayoutShared) string {
				return fmt.Sprintf("/api/v1/public/donations/%d", s.donation)
			}),
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "POST", route: "/api/v1/stripe/webhook",
			// Verifying a webhook makes no call to Stripe.
			path: azPayoutPath(func(t testing.TB, f *azFixture, s *azPayoutShared) string { return "/api/v1/stripe/webhook" }),
			body: func(t testing.TB, f *azFixture, i int) any { return azPayoutEvent }, header: azPayoutSigned,
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
	},
}
