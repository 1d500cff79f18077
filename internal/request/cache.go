package request

import "github.com/gofiber/fiber/v2"

// Shareable marks the response being made as the same for every anonymous
// visitor: no token, nothing personal, nothing chosen by a cookie. The server
// then gives it an ETag, answers a matching If-None-Match with 304, lets
// browsers and shared caches keep it (Cache-Control: public, max-age) and
// compresses it — but only when the request is anonymous and the response
// sets no cookie; anything else is private, no-store and never compressed
// (server.publicCache).
func Shareable(c *fiber.Ctx) { c.Locals(localShareable, true) }

// IsShareable reports whether the handler marked the response Shareable.
func IsShareable(c *fiber.Ctx) bool {
	v, _ := c.Locals(localShareable).(bool)
	return v
}

// PublicRead is the middleware form of Shareable, for the public API's reads
// whose answer depends on the URL alone.
func PublicRead(c *fiber.Ctx) error {
	Shareable(c)
	return c.Next()
}

const localShareable = "shareable"

// Unshareable withdraws Shareable: the response turned out to carry a token
// or depend on more than the URL.
func Unshareable(c *fiber.Ctx) { c.Locals(localShareable, false) }
