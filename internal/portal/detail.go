package portal

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/rating"
)

// Subdistricts returns every subdistrict's figures, by district and code.
func (s *Service) Subdistricts(ctx context.Context) ([]SubdistrictFigures, error) {
	return s.subdistricts(s.db.WithContext(ctx), 0)
}

// OpenTender is a tender taking bids, as its public notice lists it.
type OpenTender struct {
	ID           int64     `json:"id"`
	Title        string    `json:"title"`
	CategoryCode string    `json:"category_code"`
	CeilingFen   money.Fen `json:"ceiling_fen"`
	ClosesAt     time.Time `json:"closes_at"`
}

// ActiveContract is a contract in its service period, as its public summary
// lists it.
type ActiveContract struct {
	ID               int64     `json:"id"`
	Title            string    `json:"title"`
	CategoryCode     string    `json:"category_code"`
	OrganizationID   int64     `json:"organization_id"`
	OrganizationName string    `json:"organization_name"`
	AmountFen        money.Fen `json:"amount_fen"`
}

// Subdistrict is a subdistrict's public page: its figures, money paid per
// month this year, its open tenders and active contracts, and the use of its
// fund accounts of this fiscal year by source.
type Subdistrict struct {
	SubdistrictFigures
	Year            int                   `json:"year"`
	PaidByMonth     [12]money.Fen         `json:"paid_by_month"`
	ThroughMonth    int                   `json:"through_month"`
	OpenTenders     []OpenTender          `json:"open_tenders"`
	ActiveContracts []ActiveContract      `json:"active_contracts"`
	Funds           []fund.UtilisationRow `json:"funds"`
}

// Subdistrict returns the subdistrict's public page. An unknown subdistrict
// is apperr.ErrNotFound.
func (s *Service) Subdistrict(ctx context.Context, id int64) (Subdistrict, error) {
	db := s.db.WithContext(ctx)
	figs, err := s.subdistricts(db, id)
	if err != nil {
		return Subdistrict{}, err
	}
	if len(figs) == 0 {
		return Subdistrict{}, notFound
	}
	year, _, _, month := s.yearBounds()
	out := Subdistrict{SubdistrictFigures: figs[0], Year: year, ThroughMonth: int(month), OpenTenders: []OpenTender{},
		ActiveContracts: []ActiveContract{}, Funds: []fund.UtilisationRow{}}
	if out.PaidByMonth, err = s.paidByMonth(db, id); err != nil {
		return Subdistrict{}, err
	}
	if err := db.Raw(`SELECT id, title, category_code, ceiling_fen, closes_at FROM tenders
		WHERE subdistrict_id = ? AND status = 'published' AND closes_at > ? ORDER BY closes_at, id`, id, s.clock.Now()).
		Scan(&out.OpenTenders).Error; err != nil {
		return Subdistrict{}, fmt.Errorf("open tenders of subdistrict %d: %w", id, err)
	}
	if err := db.Raw(`SELECT c.id, c.title, c.category_code, c.organization_id, o.legal_name AS organization_name, c.amount_fen
		FROM contracts c JOIN organizations o ON o.id = c.organization_id
		WHERE c.subdistrict_id = ? AND c.status = 'active' ORDER BY c.id`, id).Scan(&out.ActiveContracts).Error; err != nil {
		return Subdistrict{}, fmt.Errorf("active contracts of subdistrict %d: %w", id, err)
	}
	util, err := s.funds.UtilisationOf(ctx, access.Subdistricts{SubdistrictID: id})
	if err != nil {
		return Subdistrict{}, err
	}
	for _, u := range util {
		if u.FiscalYear == year {
			out.Funds = append(out.Funds, u)
		}
	}
	return out, nil
}

// FundFilter selects the public fund report: one subdistrict (0: all) and one
// fiscal year (0: this year in China).
type FundFilter struct {
	SubdistrictID int64
	Year          int
}

