package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/web"
)

// Languages of the site; the first is the default.
var languages = []string{"zh-CN", "en"}

const (
	cookieAccess  = "jd_access"
	cookieRefresh = "jd_refresh"
	cookieCSRF    = "jd_csrf"
	cookieLang    = "jd_lang"
)

// pages renders the server-side HTML: one parsed template set per page and language.
type pages struct {
	sets     map[string]*template.Template // key: lang + "/" + page
	messages map[string]map[string]string
	csrfKey  []byte
	secure   bool
}

func newPages(cfg config.Config) (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}, messages: map[string]map[string]string{},
		csrfKey: cfg.Auth.CSRFSecret, secure: cfg.HTTP.SecureCookies}
	if len(p.csrfKey) == 0 {
		return nil, fmt.Errorf("pages: no CSRF secret configured (JIEDAO_CSRF_SECRET)")
	}
	for _, lang := range languages {
		raw, err := fs.ReadFile(web.I18n, "i18n/"+lang+".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", lang, err)
		}
		p.messages[lang] = m
	}
	names, err := fs.Glob(web.Templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		page := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if page == "layout" {
			continue
		}
		for _, lang := range languages {
			t, err := template.New(page).Funcs(p.funcs(lang)).ParseFS(web.Templates, "templates/layout.html", name)
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", name, err)
			}
			p.sets[lang+"/"+page] = t
		}
	}
	return p, nil
}

func (p *pages) translate(lang, key string) string {
	if m, ok := p.messages[lang][key]; ok {
		return m
	}
	return key
}

func (p *pages) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":   func(key string) string { return p.translate(lang, key) },
		"tf":  func(key string, args ...any) string { return fmt.Sprintf(p.translate(lang, key), args...) },
		"nav": navFor,
		"name": func(zh, en string) string {
			if lang == "en" && en != "" {
				return en
			}
			return zh
		},
	}
}

// view is what every page template receives.
type view struct {
	Lang  string
	Path  string
	Here  string // path and query, to come back to after switching language
	Actor access.Actor
	CSRF  string
	Data  any
}

func language(c *fiber.Ctx) string {
	if l := c.Cookies(cookieLang); l == "en" {
		return "en"
	}
	return languages[0]
}

