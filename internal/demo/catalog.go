package demo

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// guidance is 吴兴区's guidance catalog in the demo.
var guidance = []struct{ category, code, notes string }{
	{"ELDERLY_HOME_CARE", "WX-A01", "含助餐、助洁、助浴、助医上门服务"},
	{"ELDERLY_DAY_CARE", "WX-A02", "社区日间照料中心运营"},
	{"DISABILITY_SUPPORT", "WX-A03", ""},
	{"CHARITY_SUPERMARKET", "WX-B01", ""},
	{"LEGAL_AID", "WX-C01", "法律咨询、法律援助转介"},
	{"CIVIL_MEDIATION", "WX-C02", ""},
	{"YOUTH_GUIDANCE", "WX-D01", ""},
	{"COMMUNITY_EDUCATION", "WX-D02", ""},
	{"SOCIAL_WORK_STATION", "WX-E01", "镇街社工站运营"},
}

type demoItem struct {
	officer, title, category, description, population, unit string
	quantity                                                int
	price                                                   money.Fen
	publish                                                 bool
	// metrics are the item's local metric set; nil takes the standard's.
	metrics []catalog.MetricChoice
}

var items = []demoItem{
	{"demo-officer", "居家养老上门服务", "ELDERLY_HOME_CARE",
		"为辖区内 80 周岁以上独居、空巢及失能半失能老人提供助餐、助洁、助浴、助医等上门服务，每人每月不少于 4 次。",
		"80 周岁以上独居、空巢及失能半失能老人", "人次", 12000, 4500, true, nil},
	{"demo-officer", "社区法律咨询与调解服务", "LEGAL_AID",
		"每周在各社区开设法律咨询窗口，提供法律咨询、法律援助转介和矛盾纠纷调解。",
		"辖区全体居民", "次", 600, 25000, true, nil},
	{"demo-officer", "青少年课后托管与成长辅导", "YOUTH_GUIDANCE",
		"为双职工家庭和困境儿童提供课后托管、学业辅导与心理支持。",
		"6–14 岁青少年", "人次", 3000, 6000, true, nil},
	{"demo-officer", "老年人日间照料中心运营", "ELDERLY_DAY_CARE",
		"运营南街社区日间照料中心，提供日托、康复训练与文娱活动。",
		"辖区 60 周岁以上老人", "人日", 9000, 3800, false, nil},
	{"demo-officer2", "镇街社工站运营服务", "SOCIAL_WORK_STATION",
		"承接飞英街道社工站运营，开展个案、小组与社区工作，培育社区社会组织。",
		"辖区困境群体与社区社会组织", "年", 1, 38000000, true, nil},
}

// seedCatalog gives the demo a living catalog: 吴兴区's guidance catalog,
// published transfer items (and one draft), and certified organizations with
// one application waiting for the district admin; then the funds. Existing
// records are kept.
func seedCatalog(ctx context.Context, db *gorm.DB, clk clock.Clock, params config.Argon2) error {
	cat := catalog.NewService(db, clk)
	orgs := org.NewService(db, clk, org.Options{Argon2: params})
	users, err := demoActors(ctx, db)
	if err != nil {
		return err
	}
	district := users["demo-district"]
	existing, err := cat.ListGuidance(ctx, district.Scope.DistrictID)
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	for _, e := range existing {
		listed[e.CategoryCode] = true
	}
	for _, g := range guidance {
		if listed[g.category] {
			continue
		}
		if _, err := cat.AddGuidance(ctx, district, district.Scope.DistrictID, catalog.GuidanceInput{
			CategoryCode: g.category, CatalogCode: g.code, Notes: g.notes}); err != nil {
			return fmt.Errorf("seed guidance %s: %w", g.category, err)
		}
	}
	for _, it := range items {
		if err := seedItem(ctx, db, cat, users[it.officer], it); err != nil {
			return err
		}
	}
	if err := seedCertifications(ctx, db, civil.ChinaDate(clk.Now()), orgs, users); err != nil {
		return err
	}
	return seedFunds(ctx, db, clk, users["demo-finance"])
}

