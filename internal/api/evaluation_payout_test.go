package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
	"github.com/jiedao-market/jiedao/internal/track"
)

// e2eFlow is the end-to-end test's application and the ids it follows.
type e2eFlow struct {
	pe       *servertest.PayEnv
	e        *servertest.Env
	contract servertest.Contract
	fundID   int64
	tokens   map[string]e2eToken
	invoices int
}

type e2eToken struct {
	token  string
	issued time.Time
}

// token returns an access token of who, signing in again once the clock
// has moved (access tokens live 15 minutes).
func (f *e2eFlow) token(t *testing.T, who string) string {
	t.Helper()
	now := f.e.Clock.Now()
	if tk, ok := f.tokens[who]; ok && tk.issued.Equal(now) {
		return tk.token
	}
	tk := e2eToken{token: f.e.Token(t, who), issued: now}
	f.tokens[who] = tk
	return tk.token
}

func (f *e2eFlow) call(t *testing.T, method, path, who string, body any, want int, out any) {
	t.Helper()
	servertest.Call(t, f.e, method, path, f.token(t, who), body, want, out)
}

// schedule reads the contract's milestones as who.
func (f *e2eFlow) schedule(t *testing.T, who string) milestone.Schedule {
	t.Helper()
	var s milestone.Schedule
	f.call(t, "GET", fmt.Sprintf("/api/v1/contracts/%d/milestones", f.contract.ID), who, nil, http.StatusOK, &s)
	return s
}

// balances reads the contract's fund account's balances as demo-finance.
func (f *e2eFlow) balances(t *testing.T) map[string]money.Fen {
	t.Helper()
	return payBalances(t, f.e, f.token(t, "demo-finance"), f.fundID)
}

// invoice uploads the organization's invoice of amount for milestone id.
func (f *e2eFlow) invoice(t *testing.T, id int64, amount money.Fen) {
	t.Helper()
	f.invoices++
	ct, body := milestoneInvoiceBody(t, "", map[string]string{"kind": "invoice", "number": fmt.Sprintf("3302%06d", f.invoices),
		"amount_fen": fmt.Sprint(amount)}, []byte(orgPDF))
	r := f.e.Do(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/milestones/%d/invoice", id), Token: f.token(t, "demo-org"),
		Body: body, Header: map[string]string{"Content-Type": ct}})
	if r.Status != http.StatusOK {
		t.Fatalf("POST the invoice of milestone %d = %d %s, want 200", id, r.Status, r.Body)
	}
}

// approve approves milestone id as who and runs its payout's job, as the
// job runner would; it returns the payout as the organization lists it.
func (f *e2eFlow) approveAndPay(t *testing.T, id int64, who string, amount money.Fen) payout.Payout {
	t.Helper()
	var m milestone.Milestone
	f.call(t, "POST", fmt.Sprintf("/api/v1/milestones/%d/approve", id), who, nil, http.StatusOK, &m)
	p := m.Payments[len(m.Payments)-1]
	if p.State != milestone.StateApproved || p.PayableFen != amount || p.Payout == nil || p.Payout.Provider != "stripe" || p.Payout.State != "requested" {
		t.Fatalf("approved milestone %d: round %+v, want approved for %s with a requested Stripe payout", id, p, amount.Yuan())
	}
	if err := f.pe.Payouts.Process(context.Background(), p.Payout.ID); err != nil {
		t.Fatalf("Process(payout %d) error = %v", p.Payout.ID, err)
	}
	for _, got := range payList(t, f.e, f.token(t, "demo-org"), "?state=paid") {
		if got.ID == p.Payout.ID {
			if got.AmountFen != amount || got.OrganizationID != f.e.Demo(t).Org1 || got.StripeTransferID == nil {
				t.Errorf("the organization's payout %+v, want %s paid by a Stripe transfer", got, amount.Yuan())
			}
			return got
		}
	}
	t.Fatalf("the organization does not see payout %d among its paid payouts", p.Payout.ID)
	return payout.Payout{}
}

