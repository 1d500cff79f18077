package ocds

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// contractsOf reads the tender's signed contracts (a draft is not public
// until both sides sign): their milestones, accepted amendments, agreed
// metrics, paid milestone payments and submitted evaluations' scores. A
// contract without a final award proposal (a row made before awards were
// kept, or a fixture's) gets an award of its own, "contract-" + its id, so
// that its awardID names one; those awards are returned too.
func contractsOf(tx *gorm.DB, tenderID int64, ps *parties, payer orgRef) ([]contractSection, []awardSection, error) {
	var rows []struct {
		ID           int64
		AwardID      *int64
		Title        string
		Status       string
		AmountFen    int64
		ServiceStart time.Time
		ServiceEnd   time.Time
		SignedAt     *time.Time
		CreditCode   string
		LegalName    string
	}
	if err := tx.Raw(`SELECT c.id, (SELECT p.id FROM award_proposals p WHERE p.tender_id = c.tender_id AND p.status = 'final'
			AND p.bid_ids @> jsonb_build_array(c.bid_id) ORDER BY p.id DESC LIMIT 1) AS award_id,
			c.title, c.status, c.amount_fen, c.service_start, c.service_end, c.signed_at, o.credit_code, o.legal_name
		FROM contracts c JOIN organizations o ON o.id = c.organization_id
		WHERE c.tender_id = ? AND c.signed_at IS NOT NULL ORDER BY c.id`, tenderID).Scan(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("contracts of tender %d: %w", tenderID, err)
	}
	var out []contractSection
	var own []awardSection
	for _, c := range rows {
		supplier := ps.add(organization(c.CreditCode, c.LegalName), "supplier")
		start, end := c.ServiceStart.UTC(), c.ServiceEnd.UTC()
		cs := contractSection{ID: strconv.FormatInt(c.ID, 10), Title: c.Title, Status: contractStatus(c.Status),
			Period: period{StartDate: &start, EndDate: &end}, Value: cny(c.AmountFen), DateSigned: utc(c.SignedAt)}
		if c.AwardID != nil {
			cs.AwardID = strconv.FormatInt(*c.AwardID, 10)
		} else {
			cs.AwardID = "contract-" + cs.ID
			own = append(own, awardSection{ID: cs.AwardID, Status: "active", Date: cs.DateSigned.UTC(), Value: cs.Value,
				Suppliers: []orgRef{supplier}})
		}
		var err error
		if cs.Milestones, err = contractMilestones(tx, c.ID); err != nil {
			return nil, nil, err
		}
		if cs.Amendments, err = contractAmendments(tx, c.ID); err != nil {
			return nil, nil, err
		}
		if cs.AgreedMetrics, err = metrics(tx, "contract_metrics", "contract_id", c.ID); err != nil {
			return nil, nil, err
		}
		impl, err := implementationOf(tx, c.ID, payer, supplier, cs.Milestones)
		if err != nil {
			return nil, nil, err
		}
		cs.Implementation = impl
		out = append(out, cs)
	}
	return out, own, nil
}

var milestoneStatus = map[string]string{"pending": "scheduled", "due": "scheduled", "paid": "met"}

// contractMilestones are the payment milestones, their amount and share in
// the description (OCDS 1.1's milestone has no value field).
func contractMilestones(tx *gorm.DB, contractID int64) ([]milestone, error) {
	var rows []struct {
		ID        int64
		Name      string
		Percent   int
		AmountFen int64
		After     string
		Status    string
		DueAt     *time.Time
		PaidAt    *time.Time
	}
	if err := tx.Raw(`SELECT m.id, m.name, m.percent, m.amount_fen, m.after, m.status, m.due_at,
			(SELECT max(p.paid_at) FROM milestone_payments p WHERE p.milestone_id = m.id AND p.state = 'paid') AS paid_at
		FROM contract_milestones m WHERE m.contract_id = ? ORDER BY m.seq`, contractID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("milestones of contract %d: %w", contractID, err)
	}
	var out []milestone
	for _, m := range rows {
		ms := milestone{ID: strconv.FormatInt(m.ID, 10), Title: m.Name, Type: "payment", Status: milestoneStatus[m.Status],
			Description: fmt.Sprintf("%d%% of the contract amount, %s CNY, after %s", m.Percent, amount(m.AmountFen), m.After),
			DueDate:     utc(m.DueAt)}
		if m.Status == "paid" {
			ms.DateMet = utc(m.PaidAt)
		}
		out = append(out, ms)
	}
	return out, nil
}

