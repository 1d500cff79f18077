// Package export holds the open-data CSV exports: the queries behind the
// tenders, awards, contracts and payouts files, each read row by row and handed to the
// caller as it is read, never gathered in memory. Only public data is
// exported: tenders once published (never a bid), awards once proposed (the
// winners' opened prices), contracts once signed; no personal data. The
// payouts file is not public: each reader gets the payouts it may read.
package export

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
)

// Filter narrows an export: to one subdistrict, to the China days from From
// to Until (both included, by the file's date column), to one status. Zero
// fields do not narrow.
type Filter struct {
	Subdistrict int64
	From, Until civil.Date
	Status      string
}

// TenderStatuses are the states a published tender can be in, the status
// filter of the tenders file.
var TenderStatuses = []string{"published", "closed", "opened", "evaluated", "award_proposed", "awarded", "cancelled", "failed"}

// ContractStatuses are the states a signed contract can be in, the status
// filter of the contracts file.
var ContractStatuses = []string{"signed", "active", "completed", "terminated"}

// ParseFilter reads a filter from its query values (subdistrict: an id;
// from, until: YYYY-MM-DD; status: one of statuses), adding each bad one to
// bad.
func ParseFilter(bad *apperr.Fields, subdistrict, from, until, status string, statuses []string) Filter {
	var f Filter
	if subdistrict = strings.TrimSpace(subdistrict); subdistrict != "" {
		id, err := strconv.ParseInt(subdistrict, 10, 64)
		bad.Check(err == nil && id > 0, "subdistrict", "must be a subdistrict id")
		f.Subdistrict = id
	}
	date := func(field, text string) civil.Date {
		if text = strings.TrimSpace(text); text == "" {
			return civil.Date{}
		}
		d, err := civil.ParseDate(text)
		bad.Check(err == nil, field, "must be a date (YYYY-MM-DD)")
		return d
	}
	f.From, f.Until = date("from", from), date("until", until)
	if !f.From.IsZero() && !f.Until.IsZero() && f.Until.Before(f.From) {
		bad.Add("until", "must not be before from")
	}
	if status = strings.TrimSpace(status); status != "" {
		bad.Check(slices.Contains(statuses, status), "status", "must be one of "+strings.Join(statuses, ", "))
		f.Status = status
	}
	return f
}

// Service runs the exports' queries.
type Service struct {
	db *gorm.DB
}

// NewService returns the export service on db.
func NewService(db *gorm.DB) *Service { return &Service{db: db} }

// TenderColumns is the header row of the tenders file.
var TenderColumns = []string{"tender_id", "title", "subdistrict", "category", "purchase_method", "status",
	"ceiling_yuan", "published_at", "closes_at", "opens_at", "awarded_at"}

// Tenders emits a row per published tender matching f (by its publication
// day), in id order: the notice's facts only, never a bid.
func (s *Service) Tenders(ctx context.Context, f Filter, emit func([]string) error) error {
	q := s.db.WithContext(ctx).Table("tenders t").
		Select(`t.id, t.title, sd.name_zh, c.name_zh, t.purchase_method, t.status, t.ceiling_fen,
			t.published_at, t.closes_at, t.opens_at, t.awarded_at`).
		Joins("JOIN subdistricts sd ON sd.id = t.subdistrict_id").
		Joins("JOIN service_categories c ON c.code = t.category_code").
		Where("t.published_at IS NOT NULL")
	q = narrow(q, f, "t.subdistrict_id", "t.status", "t.published_at")
	return each(q.Order("t.id"), func(rows *sql.Rows) ([]string, error) {
		var (
			id                      int64
			title, sub, cat, method string
			status                  string
			ceiling                 money.Fen
			published, closes       time.Time
			opens                   time.Time
			awarded                 sql.NullTime
		)
		if err := rows.Scan(&id, &title, &sub, &cat, &method, &status, &ceiling, &published, &closes, &opens, &awarded); err != nil {
			return nil, err
		}
		return []string{id64(id), title, sub, cat, method, status, ceiling.Yuan(), chinaTime(published),
			chinaTime(closes), chinaTime(opens), nullTime(awarded)}, nil
	}, emit)
}

