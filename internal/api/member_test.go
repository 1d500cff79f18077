package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// memberPasswordPath is the path that sets the password of account uid of
// organization org.
func memberPasswordPath(org, uid int64) string {
	return fmt.Sprintf("/api/v1/organizations/%d/members/%d/password", org, uid)
}

// memberInvite has the admin (a token) of organization org add an account
// with the demo password and returns it.
func memberInvite(t *testing.T, e *servertest.Env, admin string, org int64, username, role string) auth.User {
	t.Helper()
	body := map[string]any{"username": username, "password": servertest.DemoPassword}
	if role != "" {
		body["role"] = role
	}
	var u auth.User
	servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/organizations/%d/members", org), admin, body, http.StatusCreated, &u)
	return u
}

// TestMemberPasswordReset: an organization's admin sets the password of
// another of its accounts that lost it (issue 10, finding 12). Every session
// of that account ends, the reset is audited without the password, and
// nobody else may: not a member, another organization's admin, nor any
// platform, district or subdistrict role. An admin's own password is set by
// a second admin, whom the admin invites.
func TestMemberPasswordReset(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	d := e.Demo(t)
	admin := e.Token(t, "demo-org")
	worker := memberInvite(t, e, admin, d.Org1, "kangle-worker", "")
	phone, laptop := e.Tokens(t, "kangle-worker"), e.Tokens(t, "kangle-worker")
	const fresh = "the worker's fresh password"

	r := e.Do(t, servertest.Request{Method: "POST", Path: memberPasswordPath(d.Org1, worker.ID), Token: admin, Body: map[string]any{"password": fresh}})
	authOK(t, "POST the worker's password as demo-org", r, http.StatusNoContent)
	for _, tk := range []auth.Tokens{phone, laptop} {
		authProblem(t, "GET /api/v1/me with the worker's token from before", authMe(t, e, tk.AccessToken), http.StatusUnauthorized, "auth.invalid_token")
		authProblem(t, "refresh of the worker's session from before", authRefresh(t, e, tk.RefreshToken), http.StatusUnauthorized, "auth.invalid_token")
	}
	authProblem(t, "login with the old password", authLogin(t, e, "kangle-worker", servertest.DemoPassword), http.StatusUnauthorized, "auth.invalid_credentials")
	authTokens(t, "login with the new password", authLogin(t, e, "kangle-worker", fresh))

	got := authEntries(t, e, "user.password_reset")
	if len(got) != 1 || got[0].ActorName != "demo-org" || got[0].EntityType != "user" || got[0].EntityID != fmt.Sprint(worker.ID) ||
		!strings.Contains(got[0].Data, `"sessions_ended":2`) {
		t.Errorf("user.password_reset audit entries = %+v, want one by demo-org on user %d with sessions_ended 2", got, worker.ID)
	}
	var leaked int64
	if err := e.DB.Table("audit_entries").Where("data::text LIKE ? OR data::text LIKE ?", "%"+fresh+"%", "%argon2%").Count(&leaked).Error; err != nil {
		t.Fatal(err)
	}
	if leaked != 0 || strings.Contains(e.Logs.String(), fresh) {
		t.Errorf("the new password or its hash is in %d audit entries or in the log", leaked)
	}

	org2Admin := e.IDOf(t, "users", "username = ?", "demo-org2")
	self := e.IDOf(t, "users", "username = ?", "demo-org")
	good := map[string]any{"password": "an attacker's password"}
	tests := []struct {
		name   string
		who    string
		path   string
		body   any
		status int
		code   string
		fields []string
	}{
		{"a member", "demo-member", memberPasswordPath(d.Org1, worker.ID), good, http.StatusForbidden, "forbidden", nil},
		{"another organization's admin", "demo-org2", memberPasswordPath(d.Org1, worker.ID), good, http.StatusNotFound, "not_found", nil},
		{"another organization's admin, through its own", "demo-org2", memberPasswordPath(d.Org2, worker.ID), good, http.StatusNotFound, "not_found", nil},
		{"the platform admin", "demo-admin", memberPasswordPath(d.Org1, worker.ID), good, http.StatusForbidden, "forbidden", nil},
		{"the district admin", "demo-district", memberPasswordPath(d.Org1, worker.ID), good, http.StatusForbidden, "forbidden", nil},
		{"a finance officer", "demo-finance", memberPasswordPath(d.Org1, worker.ID), good, http.StatusForbidden, "forbidden", nil},
		{"the admin on its own account", "demo-org", memberPasswordPath(d.Org1, self), good, http.StatusForbidden, "organization.own_password", nil},
		{"another organization's account", "demo-org", memberPasswordPath(d.Org1, org2Admin), good, http.StatusNotFound, "not_found", nil},
		{"a missing account", "demo-org", memberPasswordPath(d.Org1, 999999), good, http.StatusNotFound, "not_found", nil},
		{"a short password", "demo-org", memberPasswordPath(d.Org1, worker.ID), map[string]any{"password": "123456789"}, http.StatusBadRequest, "validation", []string{"password"}},
		{"no password", "demo-org", memberPasswordPath(d.Org1, worker.ID), map[string]any{}, http.StatusBadRequest, "validation", []string{"password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Refused(t, servertest.Request{Method: "POST", Path: tt.path, Token: e.Token(t, tt.who), Body: tt.body}, tt.status, tt.code, tt.fields...)
		})
	}
	authTokens(t, "login of the worker after the refusals", authLogin(t, e, "kangle-worker", fresh))

	// A second admin: invited by the first, it sets the first one's password.
	e.Refused(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/organizations/%d/members", d.Org1), Token: admin,
		Body: map[string]any{"username": "kangle-resident", "password": servertest.DemoPassword, "role": "resident"}}, http.StatusBadRequest, "validation", "role")
	deputy := memberInvite(t, e, admin, d.Org1, "kangle-deputy", "org_admin")
	if deputy.Role != "org_admin" || deputy.OrganizationID == nil || *deputy.OrganizationID != d.Org1 {
		t.Fatalf("invited deputy = %+v, want an org_admin of organization %d", deputy, d.Org1)
	}
	authOK(t, "POST demo-org's password as its deputy", e.Do(t, servertest.Request{Method: "POST", Path: memberPasswordPath(d.Org1, self),
		Token: e.Token(t, "kangle-deputy"), Body: map[string]any{"password": "demo-org's fresh password"}}), http.StatusNoContent)
	authProblem(t, "GET /api/v1/me with demo-org's token from before", authMe(t, e, admin), http.StatusUnauthorized, "auth.invalid_token")
	authTokens(t, "login of demo-org with its new password", authLogin(t, e, "demo-org", "demo-org's fresh password"))
}
