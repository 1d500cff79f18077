package ui

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/request"
)

// The forms of the evaluation page. Each calls one method of the
// evaluation service; a refusal shows the page again with the alert at
// the form (its section's id is the form's name) and what was typed.

// evaluationRefused shows evaluation id's page again with the alert of the
// refused form, or passes on errors the page does not show (another
// tenant's evaluation is the not-found page). The fields of the form are
// prefixed with its name; label names them (dottedLabel when nil).
func (h *Handler) evaluationRefused(c *fiber.Ctx, id int64, err error, form string, in evaluationInput, label fieldLabel) error {
	if label == nil {
		label = h.dottedLabel(c)
	}
	status, a, ok := h.formProblem(c, inForm(err, form+"."), label)
	if !ok {
		return err
	}
	// A field is named by what it is in its form: the message of an
	// input whose id ends in -actual is fielderr.enter.actual.
	lang := language(c)
	for i, f := range a.Fields {
		if msg, ok := h.pages.lookup(lang, "fielderr."+form+"."+f.Anchor[strings.LastIndex(f.Anchor, "-")+1:]); ok {
			a.Fields[i].Message = msg
		}
	}
	in.alert = pageAlert{Context: h.pages.translate(lang, form+".heading"), Href: "#" + form, formAlert: a}
	if e, _ := apperr.As(err); e != nil && e.Code == evaluation.ErrFiguresMissing.Code {
		in.missing = true
	}
	return h.renderEvaluation(c, status, id, in)
}

// evaluationDoneAt redirects to the evaluation's page announcing done at
// the form's section.
func evaluationDoneAt(c *fiber.Ctx, id int64, done, section string) error {
	return c.Redirect(fmt.Sprintf("%s?done=%s#%s", evaluationPath(id), done, section), fiber.StatusSeeOther)
}

// handleEvaluationDeclareSubmit records the assigned evaluator's
// declaration: no conflict opens the evaluation, a conflict with its
// statement recuses the evaluator.
func (h *Handler) handleEvaluationDeclareSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	conflict, statement := posted(c, "conflict"), posted(c, "statement")
	in := evaluationInput{typed: map[string]string{"evdeclare.conflict": conflict, "evdeclare.statement": statement}}
	if conflict != "yes" && conflict != "no" {
		return h.evaluationRefused(c, id, apperr.InvalidField("declaration.conflict", "is required: yes or no"), "evdeclare", in, nil)
	}
	d := evaluation.Declaration{Conflict: conflict == "yes", Statement: statement}
	if _, err := h.Evaluations.Update(c.UserContext(), request.Actor(c), id, evaluation.Patch{Declaration: &d}); err != nil {
		return h.evaluationRefused(c, id, err, "evdeclare", in, nil)
	}
	if d.Conflict {
		return evaluationDoneAt(c, id, "recused", "evdeclare")
	}
	return evaluationDoneAt(c, id, "declared", "eventer")
}

// entryField is a field of the entry form as the service names it:
// figures[i].actual, figures[i].note, figures[i].code or figures[i].
var entryField = regexp.MustCompile(`^figures\[(\d+)\](?:\.(\w+))?$`)

