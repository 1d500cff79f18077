// Package portal reads the public portal's figures: the live figures of the
// home page and of each subdistrict (open tenders, active contracts, money
// committed and paid this year, residents' satisfaction), money paid per
// month, the public fund report and the provider directory's figures. Every
// figure is an aggregate of public records, the same for everyone: no
// personal data, no donor, no sealed bid. The queries are aggregate SQL, a
// handful per page.
package portal

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/rating"
)

// Service reads the portal's figures.
type Service struct {
	db     *gorm.DB
	clock  clock.Clock
	funds  *fund.Service
	orgs   *org.Service
	rating config.Rating
}

// NewService returns the portal's reader on db: funds gives the fund reports,
// orgs the directory of certified organizations, and cfg the public minimum
// of ratings and the Bayesian prior weight.
func NewService(db *gorm.DB, c clock.Clock, funds *fund.Service, orgs *org.Service, cfg config.Rating) *Service {
	return &Service{db: db, clock: c, funds: funds, orgs: orgs, rating: cfg}
}

// Satisfaction is residents' satisfaction from their ratings of either kind
// (a comment an officer hid keeps its stars, as everywhere). Below the public
// minimum of ratings only Count and Needed are set.
type Satisfaction struct {
	Count  int64 `json:"count"`
	Needed int64 `json:"needed"`
	// Percent is the share of ratings whose overall is 4 or more, in percent
	// with two decimals ("85.71"); Mean the mean overall stars ("4.32").
	Percent string `json:"percent,omitempty"`
	Mean    string `json:"mean,omitempty"`
}

// Figures are the live figures of the whole portal or of one subdistrict.
type Figures struct {
	// OpenTenders are the published tenders still taking bids now.
	OpenTenders int64 `json:"open_tenders"`
	// ActiveContracts are the contracts in their service period.
	ActiveContracts int64 `json:"active_contracts"`
	// Committed is the value of the contracts signed by both parties this
	// calendar year in China, whatever became of them since; Paid what the
	// payouts confirmed this year paid.
	Committed money.Fen `json:"committed_fen"`
	Paid      money.Fen `json:"paid_fen"`
	// Satisfaction is from the ratings of services in the communities.
	Satisfaction Satisfaction `json:"satisfaction"`

	ratings, sumOverall, satisfied int64
}

// SubdistrictFigures are one subdistrict's figures.
type SubdistrictFigures struct {
	ID         int64  `json:"id"`
	DistrictID int64  `json:"district_id"`
	Code       string `json:"code"`
	NameZh     string `json:"name_zh"`
	NameEn     string `json:"name_en"`
	Figures
}

// Home is the home page's figures: this year's (in China), the whole
// portal's, each subdistrict's, and the money paid in each month of the year.
type Home struct {
	Year          int                  `json:"year"`
	Figures       Figures              `json:"figures"`
	Subdistricts  []SubdistrictFigures `json:"subdistricts"`
	PaidByMonth   [12]money.Fen        `json:"paid_by_month"`
	ThroughMonth  int                  `json:"through_month"` // this month, the last the chart shows
	RatingMinimum int                  `json:"rating_minimum"`
}

// yearBounds returns this year in China, its first instant and the first of
// the next.
func (s *Service) yearBounds() (int, time.Time, time.Time, time.Month) {
	today := civil.ChinaDate(s.clock.Now())
	return today.Year, civil.NewDate(today.Year, time.January, 1).StartInChina(),
		civil.NewDate(today.Year+1, time.January, 1).StartInChina(), today.Month
}

// Home returns the home page's figures.
func (s *Service) Home(ctx context.Context) (Home, error) {
	db := s.db.WithContext(ctx)
	year, _, _, month := s.yearBounds()
	out := Home{Year: year, ThroughMonth: int(month), RatingMinimum: s.rating.PublicMinimum}
	var err error
	if out.Subdistricts, err = s.subdistricts(db, 0); err != nil {
		return Home{}, err
	}
	for _, sd := range out.Subdistricts {
		f := &out.Figures
		f.OpenTenders += sd.OpenTenders
		f.ActiveContracts += sd.ActiveContracts
		f.Committed += sd.Committed
		f.Paid += sd.Paid
		f.ratings += sd.ratings
		f.sumOverall += sd.sumOverall
		f.satisfied += sd.satisfied
	}
	out.Figures.Satisfaction = s.satisfaction(out.Figures.ratings, out.Figures.sumOverall, out.Figures.satisfied)
	if out.PaidByMonth, err = s.paidByMonth(db, 0); err != nil {
		return Home{}, err
	}
	return out, nil
}

