package demo

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/ocds"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// This file is the part of the demo story that follows a contract's
// signing: its evaluations and its milestones' payment rounds, through the
// evaluation, milestone and payout services (manual payouts: the demo has
// no Stripe), on the story's clock.

// specialItem is 爱山's transfer item for short projects, with targets for a
// few weeks rather than a year: the demo's completed contract and its
// failing one are made from it.
var specialItem = demoItem{"demo-officer", "独居老人安全巡访专项服务", "ELDERLY_HOME_CARE",
	"在节假日、极端天气等重点时段，对独居、空巢和高龄老人集中开展为期数周的上门安全巡访：排查燃气、用电和消防隐患，登记健康状况和服务需求，建立一户一档巡访记录。",
	"独居、空巢和高龄老人", "人次", 600, 10_000, true, []catalog.MetricChoice{
		{Code: "service_visits", Target: ptr(72.0)},
		{Code: "elderly_coverage", Target: ptr(30.0)},
		{Code: "response_time"},
		{Code: "resident_satisfaction"},
		{Code: "complaints_upheld", Target: ptr(1.0)},
	}}

// demoEvaluation is an evaluation of a contract, as far as at goes:
// scheduled by demo-officer and assigned to demo-evaluator, declared (no
// conflict), then entered and submitted. periodEnd is the last day of its
// period (a day relative to the seed's day; nil for the default, or a final
// evaluation's whole service period) and due the day it is due.
type demoEvaluation struct {
	kind      string
	at        []moment
	periodEnd *int
	due       int
	// entries are the evaluator's values of the figures the system finds
	// nothing to measure for (no ratings, no service requests), by code.
	entries map[string]demoEntry
	notes   string
	// rectification is the officer's order after a failing grade.
	rectification *demoRectification
}

type demoEntry struct{ actual, note string }

type demoRectification struct {
	at           moment
	deadline     int // a day relative to the seed's day
	requirements string
}

// demoRound is a payment round of a contract's milestone (seq 1 the
// signing's, 2 the mid-term's, 3 the final's), as far as at goes: accepted
// by demo-officer, invoiced by the organization, approved by demo-finance,
// and its manual payout confirmed paid by demo-finance.
type demoRound struct {
	seq int
	at  []moment
}

// acceptNotes are demo-officer's acceptance notes (验收意见), by milestone seq.
var acceptNotes = map[int]string{
	1: "合同已签订，服务团队人员名单、排班表和服务对象名册已报街道备案，同意支付首期款。",
	2: "中期评估已提交，抽查服务台账和回访记录与系统数据一致，同意按评估结果支付中期款。",
	3: "服务期满，终期评估已提交，服务档案已移交街道民政办，同意支付尾款。",
}

// usePayments gives the seed the evaluation, milestone and payout services
// on its transaction and clock, wired as request.NewServices wires them:
// signing makes the signing milestone due, a submitted evaluation the
// milestones it triggers, a paid payout its round paid.
func (s *tenderSeed) usePayments(mc clock.Clock, keys Keys) {
	orgs := org.NewService(s.tx, mc, org.Options{Uploads: keys.Uploads})
	s.payouts = payout.NewService(s.tx, mc, slog.New(slog.DiscardHandler), payout.Options{})
	s.milestones = milestone.NewService(s.tx, mc, s.payouts, orgs)
	s.payouts.OnPaid(s.milestones.PayoutPaid)
	s.contracts.OnSigned(s.milestones.ContractSigned)
	s.evaluations = evaluation.NewService(s.tx, mc, keys.Uploads)
	s.evaluations.OnSubmit(s.milestones.EvaluationSubmitted)
	// Every public event publishes its OCDS release, as request.UseReleases
	// and UsePayouts wire it.
	cfg := config.Default().OCDS
	if keys.OCIDPrefix != "" {
		cfg.Prefix = keys.OCIDPrefix
	}
	pub := ocds.NewService(s.tx, mc, cfg)
	s.svc.OnRelease(pub.Publish)
	s.contracts.OnRelease(pub.Publish)
	s.contracts.OnSigned(func(tx *gorm.DB, _ access.Actor, c contract.Contract, now time.Time) error {
		return pub.Publish(tx, c.TenderID, ocds.TagContract, now)
	})
	s.evaluations.OnSubmit(func(tx *gorm.DB, _ access.Actor, ev evaluation.Submitted) error {
		return pub.PublishContract(tx, ev.ContractID, ocds.TagImplementationUpdate, ev.SubmittedAt)
	})
	s.payouts.OnPaid(func(tx *gorm.DB, _ access.Actor, p payout.Payout) error { return pub.PublishPayout(tx, p.ID) })
}

