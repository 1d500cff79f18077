package fund

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/money"
)

// FundingFloor is the least a community of h households should receive in a
// year: under 1,000 households 10,000.00 yuan, 1,000 to 2,000 30,000.00, over
// 2,000 40,000.00.
func FundingFloor(households int) money.Fen {
	switch {
	case households < 1000:
		return 1_000_000
	case households <= 2000:
		return 3_000_000
	default:
		return 4_000_000
	}
}

// FloorRow is one community in the funding-floor report.
type FloorRow struct {
	CommunityID   int64     `json:"community_id"`
	SubdistrictID int64     `json:"subdistrict_id"`
	Code          string    `json:"code"`
	NameZh        string    `json:"name_zh"`
	NameEn        string    `json:"name_en"`
	Households    int       `json:"households"`
	Floor         money.Fen `json:"floor_fen"`
	Allocated     money.Fen `json:"allocated_fen"`
	BelowFloor    bool      `json:"below_floor"`
}

// FloorReport compares each community in by's scope with its funding floor.
// A community's yearly allocation is, for now, its share of the published
// transfer items that serve it: each item's indicative annual amount (quantity
// × unit price) divided equally among its communities. Rows below their floor
// come first.
func (s *Service) FloorReport(ctx context.Context, by access.Actor) ([]FloorRow, error) {
	q := s.db.WithContext(ctx).Table("communities c").Select(`c.id AS community_id, c.subdistrict_id, c.code, c.name_zh, c.name_en, c.households,
		floor(coalesce(sum(share.amount), 0))::bigint AS allocated`).
		Joins(`LEFT JOIN (
			SELECT tc.community_id, (v.annual_quantity::numeric * v.unit_price_fen / n.cnt) AS amount
			FROM transfer_items i
			JOIN transfer_item_versions v ON v.item_id = i.id AND v.version = i.published_version AND i.status = 'published'
			JOIN transfer_item_communities tc ON tc.item_id = v.item_id AND tc.version = v.version
			JOIN (SELECT item_id, version, count(*) AS cnt FROM transfer_item_communities GROUP BY item_id, version) n
			  ON n.item_id = v.item_id AND n.version = v.version
		) share ON share.community_id = c.id`).
		Group("c.id").Order("c.code")
	cond, args := by.Subdistricts().Where("c.subdistrict_id")
	q = q.Where(cond, args...)
	rows := []FloorRow{}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("funding floor report: %w", err)
	}
	for i := range rows {
		rows[i].Floor = FundingFloor(rows[i].Households)
		rows[i].BelowFloor = rows[i].Allocated < rows[i].Floor
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].BelowFloor && !rows[j].BelowFloor })
	return rows, nil
}

// UtilisationRow sums the balances of a subdistrict's fund accounts of one
// source and fiscal year.
type UtilisationRow struct {
	SubdistrictID int64                `json:"subdistrict_id"`
	FiscalYear    int                  `json:"fiscal_year"`
	Source        string               `json:"source"`
	Categories    []string             `json:"categories"`
	Received      money.Fen            `json:"received_fen"`
	Balances      map[string]money.Fen `json:"balances"`
}

// Utilisation reports, per subdistrict, fiscal year and source, how much came
// in and where it stands (available, reserved, encumbered, payable, paid),
// with the categories those accounts are earmarked to.
func (s *Service) Utilisation(ctx context.Context, by access.Actor) ([]UtilisationRow, error) {
	views, err := s.List(ctx, by)
	if err != nil {
		return nil, err
	}
	type key struct {
		sub    int64
		year   int
		source string
	}
	rows := map[key]*UtilisationRow{}
	var order []key
	recv, err := s.received(ctx, views)
	if err != nil {
		return nil, err
	}
	for _, v := range views {
		k := key{v.SubdistrictID, v.FiscalYear, v.Source}
		r, ok := rows[k]
		if !ok {
			r = &UtilisationRow{SubdistrictID: k.sub, FiscalYear: k.year, Source: k.source, Categories: []string{}, Balances: map[string]money.Fen{}}
			rows[k] = r
			order = append(order, k)
		}
		r.Received += recv[v.ID]
		for kind, b := range v.Balances {
			r.Balances[kind] += b
		}
		for _, c := range v.Categories {
			if !slices.Contains(r.Categories, c) {
				r.Categories = append(r.Categories, c)
			}
		}
	}
	out := make([]UtilisationRow, 0, len(order))
	for _, k := range order {
		sort.Strings(rows[k].Categories)
		out = append(out, *rows[k])
	}
	return out, nil
}

// CategoryRow sums, for one subdistrict, fiscal year and service category, the
// fund accounts earmarked to that category. An account earmarked to several
// categories counts under each of them, and the row says so (Shared): the
// ledger records which fund pays, not which category a movement was for.
type CategoryRow struct {
	SubdistrictID int64                `json:"subdistrict_id"`
	FiscalYear    int                  `json:"fiscal_year"`
	Category      string               `json:"category"`
	Accounts      int                  `json:"accounts"`
	Shared        bool                 `json:"shared"`
	Received      money.Fen            `json:"received_fen"`
	Balances      map[string]money.Fen `json:"balances"`
}

// UtilisationByCategory reports the money of the fund accounts earmarked to
// each category, per subdistrict and fiscal year, within by's scope.
func (s *Service) UtilisationByCategory(ctx context.Context, by access.Actor) ([]CategoryRow, error) {
	views, err := s.List(ctx, by)
	if err != nil {
		return nil, err
	}
	received, err := s.received(ctx, views)
	if err != nil {
		return nil, err
	}
	type key struct {
		sub      int64
		year     int
		category string
	}
	rows := map[key]*CategoryRow{}
	var keys []key
	for _, v := range views {
		for _, c := range v.Categories {
			k := key{v.SubdistrictID, v.FiscalYear, c}
			r, ok := rows[k]
			if !ok {
				r = &CategoryRow{SubdistrictID: k.sub, FiscalYear: k.year, Category: c, Balances: map[string]money.Fen{}}
				rows[k] = r
				keys = append(keys, k)
			}
			r.Accounts++
			r.Shared = r.Shared || len(v.Categories) > 1
			r.Received += received[v.ID]
			for kind, b := range v.Balances {
				r.Balances[kind] += b
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.sub != b.sub {
			return a.sub < b.sub
		}
		if a.year != b.year {
			return a.year > b.year
		}
		return a.category < b.category
	})
	out := make([]CategoryRow, 0, len(keys))
	for _, k := range keys {
		out = append(out, *rows[k])
	}
	return out, nil
}

// received returns, per fund account, what came in: the negated source balance.
func (s *Service) received(ctx context.Context, views []View) (map[int64]money.Fen, error) {
	out := map[int64]money.Fen{}
	if len(views) == 0 {
		return out, nil
	}
	ids := make([]int64, len(views))
	for i, v := range views {
		ids[i] = v.ID
	}
	var rows []struct {
		FundAccountID int64
		Balance       money.Fen
	}
	if err := s.db.WithContext(ctx).Table("ledger_accounts").Select("fund_account_id, balance").
		Where("kind = 'source' AND fund_account_id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read what came into the fund accounts: %w", err)
	}
	for _, r := range rows {
		out[r.FundAccountID] = -r.Balance
	}
	return out, nil
}
