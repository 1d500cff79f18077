package fund

import (
	"context"
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
	switch {
	case by.Role == access.PlatformAdmin:
	case by.Role.ScopeKind() == access.ScopeDistrict:
		q = q.Where("c.subdistrict_id IN (SELECT id FROM subdistricts WHERE district_id = ?)", by.Scope.DistrictID)
	case by.Role.ScopeKind() == access.ScopeSubdistrict:
		q = q.Where("c.subdistrict_id = ?", by.Scope.SubdistrictID)
	default:
		q = q.Where("false")
	}
	rows := []FloorRow{}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, err
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
	var received []struct {
		FundAccountID int64
		Balance       money.Fen
	}
	ids := make([]int64, len(views))
	for i, v := range views {
		ids[i] = v.ID
	}
	if len(ids) > 0 {
		if err := s.db.WithContext(ctx).Table("ledger_accounts").Select("fund_account_id, balance").
			Where("kind = 'source' AND fund_account_id IN ?", ids).Scan(&received).Error; err != nil {
			return nil, err
		}
	}
	recv := map[int64]money.Fen{}
	for _, r := range received {
		recv[r.FundAccountID] = -r.Balance
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