// subdistricts returns the figures of every subdistrict (of one, id ≠ 0),
// by district and code.
func (s *Service) subdistricts(db *gorm.DB, id int64) ([]SubdistrictFigures, error) {
	_, from, to, _ := s.yearBounds()
	var rows []struct {
		ID, DistrictID               int64
		Code, NameZh, NameEn         string
		OpenTenders, ActiveContracts int64
		Committed, Paid              money.Fen
		Ratings, SumOverall          int64
		Satisfied                    int64
	}
	q := `SELECT s.id, s.district_id, s.code, s.name_zh, s.name_en,
		(SELECT count(*) FROM tenders t WHERE t.subdistrict_id = s.id AND t.status = 'published' AND t.closes_at > @now) AS open_tenders,
		(SELECT count(*) FROM contracts c WHERE c.subdistrict_id = s.id AND c.status = 'active') AS active_contracts,
		(SELECT coalesce(sum(c.amount_fen), 0) FROM contracts c WHERE c.subdistrict_id = s.id
			AND c.signed_at >= @from AND c.signed_at < @to) AS committed,
		(SELECT coalesce(sum(p.amount_fen), 0) FROM payouts p JOIN fund_accounts f ON f.id = p.fund_account_id
			WHERE f.subdistrict_id = s.id AND p.state = 'paid' AND p.paid_at >= @from AND p.paid_at < @to) AS paid,
		r.ratings, r.sum_overall, r.satisfied
		FROM subdistricts s
		LEFT JOIN LATERAL (SELECT coalesce(sum(a.n), 0) AS ratings, coalesce(sum(a.sum_overall), 0) AS sum_overall,
			coalesce(sum(a.satisfied), 0) AS satisfied FROM rating_aggregates a JOIN communities m ON m.id = a.scope_id
			WHERE a.scope = @community AND m.subdistrict_id = s.id) r ON true
		WHERE @id = 0 OR s.id = @id
		ORDER BY s.district_id, s.code`
	err := db.Raw(q, map[string]any{"now": s.clock.Now(), "from": from, "to": to, "community": rating.ScopeCommunity, "id": id}).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("portal figures of the subdistricts: %w", err)
	}
	out := make([]SubdistrictFigures, len(rows))
	for i, r := range rows {
		out[i] = SubdistrictFigures{ID: r.ID, DistrictID: r.DistrictID, Code: r.Code, NameZh: r.NameZh, NameEn: r.NameEn}
		out[i].Figures = Figures{OpenTenders: r.OpenTenders, ActiveContracts: r.ActiveContracts, Committed: r.Committed, Paid: r.Paid,
			ratings: r.Ratings, sumOverall: r.SumOverall, satisfied: r.Satisfied,
			Satisfaction: s.satisfaction(r.Ratings, r.SumOverall, r.Satisfied)}
	}
	return out, nil
}

// satisfaction shows n ratings with their overall stars' sum and the number
// of satisfied ones, from the public minimum.
func (s *Service) satisfaction(n, sumOverall, satisfied int64) Satisfaction {
	minimum := int64(s.rating.PublicMinimum)
	out := Satisfaction{Count: n}
	if n == 0 || n < minimum {
		out.Needed = max(minimum-n, 1)
		return out
	}
	out.Percent = rating.Display(big.NewRat(satisfied*100, n))
	out.Mean = rating.Display(big.NewRat(sumOverall, n))
	return out
}

// paidByMonth returns what the payouts confirmed in each month of this year
// paid, of one subdistrict's funds (id ≠ 0) or all.
func (s *Service) paidByMonth(db *gorm.DB, id int64) ([12]money.Fen, error) {
	var out [12]money.Fen
	_, from, to, _ := s.yearBounds()
	var rows []struct {
		Month int
		Paid  money.Fen
	}
	// A payout's month is its month in China (UTC+8, no summer time).
	err := db.Raw(`SELECT extract(month FROM (p.paid_at AT TIME ZONE 'UTC') + interval '8 hours')::int AS month, sum(p.amount_fen) AS paid
		FROM payouts p JOIN fund_accounts f ON f.id = p.fund_account_id
		WHERE p.state = 'paid' AND p.paid_at >= @from AND p.paid_at < @to AND (@id = 0 OR f.subdistrict_id = @id)
		GROUP BY 1`, map[string]any{"from": from, "to": to, "id": id}).Scan(&rows).Error
	if err != nil {
		return out, fmt.Errorf("portal money paid per month: %w", err)
	}
	for _, r := range rows {
		if r.Month >= 1 && r.Month <= 12 {
			out[r.Month-1] = r.Paid
		}
	}
	return out, nil
}

// notFound is an unknown subdistrict.
var notFound = apperr.ErrNotFound
