package payout_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/payout"
)

// testIdempotencyWindow: a payout whose first Stripe call is older than Stripe
// keeps idempotency keys is never sent to Stripe again (a new transfer could
// pay twice): the job marks it failed, and a finance officer, after checking
// Stripe, confirms how it was settled.
func testIdempotencyWindow(t *testing.T, stripeURL string) {
	ctx := context.Background()
	crash := errors.New("process stopped between Stripe's answer and the commit")
	e := newEnv(t, stripeURL, envOptions{stripe: true, afterTransfer: func(payout.Payout) error { return crash }})
	p := e.request("w1", milestone)
	if err := e.svc.Process(ctx, p.ID); !errors.Is(err, crash) {
		t.Fatalf("Process() with a crash: error = %v, want %v", err, crash)
	}
	calls := e.counter.Count(http.MethodPost, "/v1/transfers")
	if n := e.count(`SELECT count(*) FROM payout_attempts WHERE payout_id = ?`, p.ID); n != 1 {
		t.Fatalf("attempts recorded after the crash = %d, want 1 (it survives the rollback)", n)
	}

	e.clock.Advance(payout.IdempotencyWindow + time.Minute)
	if err := e.svc.Process(ctx, p.ID); err != nil {
		t.Fatalf("Process() past the window: error = %v, want nil (the payout is set aside)", err)
	}
	got := e.payout(p.ID)
	if got.State != "failed" || got.LastError == "" || got.StripeTransferID != nil {
		t.Errorf("payout past the window = %+v, want failed with a reason and no transfer id", got)
	}
	if n := e.counter.Count(http.MethodPost, "/v1/transfers"); n != calls {
		t.Errorf("transfer calls past the window = %d, want still %d", n, calls)
	}
	if n := e.paidPostings(p.ID); n != 0 {
		t.Errorf("paid postings = %d, want 0", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_entries WHERE action = 'payout.fail' AND entity_id = ?`, strconv.FormatInt(p.ID, 10)); n != 1 {
		t.Errorf("payout.fail audit entries = %d, want 1", n)
	}
	// The payee and the fund's finance officers (A's, not B's) are told.
	for _, to := range []struct {
		who, where string
		id         int64
		want       int64
	}{{"the organization", "organization_id = ?", e.org, 1}, {"A's finance officer", "user_id = ?", e.financeA.UserID, 1},
		{"B's finance officer", "user_id = ?", e.financeB.UserID, 0}, {"A's procurement officer", "user_id = ?", e.procurementA.UserID, 0}} {
		if n := e.count(`SELECT count(*) FROM notifications WHERE kind = ? AND `+to.where, payout.KindFailed, to.id); n != to.want {
			t.Errorf("%s notifications to %s = %d, want %d", payout.KindFailed, to.who, n, to.want)
		}
	}

	paid, err := e.svc.ConfirmManual(ctx, e.financeA, p.ID, "Stripe tr_123 found in the dashboard")
	if err != nil {
		t.Fatalf("ConfirmManual() of a failed payout: error = %v", err)
	}
	if paid.State != "paid" || paid.ManualReference == "" {
		t.Errorf("ConfirmManual() = %+v, want paid with the reference", paid)
	}
	if n := e.paidPostings(p.ID); n != 1 {
		t.Errorf("paid postings after the confirmation = %d, want 1", n)
	}
}
