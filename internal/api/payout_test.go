package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stripe/stripe-go/v76"

	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// payList returns the payouts GET /api/v1/payouts answers token with query.
func payList(t testing.TB, e *servertest.Env, token, query string) []payout.Payout {
	t.Helper()
	var list struct {
		Items []payout.Payout `json:"items"`
	}
	servertest.Call(t, e, "GET", "/api/v1/payouts"+query, token, nil, http.StatusOK, &list)
	return list.Items
}

// payIDs returns the ids of payouts, in order.
func payIDs(list []payout.Payout) []int64 {
	ids := []int64{}
	for _, p := range list {
		ids = append(ids, p.ID)
	}
	return ids
}

// payBalances returns the balances of fund account id as token reads them.
func payBalances(t testing.TB, e *servertest.Env, token string, id int64) map[string]money.Fen {
	t.Helper()
	var v fund.View
	servertest.Call(t, e, "GET", fmt.Sprintf("/api/v1/fund-accounts/%d", id), token, nil, http.StatusOK, &v)
	return v.Balances
}

// payReceipt is the public receipt of a donation.
type payReceipt struct {
	ID            int64      `json:"id"`
	FundAccountID int64      `json:"fund_account_id"`
	AmountFen     money.Fen  `json:"amount_fen"`
	State         string     `json:"state"`
	CreatedAt     time.Time  `json:"created_at"`
	CompletedAt   *time.Time `json:"completed_at"`
}

// payGetReceipt reads donation id's receipt anonymously and checks that it
// names no donor.
func payGetReceipt(t testing.TB, e *servertest.Env, id int64, donor string) payReceipt {
	t.Helper()
	var rc payReceipt
	r := servertest.Call(t, e, "GET", fmt.Sprintf("/api/v1/public/donations/%d", id), "", nil, http.StatusOK, &rc)
	if bytes.Contains(r.Body, []byte("donor")) || bytes.Contains(r.Body, []byte(donor)) {
		t.Errorf("GET /api/v1/public/donations/%d = %s, want no donor name", id, r.Body)
	}
	return rc
}

// TestDonationOverHTTP follows a donation from the donor's request through
// Stripe Checkout (stripe-mock) and the signed webhook to the fund's credit.
func TestDonationOverHTTP(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithStripe(t)
	e := pe.Env
	subA := e.Demo(t).SubA
	fundID := e.IDOf(t, "fund_accounts", "subdistrict_id = ? AND accepts_donations", subA)
	finance := e.Token(t, "demo-finance")
	before := payBalances(t, e, finance, fundID)
	const amount, donor = money.Fen(88_800), "王小明"

	s := servertest.Donate(t, e, fundID, amount, donor)
	if got, want := pe.Calls.IdempotencyKeys("POST", "/v1/checkout/sessions"), []string{fmt.Sprintf("donation:%d", s.DonationID)}; !cmp.Equal(got, want) {
		t.Errorf("checkout sessions created with keys %q, want %q", got, want)
	}
	rc := payGetReceipt(t, e, s.DonationID, donor)
	if rc.State != "pending" || rc.AmountFen != amount || rc.FundAccountID != fundID || rc.CompletedAt != nil {
		t.Errorf("receipt before payment = %+v, want pending, %d fen to fund %d, not completed", rc, amount, fundID)
	}

	event := servertest.CheckoutCompleted(t, e, "evt_donation_paid", s.DonationID, amount)
	servertest.DeliverEvent(t, e, event, "evt_donation_paid")
	if n := servertest.CountWhere(t, e, "stripe_events", "id = ? AND processed_at IS NULL", "evt_donation_paid"); n != 1 {
		t.Fatalf("stripe_events holds %d unprocessed evt_donation_paid, want 1", n)
	}
	// The webhook only stores the event; the job credits the fund.
	if got := payBalances(t, e, finance, fundID); !cmp.Equal(got, before) {
		t.Errorf("balances after the webhook, before the job = %v, want %v", got, before)
	}

	servertest.ApplyEvent(t, pe, "evt_donation_paid")
	want := maps.Clone(before)
	want["available"] += amount
	if got := payBalances(t, e, finance, fundID); !cmp.Equal(got, want) {
		t.Errorf("balances after the event is applied = %v, want %v", got, want)
	}
	rc = payGetReceipt(t, e, s.DonationID, donor)
	if rc.State != "completed" || rc.CompletedAt == nil || !rc.CompletedAt.Equal(e.Clock.Now()) {
		t.Errorf("receipt after payment = %+v, want completed at %v", rc, e.Clock.Now())
	}

	// A redelivery and a second run of the job change nothing.
	servertest.DeliverEvent(t, e, event, "evt_donation_paid")
	servertest.ApplyEvent(t, pe, "evt_donation_paid")
	if got := payBalances(t, e, finance, fundID); !cmp.Equal(got, want) {
		t.Errorf("balances after a redelivery = %v, want %v", got, want)
	}
	ref := fmt.Sprint(s.DonationID)
	if n := servertest.CountWhere(t, e, "ledger_postings", "kind = 'donation' AND reference_type = 'donation' AND reference_id = ?", ref); n != 1 {
		t.Errorf("donation %d has %d postings, want 1", s.DonationID, n)
	}
	if n := servertest.CountWhere(t, e, "audit_entries", "action = 'donation.complete'"); n != 1 {
		t.Errorf("%d donation.complete audit entries, want 1", n)
	}
	if n := servertest.CountWhere(t, e, "stripe_events", "id = ? AND processed_at IS NOT NULL AND error = ''", "evt_donation_paid"); n != 1 {
		t.Errorf("evt_donation_paid is not marked processed without error")
	}
	servertest.LedgerOK(t, e)
}

