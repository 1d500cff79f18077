package ui

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/request"
)

// The public rating page: a resident scans the QR code of a service record
// (recordRatingURL), which opens /rate?code=…, and rates the service without
// signing in. The page works without JavaScript and stays small: the layout
// and app.css only (TestPagesRateSize measures it).

// rateDimensions are the rating's star groups, in the order of the form.
var rateDimensions = []string{"timeliness", "professionalism", "attitude", "effectiveness", "overall"}

// rateForm is a rating as typed; Stars holds each dimension's chosen value.
type rateForm struct {
	Code    string
	Stars   map[string]string
	Comment string
}

type rateView struct {
	Form       rateForm
	Alert      formAlert
	Dimensions []string
	Values     []string // the stars of each group, 1 to 5
	MaxComment int
}

func (h *Handler) renderRate(c *fiber.Ctx, status int, f rateForm, alert formAlert) error {
	if f.Stars == nil {
		f.Stars = map[string]string{}
	}
	return h.render(c, status, "rate", rateView{Form: f, Alert: alert, Dimensions: rateDimensions,
		Values: []string{"1", "2", "3", "4", "5"}, MaxComment: rating.MaxComment})
}

// handleRatePage is the rating form, its code filled in from ?code=.
func (h *Handler) handleRatePage(c *fiber.Ctx) error {
	return h.renderRate(c, fiber.StatusOK, rateForm{Code: strings.TrimSpace(c.Query("code"))}, formAlert{})
}

// handleRateSubmit records the rating and sends the resident to the
// thank-you page. A refused code (unknown, expired or used: one answer), a
// throttled address and the provider's own staff get the form again with
// an alert, as do bad stars or comment.
func (h *Handler) handleRateSubmit(c *fiber.Ctx) error {
	lang := language(c)
	form := func(k string) string { return strings.Clone(c.FormValue(k)) }
	f := rateForm{Code: strings.TrimSpace(form("code")), Stars: map[string]string{}, Comment: form("comment")}
	n := map[string]int{}
	for _, d := range rateDimensions {
		f.Stars[d] = strings.TrimSpace(form(d))
		n[d], _ = strconv.Atoi(f.Stars[d]) // what does not parse goes as 0, which the service names
	}
	_, err := h.Ratings.Submit(c.UserContext(), request.Actor(c), f.Code, rating.Stars{Timeliness: n["timeliness"],
		Professionalism: n["professionalism"], Attitude: n["attitude"], Effectiveness: n["effectiveness"], Overall: n["overall"],
		Comment: f.Comment})
	switch {
	case err == nil:
		return c.Redirect("/rate/thanks", fiber.StatusSeeOther)
	case errors.Is(err, rating.ErrCodeRefused):
		return h.renderRate(c, fiber.StatusUnprocessableEntity, f,
			h.fieldAlert(c, "rate-code", h.pages.translate(lang, "rate.code"), "fielderr.rate.code_refused"))
	case errors.Is(err, rating.ErrThrottled):
		return h.renderRate(c, fiber.StatusTooManyRequests, f, formAlert{Message: h.pages.translate(lang, "rate.throttled")})
	case errors.Is(err, rating.ErrOwnOrganization):
		return h.renderRate(c, fiber.StatusForbidden, f, formAlert{Message: h.pages.translate(lang, "rate.own_organization")})
	}
	status, alert, ok := h.formProblem(c, inForm(err, "rate."), h.dottedLabel(c))
	if !ok {
		return err
	}
	return h.renderRate(c, status, f, alert)
}

// handleRateThanksPage thanks the resident for a rating.
func (h *Handler) handleRateThanksPage(c *fiber.Ctx) error {
	return h.render(c, fiber.StatusOK, "rate_thanks", nil)
}