// handleEvaluationFiguresSubmit saves the evaluator's entries: each
// editable figure's actual and note, in the order of the posted codes, and
// the evaluation's notes.
func (h *Handler) handleEvaluationFiguresSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	codes, actuals, notes := formValues(c, "code"), formValues(c, "actual"), formValues(c, "note")
	in := evaluationInput{typed: map[string]string{"notes": posted(c, "notes")}}
	var entries []evaluation.Entry
	for i, code := range codes {
		e := evaluation.Entry{Code: code}
		if i < len(actuals) {
			e.Actual = &actuals[i]
			in.typed["actual."+code] = actuals[i]
		}
		if i < len(notes) {
			e.Note = &notes[i]
			in.typed["note."+code] = notes[i]
		}
		entries = append(entries, e)
	}
	text := in.typed["notes"]
	p := evaluation.Patch{Figures: entries, Notes: &text}
	if _, err := h.Evaluations.Update(c.UserContext(), request.Actor(c), id, p); err != nil {
		lang := language(c)
		label := func(field string) (string, string) {
			m := entryField.FindStringSubmatch(strings.TrimPrefix(field, "eventer."))
			if m == nil {
				return "eventer-notes", h.pages.translate(lang, "eventer.notes")
			}
			i, _ := strconv.Atoi(m[1])
			code := ""
			if i < len(codes) {
				code = codes[i]
			}
			part := m[2]
			if part != "note" {
				part = "actual"
			}
			return "figure-" + code + "-" + part, fmt.Sprintf("%s · %s", code, h.pages.translate(lang, "eventer."+part))
		}
		return h.evaluationRefused(c, id, err, "eventer", in, label)
	}
	return evaluationDoneAt(c, id, "saved", "eventer")
}

// handleEvaluationSubmitSubmit submits the evaluation as its evaluator: the
// score and grade are final. A figure without a value is a conflict whose
// alert names each one.
func (h *Handler) handleEvaluationSubmitSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.Evaluations.Submit(c.UserContext(), request.Actor(c), id); err != nil {
		return h.evaluationRefused(c, id, err, "evsubmit", evaluationInput{}, nil)
	}
	return evaluationDoneAt(c, id, "submitted", "score")
}

// handleEvaluationAssignSubmit is the officer's change of the evaluator
// (while scheduled or after a recusal) and of the due date.
func (h *Handler) handleEvaluationAssignSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	who, due := posted(c, "evaluator_id"), posted(c, "due_on")
	in := evaluationInput{typed: map[string]string{"evassign.evaluator_id": who, "evassign.due_on": due}}
	p := evaluation.Patch{DueOn: &due}
	if who != "" {
		n, _ := strconv.ParseInt(who, 10, 64) // what does not parse goes as 0, which the service names
		p.EvaluatorID = &n
	}
	if _, err := h.Evaluations.Update(c.UserContext(), request.Actor(c), id, p); err != nil {
		return h.evaluationRefused(c, id, err, "evassign", in, nil)
	}
	return evaluationDoneAt(c, id, "assigned", "evassign")
}

// handleEvaluationCancelSubmit cancels the evaluation with a reason, as the officer.
func (h *Handler) handleEvaluationCancelSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	reason := posted(c, "reason")
	in := evaluationInput{typed: map[string]string{"evcancel.reason": reason}}
	if _, err := h.Evaluations.Update(c.UserContext(), request.Actor(c), id, evaluation.Patch{CancelReason: &reason}); err != nil {
		return h.evaluationRefused(c, id, err, "evcancel", in, nil)
	}
	return evaluationDoneAt(c, id, "cancelled", "facts")
}

// handleRectificationOrderSubmit issues the rectification order of a
// failing evaluation, as the officer.
func (h *Handler) handleRectificationOrderSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	req, deadline := posted(c, "requirements"), posted(c, "deadline")
	in := evaluationInput{typed: map[string]string{"evrectify.requirements": req, "evrectify.deadline": deadline}}
	if _, err := h.Evaluations.OrderRectification(c.UserContext(), request.Actor(c), id,
		evaluation.RectificationInput{Requirements: req, Deadline: deadline}); err != nil {
		return h.evaluationRefused(c, id, err, "evrectify", in, nil)
	}
	return evaluationDoneAt(c, id, "ordered", "rectification")
}

// handleRectificationReportSubmit records the organization admin's report
// on the rectification order.
func (h *Handler) handleRectificationReportSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	report := posted(c, "report")
	in := evaluationInput{typed: map[string]string{"evreport.report": report}}
	if _, err := h.Evaluations.ReportRectification(c.UserContext(), request.Actor(c), id, report); err != nil {
		return h.evaluationRefused(c, id, err, "evreport", in, nil)
	}
	return evaluationDoneAt(c, id, "reported", "rectification")
}
