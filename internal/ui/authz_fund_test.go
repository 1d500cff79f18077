package ui_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"testing"

	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// pgFundRecords gives the funds group its record: a manual payout to org 1
// from 爱山's fiscal budget fund, waiting for its confirmation.
func pgFundRecords(t *testing.T, f *pgFixture) {
	f.payout = pgFreshPayout(t, f)[0].(int64)
}

// pgFreshPayout makes, for each call, a manual payout of 100.00 yuan to org 1
// from 爱山's fiscal budget fund, for the finance officer to confirm.
func pgFreshPayout(t *testing.T, f *pgFixture) []any {
	e := f.e
	p := servertest.RequestPayout(t, e.DB, servertest.ManualPayouts(e), e.ActorOf(t, "demo-finance"), f.fundA, f.org1, 10_000,
		fmt.Sprintf("matrix-ms-%d", f.next()))
	return []any{p.ID}
}

// pgFreshAppropriation makes, for each call, an appropriation of 100.00 yuan
// to 爱山's fiscal budget fund, for the finance officer to correct.
func pgFreshAppropriation(t *testing.T, f *pgFixture) []any {
	n := f.next()
	p, err := f.e.Services.Funds.Appropriate(context.Background(), f.e.ActorOf(t, "demo-finance"), f.fundA, fund.AppropriationInput{
		Amount: 10_000, DocumentRef: fmt.Sprintf("矩阵拨款〔2026〕%d号", n), IdempotencyKey: fmt.Sprintf("matrix-fresh-%d", n)})
	if err != nil {
		t.Fatalf("Appropriate() error = %v", err)
	}
	return []any{f.fundA, p.ID}
}

// pgPayoutRow is the row of the payout to org 1 in a list of payouts.
func pgPayoutRow(f *pgFixture) string { return fmt.Sprintf(`<tr id="payout-%d">`, f.payout) }

// Wants shared by the fund rows: the staff who read 爱山's funds (飞英's
// staff find none of them), and its finance officer alone, whose counterpart
// of 飞英 finds no such fund, posting or payout.
var (
	pgFundReaders = pgWant{login, ok200, ok200, ok200, ok200, no403, no403, ok200, no403, no403, no403, ok200}
	pgFundA       = pgWant{login, ok200, ok200, ok200, ok200, no403, no403, nf404, no403, no403, no403, nf404}
	pgFundWrite   = pgWant{login, no403, no403, no403, to303, no403, no403, no403, no403, no403, no403, nf404}
	pgFundHidden  = []string{"demo-officer2", pgFinance2}
)

// pgFundMatrix covers the fund accounts, payouts and reports, an
// organization's received payments, and (with Stripe on) the donation pages
// and an organization's Stripe onboarding. The funds are 爱山's. The forms are
// complete, so that 飞英's finance officer is refused by the records' scope
// alone; each call of a row that spends a record gets a fresh one.
var pgFundMatrix = map[string]pgGroup{
	"funds": {setup: pgFundRecords, rows: []pgRow{
		{method: "GET", route: "/funds", want: pgFundReaders,
			scope: &pgScope{text: pgText("爱山街道政府购买服务专项资金"), shown: pgStaffA, hidden: pgFundHidden}},
		{method: "POST", route: "/funds",
			// Each finance officer opens an account of its own subdistrict.
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"fiscal_year": {strconv.Itoa(f.e.Clock.Now().Year())}, "source": {"special_development"},
					"name": {fmt.Sprintf("矩阵测试发展基金%d", i)}, "categories": {"LEGAL_AID"}}
			},
			want: pgWant{login, no403, no403, no403, to303, no403, no403, no403, no403, no403, no403, to303}},
		{method: "GET", route: "/funds/:id", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.fundA} }), want: pgFundA},
		{method: "GET", route: "/funds/:id/postings.csv", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.fundA} }), want: pgFundA},
		{method: "POST", route: "/funds/:id/appropriations", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.fundA} }),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"amount": {"100"}, "document_ref": {fmt.Sprintf("矩阵拨款〔2026〕%d号", 100+i)},
					"idempotency_key": {fmt.Sprintf("matrix-page-%d", i)}}
			},
			want: pgFundWrite},
		{method: "POST", route: "/funds/:id/postings/:posting/correct", params: pgFreshAppropriation,
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"reason": {fmt.Sprintf("矩阵更正 %d", i)}}
			},
			want: pgFundWrite},
		{method: "GET", route: "/payouts", want: pgFundReaders,
			scope: &pgScope{text: pgPayoutRow, shown: pgStaffA, hidden: pgFundHidden}},
		{method: "POST", route: "/payouts/:id/confirm", params: pgFreshPayout,
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"reference": {fmt.Sprintf("ICBC-MATRIX-%d", i)}}
			},
			want: pgFundWrite},
		{method: "GET", route: "/reports/funds", want: pgFundReaders,
			// 南街社区's code, in the table of funding floors.
			scope: &pgScope{text: pgText("330502003001"), shown: pgStaffA, hidden: pgFundHidden}},
		{method: "GET", route: "/org/payouts",
			want:  pgWant{login, no403, no403, no403, no403, no403, ok200, no403, ok200, ok200, no403, no403},
			scope: &pgScope{text: pgPayoutRow, shown: []string{"demo-org", "demo-member"}, hidden: []string{"demo-org2"}}},
	}},
	"donations": {stripe: true,
		setup: func(t *testing.T, f *pgFixture) {
			f.donation = servertest.Donate(t, f.e, f.lottery, 10_000, "").DonationID
		},
		rows: []pgRow{
			{method: "GET", route: "/donate", want: pgEveryone},
			{method: "POST", route: "/donate",
				// Anyone may give: the form leads to Stripe Checkout.
				form: func(t *testing.T, f *pgFixture, i int) url.Values {
					return url.Values{"fund_account_id": {strconv.FormatInt(f.lottery, 10)}, "amount": {"100"}}
				},
				want: pgWant{to303, to303, to303, to303, to303, to303, to303, to303, to303, to303, to303, to303}},
			{method: "GET", route: "/donate/receipt/:id", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.donation} }),
				want: pgEveryone},
			{method: "POST", route: "/org/payouts/connect",
				// Each organization's admin connects its own organization to Stripe.
				want: pgWant{login, no403, no403, no403, no403, no403, to303, no403, to303, no403, no403, no403}},
		},
	},
}
