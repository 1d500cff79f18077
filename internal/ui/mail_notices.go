package ui

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/notify"
	"github.com/jiedao-market/jiedao/internal/request"
)

// The settings page's second form: how each kind of notification goes out
// by e-mail (immediately, in the daily digest, or not at all).

// handleNoticesSubmit sets the user's mode of each kind posted as
// mode_<kind>; a kind or mode that is not one gets the page again (400) with
// nothing written.
func (h *Handler) handleNoticesSubmit(c *fiber.Ctx) error {
	modes := map[string]string{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if key := string(k); len(key) > len("mode_") && key[:len("mode_")] == "mode_" {
			modes[key[len("mode_"):]] = string(v)
		}
	})
	err := h.Notices.SetPreferences(c.UserContext(), request.Actor(c), modes)
	if errors.Is(err, notify.ErrMode) {
		return h.renderSettings(c, fiber.StatusBadRequest, settingsView{
			NoticeAlert: formAlert{Message: h.pages.translate(language(c), "settings.notices_invalid")}})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/settings?done=notices#notices", fiber.StatusSeeOther)
}
