package ui

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/request"
)

// A contract's evaluations page: its readers (access.ContractReaders, each
// in its tenant) see every evaluation of the contract with its kind,
// period, due date, evaluator, state, score, grade and rectification
// order; the subdistrict's procurement officer schedules evaluations (the
// evaluator picked from those the service finds eligible) and, after a
// failing grade with a rectification order, the re-evaluation. The
// contract's page links here.

// contractEvaluationRoles open a contract's evaluations page: its readers.
var contractEvaluationRoles = access.ContractReaders

// contractEvaluationsPath is the evaluations page of a contract.
func contractEvaluationsPath(contractID int64) string {
	return fmt.Sprintf("/contracts/%d/evaluations", contractID)
}

// contractEvaluationRow is an evaluation of the contract, with the
// officer's re-evaluation form when it may have one.
type contractEvaluationRow struct {
	evaluationListRow
	CanRedo bool
}

type contractEvaluationsView struct {
	C            contractTerms
	Rows         []contractEvaluationRow
	Officer      bool
	CanSchedule  bool
	Candidates   []option
	Kinds        []string
	Today        string
	ContractHref string
	Alert        rowAlert
	Typed        ratingsTyped
	Done         string
}

// TypedFor returns what was typed into field of the form of row id, when
// that form was refused.
func (v contractEvaluationsView) TypedFor(form string, id int64, field string) string {
	if v.Typed.Form != form || v.Typed.ID != id {
		return ""
	}
	return v.Typed.Values[field]
}

func (h *Handler) renderContractEvaluations(c *fiber.Ctx, status int, id int64, alert rowAlert, typed ratingsTyped) error {
	ctx, a := c.UserContext(), request.Actor(c)
	list, err := h.Evaluations.List(ctx, a, id)
	if err != nil {
		return err
	}
	t, err := h.terms(c, id)
	if err != nil {
		return err
	}
	officer := a.Role == access.ProcurementOfficer
	v := contractEvaluationsView{C: t, Officer: officer, CanSchedule: officer && inForce(t.Status), Kinds: evaluation.Kinds,
		Today: civil.ChinaDate(h.clock.Now()).String(), Alert: alert, Typed: typed}
	if a.Is(contractPageRoles...) {
		v.ContractHref = fmt.Sprintf("/contracts/%d", id)
	}
	for _, s := range list {
		r := contractEvaluationRow{evaluationListRow: evaluationRowOf(s)}
		if s.Status == evaluation.StatusSubmitted && s.Grade != nil && *s.Grade == evaluation.GradeFail {
			// A failing grade's order is on the evaluation's own view.
			ev, err := h.Evaluations.Get(ctx, a, s.ID)
			if err != nil {
				return err
			}
			r.Rectification = ev.Rectification
			r.CanRedo = v.CanSchedule && ev.Rectification != nil && s.ReevaluationID == nil
		}
		v.Rows = append(v.Rows, r)
	}
	if v.CanSchedule {
		cands, err := h.Evaluations.Eligible(ctx, a, id)
		if err != nil {
			return err
		}
		v.Candidates = candidateOptions(cands, 0)
	}
	if status == fiber.StatusOK {
		v.Done = doneOf(c, "scheduled")
	}
	return h.render(c, status, "contract_evaluations", v)
}

func (h *Handler) handleContractEvaluationsPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderContractEvaluations(c, fiber.StatusOK, id, rowAlert{}, ratingsTyped{})
}

// handleEvaluationScheduleSubmit schedules an evaluation of the contract as
// its subdistrict's procurement officer: the schedule form (kind, period,
// due date, evaluator), or a failing evaluation's re-evaluation form, which
// names it in reevaluation_of and keeps its kind.
func (h *Handler) handleEvaluationScheduleSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	fields := []string{"kind", "period_start", "period_end", "due_on", "evaluator_id"}
	typed := ratingsTyped{Form: "schedule", ID: id, Values: map[string]string{}}
	for _, f := range fields {
		typed.Values[f] = posted(c, f)
	}
	in := evaluation.ScheduleInput{Kind: typed.Values["kind"], PeriodStart: typed.Values["period_start"],
		PeriodEnd: typed.Values["period_end"], DueOn: typed.Values["due_on"]}
	in.EvaluatorID, _ = strconv.ParseInt(typed.Values["evaluator_id"], 10, 64) // what does not parse goes as 0, which the service names
	anchor := "#schedule"
	if of := posted(c, "reevaluation_of"); of != "" {
		redo, _ := strconv.ParseInt(of, 10, 64) // likewise
		in.ReevaluationOf, in.Kind = &redo, ""
		typed.Form, typed.ID, anchor = "redo", redo, fmt.Sprintf("#redo-%d", redo)
	}
	v, err := h.Evaluations.Schedule(c.UserContext(), request.Actor(c), id, in)
	if err != nil {
		status, alert, ok := h.rowProblem(c, err, typed.Form, typed.ID)
		if !ok {
			return err
		}
		alert.Alert.Href = anchor
		alert.Alert.Context = h.pages.translate(language(c), typed.Form+".heading")
		return h.renderContractEvaluations(c, status, id, alert, typed)
	}
	return c.Redirect(fmt.Sprintf("%s?done=scheduled#row-%d", contractEvaluationsPath(id), v.ID), fiber.StatusSeeOther)
}