// seedItem creates the transfer item it in its officer's subdistrict, and
// publishes it if it says so, unless an item of its title exists there.
func seedItem(ctx context.Context, db *gorm.DB, cat *catalog.Service, officer access.Actor, it demoItem) error {
	var n int64
	if err := db.WithContext(ctx).Table("transfer_item_versions v").Joins("JOIN transfer_items i ON i.id = v.item_id").
		Where("i.subdistrict_id = ? AND v.title = ?", officer.Scope.SubdistrictID, it.title).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	var communities []int64
	if err := db.WithContext(ctx).Table("communities").Where("subdistrict_id = ?", officer.Scope.SubdistrictID).
		Order("code").Pluck("id", &communities).Error; err != nil {
		return err
	}
	method := catalog.MethodOpenTender
	in := catalog.ItemInput{
		Title: &it.title, Description: &it.description, CategoryCode: &it.category, TargetPopulation: &it.population,
		LegalBasis:   ptr("《国务院办公厅关于政府向社会力量购买服务的指导意见》（国办发〔2013〕96号）"),
		CommunityIDs: &communities, AnnualQuantity: &it.quantity, QuantityUnit: &it.unit, UnitPriceFen: &it.price,
		PurchaseMethod: &method, MinGrade: ptr(3), MinSocialWorkers: ptr(2)}
	if it.metrics != nil {
		in.Metrics = &it.metrics
	}
	v, err := cat.CreateItem(ctx, officer, in)
	if err != nil {
		return fmt.Errorf("seed transfer item %s: %w", it.title, err)
	}
	if it.publish {
		if _, err := cat.PublishItem(ctx, officer, v.ID); err != nil {
			return fmt.Errorf("publish transfer item %s: %w", it.title, err)
		}
	}
	return nil
}

// demoActors returns the demo accounts as actors, by username.
func demoActors(ctx context.Context, db *gorm.DB) (map[string]access.Actor, error) {
	users := map[string]access.Actor{}
	var rows []struct {
		ID             int64
		Username       string
		Role           access.Role
		DistrictID     *int64
		SubdistrictID  *int64
		OrganizationID *int64
	}
	if err := db.WithContext(ctx).Table("users").Where("username LIKE 'demo-%'").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		a := access.Actor{UserID: r.ID, Username: r.Username, Role: r.Role, RequestID: "seed"}
		if r.DistrictID != nil {
			a.Scope.DistrictID = *r.DistrictID
		}
		if r.SubdistrictID != nil {
			a.Scope.SubdistrictID = *r.SubdistrictID
			if err := db.WithContext(ctx).Table("subdistricts").Select("district_id").Where("id = ?", *r.SubdistrictID).
				Scan(&a.Scope.DistrictID).Error; err != nil {
				return nil, err
			}
		}
		if r.OrganizationID != nil {
			a.Scope.OrganizationID = *r.OrganizationID
		}
		users[r.Username] = a
	}
	return users, nil
}

func seedCertifications(ctx context.Context, db *gorm.DB, today civil.Date, orgs *org.Service, users map[string]access.Actor) error {
	district := users["demo-district"]
	for _, c := range []struct {
		admin      string
		categories []string
		grade      int
		approve    bool
	}{
		{"demo-org", []string{"ELDERLY_HOME_CARE", "ELDERLY_DAY_CARE"}, 4, true},
		{"demo-org2", []string{"SOCIAL_WORK_STATION", "YOUTH_GUIDANCE", "LEGAL_AID"}, 5, true},
		{"demo-org2", []string{"COMMUNITY_EDUCATION"}, 0, false},
		{"demo-org3", []string{"ELDERLY_HOME_CARE"}, 3, true},
	} {
		admin := users[c.admin]
		var n int64
		if err := db.WithContext(ctx).Table("certification_categories cc").Joins("JOIN certifications ce ON ce.id = cc.certification_id").
			Where("ce.organization_id = ? AND cc.category_code = ?", admin.Scope.OrganizationID, c.categories[0]).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		cert, err := orgs.Apply(ctx, admin, org.ApplyInput{DistrictID: district.Scope.DistrictID, Categories: c.categories,
			Statement: "本机构在吴兴区从事相关服务多年，配备持证社工，具备独立承接能力。"})
		if err != nil {
			return fmt.Errorf("seed application of %s: %w", c.admin, err)
		}
		if !c.approve {
			continue
		}
		// The district verifies the social workers the organization declares.
		var declared int
		if err := db.WithContext(ctx).Table("organizations").Where("id = ?", admin.Scope.OrganizationID).
			Pluck("certified_social_workers", &declared).Error; err != nil {
			return err
		}
		if _, err := orgs.Approve(ctx, district, cert.ID, org.ApproveInput{Grade: c.grade,
			ValidFrom: today.AddDays(-30), ValidThrough: today.AddDays(2*365 - 1), VerifiedSocialWorkers: &declared}); err != nil {
			return fmt.Errorf("seed approval for %s: %w", c.admin, err)
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