// TestDonationRefused checks what a donation request may not be, with Stripe
// on: nothing is written and Stripe is not called.
func TestDonationRefused(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithStripe(t)
	e := pe.Env
	subA := e.Demo(t).SubA
	open := e.IDOf(t, "fund_accounts", "subdistrict_id = ? AND accepts_donations", subA)
	closed := e.IDOf(t, "fund_accounts", "subdistrict_id = ? AND NOT accepts_donations", subA)
	donate := func(body any) servertest.Request {
		return servertest.Request{Method: "POST", Path: "/api/v1/public/donations", Body: body}
	}
	tests := []struct {
		name   string
		req    servertest.Request
		status int
		code   string
		fields []string
	}{
		{"fund without donations", donate(map[string]any{"fund_account_id": closed, "amount_fen": 10_000}), 404, "donation.fund_not_open", nil},
		{"no such fund", donate(map[string]any{"fund_account_id": 999_999, "amount_fen": 10_000}), 404, "donation.fund_not_open", nil},
		{"no fund", donate(map[string]any{"amount_fen": 10_000}), 400, "validation", []string{"fund_account_id"}},
		{"below 1.00 yuan", donate(map[string]any{"fund_account_id": open, "amount_fen": 99}), 400, "validation", []string{"amount_fen"}},
		{"above 1,000,000.00 yuan", donate(map[string]any{"fund_account_id": open, "amount_fen": 100_000_001}), 400, "validation", []string{"amount_fen"}},
		{"fraction of a fen", donate(`{"fund_account_id":` + fmt.Sprint(open) + `,"amount_fen":100.5}`), 400, "validation", []string{"amount_fen"}},
		{"long donor name", donate(map[string]any{"fund_account_id": open, "amount_fen": 10_000, "donor_name": strings.Repeat("名", 34)}), 400, "validation", []string{"donor_name"}},
		{"unknown field", donate(map[string]any{"fund_account_id": open, "amount_fen": 10_000, "email": "a@example.cn"}), 400, "validation", []string{"email"}},
		{"malformed JSON", donate(`{"fund_account_id":`), 400, "malformed_json", nil},
		{"not JSON", servertest.Request{Method: "POST", Path: "/api/v1/public/donations", Body: "fund_account_id=1&amount_fen=10000",
			Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type", nil},
		{"too large", donate(`{"donor_name":"` + strings.Repeat("x", e.Cfg.HTTP.JSONBodyLimit) + `"}`), 413, "body_too_large", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Refused(t, tt.req, tt.status, tt.code, tt.fields...)
		})
	}
	if calls := pe.Calls.Calls(); len(calls) != 0 {
		t.Errorf("refused donations called Stripe: %+v", calls)
	}
	r := e.Do(t, servertest.Request{Method: "GET", Path: "/api/v1/public/donations/999999"})
	if r.Status != http.StatusNotFound || r.Problem(t).Code != "not_found" {
		t.Errorf("GET /api/v1/public/donations/999999 = %d %s, want 404 not_found", r.Status, r.Body)
	}
}

// TestStripeWebhookRefused sends webhooks that must not be believed: each is
// 400 and stores no event.
func TestStripeWebhookRefused(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithStripe(t)
	e := pe.Env
	now := e.Clock.Now()
	event := servertest.StripeEvent("evt_refused", "checkout.session.completed", now,
		`{"id":"cs_test_refused","object":"checkout.session","amount_total":10000,"payment_status":"paid","metadata":{"donation_id":"1"}}`)
	altered := bytes.Replace(event, []byte(`"amount_total":10000`), []byte(`"amount_total":90000`), 1)
	otherVersion := bytes.Replace(event, []byte(stripe.APIVersion), []byte("2020-08-27"), 1)
	deliver := func(body []byte, signature string) servertest.Request {
		req := servertest.Request{Method: "POST", Path: "/api/v1/stripe/webhook", Body: body}
		if signature != "" {
			req.Header = map[string]string{"Stripe-Signature": signature}
		}
		return req
	}
	tests := []struct {
		name string
		req  servertest.Request
		code string
	}{
		{"unsigned", deliver(event, ""), "payout.webhook_signature"},
		{"wrong secret", deliver(event, servertest.SignStripe(event, "whsec_someone_else", now)), "payout.webhook_signature"},
		{"altered byte", deliver(altered, servertest.SignStripe(event, servertest.WebhookSecret, now)), "payout.webhook_signature"},
		{"garbled signature", deliver(event, "t=x,v1=00"), "payout.webhook_signature"},
		{"signed in the future", deliver(event, servertest.SignStripe(event, servertest.WebhookSecret, now.Add(301*time.Second))), "payout.webhook_stale"},
		{"other API version", deliver(otherVersion, servertest.SignStripe(otherVersion, servertest.WebhookSecret, now)), "payout.webhook_payload"},
		{"not an event", deliver([]byte(`[1,2,3]`), servertest.SignStripe([]byte(`[1,2,3]`), servertest.WebhookSecret, now)), "payout.webhook_payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Refused(t, tt.req, http.StatusBadRequest, tt.code)
		})
	}

	// A delivery signed now is stale once the clock is 301 s on (a replay).
	stale := deliver(event, servertest.SignStripe(event, servertest.WebhookSecret, e.Clock.Now()))
	e.Clock.Advance(301 * time.Second)
	e.Refused(t, stale, http.StatusBadRequest, "payout.webhook_stale")

	// The same delivery, signed afresh, is received.
	servertest.DeliverEvent(t, e, event, "evt_refused")
	if n := servertest.CountWhere(t, e, "stripe_events", "true"); n != 1 {
		t.Errorf("stripe_events holds %d rows, want the one event", n)
	}
}

