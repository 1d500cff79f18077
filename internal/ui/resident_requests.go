package ui

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

// The residents' service requests (菜单式服务): the resident's community menu
// with a request form for each service and one for a need no contract
// covers (私人定制); the hotline form on which a procurement officer enters a
// caller's request for a community of its subdistrict; and the list of
// requests for the resident (its own), the officer (its subdistrict's, with
// the callers' contacts) and the district admin (its district's, read only).
// The organization answers them on /org/requests (staff_org.go).

// requestReaders open the list of requests: servicerequest.Readers but the
// organization's staff, who have /org/requests.
var requestReaders = []access.Role{access.Resident, access.ProcurementOfficer, access.DistrictAdmin}

// requestForm is a request as typed, on the menu or the hotline form.
type requestForm struct {
	Community, Contract, Category, Note, Preferred, ContactName, ContactPhone string
}

func readRequestForm(c *fiber.Ctx) requestForm {
	return requestForm{Community: posted(c, "community_id"), Contract: posted(c, "contract_id"), Category: posted(c, "category_code"),
		Note: posted(c, "note"), Preferred: posted(c, "preferred_at"), ContactName: posted(c, "contact_name"),
		ContactPhone: posted(c, "contact_phone")}
}

// input is f as the service takes it; a time that does not parse is an
// apperr.Invalid naming preferred_at, before the service is asked.
func (f requestForm) input() (servicerequest.Input, error) {
	in := servicerequest.Input{CommunityID: formID(f.Community), ContractID: formID(f.Contract), CategoryCode: f.Category,
		Note: f.Note, ContactName: f.ContactName, ContactPhone: f.ContactPhone}
	at, ok := localTime(f.Preferred)
	if !ok {
		return in, apperr.InvalidField("preferred_at", "must be a date and time")
	}
	in.PreferredAt = at
	return in, nil
}

// formID reads an id a form posts: 0 when absent, -1 when it is not one (no
// record has it, and the service refuses it naming the field).
func formID(s string) int64 {
	if s == "" {
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return -1
	}
	return id
}

type servicesView struct {
	Menu        servicerequest.Menu
	NoCommunity bool // the account is bound to no community: no menu, no request
	Categories  []catalog.Category
	ByCode      map[string]catalog.Category
	Alert       rowAlert // the refused form's: its contract, or 0 for another need
	Typed       requestForm
	Done        string
	MaxNote     int
}

// renderServices shows the resident's community menu, with alert about the
// form that was refused (typed as it was).
func (h *Handler) renderServices(c *fiber.Ctx, status int, alert rowAlert, typed requestForm) error {
	ctx := c.UserContext()
	m, err := h.ServiceRequests.ResidentMenu(ctx, request.Actor(c))
	v := servicesView{Menu: m, Alert: alert, Typed: typed, MaxNote: servicerequest.MaxNote}
	switch {
	case errors.Is(err, servicerequest.ErrNoCommunity):
		v.NoCommunity = true
	case err != nil:
		return err
	}
	if v.Categories, v.ByCode, err = h.categories(ctx); err != nil {
		return err
	}
	if alert.Alert.Message != "" {
		// The alert names the form by its service rather than its number.
		v.Alert.Alert.Context = h.pages.translate(language(c), "services.other_title")
		for _, it := range m.Items {
			if it.ContractID == alert.For {
				v.Alert.Alert.Context = it.Title
			}
		}
	}
	if status == fiber.StatusOK {
		v.Done = doneOf(c, "registered")
	}
	return h.render(c, status, "services", v)
}

func (h *Handler) handleServicesPage(c *fiber.Ctx) error {
	return h.renderServices(c, fiber.StatusOK, rowAlert{}, requestForm{})
}

type hotlineView struct {
	Communities []place.Community // the officer's subdistrict's
	Community   int64             // the chosen one, 0 before the choice
	Items       []servicerequest.MenuItem
	Categories  []catalog.Category
	ByCode      map[string]catalog.Category
	Form        requestForm
	Alert       formAlert
	MaxNote     int
	MaxName     int
}

// renderHotline shows the hotline form: the officer's communities and, once
// one of them is chosen (f.Community), its menu and the request's fields.
func (h *Handler) renderHotline(c *fiber.Ctx, status int, f requestForm, alert formAlert) error {
	ctx := c.UserContext()
	comms, err := h.Places.ListCommunities(ctx, request.Actor(c))
	if err != nil {
		return err
	}
	v := hotlineView{Communities: comms, Form: f, Alert: alert, MaxNote: servicerequest.MaxNote, MaxName: servicerequest.MaxContactName}
	if id := formID(f.Community); slices.ContainsFunc(comms, func(cm place.Community) bool { return cm.ID == id }) {
		m, err := h.ServiceRequests.Menu(ctx, id)
		if err != nil {
			return err
		}
		v.Community, v.Items = id, m.Items
	}
	if v.Categories, v.ByCode, err = h.categories(ctx); err != nil {
		return err
	}
	return h.render(c, status, "request_new", v)
}

