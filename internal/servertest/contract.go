package servertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Contract is a contract made for a test by ActiveContract.
type Contract struct {
	ID           int64
	Communities  []int64 // 爱山's three communities, by id
	ServiceStart civil.Date
	ServiceEnd   civil.Date
}

// ActiveContract writes, with SQL, an awarded tender of 爱山 (A) and an active
// contract of it with demo-org's organization (康乐), as the contract
// lifecycle would leave it: signed by both parties, serving A's three
// communities from 60 days before the clock's day to 300 days after, with the
// service types service_visits (次) and volunteer_hours (小时), both counted
// from service records, and a satisfaction metric from resident ratings. It
// needs the full demo seed (a published transfer item and A's fiscal fund).
// Test fixtures only: the contract service writes contracts.
func (e *Env) ActiveContract(t testing.TB) Contract {
	t.Helper()
	today := civil.ChinaDate(e.Clock.Now())
	c := Contract{ServiceStart: today.AddDays(-60), ServiceEnd: today.AddDays(300)}
	d := e.Demo(t)
	now := e.Clock.Now()
	tenderID, bidID, category := e.awardedTender(t, c, 10_000_000)
	signed := now.AddDate(0, 0, -25)
	err := e.DB.Raw(`INSERT INTO contracts (subdistrict_id, tender_id, bid_id, organization_id, fund_account_id, title, category_code, amount_fen,
		service_start, service_end, status, sign_by, officer_signed_at, org_signed_at, signed_at, signed_amount_fen, activated_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, '测试服务记录项目', ?, 9000000, ?, ?, 'active', ?, ?, ?, ?, 9000000, ?, ?, ?) RETURNING id`,
		d.SubA, tenderID, bidID, d.Org1, d.FundA, category, c.ServiceStart, c.ServiceEnd,
		now.AddDate(0, 0, -1), signed, signed, signed, signed, now.AddDate(0, 0, -30), signed).Scan(&c.ID).Error
	if err != nil {
		t.Fatalf("insert contract: %v", err)
	}
	if err := e.DB.Table("communities").Where("subdistrict_id = ?", d.SubA).Order("id").Pluck("id", &c.Communities).Error; err != nil {
		t.Fatal(err)
	}
	for i, id := range c.Communities {
		if err := e.DB.Exec(`INSERT INTO contract_communities (contract_id, community_id, eligible_population) VALUES (?, ?, ?)`,
			c.ID, id, 500+100*i).Error; err != nil {
			t.Fatalf("insert contract community: %v", err)
		}
	}
	if err := e.DB.Exec(`INSERT INTO contract_metrics (contract_id, code, name_zh, name_en, unit, direction, source, target, weight) VALUES
		(?, 'service_visits', '上门服务人次', 'Home service visits delivered', '次', 'higher', 'service_records', 1200, 40),
		(?, 'volunteer_hours', '志愿服务时长', 'Volunteer hours', '小时', 'higher', 'service_records', 2000, 30),
		(?, 'satisfaction', '服务对象满意度', 'Resident satisfaction', '%', 'higher', 'resident_ratings', 90, 30)`,
		c.ID, c.ID, c.ID).Error; err != nil {
		t.Fatalf("insert contract metrics: %v", err)
	}
	return c
}

// SignedContract makes, through the contract lifecycle, a contract of 爱山
// (A) with demo-org's organization for amount, serving A's communities from
// 60 days before the clock's day to 300 days after, with the default payment
// milestones (30 %, 40 %, 30 %) unless milestones are given: an awarded
// tender (SQL) whose ceiling, amount, is reserved in A's fiscal fund, its
// draft (contract.CreateDraft), the officer's change of the draft (the
// communities' eligible populations, the milestones), then both signatures
// through the contract service, which encumbers amount and runs the signing
// hooks (the signing milestones become due). It needs the full demo seed.
// Its one metric is service_visits (次, counted from service records,
// target 1200, weight 100); SignedContractWithMetrics names others.
func (e *Env) SignedContract(t testing.TB, amount money.Fen, milestones ...contract.MilestoneInput) Contract {
	t.Helper()
	return e.SignedContractWithMetrics(t, amount, []contract.Metric{{Code: "service_visits", NameZh: "上门服务人次",
		NameEn: "Home service visits delivered", Unit: "次", Direction: "higher", Source: "service_records", Target: 1200, Weight: 100}},
		milestones...)
}

// SignedContractWithMetrics is SignedContract with the contract's metrics.
func (e *Env) SignedContractWithMetrics(t testing.TB, amount money.Fen, metrics []contract.Metric, milestones ...contract.MilestoneInput) Contract {
	t.Helper()
	c := e.draftContract(t, amount, metrics, milestones...)
	for _, by := range []access.Actor{e.ActorOf(t, "demo-officer"), e.ActorOf(t, "demo-org")} {
		if _, err := e.Services.Contracts.Sign(context.Background(), by, c.ID); err != nil {
			t.Fatalf("sign contract %d as %s: %v", c.ID, by.Username, err)
		}
	}
	return c
}

