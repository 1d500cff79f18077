package ui

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

// The organization's pages of residents' signals: its ratings with the reply
// form, the complaints forwarded to it with the response form, and the
// service requests on its contracts with the accept, decline and fulfil
// forms. No page names the record or beneficiary a rating came from.

// ratingRow is a rating as the staff pages list it.
type ratingRow struct {
	rating.View
	Comment string
	Reply   string
}

func ratingRowOf(v rating.View) ratingRow {
	r := ratingRow{View: v}
	if v.Comment != nil {
		r.Comment = *v.Comment
	}
	if v.Reply != nil {
		r.Reply = *v.Reply
	}
	return r
}

type orgRatingsView struct {
	Ratings rating.ProviderRatings
	Rows    []ratingRow
	Alert   rowAlert
	Typed   string // the refused reply, as typed
	Done    string
}

func (h *Handler) renderOrgRatings(c *fiber.Ctx, status int, alert rowAlert, typed string) error {
	a := request.Actor(c)
	p, err := h.Ratings.Provider(c.UserContext(), a.Scope.OrganizationID)
	if err != nil {
		return err
	}
	v := orgRatingsView{Ratings: p, Alert: alert, Typed: typed}
	for _, r := range p.Ratings {
		v.Rows = append(v.Rows, ratingRowOf(r))
	}
	if status == fiber.StatusOK {
		v.Done = doneOf(c, "replied")
	}
	return h.render(c, status, "org_ratings", v)
}

func (h *Handler) handleOrgRatingsPage(c *fiber.Ctx) error {
	return h.renderOrgRatings(c, fiber.StatusOK, rowAlert{}, "")
}

func (h *Handler) handleRatingReplySubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	text := posted(c, "reply")
	if _, err := h.Ratings.Reply(c.UserContext(), request.Actor(c), id, text); err != nil {
		status, alert, ok := h.rowProblem(c, err, "reply", id)
		if !ok {
			return err
		}
		return h.renderOrgRatings(c, status, alert, text)
	}
	return c.Redirect(fmt.Sprintf("/org/ratings?done=replied#row-%d", id), fiber.StatusSeeOther)
}

// complaintRow is a complaint as the staff pages list it.
type complaintRow struct {
	complaint.View
	Received, ResponseDue, DecisionDue, Responded, Decided string
	Response, Outcome, Reason, Contact                     string
	Contract                                               string // the contract's title, when assigned
}

func complaintRowOf(v complaint.View) complaintRow {
	r := complaintRow{View: v, Received: showTime(&v.ReceivedAt), ResponseDue: showTime(&v.FirstResponseDue),
		DecisionDue: showTime(&v.DecisionDue), Responded: showTime(v.RespondedAt), Decided: showTime(v.DecidedAt)}
	for dst, src := range map[*string]*string{&r.Response: v.Response, &r.Outcome: v.Outcome, &r.Reason: v.DecisionReason, &r.Contact: v.Contact} {
		if src != nil {
			*dst = *src
		}
	}
	return r
}

type orgComplaintsView struct {
	Rows  []complaintRow
	Total int64
	Alert rowAlert
	Typed string
	Done  string
}

// complaintPageSize is how many complaints a staff page lists.
const complaintPageSize = 100

func (h *Handler) renderOrgComplaints(c *fiber.Ctx, status int, alert rowAlert, typed string) error {
	items, total, err := h.Complaints.List(c.UserContext(), request.Actor(c), complaint.Filter{Limit: complaintPageSize})
	if err != nil {
		return err
	}
	v := orgComplaintsView{Total: total, Alert: alert, Typed: typed}
	titles := map[int64]string{}
	for _, it := range items {
		r := complaintRowOf(it)
		if it.ContractID != nil { // the organization's own contract: forwarded complaints name it
			title, ok := titles[*it.ContractID]
			if !ok {
				t, err := h.terms(c, *it.ContractID)
				if err != nil {
					return err
				}
				title, titles[*it.ContractID] = t.Title, t.Title
			}
			r.Contract = title
		}
		v.Rows = append(v.Rows, r)
	}
	if status == fiber.StatusOK {
		v.Done = doneOf(c, "responded")
	}
	return h.render(c, status, "org_complaints", v)
}

func (h *Handler) handleOrgComplaintsPage(c *fiber.Ctx) error {
	return h.renderOrgComplaints(c, fiber.StatusOK, rowAlert{}, "")
}

func (h *Handler) handleComplaintRespondSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	text := posted(c, "response")
	if _, err := h.Complaints.Respond(c.UserContext(), request.Actor(c), id, text); err != nil {
		status, alert, ok := h.rowProblem(c, err, "respond", id)
		if !ok {
			return err
		}
		return h.renderOrgComplaints(c, status, alert, text)
	}
	return c.Redirect(fmt.Sprintf("/org/complaints?done=responded#row-%d", id), fiber.StatusSeeOther)
}

// requestRow is a service request as the staff pages list it.
type requestRow struct {
	servicerequest.View
	Contract, Community, Category                    string
	Requested, Preferred, Accepted, Scheduled, Until string
	Contact, Reason                                  string
	Records                                          []option // the service records that may fulfil it
}

