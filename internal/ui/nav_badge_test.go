package ui_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/ui"
)

// A group's badge shows the worklist items pending in it, summed over the
// worklist groups it gathers, with a text for screen readers in each
// language; a group with nothing pending has no badge.
func TestWorkNavBadges(t *testing.T) {
	t.Parallel()
	counts := map[string]int{"procurement": 2, "requests": 1, "payments": 4, "complaints": 0, "certification": 9}
	for _, tt := range []struct {
		lang string
		role access.Role
		want map[string]string // group → badge text, "" for none
	}{
		{"zh-CN", access.ProcurementOfficer, map[string]string{"procurement": "3 项待办", "contracts": "4 项待办", "funds": "", "complaints": "", "reports": ""}},
		{"en", access.ProcurementOfficer, map[string]string{"procurement": "3 pending", "contracts": "4 pending", "funds": "", "complaints": "", "reports": ""}},
		{"en", access.FinanceOfficer, map[string]string{"funds": "4 pending", "contracts": "", "area": "", "reports": ""}},
		{"zh-CN", access.DistrictAdmin, map[string]string{"certification": "9 项待办", "signals": "1 项待办", "standards": "", "area": "", "funds": "", "reports": ""}},
		{"en", access.OrgAdmin, map[string]string{"bids": "2 pending", "services": "1 pending", "payments": "4 pending", "contracts": "", "ratings": "", "profile": ""}},
		{"en", access.Resident, map[string]string{"requests": "1 pending", "services": ""}},
	} {
		t.Run(tt.lang+"/"+string(tt.role), func(t *testing.T) {
			html, err := ui.RenderWorkNav(tt.lang, tt.role, "/dashboard", counts)
			if err != nil {
				t.Fatalf("RenderWorkNav() error = %v", err)
			}
			groups := strings.Split(html, `data-group="`)[1:]
			if len(groups) != len(tt.want) {
				t.Fatalf("RenderWorkNav() has %d groups, want %d:\n%s", len(groups), len(tt.want), html)
			}
			badge := regexp.MustCompile(`<span class="pending"><span aria-hidden="true">(\d+)</span><span class="visually-hidden">([^<]+)</span></span>`)
			for _, g := range groups {
				key, rest, _ := strings.Cut(g, `"`)
				want, ok := tt.want[key]
				if !ok {
					t.Errorf("RenderWorkNav() has group %q, want none", key)
					continue
				}
				m := badge.FindStringSubmatch(rest)
				switch {
				case want == "" && m != nil:
					t.Errorf("group %s badge = %q, want none", key, m[2])
				case want != "" && m == nil:
					t.Errorf("group %s has no badge, want %q", key, want)
				case want != "" && (m[2] != want || !strings.HasPrefix(want, m[1]+" ")):
					t.Errorf("group %s badge = %q (%s shown), want %q", key, m[2], m[1], want)
				}
			}
		})
	}
}

// Every group of every role has its label in both languages.
func TestWorkNavLabels(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"zh-CN", "en"} {
		for _, role := range access.Roles {
			html, err := ui.RenderWorkNav(lang, role, "/", nil)
			if err != nil {
				t.Fatalf("RenderWorkNav(%s, %s) error = %v", lang, role, err)
			}
			if strings.Contains(html, "nav.") {
				t.Errorf("RenderWorkNav(%s, %s) shows a message key:\n%s", lang, role, html)
			}
		}
	}
}
