package ui

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/trail"
	"github.com/jiedao-market/jiedao/web"
)

// Languages of the site; the first is the default.
var languages = []string{"zh-CN", "en"}

// pages renders the server-side HTML: one parsed template set per page and
// language, and for a language other than the default seen signed out a
// second one whose links keep the language in the URL, made on first use.
type pages struct {
	sets map[string]*template.Template // key: lang + "/" + page
	// kept holds the sets whose links keep the language (funcs' keep), by
	// lang + "/" + page: most servers render few such pages, and a set for
	// every page would cost each server (each test's) a third more start.
	kept     sync.Map
	messages map[string]map[string]string
	csrfKey  []byte
	secure   bool
	static   staticFiles
}

func newPages(cfg config.Config) (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}, messages: map[string]map[string]string{},
		csrfKey: cfg.Auth.CSRFSecret, secure: cfg.HTTP.Secure()}
	if len(p.csrfKey) == 0 {
		return nil, fmt.Errorf("pages: no CSRF secret configured (JIEDAO_CSRF_SECRET)")
	}
	var err error
	if p.static, err = loadStatic(); err != nil {
		return nil, fmt.Errorf("static files: %w", err)
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
	parsed, err := parsedTemplates()
	if err != nil {
		return nil, err
	}
	for page, base := range parsed {
		for _, lang := range languages {
			// A clone has its own copy of the parse trees (escaping rewrites
			// them at the first execution) and its own functions, speaking lang.
			t, err := base.Clone()
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", page, err)
			}
			p.sets[lang+"/"+page] = t.Funcs(p.funcs(lang, false))
		}
	}
	return p, nil
}

// parsedTemplates parses each page with the layout once per process, for
// newPages to clone: the files are embedded, and parsing them took a few
// hundred milliseconds (more under -race) at every server's start, once for
// each test's server. Never executed, they stay clonable.
var parsedTemplates = sync.OnceValues(func() (map[string]*template.Template, error) {
	names, err := fs.Glob(web.Templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	// Parsing needs the functions' names only; newPages gives each clone its own.
	placeholders := (&pages{}).funcs(languages[0], false)
	sets := map[string]*template.Template{}
	for _, name := range names {
		page := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if page == "layout" {
			continue
		}
		t, err := template.New(page).Funcs(placeholders).ParseFS(web.Templates, "templates/layout.html", name)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		sets[page] = t
	}
	return sets, nil
})

func (p *pages) translate(lang, key string) string {
	if m, ok := p.messages[lang][key]; ok {
		return m
	}
	return key
}

// set returns page's template set in lang, its links keeping lang in the
// URL when keep, that set made on first use.
func (p *pages) set(lang, page string, keep bool) (*template.Template, error) {
	key := lang + "/" + page
	t, ok := p.sets[key]
	if !ok {
		return nil, fmt.Errorf("render: no page %q", page)
	}
	if !keep {
		return t, nil
	}
	if k, ok := p.kept.Load(key); ok {
		return k.(*template.Template), nil
	}
	parsed, err := parsedTemplates()
	if err != nil {
		return nil, err
	}
	// The parsed set, never executed, clones; two requests may both make
	// it, one is kept.
	if t, err = parsed[page].Clone(); err != nil {
		return nil, fmt.Errorf("template %s: %w", page, err)
	}
	k, _ := p.kept.LoadOrStore(key, t.Funcs(p.funcs(lang, true)))
	return k.(*template.Template), nil
}

// funcs are the templates' functions in lang; with keep, the page is seen
// signed out in a language other than the default (view.LangQuery), and
// langURL and langField keep that language in the links and GET forms.
func (p *pages) funcs(lang string, keep bool) template.FuncMap {
	field := template.HTML("")
	if keep {
		// lang is one of languages: nothing to escape.
		field = template.HTML(`<input type="hidden" name="lang" value="` + lang + `">`)
	}
	return template.FuncMap{
		"t": func(key string) string { return p.translate(lang, key) },
		"tf": func(key string, args ...any) string {
			// A template hands an optional number on as a pointer (with
			// .Verified): the message shows the number.
			for i, a := range args {
				if v := reflect.ValueOf(a); v.Kind() == reflect.Pointer && !v.IsNil() {
					args[i] = v.Elem().Interface()
				}
			}
			return fmt.Sprintf(p.translate(lang, key), args...)
		},
		// trailReader tells whether the actor may open a record's audit trail.
		"trailReader": func(a access.Actor) bool { return a.Is(trail.Readers...) },
		// dict hands a partial template named values: dict "ID" "x" "Bad" true.
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				if k, ok := kv[i].(string); ok {
					m[k] = kv[i+1]
				}
			}
			return m
		},
		// static is a static file's fingerprinted URL: static "app.css".
		"static": p.static.url,
		"name": func(zh, en string) string {
			if lang == "en" && en != "" {
				return en
			}
			return zh
		},
		// langURL joins its arguments into an internal URL and adds the
		// page's lang parameter when the page keeps it (see langURL):
		// href="{{langURL "/catalog/items/" .ID}}".
		"langURL": func(parts ...any) string {
			u := joinURL(parts)
			if !keep {
				return u
			}
			return langURL(u, lang)
		},
		// langField is the hidden lang field of a GET form, or nothing.
		"langField": func() template.HTML { return field },
	}
}

