package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// The search page lists the hits grouped by kind, in the order of the kinds,
// each linked to the page the role reads it on, in both languages; the
// header holds the search form for signed-in users only.
func TestPagesSearch(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, demo.WithTenders())
	if body := string(servertest.NewPageClient(e).Get(t, "/").Body); strings.Contains(body, `id="header-search-q"`) {
		t.Errorf("the home page shows the header search form to a visitor")
	}
	p := servertest.SignIn(t, e, "demo-officer")
	if body := string(p.Get(t, "/dashboard").Body); !strings.Contains(body, `id="header-search-q"`) {
		t.Errorf("the dashboard shows no header search form to a signed-in officer")
	}

	r := p.Get(t, "/search?q="+url.QueryEscape("爱山街道"))
	if r.Status != http.StatusOK {
		t.Fatalf("GET /search = %d %s", r.Status, r.Body)
	}
	body := string(r.Body)
	sections := regexp.MustCompile(`<section id="search-([a-z_]+)"`).FindAllStringSubmatch(body, -1)
	var kinds []string
	for _, s := range sections {
		kinds = append(kinds, s[1])
	}
	if want := []string{"tenders", "contracts", "organizations", "transfer_items"}; !slices.Equal(kinds, want) {
		t.Errorf("search page sections = %v, want %v", kinds, want)
	}
	for _, want := range []string{`<h2 id="search-tenders-h">招标项目</h2>`, `href="/tenders/`, `2027年度爱山街道居家养老上门服务项目`,
		`href="/contracts/`, `2026年度爱山街道独居老人关爱探访服务项目`, `value="爱山街道"`} {
		if !strings.Contains(body, want) {
			t.Errorf("search page lacks %q", want)
		}
	}
	// The tender hits are under the tenders' heading, the contracts' under theirs.
	tenders := body[strings.Index(body, `id="search-tenders"`):strings.Index(body, `id="search-contracts"`)]
	if !strings.Contains(tenders, `href="/tenders/`) || strings.Contains(tenders, `href="/contracts/`) {
		t.Errorf("the tenders' section holds the wrong links: %s", tenders)
	}

	// In English, and a query too short: the form again with its alert.
	servertest.WantRedirect(t, "GET /lang/en", p.Get(t, "/lang/en?next=/search"), "/search")
	r = p.Get(t, "/search?q=%E7%88%B1")
	if r.Status != http.StatusBadRequest {
		t.Fatalf("GET /search?q=爱 = %d, want 400", r.Status)
	}
	for _, want := range []string{`id="form-alert"`, `href="#search-q"`, "Enter between 2 and 100 characters.", `aria-invalid="true"`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("search page for a short query lacks %q", want)
		}
	}
	if body := string(p.Get(t, "/search?q="+url.QueryEscape("爱山街道")).Body); !strings.Contains(body, `<h2 id="search-tenders-h">Tenders</h2>`) {
		t.Errorf("the English search page has no Tenders heading")
	}
}
