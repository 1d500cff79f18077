package fund

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
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

// FloorRow is one community in one fiscal year in the funding-floor report.
type FloorRow struct {
	CommunityID   int64     `json:"community_id"`
	SubdistrictID int64     `json:"subdistrict_id"`
	Code          string    `json:"code"`
	NameZh        string    `json:"name_zh"`
	NameEn        string    `json:"name_en"`
	Households    int       `json:"households"`
	FiscalYear    int       `json:"fiscal_year"`
	Floor         money.Fen `json:"floor_fen"`
	// Contracted is the community's share of what the contracts serving it,
	// paid from funds of the fiscal year, hold or held encumbered; Paid its
	// share of what was paid out to them.
	Contracted money.Fen `json:"contracted_fen"`
	Paid       money.Fen `json:"paid_fen"`
	// BelowFloor: less than the floor is contracted.
	BelowFloor bool `json:"below_floor"`
}

// FloorReport compares each community in by's scope, in each fiscal year of
// its subdistrict's fund accounts (this year in China when it has none), with
// its funding floor, in real money from the ledger rather than planned
// amounts:
//   - contracted: for each contract signed by both parties, paid from a fund
//     account of the year, what its signing and amendments encumbered less
//     what returned to available when it ended (Held on the encumbered
//     account, references of type contract): the whole amount while it runs,
//     what it used once it ended;
//   - paid: what the payouts for its milestones paid (PaidOut).
//
// A contract's money is divided equally among the communities it serves, in
// whole fen: the first communities by id get one fen more until the shares
// add up to the whole. Rows are by fiscal year, newest first; within a year
// those below their floor come first, then by community code.
func (s *Service) FloorReport(ctx context.Context, by access.Actor) ([]FloorRow, error) {
	return s.FloorReportOf(ctx, by.Subdistricts())
}

// FloorReportOf is FloorReport for the communities of subs, whoever asks:
// the public portal's report, which holds only aggregate figures.
func (s *Service) FloorReportOf(ctx context.Context, subs access.Subdistricts) ([]FloorRow, error) {
	db := s.db.WithContext(ctx)
	years, err := accountYears(db, subs)
	if err != nil {
		return nil, err
	}
	return s.floorReport(db, subs, years, 0)
}

// subYear is a subdistrict that has fund accounts of a fiscal year.
type subYear struct {
	SubdistrictID int64
	FiscalYear    int
}

// accountYears returns the subdistricts of subs with the fiscal years of
// their fund accounts.
func accountYears(db *gorm.DB, subs access.Subdistricts) ([]subYear, error) {
	cond, args := subs.Where("c.subdistrict_id")
	var years []subYear
	if err := db.Table("fund_accounts c").Distinct("c.subdistrict_id", "c.fiscal_year").Where(cond, args...).
		Scan(&years).Error; err != nil {
		return nil, fmt.Errorf("funding floor report: fiscal years: %w", err)
	}
	return years, nil
}

// floorReport is the funding-floor report of the communities of subs, whose
// subdistricts have fund accounts of the years given, in fiscal year year
// only (0: every year).
func (s *Service) floorReport(db *gorm.DB, subs access.Subdistricts, years []subYear, year int) ([]FloorRow, error) {
	cond, args := subs.Where("c.subdistrict_id")
	var communities []FloorRow
	if err := db.Table("communities c").Select("c.id AS community_id, c.subdistrict_id, c.code, c.name_zh, c.name_en, c.households").
		Where(cond, args...).Order("c.code").Scan(&communities).Error; err != nil {
		return nil, fmt.Errorf("funding floor report: %w", err)
	}
	rows := []FloorRow{}
	if len(communities) == 0 {
		return rows, nil
	}
	yearsOf := map[int64][]int{}
	for _, y := range years {
		yearsOf[y.SubdistrictID] = append(yearsOf[y.SubdistrictID], y.FiscalYear)
	}
	shares, err := communityShares(db, cond, args, year)
	if err != nil {
		return nil, err
	}
	thisYear := civil.ChinaDate(s.clock.Now()).Year
	for _, c := range communities {
		ys := yearsOf[c.SubdistrictID]
		if len(ys) == 0 {
			ys = []int{thisYear}
		}
		for _, y := range ys {
			if year != 0 && y != year {
				continue
			}
			r := c
			r.FiscalYear, r.Floor = y, FundingFloor(c.Households)
			sh := shares[floorKey{c.CommunityID, y}]
			r.Contracted, r.Paid = sh.contracted, sh.paid
			r.BelowFloor = r.Contracted < r.Floor
			rows = append(rows, r)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.FiscalYear != b.FiscalYear {
			return a.FiscalYear > b.FiscalYear
		}
		if a.BelowFloor != b.BelowFloor {
			return a.BelowFloor
		}
		return a.Code < b.Code
	})
	return rows, nil
}

