package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// hotRoute is a public read the load scenarios hit, with the most queries
// one request may run.
type hotRoute struct {
	name, path string
	queries    int64
}

// hotPublicRoutes are the hot public reads on e's demo data.
func hotPublicRoutes(t testing.TB, e *servertest.Env) []hotRoute {
	d := e.Demo(t)
	var tenderID int64
	if err := e.DB.Raw(`SELECT id FROM tenders WHERE status = 'published' ORDER BY id LIMIT 1`).Scan(&tenderID).Error; err != nil || tenderID == 0 {
		t.Fatalf("a published tender: %v (%d)", err, tenderID)
	}
	var itemID int64
	if err := e.DB.Raw(`SELECT id FROM transfer_items WHERE status = 'published' ORDER BY id LIMIT 1`).Scan(&itemID).Error; err != nil || itemID == 0 {
		t.Fatalf("a published transfer item: %v (%d)", err, itemID)
	}
	// An active contract of the first community, on its menu.
	k := e.ActiveContract(t)
	return []hotRoute{
		{"tender list", "/api/v1/public/tenders", 2},
		{"item search", "/api/v1/public/transfer-items?q=%E5%B1%85%E5%AE%B6", 1},
		{"capable catalog", "/api/v1/public/organizations", 2},
		{"tender detail", fmt.Sprintf("/api/v1/public/tenders/%d", tenderID), 3},
		{"provider profile", fmt.Sprintf("/api/v1/public/organizations/%d", d.Org1), 4},
		{"catalog page", "/catalog", 3},
		{"capable page", "/capable", 4},
		{"tender page", fmt.Sprintf("/procurement/%d", tenderID), 8},
		{"provider page", fmt.Sprintf("/organizations/%d", d.Org1), 6},
		{"procurement page", "/procurement", 4},
		{"home page", "/", 2},
		{"provider directory", "/providers", 6},
		{"item detail", fmt.Sprintf("/api/v1/public/transfer-items/%d", itemID), 1},
		{"item page", fmt.Sprintf("/catalog/items/%d", itemID), 4},
		{"contract summary", fmt.Sprintf("/api/v1/public/contracts/%d", k.ID), 1},
		{"community menu", fmt.Sprintf("/api/v1/public/communities/%d/services", d.CommA), 2},
		{"fund transparency page", "/transparency/funds", 6},
		{"fund transparency page, one subdistrict", fmt.Sprintf("/transparency/funds?subdistrict=%d", d.SubA), 7},
	}
}

// Each hot public read runs a small fixed number of queries, whatever the
// number of rows: no query per tender, item, organization or contract. The
// numbers are what each runs today: a statement added fails the test.
func TestPublicReadQueries(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, demo.WithTenders())
	routes := hotPublicRoutes(t, e)
	q := e.CountQueries(t)
	count := func(r hotRoute) (int64, []string) {
		before := q.Count()
		if res := e.Do(t, servertest.Request{Method: http.MethodGet, Path: r.path}); res.Status != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200", r.path, res.Status)
		}
		return q.Count() - before, q.Since(before)
	}
	total := func(path string) int {
		var page struct {
			Total int `json:"total"`
		}
		e.Do(t, servertest.Request{Method: http.MethodGet, Path: path}).JSON(t, &page)
		return page.Total
	}
	lists := []string{"/api/v1/public/tenders", "/api/v1/public/transfer-items", "/api/v1/public/organizations"}
	totals := map[string]int{}
	for _, path := range lists {
		totals[path] = total(path)
	}
	first := map[string]int64{}
	for _, r := range routes {
		n, sql := count(r)
		first[r.name] = n
		if n > r.queries {
			t.Errorf("%s (GET %s) ran %d queries, want at most %d:\n%s", r.name, r.path, n, r.queries, strings.Join(sql, "\n"))
		}
	}

	// More of everything the routes list: tenders and contracts of the
	// provider with their postings, published transfer items, certified
	// organizations.
	for range 3 {
		e.ActiveContract(t)
	}
	// Signed through the contract service: ledger postings (reservation,
	// encumbrance) the fund report sums.
	for range 2 {
		e.SignedContract(t, 1_000_000)
	}
	growCatalog(t, e, 6)
	growOrganizations(t, e, 6)
	for _, path := range lists {
		if got := total(path); got <= totals[path] {
			t.Fatalf("GET %s lists %d, %d before: the fixture added none", path, got, totals[path])
		}
	}
	for _, r := range routes {
		if n, sql := count(r); n != first[r.name] {
			t.Errorf("%s (GET %s) ran %d queries with more rows, %d before:\n%s", r.name, r.path, n, first[r.name], strings.Join(sql, "\n"))
		}
	}
}

