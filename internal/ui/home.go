package ui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/request"
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
	return h.render(c, fiber.StatusOK, "dashboard", fiber.Map{"ScopeName": scope})
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
