package request

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
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
// signing in (writes, lookups by reference) to perMinute a minute; signed-in
// callers pass. The count is per replica
// (in memory) and per handler returned.
func LimitAnonymous(perMinute int) fiber.Handler {
	return limiter.New(limiter.Config{
		Max:          perMinute,
		Expiration:   time.Minute,
		Next:         func(c *fiber.Ctx) bool { return Actor(c).Authenticated() },
		KeyGenerator: ClientIP,
		LimitReached: func(c *fiber.Ctx) error {
			e := *ErrTooManyWrites
			e.RetryAfter = 60
			return &e
		},
	})
}