// SourceRow is the money of one fund source in the report: what came in,
// and where it stands by balance kind (available, reserved, encumbered,
// payable, paid).
type SourceRow struct {
	Source   string               `json:"source"`
	Received money.Fen            `json:"received_fen"`
	Balances map[string]money.Fen `json:"balances"`
}

// CategoryRow is the money of the fund accounts earmarked to one category;
// Shared says some of them are earmarked to other categories too (and
// counted there as well).
type CategoryRow struct {
	Category string               `json:"category"`
	Shared   bool                 `json:"shared"`
	Received money.Fen            `json:"received_fen"`
	Balances map[string]money.Fen `json:"balances"`
}

// Funds is the public fund report of one year: money by source and by
// category, and each community against its funding floor.
type Funds struct {
	FundFilter
	// Years are the fiscal years that have fund accounts, newest first, and
	// this year.
	Years      []int           `json:"years"`
	BySource   []SourceRow     `json:"by_source"`
	ByCategory []CategoryRow   `json:"by_category"`
	Floors     []fund.FloorRow `json:"floors"`
	BelowFloor int             `json:"below_floor"`
}

// Funds returns the public fund report f selects: aggregates only, no fund
// account's name, no donor. An unknown subdistrict is apperr.ErrNotFound.
func (s *Service) Funds(ctx context.Context, f FundFilter) (Funds, error) {
	thisYear, _, _, _ := s.yearBounds()
	if f.Year == 0 {
		f.Year = thisYear
	}
	subs := access.Subdistricts{All: true}
	if f.SubdistrictID != 0 {
		var n int64
		if err := s.db.WithContext(ctx).Table("subdistricts").Where("id = ?", f.SubdistrictID).Count(&n).Error; err != nil {
			return Funds{}, fmt.Errorf("find subdistrict %d: %w", f.SubdistrictID, err)
		}
		if n == 0 {
			return Funds{}, notFound
		}
		subs = access.Subdistricts{SubdistrictID: f.SubdistrictID}
	}
	out := Funds{FundFilter: f, BySource: []SourceRow{}, ByCategory: []CategoryRow{}, Floors: []fund.FloorRow{}}
	// The year's figures only: the report's cost does not grow with the
	// years of ledger behind it.
	report, err := s.funds.YearReportOf(ctx, subs, f.Year)
	if err != nil {
		return Funds{}, err
	}
	years := map[int]bool{thisYear: true}
	for _, y := range report.Years {
		years[y] = true
	}
	sources := map[string]*SourceRow{}
	for _, u := range report.Utilisation {
		r, ok := sources[u.Source]
		if !ok {
			r = &SourceRow{Source: u.Source, Balances: map[string]money.Fen{}}
			sources[u.Source] = r
		}
		r.Received += u.Received
		for k, v := range u.Balances {
			r.Balances[k] += v
		}
	}
	for _, src := range fund.Sources {
		if r, ok := sources[src]; ok {
			out.BySource = append(out.BySource, *r)
		}
	}
	for y := range years {
		out.Years = append(out.Years, y)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(out.Years)))

	byCat := map[string]int{}
	for _, c := range report.ByCategory {
		i, ok := byCat[c.Category]
		if !ok {
			i = len(out.ByCategory)
			byCat[c.Category] = i
			out.ByCategory = append(out.ByCategory, CategoryRow{Category: c.Category, Balances: map[string]money.Fen{}})
		}
		r := &out.ByCategory[i]
		r.Shared = r.Shared || c.Shared
		r.Received += c.Received
		for k, v := range c.Balances {
			r.Balances[k] += v
		}
	}
	sort.Slice(out.ByCategory, func(i, j int) bool { return out.ByCategory[i].Category < out.ByCategory[j].Category })

	// A subdistrict without fund accounts has its rows in this year only.
	for _, r := range report.Floors {
		out.Floors = append(out.Floors, r)
		if r.BelowFloor {
			out.BelowFloor++
		}
	}
	return out, nil
}

