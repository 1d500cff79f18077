package ui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/trail"
)

// The audit viewer, where subdistrict staff read the audit trail of a record
// of their scope (the record pages link to it), and the public list of the
// audit chain's published heads.

type auditView struct {
	Type, ID string // as asked
	Types    []string
	Alert    formAlert
	Trail    *trail.Trail
	Entries  []auditEntryRow
}

type auditEntryRow struct {
	trail.Entry
	When string
}

// handleAuditPage shows the lookup form and, once a type and an id are
// given, the record's trail; a bad type or id is the form again with its
// alert, a record outside the caller's scope the not-found page.
func (h *Handler) handleAuditPage(c *fiber.Ctx) error {
	v := auditView{Type: c.Query("type"), ID: c.Query("id"), Types: trail.Types}
	if v.Type == "" && v.ID == "" {
		return h.render(c, fiber.StatusOK, "audit", v)
	}
	var bad apperr.Fields
	bad.Check(trail.KnownType(v.Type), "type", "must be one of the record types")
	id, err := trail.ParseID(v.ID)
	bad.Check(err == nil, "id", "must be a positive whole number")
	err = bad.Err()
	if err == nil {
		var t trail.Trail
		if t, err = h.Trails.Trail(c.UserContext(), request.Actor(c), v.Type, id); err == nil {
			v.Trail = &t
			for _, e := range t.Entries {
				v.Entries = append(v.Entries, auditEntryRow{Entry: e, When: e.At.Format("2006-01-02 15:04:05")})
			}
			return h.render(c, fiber.StatusOK, "audit", v)
		}
	}
	status, alert, ok := h.formProblem(c, inForm(err, "audit."), h.dottedLabel(c))
	if !ok {
		return err
	}
	v.Alert = alert
	return h.render(c, status, "audit", v)
}

type auditHeadsView struct {
	Heads []auditHeadRow
}

type auditHeadRow struct {
	audit.Head
	Published string
}

// handleAuditHeadsPage lists the published heads, newest first, with how to
// keep and check them.
func (h *Handler) handleAuditHeadsPage(c *fiber.Ctx) error {
	heads, err := h.Trails.Heads(c.UserContext())
	if err != nil {
		return err
	}
	v := auditHeadsView{}
	for i := len(heads) - 1; i >= 0; i-- {
		v.Heads = append(v.Heads, auditHeadRow{Head: heads[i], Published: showTime(&heads[i].PublishedAt)})
	}
	return h.render(c, fiber.StatusOK, "audit_heads", v)
}
