package payout_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/platform/stripetest"
)

func TestStripeProvider(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var counter stripetest.CallCounter
	mock := stripetest.Start(t)
	p := payout.NewStripeProvider(stripetest.SecretKey, stripetest.Backends(mock, &counter))

	t.Run("connected account and onboarding link", func(t *testing.T) {
		id, err := p.CreateConnectedAccount(ctx, 42, "org42@example.cn")
		if err != nil || !strings.HasPrefix(id, "acct_") {
			t.Fatalf("CreateConnectedAccount() = %q, %v, want an acct_ id", id, err)
		}
		if _, err := p.CreateConnectedAccount(ctx, 42, "org42@example.cn"); err != nil {
			t.Fatalf("CreateConnectedAccount() again: error = %v", err)
		}
		if diff := cmp.Diff([]string{"account:42", "account:42"}, counter.IdempotencyKeys(http.MethodPost, "/v1/accounts")); diff != "" {
			t.Errorf("account creation keys (-want +got):\n%s", diff)
		}

		url, err := p.AccountLink(ctx, id, "https://jiedao.example/org/42/stripe/refresh", "https://jiedao.example/org/42/stripe/done")
		if err != nil || !strings.HasPrefix(url, "https://") {
			t.Fatalf("AccountLink() = %q, %v, want an https URL", url, err)
		}
		if _, err := p.AccountLink(ctx, id, "https://jiedao.example/r", "https://jiedao.example/d"); err != nil {
			t.Fatalf("AccountLink() again: error = %v", err)
		}
		keys := counter.IdempotencyKeys(http.MethodPost, "/v1/account_links")
		if len(keys) != 2 || keys[0] == "" || keys[0] == keys[1] {
			t.Errorf("account link keys = %q, want two different keys", keys)
		}
		if _, err := p.AccountLink(ctx, "", "https://a", "https://b"); err == nil {
			t.Errorf("AccountLink() without an account: error = nil, want one")
		}
	})

	t.Run("one transfer key however often it is retried", func(t *testing.T) {
		meta := map[string]string{"payout_id": "7"}
		var ids []string
		for range 3 {
			id, err := p.Transfer(ctx, "acct_1OrgJieDao", 1234567, "payout:7", meta)
			if err != nil || !strings.HasPrefix(id, "tr_") {
				t.Fatalf("Transfer() = %q, %v, want a tr_ id", id, err)
			}
			ids = append(ids, id)
		}
		if diff := cmp.Diff([]string{"payout:7", "payout:7", "payout:7"}, counter.IdempotencyKeys(http.MethodPost, "/v1/transfers")); diff != "" {
			t.Errorf("transfer calls' keys (-want +got):\n%s", diff)
		}
		// Real Stripe would answer the first transfer three times; stripe-mock
		// does not keep idempotency keys and makes up an id per call.
		t.Logf("stripe-mock transfer ids for one key: %v", ids)
	})

	t.Run("transfer refusals", func(t *testing.T) {
		before := counter.Count(http.MethodPost, "/v1/transfers")
		tests := []struct {
			name, account, key string
			amount             int64
			want               error
		}{
			{name: "zero amount", account: "acct_1", key: "k", amount: 0, want: payout.ErrAmount},
			{name: "negative amount", account: "acct_1", key: "k", amount: -100, want: payout.ErrAmount},
			{name: "no account", key: "k", amount: 100},
			{name: "no key", account: "acct_1", amount: 100},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := p.Transfer(ctx, tt.account, tt.amount, tt.key, nil)
				if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
					t.Errorf("Transfer() error = %v, want %v", err, tt.want)
				}
			})
		}
		if got := counter.Count(http.MethodPost, "/v1/transfers"); got != before {
			t.Errorf("transfer calls after refusals = %d, want %d: a refusal must not reach Stripe", got, before)
		}
		// stripe-mock checks the request against Stripe's OpenAPI document:
		// a destination that is required but missing is refused there too.
		raw := stripetest.Backends(mock, nil)
		params := &stripe.TransferParams{Amount: stripe.Int64(100), Currency: stripe.String("cny")}
		var tr stripe.Transfer
		if err := raw.API.Call(http.MethodPost, "/v1/transfers", stripetest.SecretKey, params, &tr); err == nil {
			t.Errorf("transfer without a destination: stripe-mock error = nil, want a validation error")
		}
	})

	t.Run("checkout session", func(t *testing.T) {
		id, url, err := p.CheckoutSession(ctx, 50000, "cny", "https://jiedao.example/donate/ok", "https://jiedao.example/donate/cancel",
			"donation:9", map[string]string{"donation_id": "9", "fund_account_id": "3"})
		if err != nil || !strings.HasPrefix(id, "cs_") || !strings.HasPrefix(url, "https://") {
			t.Fatalf("CheckoutSession() = %q, %q, %v, want a cs_ id and an https URL", id, url, err)
		}
		if diff := cmp.Diff([]string{"donation:9"}, counter.IdempotencyKeys(http.MethodPost, "/v1/checkout/sessions")); diff != "" {
			t.Errorf("checkout session keys (-want +got):\n%s", diff)
		}
		for _, tt := range []struct {
			name     string
			amount   int64
			currency string
			key      string
			want     error
		}{
			{name: "zero amount", amount: 0, currency: "cny", key: "k", want: payout.ErrAmount},
			{name: "other currency", amount: 100, currency: "usd", key: "k", want: payout.ErrCurrency},
			{name: "no key", amount: 100, currency: "cny"},
		} {
			if _, _, err := p.CheckoutSession(ctx, tt.amount, tt.currency, "https://a", "https://b", tt.key, nil); err == nil ||
				(tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("CheckoutSession() with %s: error = %v, want %v", tt.name, err, tt.want)
			}
		}
	})

	t.Run("every call carried a key", func(t *testing.T) {
		for _, c := range counter.Calls() {
			if c.IdempotencyKey == "" {
				t.Errorf("%s %s without an idempotency key", c.Method, c.Path)
			}
		}
	})
}

