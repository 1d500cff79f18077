package catalog_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

var (
	start    = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	platform = access.Actor{Username: "platform", Role: access.PlatformAdmin, RequestID: "req-platform"}
)

// world is district D (吴兴区) with subdistricts A (communities a1, a2) and B
// (community b1), district E (南浔区) with subdistrict C, and a user account
// for every actor that writes a transfer item.
type world struct {
	db    *gorm.DB
	clock *clock.Manual
	svc   *catalog.Service

	d, e    place.District
	a, b, c place.Subdistrict
	a1, a2  place.Community
	b1      place.Community

	officerA, officerB, officerC, financeA access.Actor
	adminD, adminE, evaluatorD, orgAdmin   access.Actor
}

func newWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: dbtest.New(t), clock: clock.NewManual(start)}
	w.svc = catalog.NewService(w.db, w.clock)
	places := place.NewService(w.db, w.clock)
	var err error
	must := func(what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	w.d, err = places.CreateDistrict(ctx, platform, place.DistrictInput{Code: "330502", NameZh: "吴兴区", NameEn: "Wuxing"})
	must("CreateDistrict D")
	w.e, err = places.CreateDistrict(ctx, platform, place.DistrictInput{Code: "330503", NameZh: "南浔区", NameEn: "Nanxun"})
	must("CreateDistrict E")
	w.a, err = places.CreateSubdistrict(ctx, platform, place.SubdistrictInput{DistrictID: w.d.ID, Code: "330502001", NameZh: "月河街道"})
	must("CreateSubdistrict A")
	w.b, err = places.CreateSubdistrict(ctx, platform, place.SubdistrictInput{DistrictID: w.d.ID, Code: "330502002", NameZh: "朝阳街道"})
	must("CreateSubdistrict B")
	w.c, err = places.CreateSubdistrict(ctx, platform, place.SubdistrictInput{DistrictID: w.e.ID, Code: "330503001", NameZh: "南浔镇"})
	must("CreateSubdistrict C")
	w.a1, err = places.CreateCommunity(ctx, platform, place.CommunityInput{SubdistrictID: w.a.ID, Code: "330502001001", NameZh: "马军巷社区", Households: 999})
	must("CreateCommunity a1")
	w.a2, err = places.CreateCommunity(ctx, platform, place.CommunityInput{SubdistrictID: w.a.ID, Code: "330502001002", NameZh: "衣裳街社区", Households: 2000})
	must("CreateCommunity a2")
	w.b1, err = places.CreateCommunity(ctx, platform, place.CommunityInput{SubdistrictID: w.b.ID, Code: "330502002001", NameZh: "龙溪社区", Households: 2001})
	must("CreateCommunity b1")

	w.officerA = w.user(t, "officer-a", access.ProcurementOfficer, w.d.ID, w.a.ID)
	w.officerB = w.user(t, "officer-b", access.ProcurementOfficer, w.d.ID, w.b.ID)
	w.officerC = w.user(t, "officer-c", access.ProcurementOfficer, w.e.ID, w.c.ID)
	w.financeA = w.user(t, "finance-a", access.FinanceOfficer, w.d.ID, w.a.ID)
	w.adminD = w.user(t, "admin-d", access.DistrictAdmin, w.d.ID, 0)
	w.adminE = w.user(t, "admin-e", access.DistrictAdmin, w.e.ID, 0)
	w.evaluatorD = w.user(t, "evaluator-d", access.Evaluator, w.d.ID, 0)
	// No organization exists: an org admin is only needed as an outsider.
	w.orgAdmin = access.Actor{Username: "org-admin", Role: access.OrgAdmin, Scope: access.Scope{OrganizationID: 1}}
	return w
}

// user inserts a user account and returns its actor. A subdistrict officer's
// scope carries its district too, as the session layer sets it.
func (w *world) user(t testing.TB, name string, role access.Role, districtID, subdistrictID int64) access.Actor {
	t.Helper()
	// The account of a subdistrict officer names only its subdistrict.
	rowDistrict := districtID
	if role.ScopeKind() == access.ScopeSubdistrict {
		rowDistrict = 0
	}
	var id int64
	err := w.db.Raw(`INSERT INTO users (username, password_hash, role, district_id, subdistrict_id)
		VALUES (?, 'x', ?, NULLIF(?::bigint, 0), NULLIF(?::bigint, 0)) RETURNING id`,
		name, string(role), rowDistrict, subdistrictID).Scan(&id).Error
	if err != nil {
		t.Fatalf("insert user %s: %v", name, err)
	}
	return access.Actor{UserID: id, Username: name, Role: role, RequestID: "req-" + name,
		Scope: access.Scope{DistrictID: districtID, SubdistrictID: subdistrictID}}
}

// allow adds category to the guidance catalog of the district admin's district.
func (w *world) allow(t testing.TB, admin access.Actor, category, catalogCode string) {
	t.Helper()
	if _, err := w.svc.AddGuidance(context.Background(), admin, admin.Scope.DistrictID,
		catalog.GuidanceInput{CategoryCode: category, CatalogCode: catalogCode}); err != nil {
		t.Fatalf("AddGuidance(%s) error = %v", category, err)
	}
}

// input is a valid transfer item of category with title.
func input(title, category string) catalog.ItemInput {
	return catalog.ItemInput{
		Title:            ptr(title),
		Description:      ptr("为辖区内高龄、独居老人提供上门助洁、助浴服务。"),
		CategoryCode:     ptr(category),
		LegalBasis:       ptr("《关于政府向社会力量购买服务的指导意见》"),
		TargetPopulation: ptr("80周岁以上老人"),
		AnnualQuantity:   ptr(1200),
		QuantityUnit:     ptr("人次"),
		UnitPriceFen:     ptr(money.Fen(5000)),
		PurchaseMethod:   ptr("open_tender"),
		MinGrade:         ptr(3),
		MinSocialWorkers: ptr(2),
	}
}

// create creates an item, failing the test on error.
func (w *world) create(t testing.TB, by access.Actor, in catalog.ItemInput) catalog.View {
	t.Helper()
	v, err := w.svc.CreateItem(context.Background(), by, in)
	if err != nil {
		t.Fatalf("CreateItem(%q) error = %v", deref(in.Title), err)
	}
	return v
}

// publish publishes an item's draft, failing the test on error.
func (w *world) publish(t testing.TB, by access.Actor, id int64) catalog.View {
	t.Helper()
	v, err := w.svc.PublishItem(context.Background(), by, id)
	if err != nil {
		t.Fatalf("PublishItem(%d) error = %v", id, err)
	}
	return v
}

// update edits an item, failing the test on error.
func (w *world) update(t testing.TB, by access.Actor, id int64, in catalog.ItemInput) catalog.View {
	t.Helper()
	v, err := w.svc.UpdateItem(context.Background(), by, id, in)
	if err != nil {
		t.Fatalf("UpdateItem(%d) error = %v", id, err)
	}
	return v
}

func (w *world) count(t testing.TB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := w.db.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// audited counts the audit entries of action.
func (w *world) audited(t testing.TB, action string) int64 {
	t.Helper()
	return w.count(t, `SELECT count(*) FROM audit_entries WHERE action = ?`, action)
}

// isErr is errors.Is that takes a nil want as "no error".
func isErr(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
