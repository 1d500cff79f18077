package dataset

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// posting is a ledger posting to write: amount moves from one sub-account
// of the fund to another.
type posting struct {
	fund             int64
	kind             string
	refType, refID   string
	from, to         string
	amount           int64
	at               time.Time
	by               *int64
	memo, documentID string
}

// fundLedger is a fund account's ledger accounts by kind.
type fundLedger struct {
	sub      int
	accounts map[string]int64
	out      int64 // what leaves available over the run, for the appropriation
}

var ledgerKinds = []string{"source", "available", "reserved", "encumbered", "payable", "paid"}

// Fund sources of each subdistrict: the fiscal budget pays every category.
var fundSources = []struct {
	source, name string
	cats         []string // nil: every category
	donations    bool
}{
	{"fiscal_budget", "政府购买服务专项资金", nil, false},
	{"welfare_lottery", "福彩公益金", []string{"ELDERLY_HOME_CARE", "ELDERLY_DAY_CARE", "ELDERLY_APARTMENT", "DISABILITY_SUPPORT"}, false},
	{"special_development", "街道专项发展基金", []string{"COMMUNITY_EDUCATION", "CULTURE_SPORTS", "YOUTH_GUIDANCE"}, false},
	{"social_donations", "社会捐赠", []string{"CHARITY_SUPERMARKET", "SOCIAL_ASSISTANCE"}, true},
}

// funds writes each subdistrict's fund accounts of the base year, their
// earmarks and their ledger accounts (empty: postings fill them).
func (g *gen) funds(ctx context.Context) error {
	w := &g.w
	var accts, cats, ledger [][]any
	created := g.base.Add(-days(395))
	year := g.base.Year()
	g.ledgers = map[int64]*fundLedger{}
	for si := range w.subs {
		s := &w.subs[si]
		for k, src := range fundSources {
			id, err := g.id(ctx, "fund_accounts")
			if err != nil {
				return err
			}
			accts = append(accts, []any{id, s.id, year, src.source, fmt.Sprintf("%d年度%s%s", year, s.name, src.name), src.donations,
				s.finance.id, created, created})
			list := src.cats
			if list == nil {
				for _, c := range w.cats {
					list = append(list, c.code)
				}
			}
			for _, c := range list {
				cats = append(cats, []any{id, c})
			}
			if k == 0 {
				s.fund = id
			}
			s.fundIDs = append(s.fundIDs, id)
			fl := &fundLedger{sub: si, accounts: map[string]int64{}}
			for _, kind := range ledgerKinds {
				lid, err := g.id(ctx, "ledger_accounts")
				if err != nil {
					return err
				}
				fl.accounts[kind] = lid
				ledger = append(ledger, []any{lid, id, kind, 0})
			}
			g.ledgers[id] = fl
		}
	}
	if err := g.copyRows(ctx, "fund_accounts", []string{"id", "subdistrict_id", "fiscal_year", "source", "name", "accepts_donations",
		"created_by", "created_at", "updated_at"}, accts); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "fund_account_categories", []string{"fund_account_id", "category_code"}, cats); err != nil {
		return err
	}
	return g.copyRows(ctx, "ledger_accounts", []string{"id", "fund_account_id", "kind", "balance"}, ledger)
}

// post records a movement to write at the end.
func (g *gen) post(p posting) {
	if p.amount <= 0 {
		return
	}
	if p.from == "available" {
		g.ledgers[p.fund].out += p.amount
	}
	g.w.postings = append(g.w.postings, p)
}

