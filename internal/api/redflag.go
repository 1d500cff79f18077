package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/redflag"
)

// handlePublicRedFlags lists the stored red flags, filtered by subdistrict
// and kind, each with its explanation in both languages.
func (h *Handler) handlePublicRedFlags(c *fiber.Ctx) error {
	f, err := redflag.ParseFilter(func(k string) string { return c.Query(k) })
	if err != nil {
		return err
	}
	page, err := h.RedFlags.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}