// view is what every page template receives.
type view struct {
	Lang string
	// LangQuery is "?lang=en" on an English page seen signed out, else "":
	// the public navigation's links keep the language in the URL, so the
	// pages they open are the same for everyone who opens them and may be
	// cached. Signed in, the cookie alone chooses (nothing is shared).
	// The templates' langURL and langField keep it in the page's own links
	// and GET forms the same way.
	LangQuery string
	Path      string
	Here      string // path and query, to come back to after switching language
	// SwitchNext is where the language switch returns: signed out, Here in
	// the other language (its lang parameter set); signed in, Here without a
	// lang parameter (the cookie the switch sets chooses).
	SwitchNext string
	Actor      access.Actor
	Nav        []navGroup // the signed-in user's working navigation
	Data       any
	csrf       *lazyCSRF
}

// CSRF returns the token the page's forms echo, made on first use: a page
// without a form makes none, sets no CSRF cookie and may be shared.
func (v view) CSRF() string {
	if v.csrf.token == "" {
		v.csrf.token = v.csrf.h.csrfToken(v.csrf.c)
	}
	return v.csrf.token
}

type lazyCSRF struct {
	h     *Handler
	c     *fiber.Ctx
	token string
}

// language returns the page's language: the URL's lang parameter, else the
// language cookie, else zh-CN.
func language(c *fiber.Ctx) string {
	if l, ok := urlLanguage(c); ok {
		return l
	}
	// The cookie's name depends on whether cookies are Secure (__Host-).
	if l := cmp.Or(c.Cookies("__Host-"+cookieLang), c.Cookies(cookieLang)); l == "en" {
		return "en"
	}
	return languages[0]
}

// urlLanguage returns the language the URL names (?lang=en or ?lang=zh-CN).
func urlLanguage(c *fiber.Ctx) (string, bool) {
	if l := c.Query("lang"); slices.Contains(languages, l) {
		return l, true
	}
	return "", false
}

// joinURL concatenates parts, each formatted as fmt.Print does.
func joinURL(parts []any) string {
	if len(parts) == 1 {
		if s, ok := parts[0].(string); ok {
			return s
		}
	}
	var b strings.Builder
	for _, p := range parts {
		fmt.Fprint(&b, p)
	}
	return b.String()
}

// langURL returns u with its lang parameter set to lang when u is a page of
// this site (a path from the root, not a static file, the API or the
// language switch), its fragment kept; any other u unchanged.
func langURL(u, lang string) string {
	if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") || strings.HasPrefix(u, `/\`) {
		return u
	}
	for _, prefix := range []string{"/static/", "/api/", "/lang/"} {
		if strings.HasPrefix(u, prefix) {
			return u
		}
	}
	uri, fragment, hasFragment := strings.Cut(u, "#")
	uri = withLanguage(uri, lang)
	if hasFragment {
		uri += "#" + fragment
	}
	return uri
}

