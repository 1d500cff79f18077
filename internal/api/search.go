package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/request"
)

// handleSearch answers the hits of ?q= within the caller's scope, grouped by
// kind; a query too short or too long is 400.
func (h *Handler) handleSearch(c *fiber.Ctx) error {
	res, err := h.Search.Search(c.UserContext(), request.Actor(c), strings.Clone(c.Query("q")))
	if err != nil {
		return err
	}
	return c.JSON(res)
}
