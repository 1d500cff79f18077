package dataset

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// contractRow is a generated contract.
type contractRow struct {
	id                 int64
	tender             int // index in world.tenders
	org                int
	status             string
	amount             int64
	start, end         time.Time
	signed, ended      time.Time
	comms              []int
	metrics            []metric
	recordCodes        []string // metric codes service records count under
	milestones         [3]int64 // ids
	amounts            []money.Fen
	finalScore         float64
	midterm, final     int64 // evaluation ids of a completed contract
	midScore, finScore float64
	paid               int64 // what its paid milestones took out of the encumbrance
	deliveredUntil     time.Time
	firstRecord, nRecs int64
}

// contracts writes a contract for the winning bid of every awarded tender,
// in the state drawn for it, with its communities, metrics (the winner's
// commitments), milestones and first version.
func (g *gen) contracts(ctx context.Context) error {
	w := &g.w
	var rows, comms, metrics, versions [][]any
	for ti := range w.tenders {
		t := &w.tenders[ti]
		if t.status != tender.StatusAwarded {
			continue
		}
		id, err := g.id(ctx, "contracts")
		if err != nil {
			return err
		}
		win := t.bids[t.winner]
		it := w.items[t.item]
		c := contractRow{id: id, tender: ti, org: win.org, status: t.contractState, amount: win.price, start: t.serviceStart,
			end: t.serviceEnd, comms: it.comms}
		s := w.subs[t.sub]
		o := w.orgs[win.org]
		var officerSigned, orgSigned, signed, activated, ended *time.Time
		var endedBy *int64
		var endReason *string
		var finalScore *float64
		if c.status != "draft" {
			c.signed = t.awarded.Add(days(between(g.r, 2, 5)))
			officerSigned, orgSigned, signed = ptr(c.signed.Add(-time.Hour)), &c.signed, &c.signed
		}
		switch c.status {
		case "active":
			activated = &c.start
			c.deliveredUntil = g.base.Add(-days(1))
		case "completed":
			activated = &c.start
			c.ended = c.end.Add(days(between(g.r, 5, 9)))
			ended = &c.ended
			c.finalScore = float64(between(g.r, 800, 980)) / 10
			finalScore = &c.finalScore
			c.deliveredUntil = c.end
		case "terminated":
			activated = &c.start
			span := int(g.base.Sub(c.start)/(24*time.Hour)) - 1
			c.ended = c.start.Add(days(between(g.r, min(10, span), span)) + 10*time.Hour)
			ended, endedBy, endReason = &c.ended, &s.officer.id, ptr("服务质量未达合同约定，经整改仍不合格，依约提前终止。")
			c.deliveredUntil = c.ended.Truncate(24 * time.Hour).Add(-days(1))
		}
		commit := map[string]float64{}
		for _, cm := range win.body.MetricCommitments {
			commit[cm.Code] = cm.Value
		}
		var cms []contract.Metric
		for _, m := range it.metrics {
			v := commit[m.code]
			metrics = append(metrics, []any{id, m.code, m.zh, m.en, m.unit, m.direction, m.source, m.target, m.weight, v})
			c.metrics = append(c.metrics, m)
			if m.source == "service_records" {
				c.recordCodes = append(c.recordCodes, m.code)
			}
			cms = append(cms, contract.Metric{ContractID: id, Code: m.code, NameZh: m.zh, NameEn: m.en, Unit: m.unit, Direction: m.direction,
				Source: m.source, Target: m.target, Weight: m.weight, Commitment: ptr(v)})
		}
		if len(c.recordCodes) == 0 {
			for _, m := range c.metrics {
				c.recordCodes = append(c.recordCodes, m.code)
			}
		}
		var communities []map[string]any
		for _, ci := range c.comms {
			pop := w.comms[ci].households * 5 / 2
			comms = append(comms, []any{id, w.comms[ci].id, pop})
			communities = append(communities, map[string]any{"community_id": w.comms[ci].id, "eligible_population": pop})
		}
		if c.amounts, err = contract.MilestoneAmounts(money.Fen(c.amount), nil); err != nil {
			return err
		}
		var signedAmount *int64
		if c.status != "draft" {
			signedAmount = &c.amount
			snap := map[string]any{"contract": map[string]any{"id": id, "tender_id": t.id, "bid_id": win.id, "organization_id": o.id,
				"title": t.title(w), "amount_fen": c.amount, "service_start": c.start.Format(time.DateOnly), "service_end": c.end.Format(time.DateOnly),
				"version": 1, "signed_at": c.signed}, "communities": communities, "metrics": cms, "milestones": c.amounts}
			raw, err := json.Marshal(snap)
			if err != nil {
				return err
			}
			versions = append(versions, []any{id, 1, nil, string(raw), c.signed})
			g.post(posting{fund: t.fund, kind: "encumber", refType: "contract", refID: strconv.FormatInt(id, 10), from: "reserved",
				to: "encumbered", amount: c.amount, at: c.signed, by: &s.officer.id})
			g.post(posting{fund: t.fund, kind: "release", refType: "tender", refID: strconv.FormatInt(t.id, 10) + "/remainder", from: "reserved",
				to: "available", amount: t.ceiling - c.amount, at: c.signed})
		}
		rows = append(rows, []any{id, s.id, t.id, win.id, o.id, t.fund, t.title(w), t.cat, c.amount, c.start, c.end, c.status, finalScore,
			t.awarded, latest(t.awarded, c.signed, c.ended), 1, t.awarded.Add(days(30)), officerSigned, s.officer.id, orgSigned, o.admin.id,
			signed, signedAmount, activated, ended, endedBy, endReason})
		if c.status == "draft" {
			rows[len(rows)-1][18], rows[len(rows)-1][20] = nil, nil
		}
		w.contracts = append(w.contracts, c)
	}
	if err := g.copyRows(ctx, "contracts", []string{"id", "subdistrict_id", "tender_id", "bid_id", "organization_id", "fund_account_id", "title",
		"category_code", "amount_fen", "service_start", "service_end", "status", "final_score", "created_at", "updated_at", "version", "sign_by",
		"officer_signed_at", "officer_signed_by", "org_signed_at", "org_signed_by", "signed_at", "signed_amount_fen", "activated_at", "ended_at",
		"ended_by", "end_reason"}, rows); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "contract_communities", []string{"contract_id", "community_id", "eligible_population"}, comms); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "contract_metrics", []string{"contract_id", "code", "name_zh", "name_en", "unit", "direction", "source", "target",
		"weight", "commitment"}, metrics); err != nil {
		return err
	}
	return g.copyRows(ctx, "contract_versions", []string{"contract_id", "version", "amendment_id", "snapshot", "created_at"}, versions)
}

