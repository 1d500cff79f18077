package ui_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/web"
)

// The header shows each role the pages it may open, and each page admits
// exactly those roles, scoped to their tenant.
func TestPagesRoleNavigation(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	pages := []string{"/communities", "/organizations", "/admin/users"}
	allowed := map[string][]string{
		"demo-admin":     {"/communities", "/organizations", "/admin/users"},
		"demo-district":  {"/communities", "/organizations"},
		"demo-officer":   {"/communities"},
		"demo-finance":   {"/communities"},
		"demo-evaluator": nil,
		"demo-org":       {"/organizations"},
		"demo-resident":  nil,
	}
	for user, want := range allowed {
		t.Run(user, func(t *testing.T) {
			p := servertest.SignIn(t, e, user)
			dash := string(p.Get(t, "/dashboard").Body)
			for _, page := range pages {
				link := `href="` + page + `"`
				if got := strings.Contains(dash, link); got != slices.Contains(want, page) {
					t.Errorf("dashboard of %s links %s: %v, want %v", user, page, got, !got)
				}
				r := p.Get(t, page)
				wantStatus := http.StatusForbidden
				if slices.Contains(want, page) {
					wantStatus = http.StatusOK
				}
				if r.Status != wantStatus {
					t.Errorf("GET %s as %s = %d, want %d", page, user, r.Status, wantStatus)
				}
			}
		})
	}
	t.Run("anonymous", func(t *testing.T) {
		p := servertest.NewPageClient(e)
		for _, page := range pages {
			servertest.WantRedirect(t, "GET "+page, p.Get(t, page), "/login")
		}
	})
	t.Run("tenant scope", func(t *testing.T) {
		body := string(servertest.SignIn(t, e, "demo-officer").Get(t, "/communities").Body)
		if !strings.Contains(body, "南街社区") || strings.Contains(body, "飞英社区") {
			t.Errorf("communities page of 爱山's officer = %s, want 爱山's communities only", body)
		}
		body = string(servertest.SignIn(t, e, "demo-org").Get(t, "/organizations").Body)
		if !strings.Contains(body, "52330502MJ526018XR") || strings.Contains(body, "51330502MJ016613XH") {
			t.Errorf("organizations page of demo-org = %s, want its own organization only", body)
		}
	})
}

// The complaint queue is in the header of the procurement officers and the
// district admin, the demand report in theirs and the platform admin's:
// the roles their routes admit.
func TestPagesOfficerNavigation(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	links := map[string][]string{
		`href="/complaints"`:     {"demo-officer", "demo-officer2", "demo-district"},
		`href="/reports/demand"`: {"demo-officer", "demo-officer2", "demo-district", "demo-admin"},
	}
	for _, who := range servertest.Identities[1:] {
		dash := string(servertest.SignIn(t, e, who).Get(t, "/dashboard").Body)
		for link, roles := range links {
			if got := strings.Contains(dash, link); got != slices.Contains(roles, who) {
				t.Errorf("dashboard of %s links %s: %v, want %v", who, link, got, !got)
			}
		}
	}
}

// Both message catalogs hold the same keys, and every key a template names
// literally exists, so no page shows a raw key in either language.
func TestCatalogsComplete(t *testing.T) {
	t.Parallel()
	catalogs := map[string]map[string]string{}
	for _, lang := range []string{"zh-CN", "en"} {
		raw, err := fs.ReadFile(web.I18n, "i18n/"+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s.json: %v", lang, err)
		}
		catalogs[lang] = m
	}
	for k := range catalogs["zh-CN"] {
		if _, ok := catalogs["en"][k]; !ok {
			t.Errorf("en.json lacks %q", k)
		}
	}
	for k := range catalogs["en"] {
		if _, ok := catalogs["zh-CN"][k]; !ok {
			t.Errorf("zh-CN.json lacks %q", k)
		}
	}
	literal := regexp.MustCompile(`\{\{-?\s*tf? "([^"]+)"`)
	names, _ := fs.Glob(web.Templates, "templates/*.html")
	for _, name := range names {
		raw, _ := fs.ReadFile(web.Templates, name)
		for _, m := range literal.FindAllStringSubmatch(string(raw), -1) {
			if _, ok := catalogs["en"][m[1]]; !ok {
				t.Errorf("%s uses %q, which no catalog holds", name, m[1])
			}
		}
	}
}

// Switching language returns to the same page with its query, so a search or
// a version being viewed survives the switch.
func TestPagesLanguageSwitchKeepsQuery(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	p := servertest.NewPageClient(e)
	body := string(p.Get(t, "/catalog?q=%E5%B1%85%E5%AE%B6&page=1").Body)
	m := regexp.MustCompile(`href="(/lang/en\?next=[^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("/catalog has no English switch link")
	}
	link := strings.ReplaceAll(m[1], "&amp;", "&")
	r := p.Get(t, link)
	servertest.WantRedirect(t, "GET "+link, r, "/catalog?q=%E5%B1%85%E5%AE%B6&page=1")
}

// The header links each role to the resident's pages it may open.
func TestPagesResidentNavigation(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	for user, want := range map[string][]string{
		"demo-resident": {"/services", "/requests"},
		"demo-officer":  {"/requests"},
		"demo-district": {"/requests"},
		"demo-org":      nil,
		"demo-finance":  nil,
	} {
		t.Run(user, func(t *testing.T) {
			dash := string(servertest.SignIn(t, e, user).Get(t, "/dashboard").Body)
			for _, page := range []string{"/services", "/requests"} {
				link := `<li><a href="` + page + `">`
				if got, wanted := strings.Contains(dash, link), slices.Contains(want, page); got != wanted {
					t.Errorf("the header of %s links %s: %v, want %v", user, page, got, wanted)
				}
			}
		})
	}
}

// The header links /evaluations for the evaluators, a third-party
// agency's as well as the district's, and the organizations' staff: the
// roles its route admits.
func TestPagesEvaluationNavigation(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	// An evaluator account of an agency (fixture SQL: the organization
	// service invites them only for a certified agency).
	if err := e.DB.Exec(`INSERT INTO users (username, display_name, password_hash, role, organization_id, created_at, updated_at)
		SELECT 'nav-agency-evaluator', '第三方评估员', password_hash, 'evaluator', ?, now(), now() FROM users WHERE username = 'demo-evaluator'`,
		e.Demo(t).Org2).Error; err != nil {
		t.Fatal(err)
	}
	shown := []string{"demo-evaluator", "nav-agency-evaluator", "demo-org", "demo-member", "demo-org2"}
	for _, who := range append(slices.Clone(servertest.Identities[1:]), "nav-agency-evaluator") {
		p := servertest.SignIn(t, e, who)
		dash := string(p.Get(t, "/dashboard").Body)
		if got, want := strings.Contains(dash, `<li><a href="/evaluations">`), slices.Contains(shown, who); got != want {
			t.Errorf("the header of %s links /evaluations: %v, want %v", who, got, want)
		}
		want := http.StatusForbidden
		if slices.Contains(shown, who) {
			want = http.StatusOK
		}
		if r := p.Get(t, "/evaluations"); r.Status != want {
			t.Errorf("GET /evaluations as %s = %d, want %d", who, r.Status, want)
		}
	}
}
