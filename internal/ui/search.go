package ui

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/search"
)

// The signed-in users' search page (GET /search?q=), which the layout's
// header form opens: the hits of each kind within the caller's scope, each
// linked to the page the caller's role reads it on.

type searchView struct {
	Q      string
	Alert  formAlert
	Asked  bool // a query was given (and answered)
	Groups []searchGroup
}

type searchGroup struct {
	Kind     string // search.Kinds
	StatusOf string // the message prefix of the hits' states
	Hits     []searchHit
	More     bool
	MoreHref string // the kind's list filtered by the query, when it has a text filter
}

type searchHit struct {
	search.Hit
	Href string // "" when the caller's role has no page for it
}

// handleSearchPage shows the search form and, for a query, the hits grouped
// by kind; a query too short or too long is the form again with its alert.
func (h *Handler) handleSearchPage(c *fiber.Ctx) error {
	v := searchView{Q: strings.Clone(c.Query("q"))}
	if !c.Context().QueryArgs().Has("q") {
		return h.render(c, fiber.StatusOK, "search", v)
	}
	by := request.Actor(c)
	res, err := h.Search.Search(c.UserContext(), by, v.Q)
	if err != nil {
		status, alert, ok := h.formProblem(c, inForm(err, "search."), h.dottedLabel(c))
		if !ok {
			return err
		}
		v.Alert = alert
		return h.render(c, status, "search", v)
	}
	v.Q, v.Asked = res.Query, true
	for _, g := range res.Groups {
		sg := searchGroup{Kind: g.Kind, StatusOf: searchStatusPrefix[g.Kind], More: g.More}
		for _, hit := range g.Hits {
			sg.Hits = append(sg.Hits, searchHit{Hit: hit, Href: searchHref(by, g.Kind, hit)})
		}
		// Only the public catalog among the kinds' lists filters by text.
		if g.More && g.Kind == search.KindItems && !by.Is(access.SubdistrictStaff...) {
			sg.MoreHref = "/catalog?q=" + url.QueryEscape(res.Query)
		}
		v.Groups = append(v.Groups, sg)
	}
	return h.render(c, fiber.StatusOK, "search", v)
}

// searchStatusPrefix names the message catalog's states of each kind.
var searchStatusPrefix = map[string]string{
	search.KindTenders:       "tender_status.",
	search.KindContracts:     "contract_status.",
	search.KindOrganizations: "org_status.",
	search.KindItems:         "item_status.",
}

// searchHref is the page on which by's role reads hit, "" when it has none
// (a draft tender or contract of an administrator, who reads those through
// the API).
func searchHref(by access.Actor, kind string, hit search.Hit) string {
	switch kind {
	case search.KindTenders:
		switch {
		case by.Role == access.ProcurementOfficer && !hit.Public:
			return fmt.Sprintf("/tenders/%d", hit.ID)
		case by.Is(access.OrgStaff...):
			return fmt.Sprintf("/opportunities/%d", hit.ID)
		case by.Role == access.Evaluator:
			return fmt.Sprintf("/reviews/%d", hit.ID)
		case hit.Status != "draft":
			return fmt.Sprintf("/procurement/%d", hit.ID)
		}
	case search.KindContracts:
		switch {
		case by.Is(contractPageRoles...):
			return fmt.Sprintf("/contracts/%d", hit.ID)
		case hit.Status != "draft":
			return fmt.Sprintf("/procurement/contracts/%d", hit.ID)
		}
	case search.KindOrganizations:
		if by.Is(access.OrgStaff...) {
			return "/org"
		}
		return fmt.Sprintf("/organizations/%d", hit.ID)
	case search.KindItems:
		if hit.Public {
			return fmt.Sprintf("/catalog/items/%d", hit.ID)
		}
		return fmt.Sprintf("/items/%d", hit.ID)
	}
	return ""
}
