package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// TestUserRoutesLeaveOrganizationAccounts: an organization's accounts are
// made and changed by the organization alone (its sign-up, its admin's
// invitations). The platform admin's user routes create no account with an
// organization role or an organization, move no account into one, and change
// nothing of an organization's account but its status (issue 10, finding 3).
func TestUserRoutesLeaveOrganizationAccounts(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	admin := e.Token(t, "demo-admin")
	d := e.Demo(t)
	member, resident := e.IDOf(t, "users", "username = ?", "demo-member"), d.Resident
	user := func(id int64) string { return "/api/v1/users/" + strconv.FormatInt(id, 10) }
	account := func(extra map[string]any) map[string]any {
		b := map[string]any{"username": "planted-account", "password": servertest.DemoPassword}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   map[string]any
		code   string
	}{
		{"create an org_admin", "POST", "/api/v1/users", account(map[string]any{"role": "org_admin", "organization_id": d.Org1}), "user.organization_role"},
		{"create an org_member", "POST", "/api/v1/users", account(map[string]any{"role": "org_member", "organization_id": d.Org1}), "user.organization_role"},
		{"create an org_member without an organization", "POST", "/api/v1/users", account(map[string]any{"role": "org_member"}), "user.organization_role"},
		{"create a resident with an organization", "POST", "/api/v1/users", account(map[string]any{"role": "resident", "organization_id": d.Org1}), "user.organization_role"},
		{"create an evaluator with an organization", "POST", "/api/v1/users",
			account(map[string]any{"role": "evaluator", "district_id": d.District, "organization_id": d.Org1}), "user.organization_role"},
		{"reset a member's password", "PATCH", user(member), map[string]any{"password": "a new password of mine"}, "user.organization_account"},
		{"rename a member", "PATCH", user(member), map[string]any{"display_name": "改名"}, "user.organization_account"},
		{"change a member's language", "PATCH", user(member), map[string]any{"locale": "en"}, "user.organization_account"},
		{"disable a member and reset its password", "PATCH", user(member), map[string]any{"status": "disabled", "password": "a new password of mine"}, "user.organization_account"},
		{"make a member an admin", "PATCH", user(member), map[string]any{"role": "org_admin", "organization_id": d.Org1}, "user.organization_account"},
		{"move a member to another organization", "PATCH", user(member), map[string]any{"organization_id": d.Org2}, "user.organization_account"},
		{"make a member a resident", "PATCH", user(member), map[string]any{"role": "resident"}, "user.organization_account"},
		{"move a resident into an organization", "PATCH", user(resident), map[string]any{"role": "org_member", "organization_id": d.Org1}, "user.organization_role"},
		{"give a resident an organization", "PATCH", user(resident), map[string]any{"organization_id": d.Org1}, "user.organization_role"},
		{"give a resident an organization role", "PATCH", user(resident), map[string]any{"role": "org_admin"}, "user.organization_role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Refused(t, servertest.Request{Method: tt.method, Path: tt.path, Token: admin, Body: tt.body}, http.StatusForbidden, tt.code)
		})
	}

	t.Run("the platform admin disables and enables a member, audited", func(t *testing.T) {
		tk := e.Tokens(t, "demo-member")
		for _, status := range []string{"disabled", "active"} {
			authOK(t, "PATCH status "+status, e.Do(t, servertest.Request{Method: "PATCH", Path: user(member), Token: admin,
				Body: map[string]any{"status": status}}), http.StatusOK)
		}
		authProblem(t, "GET /api/v1/me with the member's token from before", authMe(t, e, tk.AccessToken), http.StatusUnauthorized, "auth.invalid_token")
		authProblem(t, "refresh of the member's session from before", authRefresh(t, e, tk.RefreshToken), http.StatusUnauthorized, "auth.invalid_token")
		authTokens(t, "login of the enabled member", authLogin(t, e, "demo-member", servertest.DemoPassword))

		got := authEntries(t, e, "user.status_change")
		var changes []string
		for _, g := range got {
			var data struct{ From, To string }
			if err := json.Unmarshal([]byte(g.Data), &data); err != nil {
				t.Fatalf("audit data %q: %v", g.Data, err)
			}
			if g.ActorName != "demo-admin" || g.EntityID != strconv.FormatInt(member, 10) {
				t.Errorf("user.status_change entry = %+v, want by demo-admin on user %d", g, member)
			}
			changes = append(changes, data.From+"→"+data.To)
		}
		if want := "[active→disabled disabled→active]"; fmt.Sprint(changes) != want {
			t.Errorf("user.status_change entries = %v, want %s", changes, want)
		}
	})
}
