package evaluation

import (
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

// This file computes the figures whose source is not the evaluator, for the
// evaluation's period, each with a basis the organization can check: the
// period, the rule, the counts it rests on and the pro-rating.
//
// The period is a span of China dates, both ends included. Service records
// count by their service date; ratings by the service date of the record
// rated (the quality of the service delivered in the period, whenever the
// resident rated it before the computation); complaints and service requests
// by when they were received or made, from the first day's midnight to the
// midnight after the last day, China time.

// Period is an evaluation's period in the basis of its figures.
type Period struct {
	From civil.Date `json:"from"`
	To   civil.Date `json:"to"`
}

// ProRating says how a figure's target_used follows from its target.
type ProRating struct {
	Cumulative  bool   `json:"cumulative"`
	PeriodDays  int64  `json:"period_days"`
	ServiceDays int64  `json:"service_days"`
	Share       string `json:"share"`
	Rule        string `json:"rule"`
}

// proRating returns the pro-rating of a figure of e.
func proRating(c contractInfo, e Evaluation, f figureRow) ProRating {
	p := ProRating{Cumulative: Cumulative(f.Source, f.Code), PeriodDays: Days(e.PeriodStart, e.PeriodEnd),
		ServiceDays: Days(c.ServiceStart, c.ServiceEnd), Share: f.Share}
	switch {
	case e.Kind == KindFinal:
		p.Rule = "final evaluation: the whole target (share 1)"
	case p.Cumulative:
		p.Rule = "cumulative: target_used = target × period_days ÷ service_days, rounded half up to 0.01"
	default:
		p.Rule = "a rate, mean or level: compared with the whole target, never pro-rated"
	}
	return p
}

// measured is what a computation found for one figure: the exact actual (nil
// when there is nothing to measure) and the basis.
type measured struct {
	actual *big.Rat
	basis  map[string]any
}

// compute returns rows with the computed figures' actuals and bases as they
// stand at now, from the records of db; it writes nothing. A computed figure
// with nothing to measure (no ratings, no requests, no eligible population)
// keeps the value the evaluator entered for it, if any. Evaluator figures are
// returned as they are, their basis aside.
func compute(db *gorm.DB, c contractInfo, e Evaluation, rows []figureRow, now time.Time) ([]figureRow, error) {
	out := make([]figureRow, len(rows))
	copy(out, rows)
	p := Period{From: e.PeriodStart, To: e.PeriodEnd}
	for i, f := range out {
		basis := map[string]any{"period": p, "pro_rating": proRating(c, e, f)}
		if !f.computed() {
			basis["method"] = "entered by the evaluator"
			out[i].Basis = jsonText(basis)
			continue
		}
		m, err := measure(db, c, p, f, now)
		if err != nil {
			return nil, err
		}
		for k, v := range m.basis {
			basis[k] = v
		}
		at := now
		out[i].ComputedAt = &at
		switch {
		case m.actual != nil:
			a := Fixed(m.actual, 2)
			out[i].Actual, out[i].EnteredBy, out[i].EnteredAt = &a, nil, nil
			basis["measurable"] = true
			basis["exact"] = m.actual.RatString()
		case f.EnteredBy != nil:
			basis["measurable"] = false
			basis["entered_by_evaluator"] = true
		default:
			basis["measurable"] = false
			out[i].Actual = nil
		}
		out[i].Basis = jsonText(basis)
	}
	return out, nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of plain values always marshal
	}
	return string(b)
}

// measure computes one figure by its source.
func measure(db *gorm.DB, c contractInfo, p Period, f figureRow, now time.Time) (measured, error) {
	switch {
	case f.Source == SourceServiceRecords && Coverage(f.Code):
		return coverage(db, c, p)
	case f.Source == SourceServiceRecords:
		return records(db, c, p, f)
	case f.Source == SourceResidentRatings:
		return satisfaction(db, c, p)
	case f.Source == SourceComplaints:
		return complaints(db, c, p)
	case f.Source == SourceServiceRequests:
		return responseTime(db, c, p, now)
	}
	return measured{}, fmt.Errorf("figure %s of contract %d: unknown source %q", f.Code, c.ID, f.Source)
}

