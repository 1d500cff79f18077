package milestone_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/milestone"
)

// The approvals queue holds the rounds of the reader's subdistricts that are
// accepted and invoiced for their payable amount, oldest acceptance first,
// and says which the reader accepted; a round only accepted, or only
// invoiced, or approved already, is not in it.
func TestAwaiting(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 45_000_000)
	s := w.schedule(t)
	signing, mid := s.Items[0].ID, s.Items[1].ID
	queue := func(who string) []milestone.Awaiting {
		t.Helper()
		list, err := w.svc.Awaiting(ctx, w.e.ActorOf(t, who))
		if err != nil {
			t.Fatalf("Awaiting() as %s error = %v", who, err)
		}
		return list
	}
	ids := func(list []milestone.Awaiting) []int64 {
		out := []int64{}
		for _, a := range list {
			out = append(out, a.MilestoneID)
		}
		return out
	}
	if got := queue("demo-finance"); len(got) != 0 {
		t.Fatalf("Awaiting() with the signing round only due = %v, want none", ids(got))
	}

	w.invoice(t, signing, 13_500_000)
	if got := queue("demo-finance"); len(got) != 0 {
		t.Errorf("Awaiting() with the signing round invoiced, not accepted = %v, want none", ids(got))
	}
	if _, err := w.svc.Accept(ctx, w.officer, signing, "签约材料齐全"); err != nil {
		t.Fatalf("Accept() error = %v", err)
	}
	w.e.Clock.Advance(time.Hour)
	w.submit(t, evaluation.KindMidterm, 700, 0)
	if _, err := w.svc.Accept(ctx, w.officer, mid, "中期服务已验收"); err != nil {
		t.Fatalf("Accept() error = %v", err)
	}
	if got := queue("demo-finance"); !cmp.Equal(ids(got), []int64{signing}) {
		t.Errorf("Awaiting() with the mid-term round accepted, not invoiced = %v, want the signing round only", ids(got))
	}
	w.invoice(t, mid, 16_200_000)

	got := queue("demo-finance")
	if !cmp.Equal(ids(got), []int64{signing, mid}) {
		t.Fatalf("Awaiting() = %v, want the signing then the mid-term round", ids(got))
	}
	m := got[1]
	score := "70.0"
	want := milestone.Awaiting{MilestoneID: mid, ContractID: w.contract.ID, ContractTitle: "测试付款节点项目",
		OrganizationName: "湖州市吴兴区康乐居家养老服务中心", Seq: 2, Name: m.Name, After: "midterm", Round: 1, Score: &score, Factor: "0.90",
		PayableFen: 16_200_000, AcceptedAt: m.AcceptedAt, AcceptNote: "中期服务已验收",
		Invoice: milestone.Invoice{DocumentID: m.Invoice.DocumentID, DocumentName: "发票.pdf", Kind: "invoice", Number: m.Invoice.Number,
			AmountFen: 16_200_000, InvoicedAt: m.Invoice.InvoicedAt}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("Awaiting()[1] (-want +got):\n%s", diff)
	}
	if m.AcceptedAt.IsZero() || m.Invoice.InvoicedAt.IsZero() || m.Invoice.DocumentID == 0 {
		t.Errorf("Awaiting()[1] = %+v, want its acceptance and invoice times and document", m)
	}
	for _, a := range queue("demo-officer") {
		if !a.AcceptedByCaller {
			t.Errorf("Awaiting() as the accepting officer: milestone %d not marked as accepted by the caller", a.MilestoneID)
		}
	}
	for _, who := range []string{"demo-district", "demo-admin"} {
		if got := queue(who); len(got) != 2 {
			t.Errorf("Awaiting() as %s = %v, want both rounds", who, ids(got))
		}
	}
	w.e.CreateUser(t, map[string]any{"username": "finance-b", "display_name": "飞英财务", "role": "finance_officer", "subdistrict_id": w.e.Demo(t).SubB})
	if got := queue("finance-b"); len(got) != 0 {
		t.Errorf("Awaiting() as 飞英's finance officer = %v, want none", ids(got))
	}
	for _, who := range []string{"demo-org", "demo-evaluator", "demo-resident"} {
		if _, err := w.svc.Awaiting(ctx, w.e.ActorOf(t, who)); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("Awaiting() as %s error = %v, want forbidden", who, err)
		}
	}

	if _, err := w.svc.Approve(ctx, w.finance, signing); err != nil {
		t.Fatalf("Approve() error = %v", err)
	}
	if got := queue("demo-finance"); !cmp.Equal(ids(got), []int64{mid}) {
		t.Errorf("Awaiting() once the signing round is approved = %v, want the mid-term round", ids(got))
	}
}

func TestRefOf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		typ, id string
		want    milestone.RoundRef
		ok      bool
	}{
		{"milestone", "12/2/1", milestone.RoundRef{ContractID: 12, Seq: 2, Round: 1}, true},
		{"milestone", "7/3/2", milestone.RoundRef{ContractID: 7, Seq: 3, Round: 2}, true},
		{"milestone", "matrix-ms-3", milestone.RoundRef{}, false},
		{"milestone", "12/2", milestone.RoundRef{}, false},
		{"milestone", "12/0/1", milestone.RoundRef{}, false},
		{"milestone", "-1/2/1", milestone.RoundRef{}, false},
		{"donation", "12/2/1", milestone.RoundRef{}, false},
	} {
		got, ok := milestone.RefOf(tt.typ, tt.id)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RefOf(%q, %q) = %+v, %v; want %+v, %v", tt.typ, tt.id, got, ok, tt.want, tt.ok)
		}
	}
}