// exec runs SQL for a fixture, failing the test on an error.
func exec(t testing.TB, e *servertest.Env, sql string, args ...any) {
	t.Helper()
	if err := e.DB.Exec(sql, args...).Error; err != nil {
		t.Fatalf("%.80s: %v", sql, err)
	}
}

// growCatalog copies the first published transfer item n times, each with
// its published version, communities and metrics.
func growCatalog(t testing.TB, e *servertest.Env, n int) {
	t.Helper()
	for range n {
		var id int64
		if err := e.DB.Raw(`INSERT INTO transfer_items SELECT (jsonb_populate_record(null::transfer_items,
			to_jsonb(s) || jsonb_build_object('id', nextval(pg_get_serial_sequence('transfer_items', 'id'))))).*
			FROM transfer_items s WHERE status = 'published' ORDER BY id LIMIT 1 RETURNING id`).Scan(&id).Error; err != nil {
			t.Fatalf("copy a transfer item: %v", err)
		}
		// A published version's parts cannot change: the copy is a draft
		// until its parts are in.
		src := `(SELECT id, published_version FROM transfer_items WHERE status = 'published' ORDER BY id LIMIT 1)`
		exec(t, e, `INSERT INTO transfer_item_versions SELECT (jsonb_populate_record(null::transfer_item_versions,
			to_jsonb(s) || jsonb_build_object('item_id', ?::bigint, 'status', 'draft'))).*
			FROM transfer_item_versions s WHERE (item_id, version) = `+src, id)
		for _, table := range []string{"transfer_item_communities", "transfer_item_metrics"} {
			exec(t, e, fmt.Sprintf(`INSERT INTO %[1]s SELECT (jsonb_populate_record(null::%[1]s, to_jsonb(s) || jsonb_build_object('item_id', ?::bigint))).*
				FROM %[1]s s WHERE (item_id, version) = `+src, table), id)
		}
		exec(t, e, `UPDATE transfer_item_versions SET status = 'published' WHERE item_id = ?`, id)
	}
}

// growOrganizations copies the provider n times, each with its active
// certifications and their categories.
func growOrganizations(t testing.TB, e *servertest.Env, n int) {
	t.Helper()
	src := e.Demo(t).Org1
	for i := range n {
		var id int64
		code := servertest.CreditCode(t, fmt.Sprintf("5233050299%07d", i))
		if err := e.DB.Raw(`INSERT INTO organizations SELECT (jsonb_populate_record(null::organizations,
			to_jsonb(s) || jsonb_build_object('id', nextval(pg_get_serial_sequence('organizations', 'id')), 'credit_code', ?::text, 'legal_name', s.legal_name || ?::text))).*
			FROM organizations s WHERE id = ? RETURNING id`, code, fmt.Sprint(i), src).Scan(&id).Error; err != nil {
			t.Fatalf("copy an organization: %v", err)
		}
		var certs []int64
		if err := e.DB.Raw(`SELECT id FROM certifications WHERE organization_id = ? AND status = 'approved'`, src).Scan(&certs).Error; err != nil {
			t.Fatal(err)
		}
		for _, cert := range certs {
			var copied int64
			if err := e.DB.Raw(`INSERT INTO certifications SELECT (jsonb_populate_record(null::certifications,
				to_jsonb(s) || jsonb_build_object('id', nextval(pg_get_serial_sequence('certifications', 'id')), 'organization_id', ?::bigint))).*
				FROM certifications s WHERE id = ? RETURNING id`, id, cert).Scan(&copied).Error; err != nil {
				t.Fatalf("copy a certification: %v", err)
			}
			exec(t, e, `INSERT INTO certification_categories (certification_id, category_code)
				SELECT ?, category_code FROM certification_categories WHERE certification_id = ?`, copied, cert)
		}
	}
}