func contractAmendments(tx *gorm.DB, contractID int64) ([]amendment, error) {
	var rows []struct {
		ID        int64
		Reason    string
		DecidedAt time.Time
	}
	if err := tx.Raw(`SELECT id, reason, decided_at FROM contract_amendments WHERE contract_id = ? AND status = 'accepted' ORDER BY id`,
		contractID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("amendments of contract %d: %w", contractID, err)
	}
	var out []amendment
	for _, a := range rows {
		out = append(out, amendment{ID: strconv.FormatInt(a.ID, 10), Date: a.DecidedAt.UTC(), Rationale: a.Reason})
	}
	return out, nil
}

// implementationOf reads the contract's paid milestone payments (the
// transactions, paid from the fund to the supplier), its paid milestones and
// the scores of its submitted evaluations, with the measured figures; the
// evaluators' notes stay out, and so does the evaluator (the agency or the
// district office is an interested party).
func implementationOf(tx *gorm.DB, contractID int64, payer, payee orgRef, ms []milestone) (*implementation, error) {
	var impl implementation
	var pays []struct {
		ID         int64
		PayableFen int64
		PaidAt     time.Time
	}
	if err := tx.Raw(`SELECT id, payable_fen, paid_at FROM milestone_payments WHERE contract_id = ? AND state = 'paid' ORDER BY paid_at, id`,
		contractID).Scan(&pays).Error; err != nil {
		return nil, fmt.Errorf("payments of contract %d: %w", contractID, err)
	}
	for _, p := range pays {
		impl.Transactions = append(impl.Transactions, transaction{ID: strconv.FormatInt(p.ID, 10), Date: p.PaidAt.UTC(),
			Value: cny(p.PayableFen), Payer: payer, Payee: payee})
	}
	for _, m := range ms {
		if m.Status == "met" {
			impl.Milestones = append(impl.Milestones, milestone{ID: m.ID, Title: m.Title, Type: m.Type, Description: m.Description,
				DateMet: m.DateMet, Status: m.Status})
		}
	}
	var evs []struct {
		ID          int64
		Kind        string
		PeriodStart time.Time
		PeriodEnd   time.Time
		Score       string
		Grade       string
	}
	if err := tx.Raw(`SELECT id, kind, period_start, period_end, score::text AS score, grade FROM evaluations
		WHERE contract_id = ? AND status = 'submitted' ORDER BY submitted_at, id`, contractID).Scan(&evs).Error; err != nil {
		return nil, fmt.Errorf("evaluations of contract %d: %w", contractID, err)
	}
	if len(evs) > 0 {
		score := metric{ID: "evaluation-score", Title: "评估得分 evaluation score",
			Description: "100 × Σ weight·attainment ÷ Σ weight; grade excellent ≥ 90, good ≥ 80, pass ≥ 60, fail < 60"}
		byCode := map[string]int{}
		var figures []metric
		for _, e := range evs {
			ps, pe := e.PeriodStart.UTC(), e.PeriodEnd.UTC()
			p := &period{StartDate: &ps, EndDate: &pe}
			id := "evaluation-" + strconv.FormatInt(e.ID, 10)
			score.Observations = append(score.Observations, observation{ID: id, Period: p, Measure: json.Number(e.Score),
				Unit: &unit{Name: "points"}, Notes: e.Kind + " evaluation, grade " + e.Grade})
			var fs []struct {
				Code, NameZh, NameEn, Unit string
				Actual                     *string
			}
			if err := tx.Raw(`SELECT code, name_zh, name_en, unit, actual::text AS actual FROM evaluation_figures
				WHERE evaluation_id = ? AND actual IS NOT NULL ORDER BY code`, e.ID).Scan(&fs).Error; err != nil {
				return nil, fmt.Errorf("figures of evaluation %d: %w", e.ID, err)
			}
			for _, f := range fs {
				i, ok := byCode[f.Code]
				if !ok {
					i = len(figures)
					byCode[f.Code] = i
					figures = append(figures, metric{ID: f.Code, Title: f.NameZh + " " + f.NameEn})
				}
				figures[i].Observations = append(figures[i].Observations, observation{ID: id + "-" + f.Code, Period: p,
					Measure: json.Number(*f.Actual), Unit: &unit{Name: f.Unit}})
			}
		}
		impl.Metrics = append([]metric{score}, figures...)
	}
	if impl.Transactions == nil && impl.Milestones == nil && impl.Metrics == nil {
		return nil, nil
	}
	return &impl, nil
}