func TestParseWebhook(t *testing.T) {
	t.Parallel()
	p := payout.NewStripeProvider(stripetest.SecretKey, nil) // parsing makes no call
	const secret = "whsec_jiedao_test"
	now := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	payload := []byte(fmt.Sprintf(`{"id":"evt_1","object":"event","type":"checkout.session.completed","api_version":%q,`+
		`"created":%d,"data":{"object":{"id":"cs_test_1","object":"checkout.session","metadata":{"donation_id":"9"}}}}`,
		stripe.APIVersion, now.Unix()))
	sign := func(body []byte, secret string, at time.Time) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at}).Header
	}

	ev, err := p.ParseWebhook(payload, sign(payload, secret, now), secret, now)
	if err != nil {
		t.Fatalf("ParseWebhook() of a signed payload: error = %v", err)
	}
	if ev.ID != "evt_1" || ev.Type != "checkout.session.completed" || ev.GetObjectValue("metadata", "donation_id") != "9" {
		t.Errorf("ParseWebhook() = %s %s (donation %q), want evt_1 checkout.session.completed (donation 9)",
			ev.ID, ev.Type, ev.GetObjectValue("metadata", "donation_id"))
	}
	if _, err := p.ParseWebhook(payload, sign(payload, secret, now.Add(-payout.WebhookTolerance+time.Second)), secret, now); err != nil {
		t.Errorf("ParseWebhook() signed just within the tolerance: error = %v", err)
	}

	altered := append([]byte(nil), payload...)
	altered[strings.Index(string(altered), `"9"`)+1] = '8'
	otherVersion := []byte(strings.Replace(string(payload), stripe.APIVersion, "2020-08-27", 1))
	stale := now.Add(-payout.WebhookTolerance - time.Second)
	tests := []struct {
		name    string
		payload []byte
		header  string
		want    error
	}{
		{name: "unsigned", payload: payload, header: "", want: payout.ErrWebhookSignature},
		{name: "wrong secret", payload: payload, header: sign(payload, "whsec_other", now), want: payout.ErrWebhookSignature},
		{name: "altered byte", payload: altered, header: sign(payload, secret, now), want: payout.ErrWebhookSignature},
		{name: "garbled header", payload: payload, header: "t=x,v1", want: payout.ErrWebhookSignature},
		{name: "stale timestamp", payload: payload, header: sign(payload, secret, stale), want: payout.ErrWebhookStale},
		{name: "timestamp from the future", payload: payload, header: sign(payload, secret, now.Add(payout.WebhookTolerance+time.Second)), want: payout.ErrWebhookStale},
		{
			// A fresh time in front of an old signature must not pass for fresh.
			name: "two timestamps", payload: payload,
			header: fmt.Sprintf("t=%d,%s", now.Unix(), sign(payload, secret, stale)), want: payout.ErrWebhookStale,
		},
		{name: "other API version", payload: otherVersion, header: sign(otherVersion, secret, now), want: payout.ErrWebhookPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := p.ParseWebhook(tt.payload, tt.header, secret, now); !errors.Is(err, tt.want) {
				t.Errorf("ParseWebhook() error = %v, want %v", err, tt.want)
			}
		})
	}
}
