package ui

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/request"
)

// A contract's ratings page: its readers (access.ContractReaders, each in
// its tenant) see the summaries of each kind, the gap flag and the latest
// ratings with the provider's replies; the subdistrict's procurement
// officer also hides abusive comments, draws follow-up samples (回访) and
// records the residents' answers. Only the officer's follow-up section
// names the records to call; no other part of the page names a record or a
// beneficiary, and hidden comments are never in the service's views.

// contractRatingRoles open a contract's ratings page: the readers the
// rating service admits.
var contractRatingRoles = access.ContractReaders

// contractRatingsPath is the ratings page of a contract.
func contractRatingsPath(contractID int64) string {
	return fmt.Sprintf("/contracts/%d/ratings", contractID)
}

// followUpDefaultSize is the sample the draw form offers (the service takes
// 1 to rating.MaxSample).
const followUpDefaultSize = 10

// followUpRow is a drawn record as the officer calls it.
type followUpRow struct {
	rating.FollowUp
	Community, ServiceType, Drawn string
}

// ratingsTyped is what a refused form of the page held, to show it again.
type ratingsTyped struct {
	Form   string
	ID     int64
	Values map[string]string
}

type contractRatingsView struct {
	C            contractTerms
	Ratings      rating.ContractRatings
	Rows         []ratingRow
	Officer      bool   // may hide, draw and record follow-ups
	Org          bool   // the organization's staff, who reply on /org/ratings
	ContractHref string // the contract's page, for those who may open it
	FollowUps    []followUpRow
	Dimensions   []string
	Values       []string
	MaxComment   int
	MaxSample    int
	Size         string
	Alert        rowAlert
	Typed        ratingsTyped
	Done         string
}

// TypedFor returns what was typed into field of the form of row id, when
// that form was refused.
func (v contractRatingsView) TypedFor(form string, id int64, field string) string {
	if v.Typed.Form != form || v.Typed.ID != id {
		return ""
	}
	return v.Typed.Values[field]
}

// Refused reports whether the alert is about the form of row id (the rows
// of ratings and of follow-ups may share an id).
func (v contractRatingsView) Refused(form string, id int64) bool {
	return v.Typed.Form == form && v.Typed.ID == id
}

func (h *Handler) renderContractRatings(c *fiber.Ctx, status int, id int64, alert rowAlert, typed ratingsTyped) error {
	ctx, a := c.UserContext(), request.Actor(c)
	cr, err := h.Ratings.Contract(ctx, a, id)
	if err != nil {
		return err
	}
	t, err := h.terms(c, id)
	if err != nil {
		return err
	}
	v := contractRatingsView{C: t, Ratings: cr, Officer: a.Is(access.ProcurementOfficer), Org: a.Is(access.OrgStaff...),
		Dimensions: rateDimensions, Values: []string{"1", "2", "3", "4", "5"}, MaxComment: rating.MaxComment, MaxSample: rating.MaxSample,
		Size: strconv.Itoa(followUpDefaultSize), Alert: alert, Typed: typed}
	if a.Is(contractPageRoles...) {
		v.ContractHref = fmt.Sprintf("/contracts/%d", id)
	}
	if typed.Form == "draw" {
		v.Size = typed.Values["size"]
	}
	for _, r := range cr.Ratings {
		v.Rows = append(v.Rows, ratingRowOf(r))
	}
	if v.Officer {
		fus, err := h.Ratings.FollowUps(ctx, a, id)
		if err != nil {
			return err
		}
		for _, f := range fus {
			v.FollowUps = append(v.FollowUps, followUpRow{FollowUp: f, Community: t.communityName(f.CommunityID),
				ServiceType: t.typeName(f.ServiceType), Drawn: showTime(&f.DrawnAt)})
		}
	}
	if status == fiber.StatusOK {
		v.Done = doneOf(c, "hidden", "drawn", "recorded")
	}
	return h.render(c, status, "contract_ratings", v)
}

