package redflag

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Detail holds the numbers behind a flag; each kind fills its own fields.
type Detail struct {
	// single_bid
	OpenedBids *int `json:"opened_bids,omitempty"`
	ValidBids  *int `json:"valid_bids,omitempty"`
	// short_window
	WindowDays     *float64 `json:"window_days,omitempty"`
	MinimumDays    *int     `json:"minimum_days,omitempty"`
	PurchaseMethod string   `json:"purchase_method,omitempty"`
	Justification  string   `json:"justification,omitempty"`
	// repeat_winner
	AwardedFen            *money.Fen `json:"awarded_fen,omitempty"`
	SubdistrictAwardedFen *money.Fen `json:"subdistrict_awarded_fen,omitempty"`
	SharePercent          *float64   `json:"share_percent,omitempty"`
	Awards                *int       `json:"awards,omitempty"`
	SubdistrictAwards     *int       `json:"subdistrict_awards,omitempty"`
	Since                 *time.Time `json:"since,omitempty"`
	// repeat_winner and contract_amended_over_10
	ThresholdPercent *int `json:"threshold_percent,omitempty"`
	// abnormally_low
	PriceFen        *money.Fen `json:"price_fen,omitempty"`
	MeanOfOthersFen *money.Fen `json:"mean_of_others_fen,omitempty"`
	OtherBids       *int       `json:"other_bids,omitempty"`
	Reasons         []string   `json:"reasons,omitempty"`
	// amended_after_bids (and contract_amended_over_10: accepted amendments)
	FirstBidAt       *time.Time `json:"first_bid_at,omitempty"`
	FirstAmendmentAt *time.Time `json:"first_amendment_at,omitempty"`
	Amendments       *int       `json:"amendments,omitempty"`
	// contract_amended_over_10
	SignedFen   *money.Fen `json:"signed_fen,omitempty"`
	AmountFen   *money.Fen `json:"amount_fen,omitempty"`
	RisePercent *float64   `json:"rise_percent,omitempty"`
	// overdue_complaints
	Complaints           *int `json:"complaints,omitempty"`
	FirstResponseOverdue *int `json:"first_response_overdue,omitempty"`
	DecisionOverdue      *int `json:"decision_overdue,omitempty"`
	// withheld_payments
	WithheldRounds *int       `json:"withheld_rounds,omitempty"`
	ReducedRounds  *int       `json:"reduced_rounds,omitempty"`
	MilestoneFen   *money.Fen `json:"milestone_fen,omitempty"`
	PayableFen     *money.Fen `json:"payable_fen,omitempty"`
	LowestScore    *float64   `json:"lowest_score,omitempty"`
}

// Flag is one stored red flag, with the names it refers to and its
// explanation in both languages.
type Flag struct {
	ID                int64     `json:"id"`
	Kind              string    `json:"kind"`
	SubdistrictID     int64     `json:"subdistrict_id"`
	SubdistrictNameZh string    `json:"subdistrict_name_zh"`
	SubdistrictNameEn string    `json:"subdistrict_name_en"`
	TenderID          *int64    `json:"tender_id"`
	TenderTitle       string    `json:"tender_title,omitempty"`
	ContractID        *int64    `json:"contract_id"`
	OrganizationID    *int64    `json:"organization_id"`
	OrganizationName  string    `json:"organization_name,omitempty"`
	Detail            Detail    `json:"detail" gorm:"serializer:json"`
	ComputedAt        time.Time `json:"computed_at"`
	ExplanationZh     string    `json:"explanation_zh" gorm:"-"`
	ExplanationEn     string    `json:"explanation_en" gorm:"-"`
}

// Filter narrows the public list.
type Filter struct {
	SubdistrictID int64
	Kind          string
	Page          int
	PerPage       int
}

// Page is one page of flags, with the run that computed them (nil before
// the first run).
type Page struct {
	Items   []Flag `json:"items"`
	Total   int    `json:"total"`
	Page    int    `json:"page"`
	PerPage int    `json:"per_page"`
	LastRun *Run   `json:"last_run"`
}

// ErrUnknownKind is returned for a kind filter that names no kind.
var ErrUnknownKind = apperr.InvalidField("kind", "must be a red-flag kind")

