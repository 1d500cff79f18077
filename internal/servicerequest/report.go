package servicerequest

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// ResponseTimes are a contract's requests made in a period: the hours from
// request to acceptance of each accepted one (accepted, fulfilled, in request
// order), and how many were declined or are still unanswered.
type ResponseTimes struct {
	Hours      []float64
	Declined   int
	Unanswered int
}

// ResponseHours returns the response times of contractID's requests made from
// from (included) to to (excluded), inside tx: the measure of the contract's
// response_time metric, in hours for display (ResponseWaits has them exact).
func ResponseHours(tx *gorm.DB, contractID int64, from, to time.Time) (ResponseTimes, error) {
	w, err := ResponseWaits(tx, contractID, from, to)
	if err != nil {
		return ResponseTimes{}, err
	}
	out := ResponseTimes{Hours: make([]float64, len(w.Accepted)), Declined: w.Declined, Unanswered: len(w.Unanswered)}
	for i, d := range w.Accepted {
		out.Hours[i] = d.Hours()
	}
	return out, nil
}

// Waits are a contract's requests made in a period, exactly: the time from
// request to acceptance of each accepted one (accepted, fulfilled, in request
// order), how many were declined, and when each request still unanswered was
// made.
type Waits struct {
	Accepted   []time.Duration
	Declined   int
	Unanswered []time.Time
}

// ResponseWaits returns the waits of contractID's requests made from from
// (included) to to (excluded), inside tx.
func ResponseWaits(tx *gorm.DB, contractID int64, from, to time.Time) (Waits, error) {
	var rows []struct {
		Status      string
		RequestedAt time.Time
		AcceptedAt  *time.Time
	}
	if err := tx.Table("service_requests").Select("status, requested_at, accepted_at").
		Where("contract_id = ? AND requested_at >= ? AND requested_at < ?", contractID, from, to).
		Order("requested_at, id").Scan(&rows).Error; err != nil {
		return Waits{}, fmt.Errorf("read contract %d response times: %w", contractID, err)
	}
	out := Waits{Accepted: []time.Duration{}, Unanswered: []time.Time{}}
	for _, r := range rows {
		switch {
		case r.AcceptedAt != nil:
			out.Accepted = append(out.Accepted, r.AcceptedAt.Sub(r.RequestedAt))
		case r.Status == StatusDeclined:
			out.Declined++
		default:
			out.Unanswered = append(out.Unanswered, r.RequestedAt)
		}
	}
	return out, nil
}

// DemandFilter selects the requests of a demand report by the China date they
// were made on: From to Until, both included, zero for no bound.
type DemandFilter struct {
	From, Until civil.Date
}

// DemandRow is the unmet requests of one category in one community: declined,
// overdue (still unanswered past the configured hours) and unmatched (a need
// no contract covers). Total is their sum. An unmet need without a category
// has CategoryCode "".
type DemandRow struct {
	CategoryCode  string `json:"category_code"`
	CommunityID   int64  `json:"community_id"`
	CommunityName string `json:"community_name"`
	SubdistrictID int64  `json:"subdistrict_id"`
	Declined      int    `json:"declined"`
	Overdue       int    `json:"overdue"`
	Unmatched     int    `json:"unmatched"`
	Total         int    `json:"total"`
}

// Demand is the demand report.
type Demand struct {
	OverdueHours int         `json:"overdue_hours"`
	AsOf         time.Time   `json:"as_of"`
	Rows         []DemandRow `json:"rows"`
}

// Demand returns the unmet requests grouped by category and community, by
// category then community id, for DemandReaders (others
// apperr.ErrForbidden): an officer's subdistrict, a district admin's
// district, every subdistrict for a platform admin. A request is unmet when
// declined, when it names no contract, or when it is still requested after
// the overdue hours; accepted and fulfilled requests are met.
func (s *Service) Demand(ctx context.Context, by access.Actor, f DemandFilter) (Demand, error) {
	if !by.Is(DemandReaders...) {
		return Demand{}, apperr.ErrForbidden
	}
	now := s.clock.Now()
	cond, args := by.Subdistricts().Where("r.subdistrict_id")
	q := s.db.WithContext(ctx).Table("service_requests r").Joins("JOIN communities m ON m.id = r.community_id").
		Select(`COALESCE(r.category_code, '') AS category_code, r.community_id, m.name_zh AS community_name, r.subdistrict_id,
			count(*) FILTER (WHERE r.status = 'declined') AS declined,
			count(*) FILTER (WHERE r.contract_id IS NOT NULL AND r.status = 'requested' AND r.requested_at <= ?) AS overdue,
			count(*) FILTER (WHERE r.contract_id IS NULL) AS unmatched`, now.Add(-s.overdue)).
		Where(cond, args...).
		Where(`r.status = 'declined' OR r.contract_id IS NULL OR (r.status = 'requested' AND r.requested_at <= ?)`, now.Add(-s.overdue))
	if !f.From.IsZero() {
		q = q.Where("r.requested_at >= ?", f.From.StartInChina())
	}
	if !f.Until.IsZero() {
		q = q.Where("r.requested_at < ?", f.Until.AddDays(1).StartInChina())
	}
	d := Demand{OverdueHours: int(s.overdue / time.Hour), AsOf: now, Rows: []DemandRow{}}
	if err := q.Group("COALESCE(r.category_code, ''), r.community_id, m.name_zh, r.subdistrict_id").
		Order("category_code, r.community_id").Scan(&d.Rows).Error; err != nil {
		return Demand{}, fmt.Errorf("demand report: %w", err)
	}
	for i := range d.Rows {
		d.Rows[i].Total = d.Rows[i].Declined + d.Rows[i].Overdue + d.Rows[i].Unmatched
	}
	return d, nil
}