// get sends a GET through the app with the headers given as name, value
// pairs; an API answer is checked against the OpenAPI document, 304 too.
func get(t testing.TB, e *servertest.Env, path string, header ...string) servertest.Response {
	t.Helper()
	h := map[string]string{}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = header[i+1]
	}
	return e.Do(t, servertest.Request{Method: http.MethodGet, Path: path, Header: h})
}

// An anonymous public page and a public API list carry a strong ETag and
// Cache-Control: public, and answer a matching If-None-Match with 304 and
// no body; a changed row changes the ETag.
func TestPublicReadETag(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, demo.WithTenders())
	for _, path := range []string{"/catalog", "/api/v1/public/tenders", "/api/v1/public/transfer-items?q=%E5%B1%85%E5%AE%B6", "/procurement"} {
		r := get(t, e, path)
		etag := r.Header.Get("ETag")
		if r.Status != http.StatusOK || !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 10 {
			t.Fatalf("GET %s = %d, ETag %q, want 200 with a strong ETag", path, r.Status, etag)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=60" {
			t.Errorf("GET %s Cache-Control = %q, want public, max-age=60", path, cc)
		}
		if v := r.Header.Get("Vary"); !strings.Contains(v, "Accept-Encoding") {
			t.Errorf("GET %s Vary = %q, want Accept-Encoding among them", path, v)
		}
		if sc := r.Header.Values("Set-Cookie"); len(sc) > 0 {
			t.Errorf("GET %s sets cookies %q, want none on a shareable response", path, sc)
		}
		again := get(t, e, path, "If-None-Match", etag)
		if again.Status != http.StatusNotModified || len(again.Body) != 0 || again.Header.Get("ETag") != etag {
			t.Errorf("GET %s If-None-Match %s = %d, %d bytes, ETag %q; want 304, empty, the same ETag", path, etag, again.Status, len(again.Body), again.Header.Get("ETag"))
		}
		if other := get(t, e, path, "If-None-Match", `"something-else"`); other.Status != http.StatusOK {
			t.Errorf("GET %s with another ETag = %d, want 200", path, other.Status)
		}
	}

	before := get(t, e, "/api/v1/public/tenders").Header.Get("ETag")
	exec(t, e, `UPDATE tenders SET title = title || '（更正）' WHERE id = (SELECT max(id) FROM tenders WHERE published_at IS NOT NULL)`)
	after := get(t, e, "/api/v1/public/tenders", "If-None-Match", before)
	if after.Status != http.StatusOK || after.Header.Get("ETag") == before {
		t.Errorf("GET /api/v1/public/tenders after a change, If-None-Match the old ETag = %d, ETag %q; want 200 with a new ETag", after.Status, after.Header.Get("ETag"))
	}
}