// handleHotlinePage is the hotline form; ?community= chooses the community
// whose menu it offers. Another subdistrict's community is not found; what
// is not a community's number gets the form again with the alert.
func (h *Handler) handleHotlinePage(c *fiber.Ctx) error {
	f := requestForm{Community: strings.TrimSpace(c.Query("community"))}
	if id := formID(f.Community); id < 0 {
		lang := language(c)
		return h.renderHotline(c, fiber.StatusBadRequest, f, h.fieldAlert(c, "request-community_id",
			h.pages.translate(lang, "request.community_id"), "fielderr.request.community_id"))
	} else if id > 0 {
		if _, err := h.Places.GetCommunity(c.UserContext(), request.Actor(c), id); err != nil {
			return err
		}
	}
	return h.renderHotline(c, fiber.StatusOK, f, formAlert{})
}

// handleRequestSubmit records a request: a resident's from its menu (the
// community is its own), an officer's from the hotline form. A refused one
// gets the page it came from again, with the alert and what was typed.
func (h *Handler) handleRequestSubmit(c *fiber.Ctx) error {
	a := request.Actor(c)
	f := readRequestForm(c)
	in, err := f.input()
	if err == nil {
		var v servicerequest.View
		if v, err = h.ServiceRequests.Create(c.UserContext(), a, in); err == nil {
			return c.Redirect(fmt.Sprintf("/requests?done=created#row-%d", v.ID), fiber.StatusSeeOther)
		}
	}
	if a.Role == access.Resident {
		status, alert, ok := h.rowProblem(c, err, "request", max(formID(f.Contract), 0))
		if !ok {
			return err
		}
		return h.renderServices(c, status, alert, f)
	}
	status, alert, ok := h.formProblem(c, inForm(err, "request."), h.dottedLabel(c))
	if !ok {
		return err
	}
	return h.renderHotline(c, status, f, alert)
}

// requestListRow is a request as its reader's list shows it, named from
// public records: the contract's title and provider, the community and the
// category.
type requestListRow struct {
	servicerequest.View
	Service, Provider, Community, Category                         string
	Requested, Preferred, Accepted, Scheduled, Declined, Fulfilled string
	Contact, Reason                                                string
}

// requestsPerPage is how many requests the list shows at once.
const requestsPerPage = 50

type requestListView struct {
	Rows              []requestListRow
	Total             int64
	Status            string
	States            []string
	Done              string
	Prev, Next        string // the links to the pages around this one
	Officer, Resident bool
}

// handleRequestsPage lists the requests the reader may see, latest first,
// by state. An unknown state lists them all.
func (h *Handler) handleRequestsPage(c *fiber.Ctx) error {
	a := request.Actor(c)
	st := c.Query("status")
	if !slices.Contains(servicerequest.States, st) {
		st = ""
	}
	page, err := strconv.Atoi(c.Query("page", "1"))
	if err != nil || page < 1 || page > 100000 {
		page = 1
	}
	p, err := h.ServiceRequests.List(c.UserContext(), a, servicerequest.Filter{Status: st, Page: page, PerPage: requestsPerPage})
	if err != nil {
		return err
	}
	rows, err := h.requestListRows(c, p.Items)
	if err != nil {
		return err
	}
	v := requestListView{Rows: rows, Total: p.Total, Status: st, States: servicerequest.States, Done: doneOf(c, "created"),
		Officer: a.Role == access.ProcurementOfficer, Resident: a.Role == access.Resident}
	link := func(n int) string { return fmt.Sprintf("/requests?status=%s&page=%d", st, n) }
	if page > 1 {
		v.Prev = link(page - 1)
	}
	if int64(page*requestsPerPage) < p.Total {
		v.Next = link(page + 1)
	}
	return h.render(c, fiber.StatusOK, "requests", v)
}

// requestListRows names the requests' contracts, providers, communities and
// categories, in the page's language.
func (h *Handler) requestListRows(c *fiber.Ctx, items []servicerequest.View) ([]requestListRow, error) {
	ctx, lang := c.UserContext(), language(c)
	comms, err := h.Places.PublicCommunities(ctx)
	if err != nil {
		return nil, err
	}
	community := make(map[int64]string, len(comms))
	for _, cm := range comms {
		community[cm.ID] = pick(lang, cm.NameZh, cm.NameEn)
	}
	_, cats, err := h.categories(ctx)
	if err != nil {
		return nil, err
	}
	contracts := map[int64]contract.PublicSummary{}
	var out []requestListRow
	for _, it := range items {
		r := requestListRow{View: it, Community: community[it.CommunityID], Requested: showTime(&it.RequestedAt),
			Preferred: showTime(it.PreferredAt), Accepted: showTime(it.AcceptedAt), Scheduled: showTime(it.ScheduledAt),
			Declined: showTime(it.DeclinedAt), Fulfilled: showTime(it.FulfilledAt)}
		if it.CategoryCode != nil {
			r.Category = *it.CategoryCode
			if cat, ok := cats[*it.CategoryCode]; ok {
				r.Category = pick(lang, cat.NameZh, cat.NameEn)
			}
		}
		if it.ContractID != nil {
			s, ok := contracts[*it.ContractID]
			if !ok {
				if s, err = h.Contracts.Public(ctx, *it.ContractID); err != nil {
					return nil, err
				}
				contracts[*it.ContractID] = s
			}
			r.Service, r.Provider = s.Title, s.OrganizationName
		}
		if it.DeclineReason != nil {
			r.Reason = *it.DeclineReason
		}
		if it.ContactName != nil && it.ContactPhone != nil && (*it.ContactName != "" || *it.ContactPhone != "") {
			r.Contact = strings.TrimSpace(*it.ContactName + " " + *it.ContactPhone)
		}
		out = append(out, r)
	}
	return out, nil
}
