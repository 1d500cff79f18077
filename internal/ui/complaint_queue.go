package ui

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/request"
)

// The officers' complaint queue: the subdistrict's complaints, newest first,
// with their time limits and overdue flags, the complainant's contact (for
// the subdistrict's procurement officers alone), the organization's response
// and the decision. A procurement officer triages a received complaint by
// assigning it to a contract, which forwards it to the organization, and
// decides an open one upheld or not with a reason; a district admin reads
// its district's queue without the forms.

// complaintQueueRoles open the queue: complaint.Readers but the
// organizations' staff, who have /org/complaints.
var complaintQueueRoles = []access.Role{access.ProcurementOfficer, access.DistrictAdmin}

// complaintQueuePageSize is how many complaints a page of the queue lists.
const complaintQueuePageSize = 50

// triageRow is a complaint as the queue lists it.
type triageRow struct {
	complaintRow
	Community, Organization string
	// Contracts are those the complaint may be assigned to; Chosen is the one
	// its form selects (the contract it was filed with, or the one typed).
	Contracts []complaint.ContractOption
	Chosen    int64
}

// queueFilter is the queue's query: a state, overdue or not, a page.
type queueFilter struct {
	Status, Overdue string
	Page            int
}

// query returns the filter's query string for page n.
func (f queueFilter) query(n int) string {
	v := url.Values{}
	if f.Status != "" {
		v.Set("status", f.Status)
	}
	if f.Overdue != "" {
		v.Set("overdue", f.Overdue)
	}
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	if len(v) == 0 {
		return "/complaints"
	}
	return "/complaints?" + v.Encode()
}

type complaintQueueView struct {
	Filter     queueFilter
	States     []string
	Rows       []triageRow
	Total      int64
	Prev, Next string // the neighbouring pages' links, when there are
	Pages      int
	Forms      bool // the caller triages and decides: a procurement officer
	BadFilter  bool // the query was refused: no list
	Alert      rowAlert
	Typed      map[string]string // the refused form's fields, as typed
	Done       string
}

// readQueueFilter reads the queue's query; a bad value is the filter form's
// alert.
func (h *Handler) readQueueFilter(c *fiber.Ctx) (queueFilter, *rowAlert) {
	f := queueFilter{Status: c.Query("status"), Overdue: c.Query("overdue"), Page: 1}
	bad := func(field string) *rowAlert {
		anchor := "triage-" + field
		if field == "page" { // no input: the link leads to the form
			anchor = "triage-filter"
		}
		a := h.fieldAlert(c, anchor, h.pages.translate(language(c), "triage."+field), "fielderr.triage."+field)
		return &rowAlert{Alert: pageAlert{formAlert: a}}
	}
	if f.Status != "" && !slices.Contains(complaint.States, f.Status) {
		return f, bad("status")
	}
	if f.Overdue != "" && f.Overdue != "true" && f.Overdue != "false" {
		return f, bad("overdue")
	}
	if p := c.Query("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 100000 {
			return f, bad("page")
		}
		f.Page = n
	}
	return f, nil
}

func (h *Handler) renderComplaintQueue(c *fiber.Ctx, status int, alert rowAlert, typed map[string]string) error {
	ctx, a := c.UserContext(), request.Actor(c)
	f, bad := h.readQueueFilter(c)
	v := complaintQueueView{Filter: f, States: complaint.States, Forms: a.Is(access.ProcurementOfficer), Alert: alert, Typed: typed}
	if bad != nil {
		// The filter form again, with its alert and without a list.
		v.Alert, v.BadFilter = *bad, true
		return h.render(c, fiber.StatusBadRequest, "complaints", v)
	}
	cf := complaint.Filter{Status: f.Status, Offset: (f.Page - 1) * complaintQueuePageSize, Limit: complaintQueuePageSize}
	if f.Overdue != "" {
		overdue := f.Overdue == "true"
		cf.Overdue = &overdue
	}
	items, total, err := h.Complaints.List(ctx, a, cf)
	if err != nil {
		return err
	}
	rows, err := h.triageRows(c, items)
	if err != nil {
		return err
	}
	if alert.For != 0 {
		for i := range rows {
			if rows[i].ID == alert.For {
				if id, err := strconv.ParseInt(typed["contract_id"], 10, 64); err == nil {
					rows[i].Chosen = id
				}
			}
		}
	}
	v.Rows, v.Total = rows, total
	v.Pages = int((total + complaintQueuePageSize - 1) / complaintQueuePageSize)
	if f.Page > 1 {
		v.Prev = f.query(f.Page - 1)
	}
	if f.Page < v.Pages {
		v.Next = f.query(f.Page + 1)
	}
	if status == fiber.StatusOK {
		v.Done = doneOf(c, "assigned", "decided")
	}
	return h.render(c, status, "complaints", v)
}

