//go:build chaos

package chaos_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// password is every account's password in the chaos tests.
const password = "chaos-password-for-tests"

// argon2 is cheap hashing for the seeded accounts (their hashes carry it).
var argon2 = config.Argon2{MemoryKiB: 8192, Iterations: 1, Parallelism: 1}

// category is the service category of the surge's tender.
const category = "ELDERLY_HOME_CARE"

// seedWorld creates the demo's places, accounts, catalog, certifications and
// funds (demo.Seed, no tenders) and n more organizations certified for
// category, each with an admin chaos-org-NN, as the services write them.
// It returns the bidders' usernames.
func seedWorld(t *testing.T, gdb *gorm.DB, n int) []string {
	t.Helper()
	ctx := context.Background()
	clk := clock.System{}
	if _, err := demo.Seed(ctx, gdb, clk, password, argon2, demo.Keys{}); err != nil {
		t.Fatalf("demo.Seed() error = %v", err)
	}
	hash, err := auth.HashPassword(password, argon2)
	if err != nil {
		t.Fatal(err)
	}
	district := actor(t, gdb, "demo-district")
	orgs := org.NewService(gdb, clk, org.Options{Argon2: argon2})
	seed := access.SystemActor("chaos-seed", "chaos-seed")
	today := civil.ChinaDate(clk.Now())
	bidders := []string{"demo-org", "demo-org3"} // the demo's certified ones
	for i := 1; i <= n; i++ {
		username := fmt.Sprintf("chaos-org-%02d", i)
		err := gdb.Transaction(func(tx *gorm.DB) error {
			reg := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
			o, err := org.CreateTx(tx, seed, org.Input{CreditCode: servertest.CreditCode(t, fmt.Sprintf("52330502MJ9%06d", i)),
				LegalName: fmt.Sprintf("湖州市吴兴区第%d居家养老服务中心", i), OrgType: org.SocialServiceInstitution, DistrictID: district.Scope.DistrictID,
				RegistrationDate: &reg, LegalRepresentative: "张三", ContactName: "张三", ContactPhone: "0572-2200000",
				ContactEmail: fmt.Sprintf("org%02d@chaos.example.org", i), Address: "吴兴区爱山街道", StaffCount: 30, CertifiedSocialWorkers: 10}, clk.Now())
			if err != nil {
				return err
			}
			_, err = auth.CreateUserTx(tx, seed, auth.UserInput{Username: username, DisplayName: username, Role: access.OrgAdmin,
				OrganizationID: &o.ID, Locale: "zh-CN"}, hash, clk.Now())
			return err
		})
		if err != nil {
			t.Fatalf("seed organization %d: %v", i, err)
		}
		admin := actor(t, gdb, username)
		cert, err := orgs.Apply(ctx, admin, org.ApplyInput{DistrictID: district.Scope.DistrictID, Categories: []string{category},
			Statement: "本机构从事居家养老服务多年，配备持证社工。"})
		if err != nil {
			t.Fatalf("certification application of %s: %v", username, err)
		}
		workers := 10
		if _, err := orgs.Approve(ctx, district, cert.ID, org.ApproveInput{Grade: 5, ValidFrom: today.AddDays(-30),
			ValidThrough: today.AddDays(365), VerifiedSocialWorkers: &workers}); err != nil {
			t.Fatalf("certification of %s: %v", username, err)
		}
		bidders = append(bidders, username)
	}
	return bidders
}

// actor is the seeded account username as an actor.
func actor(t *testing.T, gdb *gorm.DB, username string) access.Actor {
	t.Helper()
	var u struct {
		ID                                        int64
		Role                                      access.Role
		DistrictID, SubdistrictID, OrganizationID *int64
	}
	if err := gdb.Table("users").Where("username = ?", username).Take(&u).Error; err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	a := access.Actor{UserID: u.ID, Username: username, Role: u.Role, RequestID: "chaos-seed"}
	if u.DistrictID != nil {
		a.Scope.DistrictID = *u.DistrictID
	}
	if u.SubdistrictID != nil {
		a.Scope.SubdistrictID = *u.SubdistrictID
		if err := gdb.Table("subdistricts").Select("district_id").Where("id = ?", *u.SubdistrictID).Scan(&a.Scope.DistrictID).Error; err != nil {
			t.Fatal(err)
		}
	}
	if u.OrganizationID != nil {
		a.Scope.OrganizationID = *u.OrganizationID
	}
	return a
}

// draftTender writes the surge's tender as demo-officer would: 爱山街道's
// published transfer item of category, funded from its fiscal fund, closing
// at closes and opening at opens, a short window justified. It returns the
// draft (publication is the API's, so that the serving replicas schedule its
// close and opening).
func draftTender(t *testing.T, gdb *gorm.DB, ceiling money.Fen, closes, opens time.Time) tender.View {
	t.Helper()
	officer := actor(t, gdb, "demo-officer")
	var itemID, fundID int64
	if err := gdb.Raw(`SELECT i.id FROM transfer_items i JOIN transfer_item_versions v ON v.item_id = i.id AND v.version = i.published_version
		WHERE i.subdistrict_id = ? AND i.status = 'published' AND v.category_code = ? ORDER BY i.id LIMIT 1`,
		officer.Scope.SubdistrictID, category).Scan(&itemID).Error; err != nil || itemID == 0 {
		t.Fatalf("published transfer item of %s: %d, %v", category, itemID, err)
	}
	if err := gdb.Raw(`SELECT id FROM fund_accounts WHERE subdistrict_id = ? AND fiscal_year = ? ORDER BY id LIMIT 1`,
		officer.Scope.SubdistrictID, time.Now().Year()).Scan(&fundID).Error; err != nil || fundID == 0 {
		t.Fatalf("fiscal fund: %d, %v", fundID, err)
	}
	var committee []int64
	for _, name := range []string{"demo-evaluator", "demo-evaluator2", "demo-evaluator3"} {
		committee = append(committee, actor(t, gdb, name).UserID)
	}
	today := civil.ChinaDate(time.Now())
	start, end := today.AddDays(30), today.AddDays(30+364)
	title, description := "爱山街道居家养老上门服务项目（故障演练）", "为辖区高龄独居老人提供助餐、助洁、助浴等上门服务。"
	short := "故障演练：投标期限为数秒。"
	weights := tender.Weights{Price: 30, Technical: 60, Performance: 10}
	criteria := []tender.Criterion{{Code: "plan", Name: "服务方案", MaxPoints: 60}}
	minBids := 3
	svc := tender.NewService(gdb, clock.System{}, nil, tender.Options{AmendmentMinDays: 3, ChallengeDays: 5, MinBiddingDays: config.DefaultMinBiddingDays()})
	v, err := svc.Create(context.Background(), officer, tender.Input{ShortWindowJustification: &short, TransferItemID: &itemID,
		Title: &title, Description: &description, FundAccountID: &fundID, CeilingFen: &ceiling, ServiceStart: &start, ServiceEnd: &end,
		Weights: &weights, Criteria: &criteria, MinBids: &minBids, QuestionsCloseAt: &closes, ClosesAt: &closes, OpensAt: &opens,
		CommitteeUserIDs: &committee})
	if err != nil {
		t.Fatalf("create the tender: %v", err)
	}
	return v
}
