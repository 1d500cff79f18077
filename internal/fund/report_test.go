package fund_test

import (
	"context"
	"fmt"
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

// contract writes, with SQL, a contract of the subdistrict for amount paid
// from the fund account and serving the communities, with what it needs
// (an organization, a transfer item, a tender and a bid); signed, the ledger
// reserves and encumbers it as the signing would (else it stays a draft).
// It returns the contract's id.
func (w *world) contract(t testing.TB, sub place.Subdistrict, fundID int64, amount money.Fen, signed bool, communities ...place.Community) int64 {
	t.Helper()
	var id int64
	err := w.db.Transaction(func(tx *gorm.DB) error {
		var orgID, itemID, tenderID, bidID int64
		if err := tx.Raw(`INSERT INTO organizations (credit_code, legal_name, org_type, district_id)
			VALUES ('52330502MJ526018XR', '康乐居家养老服务中心', 'social_service_institution', (SELECT district_id FROM subdistricts WHERE id = ?))
			ON CONFLICT (credit_code) DO UPDATE SET legal_name = EXCLUDED.legal_name RETURNING id`, sub.ID).Scan(&orgID).Error; err != nil {
			return err
		}
		if err := tx.Raw(`INSERT INTO transfer_items (subdistrict_id) VALUES (?) RETURNING id`, sub.ID).Scan(&itemID).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO transfer_item_versions (item_id, version, status, title, category_code, annual_quantity, unit_price_fen, purchase_method)
			VALUES (?, 1, 'draft', '居家养老上门服务', 'ELDERLY_HOME_CARE', 1, 100, 'open_tender')`, itemID).Error; err != nil {
			return err
		}
		if err := tx.Raw(`INSERT INTO tenders (subdistrict_id, transfer_item_id, transfer_item_version, title, category_code, purchase_method,
				fund_account_id, ceiling_fen, service_start, service_end, weight_price, weight_technical, weight_performance, min_grade,
				min_social_workers, min_bids, challenge_days, questions_close_at, closes_at, opens_at, status)
			VALUES (?, ?, 1, '居家养老上门服务', 'ELDERLY_HOME_CARE', 'open_tender', ?, ?, '2026-01-01', '2026-12-31', 30, 60, 10, 1, 0, 1, 5,
				now(), now(), now(), 'awarded') RETURNING id`, sub.ID, itemID, fundID, amount).Scan(&tenderID).Error; err != nil {
			return err
		}
		if err := tx.Raw(`INSERT INTO bids (tender_id, organization_id, status, sealed, digest, seal_key_id, seal_version, received_at)
			VALUES (?, ?, 'active', '\x00', repeat('a', 64), repeat('b', 16), 2, now()) RETURNING id`, tenderID, orgID).Scan(&bidID).Error; err != nil {
			return err
		}
		status, signedAt := "draft", "NULL"
		if signed {
			status, signedAt = "active", "now()"
		}
		if err := tx.Raw(`INSERT INTO contracts (subdistrict_id, tender_id, bid_id, organization_id, fund_account_id, title, category_code,
				amount_fen, service_start, service_end, status, sign_by, officer_signed_at, org_signed_at, signed_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, '居家养老上门服务', 'ELDERLY_HOME_CARE', ?, '2026-01-01', '2026-12-31', ?, now(), `+signedAt+`, `+signedAt+`, `+signedAt+`,
				now(), now()) RETURNING id`, sub.ID, tenderID, bidID, orgID, fundID, amount, status).Scan(&id).Error; err != nil {
			return err
		}
		for _, c := range communities {
			if err := tx.Exec(`INSERT INTO contract_communities (contract_id, community_id) VALUES (?, ?)`, id, c.ID).Error; err != nil {
				return err
			}
		}
		if !signed {
			return nil
		}
		if _, err := fund.Reserve(tx, w.procurementA, fundID, "ELDERLY_HOME_CARE", amount, fund.Ref{Type: "tender", ID: fmt.Sprint(tenderID)}); err != nil {
			return err
		}
		_, err := fund.Encumber(tx, w.procurementA, fundID, amount, fund.Ref{Type: "contract", ID: fmt.Sprint(id)})
		return err
	})
	if err != nil {
		t.Fatalf("insert a contract of %s: %v", amount.Yuan(), err)
	}
	return id
}

// pay pays amount out for milestone seq of the contract, as a milestone's
// approval and the payout's confirmation would: made payable with a payout
// row naming the milestone, then paid.
func (w *world) pay(t testing.TB, fundID, contractID int64, seq int, amount money.Fen) {
	t.Helper()
	ref := fmt.Sprintf("%d/%d/1", contractID, seq)
	err := w.db.Transaction(func(tx *gorm.DB) error {
		if _, err := fund.MakePayable(tx, w.financeA, fundID, amount, fund.Ref{Type: "milestone", ID: ref}); err != nil {
			return err
		}
		var payoutID int64
		if err := tx.Raw(`INSERT INTO payouts (fund_account_id, organization_id, amount_fen, provider, state, reference_type, reference_id, paid_at)
			SELECT ?, organization_id, ?, 'manual', 'paid', 'milestone', ?, now() FROM contracts WHERE id = ? RETURNING id`,
			fundID, amount, ref, contractID).Scan(&payoutID).Error; err != nil {
			return err
		}
		_, err := fund.MarkPaid(tx, w.financeA, fundID, amount, fund.Ref{Type: "payout", ID: fmt.Sprint(payoutID)})
		return err
	})
	if err != nil {
		t.Fatalf("pay %s for contract %d: %v", amount.Yuan(), contractID, err)
	}
}

// returned returns what is left encumbered of the contract to available,
// as its close would, and marks it ended.
func (w *world) returned(t testing.TB, fundID, contractID int64, amount money.Fen, status string) {
	t.Helper()
	w.mustMove(t, "ReturnEncumbrance()", func(tx *gorm.DB) (fund.Posting, error) {
		if err := tx.Exec(`UPDATE contracts SET status = ?, ended_at = now(), end_reason = '测试' WHERE id = ?`, status, contractID).Error; err != nil {
			return fund.Posting{}, err
		}
		return fund.ReturnEncumbrance(tx, w.procurementA, fundID, amount, fund.Ref{Type: "contract", ID: fmt.Sprintf("%d/end", contractID)})
	})
}

// TestFloorReport compares communities of 999, 1,000, 2,000, 2,001
// households with their floors (WORKED_EXAMPLES §6) in real money, per
// fiscal year: what signed contracts encumbered, less what returned at their
// close, each contract divided equally among its communities; and what was
// paid out to them. Drafts and planned amounts count for nothing.
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
	c1 := w.community(t, w.c, "330503001001", "东大街社区", 2500)
	fa := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道2026年度预算", "ELDERLY_HOME_CARE")
	fa25 := w.account(t, w.financeA, 2025, "fiscal_budget", "月河街道2025年度预算", "ELDERLY_HOME_CARE")
	fb := w.account(t, w.financeB, 2026, "fiscal_budget", "朝阳街道2026年度预算", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, fa.ID, 50_000_000, "fa")
	w.appropriate(t, w.financeA, fa25.ID, 50_000_000, "fa25")
	w.appropriate(t, w.financeB, fb.ID, 50_000_000, "fb")

	// 9,999.99 for a1 alone: one fen short of its floor, however much was
	// planned for it; 3,000.00 of it paid.
	k1 := w.contract(t, w.a, fa.ID, 999_999, true, a1)
	w.pay(t, fa.ID, k1, 1, 300_000)
	planned := w.item(t, w.a) // a published item, planned money, counts for nothing
	w.version(t, planned, 1, 100, 1_000_000, a1)
	w.publish(t, planned, 1, "published")
	// 70,000.01 shared by a2 and a3: 35,000.01 for a2 (the lower id), 35,000.00
	// for a3; 10,000.01 paid, 5,000.01 and 5,000.00.
	k2 := w.contract(t, w.a, fa.ID, 7_000_001, true, a2, a3)
	w.pay(t, fa.ID, k2, 1, 1_000_001)
	// 50,000.00 for a4, terminated after 10,000.00 was paid: 40,000.00
	// returned, so 10,000.00 contracted.
	k3 := w.contract(t, w.a, fa.ID, 5_000_000, true, a4)
	w.pay(t, fa.ID, k3, 1, 1_000_000)
	w.returned(t, fa.ID, k3, 4_000_000, "terminated")
	// A draft for a4 holds nothing yet.
	w.contract(t, w.a, fa.ID, 9_000_000, false, a4)
	// In 2025, 30,000.00 for a4: its floor, exactly.
	w.contract(t, w.a, fa25.ID, 3_000_000, true, a4)
	// 30,000.00 shared by b1 and b2: 15,000.00 each.
	w.contract(t, w.b, fb.ID, 3_000_000, true, b1, b2)

	row := func(c place.Community, year int, floor, contracted, paid money.Fen) fund.FloorRow {
		return fund.FloorRow{CommunityID: c.ID, SubdistrictID: c.SubdistrictID, Code: c.Code, NameZh: c.NameZh, Households: c.Households,
			FiscalYear: year, Floor: floor, Contracted: contracted, Paid: paid, BelowFloor: contracted < floor}
	}
	ra1 := row(a1, 2026, 1_000_000, 999_999, 300_000)
	ra2 := row(a2, 2026, 3_000_000, 3_500_001, 500_001)
	ra3 := row(a3, 2026, 4_000_000, 3_500_000, 500_000)
	ra4 := row(a4, 2026, 3_000_000, 1_000_000, 1_000_000)
	ra1y := row(a1, 2025, 1_000_000, 0, 0)
	ra2y := row(a2, 2025, 3_000_000, 0, 0)
	ra3y := row(a3, 2025, 4_000_000, 0, 0)
	ra4y := row(a4, 2025, 3_000_000, 3_000_000, 0)
	rb1 := row(b1, 2026, 3_000_000, 1_500_000, 0)
	rb2 := row(b2, 2026, 1_000_000, 1_500_000, 0)
	// C has no fund account: this year in China (the clock's 2026).
	rc1 := row(c1, 2026, 4_000_000, 0, 0)
	if !ra1.BelowFloor || ra2.BelowFloor || !ra3.BelowFloor || !ra4.BelowFloor || ra4y.BelowFloor || !rb1.BelowFloor || rb2.BelowFloor {
		t.Fatal("the expected rows are wrong")
	}
	for _, tc := range []struct {
		name string
		by   access.Actor
		want []fund.FloorRow
	}{
		// Newest year first; below the floor first, then by code.
		{"platform admin", platform, []fund.FloorRow{ra1, ra3, ra4, rb1, rc1, ra2, rb2, ra1y, ra2y, ra3y, ra4y}},
		{"district admin D", w.adminD, []fund.FloorRow{ra1, ra3, ra4, rb1, ra2, rb2, ra1y, ra2y, ra3y, ra4y}},
		// As for every subdistrict record, an evaluator reads none (access.Actor.Subdistricts).
		{"evaluator of D", w.evaluatorD, nil},
		{"finance officer A", w.financeA, []fund.FloorRow{ra1, ra3, ra4, ra2, ra1y, ra2y, ra3y, ra4y}},
		{"procurement officer A", w.procurementA, []fund.FloorRow{ra1, ra3, ra4, ra2, ra1y, ra2y, ra3y, ra4y}},
		{"finance officer B", w.financeB, []fund.FloorRow{rb1, rb2}},
		{"district admin E", w.adminE, []fund.FloorRow{rc1}},
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
// communities of 999 households is 9,999.9967 each; in whole fen the first
// two get 10,000.00 and the third 9,999.99, so the shares add up to the
// contract, never more, and the third stays below its 10,000.00 floor.
func TestFloorReportDoesNotRoundUpToTheFloor(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cs := []place.Community{
		w.community(t, w.a, "330502001001", "东大街社区", 999),
		w.community(t, w.a, "330502001002", "西大街社区", 999),
		w.community(t, w.a, "330502001003", "南大街社区", 999),
	}
	fa := w.account(t, w.financeA, 2026, "fiscal_budget", "预算", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, fa.ID, 10_000_000, "fa")
	w.contract(t, w.a, fa.ID, 2_999_999, true, cs...)

	rows, err := w.svc.FloorReport(context.Background(), w.financeA)
	if err != nil || len(rows) != 3 {
		t.Fatalf("FloorReport() = %+v, %v; want 3 rows", rows, err)
	}
	var total money.Fen
	below := 0
	for _, r := range rows {
		total += r.Contracted
		if r.BelowFloor {
			below++
		}
	}
	if total != 2_999_999 || below != 1 || !rows[0].BelowFloor || rows[0].Code != "330502001003" {
		t.Errorf("shares %+v sum to %s with %d below the floor, want 29999.99 and the third community (by id) alone below", rows, total.Yuan(), below)
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