// TestStripeWebhookDeliveredConcurrently delivers one event ten times at once
// and runs its job ten times at once: every delivery is answered 200, the
// event is stored once and the donation credited once.
func TestStripeWebhookDeliveredConcurrently(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithStripe(t)
	e := pe.Env
	subA := e.Demo(t).SubA
	fundID := e.IDOf(t, "fund_accounts", "subdistrict_id = ? AND accepts_donations", subA)
	finance := e.Token(t, "demo-finance")
	const amount = money.Fen(50_000)
	s := servertest.Donate(t, e, fundID, amount, "赵六")
	before := payBalances(t, e, finance, fundID)
	event := servertest.CheckoutCompleted(t, e, "evt_concurrent", s.DonationID, amount)
	req := servertest.Request{Method: "POST", Path: "/api/v1/stripe/webhook", Body: event,
		Header: map[string]string{"Stripe-Signature": servertest.SignStripe(event, servertest.WebhookSecret, e.Clock.Now())}}

	const n = 10
	var wg sync.WaitGroup
	results := make([]servertest.Response, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = paySend(e, req)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("delivery %d: %v", i, errs[i])
		}
		servertest.ValidateResponse(t, req, event, r)
		if r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"evt_concurrent"`)) {
			t.Errorf("delivery %d = %d %s, want 200 naming evt_concurrent", i, r.Status, r.Body)
		}
	}
	if got := servertest.CountWhere(t, e, "stripe_events", "true"); got != 1 {
		t.Fatalf("%d deliveries stored %d events, want 1", n, got)
	}

	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = pe.Payouts.ApplyEvent(context.Background(), "evt_concurrent")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("ApplyEvent() run %d error = %v", i, err)
		}
	}
	want := maps.Clone(before)
	want["available"] += amount
	if got := payBalances(t, e, finance, fundID); !cmp.Equal(got, want) {
		t.Errorf("balances after %d deliveries and jobs = %v, want %v (credited once)", n, got, want)
	}
	if got := servertest.CountWhere(t, e, "ledger_postings", "kind = 'donation' AND reference_id = ?", fmt.Sprint(s.DonationID)); got != 1 {
		t.Errorf("donation %d has %d postings, want 1", s.DonationID, got)
	}
	if rc := payGetReceipt(t, e, s.DonationID, "赵六"); rc.State != "completed" {
		t.Errorf("receipt = %+v, want completed", rc)
	}
	servertest.LedgerOK(t, e)
}

// paySend sends req through e's app without touching e.t, for use from
// several goroutines; the caller validates the answers.
func paySend(e *servertest.Env, req servertest.Request) (servertest.Response, error) {
	body, _ := req.Body.([]byte)
	hr := httptest.NewRequest(req.Method, "http://127.0.0.1:8080"+req.Path, bytes.NewReader(body))
	hr.Header.Set("Content-Type", "application/json")
	for k, v := range req.Header {
		hr.Header.Set(k, v)
	}
	res, err := e.Server.App().Test(hr, -1)
	if err != nil {
		return servertest.Response{}, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return servertest.Response{Status: res.StatusCode, Header: res.Header, Body: out}, err
}

// TestPayoutOnboarding connects an organization to Stripe over HTTP: the
// first call creates its connected account, the second reuses it.
func TestPayoutOnboarding(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithStripe(t)
	e := pe.Env
	org1 := e.Demo(t).Org1
	org2 := e.Demo(t).Org2
	admin := e.Token(t, "demo-org")
	path := fmt.Sprintf("/api/v1/organizations/%d/payout-onboarding", org1)

	for range 2 {
		var got struct {
			URL string `json:"url"`
		}
		servertest.Call(t, e, "POST", path, admin, nil, http.StatusOK, &got)
		if !strings.HasPrefix(got.URL, "https://") {
			t.Errorf("POST %s = url %q, want an https link", path, got.URL)
		}
	}
	if got, want := pe.Calls.IdempotencyKeys("POST", "/v1/accounts"), []string{fmt.Sprintf("account:%d", org1)}; !cmp.Equal(got, want) {
		t.Errorf("connected accounts created with keys %q, want %q (one account, reused)", got, want)
	}
	linkKeys := pe.Calls.IdempotencyKeys("POST", "/v1/account_links")
	if len(linkKeys) != 2 || linkKeys[0] == linkKeys[1] || linkKeys[0] == "" {
		t.Errorf("account links created with keys %q, want two different keys", linkKeys)
	}
	if n := servertest.CountWhere(t, e, "organization_payout_accounts", "organization_id = ? AND stripe_account_id LIKE 'acct_%'", org1); n != 1 {
		t.Errorf("organization %d has %d connected accounts, want 1", org1, n)
	}
	if n := servertest.CountWhere(t, e, "audit_entries", "action = 'payout.connect'"); n != 1 {
		t.Errorf("%d payout.connect audit entries, want 1", n)
	}

	// Another organization's admin finds nothing; nothing is called.
	pe.Calls.Reset()
	e.Refused(t, servertest.Request{Method: "POST", Path: path, Token: e.Token(t, "demo-org2")}, http.StatusNotFound, "not_found")
	e.Refused(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/organizations/%d/payout-onboarding", org2), Token: admin}, http.StatusNotFound, "not_found")
	if calls := pe.Calls.Calls(); len(calls) != 0 {
		t.Errorf("refused onboarding called Stripe: %+v", calls)
	}
}

// TestStripePayoutNotConfirmedByHand: a payout made through Stripe cannot be
// marked paid by a finance officer.
func TestStripePayoutNotConfirmedByHand(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithStripe(t)
	e := pe.Env
	subA := e.Demo(t).SubA
	fiscal := e.IDOf(t, "fund_accounts", "subdistrict_id = ? AND source = 'fiscal_budget'", subA)
	org1 := e.Demo(t).Org1
	p := servertest.RequestPayout(t, e.DB, pe.Payouts, servertest.UserActor(t, e.DB, "demo-finance"), fiscal, org1, 300_000, "stripe-milestone")
	if p.Provider != "stripe" {
		t.Fatalf("payout provider = %q, want stripe", p.Provider)
	}
	e.Refused(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/payouts/%d/manual-confirmation", p.ID),
		Token: e.Token(t, "demo-finance"), Body: map[string]any{"reference": "ICBC-1"}}, http.StatusConflict, "payout.not_manual")
	if got := payList(t, e, e.Token(t, "demo-finance"), ""); len(got) != 1 || got[0].Provider != "stripe" || got[0].State != "requested" {
		t.Errorf("GET /api/v1/payouts = %+v, want the Stripe payout, requested", got)
	}
}

// TestManualPayoutConfirmation pays a manual payout over HTTP with Stripe off:
// a finance officer of the fund's subdistrict confirms it once, with the bank
// transfer's reference.
func TestManualPayoutConfirmation(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithPayouts(t)
	e := pe.Env
	subA := e.Demo(t).SubA
	subB := e.Demo(t).SubB
	fiscal := e.IDOf(t, "fund_accounts", "subdistrict_id = ? AND source = 'fiscal_budget'", subA)
	org1 := e.Demo(t).Org1
	finance := e.Token(t, "demo-finance")
	const amount = money.Fen(1_234_500)

	p := servertest.RequestPayout(t, e.DB, pe.Payouts, servertest.UserActor(t, e.DB, "demo-finance"), fiscal, org1, amount, "milestone-1")
	if p.Provider != "manual" || p.State != "requested" {
		t.Fatalf("requested payout = %+v, want manual and requested", p)
	}
	if got := payIDs(payList(t, e, finance, "?state=requested")); !cmp.Equal(got, []int64{p.ID}) {
		t.Errorf("GET /api/v1/payouts?state=requested = %v, want [%d]", got, p.ID)
	}
	before := payBalances(t, e, finance, fiscal)
	if before["payable"] != amount {
		t.Fatalf("payable before the confirmation = %d, want %d", before["payable"], amount)
	}

	path := fmt.Sprintf("/api/v1/payouts/%d/manual-confirmation", p.ID)
	confirm := func(token string, body any) servertest.Request {
		return servertest.Request{Method: "POST", Path: path, Token: token, Body: body}
	}
	servertest.Call(t, e, "POST", "/api/v1/users", e.Token(t, "demo-admin"), map[string]any{"username": "finance-feiying",
		"display_name": "飞英财务", "password": servertest.DemoPassword, "role": "finance_officer", "subdistrict_id": subB}, http.StatusCreated, nil)
	financeB := e.Token(t, "finance-feiying")
	tests := []struct {
		name   string
		req    servertest.Request
		status int
		code   string
		fields []string
	}{
		{"no reference", confirm(finance, map[string]any{}), 400, "validation", []string{"reference"}},
		{"blank reference", confirm(finance, map[string]any{"reference": "   "}), 400, "validation", []string{"reference"}},
		{"reference too long", confirm(finance, map[string]any{"reference": strings.Repeat("9", 201)}), 400, "validation", []string{"reference"}},
		{"reference not a string", confirm(finance, map[string]any{"reference": 20261122}), 400, "validation", []string{"reference"}},
		{"unknown field", confirm(finance, map[string]any{"reference": "ICBC-1", "paid_at": "2026-11-22"}), 400, "validation", []string{"paid_at"}},
		{"no body", confirm(finance, nil), 415, "unsupported_media_type", nil},
		{"other subdistrict's finance officer", confirm(financeB, map[string]any{"reference": "ICBC-1"}), 404, "not_found", nil},
		{"procurement officer", confirm(e.Token(t, "demo-officer"), map[string]any{"reference": "ICBC-1"}), 403, "forbidden", nil},
		{"organization admin", confirm(e.Token(t, "demo-org"), map[string]any{"reference": "ICBC-1"}), 403, "forbidden", nil},
		{"anonymous", confirm("", map[string]any{"reference": "ICBC-1"}), 401, "unauthorized", nil},
		{"no such payout", servertest.Request{Method: "POST", Path: "/api/v1/payouts/999999/manual-confirmation", Token: finance,
			Body: map[string]any{"reference": "ICBC-1"}}, 404, "not_found", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Refused(t, tt.req, tt.status, tt.code, tt.fields...)
		})
	}

	e.Clock.Advance(time.Minute)
	finance = e.Token(t, "demo-finance")
	var paid payout.Payout
	servertest.Call(t, e, "POST", path, finance, map[string]any{"reference": "  ICBC-20261122-0001 "}, http.StatusOK, &paid)
	if paid.ID != p.ID || paid.State != "paid" || paid.ManualReference != "ICBC-20261122-0001" || paid.Provider != "manual" ||
		paid.PaidAt == nil || !paid.PaidAt.Equal(e.Clock.Now()) || paid.AmountFen != amount {
		t.Errorf("confirmed payout = %+v, want %d paid now with reference ICBC-20261122-0001", paid, p.ID)
	}
	want := maps.Clone(before)
	want["payable"] -= amount
	want["paid"] += amount
	if got := payBalances(t, e, finance, fiscal); !cmp.Equal(got, want) {
		t.Errorf("balances after the confirmation = %v, want %v", got, want)
	}
	if n := servertest.CountWhere(t, e, "audit_entries", "action = 'payout.paid' AND entity_id = ?", fmt.Sprint(p.ID)); n != 1 {
		t.Errorf("%d payout.paid audit entries for payout %d, want 1", n, p.ID)
	}

	// Confirming again changes nothing.
	e.Refused(t, confirm(finance, map[string]any{"reference": "ICBC-20261122-0002"}), http.StatusConflict, "payout.not_requested")
	if got := payIDs(payList(t, e, finance, "?state=paid")); !cmp.Equal(got, []int64{p.ID}) {
		t.Errorf("GET /api/v1/payouts?state=paid = %v, want [%d]", got, p.ID)
	}
	if got := payList(t, e, finance, "?state=requested"); len(got) != 0 {
		t.Errorf("GET /api/v1/payouts?state=requested = %+v, want none", got)
	}
	e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/payouts?state=pending", Token: finance}, http.StatusBadRequest, "validation", "state")
	servertest.LedgerOK(t, e)
}

// TestStripeOff checks that the Stripe routes answer 409 and write nothing
// when Stripe is not configured.
func TestStripeOff(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithPayouts(t)
	e := pe.Env
	subA := e.Demo(t).SubA
	fundID := e.IDOf(t, "fund_accounts", "subdistrict_id = ? AND accepts_donations", subA)
	org1 := e.Demo(t).Org1
	event := servertest.StripeEvent("evt_off", "account.updated", e.Clock.Now(), `{"id":"acct_off","object":"account"}`)
	for _, req := range []servertest.Request{
		{Method: "POST", Path: "/api/v1/public/donations", Body: map[string]any{"fund_account_id": fundID, "amount_fen": 10_000}},
		{Method: "POST", Path: fmt.Sprintf("/api/v1/organizations/%d/payout-onboarding", org1), Token: e.Token(t, "demo-org")},
		{Method: "POST", Path: "/api/v1/stripe/webhook", Body: event,
			Header: map[string]string{"Stripe-Signature": servertest.SignStripe(event, servertest.WebhookSecret, e.Clock.Now())}},
	} {
		e.Refused(t, req, http.StatusConflict, "payout.stripe_not_configured")
	}
}

// TestPayoutTenancy lists payouts as each role: officers see their
// subdistrict's, an organization's admin its own, the district and platform
// admins all.
func TestPayoutTenancy(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithPayouts(t)
	e := pe.Env
	subA := e.Demo(t).SubA
	subB := e.Demo(t).SubB
	fiscalA := e.IDOf(t, "fund_accounts", "subdistrict_id = ? AND source = 'fiscal_budget'", subA)
	org1 := e.Demo(t).Org1
	org2 := e.Demo(t).Org2

	// 飞英 (B) gets a finance officer and a fund of its own.
	servertest.Call(t, e, "POST", "/api/v1/users", e.Token(t, "demo-admin"), map[string]any{"username": "finance-feiying",
		"display_name": "飞英财务", "password": servertest.DemoPassword, "role": "finance_officer", "subdistrict_id": subB}, http.StatusCreated, nil)
	financeB := servertest.UserActor(t, e.DB, "finance-feiying")
	funds := fund.NewService(e.DB, e.Clock)
	ctx := context.Background()
	acct, err := funds.CreateAccount(ctx, financeB, fund.AccountInput{FiscalYear: 2026, Source: "fiscal_budget", Name: "飞英街道购买服务资金",
		Categories: []string{"ELDERLY_HOME_CARE"}})
	if err != nil {
		t.Fatalf("CreateAccount() error = %v", err)
	}
	if _, err := funds.Appropriate(ctx, financeB, acct.ID, fund.AppropriationInput{Amount: 10_000_000, DocumentRef: "湖吴财〔2026〕9号",
		IdempotencyKey: "b"}); err != nil {
		t.Fatalf("Appropriate() error = %v", err)
	}

	financeA := servertest.UserActor(t, e.DB, "demo-finance")
	p1 := servertest.RequestPayout(t, e.DB, pe.Payouts, financeA, fiscalA, org1, 100_000, "a-org1")
	p2 := servertest.RequestPayout(t, e.DB, pe.Payouts, financeA, fiscalA, org2, 200_000, "a-org2")
	pB := servertest.RequestPayout(t, e.DB, pe.Payouts, financeB, acct.ID, org2, 300_000, "b-org2")

	for _, tt := range []struct {
		who  string
		want []int64
	}{
		{"demo-admin", []int64{pB.ID, p2.ID, p1.ID}},
		{"demo-district", []int64{pB.ID, p2.ID, p1.ID}},
		{"demo-officer", []int64{p2.ID, p1.ID}},
		{"demo-finance", []int64{p2.ID, p1.ID}},
		{"finance-feiying", []int64{pB.ID}},
		{"demo-officer2", []int64{pB.ID}},
		{"demo-org", []int64{p1.ID}},
		{"demo-org2", []int64{pB.ID, p2.ID}},
	} {
		if got := payIDs(payList(t, e, e.Token(t, tt.who), "")); !cmp.Equal(got, tt.want) {
			t.Errorf("GET /api/v1/payouts as %s = %v, want %v", tt.who, got, tt.want)
		}
	}

	// Neither subdistrict's finance officer reaches the other's payout.
	body := map[string]any{"reference": "ICBC-X"}
	e.Refused(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/payouts/%d/manual-confirmation", pB.ID),
		Token: e.Token(t, "demo-finance"), Body: body}, http.StatusNotFound, "not_found")
	e.Refused(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/payouts/%d/manual-confirmation", p1.ID),
		Token: e.Token(t, "finance-feiying"), Body: body}, http.StatusNotFound, "not_found")
}
