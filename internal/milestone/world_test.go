package milestone_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// world is one test's application with a contract of 爱山 (A) signed by
// demo-org's organization, its signing milestone due, and the actors of the
// flow. The ledger's invariants are checked when the test ends (servertest).
type world struct {
	e         *servertest.Env
	svc       *milestone.Service
	contract  servertest.Contract
	officer   access.Actor // demo-officer, procurement officer of A
	finance   access.Actor // demo-finance, finance officer of A
	org       access.Actor // demo-org, admin of the contract's organization
	evaluator access.Actor // demo-evaluator
	n         int          // invoices attached so far, for their numbers
}

func newWorld(t testing.TB, amount money.Fen, ms ...contract.MilestoneInput) *world {
	t.Helper()
	e := servertest.NewEnv(t)
	w := &world{e: e, svc: e.Services.Milestones, officer: e.ActorOf(t, "demo-officer"), finance: e.ActorOf(t, "demo-finance"),
		org: e.ActorOf(t, "demo-org"), evaluator: e.ActorOf(t, "demo-evaluator")}
	w.contract = e.SignedContract(t, amount, ms...)
	return w
}

var ctx = context.Background()

// pdf is the smallest file the document store takes for a PDF.
var pdf = []byte("%PDF-1.4\n% invoice\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")

// schedule returns the contract's milestones as its officer reads them.
func (w *world) schedule(t testing.TB) milestone.Schedule {
	t.Helper()
	s, err := w.svc.List(ctx, w.officer, w.contract.ID)
	if err != nil {
		t.Fatalf("List() error = %v", err)
	}
	return s
}

// milestone returns the milestone of seq.
func (w *world) milestone(t testing.TB, seq int) milestone.Milestone {
	t.Helper()
	for _, m := range w.schedule(t).Items {
		if m.Seq == seq {
			return m
		}
	}
	t.Fatalf("contract %d has no milestone %d", w.contract.ID, seq)
	return milestone.Milestone{}
}

// submit writes a submitted evaluation and runs the milestones' hook in a
// transaction, as the evaluation service's submission does.
func (w *world) submit(t testing.TB, kind string, scoreTenths int, redo int64) evaluation.Submitted {
	t.Helper()
	ev := w.e.SubmittedEvaluation(t, w.contract.ID, kind, scoreTenths, redo)
	if err := w.e.DB.Transaction(func(tx *gorm.DB) error { return w.svc.EvaluationSubmitted(tx, w.evaluator, ev) }); err != nil {
		t.Fatalf("EvaluationSubmitted(%s %d) error = %v", kind, scoreTenths, err)
	}
	return ev
}

// invoice attaches the organization's invoice of amount to milestone id.
func (w *world) invoice(t testing.TB, id int64, amount money.Fen) milestone.Milestone {
	t.Helper()
	w.n++
	m, err := w.svc.AttachInvoice(ctx, w.org, id, milestone.InvoiceInput{Kind: milestone.InvoiceKindInvoice,
		Number: fmt.Sprintf("No.%08d", w.n), AmountFen: amount}, "发票.pdf", bytes.NewReader(pdf))
	if err != nil {
		t.Fatalf("AttachInvoice(%d, %s) error = %v", id, amount.Yuan(), err)
	}
	return m
}

// approve has the officer accept milestone id's open round, the
// organization invoice it and finance approve it, and returns the approved
// milestone.
func (w *world) approve(t testing.TB, id int64) milestone.Milestone {
	t.Helper()
	m, err := w.svc.Accept(ctx, w.officer, id, "已现场验收，服务记录与台账一致")
	if err != nil {
		t.Fatalf("Accept(%d) error = %v", id, err)
	}
	w.invoice(t, id, m.Payments[len(m.Payments)-1].PayableFen)
	if m, err = w.svc.Approve(ctx, w.finance, id); err != nil {
		t.Fatalf("Approve(%d) error = %v", id, err)
	}
	return m
}

// pay carries milestone id's open round through acceptance, invoice,
// approval and the manual payout's confirmation, and returns the milestone.
func (w *world) pay(t testing.TB, id int64) milestone.Milestone {
	t.Helper()
	m := w.approve(t, id)
	p := m.Payments[len(m.Payments)-1].Payout
	if p == nil {
		t.Fatalf("approved milestone %d has no payout: %+v", id, m)
	}
	if _, err := w.e.Services.Payouts.ConfirmManual(ctx, w.finance, p.ID, fmt.Sprintf("BANK-%d", p.ID)); err != nil {
		t.Fatalf("ConfirmManual(%d) error = %v", p.ID, err)
	}
	m, err := w.svc.Get(ctx, w.officer, id)
	if err != nil {
		t.Fatalf("Get(%d) error = %v", id, err)
	}
	return m
}

// balances returns the contract's fund account's balances.
func (w *world) balances(t testing.TB) map[string]money.Fen {
	t.Helper()
	var rows []fund.LedgerAccount
	if err := w.e.DB.Where("fund_account_id = ?", w.e.Demo(t).FundA).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]money.Fen{}
	for _, r := range rows {
		out[r.Kind] = r.Balance
	}
	return out
}

// contractRow reads the contract as it stands.
func (w *world) contractRow(t testing.TB) contract.Contract {
	t.Helper()
	var c contract.Contract
	if err := w.e.DB.Take(&c, w.contract.ID).Error; err != nil {
		t.Fatal(err)
	}
	return c
}
