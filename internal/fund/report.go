package fund

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"

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
	var years []struct {
		SubdistrictID int64
		FiscalYear    int
	}
	if err := db.Table("fund_accounts c").Distinct("c.subdistrict_id", "c.fiscal_year").Where(cond, args...).
		Scan(&years).Error; err != nil {
		return nil, fmt.Errorf("funding floor report: fiscal years: %w", err)
	}
	yearsOf := map[int64][]int{}
	for _, y := range years {
		yearsOf[y.SubdistrictID] = append(yearsOf[y.SubdistrictID], y.FiscalYear)
	}
	shares, err := communityShares(db, cond, args)
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
// contracts of the subdistricts cond selects (on contracts c) among their
// communities, by community and fiscal year.
func communityShares(db *gorm.DB, cond string, args []any) (map[floorKey]floorShare, error) {
	var contracts []struct {
		ID            int64
		FundAccountID int64
		FiscalYear    int
	}
	if err := db.Table("contracts c").Select("c.id, c.fund_account_id, f.fiscal_year").Joins("JOIN fund_accounts f ON f.id = c.fund_account_id").
		Where(cond, args...).Where("c.signed_at IS NOT NULL").Order("c.id").Scan(&contracts).Error; err != nil {
		return nil, fmt.Errorf("funding floor report: contracts: %w", err)
	}
	out := map[floorKey]floorShare{}
	if len(contracts) == 0 {
		return out, nil
	}
	ids := make([]int64, len(contracts))
	holders := make([]Holder, len(contracts))
	for i, c := range contracts {
		ids[i], holders[i] = c.ID, Holder{FundID: c.FundAccountID, ID: strconv.FormatInt(c.ID, 10)}
	}
	var served []struct {
		ContractID  int64
		CommunityID int64
	}
	if err := db.Table("contract_communities").Select("contract_id, community_id").Where("contract_id IN ?", ids).
		Order("contract_id, community_id").Scan(&served).Error; err != nil {
		return nil, fmt.Errorf("funding floor report: communities served: %w", err)
	}
	communitiesOf := map[int64][]int64{}
	for _, s := range served {
		communitiesOf[s.ContractID] = append(communitiesOf[s.ContractID], s.CommunityID)
	}
	contracted, err := Held(db, Encumbered, []string{"contract"}, holders...)
	if err != nil {
		return nil, err
	}
	paid, err := PaidOut(db, []string{"contract", "milestone"}, holders...)
	if err != nil {
		return nil, err
	}
	for i, c := range contracts {
		cs := communitiesOf[c.ID]
		for k, community := range cs {
			key := floorKey{community, c.FiscalYear}
			sh := out[key]
			sh.contracted += splitEqually(contracted[holders[i]], len(cs), k)
			sh.paid += splitEqually(paid[holders[i]], len(cs), k)
			out[key] = sh
		}
	}
	return out, nil
}

// splitEqually returns the k-th of n equal shares of amount in whole fen:
// the first amount mod n shares get one fen more, so the n add up to amount.
func splitEqually(amount money.Fen, n, k int) money.Fen {
	share, rest := amount/money.Fen(n), amount%money.Fen(n)
	if money.Fen(k) < rest {
		share++
	}
	return share
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
