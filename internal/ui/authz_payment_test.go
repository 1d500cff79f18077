package ui_test

import (
	"bytes"
	"fmt"
	"net/url"
	"testing"

	"github.com/jiedao-market/jiedao/internal/milestone"
)

// pgPaymentSet is what the milestone payment rows address: two contracts of
// org 1 in 爱山 (A) for 30,000.00, whose signing milestones pay 9,000.00. The
// first's is due (the contract page's rows accept, invoice and approve it in
// turn); the second's is accepted and invoiced in the setup, waiting in the
// approvals queue.
type pgPaymentSet struct {
	contract, queued   int64 // the contracts
	milestone, waiting int64 // their signing milestones
}

func pgPaymentRecords(t *testing.T, f *pgFixture) {
	e, s := f.e, &pgPaymentSet{}
	first, second := e.SignedContract(t, 3_000_000), e.SignedContract(t, 3_000_000)
	s.contract, s.queued = first.ID, second.ID
	s.milestone = e.IDOf(t, "contract_milestones", "contract_id = ? AND seq = 1", first.ID)
	s.waiting = e.IDOf(t, "contract_milestones", "contract_id = ? AND seq = 1", second.ID)
	if _, err := e.Services.Milestones.Accept(t.Context(), e.ActorOf(t, "demo-officer"), s.waiting, "矩阵验收"); err != nil {
		t.Fatalf("Accept() error = %v", err)
	}
	if _, err := e.Services.Milestones.AttachInvoice(t.Context(), e.ActorOf(t, "demo-org"), s.waiting, milestone.InvoiceInput{
		Kind: milestone.InvoiceKindReceipt, Number: "SJ-0001", AmountFen: 900_000}, "收据.pdf", bytes.NewReader(samplePDF)); err != nil {
		t.Fatalf("AttachInvoice() error = %v", err)
	}
	f.payments = s
}

// pgPaymentIDs fills a route's parameters with what pick names of the set.
func pgPaymentIDs(pick func(s *pgPaymentSet) []int64) func(t *testing.T, f *pgFixture) []any {
	return pgIDs(func(f *pgFixture) []int64 { return pick(f.payments) })
}

var (
	pgPaymentContract  = pgPaymentIDs(func(s *pgPaymentSet) []int64 { return []int64{s.contract} })
	pgPaymentMilestone = pgPaymentIDs(func(s *pgPaymentSet) []int64 { return []int64{s.contract, s.milestone} })
	pgPaymentWaiting   = pgPaymentIDs(func(s *pgPaymentSet) []int64 { return []int64{s.waiting} })
)

// pgInvoiceForm is the organization's invoice form for amount (yuan).
func pgInvoiceForm(amount string) func(t *testing.T, f *pgFixture, i int) url.Values {
	return func(t *testing.T, f *pgFixture, i int) url.Values {
		return url.Values{"kind": {"invoice"}, "number": {fmt.Sprintf("FP-%02d", i)}, "amount": {amount}}
	}
}

// pgMilestoneRow is the element of a milestone on a page.
func pgMilestoneRow(pick func(s *pgPaymentSet) int64) func(f *pgFixture) string {
	return func(f *pgFixture) string { return fmt.Sprintf(`id="milestone-%d"`, pick(f.payments)) }
}

// Wants of the milestone payment rows. The contract's readers open its
// milestones page (飞英's staff and org 2 find no such contract); each step
// is one role's, of the contract's tenant: A's procurement officer accepts,
// org 1's staff invoice, A's finance officer approves (飞英's finds no such
// milestone). A step refused for bad input or in the wrong state shows the
// page again with its alert.
var (
	pgMsRead   = pgWant{login, ok200, ok200, ok200, ok200, no403, ok200, nf404, nf404, ok200, no403, nf404}
	pgMsAccept = func(w int) pgWant {
		return pgWant{login, no403, no403, w, no403, no403, no403, nf404, no403, no403, no403, no403}
	}
	pgMsApprove = func(w int) pgWant {
		return pgWant{login, no403, no403, no403, w, no403, no403, no403, no403, no403, no403, nf404}
	}
	pgMsInvoice = func(w int) pgWant {
		return pgWant{login, no403, no403, no403, no403, no403, w, no403, nf404, w, no403, no403}
	}
	pgMsOrgRead   = pgWant{login, no403, no403, no403, no403, no403, ok200, no403, ok200, ok200, no403, no403}
	pgMsApprovals = pgWant{login, no403, no403, no403, ok200, no403, no403, no403, no403, no403, no403, ok200}
	pgMsReaders   = []string{"demo-admin", "demo-district", "demo-officer", "demo-finance", "demo-org", "demo-member"}
)

