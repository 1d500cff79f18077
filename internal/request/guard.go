package request

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/limit"
)

// SignedIn refuses anonymous requests with 401.
func SignedIn(c *fiber.Ctx) error {
	if !Actor(c).Authenticated() {
		return apperr.ErrUnauthorized
	}
	return c.Next()
}

// Allow admits signed-in users holding one of roles; others get 401 or 403.
func Allow(roles ...access.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a := Actor(c)
		if !a.Authenticated() {
			return apperr.ErrUnauthorized
		}
		if !a.Is(roles...) {
			return apperr.ErrForbidden
		}
		return c.Next()
	}
}

// LimitAnonymous limits, per client address, the requests made without
// signing in (kind "write": sign-ups, donations, ratings, complaints;
// "lookup": lookups by reference) to perMinute a minute across every route
// of the kind and every replica: limits counts them in PostgreSQL, one
// statement per anonymous request. Signed-in callers pass uncounted. Past
// the limit it answers 429 with Retry-After, the seconds left in the minute.
func LimitAnonymous(limits *limit.Service, kind string, perMinute int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if Actor(c).Authenticated() {
			return c.Next()
		}
		ok, wait, err := limits.Take(c.UserContext(), kind+":"+ClientIP(c), perMinute, time.Minute)
		if err != nil {
			return err
		}
		if !ok {
			e := *ErrTooManyWrites
			e.RetryAfter = max(1, int(wait/time.Second))
			return &e
		}
		return c.Next()
	}
}
