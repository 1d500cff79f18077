package demo

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// fiscalFundName is 爱山街道's fiscal budget fund, which pays for the demo
// tenders (SeedTenders adds what they reserve to it).
const fiscalFundName = "爱山街道政府购买服务专项资金"

// seedFunds gives 爱山街道 two fund accounts of this fiscal year with money: its
// fiscal budget for elderly care and legal aid, and a welfare-lottery fund that
// takes donations.
func seedFunds(ctx context.Context, db *gorm.DB, clk clock.Clock, finance access.Actor) error {
	svc := fund.NewService(db, clk)
	year := clk.Now().Year()
	for _, f := range []struct {
		source, name string
		categories   []string
		donations    bool
		amount       money.Fen
		document     string
	}{
		{"fiscal_budget", fiscalFundName, []string{"ELDERLY_HOME_CARE", "ELDERLY_DAY_CARE", "LEGAL_AID", "YOUTH_GUIDANCE"},
			false, 180_000_000, fmt.Sprintf("湖吴财社〔%d〕12号", year)},
		{"welfare_lottery", "爱山街道福彩公益金", []string{"ELDERLY_HOME_CARE", "DISABILITY_SUPPORT", "CHARITY_SUPERMARKET"},
			true, 50_000_000, fmt.Sprintf("湖吴民〔%d〕8号", year)},
	} {
		var n int64
		if err := db.WithContext(ctx).Table("fund_accounts").Where("subdistrict_id = ? AND fiscal_year = ? AND name = ?",
			finance.Scope.SubdistrictID, year, f.name).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		acct, err := svc.CreateAccount(ctx, finance, fund.AccountInput{FiscalYear: year, Source: f.source, Name: f.name,
			Categories: f.categories, AcceptsDonations: f.donations})
		if err != nil {
			return fmt.Errorf("seed fund %s: %w", f.name, err)
		}
		if _, err := svc.Appropriate(ctx, finance, acct.ID, fund.AppropriationInput{Amount: f.amount, DocumentRef: f.document,
			Memo: "年度预算拨付", IdempotencyKey: "seed"}); err != nil {
			return fmt.Errorf("seed appropriation for %s: %w", f.name, err)
		}
	}
	return nil
}
