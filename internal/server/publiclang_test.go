package server_test

import (
	"bytes"
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/net/html"

	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// pageLink is a link or a GET form of a page, resolved against the page's
// URL, with the form's hidden lang fields.
type pageLink struct {
	what   string // "a" or "form"
	raw    string // the href or action as written
	url    *url.URL
	hidden []string // a form's hidden lang values
}

// pageLinks parses body and returns its links (a, area) and GET forms whose
// target is a page of this server: not a fragment of the same page, not
// /static/, /api/ or the language switch (/lang/), not another host.
func pageLinks(t *testing.T, base *url.URL, body []byte) []pageLink {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse the page %s: %v", base, err)
	}
	attr := func(n *html.Node, key string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == key {
				return a.Val, true
			}
		}
		return "", false
	}
	var out []pageLink
	add := func(l pageLink) {
		ref, err := url.Parse(l.raw)
		if err != nil {
			t.Errorf("page %s: %s %q is no URL: %v", base, l.what, l.raw, err)
			return
		}
		if l.what == "a" && ref.Scheme == "" && ref.Host == "" && ref.Path == "" && ref.RawQuery == "" {
			return // a fragment of this page
		}
		u := base.ResolveReference(ref)
		if u.Host != base.Host || u.Scheme != base.Scheme {
			return
		}
		for _, prefix := range []string{"/static/", "/api/", "/lang/"} {
			if strings.HasPrefix(u.Path, prefix) {
				return
			}
		}
		l.url = u
		out = append(out, l)
	}
	var walk func(n *html.Node, form *pageLink)
	walk = func(n *html.Node, form *pageLink) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "a", "area":
				if href, ok := attr(n, "href"); ok {
					add(pageLink{what: "a", raw: href})
				}
			case "form":
				method, _ := attr(n, "method")
				if strings.EqualFold(cmp.Or(method, "get"), "get") {
					action, _ := attr(n, "action")
					f := &pageLink{what: "form", raw: action}
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						walk(c, f)
					}
					add(*f)
					return
				}
			case "input":
				if typ, _ := attr(n, "type"); form != nil && typ == "hidden" {
					if name, _ := attr(n, "name"); name == "lang" {
						v, _ := attr(n, "value")
						form.hidden = append(form.hidden, v)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, form)
		}
	}
	walk(doc, nil)
	return out
}