// Signed in, the same public page and list are private, no-store, with no
// ETag: a shared cache never keeps a page with the user's name in it.
func TestPublicReadSignedInIsPrivate(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	page := servertest.SignIn(t, e, "demo-officer")
	r := page.Get(t, "/catalog")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "demo-officer") {
		t.Fatalf("GET /catalog signed in = %d, want 200 naming the user", r.Status)
	}
	// Signed in, the language switch returns to the page without a lang
	// parameter, which would overrule the cookie it sets.
	if en := page.Get(t, "/catalog?lang=en"); !strings.Contains(string(en.Body), `href="/lang/zh-CN?next=%2fcatalog"`) {
		t.Errorf("GET /catalog?lang=en signed in: the switch does not return to /catalog")
	}
	for what, res := range map[string]servertest.Response{
		"GET /catalog signed in":                  r,
		"GET /api/v1/public/tenders with a token": e.DoRaw(t, servertest.Request{Method: http.MethodGet, Path: "/api/v1/public/tenders", Token: e.Token(t, "demo-officer")}),
		"GET /api/v1/me":                          e.DoRaw(t, servertest.Request{Method: http.MethodGet, Path: "/api/v1/me", Token: e.Token(t, "demo-officer")}),
	} {
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") || strings.Contains(cc, "public") {
			t.Errorf("%s Cache-Control = %q, want no-store", what, cc)
		}
		if et := res.Header.Get("ETag"); et != "" {
			t.Errorf("%s ETag = %q, want none", what, et)
		}
		if ce := res.Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("%s Content-Encoding = %q, want none", what, ce)
		}
	}
}

// A public page carries its language in the URL: ?lang=en is English and
// shareable, its public links keep ?lang=en and its switch returns to the
// page in Chinese; English chosen by the cookie alone is not shared.
func TestPublicReadLanguageInURL(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	en := get(t, e, "/capable?lang=en")
	body := string(en.Body)
	if en.Status != http.StatusOK || !strings.Contains(body, `<html lang="en">`) || en.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("GET /capable?lang=en = %d, Cache-Control %q; want an English shareable page", en.Status, en.Header.Get("Cache-Control"))
	}
	for _, want := range []string{`href="/catalog?lang=en"`, `href="/procurement?lang=en"`, `href="/lang/zh-CN?next=%2fcapable%3flang%3dzh-CN"`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /capable?lang=en has no %s", want)
		}
	}
	zh := get(t, e, "/capable")
	if !strings.Contains(string(zh.Body), `<html lang="zh-CN">`) || !strings.Contains(string(zh.Body), `href="/catalog"`) || zh.Header.Get("ETag") == en.Header.Get("ETag") {
		t.Errorf("GET /capable is not the Chinese page with plain links and its own ETag")
	}
	byCookie := get(t, e, "/capable", "Cookie", "jd_lang=en")
	if !strings.Contains(string(byCookie.Body), `<html lang="en">`) || byCookie.Header.Get("Cache-Control") != "no-store" || byCookie.Header.Get("ETag") != "" {
		t.Errorf("GET /capable with the English cookie: Cache-Control %q, ETag %q; want English, no-store, no ETag",
			byCookie.Header.Get("Cache-Control"), byCookie.Header.Get("ETag"))
	}
	if r := get(t, e, "/capable?lang=zh-CN", "Cookie", "jd_lang=en"); !strings.Contains(string(r.Body), `<html lang="zh-CN">`) || r.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Errorf("GET /capable?lang=zh-CN with the English cookie: Cache-Control %q; want the shareable Chinese page", r.Header.Get("Cache-Control"))
	}
}

