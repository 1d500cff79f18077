package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// leakAttempt is one way a caller might get hold of an organization's
// account: the request, and the fields a refusal for bad input names.
type leakAttempt struct {
	what         string
	method, path string
	body         any
	fields       []string
}

// leakCredential is a username and a password a caller chose for it.
type leakCredential struct {
	by, username, password string
}

// leakSignIn signs username in on the login page with password; ok is false
// when the page refuses the login.
func leakSignIn(t *testing.T, e *servertest.Env, username, password string) (client *servertest.PageClient, ok bool) {
	t.Helper()
	client = servertest.NewPageClient(e)
	token := servertest.CSRFToken(t, client.Get(t, "/login"))
	r := client.Post(t, "/login", url.Values{"csrf_token": {token}, "username": {username}, "password": {password}})
	return client, r.Status == http.StatusSeeOther && r.Header.Get("Location") == "/dashboard"
}

// TestTenderLeakThroughAccounts is the acceptance test of issue 10's finding
// 3: no platform, district or finance role obtains any part of a bid before
// the opening by creating or changing accounts. With a sealed bid in place,
// the platform admin, a district admin and a finance officer each try every
// account route of the API and the pages: create an organization's account,
// reset the password of one, rename it, change its role, move an account into
// the organization or out of it, invite a member or an admin, set a member's
// password as its organization would, register an organization with an admin
// account. Each attempt is refused and writes nothing. Then every credential
// they chose is tried: those that sign in (the platform admin's own resident)
// read every API route and page, and nothing of the bid comes back. Disabling and enabling the bidder's admin, the one change a
// platform admin may make to an organization's account, goes through and
// shows nothing either.
func TestTenderLeakThroughAccounts(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	e := w.e
	c := newLeakCanaries(t)
	l := &leakRecorder{t: t, w: w, needles: c.needles()}
	bidder := w.orgs[0]

	body := w.tenderBody(3)
	body["ceiling_fen"], body["min_bids"] = leakCeiling, 1
	v := w.published(t, body)
	bid := w.bidBody(c.price, "技术方案："+c.proposal+"，依托社区服务站开展上门服务。")
	bid["attachments"] = []map[string]any{{"name": "技术方案附件.txt", "data": base64.StdEncoding.EncodeToString(c.data)}}
	var receipt tender.Receipt
	w.call(t, "POST", twPath(v.ID, "/bids"), bidder.Admin, bid, http.StatusCreated, &receipt)
	staff := bidder.Admin + "-staff"
	w.call(t, "POST", fmt.Sprintf("/api/v1/organizations/%d/members", bidder.ID), bidder.Admin,
		map[string]any{"username": staff, "display_name": "投标社工", "password": servertest.DemoPassword}, http.StatusCreated, nil)
	user := func(name string) int64 { return e.IDOf(t, "users", "username = ?", name) }
	bidderAdmin, bidderStaff := user(bidder.Admin), user(staff)
	ids := leakIDs{tender: v.ID, item: w.item.ID, fund: w.fundID, org: bidder.ID, user: bidderAdmin,
		cert: e.IDOf(t, "certifications", "organization_id = ?", bidder.ID), district: w.district, subdistrict: w.subA,
		community: w.item.CommunityIDs[0], question: 1, bids: []int64{receipt.BidID}}
	ids.doc = twDocument(t, w, bidder.Admin)

	usersPath := func(id int64) string { return fmt.Sprintf("/api/v1/users/%d", id) }
	var tried []leakCredential
	for i, who := range []string{"demo-admin", "demo-district", "demo-finance"} {
		platform := who == "demo-admin"
		// Only the platform admin passes the user routes' guard; the others
		// are refused there.
		users := func(code string) (int, string) {
			if !platform {
				return http.StatusForbidden, "forbidden"
			}
			return http.StatusForbidden, code
		}
		password := "reset-by-" + who
		// An account of the caller's own to move into the organization: the
		// platform admin makes a resident (allowed), the others try with
		// demo-resident.
		movable := user("demo-resident")
		if platform {
			var u auth.User
			w.call(t, "POST", "/api/v1/users", who, map[string]any{"username": who + "-resident", "password": servertest.DemoPassword,
				"role": "resident"}, http.StatusCreated, &u)
			movable = u.ID
			tried = append(tried, leakCredential{who, who + "-resident", servertest.DemoPassword})
		}
		create := func(suffix, role string, org bool) map[string]any {
			b := map[string]any{"username": who + suffix, "password": servertest.DemoPassword, "role": role}
			if org {
				b["organization_id"] = bidder.ID
			}
			tried = append(tried, leakCredential{who, who + suffix, servertest.DemoPassword})
			return b
		}
		signup := orgSignupBody(w.district, servertest.CreditCode(t, fmt.Sprintf("52330502MJ72000%02d", i)), who+"-signup")
		signup["admin"].(map[string]any)["password"] = servertest.DemoPassword
		tried = append(tried, leakCredential{who, who + "-signup", servertest.DemoPassword},
			leakCredential{who, who + "-invited", servertest.DemoPassword}, leakCredential{who, who + "-invited-admin", servertest.DemoPassword},
			leakCredential{who, bidder.Admin, password}, leakCredential{who, staff, password})
		role := func() (int, string) { return users("user.organization_role") }
		account := func() (int, string) { return users("user.organization_account") }
		attempts := []struct {
			leakAttempt
			want func() (int, string)
		}{
			{leakAttempt{what: "create an org_member of the bidder", method: "POST", path: "/api/v1/users",
				body: create("-member", "org_member", true)}, role},
			{leakAttempt{what: "create an org_admin of the bidder", method: "POST", path: "/api/v1/users",
				body: create("-admin", "org_admin", true)}, role},
			{leakAttempt{what: "create an org_member without an organization", method: "POST", path: "/api/v1/users",
				body: create("-orphan", "org_member", false)}, role},
			{leakAttempt{what: "create a resident carrying the bidder's organization_id", method: "POST", path: "/api/v1/users",
				body: create("-carrier", "resident", true)}, role},
			{leakAttempt{what: "reset the bidder admin's password", method: "PATCH", path: usersPath(bidderAdmin),
				body: map[string]any{"password": password}}, account},
			{leakAttempt{what: "reset the bidder member's password", method: "PATCH", path: usersPath(bidderStaff),
				body: map[string]any{"password": password}}, account},
			{leakAttempt{what: "enable the bidder admin with a new password", method: "PATCH", path: usersPath(bidderAdmin),
				body: map[string]any{"status": "active", "password": password}}, account},
			{leakAttempt{what: "rename the bidder admin", method: "PATCH", path: usersPath(bidderAdmin),
				body: map[string]any{"display_name": "改名"}}, account},
			{leakAttempt{what: "make the bidder's member its admin", method: "PATCH", path: usersPath(bidderStaff),
				body: map[string]any{"role": "org_admin", "organization_id": bidder.ID}}, account},
			{leakAttempt{what: "move the bidder's member out of it", method: "PATCH", path: usersPath(bidderStaff),
				body: map[string]any{"role": "resident"}}, account},
			{leakAttempt{what: "move another organization's member into the bidder", method: "PATCH", path: usersPath(user("demo-member")),
				body: map[string]any{"organization_id": bidder.ID}}, account},
			{leakAttempt{what: "move an account into the bidder", method: "PATCH", path: usersPath(movable),
				body: map[string]any{"role": "org_member", "organization_id": bidder.ID}}, role},
			{leakAttempt{what: "give an account the bidder's organization_id", method: "PATCH", path: usersPath(movable),
				body: map[string]any{"organization_id": bidder.ID}}, role},
			{leakAttempt{what: "invite a member into the bidder", method: "POST", path: fmt.Sprintf("/api/v1/organizations/%d/members", bidder.ID),
				body: map[string]any{"username": who + "-invited", "password": servertest.DemoPassword}},
				func() (int, string) { return http.StatusForbidden, "forbidden" }},
			{leakAttempt{what: "invite an admin into the bidder", method: "POST", path: fmt.Sprintf("/api/v1/organizations/%d/members", bidder.ID),
				body: map[string]any{"username": who + "-invited-admin", "password": servertest.DemoPassword, "role": "org_admin"}},
				func() (int, string) { return http.StatusForbidden, "forbidden" }},
			{leakAttempt{what: "set the bidder member's password as its organization", method: "POST",
				path: fmt.Sprintf("/api/v1/organizations/%d/members/%d/password", bidder.ID, bidderStaff), body: map[string]any{"password": password}},
				func() (int, string) { return http.StatusForbidden, "forbidden" }},
			{leakAttempt{what: "register an organization with an admin account", method: "POST", path: "/api/v1/organizations",
				body: signup, fields: []string{"admin"}},
				func() (int, string) {
					if who == "demo-finance" {
						return http.StatusForbidden, "forbidden"
					}
					return http.StatusBadRequest, "validation"
				}},
		}
		for _, a := range attempts {
			t.Run(who+" may not "+a.what, func(t *testing.T) {
				status, code := a.want()
				fields := a.fields
				if status != http.StatusBadRequest {
					fields = nil
				}
				w.refused(t, a.method, a.path, who, a.body, status, code, fields...)
			})
		}

		// The pages: the only account forms are the organization's invitation
		// and its admin's password reset.
		client := servertest.SignIn(t, e, who)
		token := servertest.CSRFToken(t, client.Get(t, "/dashboard"))
		tried = append(tried, leakCredential{who, who + "-page", servertest.DemoPassword})
		for _, form := range []struct {
			path   string
			values url.Values
		}{
			{"/org/members", url.Values{"csrf_token": {token}, "username": {who + "-page"}, "password": {servertest.DemoPassword}, "role": {"org_admin"}}},
			{fmt.Sprintf("/org/members/%d/password", bidderStaff), url.Values{"csrf_token": {token}, "password": {password}}},
		} {
			if r := client.Post(t, form.path, form.values); r.Status != http.StatusForbidden {
				t.Errorf("page POST %s as %s = %d, want 403", form.path, who, r.Status)
			}
		}
	}

	// Disabling and enabling the bidder's admin is the platform admin's one
	// change to an organization's account.
	for _, status := range []string{"disabled", "active"} {
		if r := l.do("PATCH", usersPath(bidderAdmin), "demo-admin", map[string]any{"status": status}); r.Status != http.StatusOK {
			t.Errorf("PATCH %s status %s as demo-admin = %d %s, want 200", bidder.Admin, status, r.Status, r.Body)
		}
	}

	// Every credential the callers chose: those that sign in read everything.
	var gained []string
	for _, cr := range tried {
		if !e.UserExists(t, cr.username) {
			continue
		}
		r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"username": cr.username, "password": cr.password}})
		if r.Status != http.StatusOK {
			continue
		}
		var tk auth.Tokens
		r.JSON(t, &tk)
		gained = append(gained, cr.username)
		client, ok := leakSignIn(t, e, cr.username, cr.password)
		if !ok {
			t.Errorf("%s signs in through the API but not on the login page", cr.username)
		}
		l.send("GET", twPath(v.ID, "/bids"), cr.username, tk.AccessToken, nil)
		l.crawlAs(cr.username+" (chosen by "+cr.by+")", tk.AccessToken, client, ids)
	}
	if want := []string{"demo-admin-resident"}; !slices.Equal(gained, want) {
		t.Errorf("the credentials the callers chose that sign in = %v, want only %v (the platform admin's resident)", gained, want)
	}
	l.check("the application log", []byte(e.Logs.String()))
	t.Logf("checked %d responses for %d needles", l.checked, len(l.needles))
}