// title is the tender's title as written.
func (t *tenderRow) title(w *world) string {
	return fmt.Sprintf("%s（%d年度）", w.items[t.item].title, t.serviceStart.Year())
}

// evaluations writes the mid-term and final evaluations of the completed
// contracts and the mid-term ones of active contracts past their middle,
// submitted with their figures, each scoring 80 or more (their milestones
// pay in full), and schedules the mid-term evaluation of the other active
// contracts.
func (g *gen) evaluations(ctx context.Context) error {
	w := &g.w
	var rows, figures [][]any
	for i := range w.contracts {
		c := &w.contracts[i]
		t := w.tenders[c.tender]
		s := w.subs[t.sub]
		kinds := []string{"midterm", "final"}
		switch mid := c.start.Add(days(182)); {
		case c.status == "active" && mid.Add(days(5)).Before(g.base):
			kinds = kinds[:1]
		case c.status == "active":
			// The mid-term evaluation ahead, assigned to an evaluator.
			id, err := g.id(ctx, "evaluations")
			if err != nil {
				return err
			}
			ev := w.evaluators[g.r.IntN(len(w.evaluators))]
			created := c.start.Add(days(10))
			rows = append(rows, []any{id, c.id, s.id, "midterm", c.start, mid, mid.Add(days(15)), ev.id, "scheduled", nil, "", "",
				nil, nil, nil, nil, s.officer.id, created, created})
			continue
		case c.status != "completed":
			continue
		}
		for _, kind := range kinds {
			id, err := g.id(ctx, "evaluations")
			if err != nil {
				return err
			}
			periodEnd, share := c.start.Add(days(182)), 0.5
			if kind == "final" {
				periodEnd, share = c.end, 1
			}
			submitted := periodEnd.Add(days(between(g.r, 2, 4)) + 15*time.Hour)
			ev := w.evaluators[g.r.IntN(len(w.evaluators))]
			var sumW, sumWA float64
			for _, m := range c.metrics {
				att := 0.8 + 0.2*g.r.Float64()
				if kind == "final" {
					att = math.Min(1, c.finalScore/100+0.02*g.r.Float64())
				}
				att = math.Round(att*1e6) / 1e6
				used := math.Round(m.target*share*100) / 100
				if m.direction == "lower" {
					used = m.target
				}
				actual := math.Round(used*att*100) / 100
				if m.direction == "lower" && att > 0 {
					actual = math.Round(used/att*100) / 100
				}
				sumW += float64(m.weight)
				sumWA += float64(m.weight) * att
				var enteredBy *int64
				var enteredAt, computedAt *time.Time
				note := ""
				if m.source == "evaluator" {
					enteredBy, enteredAt, note = &ev.id, &submitted, "现场检查记录。"
				} else {
					computedAt = &submitted
				}
				figures = append(figures, []any{id, m.code, m.zh, m.en, m.unit, m.direction, m.source, m.weight, m.target, share, used, actual,
					att, "{}", note, computedAt, enteredBy, enteredAt})
			}
			score := math.Round(1000*sumWA/sumW) / 10
			if kind == "final" {
				c.final, c.finScore, c.finalScore = id, score, score
			} else {
				c.midterm, c.midScore = id, score
			}
			rows = append(rows, []any{id, c.id, s.id, kind, c.start, periodEnd, periodEnd.Add(days(15)), ev.id, "submitted",
				periodEnd.Add(days(1)), "", "评估意见：服务开展规范，指标基本达成。", score, grade(score), submitted, ev.id, s.officer.id,
				periodEnd.Add(-days(20)), submitted})
		}
	}
	if err := g.copyRows(ctx, "evaluations", []string{"id", "contract_id", "subdistrict_id", "kind", "period_start", "period_end", "due_on",
		"evaluator_id", "status", "declared_at", "conflict_statement", "notes", "score", "grade", "submitted_at", "submitted_by", "created_by",
		"created_at", "updated_at"}, rows); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "evaluation_figures", []string{"evaluation_id", "code", "name_zh", "name_en", "unit", "direction", "source",
		"weight", "target", "share", "target_used", "actual", "attainment", "basis", "note", "computed_at", "entered_by", "entered_at"}, figures); err != nil {
		return err
	}
	// The final score of a completed contract is its final evaluation's.
	_, err := g.c.Exec(ctx, `UPDATE contracts c SET final_score = e.score FROM evaluations e
		WHERE e.contract_id = c.id AND e.kind = 'final' AND c.status = 'completed' AND e.status = 'submitted'`)
	return err
}

// grade is DOMAIN.md's grade of a score.
func grade(score float64) string {
	switch {
	case score >= 90:
		return "excellent"
	case score >= 80:
		return "good"
	case score >= 60:
		return "pass"
	}
	return "fail"
}

// hexOf is n random bytes in hex.
func (g *gen) hexOf(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	return hex.EncodeToString(b)
}