// requestRows names the requests' contracts and communities (and, for the
// organization, offers the records that may fulfil each accepted one).
func (h *Handler) requestRows(c *fiber.Ctx, items []servicerequest.View, records bool) ([]requestRow, error) {
	terms := map[int64]*contractTerms{}
	var out []requestRow
	for _, it := range items {
		r := requestRow{View: it, Requested: showTime(&it.RequestedAt), Preferred: showTime(it.PreferredAt),
			Accepted: showTime(it.AcceptedAt), Scheduled: showTime(it.ScheduledAt), Community: "#" + strconv.FormatInt(it.CommunityID, 10)}
		if it.CategoryCode != nil {
			r.Category = *it.CategoryCode
		}
		if it.DeclineReason != nil {
			r.Reason = *it.DeclineReason
		}
		if it.ContactName != nil && it.ContactPhone != nil {
			r.Contact = *it.ContactName + " " + *it.ContactPhone
		}
		if it.ContractID != nil {
			t, ok := terms[*it.ContractID]
			if !ok {
				got, err := h.terms(c, *it.ContractID)
				if err != nil {
					return nil, err
				}
				t = &got
				terms[*it.ContractID] = t
			}
			r.Contract, r.Community = t.Title, t.communityName(it.CommunityID)
			if records && it.Status == servicerequest.StatusAccepted {
				opts, err := h.fulfilling(c, *t, it)
				if err != nil {
					return nil, err
				}
				r.Records = opts
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// fulfilling lists the contract's records that may fulfil the request: of
// its community, dated on or after the day it was made.
func (h *Handler) fulfilling(c *fiber.Ctx, t contractTerms, it servicerequest.View) ([]option, error) {
	page, err := h.Records.List(c.UserContext(), request.Actor(c), t.ID, delivery.Filter{From: civil.ChinaDate(it.RequestedAt),
		CommunityID: it.CommunityID, PerPage: 100})
	if err != nil {
		return nil, err
	}
	var out []option
	for _, rec := range page.Items {
		label := fmt.Sprintf("%s · %s · %s", rec.ServiceDate, t.typeName(rec.ServiceType), t.communityName(rec.CommunityID))
		if rec.BeneficiaryRef != nil {
			label += " · " + *rec.BeneficiaryRef
		}
		out = append(out, option{Value: strconv.FormatInt(rec.ID, 10), Label: label})
	}
	return out, nil
}

type requestsView struct {
	Rows   []requestRow
	Total  int64
	Status string
	States []string
	Alert  rowAlert
	Typed  map[string]string
	Done   string
	IsOrg  bool
}

func (h *Handler) renderOrgRequests(c *fiber.Ctx, status int, alert rowAlert, typed map[string]string) error {
	st := c.Query("status")
	page, err := h.ServiceRequests.List(c.UserContext(), request.Actor(c), servicerequest.Filter{Status: st, PerPage: 100})
	if err != nil {
		return err
	}
	rows, err := h.requestRows(c, page.Items, true)
	if err != nil {
		return err
	}
	v := requestsView{Rows: rows, Total: page.Total, Status: st, States: servicerequest.States, Alert: alert, Typed: typed, IsOrg: true}
	if status == fiber.StatusOK {
		v.Done = doneOf(c, "accepted", "declined", "fulfilled")
	}
	return h.render(c, status, "org_requests", v)
}

func (h *Handler) handleOrgRequestsPage(c *fiber.Ctx) error {
	return h.renderOrgRequests(c, fiber.StatusOK, rowAlert{}, nil)
}

// requestStep answers a form of a request's row: done on success, else the
// list again with the row's alert.
func (h *Handler) requestStep(c *fiber.Ctx, form, field, done string, step func(id int64) error) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	typed := map[string]string{field: posted(c, field)}
	if err := step(id); err != nil {
		if a := (rowAlertError{}); errors.As(err, &a) {
			return h.renderOrgRequests(c, fiber.StatusBadRequest, a.alert, typed)
		}
		status, alert, ok := h.rowProblem(c, err, form, id)
		if !ok {
			return err
		}
		return h.renderOrgRequests(c, status, alert, typed)
	}
	return c.Redirect(fmt.Sprintf("/org/requests?done=%s#row-%d", done, id), fiber.StatusSeeOther)
}

// rowAlertError carries an alert made before the service was called.
type rowAlertError struct{ alert rowAlert }

func (rowAlertError) Error() string { return "bad form" }

func (h *Handler) handleRequestAcceptSubmit(c *fiber.Ctx) error {
	return h.requestStep(c, "accept", "scheduled_at", "accepted", func(id int64) error {
		at, ok := localTime(posted(c, "scheduled_at"))
		if !ok {
			return rowAlertError{h.rowFieldAlert(c, "accept", "scheduled_at", id)}
		}
		_, err := h.ServiceRequests.Accept(c.UserContext(), request.Actor(c), id, at)
		return err
	})
}

func (h *Handler) handleRequestDeclineSubmit(c *fiber.Ctx) error {
	return h.requestStep(c, "decline", "reason", "declined", func(id int64) error {
		_, err := h.ServiceRequests.Decline(c.UserContext(), request.Actor(c), id, posted(c, "reason"))
		return err
	})
}

func (h *Handler) handleRequestFulfilSubmit(c *fiber.Ctx) error {
	return h.requestStep(c, "fulfil", "service_record_id", "fulfilled", func(id int64) error {
		rec, _ := strconv.ParseInt(posted(c, "service_record_id"), 10, 64) // 0 is refused by the service, naming the field
		_, err := h.ServiceRequests.Fulfil(c.UserContext(), request.Actor(c), id, rec)
		return err
	})
}