type floorKey struct {
	community int64
	year      int
}

type floorShare struct{ contracted, paid money.Fen }

// communityShares divides the contracted and paid money of the signed
// contracts of the subdistricts cond selects (on contracts c), paid from
// fund accounts of fiscal year year (0: any), among their communities, by
// community and fiscal year. One statement: each contract's money is its
// running total (contract_ledger_totals, migration 00033, equal to Held on
// the encumbered account for references of type contract and to PaidOut for
// contracts and milestones), divided among its n communities in whole fen:
// each gets amount / n (bigint division, which truncates toward zero as Go's
// does) and the first amount mod n by id one fen more, so the shares add up
// to the whole.
func communityShares(db *gorm.DB, cond string, args []any, year int) (map[floorKey]floorShare, error) {
	yearCond, yearArgs := "TRUE", []any{}
	if year != 0 {
		yearCond, yearArgs = "f.fiscal_year = ?", []any{year}
	}
	var rows []struct {
		CommunityID int64
		FiscalYear  int
		Contracted  money.Fen
		Paid        money.Fen
	}
	if err := db.Raw(`SELECT community_id, fiscal_year,
			sum(contracted / n + CASE WHEN k < contracted % n THEN 1 ELSE 0 END)::bigint AS contracted,
			sum(paid / n + CASE WHEN k < paid % n THEN 1 ELSE 0 END)::bigint AS paid
		FROM (SELECT cc.community_id, f.fiscal_year, coalesce(t.contracted_fen, 0) AS contracted, coalesce(t.paid_fen, 0) AS paid,
				row_number() OVER w - 1 AS k, count(*) OVER (PARTITION BY c.id) AS n
			FROM contracts c JOIN fund_accounts f ON f.id = c.fund_account_id
			JOIN contract_communities cc ON cc.contract_id = c.id
			LEFT JOIN contract_ledger_totals t ON t.fund_account_id = c.fund_account_id AND t.contract_ref = c.id::text
			WHERE (`+cond+`) AND c.signed_at IS NOT NULL AND `+yearCond+`
			WINDOW w AS (PARTITION BY c.id ORDER BY cc.community_id)) s
		GROUP BY 1, 2`, append(args, yearArgs...)...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("funding floor report: community shares: %w", err)
	}
	out := make(map[floorKey]floorShare, len(rows))
	for _, r := range rows {
		out[floorKey{r.CommunityID, r.FiscalYear}] = floorShare{r.Contracted, r.Paid}
	}
	return out, nil
}

// PaidOut returns what the payouts for each holder's records were paid: the
// lines on the paid account of the postings that confirmed the payouts
// (reference type payout) whose own reference type is one of refTypes and
// whose reference id is the holder's ID or begins with ID + "/" (a
// contract's milestone payments, "12/2/1"). One query for all.
func PaidOut(tx *gorm.DB, refTypes []string, holders ...Holder) (map[Holder]money.Fen, error) {
	out, err := sumByHolder(tx, `SELECT p.fund_account_id AS fund_id, split_part(po.reference_id, '/', 1) AS id, SUM(l.amount) AS sum
		FROM ledger_lines l
		JOIN ledger_postings p ON p.id = l.posting_id
		JOIN ledger_accounts a ON a.id = l.account_id
		JOIN payouts po ON p.reference_type = 'payout' AND p.reference_id = po.id::text
		WHERE a.kind = ? AND po.reference_type IN ? AND p.fund_account_id IN ? AND split_part(po.reference_id, '/', 1) IN ?
		GROUP BY 1, 2`, []any{Paid, refTypes}, holders)
	if err != nil {
		return nil, fmt.Errorf("paid out for %v: %w", refTypes, err)
	}
	return out, nil
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
	return s.UtilisationOf(ctx, by.Subdistricts())
}

// UtilisationOf is Utilisation for the fund accounts of subs, whoever asks
// (the public portal's fund report).
func (s *Service) UtilisationOf(ctx context.Context, subs access.Subdistricts) ([]UtilisationRow, error) {
	views, err := s.listIn(ctx, subs)
	if err != nil {
		return nil, err
	}
	recv, err := s.received(ctx, views)
	if err != nil {
		return nil, err
	}
	return utilisationRows(views, recv), nil
}