func (s *Server) render(c *fiber.Ctx, status int, page string, data any) error {
	lang := language(c)
	t, ok := s.pages.sets[lang+"/"+page]
	if !ok {
		return fmt.Errorf("render: no page %q", page)
	}
	v := view{Lang: lang, Path: c.Path(), Here: string(c.Request().RequestURI()), Actor: actor(c), CSRF: s.csrfToken(c), Data: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(buf.Bytes())
}

func (s *Server) renderError(c *fiber.Ctx, status int, e *apperr.Error) error {
	msg := "error.internal"
	switch e.Kind {
	case apperr.NotFound:
		msg = "error.not_found"
	case apperr.Forbidden, apperr.Unauthorized:
		msg = "error.forbidden"
	case apperr.TooLarge:
		msg = "error.too_large"
	case apperr.Invalid, apperr.UnsupportedMediaType:
		msg = "error.invalid"
	case apperr.Conflict:
		msg = "error.conflict"
	case apperr.TooManyRequests:
		msg = "error.too_many"
	}
	if e == errCSRF {
		msg = "error.csrf"
	}
	return s.render(c, status, "error", fiber.Map{"Message": msg})
}

// csrfToken returns the token forms must echo: an HMAC of the browser's random
// CSRF cookie (set here when missing), so a token from another browser fails.
func (s *Server) csrfToken(c *fiber.Ctx) string {
	nonce := c.Cookies(cookieCSRF)
	if nonce == "" {
		if v, ok := c.Locals(cookieCSRF).(string); ok {
			nonce = v
		} else {
			b := make([]byte, 32)
			if _, err := rand.Read(b); err != nil {
				panic(err)
			}
			nonce = base64.RawURLEncoding.EncodeToString(b)
			c.Locals(cookieCSRF, nonce)
			s.setCookie(c, cookieCSRF, nonce, 0)
		}
	}
	return s.csrfFor(nonce)
}

func (s *Server) csrfFor(nonce string) string {
	m := hmac.New(sha256.New, s.pages.csrfKey)
	m.Write([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF refuses a form post whose token does not match the CSRF cookie.
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	nonce := c.Cookies(cookieCSRF)
	got := c.FormValue("csrf_token")
	if nonce == "" || got == "" || !hmac.Equal([]byte(got), []byte(s.csrfFor(nonce))) {
		return errCSRF
	}
	if badFormText(c) {
		return errFormText
	}
	return c.Next()
}

// errFormText refuses a form whose text fields hold NUL characters or bytes
// that are not UTF-8: PostgreSQL text cannot store them.
var errFormText = apperr.New(apperr.Invalid, "malformed_text", "text may not contain NUL characters or invalid UTF-8")

// badFormText reports whether a posted form's text values (not its files)
// hold NUL or invalid UTF-8.
func badFormText(c *fiber.Ctx) bool {
	bad := func(v string) bool { return strings.ContainsRune(v, 0) || !utf8.ValidString(v) }
	if form, err := c.MultipartForm(); err == nil {
		for _, values := range form.Value {
			if slices.ContainsFunc(values, bad) {
				return true
			}
		}
		return false
	}
	found := false
	c.Request().PostArgs().VisitAll(func(_, v []byte) {
		found = found || bad(string(v))
	})
	return found
}

// setCookie sets an HttpOnly, SameSite=Lax cookie; maxAge 0 means a session cookie.
func (s *Server) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	c.Cookie(&fiber.Cookie{Name: name, Value: value, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: s.pages.secure, MaxAge: int(maxAge.Seconds())})
}

func (s *Server) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: s.pages.secure, MaxAge: -1, Expires: time.Unix(1, 0)})
}

func (s *Server) setTokenCookies(c *fiber.Ctx, t auth.Tokens) {
	s.setCookie(c, cookieAccess, t.AccessToken, s.cfg.Auth.AccessTTL)
	s.setCookie(c, cookieRefresh, t.RefreshToken, s.cfg.Auth.RefreshTTL)
}

// webSession authenticates page requests from the token cookies, rotating the
// refresh token when the access token has expired.
func (s *Server) webSession(c *fiber.Ctx) error {
	a := access.Anonymous(requestID(c), c.IP())
	ctx, cl := c.UserContext(), s.client(c)
	if tok := c.Cookies(cookieAccess); tok != "" {
		if got, err := s.auth.Authenticate(ctx, tok, cl); err == nil {
			a = got
		}
	}
	if !a.Authenticated() {
		if rt := c.Cookies(cookieRefresh); rt != "" {
			tokens, err := s.auth.Refresh(ctx, rt, cl)
			if errors.Is(err, auth.ErrRefreshRaced) && c.Method() == fiber.MethodGet {
				// Another tab refreshed a moment ago and holds the new cookies:
				// ask the browser to load the page again with them.
				return c.Redirect(safeNext(string(c.Request().RequestURI())), fiber.StatusSeeOther)
			}
			if err == nil {
				if got, err := s.auth.Authenticate(ctx, tokens.AccessToken, cl); err == nil {
					a = got
					s.setTokenCookies(c, tokens)
				}
			}
			if !a.Authenticated() && !errors.Is(err, auth.ErrRefreshRaced) {
				s.clearCookie(c, cookieAccess)
				s.clearCookie(c, cookieRefresh)
			}
		}
	}
	c.Locals(localActor, a)
	return c.Next()
}

// navItem is one entry of the header navigation.
type navItem struct {
	Key  string // message key
	Href string
}

