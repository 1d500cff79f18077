package ui

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/work"
)

func (h *Handler) handleDashboard(c *fiber.Ctx) error {
	a := request.Actor(c)
	if !a.Authenticated() {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	ctx, lang := c.UserContext(), language(c)
	name := func(zh, en string) string {
		if lang == "en" && en != "" {
			return en
		}
		return zh
	}
	var scope string
	switch a.Role.ScopeKind() {
	case access.ScopeSubdistrict:
		if d, err := h.Places.GetSubdistrict(ctx, a.Scope.SubdistrictID); err == nil {
			scope = name(d.NameZh, d.NameEn)
		}
	case access.ScopeDistrict:
		if d, err := h.Places.GetDistrict(ctx, a.Scope.DistrictID); err == nil {
			scope = name(d.NameZh, d.NameEn)
		}
	case access.ScopeOrganization:
		if o, err := h.Orgs.Get(ctx, a, a.Scope.OrganizationID); err == nil {
			scope = o.LegalName
		}
	}
	list, err := h.Work.Get(ctx, a)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "dashboard", fiber.Map{"ScopeName": scope,
		"Todo": todoRows(list.Todo, lang, h.clock.Now()), "Done": doneRows(list.Done, lang)})
}

// todoRow is one line of the dashboard's 待办 list.
type todoRow struct {
	Kind, Title, Due, Link string
	RecordID               int64
	Overdue                bool
}

func todoRows(items []work.Item, lang string, now time.Time) []todoRow {
	out := make([]todoRow, 0, len(items))
	for _, it := range items {
		out = append(out, todoRow{Kind: it.Kind, Title: pick(lang, it.TitleZh, it.TitleEn), Due: showTime(it.Due),
			Link: it.Link, RecordID: it.RecordID, Overdue: it.Due != nil && it.Due.Before(now)})
	}
	return out
}

// doneRow is one line of the dashboard's 已办 list.
type doneRow struct {
	Action, Title, Record, At, Link string
}

func doneRows(items []work.Done, lang string) []doneRow {
	out := make([]doneRow, 0, len(items))
	for _, d := range items {
		at := d.At
		out = append(out, doneRow{Action: d.Action, Title: pick(lang, d.TitleZh, d.TitleEn), Record: d.EntityType + " " + d.EntityID,
			At: showTime(&at), Link: d.Link})
	}
	return out
}

func (h *Handler) handleCommunitiesPage(c *fiber.Ctx) error {
	list, err := h.Places.ListCommunities(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "communities", fiber.Map{"Items": list})
}

func (h *Handler) handleOrganizationsPage(c *fiber.Ctx) error {
	list, err := h.Orgs.List(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "organizations", fiber.Map{"Items": list})
}

func (h *Handler) handleUsersPage(c *fiber.Ctx) error {
	list, err := h.Auth.ListUsers(c.UserContext())
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "users", fiber.Map{"Items": list})
}