// AwardStatuses are the states of an award that is public, the status
// filter of the awards file: proposed (in its challenge period) and final.
var AwardStatuses = []string{"proposed", "final"}

// AwardColumns is the header row of the awards file.
var AwardColumns = []string{"award_id", "tender_id", "tender_title", "subdistrict", "category", "status", "organization",
	"amount_yuan", "proposed_at", "challenge_ends_at"}

// Awards emits a row per awarded bid of each proposed or final award matching
// f (by the day it was proposed), in award then bid order: the winner and its
// price, which the opening made public. A withdrawn award is not exported.
func (s *Service) Awards(ctx context.Context, f Filter, emit func([]string) error) error {
	q := s.db.WithContext(ctx).Table("award_proposals a").
		Select(`a.id, t.id, t.title, sd.name_zh, c.name_zh, a.status, o.legal_name, b.price_fen,
			a.proposed_at, a.challenge_ends_at`).
		Joins("JOIN tenders t ON t.id = a.tender_id").
		Joins("JOIN subdistricts sd ON sd.id = t.subdistrict_id").
		Joins("JOIN service_categories c ON c.code = t.category_code").
		Joins("CROSS JOIN LATERAL jsonb_array_elements_text(a.bid_ids) AS w(bid_id)").
		Joins("JOIN bids b ON b.id = w.bid_id::bigint").
		Joins("JOIN organizations o ON o.id = b.organization_id").
		// An award follows the opening; the guard keeps a sealed bid out whatever the data.
		Where("a.status IN ('proposed', 'final') AND t.opened_at IS NOT NULL AND b.opened_at IS NOT NULL")
	q = narrow(q, f, "t.subdistrict_id", "a.status", "a.proposed_at")
	return each(q.Order("a.id, b.id"), func(rows *sql.Rows) ([]string, error) {
		var (
			id, tender                   int64
			title, sub, cat, status, org string
			price                        money.Fen
			proposed, challengeEnds      time.Time
		)
		if err := rows.Scan(&id, &tender, &title, &sub, &cat, &status, &org, &price, &proposed, &challengeEnds); err != nil {
			return nil, err
		}
		return []string{id64(id), id64(tender), title, sub, cat, status, org, price.Yuan(), chinaTime(proposed),
			chinaTime(challengeEnds)}, nil
	}, emit)
}

// PayoutStates are the states of a payout, the status filter of the payouts
// file.
var PayoutStates = []string{"requested", "paid", "failed"}

// PayoutColumns is the header row of the payouts file.
var PayoutColumns = []string{"payout_id", "subdistrict", "fund_account", "organization", "amount_yuan", "provider", "state",
	"reference_type", "reference_id", "requested_at", "paid_at"}

// Payouts emits a row per payout by may read (payout.Scope, as the payout
// list) matching f (by the day it was requested), in id order. It is not
// public: no bank reference or error text is exported.
func (s *Service) Payouts(ctx context.Context, by access.Actor, f Filter, emit func([]string) error) error {
	q := payout.Scope(s.db.WithContext(ctx).Table("payouts"), by).
		Select(`payouts.id, sd.name_zh, fa.name, o.legal_name, payouts.amount_fen, payouts.provider, payouts.state,
			payouts.reference_type, payouts.reference_id, payouts.created_at, payouts.paid_at`).
		Joins("JOIN fund_accounts fa ON fa.id = payouts.fund_account_id").
		Joins("JOIN subdistricts sd ON sd.id = fa.subdistrict_id").
		Joins("JOIN organizations o ON o.id = payouts.organization_id")
	q = narrow(q, f, "fa.subdistrict_id", "payouts.state", "payouts.created_at")
	return each(q.Order("payouts.id"), func(rows *sql.Rows) ([]string, error) {
		var (
			id                              int64
			sub, fund, org, provider, state string
			refType, refID                  string
			amount                          money.Fen
			requested                       time.Time
			paid                            sql.NullTime
		)
		if err := rows.Scan(&id, &sub, &fund, &org, &amount, &provider, &state, &refType, &refID, &requested, &paid); err != nil {
			return nil, err
		}
		return []string{id64(id), sub, fund, org, amount.Yuan(), provider, state, refType, refID, chinaTime(requested),
			nullTime(paid)}, nil
	}, emit)
}