func (h *Handler) handleContractRatingsPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderContractRatings(c, fiber.StatusOK, id, rowAlert{}, ratingsTyped{})
}

// ratingsRefused shows the page again with the alert of the refused form
// of row id (at anchor on the page, under context when not ""), or passes on
// errors the page does not show: another tenant's record is the not-found
// page.
func (h *Handler) ratingsRefused(c *fiber.Ctx, contractID int64, err error, typed ratingsTyped, anchor, context string) error {
	status, alert, ok := h.rowProblem(c, err, typed.Form, typed.ID)
	if !ok {
		return err
	}
	alert.Alert.Href = anchor
	if context != "" {
		alert.Alert.Context = context
	}
	return h.renderContractRatings(c, status, contractID, alert, typed)
}

// handleRatingHideSubmit hides a rating's comment, with a reason, for the
// contract's subdistrict's procurement officer.
func (h *Handler) handleRatingHideSubmit(c *fiber.Ctx) error {
	ids, err := request.ParamIDs(c, "id", "rid")
	if err != nil {
		return err
	}
	contractID, ratingID := ids[0], ids[1]
	reason := posted(c, "reason")
	if _, err := h.Ratings.HideOnContract(c.UserContext(), request.Actor(c), contractID, ratingID, reason); err != nil {
		typed := ratingsTyped{Form: "hide", ID: ratingID, Values: map[string]string{"reason": reason}}
		return h.ratingsRefused(c, contractID, err, typed, fmt.Sprintf("#row-%d", ratingID), "")
	}
	return c.Redirect(fmt.Sprintf("%s?done=hidden#row-%d", contractRatingsPath(contractID), ratingID), fiber.StatusSeeOther)
}

// handleFollowUpDrawSubmit draws a sample of the contract's records to call;
// an empty size takes followUpDefaultSize.
func (h *Handler) handleFollowUpDrawSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	typedSize := posted(c, "size")
	size := followUpDefaultSize
	if typedSize != "" {
		size, _ = strconv.Atoi(typedSize) // what does not parse goes as 0, which the service names
	}
	if _, err := h.Ratings.DrawFollowUps(c.UserContext(), request.Actor(c), id, size); err != nil {
		typed := ratingsTyped{Form: "draw", ID: id, Values: map[string]string{"size": typedSize}}
		return h.ratingsRefused(c, id, err, typed, "#follow-ups", h.pages.translate(language(c), "contract_ratings.follow_ups_heading"))
	}
	return c.Redirect(contractRatingsPath(id)+"?done=drawn#follow-ups", fiber.StatusSeeOther)
}

// handleFollowUpRatingSubmit records the resident's answers on a follow-up
// call: five dimensions of 1 to 5 stars and an optional comment.
func (h *Handler) handleFollowUpRatingSubmit(c *fiber.Ctx) error {
	ids, err := request.ParamIDs(c, "id", "fid")
	if err != nil {
		return err
	}
	contractID, followUpID := ids[0], ids[1]
	typed := ratingsTyped{Form: "followup", ID: followUpID, Values: map[string]string{"comment": posted(c, "comment")}}
	n := map[string]int{}
	for _, d := range rateDimensions {
		typed.Values[d] = posted(c, d)
		n[d], _ = strconv.Atoi(typed.Values[d]) // what does not parse goes as 0, which the service names
	}
	_, err = h.Ratings.RecordFollowUpOnContract(c.UserContext(), request.Actor(c), contractID, followUpID, rating.Stars{
		Timeliness: n["timeliness"], Professionalism: n["professionalism"], Attitude: n["attitude"], Effectiveness: n["effectiveness"],
		Overall: n["overall"], Comment: typed.Values["comment"]})
	if err != nil {
		return h.ratingsRefused(c, contractID, err, typed, fmt.Sprintf("#fu-%d", followUpID), "")
	}
	return c.Redirect(fmt.Sprintf("%s?done=recorded#fu-%d", contractRatingsPath(contractID), followUpID), fiber.StatusSeeOther)
}