// importRecords imports n service visits dated from..to (spread evenly) on
// the contract as the organization, through the CSV import.
func (f *e2eFlow) importRecords(t *testing.T, n int, from, to civil.Date, prefix string) {
	t.Helper()
	days := int(to.StartInChina().Sub(from.StartInChina()).Hours()/24) + 1
	var b strings.Builder
	b.WriteString("date,community,service_type,duration_minutes,staff,beneficiary_ref\n")
	for i := range n {
		fmt.Fprintf(&b, "%s,南街社区,service_visits,45,王丽,%s-%03d\n", from.AddDays(i%days), prefix, i%120)
	}
	r := f.e.Do(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/contracts/%d/service-records/import", f.contract.ID),
		Token: f.token(t, "demo-org"), Body: b.String(), Header: map[string]string{"Content-Type": "text/csv"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("import %d records = %d %s, want 201", n, r.Status, r.Body)
	}
}

// evaluate has demo-evaluator declare no conflict on evaluation id and enter
// the inspection score with a note.
func (f *e2eFlow) evaluate(t *testing.T, id int64, inspection string) {
	t.Helper()
	path := fmt.Sprintf("/api/v1/evaluations/%d", id)
	f.call(t, "PATCH", path, "demo-evaluator", map[string]any{"declaration": map[string]any{"conflict": false}}, http.StatusOK, nil)
	f.call(t, "PATCH", path, "demo-evaluator", map[string]any{"figures": []any{map[string]any{"code": "inspection_score",
		"actual": inspection, "note": "现场抽查 12 户服务对象，查阅服务台账"}}}, http.StatusOK, nil)
}

// TestEvaluationToPayout follows a contract from its signing to its
// completion through the API alone, with Stripe payouts (stripe-mock): the
// signing milestone is due, accepted, invoiced, approved and paid; a
// mid-term evaluation scoring 70.0 pays 162,000.00 of the mid-term
// milestone's 180,000.00 (WORKED_EXAMPLES §4), approved by a second finance
// officer after the accepting account is refused, and 18,000.00 stays
// encumbered; the final evaluation (85.0) pays the final milestone, which
// completes the contract, records its final score and returns the withheld
// 18,000.00. A tender opened afterwards scores the organization by its
// real record (P = 85.00), not as a newcomer. This is the wiring of
// request.NewServices: signing and submission hooks, payouts' paid hook.
func TestEvaluationToPayout(t *testing.T) {
	t.Parallel()
	pe := servertest.NewEnvWithStripe(t)
	e := pe.Env
	d := e.Demo(t)
	f := &e2eFlow{pe: pe, e: e, fundID: d.FundA, tokens: map[string]e2eToken{}}
	e.CreateUser(t, map[string]any{"username": "officer-a2", "display_name": "爱山采购专员二", "role": "procurement_officer", "subdistrict_id": d.SubA})
	e.CreateUser(t, map[string]any{"username": "finance-a2", "display_name": "爱山财务专员二", "role": "finance_officer", "subdistrict_id": d.SubA})
	f.call(t, "POST", fmt.Sprintf("/api/v1/organizations/%d/payout-onboarding", d.Org1), "demo-org", nil, http.StatusOK, nil)

	// 450,000.00 for a year: visits from service records (weight 40) and
	// the evaluator's inspection score (weight 60).
	const amount money.Fen = 45_000_000
	f.contract = e.SignedContractWithMetrics(t, amount, []contract.Metric{
		{Code: "service_visits", NameZh: "上门服务人次", NameEn: "Home service visits delivered", Unit: "次", Direction: "higher",
			Source: "service_records", Target: 1200, Weight: 40},
		{Code: "inspection_score", NameZh: "现场检查得分", NameEn: "On-site inspection score", Unit: "分", Direction: "higher",
			Source: "evaluator", Target: 90, Weight: 60}})
	c := f.contract
	start := f.balances(t)
	ids := map[int]int64{}
	for _, m := range f.schedule(t, "demo-officer").Items {
		ids[m.Seq] = m.ID
	}

	// The signing milestone: due on signing for 135,000.00, accepted,
	// invoiced, approved and paid through Stripe.
	s := f.schedule(t, "demo-org")
	if m := s.Items[0]; m.Status != milestone.MilestoneDue || m.PayableFen != 13_500_000 || s.Items[1].Status != milestone.MilestonePending {
		t.Fatalf("milestones after signing = %+v, want the signing one due for 135,000.00, the others pending", s.Items)
	}
	f.call(t, "POST", fmt.Sprintf("/api/v1/milestones/%d/accept", ids[1]), "demo-officer", map[string]any{"note": "合同已签订，服务团队已到岗"},
		http.StatusOK, nil)
	f.invoice(t, ids[1], 13_500_000)
	f.approveAndPay(t, ids[1], "demo-finance", 13_500_000)

	// The mid-term: 64 days from the service start (three days ahead), 117
	// visits against 1,200 × 64 ÷ 361 = 212.74 and an inspection score of 72
	// of 90: 40 × 117 ÷ 212.74 + 60 × 0.8 = 69.9987 → 70.0, factor 0.90.
	today := civil.ChinaDate(e.Clock.Now())
	f.importRecords(t, 117, c.ServiceStart, today, "MID")
	var ev evaluationJSON
	f.call(t, "POST", fmt.Sprintf("/api/v1/contracts/%d/evaluations", c.ID), "officer-a2", map[string]any{"kind": "midterm",
		"period_end": today.AddDays(3).String(), "due_on": today.AddDays(10).String(), "evaluator_id": e.ActorOf(t, "demo-evaluator").UserID},
		http.StatusCreated, &ev)
	f.evaluate(t, ev.ID, "72")
	submit := fmt.Sprintf("/api/v1/evaluations/%d/submit", ev.ID)
	e.Refused(t, servertest.Request{Method: "POST", Path: submit, Token: f.token(t, "demo-evaluator")}, http.StatusConflict, "evaluation.period_open")
	e.Clock.Set(today.AddDays(4).StartInChina().Add(9 * time.Hour))
	f.call(t, "POST", submit, "demo-evaluator", nil, http.StatusOK, &ev)
	if ev.Status != "submitted" || ev.Score == nil || *ev.Score != "70.0" || *ev.Grade != "pass" || ev.actual("service_visits") != "117.00" {
		t.Fatalf("submitted mid-term = %+v, want 70.0 (pass) on 117 visits", ev)
	}
	mid := f.schedule(t, "officer-a2").Items[1]
	if mid.Status != milestone.MilestoneDue || mid.Factor == nil || *mid.Factor != "0.90" || mid.PayableFen != 16_200_000 || mid.WithheldFen != 1_800_000 {
		t.Fatalf("mid-term milestone = %+v, want due at 0.90: 162,000.00 payable, 18,000.00 withheld", mid)
	}

	// Accepted by officer-a2, invoiced; officer-a2, made a finance officer,
	// may not approve what it accepted (refused and audited); finance-a2 does.
	f.call(t, "POST", fmt.Sprintf("/api/v1/milestones/%d/accept", ids[2]), "officer-a2", map[string]any{"note": "中期评估合格，服务台账已核"},
		http.StatusOK, nil)
	f.invoice(t, ids[2], 16_200_000)
	f.call(t, "PATCH", fmt.Sprintf("/api/v1/users/%d", e.ActorOf(t, "officer-a2").UserID), "demo-admin",
		map[string]any{"role": "finance_officer", "subdistrict_id": d.SubA}, http.StatusOK, nil)
	delete(f.tokens, "officer-a2")
	e.RefusedCounting(t, "audit_entries", servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/milestones/%d/approve", ids[2]),
		Token: f.token(t, "officer-a2")}, http.StatusForbidden, "milestone.same_account")
	f.approveAndPay(t, ids[2], "finance-a2", 16_200_000)
	s = f.schedule(t, "demo-officer")
	if s.PaidFen != 29_700_000 || s.WithheldFen != 1_800_000 || s.EncumberedFen != 1_800_000+13_500_000 || s.ContractStatus != contract.StatusSigned {
		t.Errorf("after the mid-term payout: paid %d, withheld %d, encumbered %d, contract %s; want 297,000.00 paid, "+
			"18,000.00 withheld and still encumbered with the final 135,000.00", s.PaidFen, s.WithheldFen, s.EncumberedFen, s.ContractStatus)
	}

	// The final evaluation, after the service period: 750 visits of 1,200
	// and an inspection score of 90: 25 + 60 = 85.0, factor 1.
	e.Clock.Set(c.ServiceEnd.AddDays(1).StartInChina().Add(9 * time.Hour))
	f.importRecords(t, 750-117, today.AddDays(1), c.ServiceEnd, "FIN")
	f.call(t, "POST", fmt.Sprintf("/api/v1/contracts/%d/evaluations", c.ID), "demo-officer", map[string]any{"kind": "final",
		"due_on": c.ServiceEnd.AddDays(15).String(), "evaluator_id": e.ActorOf(t, "demo-evaluator").UserID}, http.StatusCreated, &ev)
	f.evaluate(t, ev.ID, "90")
	f.call(t, "POST", fmt.Sprintf("/api/v1/evaluations/%d/submit", ev.ID), "demo-evaluator", nil, http.StatusOK, &ev)
	if ev.Score == nil || *ev.Score != "85.0" || *ev.Grade != "good" {
		t.Fatalf("submitted final = %+v, want 85.0 (good)", ev)
	}
	final := f.schedule(t, "demo-org").Items[2]
	if final.Status != milestone.MilestoneDue || final.PayableFen != 13_500_000 || final.WithheldFen != 0 {
		t.Fatalf("final milestone = %+v, want due for the whole 135,000.00", final)
	}
	f.call(t, "POST", fmt.Sprintf("/api/v1/milestones/%d/accept", ids[3]), "demo-officer", map[string]any{"note": "终期验收通过"}, http.StatusOK, nil)
	f.invoice(t, ids[3], 13_500_000)
	f.approveAndPay(t, ids[3], "demo-finance", 13_500_000)

	// Completed: everything paid but the withheld 18,000.00, which returned.
	s = f.schedule(t, "demo-org")
	if s.ContractStatus != contract.StatusCompleted || s.PaidFen != amount-1_800_000 || s.EncumberedFen != 0 {
		t.Errorf("after the final payout: contract %s, paid %d, encumbered %d; want completed, 432,000.00 paid, nothing encumbered",
			s.ContractStatus, s.PaidFen, s.EncumberedFen)
	}
	want := map[string]money.Fen{"available": start["available"] + 1_800_000, "reserved": start["reserved"],
		"encumbered": start["encumbered"] - amount, "payable": start["payable"], "paid": start["paid"] + amount - 1_800_000}
	if got := f.balances(t); !cmp.Equal(got, want) {
		t.Errorf("fund balances after the completion = %v, want %v (started at %v)", got, want, start)
	}
	var profile track.Profile
	servertest.Call(t, e, "GET", fmt.Sprintf("/api/v1/public/organizations/%d", d.Org1), "", nil, http.StatusOK, &profile)
	var found bool
	for _, cc := range profile.Record.Completed {
		if cc.ID == c.ID {
			found = cc.FinalScore != nil && *cc.FinalScore == track.Score{Score: "85.0", Grade: "good"}
		}
	}
	if !found {
		t.Errorf("the provider profile's completed contracts %+v, want contract %d with its final score 85.0", profile.Record.Completed, c.ID)
	}
	if got, keys := pe.Calls.Count("POST", "/v1/transfers"), pe.Calls.IdempotencyKeys("POST", "/v1/transfers"); got != 3 || len(keys) != 3 {
		t.Errorf("Stripe transfers = %d (keys %q), want one per milestone", got, keys)
	}
	servertest.LedgerOK(t, e)
	ocdsPaymentReleases(t, e, c.ID)

	// A tender opened now scores 康乐 by its record: one completed contract
	// of 85.0 without enough ratings (R = S), no termination: P = 85.00,
	// 8.50 of the 10 performance points; a newcomer gets 60.00 and 6.00.
	w := tenderWorldOn(t, e)
	body := w.tenderBody(3)
	body["min_bids"] = 2
	v := w.published(t, body)
	bidOf := map[int64]string{}
	bidOf[w.bid(t, "demo-org", v.ID, 44_000_000).BidID] = "demo-org"
	bidOf[w.bid(t, w.orgs[0].Admin, v.ID, 45_000_000).BidID] = "newcomer"
	w.open(t, v.ID)
	w.evaluate(t, v.ID, 3, func(int, tender.OpeningEntry) tender.Score { return 5000 })
	table, _ := twScoreTable(t, w, "demo-officer", v.ID)
	type row struct {
		Who, Record, Points string
		Newcomer            bool
	}
	var got []row
	for _, r := range table.Rows {
		got = append(got, row{bidOf[r.BidID], r.PerformanceRecord.String(), r.Performance.String(), r.Newcomer})
	}
	if diff := cmp.Diff([]row{{"demo-org", "85.00", "8.50", false}, {"newcomer", "60.00", "6.00", true}}, got); diff != "" {
		t.Errorf("performance in the score table (-want +got):\n%s", diff)
	}
}
