package servertest

import (
	"net/http"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/org"
)

// ActorOf returns the actor of a user as the auth service makes it.
func (e *Env) ActorOf(t testing.TB, username string) access.Actor {
	t.Helper()
	var u struct {
		ID             int64
		Role           access.Role
		DistrictID     *int64
		SubdistrictID  *int64
		OrganizationID *int64
	}
	if err := e.DB.Table("users").Where("username = ?", username).Take(&u).Error; err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	a := access.Actor{UserID: u.ID, Username: username, Role: u.Role, RequestID: "test"}
	if u.DistrictID != nil {
		a.Scope.DistrictID = *u.DistrictID
	}
	if u.SubdistrictID != nil {
		a.Scope.SubdistrictID = *u.SubdistrictID
		a.Scope.DistrictID = e.IDOf(t, "districts", "id = (SELECT district_id FROM subdistricts WHERE id = ?)", *u.SubdistrictID)
	}
	if u.OrganizationID != nil {
		a.Scope.OrganizationID = *u.OrganizationID
	}
	return a
}

func (e *Env) UserExists(t testing.TB, username string) bool {
	t.Helper()
	var n int64
	if err := e.DB.Table("users").Where("username = ?", username).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// CreateUser creates a user with the demo password through the API, as the
// platform admin does.
func (e *Env) CreateUser(t testing.TB, body map[string]any) {
	t.Helper()
	body["password"] = DemoPassword
	r := e.Do(t, Request{Method: "POST", Path: "/api/v1/users", Token: e.Token(t, "demo-admin"), Body: body})
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /api/v1/users %v = %d %s", body["username"], r.Status, r.Body)
	}
}

// Count returns the number of rows in table.
func Count(t testing.TB, e *Env, table string) int64 {
	t.Helper()
	var n int64
	if err := e.DB.Table(table).Count(&n).Error; err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// CreditCode completes the 17 characters of base with the check character
// that makes a valid unified social credit code, for unique fixture codes.
func CreditCode(t testing.TB, base string) string {
	t.Helper()
	for _, c := range "0123456789ABCDEFGHJKLMNPQRTUWXY" {
		if code := base + string(c); org.ValidCreditCode(code) {
			return code
		}
	}
	t.Fatalf("no check character completes %q", base)
	return ""
}

// Call sends a request and fails the test unless it answers want; the body
// is decoded into out when out is not nil.
func Call(t testing.TB, e *Env, method, path, token string, body any, want int, out any) Response {
	t.Helper()
	r := e.Do(t, Request{Method: method, Path: path, Token: token, Body: body})
	if r.Status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, r.Status, r.Body, want)
	}
	if out != nil {
		r.JSON(t, out)
	}
	return r
}

// Identities are the callers of the authorization matrices, one column each:
// nobody, then the demo accounts, so that every role and both tenants of a
// kind (two subdistricts, two organizations) have a column.
var Identities = []string{
	"anonymous",
	"demo-admin",     // platform_admin
	"demo-district",  // district_admin of 吴兴区
	"demo-officer",   // procurement_officer of 爱山 (A)
	"demo-finance",   // finance_officer of 爱山 (A)
	"demo-evaluator", // evaluator of 吴兴区
	"demo-org",       // org_admin of 康乐 (org 1)
	"demo-officer2",  // procurement_officer of 飞英 (B)
	"demo-org2",      // org_admin of 社会工作者协会 (org 2)
	"demo-member",    // org_member of 康乐 (org 1)
	"demo-resident",  // resident
}

// DemoIDs are the ids of the demo seed's records the tests address.
type DemoIDs struct {
	District     int64 // 吴兴区
	SubA, SubB   int64 // 爱山街道, 飞英街道
	CommA, CommB int64 // 南街社区 (in A), 飞英社区 (in B)
	Org1, Org2   int64 // 康乐 (demo-org's), 社会工作者协会 (demo-org2's)
	FundA        int64 // 爱山's 政府购买服务专项资金
	Lottery      int64 // 爱山's 福彩公益金, which takes donations
	Resident     int64 // demo-resident's user id
}

// Demo returns the ids of the demo records, read once per Env; a record an
// AccountsOnly seed did not make (a fund) is 0.
func (e *Env) Demo(t testing.TB) DemoIDs {
	t.Helper()
	e.demoOnce.Do(func() {
		id := func(table, where string, arg any) int64 {
			var ids []int64
			if err := e.DB.Table(table).Where(where, arg).Pluck("id", &ids).Error; err != nil || len(ids) > 1 {
				t.Fatalf("find %s where %s: %v, %d rows", table, where, err, len(ids))
			}
			if len(ids) == 0 {
				return 0
			}
			return ids[0]
		}
		e.demo = DemoIDs{
			District: id("districts", "code = ?", "330502"),
			SubA:     id("subdistricts", "code = ?", "330502003"),
			SubB:     id("subdistricts", "code = ?", "330502004"),
			CommA:    id("communities", "code = ?", "330502003001"),
			CommB:    id("communities", "code = ?", "330502004001"),
			Org1:     id("organizations", "credit_code = ?", "52330502MJ526018XR"),
			Org2:     id("organizations", "credit_code = ?", "51330502MJ016613XH"),
			FundA:    id("fund_accounts", "name = ?", "爱山街道政府购买服务专项资金"),
			Lottery:  id("fund_accounts", "name = ?", "爱山街道福彩公益金"),
			Resident: id("users", "username = ?", "demo-resident"),
		}
	})
	return e.demo
}
