package fund_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/place"
)

// TestFundingFloor is WORKED_EXAMPLES §6: under 1,000 households 10,000.00,
// 1,000 to 2,000 30,000.00, over 2,000 40,000.00.
func TestFundingFloor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		households int
		want       money.Fen
	}{
		{0, 1_000_000},
		{1, 1_000_000},
		{999, 1_000_000},
		{1000, 3_000_000},
		{1500, 3_000_000},
		{2000, 3_000_000},
		{2001, 4_000_000},
		{50_000, 4_000_000},
	} {
		if got := fund.FundingFloor(tc.households); got != tc.want {
			t.Errorf("FundingFloor(%d) = %s, want %s", tc.households, got.Yuan(), tc.want.Yuan())
		}
	}
}

// community adds a community, failing the test on error.
func (w *world) community(t testing.TB, sub place.Subdistrict, code, name string, households int) place.Community {
	t.Helper()
	c, err := w.places.CreateCommunity(context.Background(), platform, place.CommunityInput{SubdistrictID: sub.ID, Code: code, NameZh: name, Households: households})
	if err != nil {
		t.Fatalf("CreateCommunity(%s) error = %v", code, err)
	}
	return c
}

// item inserts, with SQL, a draft transfer item of the subdistrict and returns its id.
func (w *world) item(t testing.TB, sub place.Subdistrict) int64 {
	t.Helper()
	var id int64
	if err := w.db.Raw(`INSERT INTO transfer_items (subdistrict_id) VALUES (?) RETURNING id`, sub.ID).Scan(&id).Error; err != nil {
		t.Fatalf("insert transfer item: %v", err)
	}
	return id
}