// ledger writes an appropriation to every fund, enough for what the run
// moves out of it and ten million yuan more for the scenarios' tenders, then
// every posting in time order with its lines. The lines' trigger keeps the
// cached balances; the deferred check balances every posting at commit.
func (g *gen) ledger(ctx context.Context) error {
	w := &g.w
	// In time order, each movement follows the one it takes money from, and
	// no restricted account dips below zero on the way.
	sort.SliceStable(w.postings, func(i, j int) bool { return w.postings[i].at.Before(w.postings[j].at) })
	appropriated := g.base.Add(-days(390))
	if len(w.postings) > 0 && w.postings[0].at.Before(appropriated) {
		appropriated = w.postings[0].at.Add(-days(1))
	}
	var approps []posting
	for _, s := range w.subs {
		for _, fid := range s.fundIDs {
			fl := g.ledgers[fid]
			amount := (fl.out/100_000_000+1)*100_000_000 + 1_000_000_000
			approps = append(approps, posting{fund: fid, kind: "appropriation", refType: "", refID: "", from: "source", to: "available",
				amount: amount, at: appropriated, by: &s.finance.id, memo: "年度预算下达", documentID: fmt.Sprintf("财预〔%d〕%d号", g.base.Year(), fid)})
		}
	}
	all := append(approps, w.postings...)
	first, err := g.ids(ctx, "ledger_postings", len(all))
	if err != nil {
		return err
	}
	firstLine, err := g.ids(ctx, "ledger_lines", 2*len(all))
	if err != nil {
		return err
	}
	var rows, lines [][]any
	for i, p := range all {
		id := first + int64(i)
		key := fmt.Sprintf("%s:%d:%s:%s", p.kind, p.fund, p.refType, p.refID)
		if p.kind == "appropriation" {
			key = fmt.Sprintf("bench-appropriation:%d", p.fund)
		}
		rows = append(rows, []any{id, p.fund, w.districtID, p.kind, key, p.refType, p.refID, p.documentID, p.memo, p.by, p.at})
		fl := g.ledgers[p.fund]
		lines = append(lines, []any{firstLine + int64(2*i), id, fl.accounts[p.from], -p.amount},
			[]any{firstLine + int64(2*i+1), id, fl.accounts[p.to], p.amount})
	}
	// The lines' triggers move the cached balance and check the posting's
	// balance row by row (tens of thousands of queries); they are off for
	// the copy, and the same rules are checked once over all the rows below,
	// before the transaction commits.
	for _, trig := range ledgerTriggers {
		if _, err := g.c.Exec(ctx, "ALTER TABLE "+trig[0]+" DISABLE TRIGGER "+trig[1]); err != nil {
			return err
		}
	}
	if err := g.copyRows(ctx, "ledger_postings", []string{"id", "fund_account_id", "district_id", "kind", "idempotency_key", "reference_type",
		"reference_id", "document_ref", "memo", "created_by", "created_at"}, rows); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "ledger_lines", []string{"id", "posting_id", "account_id", "amount"}, lines); err != nil {
		return err
	}
	for _, trig := range ledgerTriggers {
		if _, err := g.c.Exec(ctx, "ALTER TABLE "+trig[0]+" ENABLE TRIGGER "+trig[1]); err != nil {
			return err
		}
	}
	if _, err := g.c.Exec(ctx, `UPDATE ledger_accounts a SET balance = s.sum
		FROM (SELECT account_id, sum(amount) AS sum FROM ledger_lines GROUP BY account_id) s WHERE a.id = s.account_id`); err != nil {
		return fmt.Errorf("ledger balances: %w", err)
	}
	if _, err := g.c.Exec(ctx, `SELECT contract_ledger_totals_rebuild()`); err != nil {
		return fmt.Errorf("contracts' ledger totals: %w", err)
	}
	var bad int64
	if err := g.c.QueryRow(ctx, `SELECT count(*) FROM (
		SELECT p.id FROM ledger_postings p LEFT JOIN ledger_lines l ON l.posting_id = p.id LEFT JOIN ledger_accounts a ON a.id = l.account_id
		GROUP BY p.id, p.fund_account_id HAVING coalesce(sum(l.amount), 0) <> 0 OR count(l.id) < 2
		    OR coalesce(bool_or(a.fund_account_id <> p.fund_account_id), false)) x`).Scan(&bad); err != nil {
		return fmt.Errorf("ledger check: %w", err)
	}
	if bad > 0 {
		return fmt.Errorf("ledger check: %d postings do not balance in their fund", bad)
	}
	return nil
}

// ledgerTriggers are the ledger's row triggers off during the copy: the
// balance cache, the contracts' running totals (both computed once after
// it), the same-transaction rule, the deferred balance checks and the
// district copied from the fund (written directly, held by its foreign key).
var ledgerTriggers = [][2]string{{"ledger_lines", "ledger_lines_apply"}, {"ledger_lines", "contract_ledger_totals_apply"}, {"ledger_lines", "ledger_lines_same_transaction"},
	{"ledger_lines", "ledger_lines_balanced"}, {"ledger_postings", "ledger_postings_balanced"}, {"ledger_postings", "ledger_postings_district"}}