// paymentSteps are d's evaluations and payment rounds on its contract.
func (s *tenderSeed) paymentSteps(d demoTender, contractID *int64, wrap func(string, func(context.Context) error) func(context.Context) error) []step {
	var out []step
	for _, ev := range d.evaluations {
		var id int64
		for i, m := range ev.at {
			what := fmt.Sprintf("%s evaluation: %s", ev.kind, []string{"schedule", "declare", "submit"}[i])
			out = append(out, step{m.on(s.today), wrap(what, func(ctx context.Context) error {
				switch i {
				case 0:
					v, err := s.schedule(ctx, *contractID, ev)
					id = v.ID
					return err
				case 1:
					_, err := s.evaluations.Update(ctx, s.users["demo-evaluator"], id, evaluation.Patch{Declaration: &evaluation.Declaration{}})
					return err
				default:
					return s.submit(ctx, id, ev)
				}
			})})
		}
		if r := ev.rectification; r != nil {
			out = append(out, step{r.at.on(s.today), wrap(ev.kind+" evaluation: rectification order", func(ctx context.Context) error {
				_, err := s.evaluations.OrderRectification(ctx, s.users["demo-officer"], id, evaluation.RectificationInput{
					Requirements: r.requirements, Deadline: s.today.AddDays(r.deadline).String()})
				return err
			})})
		}
	}
	for _, r := range d.payments {
		for i, m := range r.at {
			what := fmt.Sprintf("%s milestone %d", []string{"accept", "invoice", "approve", "confirm the payout of"}[i], r.seq)
			out = append(out, step{m.on(s.today), wrap(what, func(ctx context.Context) error {
				return s.payRound(ctx, d, *contractID, r.seq, i)
			})})
		}
	}
	return out
}

// schedule schedules ev on the contract as demo-officer, assigned to
// demo-evaluator.
func (s *tenderSeed) schedule(ctx context.Context, contractID int64, ev demoEvaluation) (evaluation.View, error) {
	in := evaluation.ScheduleInput{Kind: ev.kind, DueOn: s.today.AddDays(ev.due).String(), EvaluatorID: s.users["demo-evaluator"].UserID}
	if ev.periodEnd != nil {
		in.PeriodEnd = s.today.AddDays(*ev.periodEnd).String()
	}
	return s.evaluations.Schedule(ctx, s.users["demo-officer"], contractID, in)
}

// submit has demo-evaluator enter the figures the system could not measure
// (ev.entries must hold them) and the notes, then submit evaluation id.
func (s *tenderSeed) submit(ctx context.Context, id int64, ev demoEvaluation) error {
	evaluator := s.users["demo-evaluator"]
	v, err := s.evaluations.Get(ctx, evaluator, id)
	if err != nil {
		return err
	}
	var p evaluation.Patch
	for _, f := range v.Figures {
		if f.Actual != nil {
			continue
		}
		e, ok := ev.entries[f.Code]
		if !ok {
			return fmt.Errorf("nothing to enter for figure %s, which the system could not measure", f.Code)
		}
		p.Figures = append(p.Figures, evaluation.Entry{Code: f.Code, Actual: &e.actual, Note: &e.note})
	}
	if ev.notes != "" {
		p.Notes = &ev.notes
	}
	if p.Figures != nil || p.Notes != nil {
		if _, err := s.evaluations.Update(ctx, evaluator, id, p); err != nil {
			return err
		}
	}
	_, err = s.evaluations.Submit(ctx, evaluator, id)
	return err
}

// payRound takes step i of the open payment round of the contract's
// milestone seq: 0 demo-officer accepts, 1 the organization (d's winner)
// attaches its invoice for the payable amount, 2 demo-finance approves, 3
// demo-finance confirms the bank transfer of the manual payout.
func (s *tenderSeed) payRound(ctx context.Context, d demoTender, contractID int64, seq, i int) error {
	var id int64
	if err := s.tx.WithContext(ctx).Table("contract_milestones").Select("id").Where("contract_id = ? AND seq = ?", contractID, seq).
		Take(&id).Error; err != nil {
		return fmt.Errorf("milestone %d of contract %d: %w", seq, contractID, err)
	}
	officer, finance, orgAdmin := s.users["demo-officer"], s.users["demo-finance"], s.users[d.winner]
	switch i {
	case 0:
		_, err := s.milestones.Accept(ctx, officer, id, acceptNotes[seq])
		return err
	case 1:
		m, err := s.milestones.Get(ctx, orgAdmin, id)
		if err != nil {
			return err
		}
		number := fmt.Sprintf("%08d", 33020000+contractID*10+int64(seq))
		_, err = s.milestones.AttachInvoice(ctx, orgAdmin, id, milestone.InvoiceInput{Kind: milestone.InvoiceKindInvoice, Number: number,
			AmountFen: m.Payments[len(m.Payments)-1].PayableFen}, "发票-"+number+".pdf", bytes.NewReader(invoicePDF(number)))
		return err
	case 2:
		_, err := s.milestones.Approve(ctx, finance, id)
		return err
	}
	m, err := s.milestones.Get(ctx, finance, id)
	if err != nil {
		return err
	}
	p := m.Payments[len(m.Payments)-1].Payout
	if p == nil {
		return fmt.Errorf("milestone %d has no payout to confirm", id)
	}
	_, err = s.payouts.ConfirmManual(ctx, finance, p.ID, fmt.Sprintf("国库集中支付凭证 HZWX-%06d", p.ID))
	return err
}

// invoicePDF is a small PDF standing for the scan of invoice number.
func invoicePDF(number string) []byte {
	return []byte("%PDF-1.4\n% 增值税普通发票 No." + number + "\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" +
		"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}