// utilisationRows sums views, with what came into each (recv), by
// subdistrict, fiscal year and source, in the order of views.
func utilisationRows(views []View, recv map[int64]money.Fen) []UtilisationRow {
	type key struct {
		sub    int64
		year   int
		source string
	}
	rows := map[key]*UtilisationRow{}
	var order []key
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
	return out
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
	return s.UtilisationByCategoryOf(ctx, by.Subdistricts())
}

// UtilisationByCategoryOf is UtilisationByCategory for the fund accounts of
// subs, whoever asks (the public portal's fund report).
func (s *Service) UtilisationByCategoryOf(ctx context.Context, subs access.Subdistricts) ([]CategoryRow, error) {
	views, err := s.listIn(ctx, subs)
	if err != nil {
		return nil, err
	}
	received, err := s.received(ctx, views)
	if err != nil {
		return nil, err
	}
	return categoryRows(views, received), nil
}

// categoryRows sums views, with what came into each (received), by
// subdistrict, fiscal year and category, ordered so.
func categoryRows(views []View, received map[int64]money.Fen) []CategoryRow {
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
	return out
}

// YearReport is the fund report of one fiscal year for some subdistricts:
// the utilisation of their fund accounts by source and by category, and
// their communities against the funding floor.
type YearReport struct {
	// Years are the fiscal years in which they have fund accounts.
	Years       []int
	Utilisation []UtilisationRow
	ByCategory  []CategoryRow
	Floors      []FloorRow
}

// YearReportOf returns the fund report of fiscal year year for the fund
// accounts and communities of subs, whoever asks (the public fund report):
// the rows of UtilisationOf, UtilisationByCategoryOf and FloorReportOf of
// that year. It runs four statements however many contracts and postings
// there are, and reads no ledger line: a contract's money is its running
// total (contract_ledger_totals).
func (s *Service) YearReportOf(ctx context.Context, subs access.Subdistricts, year int) (YearReport, error) {
	db := s.db.WithContext(ctx)
	years, err := accountYears(db, subs)
	if err != nil {
		return YearReport{}, err
	}
	out := YearReport{Years: []int{}}
	seen := map[int]bool{}
	for _, y := range years {
		if !seen[y.FiscalYear] {
			seen[y.FiscalYear] = true
			out.Years = append(out.Years, y.FiscalYear)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(out.Years)))
	views, received := []View{}, map[int64]money.Fen{}
	if seen[year] {
		if views, received, err = yearViews(db, subs, year); err != nil {
			return YearReport{}, err
		}
	}
	out.Utilisation, out.ByCategory = utilisationRows(views, received), categoryRows(views, received)
	if out.Floors, err = s.floorReport(db, subs, years, year); err != nil {
		return YearReport{}, err
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

// yearViews returns the views of the fund accounts of subs of fiscal year
// year, ordered by id, and what came into each (its negated source
// balance), in one statement: each account with its categories and its
// balances by kind.
func yearViews(db *gorm.DB, subs access.Subdistricts, year int) ([]View, map[int64]money.Fen, error) {
	cond, args := subs.Where("f.subdistrict_id")
	var rows []struct {
		Account
		CategoryList string
		BalanceList  string
	}
	if err := db.Raw(`SELECT f.*,
			coalesce((SELECT string_agg(category_code, ',' ORDER BY category_code) FROM fund_account_categories WHERE fund_account_id = f.id), '') AS category_list,
			coalesce((SELECT json_object_agg(kind, balance)::text FROM ledger_accounts WHERE fund_account_id = f.id), '{}') AS balance_list
		FROM fund_accounts f WHERE (`+cond+`) AND f.fiscal_year = ? ORDER BY f.id`, append(args, year)...).Scan(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("fund accounts of %d: %w", year, err)
	}
	views, received := make([]View, len(rows)), map[int64]money.Fen{}
	for i, r := range rows {
		v := View{Account: r.Account, Categories: []string{}, Balances: map[string]money.Fen{}}
		if r.CategoryList != "" {
			v.Categories = strings.Split(r.CategoryList, ",")
		}
		var balances map[string]int64
		if err := json.Unmarshal([]byte(r.BalanceList), &balances); err != nil {
			return nil, nil, fmt.Errorf("balances of fund account %d: %w", r.ID, err)
		}
		for kind, b := range balances {
			if kind == Source {
				received[r.ID] = money.Fen(-b)
			} else {
				v.Balances[kind] = money.Fen(b)
			}
		}
		views[i] = v
	}
	return views, received, nil
}
