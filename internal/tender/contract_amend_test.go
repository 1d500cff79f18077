package tender_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
)

func fen(n money.Fen) *money.Fen { return &n }

// TestAmendments: one party proposes, the other decides; a rise is capped at
// 10 % of the signed amount in all and encumbered out of available money, a
// cut returns the difference; each accepted amendment is a new version and
// the old one stays readable; a rise the fund cannot cover changes nothing.
func TestAmendments(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	svc := w.contracts()
	_, c := w.awarded()
	org := w.orgs[1]
	w.sign(c, org)
	before := w.ledger()
	rise := func(to money.Fen) contract.AmendmentInput {
		return contract.AmendmentInput{Reason: "服务对象增加，补充采购", Changes: contract.Changes{AmountFen: fen(to)}}
	}

	wantFields(t, "ProposeAmendment(10 % and a fen)", errOf(svc.ProposeAmendment(ctx, org, c.ID, rise(49_500_001))), "amount_fen")
	wantFields(t, "ProposeAmendment(no change)", errOf(svc.ProposeAmendment(ctx, org, c.ID, contract.AmendmentInput{Reason: "无"})), "changes")
	wantFields(t, "ProposeAmendment(no reason)", errOf(svc.ProposeAmendment(ctx, org, c.ID, contract.AmendmentInput{Changes: rise(49_000_000).Changes})), "reason")
	wantErr(t, "ProposeAmendment(another subdistrict)", errOf(svc.ProposeAmendment(ctx, w.officer2, c.ID, rise(49_000_000))), apperr.ErrNotFound)
	wantErr(t, "ProposeAmendment(another organization)", errOf(svc.ProposeAmendment(ctx, w.orgs[0], c.ID, rise(49_000_000))), apperr.ErrNotFound)
	wantErr(t, "ProposeAmendment(finance)", errOf(svc.ProposeAmendment(ctx, w.actor("demo-finance"), c.ID, rise(49_000_000))), apperr.ErrForbidden)
	a, err := svc.ProposeAmendment(ctx, org, c.ID, rise(49_500_000))
	if err != nil || a.Status != "proposed" || a.ProposedSide != "organization" {
		t.Fatalf("ProposeAmendment(exactly 10 %%) = %+v, %v", a, err)
	}
	wantErr(t, "ProposeAmendment(a second while one is open)", errOf(svc.ProposeAmendment(ctx, w.officer, c.ID, rise(46_000_000))), contract.ErrAmendmentOpen)
	wantErr(t, "DecideAmendment(own side)", errOf(svc.DecideAmendment(ctx, org, a.ID, true, "")), contract.ErrOwnAmendment)
	wantErr(t, "DecideAmendment(another subdistrict)", errOf(svc.DecideAmendment(ctx, w.officer2, a.ID, true, "")), apperr.ErrNotFound)
	if _, err := svc.DecideAmendment(ctx, w.officer, a.ID, true, "同意"); err != nil {
		t.Fatalf("DecideAmendment(accept) error = %v", err)
	}
	wantErr(t, "DecideAmendment(again)", errOf(svc.DecideAmendment(ctx, w.officer, a.ID, false, "撤回")), contract.ErrAmendmentDecided)
	v2 := w.contract(org, c.ID)
	if v2.Version != 2 || v2.AmountFen != 49_500_000 || v2.HeldFen != 49_500_000 || v2.Milestones[2].AmountFen != 13_500_000+4_500_000 || len(v2.Versions) != 2 {
		t.Errorf("after the rise: version %d, amount %d, held %d, last milestone %d, versions %v", v2.Version, v2.AmountFen, v2.HeldFen,
			v2.Milestones[2].AmountFen, v2.Versions)
	}
	if got := w.ledger(); got[fund.Available] != before[fund.Available]-4_500_000 || got[fund.Encumbered] != before[fund.Encumbered]+4_500_000 {
		t.Errorf("after the rise: %v, want 45,000.00 more encumbered out of available (before %v)", got, before)
	}
	old, err := svc.Version(ctx, org, c.ID, 1)
	if err != nil || fmt.Sprint(old["contract"].(map[string]any)["amount_fen"]) != "4.5e+07" {
		t.Errorf("Version(1) = %v, %v; want the signed amount 45,000,000", old["contract"], err)
	}
	wantErr(t, "Version(another organization)", errOf(svc.Version(ctx, w.orgs[0], c.ID, 1)), apperr.ErrNotFound)

	// The cap is cumulative: the signed amount, not the amended one, is its base.
	wantFields(t, "ProposeAmendment(a further fen)", errOf(svc.ProposeAmendment(ctx, w.officer, c.ID, rise(49_500_001))), "amount_fen")
	cut, err := svc.ProposeAmendment(ctx, w.officer, c.ID, contract.AmendmentInput{Reason: "服务范围缩减",
		Changes: contract.Changes{AmountFen: fen(40_000_000), Targets: []contract.TargetInput{{Code: v2.Metrics[0].Code, Target: 1000}}}})
	if err != nil {
		t.Fatalf("ProposeAmendment(cut) error = %v", err)
	}
	wantFields(t, "DecideAmendment(reject without a note)", errOf(svc.DecideAmendment(ctx, org, cut.ID, false, "")), "note")
	if _, err := svc.DecideAmendment(ctx, org, cut.ID, true, ""); err != nil {
		t.Fatalf("DecideAmendment(accept the cut) error = %v", err)
	}
	v3 := w.contract(w.officer, c.ID)
	if v3.Version != 3 || v3.HeldFen != 40_000_000 || v3.Metrics[0].Target != 1000 {
		t.Errorf("after the cut: version %d, held %d, target %v", v3.Version, v3.HeldFen, v3.Metrics[0].Target)
	}
	if got := w.ledger(); got[fund.Available] != before[fund.Available]+5_000_000 {
		t.Errorf("available after the cut = %d, want %d", got[fund.Available], before[fund.Available]+5_000_000)
	}

	// A rise the fund cannot cover: another tender's reservation takes
	// everything available; accepting fails and nothing changes.
	up, err := svc.ProposeAmendment(ctx, org, c.ID, rise(49_000_000))
	if err != nil {
		t.Fatal(err)
	}
	drain := w.ledger()[fund.Available]
	if err := w.db.Transaction(func(tx *gorm.DB) error {
		_, err := fund.Reserve(tx, w.officer, w.fundID, "ELDERLY_HOME_CARE", drain, fund.Ref{Type: "tender", ID: "drain"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	postings := w.count(`SELECT count(*) FROM ledger_postings`)
	audits := w.count(`SELECT count(*) FROM audit_entries`)
	wantErr(t, "DecideAmendment(a rise the fund cannot cover)", errOf(svc.DecideAmendment(ctx, w.officer, up.ID, true, "")), fund.ErrInsufficient)
	after := w.contract(w.officer, c.ID)
	if after.Version != 3 || after.AmountFen != 40_000_000 || after.Amendments[2].Status != "proposed" ||
		w.count(`SELECT count(*) FROM ledger_postings`) != postings || w.count(`SELECT count(*) FROM audit_entries`) != audits {
		t.Errorf("after the refused rise: version %d, amount %d, amendment %s; something was written", after.Version, after.AmountFen, after.Amendments[2].Status)
	}
	if _, err := svc.DecideAmendment(ctx, w.officer, up.ID, false, "资金不足"); err != nil {
		t.Fatalf("DecideAmendment(reject) error = %v", err)
	}
}

// TestTermination: the organization requests, the officer rejects or
// terminates; termination returns what the contract holds; twice is refused.
func TestTermination(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	svc := w.contracts()
	before := w.ledger()
	_, c := w.awarded()
	org := w.orgs[1]
	w.sign(c, org)
	ask := contract.TerminateInput{Reason: "人员不足，无法继续履约"}
	member := w.newUser("member-t", "org_member", authOrg(org))
	wantErr(t, "Terminate(org member)", errOf(svc.Terminate(ctx, member, c.ID, ask)), apperr.ErrForbidden)
	wantErr(t, "Terminate(another subdistrict)", errOf(svc.Terminate(ctx, w.officer2, c.ID, ask)), apperr.ErrNotFound)
	wantFields(t, "Terminate(organization deciding)", errOf(svc.Terminate(ctx, org, c.ID, contract.TerminateInput{Reason: "x", Decision: "terminate"})), "decision")
	wantErr(t, "Terminate(officer rejects nothing)", errOf(svc.Terminate(ctx, w.officer, c.ID, contract.TerminateInput{Reason: "x", Decision: "reject"})), contract.ErrNoTermination)
	if _, err := svc.Terminate(ctx, org, c.ID, ask); err != nil {
		t.Fatalf("Terminate(organization requests) error = %v", err)
	}
	wantErr(t, "Terminate(request twice)", errOf(svc.Terminate(ctx, org, c.ID, ask)), contract.ErrTerminationOpen)
	if v, err := svc.Terminate(ctx, w.officer, c.ID, contract.TerminateInput{Reason: "请继续履约", Decision: "reject"}); err != nil ||
		v.Status != contract.StatusSigned || v.Terminations[0].Status != "rejected" {
		t.Fatalf("Terminate(reject) = %s, %v", v.Status, err)
	}
	if _, err := svc.Terminate(ctx, org, c.ID, ask); err != nil {
		t.Fatalf("Terminate(request again) error = %v", err)
	}
	if _, err := svc.ProposeAmendment(ctx, org, c.ID, contract.AmendmentInput{Reason: "延长服务期",
		Changes: contract.Changes{AmountFen: fen(46_000_000)}}); err != nil {
		t.Fatal(err)
	}
	v, err := svc.Terminate(ctx, w.officer, c.ID, contract.TerminateInput{Reason: "同意解除"})
	if err != nil || v.Status != contract.StatusTerminated || v.HeldFen != 0 || v.Terminations[1].Status != "approved" {
		t.Fatalf("Terminate(officer) = %s held %d, %v", v.Status, v.HeldFen, err)
	}
	if v.Amendments[0].Status != "withdrawn" || v.Amendments[0].DecidedAt == nil {
		t.Errorf("the amendment open at termination is %s, want withdrawn", v.Amendments[0].Status)
	}
	var kinds []string
	if err := w.db.Table("notifications").Where("contract_id = ? AND organization_id IS NOT NULL", c.ID).Order("id").Pluck("kind", &kinds).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(kinds, contract.KindTerminationRejected) || !slices.Contains(kinds, contract.KindTerminated) {
		t.Errorf("the organization's notices = %v, want the rejection and the termination", kinds)
	}
	if got := w.ledger(); got[fund.Available] != before[fund.Available] || got[fund.Encumbered] != before[fund.Encumbered] {
		t.Errorf("after termination: %v, want the ledger as before the tender %v", got, before)
	}
	wantErr(t, "Terminate(twice)", errOf(svc.Terminate(ctx, w.officer, c.ID, contract.TerminateInput{Reason: "再次解除"})), contract.ErrEnded)
	wantErr(t, "ProposeAmendment(terminated)", errOf(svc.ProposeAmendment(ctx, org, c.ID, contract.AmendmentInput{Reason: "x",
		Changes: contract.Changes{AmountFen: fen(1)}})), contract.ErrEnded)
}