// ProviderFilter selects the provider directory: organizations certified
// today for a category (""; any) that serve a subdistrict (0: any), a page of
// PerPage.
type ProviderFilter struct {
	Category      string
	SubdistrictID int64
	Page          int
	PerPage       int
}

// Provider is a certified organization in the directory: its public face and
// certifications active today, its completed contracts and its residents'
// rating from the public minimum (the Bayesian average of its overall stars).
type Provider struct {
	org.CapableOrg
	Completed int64  `json:"completed_contracts"`
	Ratings   int64  `json:"ratings"`
	Needed    int64  `json:"needed"`
	Bayesian  string `json:"bayesian_average,omitempty"`
}

// Providers returns a page of the provider directory, ordered by legal name.
// It returns apperr.Invalid naming "page" for an absurd page number.
func (s *Service) Providers(ctx context.Context, f ProviderFilter) (org.Page[Provider], error) {
	page, err := s.orgs.PublicCapable(ctx, org.CapableFilter{Category: f.Category, SubdistrictID: f.SubdistrictID, Page: f.Page, PerPage: f.PerPage})
	if err != nil {
		return org.Page[Provider]{}, err
	}
	out := org.Page[Provider]{Items: make([]Provider, len(page.Items)), Total: page.Total, Page: page.Page, PerPage: page.PerPage}
	if len(page.Items) == 0 {
		return out, nil
	}
	ids := make([]int64, len(page.Items))
	for i, o := range page.Items {
		ids[i] = o.ID
		out.Items[i] = Provider{CapableOrg: o}
	}
	db := s.db.WithContext(ctx)
	// One statement: each organization's figures and, on every row, the
	// platform's ratings, whose mean overall is C (rating.PlatformMean).
	var rows []struct {
		ID          int64
		Completed   int64
		Ratings     int64
		SumOverall  int64
		PlatformN   int64
		PlatformSum int64
	}
	if err := db.Raw(`SELECT o.id,
		(SELECT count(*) FROM contracts c WHERE c.organization_id = o.id AND c.status = 'completed') AS completed,
		(SELECT coalesce(sum(a.n), 0) FROM rating_aggregates a WHERE a.scope = @scope AND a.scope_id = o.id) AS ratings,
		(SELECT coalesce(sum(a.sum_overall), 0) FROM rating_aggregates a WHERE a.scope = @scope AND a.scope_id = o.id) AS sum_overall,
		p.n AS platform_n, p.sum_overall AS platform_sum
		FROM organizations o, (SELECT coalesce(sum(n), 0) AS n, coalesce(sum(sum_overall), 0) AS sum_overall FROM rating_aggregates
			WHERE scope = @platform AND scope_id = 0 AND kind IN @kinds) p
		WHERE o.id IN @ids`, map[string]any{"scope": rating.ScopeOrganization, "ids": ids, "platform": rating.ScopePlatform,
		"kinds": []string{rating.KindCode, rating.KindFollowUp}}).Scan(&rows).Error; err != nil {
		return org.Page[Provider]{}, fmt.Errorf("provider directory figures: %w", err)
	}
	var c *big.Rat // nil without ratings on the platform
	if len(rows) > 0 && rows[0].PlatformN > 0 {
		c = big.NewRat(rows[0].PlatformSum, rows[0].PlatformN)
	}
	index := map[int64]int{}
	for i, id := range ids {
		index[id] = i
	}
	minimum := int64(s.rating.PublicMinimum)
	for _, r := range rows {
		p := &out.Items[index[r.ID]]
		p.Completed, p.Ratings = r.Completed, r.Ratings
		if r.Ratings == 0 || r.Ratings < minimum || c == nil {
			p.Needed = max(minimum-r.Ratings, 1)
			continue
		}
		b, err := rating.BayesianFromSum(s.rating.PriorWeight, c, r.Ratings, r.SumOverall)
		if err != nil {
			return org.Page[Provider]{}, err
		}
		p.Bayesian = rating.Display(b)
	}
	return out, nil
}