// records counts the contract's service records of the figure's service type
// dated in the period: once each, or their duration in hours (or minutes)
// when the metric is measured in time (delivery.CountsDuration).
func records(db *gorm.DB, c contractInfo, p Period, f figureRow) (measured, error) {
	var agg struct {
		N       int64
		Minutes int64
	}
	if err := db.Raw(`SELECT count(*) AS n, coalesce(sum(duration_minutes), 0) AS minutes FROM service_records
		WHERE contract_id = ? AND service_type = ? AND service_date BETWEEN ? AND ?`, c.ID, f.Code, p.From, p.To).Scan(&agg).Error; err != nil {
		return measured{}, fmt.Errorf("count records of contract %d: %w", c.ID, err)
	}
	m := measured{basis: map[string]any{"service_type": f.Code, "records": agg.N, "duration_minutes": agg.Minutes}}
	switch {
	case !delivery.CountsDuration(f.Unit):
		m.actual = big.NewRat(agg.N, 1)
		m.basis["method"] = "the number of the contract's service records of this service type dated in the period"
	case f.Unit == "分钟":
		m.actual = big.NewRat(agg.Minutes, 1)
		m.basis["method"] = "the minutes of the contract's service records of this service type dated in the period"
	default:
		m.actual = big.NewRat(agg.Minutes, 60)
		m.basis["method"] = "the hours (duration_minutes ÷ 60) of the contract's service records of this service type dated in the period"
	}
	return m, nil
}

// coverage is the distinct beneficiaries served in the period over the
// eligible population of the contract's communities, in percent. A community
// without an eligible population counts in neither; with none at all there
// is nothing to measure.
func coverage(db *gorm.DB, c contractInfo, p Period) (measured, error) {
	var rows []struct {
		CommunityID        int64  `json:"community_id"`
		Name               string `json:"name"`
		EligiblePopulation *int64 `json:"eligible_population"`
		Beneficiaries      int64  `json:"beneficiaries"`
	}
	if err := db.Raw(`SELECT cc.community_id, m.name_zh AS name, cc.eligible_population,
		(SELECT count(DISTINCT r.beneficiary_ref) FROM service_records r WHERE r.contract_id = cc.contract_id
			AND r.community_id = cc.community_id AND r.service_date BETWEEN ? AND ?) AS beneficiaries
		FROM contract_communities cc JOIN communities m ON m.id = cc.community_id WHERE cc.contract_id = ? ORDER BY cc.community_id`,
		p.From, p.To, c.ID).Scan(&rows).Error; err != nil {
		return measured{}, fmt.Errorf("coverage of contract %d: %w", c.ID, err)
	}
	var distinct, population int64
	if err := db.Raw(`SELECT count(DISTINCT beneficiary_ref) FROM service_records WHERE contract_id = ? AND service_date BETWEEN ? AND ?
		AND community_id IN (SELECT community_id FROM contract_communities WHERE contract_id = ? AND eligible_population IS NOT NULL)`,
		c.ID, p.From, p.To, c.ID).Scan(&distinct).Error; err != nil {
		return measured{}, fmt.Errorf("beneficiaries of contract %d: %w", c.ID, err)
	}
	for _, r := range rows {
		if r.EligiblePopulation != nil {
			population += *r.EligiblePopulation
		}
	}
	m := measured{basis: map[string]any{
		"method":              "distinct beneficiary references of the contract's service records dated in the period ÷ the eligible population of its communities × 100",
		"beneficiaries":       distinct,
		"eligible_population": population,
		"communities":         rows,
	}}
	if population > 0 {
		m.actual = big.NewRat(distinct*100, population)
	}
	return m, nil
}

