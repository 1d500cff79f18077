package milestone_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// Fifty finance officers' approvals of one milestone racing each other make
// one payable posting, one payout and, once the payout's job has run (five
// times, racing too), one Stripe transfer, counted at the Stripe backend
// against stripe-mock; the milestone is then paid.
func TestConcurrentApprovals(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithStripe(t)
	w := &world{e: pe.Env, officer: pe.ActorOf(t, "demo-officer"), finance: pe.ActorOf(t, "demo-finance"), org: pe.ActorOf(t, "demo-org"),
		evaluator: pe.ActorOf(t, "demo-evaluator")}
	w.contract = pe.SignedContract(t, 45_000_000)
	w.svc = pe.Services.Milestones
	if err := pe.DB.Exec(`INSERT INTO organization_payout_accounts (organization_id, stripe_account_id, payouts_enabled) VALUES (?, 'acct_test_1', true)`,
		pe.Demo(t).Org1).Error; err != nil {
		t.Fatal(err)
	}
	m := w.milestone(t, 1)
	if _, err := w.svc.Accept(ctx, w.officer, m.ID, "签约验收"); err != nil {
		t.Fatalf("Accept() error = %v", err)
	}
	w.invoice(t, m.ID, 13_500_000)
	before := w.balances(t)

	const n = 50
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = w.svc.Approve(ctx, w.finance, m.ID)
		}()
	}
	wg.Wait()
	approved := 0
	for i, err := range errs {
		switch {
		case err == nil:
			approved++
		case !errors.Is(err, milestone.ErrNotAccepted):
			t.Errorf("Approve() #%d error = %v, want nil or %v", i, err, milestone.ErrNotAccepted)
		}
	}
	if approved != 1 {
		t.Errorf("approvals that succeeded = %d, want 1", approved)
	}
	if got := servertest.Count(t, pe.Env, "payouts"); got != 1 {
		t.Errorf("payouts = %d, want 1", got)
	}
	if got := servertest.CountWhere(t, pe.Env, "ledger_postings", "kind = 'payable' AND reference_type = 'milestone'"); got != 1 {
		t.Errorf("payable postings = %d, want 1", got)
	}
	if got := w.balances(t); got["payable"] != before["payable"]+13_500_000 || got["encumbered"] != before["encumbered"]-13_500_000 {
		t.Errorf("fund after the approvals = %v, want 135,000.00 moved from encumbered to payable (before %v)", got, before)
	}

	m = w.milestone(t, 1)
	p := m.Payments[0].Payout
	if p == nil || p.Provider != "stripe" || p.State != "requested" {
		t.Fatalf("payout of the approved milestone = %+v, want a requested Stripe payout", p)
	}
	// The job, run five times at once (a retry racing the first run).
	var jobs sync.WaitGroup
	for range 5 {
		jobs.Add(1)
		go func() {
			defer jobs.Done()
			if err := pe.Payouts.Process(ctx, p.ID); err != nil {
				t.Errorf("Process(%d) error = %v", p.ID, err)
			}
		}()
	}
	jobs.Wait()
	if got := pe.Calls.Count(http.MethodPost, "/v1/transfers"); got != 1 {
		t.Errorf("Stripe transfers = %d, want 1", got)
	}
	m = w.milestone(t, 1)
	if m.Status != milestone.MilestonePaid || m.PaidFen != 13_500_000 || m.Payments[0].Payout.State != "paid" {
		t.Errorf("milestone after the payout's job = status %s, paid %s, payout %+v; want paid 135,000.00", m.Status, m.PaidFen.Grouped(), m.Payments[0].Payout)
	}
	if got := w.balances(t); got["paid"] != before["paid"]+13_500_000 || got["payable"] != before["payable"] {
		t.Errorf("fund after the payout = %v, want 135,000.00 paid (before %v)", got, before)
	}
}
