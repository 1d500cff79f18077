package ui

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/notify"
	"github.com/jiedao-market/jiedao/internal/request"
)

// A user's e-mail: the settings page where every signed-in user sets the
// address (verified by a link before anything else is sent to it) and sees
// whether e-mail is on; the page the verification link opens; and the
// self-service password recovery (a one-time link to the verified address).

type settingsView struct {
	State auth.EmailState
	Form  string // the address as typed
	Alert formAlert
	Done  string // a message key: what the last form did
	// Notices is the user's e-mail mode of each notification kind, with the
	// alert of its form.
	Notices     []notify.Preference
	NoticeAlert formAlert
}

func (h *Handler) renderSettings(c *fiber.Ctx, status int, v settingsView) error {
	st, err := h.Auth.Email(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	v.State = st
	if v.Notices, err = h.Notices.Preferences(c.UserContext(), request.Actor(c)); err != nil {
		return err
	}
	if v.Form == "" {
		v.Form = st.Email
	}
	return h.render(c, status, "settings", v)
}

func (h *Handler) handleSettingsPage(c *fiber.Ctx) error {
	v := settingsView{}
	if c.Query("done") == "email" {
		v.Done = "settings.done_email"
	}
	if c.Query("done") == "notices" {
		v.Done = "settings.done_notices"
	}
	return h.renderSettings(c, fiber.StatusOK, v)
}

// handleSettingsSubmit sets the user's address: a bad one gets the form again
// with the alert, and nothing is written.
func (h *Handler) handleSettingsSubmit(c *fiber.Ctx) error {
	addr := posted(c, "email")
	err := h.Auth.SetEmail(c.UserContext(), request.Actor(c), addr)
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.TooManyRequests {
			return h.renderSettings(c, fiber.StatusTooManyRequests, settingsView{Form: addr,
				Alert: formAlert{Message: h.pages.translate(language(c), "settings.throttled")}})
		}
		status, alert, ok := h.formProblem(c, inForm(err, "settings."), h.dottedLabel(c))
		if !ok {
			return err
		}
		return h.renderSettings(c, status, settingsView{Form: addr, Alert: alert})
	}
	return c.Redirect("/settings?done=email", fiber.StatusSeeOther)
}

type linkView struct {
	OK    bool
	Alert formAlert
}

// handleEmailVerifyPage follows a verification link. The link itself is the
// proof of the mailbox, so no sign-in is needed; a used or expired link gets
// the page with an alert (400).
func (h *Handler) handleEmailVerifyPage(c *fiber.Ctx) error {
	err := h.Auth.VerifyEmail(c.UserContext(), strings.Clone(c.Query("token")), request.Client(c))
	if errors.Is(err, auth.ErrLinkInvalid) {
		return h.render(c, fiber.StatusBadRequest, "email_verify",
			linkView{Alert: formAlert{Message: h.pages.translate(language(c), "link.invalid")}})
	} else if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "email_verify", linkView{OK: true})
}

type forgotView struct {
	Login  string
	Sent   bool
	MailOn bool
	Alert  formAlert
}

func (h *Handler) handleForgotPage(c *fiber.Ctx) error {
	return h.render(c, fiber.StatusOK, "password_forgot", forgotView{MailOn: h.Auth.MailEnabled()})
}

// handleForgotSubmit asks for a reset link. The answer is the same whether
// an account was found, verified and not throttled or not, so that it tells
// nothing about accounts.
func (h *Handler) handleForgotSubmit(c *fiber.Ctx) error {
	v := forgotView{Login: posted(c, "login"), MailOn: h.Auth.MailEnabled()}
	err := h.Auth.RequestPasswordReset(c.UserContext(), v.Login, request.Client(c))
	if err != nil {
		status, alert, ok := h.formProblem(c, inForm(err, "password."), h.dottedLabel(c))
		if !ok {
			return err
		}
		v.Alert = alert
		return h.render(c, status, "password_forgot", v)
	}
	v.Sent = true
	return h.render(c, fiber.StatusOK, "password_forgot", v)
}

type resetView struct {
	Token string
	Alert formAlert
	Dead  bool // the link does not work: no form
}

func (h *Handler) handleResetPage(c *fiber.Ctx) error {
	token := strings.Clone(c.Query("token"))
	if err := h.Auth.CheckResetLink(c.UserContext(), token); errors.Is(err, auth.ErrLinkInvalid) {
		return h.render(c, fiber.StatusBadRequest, "password_reset", resetView{Dead: true,
			Alert: formAlert{Message: h.pages.translate(language(c), "link.invalid")}})
	} else if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "password_reset", resetView{Token: token})
}

// handleResetSubmit sets the new password and sends the user to sign in with
// it: every session of the account has ended.
func (h *Handler) handleResetSubmit(c *fiber.Ctx) error {
	v := resetView{Token: posted(c, "token")}
	password := strings.Clone(c.FormValue("password"))
	var bad apperr.Fields
	bad.Check(password == c.FormValue("password_confirm"), "password_confirm", "does not match the password")
	err := bad.Err()
	if err == nil {
		err = h.Auth.ResetPassword(c.UserContext(), v.Token, password, request.Client(c))
	}
	if errors.Is(err, auth.ErrLinkInvalid) {
		v.Dead, v.Alert = true, formAlert{Message: h.pages.translate(language(c), "link.invalid")}
		return h.render(c, fiber.StatusBadRequest, "password_reset", v)
	}
	if err != nil {
		status, alert, ok := h.formProblem(c, inForm(err, "password."), h.dottedLabel(c))
		if !ok {
			return err
		}
		v.Alert = alert
		return h.render(c, status, "password_reset", v)
	}
	return c.Redirect("/login?done=password_reset", fiber.StatusSeeOther)
}

// sendVerification mails the link that verifies the address of the account
// just made (a sign-up, an invitation). The account and its address are
// stored already; a failure here is logged, and the owner sends the link
// again from the settings page.
func (h *Handler) sendVerification(c *fiber.Ctx, userID int64) {
	if err := h.Auth.SendVerification(c.UserContext(), userID, request.Client(c)); err != nil {
		h.Log.ErrorContext(c.UserContext(), "send verification link", "user_id", userID, "request_id", request.ID(c), "error", err)
	}
}
