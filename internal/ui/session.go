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

// The site's cookies, by their plain names; cookie adds the __Host- prefix
// when cookies are Secure (the prefix requires it).
const (
	cookieAccess  = "jd_access"
	cookieRefresh = "jd_refresh"
	cookieCSRF    = "jd_csrf"
	cookieLang    = "jd_lang"
)

// cookie is the name the browser holds the cookie name under: __Host- names
// (Secure, Path=/, no Domain) when the site is served over HTTPS.
func (h *Handler) cookie(name string) string {
	if h.pages.secure {
		return "__Host-" + name
	}
	return name
}

// csrfToken returns the token the page's forms must echo. A signed-in user's
// is bound to the login session (an HMAC of the session id); an anonymous
// visitor's to the browser's random CSRF cookie, set here when missing and
// replaced at every sign-in and sign-out. A token from another browser, from
// before signing in or from another session is refused (checkCSRF).
func (h *Handler) csrfToken(c *fiber.Ctx) string {
	if a := request.Actor(c); a.Authenticated() {
		return h.csrfFor("session:" + a.SessionID)
	}
	nonce := c.Cookies(h.cookie(cookieCSRF))
	if v, ok := c.Locals(cookieCSRF).(string); ok {
		nonce = v // set during this request
	}
	if nonce == "" {
		nonce = h.newCSRFNonce(c)
	}
	return h.csrfFor("nonce:" + nonce)
}

// newCSRFNonce gives the browser a fresh random CSRF cookie.
func (h *Handler) newCSRFNonce(c *fiber.Ctx) string {
	nonce := rand.Text()
	c.Locals(cookieCSRF, nonce)
	h.setCookie(c, cookieCSRF, nonce, 0)
	return nonce
}

func (h *Handler) csrfFor(binding string) string {
	m := hmac.New(sha256.New, h.pages.csrfKey)
	m.Write([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF refuses a form post whose token is not the one csrfToken gives
// this request's session (or, signed out, this browser's CSRF cookie).
func (h *Handler) checkCSRF(c *fiber.Ctx) error {
	got := c.FormValue("csrf_token")
	var want string
	if a := request.Actor(c); a.Authenticated() {
		want = h.csrfFor("session:" + a.SessionID)
	} else if nonce := c.Cookies(h.cookie(cookieCSRF)); nonce != "" {
		want = h.csrfFor("nonce:" + nonce)
	}
	if want == "" || got == "" || !hmac.Equal([]byte(got), []byte(want)) {
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

// setCookie sets an HttpOnly, SameSite=Lax cookie on the whole site (Secure
// and __Host- over HTTPS); maxAge 0 means a session cookie.
func (h *Handler) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	c.Cookie(&fiber.Cookie{Name: h.cookie(name), Value: value, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: h.pages.secure, MaxAge: int(maxAge.Seconds())})
}

func (h *Handler) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: h.cookie(name), Value: "", Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
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
	if tok := c.Cookies(h.cookie(cookieAccess)); tok != "" {
		if got, err := h.Auth.Authenticate(ctx, tok, cl); err == nil {
			a = got
		}
	}
	if !a.Authenticated() {
		if rt := c.Cookies(h.cookie(cookieRefresh)); rt != "" {
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
	Notice   string // a message key: the password was reset
}

func (h *Handler) handleLoginPage(c *fiber.Ctx) error {
	if request.Actor(c).Authenticated() {
		return c.Redirect("/dashboard", fiber.StatusSeeOther)
	}
	v := loginView{}
	if c.Query("done") == "password_reset" {
		v.Notice = "login.password_reset"
	}
	return h.render(c, fiber.StatusOK, "login", v)
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
	h.startSession(c, tokens)
	return c.Redirect("/dashboard", fiber.StatusSeeOther)
}

// startSession signs the browser in with tokens: the login form's, and a
// sign-up's for the account it has just made.
func (h *Handler) startSession(c *fiber.Ctx, tokens auth.Tokens) {
	h.setTokenCookies(c, tokens)
	h.newCSRFNonce(c) // the signed-out token is spent
}

func (h *Handler) handleLogoutSubmit(c *fiber.Ctx) error {
	if a := request.Actor(c); a.Authenticated() {
		if err := h.Auth.Logout(c.UserContext(), a); err != nil {
			return err
		}
	}
	h.clearCookie(c, cookieAccess)
	h.clearCookie(c, cookieRefresh)
	h.newCSRFNonce(c) // the next visitor of this browser starts afresh
	return c.Redirect("/login", fiber.StatusSeeOther)
}