// pgPaymentMatrix covers the milestone payment pages and the public provider
// profile. The rows of each milestone run in the order of its round's life.
var pgPaymentMatrix = map[string]pgGroup{
	"milestone payments": {setup: pgPaymentRecords, rows: []pgRow{
		{method: "GET", route: "/contracts/:id/milestones", params: pgPaymentContract, want: pgMsRead,
			scope: &pgScope{text: pgMilestoneRow(func(s *pgPaymentSet) int64 { return s.milestone }), shown: pgMsReaders}},
		{method: "GET", route: "/contracts/:id/milestones", note: "the acceptance form", params: pgPaymentContract, want: pgMsRead,
			scope: &pgScope{text: pgText(`/accept"`), shown: []string{"demo-officer"},
				hidden: []string{"demo-admin", "demo-district", "demo-finance", "demo-org", "demo-member"}}},
		{method: "GET", route: "/contracts/:id/milestones", note: "the invoice form", params: pgPaymentContract, want: pgMsRead,
			scope: &pgScope{text: pgText(`/invoice" enctype`), shown: []string{"demo-org", "demo-member"},
				hidden: []string{"demo-admin", "demo-district", "demo-officer", "demo-finance"}}},
		{method: "POST", route: "/contracts/:id/milestones/:mid/accept", note: "without a note", params: pgPaymentMilestone,
			want: pgMsAccept(bad400)},
		{method: "POST", route: "/contracts/:id/milestones/:mid/accept", note: "a milestone of another contract",
			params: pgPaymentIDs(func(s *pgPaymentSet) []int64 { return []int64{s.contract, s.waiting} }),
			form:   func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"note": {"矩阵验收"}} },
			want:   pgMsAccept(nf404)},
		{method: "POST", route: "/contracts/:id/milestones/:mid/approve", note: "not accepted", params: pgPaymentMilestone,
			want: pgMsApprove(cf409)},
		{method: "POST", route: "/contracts/:id/milestones/:mid/invoice", note: "another amount", params: pgPaymentMilestone,
			form: pgInvoiceForm("1.00"), upload: "发票.pdf", want: pgMsInvoice(bad400)},
		{method: "POST", route: "/contracts/:id/milestones/:mid/invoice", note: "an amount that is none", params: pgPaymentMilestone,
			form: pgInvoiceForm("九千元"), upload: "发票.pdf", want: pgMsInvoice(bad400)},
		{method: "POST", route: "/contracts/:id/milestones/:mid/accept", params: pgPaymentMilestone,
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"note": {"矩阵验收：材料齐全"}}
			},
			want: pgMsAccept(to303)},
		{method: "POST", route: "/contracts/:id/milestones/:mid/accept", note: "accepted already", params: pgPaymentMilestone,
			form: func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"note": {"再次验收"}} },
			want: pgMsAccept(cf409)},
		{method: "POST", route: "/contracts/:id/milestones/:mid/approve", note: "without the invoice", params: pgPaymentMilestone,
			want: pgMsApprove(cf409)},
		{method: "POST", route: "/contracts/:id/milestones/:mid/invoice", note: "without a file", params: pgPaymentMilestone,
			form: pgInvoiceForm("9000.00"), want: pgMsInvoice(bad400)},
		{method: "POST", route: "/contracts/:id/milestones/:mid/invoice", params: pgPaymentMilestone,
			form: pgInvoiceForm("9000.00"), upload: "发票.pdf", want: pgMsInvoice(to303)},
		{method: "GET", route: "/contracts/:id/milestones/:mid/invoice", params: pgPaymentMilestone, want: pgMsRead},
		{method: "GET", route: "/contracts/:id/milestones", note: "the approve button", params: pgPaymentContract, want: pgMsRead,
			scope: &pgScope{text: pgText(`/approve"`), shown: []string{"demo-finance"},
				hidden: []string{"demo-admin", "demo-district", "demo-officer", "demo-org", "demo-member"}}},
		{method: "POST", route: "/contracts/:id/milestones/:mid/approve", params: pgPaymentMilestone, want: pgMsApprove(to303)},
		{method: "POST", route: "/contracts/:id/milestones/:mid/approve", note: "approved already", params: pgPaymentMilestone,
			want: pgMsApprove(cf409)},
		{method: "POST", route: "/contracts/:id/milestones/:mid/invoice", note: "approved already", params: pgPaymentMilestone,
			form: pgInvoiceForm("9000.00"), upload: "发票.pdf", want: pgMsInvoice(cf409)},

		{method: "GET", route: "/approvals", want: pgMsApprovals,
			scope: &pgScope{text: pgMilestoneRow(func(s *pgPaymentSet) int64 { return s.waiting }), shown: []string{"demo-finance"},
				hidden: []string{pgFinance2}}},
		{method: "GET", route: "/org/milestones", want: pgMsOrgRead,
			scope: &pgScope{text: pgMilestoneRow(func(s *pgPaymentSet) int64 { return s.waiting }), shown: []string{"demo-org", "demo-member"},
				hidden: []string{"demo-org2"}}},
		{method: "POST", route: "/org/milestones/:id/invoice", note: "another amount", params: pgPaymentWaiting,
			form: pgInvoiceForm("8999.99"), upload: "发票.pdf", want: pgMsInvoice(bad400)},
		// While it waits for approval, the organization may replace its invoice.
		{method: "POST", route: "/org/milestones/:id/invoice", params: pgPaymentWaiting,
			form: pgInvoiceForm("9000.00"), upload: "发票.pdf", want: pgMsInvoice(to303)},
		{method: "POST", route: "/approvals/:id/approve", params: pgPaymentWaiting, want: pgMsApprove(to303)},
		{method: "POST", route: "/approvals/:id/approve", note: "approved already", params: pgPaymentWaiting, want: pgMsApprove(cf409)},
		{method: "POST", route: "/org/milestones/:id/invoice", note: "approved already", params: pgPaymentWaiting,
			form: pgInvoiceForm("9000.00"), upload: "发票.pdf", want: pgMsInvoice(cf409)},

		{method: "GET", route: "/organizations/:id", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.org1} }), want: pgEveryone,
			scope: &pgScope{text: pgText("湖州市吴兴区康乐居家养老服务中心"), shown: pgIdentities}},
		{method: "GET", route: "/organizations/:id", note: "unknown", params: pgParams(999999),
			want: pgWant{nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404}},
	}},
}
