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
