package dataset

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

var milestoneNames = []struct{ name, after string }{
	{"签约预付 / on signing", "signing"},
	{"中期评估后 / after the mid-term evaluation", "midterm"},
	{"终期评估后 / after the final evaluation", "final"},
}

// round is one payment round of a milestone to write.
type round struct {
	seq        int
	evaluation int64
	score      float64
	state      string // due, accepted, paid
	due, paid  time.Time
}

// milestones writes every contract's three milestones and the payment
// rounds their triggers made: a signed contract's signing milestone awaits
// acceptance; an active one's is paid or, for half of them, accepted with
// its invoice and awaiting the finance officer's approval; a completed
// contract's three are paid (the mid-term and final ones after their
// evaluations); a terminated one's signing milestone is paid and the rest of
// its encumbrance returned. Paid rounds have their manual payout and their
// postings.
func (g *gen) milestones(ctx context.Context) error {
	w := &g.w
	var ms, pays, payouts, docs [][]any
	approvable := false
	for i := range w.contracts {
		c := &w.contracts[i]
		t := w.tenders[c.tender]
		s := w.subs[t.sub]
		o := w.orgs[c.org]
		first, err := g.ids(ctx, "contract_milestones", 3)
		if err != nil {
			return err
		}
		var rounds []round
		switch c.status {
		case "signed":
			rounds = []round{{seq: 1, state: "due", due: c.signed}}
		case "active":
			r := round{seq: 1, state: "paid", due: c.signed, paid: c.signed.Add(days(7))}
			// Half await approval, the first active contract's always (a
			// small dataset still has one to approve).
			if g.r.IntN(2) == 0 || !approvable {
				r.state, approvable = "accepted", true
			}
			rounds = []round{r}
			if c.midterm != 0 {
				due := c.start.Add(days(187))
				r := round{seq: 2, evaluation: c.midterm, score: c.midScore, state: "accepted", due: due}
				switch {
				case !due.Add(days(2)).Before(g.base):
					r.state = "due"
				case due.Add(days(13)).Before(g.base) && g.r.IntN(10) < 4:
					r.state, r.paid = "paid", due.Add(days(7))
				}
				rounds = append(rounds, r)
			}
		case "terminated":
			rounds = []round{{seq: 1, state: "paid", due: c.signed, paid: c.signed.Add(days(7))}}
		case "completed":
			mid := c.start.Add(days(182))
			rounds = []round{{seq: 1, state: "paid", due: c.signed, paid: c.signed.Add(days(7))},
				{seq: 2, evaluation: c.midterm, score: c.midScore, state: "paid", due: mid.Add(days(5)), paid: mid.Add(days(12))},
				{seq: 3, evaluation: c.final, score: c.finScore, state: "paid", due: c.end.Add(days(4) + 16*time.Hour), paid: c.ended}}
		}
		status := [3]string{"pending", "pending", "pending"}
		due := [3]*time.Time{}
		for _, r := range rounds {
			status[r.seq-1], due[r.seq-1] = "due", ptr(r.due)
			if r.state == "paid" {
				status[r.seq-1] = "paid"
			}
		}
		for k := range 3 {
			c.milestones[k] = first + int64(k)
			ms = append(ms, []any{c.id, k + 1, milestoneNames[k].name, []int{30, 40, 30}[k], int64(c.amounts[k]), milestoneNames[k].after,
				status[k], first + int64(k), due[k]})
		}
		for _, r := range rounds {
			pid, err := g.id(ctx, "milestone_payments")
			if err != nil {
				return err
			}
			amount := int64(c.amounts[r.seq-1])
			ref := fmt.Sprintf("%d/%d/1", c.id, r.seq)
			var evaluation *int64
			var score *int
			if r.evaluation != 0 {
				evaluation, score = &r.evaluation, ptr(int(r.score*10+0.5))
			}
			row := []any{pid, c.milestones[r.seq-1], c.id, s.id, 1, evaluation, score, 1, amount, 0, amount, r.state, r.due,
				nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, r.due, r.due}
			if r.state != "due" {
				end := r.paid
				if r.state == "accepted" {
					end = r.due.Add(days(4))
				}
				span := end.Sub(r.due) / 4
				accepted, invoiced, approved := r.due.Add(span), r.due.Add(2*span), r.due.Add(3*span)
				doc, err := g.id(ctx, "organization_documents")
				if err != nil {
					return err
				}
				docs = append(docs, []any{doc, o.id, fmt.Sprintf("发票-%s.pdf", ref), g.hexOf(16), "application/pdf", between(g.r, 40_000, 400_000),
					g.hexOf(32), o.admin.id, invoiced})
				copy(row[13:21], []any{s.officer.id, accepted, "服务已按合同完成，验收合格。", doc, "invoice", fmt.Sprintf("%08d", pid), amount, o.admin.id})
				row[21], row[27] = invoiced, invoiced
				if r.state == "paid" {
					payout, err := g.id(ctx, "payouts")
					if err != nil {
						return err
					}
					row[22], row[23], row[24], row[25], row[27] = s.finance.id, approved, payout, r.paid, r.paid
					payouts = append(payouts, []any{payout, t.fund, o.id, amount, "manual", "paid", "milestone", ref,
						fmt.Sprintf("BANK-%d-%d", c.id, r.seq), s.finance.id, s.finance.id, r.paid, approved, r.paid})
					g.post(posting{fund: t.fund, kind: "payable", refType: "milestone", refID: ref, from: "encumbered", to: "payable",
						amount: amount, at: approved, by: &s.finance.id})
					g.post(posting{fund: t.fund, kind: "paid", refType: "payout", refID: strconv.FormatInt(payout, 10), from: "payable", to: "paid",
						amount: amount, at: r.paid, by: &s.finance.id})
					c.paid += amount
				}
			}
			pays = append(pays, row)
		}
		if c.status == "terminated" {
			g.post(posting{fund: t.fund, kind: "return_encumbrance", refType: "contract", refID: strconv.FormatInt(c.id, 10) + "/end",
				from: "encumbered", to: "available", amount: c.amount - c.paid, at: c.ended, by: &s.officer.id})
		}
	}
	if err := g.copyRows(ctx, "contract_milestones", []string{"contract_id", "seq", "name", "percent", "amount_fen", "after", "status", "id", "due_at"}, ms); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "organization_documents", []string{"id", "organization_id", "original_name", "stored_name", "content_type",
		"size_bytes", "sha256", "uploaded_by", "created_at"}, docs); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "payouts", []string{"id", "fund_account_id", "organization_id", "amount_fen", "provider", "state", "reference_type",
		"reference_id", "manual_reference", "requested_by", "confirmed_by", "paid_at", "created_at", "updated_at"}, payouts); err != nil {
		return err
	}
	return g.copyRows(ctx, "milestone_payments", []string{"id", "milestone_id", "contract_id", "subdistrict_id", "round", "evaluation_id",
		"score_tenths", "factor", "milestone_fen", "earlier_fen", "payable_fen", "state", "due_at", "accepted_by", "accepted_at", "accept_note",
		"invoice_document_id", "invoice_kind", "invoice_number", "invoice_amount_fen", "invoiced_by", "invoiced_at", "approved_by", "approved_at",
		"payout_id", "paid_at", "created_at", "updated_at"}, pays)
}
