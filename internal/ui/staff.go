package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/civil"
)

// The pages of residents' signals for the organization's staff and the
// subdistrict's officers share this: one list of rows, each with its small
// forms, and an alert about the one row whose form was refused.

// rowAlert is the alert of a list page whose row's form was refused: the
// row (For) and what was wrong, next to the row's field.
type rowAlert struct {
	For   int64
	Alert pageAlert
}

// rowProblem turns a service error of form on row id into the list page's
// alert and status; ok is false for errors that go to the error page. The
// field's input is form-field-id, its message fielderr.form.field.
func (h *Handler) rowProblem(c *fiber.Ctx, err error, form string, id int64) (int, rowAlert, bool) {
	lang := language(c)
	status, a, ok := h.formProblem(c, inForm(err, form+"."), func(field string) (string, string) {
		name := strings.TrimPrefix(field, form+".")
		return fmt.Sprintf("%s-%s-%d", form, name, id), h.pages.translate(lang, field)
	})
	if !ok {
		return 0, rowAlert{}, false
	}
	return status, rowAlert{For: id, Alert: pageAlert{Context: fmt.Sprintf("#%d", id),
		Href: fmt.Sprintf("#row-%d", id), formAlert: a}}, true
}

// rowFieldAlert is the alert of a row's form with one field refused before
// the service is called (a time that does not parse).
func (h *Handler) rowFieldAlert(c *fiber.Ctx, form, field string, id int64) rowAlert {
	key := form + "." + field
	a := h.fieldAlert(c, fmt.Sprintf("%s-%s-%d", form, field, id), h.pages.translate(language(c), key), "fielderr."+key)
	return rowAlert{For: id, Alert: pageAlert{Context: fmt.Sprintf("#%d", id), Href: fmt.Sprintf("#row-%d", id), formAlert: a}}
}

// Says returns what the alert says of the field of row id's form.
func (a rowAlert) Says(form, field string, id int64) string {
	if a.For != id {
		return ""
	}
	return a.Alert.Says(fmt.Sprintf("%s-%s-%d", form, field, id))
}

// posted returns the trimmed value of a posted field.
func posted(c *fiber.Ctx, key string) string {
	return strings.TrimSpace(strings.Clone(c.FormValue(key)))
}

// localTime reads a datetime-local input as China time; "" is nil.
func localTime(s string) (*time.Time, bool) {
	if s == "" {
		return nil, true
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", s, civil.China)
	if err != nil {
		return nil, false
	}
	return &t, true
}

// doneOf returns the outcome a redirect announces, when it is one of allowed.
func doneOf(c *fiber.Ctx, allowed ...string) string {
	d := c.Query("done")
	for _, a := range allowed {
		if d == a {
			return d
		}
	}
	return ""
}
