package server_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata")

// routeIdentities are the callers of the route dump, one column each.
var routeIdentities = []struct{ column, username string }{
	{"anon", ""},
	{"platform", "demo-admin"},
	{"district", "demo-district"},
	{"officer", "demo-officer"},
	{"finance", "demo-finance"},
	{"evaluator", "demo-evaluator"},
	{"org_admin", "demo-org"},
	{"org_member", "demo-member"},
	{"resident", "demo-resident"},
}

var routeParam = regexp.MustCompile(`:[A-Za-z0-9_]+|\*`)

// routeFill puts a value no record has into every parameter of a route
// pattern: what answers is the guard, not a record.
func routeFill(pattern string) string {
	return routeParam.ReplaceAllStringFunc(pattern, func(p string) string {
		switch p {
		case ":code", ":metric", "*":
			return "zz"
		case ":n":
			return "0"
		}
		return "987654"
	})
}

// routeOutcome classifies an answer: "sign-in" when the caller must sign in
// first (the API's 401, or a page's redirect of an anonymous caller to the
// login page), "refused" for 403, and "allowed" for anything else (the guard
// let the request through to its handler, whatever the handler then said: a
// page's 401 is a failed login, not a guard).
func routeOutcome(r servertest.Response, api, anonymous bool) string {
	switch {
	case api && r.Status == http.StatusUnauthorized:
		return "sign-in"
	case !api && anonymous && r.Status == http.StatusSeeOther && r.Header.Get("Location") == "/login":
		return "sign-in"
	case r.Status == http.StatusForbidden:
		return "refused"
	}
	return "allowed"
}

// TestRouteTableGolden dumps every registered route with what each role gets
// (allowed, refused, sign-in) to testdata/routes.golden, and fails when the
// dump differs: a change of who may call what shows in the golden file's diff.
// Run with -update to rewrite it.
func TestRouteTableGolden(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	type route struct{ method, path string }
	var routes []route
	seen := map[route]bool{}
	for _, r := range e.Server.App().GetRoutes(true) {
		switch r.Method {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			continue
		}
		if k := (route{r.Method, r.Path}); !seen[k] {
			seen[k] = true
			routes = append(routes, k)
		}
	}
	sort.Slice(routes, func(i, j int) bool {
		if routes[i].path != routes[j].path {
			return routes[i].path < routes[j].path
		}
		return routes[i].method < routes[j].method
	})

	bearer := map[string]string{}
	pages := map[string]*servertest.PageClient{}
	csrf := map[string]string{}
	signInAll := func(username string) {
		if username == "" {
			p := servertest.NewPageClient(e)
			csrf[username] = servertest.CSRFToken(t, p.Get(t, "/login"))
			pages[username] = p
			return
		}
		bearer[username] = e.Token(t, username)
		p := servertest.SignIn(t, e, username)
		csrf[username] = servertest.CSRFToken(t, p.Get(t, "/dashboard"))
		pages[username] = p
	}
	for _, id := range routeIdentities {
		signInAll(id.username)
	}

	var out strings.Builder
	fmt.Fprintf(&out, "# method path: %s\n", columns())
	for _, rt := range routes {
		path := routeFill(rt.path)
		var cells []string
		for _, id := range routeIdentities {
			anonymous := id.username == ""
			var r servertest.Response
			api := strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz" || path == "/metrics"
			if api {
				req := servertest.Request{Method: rt.method, Path: path, Token: bearer[id.username]}
				r = e.DoRaw(t, req)
			} else {
				p := pages[id.username]
				if rt.method == "GET" {
					r = p.Get(t, path)
				} else {
					r = p.Send(t, rt.method, path, url.Values{"csrf_token": {csrf[id.username]}})
				}
			}
			cells = append(cells, id.column+"="+routeOutcome(r, api, anonymous))
			if strings.HasSuffix(rt.path, "/logout") {
				signInAll(id.username) // the call ended the session
			}
		}
		fmt.Fprintf(&out, "%s %s: %s\n", rt.method, rt.path, strings.Join(cells, " "))
	}

	golden := filepath.Join("testdata", "routes.golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read %s (run with -update to write it): %v", golden, err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("the route table's outcomes differ from %s (run with -update to accept):\n%s", golden, lineDiff(string(want), got))
	}
}

func columns() string {
	var names []string
	for _, id := range routeIdentities {
		names = append(names, id.column)
	}
	return strings.Join(names, " ")
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