// pageRoles says which roles may open each signed-in page; the header shows a
// role only the pages it may open.
var pageRoles = map[string][]access.Role{
	"/communities":   placeReaders,
	"/organizations": orgReaders,
	"/admin/users":   {access.PlatformAdmin},
	// Transfer items: staff read them, procurement officers (/items/new) change them.
	"/items":              itemReaders,
	"/items/new":          {access.ProcurementOfficer},
	"/district/standards": {access.DistrictAdmin},
	"/district/guidance":  {access.DistrictAdmin},
	// Organizations: their staff see their page and upload evidence; only the
	// organization's admin edits the profile, invites members and applies.
	"/org":                     {access.OrgAdmin, access.OrgMember},
	"/org/profile":             {access.OrgAdmin},
	"/org/members":             {access.OrgAdmin},
	"/org/certifications":      {access.OrgAdmin},
	"/district/certifications": {access.DistrictAdmin},
	// Funds: the staff who read fund accounts see them, their payouts and the
	// reports; finance officers alone ("/funds/write", the key of every form
	// posted from these pages) open accounts, appropriate, correct and confirm.
	"/funds":         fundReaders,
	"/funds/write":   {access.FinanceOfficer},
	"/payouts":       fundReaders,
	"/reports/funds": fundReaders,
	// An organization's staff see the payments it received; its admin connects
	// it to Stripe.
	"/org/payouts":         {access.OrgAdmin, access.OrgMember},
	"/org/payouts/connect": {access.OrgAdmin},
	// Tendering: the procurement officer runs the subdistrict's tenders, an
	// organization's staff bid on its opportunities, evaluators review the
	// tenders whose committee they sit on; everyone reads notifications.
	"/tenders":       {access.ProcurementOfficer},
	"/opportunities": {access.OrgAdmin, access.OrgMember},
	"/reviews":       {access.Evaluator},
	"/notifications": access.Roles,
}

var navOrder = []navItem{
	{"nav.communities", "/communities"},
	{"nav.organizations", "/organizations"},
	{"nav.users", "/admin/users"},
	{"nav.items", "/items"},
	{"nav.district_standards", "/district/standards"},
	{"nav.guidance", "/district/guidance"},
	{"nav.certifications", "/district/certifications"},
	{"nav.org", "/org"},
	{"nav.org_payouts", "/org/payouts"},
	{"nav.funds", "/funds"},
	{"nav.payouts", "/payouts"},
	{"nav.fund_reports", "/reports/funds"},
	{"nav.tenders", "/tenders"},
	{"nav.opportunities", "/opportunities"},
	{"nav.reviews", "/reviews"},
	{"nav.notifications", "/notifications"},
}

func navFor(role access.Role) []navItem {
	var out []navItem
	for _, it := range navOrder {
		if slices.Contains(pageRoles[it.Href], role) {
			out = append(out, it)
		}
	}
	return out
}

// pageFor admits signed-in users whose role may open the page at path: others
// are sent to the login page, or shown 403.
func (s *Server) pageFor(path string) fiber.Handler {
	roles := pageRoles[path]
	return func(c *fiber.Ctx) error {
		a := actor(c)
		if !a.Authenticated() {
			return c.Redirect("/login", fiber.StatusSeeOther)
		}
		if !a.Is(roles...) {
			return apperr.ErrForbidden
		}
		return c.Next()
	}
}

func (s *Server) handleCommunitiesPage(c *fiber.Ctx) error {
	list, err := s.places.ListCommunities(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "communities", fiber.Map{"Items": list})
}

func (s *Server) handleOrganizationsPage(c *fiber.Ctx) error {
	list, err := s.orgs.List(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "organizations", fiber.Map{"Items": list})
}

func (s *Server) handleUsersPage(c *fiber.Ctx) error {
	list, err := s.auth.ListUsers(c.UserContext())
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "users", fiber.Map{"Items": list})
}

