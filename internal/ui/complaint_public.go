package ui

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/request"
)

// The public complaint pages: a resident files a complaint, by a rating code
// or by naming the provider and the community, and follows the case by its
// reference without signing in.

// complaintForm is a complaint as typed.
type complaintForm struct {
	RatingCode, Organization, Community, Description, Contact string
}

type complaintNewView struct {
	Form          complaintForm
	Alert         formAlert
	Organizations []org.CapableName
	Communities   []place.Community
	MaxText       int
}

func (h *Handler) renderComplaintNew(c *fiber.Ctx, status int, f complaintForm, alert formAlert) error {
	ctx := c.UserContext()
	orgs, err := h.Orgs.CapableNames(ctx, 0, "")
	if err != nil {
		return err
	}
	comms, err := h.Places.PublicCommunities(ctx)
	if err != nil {
		return err
	}
	return h.render(c, status, "complaint_new", complaintNewView{Form: f, Alert: alert, Organizations: orgs, Communities: comms,
		MaxText: complaint.MaxText})
}

// handleComplaintNewPage is the complaint form, its rating code filled in
// from ?code=.
func (h *Handler) handleComplaintNewPage(c *fiber.Ctx) error {
	return h.renderComplaintNew(c, fiber.StatusOK, complaintForm{RatingCode: strings.TrimSpace(c.Query("code"))}, formAlert{})
}

// handleComplaintSubmit files the complaint and sends the complainant to
// the case's page, which shows its reference.
func (h *Handler) handleComplaintSubmit(c *fiber.Ctx) error {
	form := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	f := complaintForm{RatingCode: form("rating_code"), Organization: form("organization_id"), Community: form("community_id"),
		Description: form("description"), Contact: form("contact")}
	in := complaint.Input{RatingCode: f.RatingCode, Description: f.Description, Contact: f.Contact}
	if f.RatingCode == "" { // a code names both; the selects stay behind it
		in.OrganizationID, _ = strconv.ParseInt(f.Organization, 10, 64) // 0 when absent, which the service names
		in.CommunityID, _ = strconv.ParseInt(f.Community, 10, 64)
	}
	r, err := h.Complaints.File(c.UserContext(), request.Actor(c), in)
	if errors.Is(err, rating.ErrThrottled) { // wrong codes count with the rating page's
		return h.renderComplaintNew(c, fiber.StatusTooManyRequests, f, formAlert{Message: h.pages.translate(language(c), "rate.throttled")})
	}
	if err != nil {
		status, alert, ok := h.formProblem(c, inForm(err, "complaint."), h.dottedLabel(c))
		if !ok {
			return err
		}
		return h.renderComplaintNew(c, status, f, alert)
	}
	return c.Redirect("/complaints/track?filed=1&reference="+url.QueryEscape(r.Reference), fiber.StatusSeeOther)
}

type complaintTrackView struct {
	Reference string
	Filed     bool
	Found     bool
	Alert     formAlert
	Case      complaint.Public
	Received, FirstResponseDue, DecisionDue,
	Assigned, Responded, Decided string
}

// handleComplaintTrackPage looks a complaint up by its reference: its state,
// dates and time limits, the organization's response and the decision, the
// contact only masked. An unknown reference is 404 with the form again.
func (h *Handler) handleComplaintTrackPage(c *fiber.Ctx) error {
	v := complaintTrackView{Reference: strings.TrimSpace(c.Query("reference")), Filed: c.Query("filed") != ""}
	if v.Reference == "" {
		return h.render(c, fiber.StatusOK, "complaint_track", v)
	}
	p, err := h.Complaints.Follow(c.UserContext(), v.Reference)
	if errors.Is(err, apperr.ErrNotFound) {
		lang := language(c)
		v.Alert = h.fieldAlert(c, "track-reference", h.pages.translate(lang, "complaint.reference"), "fielderr.complaint.reference")
		return h.render(c, fiber.StatusNotFound, "complaint_track", v)
	}
	if err != nil {
		return err
	}
	v.Found, v.Case = true, p
	v.Received, v.FirstResponseDue, v.DecisionDue = showTime(&p.ReceivedAt), showTime(&p.FirstResponseDue), showTime(&p.DecisionDue)
	v.Assigned, v.Responded, v.Decided = showTime(p.AssignedAt), showTime(p.RespondedAt), showTime(p.DecidedAt)
	return h.render(c, fiber.StatusOK, "complaint_track", v)
}
