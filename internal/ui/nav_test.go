package ui_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/web"
)

// workNavOf returns the working navigation of a page's HTML as lines, one
// per group: "group: /link /link" (the worklist and notifications as groups
// of their own, named by their link), and the public bar's links.
func workNavOf(t *testing.T, body string) (work []string, public []string) {
	t.Helper()
	if m := regexp.MustCompile(`(?s)id="public-nav">(.*?)</nav>`).FindStringSubmatch(body); m != nil {
		for _, h := range regexp.MustCompile(`href="([^"]+)"`).FindAllStringSubmatch(m[1], -1) {
			public = append(public, h[1])
		}
	}
	m := regexp.MustCompile(`(?s)id="work-nav">(.*?)</nav>`).FindStringSubmatch(body)
	if m == nil {
		return nil, public
	}
	for _, part := range strings.Split(m[1], `data-group="`)[1:] {
		key, rest, _ := strings.Cut(part, `"`)
		rest, _, _ = strings.Cut(rest, `<li><a href="/notifications"`)
		var hrefs []string
		for _, h := range regexp.MustCompile(`href="([^"]+)"`).FindAllStringSubmatch(rest, -1) {
			hrefs = append(hrefs, h[1])
		}
		work = append(work, key+": "+strings.Join(hrefs, " "))
	}
	return work, public
}

// wantPublicNav are the public bar's links, the same for everyone.
var wantPublicNav = []string{"/", "/catalog", "/standards", "/capable", "/procurement", "/subdistricts", "/transparency/funds", "/providers", "/donate"}

// The header shows the public links apart, the same for everyone, and below
// them each role's working navigation: exactly its groups and their pages,
// between the worklist and the notifications; every page it links admits the
// role, and the pages of other roles refuse it.
func TestPagesRoleNavigation(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	org := []string{"bids: /opportunities", "contracts: /contracts /evaluations", "services: /org/requests",
		"payments: /org/milestones /org/payouts", "ratings: /org/ratings /org/complaints", "profile: /org /organizations"}
	officer := []string{"procurement: /tenders /items /requests /communities", "contracts: /contracts",
		"funds: /funds /payouts", "complaints: /complaints", "reports: /reports/funds /reports/demand"}
	want := map[string][]string{
		"demo-admin": {"admin: /admin/users /communities /organizations /items", "funds: /funds /payouts",
			"reports: /reports/funds /reports/demand"},
		"demo-district": {"certification: /district/certifications /organizations", "standards: /district/standards /district/guidance",
			"area: /communities /items", "funds: /funds /payouts", "signals: /complaints /requests", "reports: /reports/funds /reports/demand"},
		"demo-officer":   officer,
		"demo-officer2":  officer,
		"demo-finance":   {"funds: /approvals /funds /payouts", "contracts: /contracts", "area: /communities /items", "reports: /reports/funds"},
		"demo-evaluator": {"evaluations: /reviews /evaluations"},
		"demo-org":       org,
		"demo-org2":      org,
		"demo-member":    org,
		"demo-resident":  {"services: /services", "requests: /requests"},
	}
	every := map[string]bool{}
	for _, groups := range want {
		for _, g := range groups {
			for _, href := range strings.Fields(g)[1:] {
				every[href] = true
			}
		}
	}
	for _, user := range servertest.Identities[1:] {
		t.Run(user, func(t *testing.T) {
			p := servertest.SignIn(t, e, user)
			dash := string(p.Get(t, "/dashboard").Body)
			work, public := workNavOf(t, dash)
			if diff := cmp.Diff(want[user], work); diff != "" {
				t.Errorf("the working navigation of %s (-want +got):\n%s", user, diff)
			}
			if diff := cmp.Diff(wantPublicNav, public); diff != "" {
				t.Errorf("the public bar of %s (-want +got):\n%s", user, diff)
			}
			for _, link := range []string{`<li><a href="/dashboard" aria-current="page">`, `<li><a href="/notifications">`} {
				if !strings.Contains(dash, link) {
					t.Errorf("the working navigation of %s lacks %s", user, link)
				}
			}
			mine := map[string]bool{}
			for _, g := range want[user] {
				for _, href := range strings.Fields(g)[1:] {
					mine[href] = true
				}
			}
			for page := range every {
				wantStatus := http.StatusForbidden
				if mine[page] {
					wantStatus = http.StatusOK
				}
				if r := p.Get(t, page); r.Status != wantStatus {
					t.Errorf("GET %s as %s = %d, want %d", page, user, r.Status, wantStatus)
				}
			}
		})
	}
	t.Run("anonymous", func(t *testing.T) {
		p := servertest.NewPageClient(e)
		body := string(p.Get(t, "/").Body)
		work, public := workNavOf(t, body)
		if work != nil || strings.Contains(body, `id="work-nav"`) {
			t.Errorf("the anonymous home page has a working navigation: %v", work)
		}
		if diff := cmp.Diff(wantPublicNav, public); diff != "" {
			t.Errorf("the anonymous public bar (-want +got):\n%s", diff)
		}
		for _, page := range []string{"/communities", "/organizations", "/admin/users"} {
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

// The page shown is marked in the navigation (aria-current="page"), in the
// public bar as in the working one, and its group is marked too, also on a
// page below one of the group's links; in both languages.
func TestPagesNavigationCurrent(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	officer := servertest.SignIn(t, e, "demo-officer")
	for _, tt := range []struct {
		path, group string
		want        []string
	}{
		{"/funds", "funds", []string{`<a href="/funds" aria-current="page">`}},
		{"/complaints", "complaints", []string{`<a href="/complaints" aria-current="page">`}},
		{"/tenders/new", "procurement", nil},
		{"/catalog", "", []string{`<a href="/catalog" aria-current="page">`}},
		{"/notifications", "", []string{`<a href="/notifications" aria-current="page">`}},
	} {
		for _, lang := range []string{"zh-CN", "en"} {
			officer.Get(t, "/lang/"+lang)
			r := officer.Get(t, tt.path)
			wantBody(t, "GET "+tt.path+" in "+lang, r, tt.want...)
			body := string(r.Body)
			if got := strings.Count(body, `aria-current="page"`); got != len(tt.want) {
				t.Errorf("GET %s in %s marks %d links current, want %d", tt.path, lang, got, len(tt.want))
			}
			current := regexp.MustCompile(`<li class="group current" data-group="([^"]+)">`).FindAllStringSubmatch(body, -1)
			var groups []string
			for _, m := range current {
				groups = append(groups, m[1])
			}
			if wantGroups := []string{tt.group}; tt.group == "" && groups != nil || tt.group != "" && !slices.Equal(groups, wantGroups) {
				t.Errorf("GET %s in %s marks groups %v current, want %q", tt.path, lang, groups, tt.group)
			}
		}
	}
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
	servertest.WantRedirect(t, "GET "+link, r, "/catalog?q=%E5%B1%85%E5%AE%B6&page=1&lang=en")
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
				link := `<a href="` + page + `">`
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