// satisfaction is the share of the ratings of the contract's records dated in
// the period whose overall is 4 stars or more, in percent: residents'
// self-service ratings and officers' follow-up calls alike.
func satisfaction(db *gorm.DB, c contractInfo, p Period) (measured, error) {
	var rows []struct {
		Kind      string
		N         int64
		Satisfied int64
	}
	if err := db.Raw(`SELECT r.kind, count(*) AS n, count(*) FILTER (WHERE r.overall >= 4) AS satisfied
		FROM ratings r JOIN service_records s ON s.id = r.record_id
		WHERE r.contract_id = ? AND s.service_date BETWEEN ? AND ? GROUP BY r.kind`, c.ID, p.From, p.To).Scan(&rows).Error; err != nil {
		return measured{}, fmt.Errorf("ratings of contract %d: %w", c.ID, err)
	}
	kinds := map[string]map[string]int64{"code": {"ratings": 0, "satisfied": 0}, "follow_up": {"ratings": 0, "satisfied": 0}}
	var n, satisfied int64
	for _, r := range rows {
		kinds[r.Kind] = map[string]int64{"ratings": r.N, "satisfied": r.Satisfied}
		n += r.N
		satisfied += r.Satisfied
	}
	m := measured{basis: map[string]any{
		"method":    "ratings with overall ≥ 4 stars ÷ all ratings × 100, of the contract's service records dated in the period; residents' rating codes (code) and officers' follow-up calls (follow_up) alike",
		"ratings":   n,
		"satisfied": satisfied,
		"by_kind":   kinds,
	}}
	if n > 0 {
		m.actual = big.NewRat(satisfied*100, n)
	}
	return m, nil
}

// complaints counts the complaints about the contract received in the period
// and decided upheld (complaint.UpheldCount); those not upheld or not yet
// decided are shown beside it.
func complaints(db *gorm.DB, c contractInfo, p Period) (measured, error) {
	from, to := p.From.StartInChina(), p.To.AddDays(1).StartInChina()
	upheld, err := complaint.UpheldCount(db, c.ID, from, to)
	if err != nil {
		return measured{}, err
	}
	var other struct{ NotUpheld, Undecided int64 }
	if err := db.Raw(`SELECT count(*) FILTER (WHERE outcome = ?) AS not_upheld, count(*) FILTER (WHERE outcome IS NULL) AS undecided
		FROM complaints WHERE contract_id = ? AND received_at >= ? AND received_at < ?`, complaint.NotUpheld, c.ID, from, to).Scan(&other).Error; err != nil {
		return measured{}, fmt.Errorf("complaints of contract %d: %w", c.ID, err)
	}
	return measured{actual: big.NewRat(upheld, 1), basis: map[string]any{
		"method":     "complaints about the contract received in the period and decided upheld",
		"upheld":     upheld,
		"not_upheld": other.NotUpheld,
		"undecided":  other.Undecided,
	}}, nil
}

// responseTime is the mean hours from a resident's request to the
// organization's acceptance, over the requests to the contract made in the
// period: an accepted request counts its wait until acceptance; one still
// unanswered counts the wait so far, until the computation (not answering
// is no way to a better figure); a declined one is an answer but no service
// and counts in neither (the demand report shows it).
func responseTime(db *gorm.DB, c contractInfo, p Period, now time.Time) (measured, error) {
	w, err := servicerequest.ResponseWaits(db, c.ID, p.From.StartInChina(), p.To.AddDays(1).StartInChina())
	if err != nil {
		return measured{}, err
	}
	var sum time.Duration
	for _, d := range w.Accepted {
		sum += d
	}
	var waiting time.Duration
	for _, at := range w.Unanswered {
		if now.After(at) {
			waiting += now.Sub(at)
		}
	}
	n := int64(len(w.Accepted) + len(w.Unanswered))
	m := measured{basis: map[string]any{
		"method":           "mean hours from request to acceptance of the requests to the contract made in the period; an unanswered request counts its wait until the computation (as_of); declined requests count in neither",
		"accepted":         len(w.Accepted),
		"accepted_hours":   Fixed(hours(sum), 2),
		"unanswered":       len(w.Unanswered),
		"unanswered_hours": Fixed(hours(waiting), 2),
		"declined":         w.Declined,
		"as_of":            now.UTC(),
	}}
	if n > 0 {
		m.actual = new(big.Rat).Quo(hours(sum+waiting), big.NewRat(n, 1))
	}
	return m, nil
}

// hours is d in hours, exactly.
func hours(d time.Duration) *big.Rat { return big.NewRat(int64(d), int64(time.Hour)) }