// Compression: a shareable public page is compressed for a client that
// accepts it (br before gzip), with its own ETag per coding; a page with a
// CSRF token is never compressed (BREACH), nor an answer to a signed-in user.
func TestPublicReadCompression(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	plain := get(t, e, "/capable")
	for _, tt := range []struct{ accept, coding string }{{"gzip, deflate, br", "br"}, {"gzip", "gzip"}, {"br;q=0, gzip", "gzip"}, {"identity", ""}} {
		r := get(t, e, "/capable", "Accept-Encoding", tt.accept)
		if ce := r.Header.Get("Content-Encoding"); ce != tt.coding {
			t.Errorf("GET /capable Accept-Encoding %q: Content-Encoding %q, want %q", tt.accept, ce, tt.coding)
		}
		want := plain.Header.Get("ETag")
		if tt.coding != "" {
			want = strings.TrimSuffix(want, `"`) + "-" + tt.coding + `"`
			if len(r.Body) >= len(plain.Body) {
				t.Errorf("GET /capable in %s is %d bytes, plain %d", tt.coding, len(r.Body), len(plain.Body))
			}
		}
		if got := r.Header.Get("ETag"); got != want {
			t.Errorf("GET /capable Accept-Encoding %q: ETag %q, want %q", tt.accept, got, want)
		}
		if nm := get(t, e, "/capable", "Accept-Encoding", tt.accept, "If-None-Match", r.Header.Get("ETag")); nm.Status != http.StatusNotModified {
			t.Errorf("GET /capable Accept-Encoding %q If-None-Match its ETag = %d, want 304", tt.accept, nm.Status)
		}
	}
	login := get(t, e, "/login", "Accept-Encoding", "gzip, br")
	if !strings.Contains(string(login.Body), `name="csrf_token"`) || login.Header.Get("Content-Encoding") != "" || login.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("GET /login (a CSRF token) Content-Encoding %q, Cache-Control %q; want none, no-store", login.Header.Get("Content-Encoding"), login.Header.Get("Cache-Control"))
	}
	var cookies []string
	for k, v := range servertest.SignIn(t, e, "demo-officer").Cookies {
		cookies = append(cookies, k+"="+v)
	}
	if r := get(t, e, "/capable", "Accept-Encoding", "gzip, br", "Cookie", strings.Join(cookies, "; ")); r.Header.Get("Content-Encoding") != "" ||
		!strings.Contains(string(r.Body), "demo-officer") {
		t.Errorf("GET /capable signed in Content-Encoding %q, want none (the logout form's token)", r.Header.Get("Content-Encoding"))
	}
	token := e.DoRaw(t, servertest.Request{Method: http.MethodPost, Path: "/api/v1/auth/login", Header: map[string]string{"Accept-Encoding": "gzip, br"},
		Body: map[string]string{"username": "demo-officer", "password": servertest.DemoPassword}})
	if token.Status != http.StatusOK || token.Header.Get("Content-Encoding") != "" {
		t.Errorf("POST /api/v1/auth/login = %d, Content-Encoding %q; want 200 uncompressed", token.Status, token.Header.Get("Content-Encoding"))
	}
}

// Static files: the pages link the fingerprinted name, served immutable for
// a year with an ETag; the plain name still works, kept briefly.
func TestStaticFingerprint(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	page := string(get(t, e, "/catalog").Body)
	i := strings.Index(page, `href="/static/app.`)
	if i < 0 {
		t.Fatalf("/catalog links no fingerprinted app.css")
	}
	href := page[i+len(`href="`):]
	href = href[:strings.IndexByte(href, '"')]
	if !strings.HasSuffix(href, ".css") || href == "/static/app.css" {
		t.Fatalf("stylesheet link %q, want /static/app.<hash>.css", href)
	}
	hashed, plain := get(t, e, href, "Accept-Encoding", "gzip"), get(t, e, "/static/app.css")
	if hashed.Status != http.StatusOK || hashed.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || hashed.Header.Get("ETag") == "" ||
		hashed.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(hashed.Header.Get("Content-Type"), "text/css") {
		t.Errorf("GET %s = %d, %v; want 200 text/css, immutable for a year, an ETag, gzip", href, hashed.Status, hashed.Header)
	}
	if plain.Status != http.StatusOK || plain.Header.Get("Cache-Control") != "public, max-age=60" || !strings.Contains(string(plain.Body), "{") {
		t.Errorf("GET /static/app.css = %d, Cache-Control %q; want the stylesheet, kept 60 s", plain.Status, plain.Header.Get("Cache-Control"))
	}
	if r := get(t, e, "/static/app.00000000.css"); r.Status != http.StatusNotFound {
		t.Errorf("GET a wrong fingerprint = %d, want 404", r.Status)
	}
}

