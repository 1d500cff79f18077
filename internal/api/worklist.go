package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/request"
)

// handleWorklist answers the signed-in user's worklist: what waits (待办) and
// what was done in the last 30 days (已办).
func (h *Handler) handleWorklist(c *fiber.Ctx) error {
	list, err := h.Work.Get(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(list)
}