// Links inside a shareable public page keep the language of its URL: on
// /catalog?lang=en every link to a page (the pager, the items, the filters'
// reset, the breadcrumbs) carries lang=en and every GET form a hidden lang
// field, so an English reader stays in English without a cookie; the same
// page in Chinese carries neither. Every public page route is visited.
func TestPublicPageLinksKeepLanguage(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, demo.WithTenders())
	d := e.Demo(t)
	// More than one page of transfer items and capable organizations.
	growCatalog(t, e, 21)
	growOrganizations(t, e, 21)
	ids := func(sql string) []int64 {
		var out []int64
		if err := e.DB.Raw(sql).Scan(&out).Error; err != nil || len(out) == 0 {
			t.Fatalf("%s: %v (%d rows)", sql, err, len(out))
		}
		return out
	}
	item := ids(`SELECT id FROM transfer_items WHERE status = 'published' ORDER BY id LIMIT 1`)[0]
	paths := map[string][]string{
		"/":                          {"/"},
		"/catalog":                   {"/catalog", "/catalog?page=2", "/catalog?q=%E5%B1%85%E5%AE%B6"},
		"/catalog/items/:id":         {fmt.Sprintf("/catalog/items/%d", item)},
		"/standards":                 {"/standards"},
		"/capable":                   {"/capable", "/capable?page=2"},
		"/organizations/:id":         {fmt.Sprintf("/organizations/%d", d.Org1), fmt.Sprintf("/organizations/%d", d.Org2)},
		"/organizations/:id/ratings": {fmt.Sprintf("/organizations/%d/ratings", d.Org1)},
		"/procurement":               {"/procurement", "/procurement?page=2"},
		"/transparency/red-flags":    {"/transparency/red-flags", "/transparency/red-flags?page=2"},
		"/subdistricts":              {"/subdistricts"},
		"/subdistricts/:id":          {fmt.Sprintf("/subdistricts/%d", d.SubA), fmt.Sprintf("/subdistricts/%d", d.SubB)},
		"/transparency/funds":        {"/transparency/funds", fmt.Sprintf("/transparency/funds?subdistrict=%d", d.SubA)},
		"/providers":                 {"/providers", "/providers?page=2"},
		"/transparency/audit-heads":  {"/transparency/audit-heads"},
	}
	// Every published tender's notice, in each state, and every public contract.
	for _, id := range ids(`SELECT id FROM tenders WHERE published_at IS NOT NULL ORDER BY id`) {
		paths["/procurement/:id"] = append(paths["/procurement/:id"], fmt.Sprintf("/procurement/%d", id))
	}
	for _, id := range ids(`SELECT id FROM contracts ORDER BY id`) {
		path := fmt.Sprintf("/procurement/contracts/%d", id)
		if get(t, e, path).Status == http.StatusOK {
			paths["/procurement/contracts/:id"] = append(paths["/procurement/contracts/:id"], path)
		}
	}

	// The list covers every public page route.
	public, routes := reflect.ValueOf(request.PublicRead).Pointer(), 0
	for _, r := range e.Server.App().GetRoutes(true) {
		if r.Method != http.MethodGet || strings.HasPrefix(r.Path, "/api/") ||
			!slices.ContainsFunc(r.Handlers, func(h fiber.Handler) bool { return reflect.ValueOf(h).Pointer() == public }) {
			continue
		}
		routes++
		if len(paths[r.Path]) == 0 {
			t.Errorf("public page route %s is not visited", r.Path)
		}
	}
	if routes != len(paths) {
		t.Errorf("found %d public page routes, the test visits %d", routes, len(paths))
	}

	var pagers, items int
	for route, list := range paths {
		for _, path := range list {
			en := withLangParam(path, "en")
			r := get(t, e, en)
			if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Cache-Control"), "public") {
				t.Errorf("GET %s (%s) = %d, Cache-Control %q; want a shareable page", en, route, r.Status, r.Header.Get("Cache-Control"))
				continue
			}
			base, _ := url.Parse("http://example.test" + en)
			for _, l := range pageLinks(t, base, r.Body) {
				switch {
				case l.what == "form" && !slices.Equal(l.hidden, []string{"en"}):
					t.Errorf("GET %s: the GET form to %q has lang fields %q, want one: en", en, l.raw, l.hidden)
				case l.what == "a" && l.url.Query().Get("lang") != "en":
					t.Errorf("GET %s: link %q does not keep lang=en", en, l.raw)
				}
				if l.url.Query().Has("page") {
					pagers++
				}
				if strings.HasPrefix(l.url.Path, "/catalog/items/") || strings.HasPrefix(l.url.Path, "/organizations/") {
					items++
				}
			}

			zh := get(t, e, path)
			if zh.Status != http.StatusOK {
				t.Errorf("GET %s = %d, want 200", path, zh.Status)
				continue
			}
			if bytes.Contains(zh.Body, []byte("lang=en")) {
				t.Errorf("GET %s (Chinese) carries lang=en", path)
			}
			zbase, _ := url.Parse("http://example.test" + path)
			for _, l := range pageLinks(t, zbase, zh.Body) {
				if l.url.Query().Has("lang") || len(l.hidden) > 0 {
					t.Errorf("GET %s (Chinese): %s %q carries a language", path, l.what, l.raw)
				}
			}
		}
	}
	// The fixture gave the pages pagers and item links to check.
	if pagers == 0 || items == 0 {
		t.Errorf("checked %d pager links and %d item links, want some of each", pagers, items)
	}
}

// withLangParam returns path with lang=value added to its query.
func withLangParam(path, value string) string {
	if strings.Contains(path, "?") {
		return path + "&lang=" + value
	}
	return path + "?lang=" + value
}