// The server's micro-cache serves an anonymous public answer again without
// running the handler, and a write through the server empties it.
func TestPublicReadMicroCache(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(t)
	cfg.HTTP.PublicCache = cfg.HTTP.PublicMaxAge // longer than the test
	e := servertest.NewEnvWith(t, cfg, demo.WithTenders())
	q := e.CountQueries(t)
	first := get(t, e, "/api/v1/public/tenders")
	before := q.Count()
	again := get(t, e, "/api/v1/public/tenders")
	if n := q.Count() - before; n != 0 || again.Header.Get("ETag") != first.Header.Get("ETag") {
		t.Errorf("the second anonymous GET ran %d queries, ETag %q then %q; want none, the same", n, first.Header.Get("ETag"), again.Header.Get("ETag"))
	}
	// A signed-in reader and a cookie-bearing one always reach the handler.
	before = q.Count()
	e.DoRaw(t, servertest.Request{Method: http.MethodGet, Path: "/api/v1/public/tenders", Token: e.Token(t, "demo-officer")})
	get(t, e, "/api/v1/public/tenders", "Cookie", "jd_lang=en")
	if q.Count() == before {
		t.Errorf("requests with a token or a cookie were answered from the micro-cache")
	}
	// A write empties it: the next anonymous read runs the handler.
	e.DoRaw(t, servertest.Request{Method: http.MethodPost, Path: "/api/v1/auth/login", Body: map[string]string{"username": "demo-officer", "password": servertest.DemoPassword}})
	before = q.Count()
	get(t, e, "/api/v1/public/tenders")
	if q.Count() == before {
		t.Errorf("an anonymous read after a write was answered from the micro-cache")
	}
	if !slices.Contains([]int{http.StatusOK}, again.Status) {
		t.Errorf("GET from the micro-cache = %d", again.Status)
	}
}

// An expired answer is renewed in the background: the request that finds it
// expired is sent it at once, as are the others, while the answer rendered
// behind them waits (here for a lock); then the new one replaces it.
func TestPublicReadMicroCacheRenewsInTheBackground(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(t)
	cfg.HTTP.PublicCache = 200 * time.Millisecond
	e := servertest.NewEnvWith(t, cfg, demo.WithTenders())
	const path = "/api/v1/public/tenders"
	first := get(t, e, path)
	kept := time.Now() // the answer expires at or before kept + PublicCache
	old := first.Header.Get("ETag")
	// A change made behind the server's back (another replica's write),
	// whose transaction holds the tenders until the end of the test's wait.
	held := e.DB.Begin()
	defer held.Rollback()
	if err := held.Exec(`LOCK TABLE tenders IN ACCESS EXCLUSIVE MODE`).Error; err != nil {
		t.Fatal(err)
	}
	if err := held.Exec(`UPDATE tenders SET title = title || '（更新）' WHERE id = (SELECT min(id) FROM tenders WHERE published_at IS NOT NULL)`).Error; err != nil {
		t.Fatal(err)
	}
	<-time.After(time.Until(kept.Add(cfg.HTTP.PublicCache))) // the answer has expired
	done := make(chan servertest.Response, 1)
	go func() { done <- get(t, e, path) }()
	select {
	case r := <-done:
		if r.Status != http.StatusOK || r.Header.Get("ETag") != old {
			t.Errorf("GET after the expiry = %d, ETag %q; want the expired answer %q at once", r.Status, r.Header.Get("ETag"), old)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the request that found the answer expired waited for it to be rendered again")
	}
	if err := held.Commit().Error; err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		if time.Now().After(deadline) {
			t.Fatal("the answer was not renewed within 20 s")
		}
		r := get(t, e, path)
		if r.Header.Get("ETag") != old {
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "（更新）") {
				t.Fatalf("the renewed answer = %d, lacks the change: %s", r.Status, r.Body)
			}
			break
		}
	}
}