// withLanguage returns uri (path and query) with its lang parameter set to
// lang, or removed when lang is "", the other parameters kept in their order.
func withLanguage(uri, lang string) string {
	path, query, _ := strings.Cut(uri, "?")
	var kept []string
	for _, p := range strings.Split(query, "&") {
		if p != "" && p != "lang" && !strings.HasPrefix(p, "lang=") {
			kept = append(kept, p)
		}
	}
	if lang != "" {
		kept = append(kept, "lang="+lang)
	}
	if len(kept) == 0 {
		return path
	}
	return path + "?" + strings.Join(kept, "&")
}

func (h *Handler) render(c *fiber.Ctx, status int, page string, data any) error {
	lang := language(c)
	here := string(c.Request().RequestURI())
	other := languages[0]
	if lang == languages[0] {
		other = "en"
	}
	v := view{Lang: lang, Path: c.Path(), Here: here, Actor: request.Actor(c), Data: data, csrf: &lazyCSRF{h: h, c: c}}
	if v.Actor.Authenticated() {
		// Signed in, the cookie alone chooses: the switch returns to the
		// page without a lang parameter that would overrule it.
		v.SwitchNext = withLanguage(here, "")
	} else {
		v.SwitchNext = withLanguage(here, other)
		if lang != languages[0] {
			v.LangQuery = "?lang=" + lang
		}
	}
	if v.Actor.Authenticated() {
		v.Nav = workNav(v.Actor.Role, v.Path, h.navCounts(c))
	}
	// Signed out, the page's links keep its language as the navigation does.
	t, err := h.pages.set(lang, page, v.LangQuery != "")
	if err != nil {
		return err
	}
	// Most pages are 5 to 20 KB: one allocation instead of the buffer's
	// doublings.
	buf := bytes.NewBuffer(make([]byte, 0, 16<<10))
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	// A public page (its route marked it Shareable) stays shareable only when
	// it holds no CSRF token and its language came from the URL, not a
	// cookie; the server then decides on the caching headers. Any other page
	// is stored nowhere.
	urlLang, _ := urlLanguage(c)
	if !request.IsShareable(c) || v.csrf.token != "" || lang != cmp.Or(urlLang, languages[0]) {
		request.Unshareable(c)
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return c.Status(status).Send(buf.Bytes())
}

// navCounts returns the signed-in user's pending worklist items per worklist
// group (work.Service.Counts), for the working navigation's badges. The
// badges are a convenience: when the worklist cannot be read the page is
// still served, without them, and the failure is logged.
func (h *Handler) navCounts(c *fiber.Ctx) map[string]int {
	if h.Work == nil {
		return nil
	}
	counts, err := h.Work.Counts(c.UserContext(), request.Actor(c))
	if err != nil {
		if h.Log != nil {
			h.Log.ErrorContext(c.UserContext(), "worklist counts for the navigation", "request_id", request.ID(c), "error", err.Error())
		}
		return nil
	}
	return counts
}

// RenderError answers a page request with the error page for e.
func (h *Handler) RenderError(c *fiber.Ctx, status int, e *apperr.Error) error {
	msg := "error.internal"
	switch e.Kind {
	case apperr.NotFound:
		msg = "error.not_found"
	case apperr.Forbidden, apperr.Unauthorized:
		msg = "error.forbidden"
	case apperr.TooLarge:
		msg = "error.too_large"
	case apperr.Invalid, apperr.UnsupportedMediaType, apperr.Timeout:
		msg = "error.invalid"
	case apperr.Conflict:
		msg = "error.conflict"
	case apperr.TooManyRequests:
		msg = "error.too_many"
	case apperr.Unavailable:
		msg = "error.unavailable"
	}
	if e == errCSRF {
		msg = "error.csrf"
	}
	return h.render(c, status, "error", fiber.Map{"Message": msg})
}

// lookup returns the message for key, if the catalog holds one.
func (p *pages) lookup(lang, key string) (string, bool) {
	m, ok := p.messages[lang][key]
	return m, ok
}