// version inserts a draft version of an item costing quantity × price a year
// and serving the communities.
func (w *world) version(t testing.TB, item int64, version, quantity int, price money.Fen, communities ...place.Community) {
	t.Helper()
	err := w.db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO transfer_item_versions (item_id, version, status, title, category_code, annual_quantity, unit_price_fen, purchase_method)
			VALUES (?, ?, 'draft', '居家养老上门服务', 'ELDERLY_HOME_CARE', ?, ?, 'open_tender')`, item, version, quantity, price).Error; err != nil {
			return err
		}
		for _, c := range communities {
			if err := tx.Exec(`INSERT INTO transfer_item_communities (item_id, version, community_id) VALUES (?, ?, ?)`, item, version, c.ID).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("insert version %d of item %d: %v", version, item, err)
	}
}

// publish publishes a draft version, superseding the published one; with
// status "retired", it retires the published version and the item instead.
func (w *world) publish(t testing.TB, item int64, version int, status string) {
	t.Helper()
	err := w.db.Transaction(func(tx *gorm.DB) error {
		if status == "published" {
			if err := tx.Exec(`UPDATE transfer_item_versions SET status = 'superseded' WHERE item_id = ? AND status = 'published'`, item).Error; err != nil {
				return err
			}
			if err := tx.Exec(`UPDATE transfer_item_versions SET status = 'published', published_at = now() WHERE item_id = ? AND version = ?`, item, version).Error; err != nil {
				return err
			}
		} else if err := tx.Exec(`UPDATE transfer_item_versions SET status = ? WHERE item_id = ? AND version = ?`, status, item, version).Error; err != nil {
			return err
		}
		return tx.Exec(`UPDATE transfer_items SET status = ?, published_version = ? WHERE id = ?`, status, version, item).Error
	})
	if err != nil {
		t.Fatalf("%s version %d of item %d: %v", status, version, item, err)
	}
}

// TestFloorReport compares communities of 999, 1,000, 2,000, 2,001 households
// with their floors (WORKED_EXAMPLES §6): only published versions of
// published items count, each divided equally among its communities.
func TestFloorReport(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	a1 := w.community(t, w.a, "330502001001", "马军巷社区", 999)
	a2 := w.community(t, w.a, "330502001002", "衣裳街社区", 2000)
	a3 := w.community(t, w.a, "330502001003", "潮音桥社区", 2001)
	a4 := w.community(t, w.a, "330502001004", "龙泉社区", 1000)
	b1 := w.community(t, w.b, "330502002001", "龙溪社区", 1500)
	b2 := w.community(t, w.b, "330502002002", "碧浪社区", 500)

	// 1 × 9,999.99 for a1 alone: one fen short of its floor.
	i1 := w.item(t, w.a)
	w.version(t, i1, 1, 1, 999_999, a1)
	w.publish(t, i1, 1, "published")
	// 2 × 35,000.00 shared by a2 and a3: 35,000.00 each.
	i2 := w.item(t, w.a)
	w.version(t, i2, 1, 2, 3_500_000, a2, a3)
	w.publish(t, i2, 1, "published")
	// Version 1 (100 × 10,000.00) superseded by version 2: 300 × 100.00 for a4.
	i3 := w.item(t, w.a)
	w.version(t, i3, 1, 100, 1_000_000, a4)
	w.publish(t, i3, 1, "published")
	w.version(t, i3, 2, 300, 10_000, a4)
	w.publish(t, i3, 2, "published")
	// A draft and a retired item count for nothing.
	w.version(t, w.item(t, w.a), 1, 1000, 100_000, a1)
	i5 := w.item(t, w.a)
	w.version(t, i5, 1, 1000, 100_000, a1, a2)
	w.publish(t, i5, 1, "published")
	w.publish(t, i5, 1, "retired")
	// 12 × 2,500.00 shared by b1 and b2: 15,000.00 each.
	i6 := w.item(t, w.b)
	w.version(t, i6, 1, 12, 250_000, b1, b2)
	w.publish(t, i6, 1, "published")

	row := func(c place.Community, floor, allocated money.Fen) fund.FloorRow {
		return fund.FloorRow{CommunityID: c.ID, SubdistrictID: c.SubdistrictID, Code: c.Code, NameZh: c.NameZh, Households: c.Households,
			Floor: floor, Allocated: allocated, BelowFloor: allocated < floor}
	}
	ra1 := row(a1, 1_000_000, 999_999)
	ra2 := row(a2, 3_000_000, 3_500_000)
	ra3 := row(a3, 4_000_000, 3_500_000)
	ra4 := row(a4, 3_000_000, 3_000_000)
	rb1 := row(b1, 3_000_000, 1_500_000)
	rb2 := row(b2, 1_000_000, 1_500_000)
	if !ra1.BelowFloor || ra2.BelowFloor || !ra3.BelowFloor || ra4.BelowFloor || !rb1.BelowFloor || rb2.BelowFloor {
		t.Fatal("the expected rows are wrong")
	}
	for _, tc := range []struct {
		name string
		by   access.Actor
		want []fund.FloorRow
	}{
		// Below the floor first, then by code.
		{"platform admin", platform, []fund.FloorRow{ra1, ra3, rb1, ra2, ra4, rb2}},
		{"district admin D", w.adminD, []fund.FloorRow{ra1, ra3, rb1, ra2, ra4, rb2}},
		// As for every subdistrict record, an evaluator reads none (access.Actor.Subdistricts).
		{"evaluator of D", w.evaluatorD, nil},
		{"finance officer A", w.financeA, []fund.FloorRow{ra1, ra3, ra2, ra4}},
		{"procurement officer A", w.procurementA, []fund.FloorRow{ra1, ra3, ra2, ra4}},
		{"finance officer B", w.financeB, []fund.FloorRow{rb1, rb2}},
		{"district admin E", w.adminE, nil},
		{"org admin", w.orgAdmin, nil},
		{"resident", w.resident, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := w.svc.FloorReport(ctx, tc.by)
			if err != nil {
				t.Fatalf("FloorReport() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("FloorReport() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFloorReportDoesNotRoundUpToTheFloor: 29,999.99 shared by three
// communities of 999 households gives each 9,999.9967 yuan, under its
// 10,000.00 floor. The report must not round the shares up to 10,000.00:
// that would allocate more than the item is worth and hide all three.
func TestFloorReportDoesNotRoundUpToTheFloor(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cs := []place.Community{
		w.community(t, w.c, "330503001001", "东大街社区", 999),
		w.community(t, w.c, "330503001002", "西大街社区", 999),
		w.community(t, w.c, "330503001003", "南大街社区", 999),
	}
	item := w.item(t, w.c)
	w.version(t, item, 1, 1, 2_999_999, cs...)
	w.publish(t, item, 1, "published")

	rows, err := w.svc.FloorReport(context.Background(), w.adminE)
	if err != nil || len(rows) != 3 {
		t.Fatalf("FloorReport() = %+v, %v; want 3 rows", rows, err)
	}
	var total money.Fen
	for _, r := range rows {
		total += r.Allocated
		if !r.BelowFloor {
			t.Errorf("community %s: allocated %s of floor %s, below_floor = false; want true (its share is 9,999.9967)",
				r.Code, r.Allocated.Yuan(), r.Floor.Yuan())
		}
	}
	if total > 2_999_999 {
		t.Errorf("allocated shares sum to %s, more than the item's 29999.99", total.Yuan())
	}
}

// TestUtilisation sums the fund accounts of a subdistrict by fiscal year and
// source: what came in (appropriations less corrections) and where it stands.
func TestUtilisation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	by := w.procurementA
	fa1 := w.account(t, w.financeA, 2026, "fiscal_budget", "预算一", "ELDERLY_HOME_CARE")
	fa2 := w.account(t, w.financeA, 2026, "fiscal_budget", "预算二", "LEGAL_AID", "ELDERLY_HOME_CARE")
	fa3 := w.account(t, w.financeA, 2026, "welfare_lottery", "福彩公益金", "DISABILITY_SUPPORT")
	fa4 := w.account(t, w.financeA, 2025, "fiscal_budget", "2025年度预算", "ELDERLY_HOME_CARE")
	w.account(t, w.financeA, 2026, "social_donations", "社会捐赠", "CHARITY_SUPERMARKET")
	fb1 := w.account(t, w.financeB, 2026, "fiscal_budget", "朝阳街道预算", "YOUTH_GUIDANCE")
	fc1 := w.account(t, w.financeC, 2026, "fiscal_budget", "南浔镇预算", "ELDERLY_HOME_CARE")

	w.appropriate(t, w.financeA, fa1.ID, 10_000_000, "a1-1")
	wrong := w.appropriate(t, w.financeA, fa1.ID, 5_000_000, "a1-2")
	if _, err := w.svc.Correct(ctx, w.financeA, fa1.ID, wrong.ID, "重复拨款"); err != nil {
		t.Fatalf("Correct() error = %v", err)
	}
	w.mustMove(t, "Reserve()", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.Reserve(tx, by, fa1.ID, "ELDERLY_HOME_CARE", 3_000_000, fund.Ref{Type: "tender", ID: "1"})
	})
	w.mustMove(t, "Encumber()", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.Encumber(tx, by, fa1.ID, 2_500_000, fund.Ref{Type: "contract", ID: "1"})
	})
	w.mustMove(t, "Release()", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.Release(tx, by, fa1.ID, 500_000, fund.Ref{Type: "tender", ID: "1/remainder"})
	})
	w.mustMove(t, "MakePayable()", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.MakePayable(tx, w.financeA, fa1.ID, 1_000_000, fund.Ref{Type: "milestone", ID: "1"})
	})
	w.mustMove(t, "MarkPaid()", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.MarkPaid(tx, w.financeA, fa1.ID, 400_000, fund.Ref{Type: "payout", ID: "1"})
	})
	w.appropriate(t, w.financeA, fa2.ID, 2_000_000, "a2-1")
	w.mustMove(t, "Reserve()", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.Reserve(tx, by, fa2.ID, "LEGAL_AID", 1_000_000, fund.Ref{Type: "tender", ID: "2"})
	})
	w.appropriate(t, w.financeA, fa3.ID, 3_000_000, "a3-1")
	w.appropriate(t, w.financeA, fa4.ID, 4_000_000, "a4-1")
	w.appropriate(t, w.financeB, fb1.ID, 6_000_000, "b1-1")
	w.appropriate(t, w.financeC, fc1.ID, 7_000_000, "c1-1")

	bal := func(available, reserved, encumbered, payable, paid money.Fen) map[string]money.Fen {
		return map[string]money.Fen{fund.Available: available, fund.Reserved: reserved, fund.Encumbered: encumbered, fund.Payable: payable, fund.Paid: paid}
	}
	aBudget := fund.UtilisationRow{SubdistrictID: w.a.ID, FiscalYear: 2026, Source: "fiscal_budget", Categories: []string{"ELDERLY_HOME_CARE", "LEGAL_AID"},
		Received: 12_000_000, Balances: bal(7_500_000+1_000_000, 1_000_000, 1_500_000, 600_000, 400_000)}
	aLottery := fund.UtilisationRow{SubdistrictID: w.a.ID, FiscalYear: 2026, Source: "welfare_lottery", Categories: []string{"DISABILITY_SUPPORT"},
		Received: 3_000_000, Balances: bal(3_000_000, 0, 0, 0, 0)}
	aDonations := fund.UtilisationRow{SubdistrictID: w.a.ID, FiscalYear: 2026, Source: "social_donations", Categories: []string{"CHARITY_SUPERMARKET"},
		Balances: bal(0, 0, 0, 0, 0)}
	a2025 := fund.UtilisationRow{SubdistrictID: w.a.ID, FiscalYear: 2025, Source: "fiscal_budget", Categories: []string{"ELDERLY_HOME_CARE"},
		Received: 4_000_000, Balances: bal(4_000_000, 0, 0, 0, 0)}
	bBudget := fund.UtilisationRow{SubdistrictID: w.b.ID, FiscalYear: 2026, Source: "fiscal_budget", Categories: []string{"YOUTH_GUIDANCE"},
		Received: 6_000_000, Balances: bal(6_000_000, 0, 0, 0, 0)}
	cBudget := fund.UtilisationRow{SubdistrictID: w.c.ID, FiscalYear: 2026, Source: "fiscal_budget", Categories: []string{"ELDERLY_HOME_CARE"},
		Received: 7_000_000, Balances: bal(7_000_000, 0, 0, 0, 0)}

	for _, tc := range []struct {
		name string
		by   access.Actor
		want []fund.UtilisationRow
	}{
		// Newest year first, then in the order the accounts were opened.
		{"finance officer A", w.financeA, []fund.UtilisationRow{aBudget, aLottery, aDonations, a2025}},
		{"procurement officer A", w.procurementA, []fund.UtilisationRow{aBudget, aLottery, aDonations, a2025}},
		{"finance officer B", w.financeB, []fund.UtilisationRow{bBudget}},
		{"district admin D", w.adminD, []fund.UtilisationRow{aBudget, aLottery, aDonations, bBudget, a2025}},
		{"platform admin", platform, []fund.UtilisationRow{aBudget, aLottery, aDonations, bBudget, cBudget, a2025}},
		{"evaluator", w.evaluatorD, nil},
		{"org admin", w.orgAdmin, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := w.svc.Utilisation(ctx, tc.by)
			if err != nil {
				t.Fatalf("Utilisation() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Utilisation() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// By category, an account earmarked to two categories counts under both and
// says it is shared; other subdistricts' accounts stay out of scope.
func TestUtilisationByCategory(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	only := w.account(t, w.financeA, 2026, "fiscal_budget", "养老专户", "ELDERLY_HOME_CARE")
	both := w.account(t, w.financeA, 2026, "welfare_lottery", "综合", "LEGAL_AID", "ELDERLY_HOME_CARE")
	other := w.account(t, w.financeB, 2026, "fiscal_budget", "另一街道", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, only.ID, 1_000_000, "c1")
	w.appropriate(t, w.financeA, both.ID, 2_000_000, "c2")
	w.appropriate(t, w.financeB, other.ID, 9_000_000, "c3")
	w.mustMove(t, "Reserve()", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.Reserve(tx, w.procurementA, both.ID, "LEGAL_AID", 500_000, fund.Ref{Type: "tender", ID: "c"})
	})

	rows, err := w.svc.UtilisationByCategory(ctx, w.financeA)
	if err != nil {
		t.Fatalf("UtilisationByCategory() error = %v", err)
	}
	bal := func(available, reserved money.Fen) map[string]money.Fen {
		return map[string]money.Fen{fund.Available: available, fund.Reserved: reserved, fund.Encumbered: 0, fund.Payable: 0, fund.Paid: 0}
	}
	want := []fund.CategoryRow{
		{SubdistrictID: w.a.ID, FiscalYear: 2026, Category: "ELDERLY_HOME_CARE", Accounts: 2, Shared: true, Received: 3_000_000, Balances: bal(2_500_000, 500_000)},
		{SubdistrictID: w.a.ID, FiscalYear: 2026, Category: "LEGAL_AID", Accounts: 1, Shared: true, Received: 2_000_000, Balances: bal(1_500_000, 500_000)},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("UtilisationByCategory() (-want +got):\n%s", diff)
	}
}
