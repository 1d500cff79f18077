package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/trail"
)

// handleAuditTrail answers the audit trail of the record ?type=&id= in the
// caller's scope.
func (h *Handler) handleAuditTrail(c *fiber.Ctx) error {
	typ := c.Query("type")
	if !trail.KnownType(typ) {
		return trail.ErrUnknownType
	}
	id, err := trail.ParseID(c.Query("id"))
	if err != nil {
		return err
	}
	t, err := h.Trails.Trail(c.UserContext(), request.Actor(c), typ, id)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

// handleAuditHeads answers the whole published list of the audit chain's
// heads, oldest first: the file `jiedao audit verify --against` reads.
func (h *Handler) handleAuditHeads(c *fiber.Ctx) error {
	heads, err := h.Trails.Heads(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(heads)
}