// ContractColumns is the header row of the contracts file.
var ContractColumns = []string{"contract_id", "tender_id", "title", "subdistrict", "category", "organization",
	"amount_yuan", "service_start", "service_end", "status", "final_score"}

// Contracts emits a row per signed contract matching f (by the first day of
// its service), in id order.
func (s *Service) Contracts(ctx context.Context, f Filter, emit func([]string) error) error {
	q := s.db.WithContext(ctx).Table("contracts k").
		Select(`k.id, k.tender_id, k.title, sd.name_zh, c.name_zh, o.legal_name, k.amount_fen,
			k.service_start, k.service_end, k.status, k.final_score::text`).
		Joins("JOIN subdistricts sd ON sd.id = k.subdistrict_id").
		Joins("JOIN service_categories c ON c.code = k.category_code").
		Joins("JOIN organizations o ON o.id = k.organization_id").
		Where("k.status <> 'draft'")
	q = narrow(q, f, "k.subdistrict_id", "k.status", "")
	if !f.From.IsZero() {
		q = q.Where("k.service_start >= ?", f.From.String())
	}
	if !f.Until.IsZero() {
		q = q.Where("k.service_start <= ?", f.Until.String())
	}
	return each(q.Order("k.id"), func(rows *sql.Rows) ([]string, error) {
		var (
			id, tender                 int64
			title, sub, cat, org, stat string
			amount                     money.Fen
			start, end                 time.Time
			score                      sql.NullString
		)
		if err := rows.Scan(&id, &tender, &title, &sub, &cat, &org, &amount, &start, &end, &stat, &score); err != nil {
			return nil, err
		}
		return []string{id64(id), id64(tender), title, sub, cat, org, amount.Yuan(),
			start.Format(time.DateOnly), end.Format(time.DateOnly), stat, score.String}, nil
	}, emit)
}

// narrow applies f's subdistrict and status, and its days to the timestamp
// column at (when at is not empty).
func narrow(q *gorm.DB, f Filter, subdistrict, status, at string) *gorm.DB {
	if f.Subdistrict != 0 {
		q = q.Where(subdistrict+" = ?", f.Subdistrict)
	}
	if f.Status != "" {
		q = q.Where(status+" = ?", f.Status)
	}
	if at != "" && !f.From.IsZero() {
		q = q.Where(at+" >= ?", f.From.StartInChina())
	}
	if at != "" && !f.Until.IsZero() {
		q = q.Where(at+" < ?", f.Until.AddDays(1).StartInChina())
	}
	return q
}

// each runs q and emits each row as scan reads it, one at a time.
func each(q *gorm.DB, scan func(*sql.Rows) ([]string, error), emit func([]string) error) error {
	rows, err := q.Rows()
	if err != nil {
		return fmt.Errorf("export query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		row, err := scan(rows)
		if err != nil {
			return fmt.Errorf("export scan: %w", err)
		}
		if err := emit(row); err != nil {
			return err
		}
	}
	return rows.Err()
}

func id64(id int64) string { return strconv.FormatInt(id, 10) }

// chinaTime writes an instant in China time, to the second.
func chinaTime(t time.Time) string { return t.In(civil.China).Format("2006-01-02 15:04:05") }

func nullTime(t sql.NullTime) string {
	if !t.Valid {
		return ""
	}
	return chinaTime(t.Time)
}