// CheckKind returns ErrUnknownKind unless kind is empty or one of Kinds.
func CheckKind(kind string) error {
	if kind != "" && !slices.Contains(Kinds, kind) {
		return ErrUnknownKind
	}
	return nil
}

func (s *Service) query(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table("red_flags f").
		Select(`f.id, f.kind, f.subdistrict_id, s.name_zh AS subdistrict_name_zh, s.name_en AS subdistrict_name_en,
			f.tender_id, coalesce(t.title, '') AS tender_title, f.contract_id, f.organization_id,
			coalesce(o.legal_name, '') AS organization_name, f.detail, f.computed_at`).
		Joins("JOIN subdistricts s ON s.id = f.subdistrict_id").
		Joins("LEFT JOIN tenders t ON t.id = f.tender_id").
		Joins("LEFT JOIN organizations o ON o.id = f.organization_id")
}

func (s *Service) find(q *gorm.DB) ([]Flag, error) {
	var out []Flag
	if err := q.Order("f.subdistrict_id, f.tender_id NULLS FIRST, f.contract_id NULLS FIRST, f.kind, f.id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read red flags: %w", err)
	}
	for i := range out {
		out[i].ExplanationZh, out[i].ExplanationEn = Explain(out[i])
	}
	if out == nil {
		out = []Flag{}
	}
	return out, nil
}

// List returns one page of the stored flags, filtered by subdistrict and
// kind; red flags are public. It returns ErrUnknownKind for a bad kind.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	if err := CheckKind(f.Kind); err != nil {
		return Page{}, err
	}
	if f.Page < 1 {
		f.Page = 1
	}
	if f.PerPage < 1 || f.PerPage > 100 {
		f.PerPage = 50
	}
	where := func(q *gorm.DB) *gorm.DB {
		if f.SubdistrictID != 0 {
			q = q.Where("f.subdistrict_id = ?", f.SubdistrictID)
		}
		if f.Kind != "" {
			q = q.Where("f.kind = ?", f.Kind)
		}
		return q
	}
	var total int64
	if err := where(s.db.WithContext(ctx).Table("red_flags f")).Count(&total).Error; err != nil {
		return Page{}, fmt.Errorf("count red flags: %w", err)
	}
	items, err := s.find(where(s.query(ctx)).Offset((f.Page - 1) * f.PerPage).Limit(f.PerPage))
	if err != nil {
		return Page{}, err
	}
	last, err := s.LastRun(ctx)
	if err != nil {
		return Page{}, err
	}
	return Page{Items: items, Total: int(total), Page: f.Page, PerPage: f.PerPage, LastRun: last}, nil
}

// OfTender returns the flags of tender id (those of its contracts included);
// the caller has checked that the reader may see the tender.
func (s *Service) OfTender(ctx context.Context, id int64) ([]Flag, error) {
	return s.find(s.query(ctx).Where("f.tender_id = ?", id))
}

// OfContract returns the flags of contract id; the caller has checked that
// the reader may see the contract.
func (s *Service) OfContract(ctx context.Context, id int64) ([]Flag, error) {
	return s.find(s.query(ctx).Where("f.contract_id = ?", id))
}

// ParseFilter reads the list's filter from query parameters: subdistrict (an
// id), kind (one of Kinds), page (from 1) and per_page (1 to 100), each
// optional. It returns an apperr Invalid error naming every bad one.
func ParseFilter(query func(key string) string) (Filter, error) {
	var f Filter
	var bad apperr.Fields
	whole := func(name string, max int64) int64 {
		v := query(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > max {
			bad.Add(name, fmt.Sprintf("must be a whole number from 1 to %d", max))
			return 0
		}
		return n
	}
	f.SubdistrictID = whole("subdistrict", math.MaxInt64)
	f.Page = int(whole("page", 100000))
	f.PerPage = int(whole("per_page", 100))
	f.Kind = query("kind")
	if CheckKind(f.Kind) != nil {
		bad.Add("kind", "must be a red-flag kind: "+strings.Join(Kinds, ", "))
	}
	return f, bad.Err()
}