// triageRows names the complaints' communities, organizations and contracts,
// through the place, organization and complaint services.
func (h *Handler) triageRows(c *fiber.Ctx, items []complaint.View) ([]triageRow, error) {
	ctx, lang := c.UserContext(), language(c)
	var ids, comms, orgs []int64
	for _, it := range items {
		ids, comms, orgs = append(ids, it.ID), append(comms, it.CommunityID), append(orgs, it.OrganizationID)
	}
	communities, err := h.Places.CommunitiesByID(ctx, comms)
	if err != nil {
		return nil, err
	}
	commName := map[int64]string{}
	for _, m := range communities {
		commName[m.ID] = pick(lang, m.NameZh, m.NameEn)
	}
	orgName, err := h.Orgs.LegalNames(ctx, orgs)
	if err != nil {
		return nil, err
	}
	contracts, err := h.Complaints.Contracts(ctx, request.Actor(c), ids)
	if err != nil {
		return nil, err
	}
	out := make([]triageRow, 0, len(items))
	for _, it := range items {
		r := triageRow{complaintRow: complaintRowOf(it), Community: commName[it.CommunityID], Organization: orgName[it.OrganizationID],
			Contracts: contracts[it.ID]}
		if it.ContractID != nil {
			r.Chosen, r.Contract = *it.ContractID, "#"+strconv.FormatInt(*it.ContractID, 10)
			for _, o := range r.Contracts {
				if o.ID == *it.ContractID {
					r.Contract = o.Title
				}
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func (h *Handler) handleComplaintQueuePage(c *fiber.Ctx) error {
	return h.renderComplaintQueue(c, fiber.StatusOK, rowAlert{}, nil)
}

// complaintStep answers a row's form: back to the queue with done on
// success, else the queue again with the row's alert.
func (h *Handler) complaintStep(c *fiber.Ctx, form, done string, typed map[string]string, step func(id int64) error) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := step(id); err != nil {
		status, alert, ok := h.rowProblem(c, err, form, id)
		if !ok {
			return err
		}
		return h.renderComplaintQueue(c, status, alert, typed)
	}
	return c.Redirect(fmt.Sprintf("/complaints?done=%s#row-%d", done, id), fiber.StatusSeeOther)
}

// handleComplaintAssignSubmit links the complaint to the chosen contract and
// forwards it to the organization.
func (h *Handler) handleComplaintAssignSubmit(c *fiber.Ctx) error {
	typed := map[string]string{"contract_id": posted(c, "contract_id")}
	return h.complaintStep(c, "assign", "assigned", typed, func(id int64) error {
		contractID := int64(0) // none chosen: the service keeps the contract filed with, or names the field
		if s := typed["contract_id"]; s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				n = -1 // no contract has it: the service names the field, after the scope check
			}
			contractID = n
		}
		_, err := h.Complaints.Assign(c.UserContext(), request.Actor(c), id, contractID)
		return err
	})
}

// handleComplaintDecideSubmit closes the complaint upheld or not upheld.
func (h *Handler) handleComplaintDecideSubmit(c *fiber.Ctx) error {
	typed := map[string]string{"outcome": posted(c, "outcome"), "reason": posted(c, "reason")}
	return h.complaintStep(c, "decide", "decided", typed, func(id int64) error {
		_, err := h.Complaints.Decide(c.UserContext(), request.Actor(c), id, typed["outcome"], typed["reason"])
		return err
	})
}
