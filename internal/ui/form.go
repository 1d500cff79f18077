package ui

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
)

// fieldProblem is one bad input of a form, linked to its input.
type fieldProblem struct {
	Anchor  string // the id of the input
	Label   string
	Message string
}

// formAlert is what a re-rendered form says went wrong: a sentence, and the bad
// fields with links to them.
type formAlert struct {
	Message string
	Fields  []fieldProblem
	bad     map[string]bool
}

// Bad reports whether the input with this id is named in the alert.
func (a formAlert) Bad(anchor string) bool { return a.bad[anchor] }

// Says returns what the alert says of the input with this id, to show next
// to it ("" when it names none).
func (a formAlert) Says(anchor string) string {
	for _, f := range a.Fields {
		if f.Anchor == anchor {
			return f.Message
		}
	}
	return ""
}

// fieldLabel names a form field for an alert: the input's id and its label.
type fieldLabel func(field string) (anchor, label string)

// formProblem turns a service error into the alert of a re-rendered form and
// its status (400 for bad input, 409 for a conflict). ok is false for any other
// error, which goes to the error page.
func (h *Handler) formProblem(c *fiber.Ctx, err error, label fieldLabel) (int, formAlert, bool) {
	e, isApp := apperr.As(err)
	if !isApp || (e.Kind != apperr.Invalid && e.Kind != apperr.Conflict) {
		return 0, formAlert{}, false
	}
	lang := language(c)
	if e.Kind == apperr.Conflict {
		msg, ok := h.pages.lookup(lang, "conflict."+e.Code)
		if !ok {
			msg = e.Message
		}
		return fiber.StatusConflict, formAlert{Message: msg}, true
	}
	a := formAlert{Message: h.pages.translate(lang, "form.invalid"), bad: map[string]bool{}}
	for _, f := range e.Fields {
		anchor, name := label(f.Field)
		msg, ok := h.pages.lookup(lang, "fielderr."+genericField(f.Field))
		if !ok {
			msg = f.Message
		}
		a.Fields = append(a.Fields, fieldProblem{Anchor: anchor, Label: name, Message: msg})
		a.bad[anchor] = true
	}
	return fiber.StatusBadRequest, a, true
}

// genericField names the message of a per-metric input by its kind.
func genericField(field string) string {
	switch {
	case strings.HasPrefix(field, "target_"):
		return "metric_target"
	case strings.HasPrefix(field, "weight_"):
		return "metric_weight"
	}
	return field
}

// pageAlert is a form alert with the part of the page it is about, for pages
// that hold several forms.
type pageAlert struct {
	Context string // e.g. the heading of the form's section
	Href    string // where that form is
	formAlert
}

// fieldAlert is the alert of a form with one bad field.
func (h *Handler) fieldAlert(c *fiber.Ctx, anchor, label, messageKey string) formAlert {
	lang := language(c)
	return formAlert{Message: h.pages.translate(lang, "form.invalid"),
		Fields: []fieldProblem{{Anchor: anchor, Label: label, Message: h.pages.translate(lang, messageKey)}},
		bad:    map[string]bool{anchor: true}}
}

// formValues returns every value posted for key, url-encoded or multipart.
func formValues(c *fiber.Ctx, key string) []string {
	var out []string
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		if form, err := c.MultipartForm(); err == nil {
			for _, v := range form.Value[key] {
				out = append(out, strings.Clone(v))
			}
		}
		return out
	}
	for _, v := range c.Request().PostArgs().PeekMulti(key) {
		out = append(out, string(v))
	}
	return out
}

// inForm returns err with each bad field prefixed by the form it belongs to,
// so that the fields, their messages (fielderr.prefix+field) and labels of the
// forms on one page do not collide. Other errors are returned as they are.
func inForm(err error, prefix string) error {
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.Invalid || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make([]apperr.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		out.Fields[i] = apperr.FieldError{Field: prefix + f.Field, Message: f.Message}
	}
	return &out
}

// dottedLabel names the fields of a form prefixed by inForm: the input's id
// is the field with "-" for ".", its label the message of the field's name.
func (h *Handler) dottedLabel(c *fiber.Ctx) fieldLabel {
	lang := language(c)
	return func(field string) (string, string) {
		return strings.ReplaceAll(field, ".", "-"), h.pages.translate(lang, field)
	}
}
