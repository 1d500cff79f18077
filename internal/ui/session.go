package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/request"
)

const (
	cookieAccess  = "jd_access"
	cookieRefresh = "jd_refresh"
	cookieCSRF    = "jd_csrf"
	cookieLang    = "jd_lang"
)

// csrfToken returns the token forms must echo: an HMAC of the browser's random
// CSRF cookie (set here when missing), so a token from another browser fails.
func (h *Handler) csrfToken(c *fiber.Ctx) string {
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
			h.setCookie(c, cookieCSRF, nonce, 0)
		}
	}
	return h.csrfFor(nonce)
}

func (h *Handler) csrfFor(nonce string) string {
	m := hmac.New(sha256.New, h.pages.csrfKey)
	m.Write([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF refuses a form post whose token does not match the CSRF cookie.
func (h *Handler) checkCSRF(c *fiber.Ctx) error {
	nonce := c.Cookies(cookieCSRF)
	got := c.FormValue("csrf_token")
	if nonce == "" || got == "" || !hmac.Equal([]byte(got), []byte(h.csrfFor(nonce))) {
		return errCSRF
	}
	if badFormText(c) {
		return errFormText
	}
	return c.Next()
}

// errCSRF refuses a form posted without the token of this browser's session.
var errCSRF = apperr.New(apperr.Forbidden, "csrf", "the form has expired; reload the page and try again")

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
func (h *Handler) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	c.Cookie(&fiber.Cookie{Name: name, Value: value, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: h.pages.secure, MaxAge: int(maxAge.Seconds())})
}

func (h *Handler) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: h.pages.secure, MaxAge: -1, Expires: time.Unix(1, 0)})
}

func (h *Handler) setTokenCookies(c *fiber.Ctx, t auth.Tokens) {
	h.setCookie(c, cookieAccess, t.AccessToken, h.cfg.Auth.AccessTTL)
	h.setCookie(c, cookieRefresh, t.RefreshToken, h.cfg.Auth.RefreshTTL)
}

// webSession authenticates page requests from the token cookies, rotating the
// refresh token when the access token has expired.
func (h *Handler) webSession(c *fiber.Ctx) error {
	a := access.Anonymous(request.ID(c), request.ClientIP(c))
	ctx, cl := c.UserContext(), request.Client(c)
	if tok := c.Cookies(cookieAccess); tok != "" {
		if got, err := h.Auth.Authenticate(ctx, tok, cl); err == nil {
			a = got
		}
	}
	if !a.Authenticated() {
		if rt := c.Cookies(cookieRefresh); rt != "" {
			tokens, err := h.Auth.Refresh(ctx, rt, cl)
			if errors.Is(err, auth.ErrRefreshRaced) && c.Method() == fiber.MethodGet {
				// Another tab refreshed a moment ago and holds the new cookies:
				// ask the browser to load the page again with them.
				return c.Redirect(safeNext(string(c.Request().RequestURI())), fiber.StatusSeeOther)
			}
			if err == nil {
				if got, err := h.Auth.Authenticate(ctx, tokens.AccessToken, cl); err == nil {
					a = got
					h.setTokenCookies(c, tokens)
				}
			}
			if !a.Authenticated() && !errors.Is(err, auth.ErrRefreshRaced) {
				h.clearCookie(c, cookieAccess)
				h.clearCookie(c, cookieRefresh)
			}
		}
	}
	request.SetActor(c, a)
	return c.Next()
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

func (h *Handler) handleLanguage(c *fiber.Ctx) error {
	lang := c.Params("code")
	if lang != "en" && lang != "zh-CN" {
		return request.ErrRouteNotFound
	}
	h.setCookie(c, cookieLang, lang, 365*24*time.Hour)
	return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
}

type loginView struct {
	Username string
	Error    string
}

func (h *Handler) handleLoginPage(c *fiber.Ctx) error {
	if request.Actor(c).Authenticated() {
		return c.Redirect("/dashboard", fiber.StatusSeeOther)
	}
	return h.render(c, fiber.StatusOK, "login", loginView{})
}

func (h *Handler) handleLoginSubmit(c *fiber.Ctx) error {
	username := strings.Clone(c.FormValue("username"))
	tokens, err := h.Auth.Login(c.UserContext(), username, c.FormValue("password"), request.Client(c))
	if err != nil {
		e := request.AppErr(err)
		switch e.Kind {
		case apperr.Unauthorized:
			return h.render(c, fiber.StatusUnauthorized, "login", loginView{Username: username, Error: "login.failed"})
		case apperr.TooManyRequests:
			c.Set(fiber.HeaderRetryAfter, fmt.Sprint(e.RetryAfter))
			return h.render(c, fiber.StatusTooManyRequests, "login", loginView{Username: username, Error: "login.throttled"})
		}
		return err
	}
	h.setTokenCookies(c, tokens)
	return c.Redirect("/dashboard", fiber.StatusSeeOther)
}

func (h *Handler) handleLogoutSubmit(c *fiber.Ctx) error {
	if a := request.Actor(c); a.Authenticated() {
		if err := h.Auth.Logout(c.UserContext(), a); err != nil {
			return err
		}
	}
	h.clearCookie(c, cookieAccess)
	h.clearCookie(c, cookieRefresh)
	return c.Redirect("/login", fiber.StatusSeeOther)
}