// DraftContract is SignedContract before the signatures: a draft contract
// of 爱山 (A) with demo-org's organization, ready for both to sign.
func (e *Env) DraftContract(t testing.TB, amount money.Fen) Contract {
	t.Helper()
	return e.draftContract(t, amount, []contract.Metric{{Code: "service_visits", NameZh: "上门服务人次",
		NameEn: "Home service visits delivered", Unit: "次", Direction: "higher", Source: "service_records", Target: 1200, Weight: 100}})
}

func (e *Env) draftContract(t testing.TB, amount money.Fen, metrics []contract.Metric, milestones ...contract.MilestoneInput) Contract {
	t.Helper()
	ctx := context.Background()
	today := civil.ChinaDate(e.Clock.Now())
	c := Contract{ServiceStart: today.AddDays(-60), ServiceEnd: today.AddDays(300)}
	d := e.Demo(t)
	now := e.Clock.Now()
	tenderID, bidID, category := e.awardedTender(t, c, amount)
	if err := e.DB.Table("communities").Where("subdistrict_id = ?", d.SubA).Order("id").Pluck("id", &c.Communities).Error; err != nil {
		t.Fatal(err)
	}
	officer, finance := e.ActorOf(t, "demo-officer"), e.ActorOf(t, "demo-finance")
	err := e.DB.Transaction(func(tx *gorm.DB) error {
		if _, err := fund.Reserve(tx, finance, d.FundA, category, amount, fund.Ref{Type: "tender", ID: fmt.Sprint(tenderID)}); err != nil {
			return err
		}
		draft, err := contract.CreateDraft(tx, officer, contract.Draft{SubdistrictID: d.SubA, TenderID: tenderID, BidID: bidID,
			OrganizationID: d.Org1, FundAccountID: d.FundA, Title: "测试付款节点项目", CategoryCode: category, Amount: amount,
			ServiceStart: c.ServiceStart, ServiceEnd: c.ServiceEnd, CommunityIDs: c.Communities, SignBy: now.Add(30 * 24 * time.Hour),
			Metrics: metrics}, now)
		c.ID = draft.ID
		return err
	})
	if err != nil {
		t.Fatalf("reserve and draft a contract of %s: %v", amount.Yuan(), err)
	}
	populations := make([]contract.PopulationInput, len(c.Communities))
	for i, id := range c.Communities {
		populations[i] = contract.PopulationInput{CommunityID: id, EligiblePopulation: 500 + 100*i}
	}
	patch := contract.Patch{Populations: &populations}
	if len(milestones) > 0 {
		patch.Milestones = &milestones
	}
	if _, err := e.Services.Contracts.Update(ctx, officer, c.ID, patch); err != nil {
		t.Fatalf("enter the eligible populations of contract %d: %v", c.ID, err)
	}
	return c
}

// awardedTender writes, with SQL, an awarded open tender of 爱山 (A) from its
// first published transfer item, with ceiling and c's service period, and
// demo-org's winning bid; it returns their ids and the tender's category.
func (e *Env) awardedTender(t testing.TB, c Contract, ceiling money.Fen) (tenderID, bidID int64, category string) {
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
	err := e.DB.Raw(`INSERT INTO tenders (subdistrict_id, transfer_item_id, transfer_item_version, title, category_code, purchase_method,
		fund_account_id, ceiling_fen, service_start, service_end, weight_price, weight_technical, weight_performance, min_grade,
		min_social_workers, min_bids, challenge_days, questions_close_at, closes_at, opens_at, status, published_at, awarded_at, created_at, updated_at)
		VALUES (?, ?, ?, '测试服务记录项目', ?, 'open_tender', ?, ?, ?, ?, 30, 60, 10, 1, 0, 1, 5, ?, ?, ?, 'awarded', ?, ?, ?, ?) RETURNING id`,
		d.SubA, item.ItemID, item.Version, item.CategoryCode, d.FundA, ceiling, c.ServiceStart, c.ServiceEnd,
		now.AddDate(0, 0, -50), now.AddDate(0, 0, -45), now.AddDate(0, 0, -45), now.AddDate(0, 0, -55), now.AddDate(0, 0, -30),
		now.AddDate(0, 0, -56), now.AddDate(0, 0, -30)).Scan(&tenderID).Error
	if err != nil {
		t.Fatalf("insert tender: %v", err)
	}
	err = e.DB.Raw(`INSERT INTO bids (tender_id, organization_id, status, sealed, digest, seal_key_id, seal_version, received_at)
		VALUES (?, ?, 'active', '\x00', repeat('a', 64), repeat('b', 16), 2, ?) RETURNING id`, tenderID, d.Org1, now.AddDate(0, 0, -46)).Scan(&bidID).Error
	if err != nil {
		t.Fatalf("insert bid: %v", err)
	}
	return tenderID, bidID, item.CategoryCode
}

// SetContractStatus moves a contract made by ActiveContract to status, with
// the end columns the status needs. Test fixtures only.
func (e *Env) SetContractStatus(t testing.TB, id int64, status string) {
	t.Helper()
	q := `UPDATE contracts SET status = ?, ended_at = NULL, end_reason = NULL WHERE id = ?`
	if status == "completed" || status == "terminated" {
		q = `UPDATE contracts SET status = ?, ended_at = now(), end_reason = '测试' WHERE id = ?`
	}
	if err := e.DB.Exec(q, status, id).Error; err != nil {
		t.Fatalf("set contract %d to %s: %v", id, status, err)
	}
}
