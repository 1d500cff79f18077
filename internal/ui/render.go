package ui

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"reflect"
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

// pages renders the server-side HTML: one parsed template set per page and language.
type pages struct {
	sets     map[string]*template.Template // key: lang + "/" + page
	messages map[string]map[string]string
	csrfKey  []byte
	secure   bool
}

func newPages(cfg config.Config) (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}, messages: map[string]map[string]string{},
		csrfKey: cfg.Auth.CSRFSecret, secure: cfg.HTTP.Secure()}
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
			p.sets[lang+"/"+page] = t.Funcs(p.funcs(lang))
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
	placeholders := (&pages{}).funcs(languages[0])
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

func (p *pages) funcs(lang string) template.FuncMap {
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
	Nav   []navGroup // the signed-in user's working navigation
	Data  any
}

func language(c *fiber.Ctx) string {
	// The cookie's name depends on whether cookies are Secure (__Host-).
	if l := cmp.Or(c.Cookies("__Host-"+cookieLang), c.Cookies(cookieLang)); l == "en" {
		return "en"
	}
	return languages[0]
}

func (h *Handler) render(c *fiber.Ctx, status int, page string, data any) error {
	lang := language(c)
	t, ok := h.pages.sets[lang+"/"+page]
	if !ok {
		return fmt.Errorf("render: no page %q", page)
	}
	v := view{Lang: lang, Path: c.Path(), Here: string(c.Request().RequestURI()), Actor: request.Actor(c), CSRF: h.csrfToken(c), Data: data}
	if v.Actor.Authenticated() {
		v.Nav = workNav(v.Actor.Role, v.Path, h.navCounts(c))
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
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
