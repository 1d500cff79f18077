package ui

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

// The resident's self sign-up: an account bound to the community the
// resident lives in, signed in at once and sent to that community's menu of
// services (resident_requests.go).

// residentForm is a resident's sign-up as typed (never the password).
type residentForm struct {
	Username, DisplayName, Community, Email string
}

type residentSignupView struct {
	Form        residentForm
	Alert       formAlert
	Communities []place.Community
	SignedIn    bool // the form is for visitors: the POST refuses a signed-in user
}

func (h *Handler) renderResidentSignup(c *fiber.Ctx, status int, v residentSignupView) error {
	comms, err := h.Places.PublicCommunities(c.UserContext())
	if err != nil {
		return err
	}
	v.Communities, v.SignedIn = comms, request.Actor(c).Authenticated()
	return h.render(c, status, "resident_signup", v)
}

func (h *Handler) handleResidentSignupPage(c *fiber.Ctx) error {
	return h.renderResidentSignup(c, fiber.StatusOK, residentSignupView{})
}

// handleResidentSignupSubmit makes the resident's account, signs it in and
// opens its community's menu. Bad fields, passwords that differ and a taken
// username get the form again with the alert, and nothing is written.
func (h *Handler) handleResidentSignupSubmit(c *fiber.Ctx) error {
	if request.Actor(c).Authenticated() {
		return apperr.ErrForbidden
	}
	ctx, lang := c.UserContext(), language(c)
	v := residentSignupView{Form: residentForm{Username: posted(c, "username"), DisplayName: posted(c, "display_name"),
		Community: posted(c, "community_id"), Email: posted(c, "email")}}
	password := strings.Clone(c.FormValue("password"))
	community, _ := strconv.ParseInt(v.Form.Community, 10, 64) // 0 when absent or not a number, which the service names
	var bad apperr.Fields
	bad.Check(password == c.FormValue("password_confirm"), "password_confirm", "does not match the password")
	err := bad.Err()
	if err == nil {
		var r servicerequest.Resident
		r, err = h.ServiceRequests.SignupResident(ctx, servicerequest.ResidentSignup{Username: v.Form.Username, Password: password,
			DisplayName: v.Form.DisplayName, CommunityID: community, Locale: lang, Email: v.Form.Email,
			RequestID: request.ID(c), ClientIP: request.ClientIP(c)})
		if err == nil {
			h.sendVerification(c, r.User.ID)
		}
	}
	if err != nil {
		if errors.Is(err, auth.ErrDuplicateUsername) {
			v.Alert = h.fieldAlert(c, "resident-username", h.pages.translate(lang, "resident.username"), "taken.username")
			return h.renderResidentSignup(c, fiber.StatusConflict, v)
		}
		status, alert, ok := h.formProblem(c, inForm(err, "resident."), h.dottedLabel(c))
		if !ok {
			return err
		}
		v.Alert = alert
		return h.renderResidentSignup(c, status, v)
	}
	tokens, err := h.Auth.Login(ctx, v.Form.Username, password, request.Client(c))
	if err != nil {
		// The account exists; the resident can still sign in by hand.
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	h.startSession(c, tokens)
	return c.Redirect("/services?done=registered", fiber.StatusSeeOther)
}