func (s *Server) pageRoutes() {
	s.app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(mustSub(web.Static, "static")), MaxAge: 3600}))
	s.app.Get("/lang/:code", s.handleLanguage)
	pages := s.app.Group("", s.webSession)
	pages.Get("/", s.handleHome)
	pages.Get("/login", s.handleLoginPage)
	pages.Post("/login", s.checkCSRF, s.handleLoginSubmit)
	pages.Post("/logout", s.checkCSRF, s.handleLogoutSubmit)
	pages.Get("/dashboard", s.handleDashboard)
	pages.Get("/communities", s.pageFor("/communities"), s.handleCommunitiesPage)
	pages.Get("/organizations", s.pageFor("/organizations"), s.handleOrganizationsPage)
	pages.Get("/admin/users", s.pageFor("/admin/users"), s.handleUsersPage)
	s.catalogPages(pages)
	s.orgPages(pages)
	s.fundPages(pages)
	s.tenderPages(pages)
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// safeNext keeps a redirect target on this site. Browsers drop tabs and line
// breaks from a URL and read a backslash as a slash, so "/\t/evil.example" would
// leave the site: any control character or backslash sends the user home.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }) {
		return "/"
	}
	return next
}

func (s *Server) handleLanguage(c *fiber.Ctx) error {
	lang := c.Params("code")
	if lang != "en" && lang != "zh-CN" {
		return errRouteNotFound
	}
	s.setCookie(c, cookieLang, lang, 365*24*time.Hour)
	return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
}

func (s *Server) handleHome(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "home", nil)
}

type loginView struct {
	Username string
	Error    string
}

func (s *Server) handleLoginPage(c *fiber.Ctx) error {
	if actor(c).Authenticated() {
		return c.Redirect("/dashboard", fiber.StatusSeeOther)
	}
	return s.render(c, fiber.StatusOK, "login", loginView{})
}

func (s *Server) handleLoginSubmit(c *fiber.Ctx) error {
	username := strings.Clone(c.FormValue("username"))
	tokens, err := s.auth.Login(c.UserContext(), username, c.FormValue("password"), s.client(c))
	if err != nil {
		e := toAppErr(err)
		switch e.Kind {
		case apperr.Unauthorized:
			return s.render(c, fiber.StatusUnauthorized, "login", loginView{Username: username, Error: "login.failed"})
		case apperr.TooManyRequests:
			c.Set(fiber.HeaderRetryAfter, fmt.Sprint(e.RetryAfter))
			return s.render(c, fiber.StatusTooManyRequests, "login", loginView{Username: username, Error: "login.throttled"})
		}
		return err
	}
	s.setTokenCookies(c, tokens)
	return c.Redirect("/dashboard", fiber.StatusSeeOther)
}

func (s *Server) handleLogoutSubmit(c *fiber.Ctx) error {
	if a := actor(c); a.Authenticated() {
		if err := s.auth.Logout(c.UserContext(), a); err != nil {
			return err
		}
	}
	s.clearCookie(c, cookieAccess)
	s.clearCookie(c, cookieRefresh)
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (s *Server) handleDashboard(c *fiber.Ctx) error {
	a := actor(c)
	if !a.Authenticated() {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	ctx, lang := c.UserContext(), language(c)
	name := func(zh, en string) string {
		if lang == "en" && en != "" {
			return en
		}
		return zh
	}
	var scope string
	switch a.Role.ScopeKind() {
	case access.ScopeSubdistrict:
		if d, err := s.places.GetSubdistrict(ctx, a.Scope.SubdistrictID); err == nil {
			scope = name(d.NameZh, d.NameEn)
		}
	case access.ScopeDistrict:
		if d, err := s.places.GetDistrict(ctx, a.Scope.DistrictID); err == nil {
			scope = name(d.NameZh, d.NameEn)
		}
	case access.ScopeOrganization:
		if o, err := s.orgs.Get(ctx, a, a.Scope.OrganizationID); err == nil {
			scope = o.LegalName
		}
	}
	return s.render(c, fiber.StatusOK, "dashboard", fiber.Map{"ScopeName": scope})
}
