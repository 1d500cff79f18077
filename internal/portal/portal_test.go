package portal_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/portal"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// tender writes, with SQL, a tender of subdistrict sub in status whose
// bidding closes at closes.
func tender(t *testing.T, e *servertest.Env, sub int64, status string, closes time.Time) int64 {
	t.Helper()
	d := e.Demo(t)
	now := e.Clock.Now()
	var item struct {
		ItemID       int64
		Version      int
		CategoryCode string
	}
	if err := e.DB.Raw(`SELECT v.item_id, v.version, v.category_code FROM transfer_item_versions v JOIN transfer_items i ON i.id = v.item_id
		WHERE i.subdistrict_id = ? AND v.status = 'published' ORDER BY v.item_id LIMIT 1`, d.SubA).Scan(&item).Error; err != nil || item.ItemID == 0 {
		t.Fatalf("a published transfer item of A: %v", err)
	}
	var published *time.Time
	if status != "draft" {
		p := closes.AddDate(0, 0, -30)
		published = &p
	}
	var id int64
	err := e.DB.Raw(`INSERT INTO tenders (subdistrict_id, transfer_item_id, transfer_item_version, title, category_code, purchase_method,
		fund_account_id, ceiling_fen, service_start, service_end, weight_price, weight_technical, weight_performance, min_grade,
		min_social_workers, min_bids, challenge_days, questions_close_at, closes_at, opens_at, status, published_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 'open_tender', ?, 5000000, '2027-01-01', '2027-12-31', 30, 60, 10, 1, 0, 1, 5, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		sub, item.ItemID, item.Version, "门户测试 "+status, item.CategoryCode, d.FundA, closes.Add(-time.Hour), closes, closes.Add(time.Hour),
		status, published, now, now).Scan(&id).Error
	if err != nil {
		t.Fatalf("insert a %s tender: %v", status, err)
	}
	return id
}

// signedAt moves the signature of a contract made by ActiveContract to at.
func signedAt(t *testing.T, e *servertest.Env, id int64, at time.Time) {
	t.Helper()
	if err := e.DB.Exec(`UPDATE contracts SET officer_signed_at = ?, org_signed_at = ?, signed_at = ? WHERE id = ?`, at, at, at, id).Error; err != nil {
		t.Fatalf("move the signature of contract %d: %v", id, err)
	}
}

// paid makes a manual payout of amount from 爱山's fiscal fund to org 1,
// confirms it and moves its payment to at (nil: leaves it requested).
func paid(t *testing.T, e *servertest.Env, amount money.Fen, at *time.Time) {
	t.Helper()
	d := e.Demo(t)
	finance := e.ActorOf(t, "demo-finance")
	ref := fmt.Sprintf("portal-%d-%d", amount, e.Clock.Now().UnixNano())
	p := servertest.RequestPayout(t, e.DB, servertest.ManualPayouts(e), finance, d.FundA, d.Org1, amount, ref)
	if at == nil {
		return
	}
	if _, err := e.Services.Payouts.ConfirmManual(context.Background(), finance, p.ID, "银行回单 "+ref); err != nil {
		t.Fatalf("ConfirmManual() error = %v", err)
	}
	if err := e.DB.Exec(`UPDATE payouts SET paid_at = ? WHERE id = ?`, *at, p.ID).Error; err != nil {
		t.Fatalf("move payout %d to %v: %v", p.ID, at, err)
	}
}

// ratings writes the rating aggregate of a community: n ratings of the kind
// code, with their overall stars' sum and the number of 4 or 5.
func ratings(t *testing.T, e *servertest.Env, community, n, sum, satisfied int64) {
	t.Helper()
	if err := e.DB.Exec(`INSERT INTO rating_aggregates (scope, scope_id, kind, n, sum_timeliness, sum_professionalism, sum_attitude,
		sum_effectiveness, sum_overall, satisfied) VALUES ('community', ?, 'code', ?, ?, ?, ?, ?, ?, ?)`,
		community, n, sum, sum, sum, sum, sum, satisfied).Error; err != nil {
		t.Fatalf("insert the rating aggregate of community %d: %v", community, err)
	}
}

func TestHomeFigures(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	ctx := context.Background()
	d := e.Demo(t)
	now := e.Clock.Now() // 2026-11-22 09:00 UTC

	empty, err := e.Services.Portal.Home(ctx)
	if err != nil {
		t.Fatalf("Home() error = %v", err)
	}
	if empty.Year != 2026 || empty.ThroughMonth != 11 || empty.Figures.OpenTenders != 0 || empty.Figures.Committed != 0 ||
		empty.Figures.Paid != 0 || empty.Figures.Satisfaction.Needed != 5 {
		t.Fatalf("Home() of the bare seed = %+v, want 2026 through November, nothing, 5 ratings needed", empty)
	}

	// Open: published and closing later; not: closed a minute ago, a draft,
	// a cancelled one.
	tender(t, e, d.SubA, "published", now.Add(48*time.Hour))
	tender(t, e, d.SubB, "published", now.Add(time.Minute))
	tender(t, e, d.SubA, "published", now.Add(-time.Minute))
	tender(t, e, d.SubA, "draft", now.Add(48*time.Hour))
	tender(t, e, d.SubA, "cancelled", now.Add(48*time.Hour))

	// Contracts of 90,000.00 each (A): active and signed this year; active,
	// signed at midnight of New Year's Day in China; completed, signed this
	// year; signed a second before this year in China.
	active := e.ActiveContract(t)
	newYear := e.ActiveContract(t)
	signedAt(t, e, newYear.ID, time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC))
	done := e.ActiveContract(t)
	e.SetContractStatus(t, done.ID, "completed")
	lastYear := e.ActiveContract(t)
	signedAt(t, e, lastYear.ID, time.Date(2025, 12, 31, 15, 59, 59, 0, time.UTC))
	e.SetContractStatus(t, lastYear.ID, "completed")
	_ = active

	// Paid this year: 100.00 now, 250.00 on 1 March in China (still 28
	// February in UTC); not: 400.00 on New Year's Eve in China, 800.00
	// requested and not paid.
	paid(t, e, 10_000, &now)
	march := time.Date(2026, 2, 28, 16, 30, 0, 0, time.UTC)
	paid(t, e, 25_000, &march)
	eve := time.Date(2025, 12, 31, 15, 0, 0, 0, time.UTC)
	paid(t, e, 40_000, &eve)
	paid(t, e, 80_000, nil)

	// Satisfaction: A's community 4 ratings (3 satisfied, 15 stars), B's 3
	// (1 satisfied, 10 stars): 7 ratings, 4 satisfied, 25 stars.
	ratings(t, e, d.CommA, 4, 15, 3)
	ratings(t, e, d.CommB, 3, 10, 1)

	got, err := e.Services.Portal.Home(ctx)
	if err != nil {
		t.Fatalf("Home() error = %v", err)
	}
	want := portal.Figures{OpenTenders: 2, ActiveContracts: 2, Committed: 3 * 9_000_000, Paid: 35_000,
		Satisfaction: portal.Satisfaction{Count: 7, Percent: "57.14", Mean: "3.57"}}
	opt := cmpopts.IgnoreUnexported(portal.Figures{})
	if diff := cmp.Diff(want, got.Figures, opt); diff != "" {
		t.Errorf("Home().Figures (-want +got):\n%s", diff)
	}
	var months [12]money.Fen
	months[2], months[10] = 25_000, 10_000
	if got.PaidByMonth != months {
		t.Errorf("Home().PaidByMonth = %v, want %v", got.PaidByMonth, months)
	}
	bySub := map[int64]portal.Figures{}
	for _, s := range got.Subdistricts {
		bySub[s.ID] = s.Figures
	}
	wantA := portal.Figures{OpenTenders: 1, ActiveContracts: 2, Committed: 3 * 9_000_000, Paid: 35_000,
		Satisfaction: portal.Satisfaction{Count: 4, Needed: 1}}
	if diff := cmp.Diff(wantA, bySub[d.SubA], opt); diff != "" {
		t.Errorf("爱山's figures (-want +got):\n%s", diff)
	}
	wantB := portal.Figures{OpenTenders: 1, Satisfaction: portal.Satisfaction{Count: 3, Needed: 2}}
	if diff := cmp.Diff(wantB, bySub[d.SubB], opt); diff != "" {
		t.Errorf("飞英's figures (-want +got):\n%s", diff)
	}

	sub, err := e.Services.Portal.Subdistrict(ctx, d.SubA)
	if err != nil {
		t.Fatalf("Subdistrict(A) error = %v", err)
	}
	if len(sub.OpenTenders) != 1 || len(sub.ActiveContracts) != 2 || sub.PaidByMonth != months || len(sub.Funds) == 0 {
		t.Errorf("Subdistrict(A) = %d open tenders, %d active contracts, paid %v, %d fund rows; want 1, 2, %v, some",
			len(sub.OpenTenders), len(sub.ActiveContracts), sub.PaidByMonth, len(sub.Funds), months)
	}
	if _, err := e.Services.Portal.Subdistrict(ctx, 999_999); err == nil {
		t.Errorf("Subdistrict(unknown) error = nil, want not found")
	}
}
