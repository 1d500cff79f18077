package ui

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/request"
)

// The evaluation pages (评估): /evaluations lists an evaluator's assigned
// evaluations and an organization's, /evaluations/:id shows one to every
// reader the service admits, with every figure and how it was computed,
// and the forms of whoever acts next: the evaluator's declaration, entries
// and submission, the procurement officer's reassignment, cancellation and
// rectification order, and the organization admin's report on the order
// (evaluation_forms.go). A contract's evaluations and the scheduling forms
// are on /contracts/:id/evaluations (contract_evaluations.go). What each
// reader sees is what the service returns it: the organization never reads
// a recused evaluator's conflict statement.

// evaluationListRoles open /evaluations: the evaluators and the
// organizations' staff, whose evaluations span contracts.
var evaluationListRoles = []access.Role{access.Evaluator, access.OrgAdmin, access.OrgMember}

// evaluationsPerPage is the number of evaluations on one page of the list.
const evaluationsPerPage = 50

// evaluationPath is the page of an evaluation.
func evaluationPath(id int64) string { return fmt.Sprintf("/evaluations/%d", id) }

// evaluationListRow is an evaluation in a list.
type evaluationListRow struct {
	evaluation.Summary
	Href, Evaluator, Period, Due, Score  string
	Grade                                string
	Badge                                string // the class of the state's badge
	Contract, Organization, ContractHref string
	Rectification                        *evaluation.Rectification
}

// evaluationRowOf lays out an evaluation of a list.
func evaluationRowOf(s evaluation.Summary) evaluationListRow {
	r := evaluationListRow{Summary: s, Href: evaluationPath(s.ID), Evaluator: s.EvaluatorName, Due: s.DueOn.String(),
		Period: s.PeriodStart.String() + " – " + s.PeriodEnd.String()}
	if s.AgencyName != nil {
		r.Evaluator = fmt.Sprintf("%s（%s）", s.EvaluatorName, *s.AgencyName)
	}
	if s.Score != nil {
		r.Score = *s.Score
	}
	if s.Grade != nil {
		r.Grade = *s.Grade
	}
	switch {
	case s.Status == evaluation.StatusSubmitted && s.Grade != nil && *s.Grade == evaluation.GradeFail,
		s.Status == evaluation.StatusRecused, s.Overdue:
		r.Badge = "badge-rejected"
	case s.Status == evaluation.StatusSubmitted:
		r.Badge = "badge-approved"
	case s.Status == evaluation.StatusCancelled:
		r.Badge = "badge-retired"
	default:
		r.Badge = "badge-pending"
	}
	return r
}

type evaluationsView struct {
	Evaluator bool // the evaluator's list; else the organization's
	Rows      []evaluationListRow
	Status    string
	States    []string
	pager
}

func (h *Handler) handleEvaluationsPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), request.Actor(c)
	v := evaluationsView{Evaluator: a.Role == access.Evaluator, States: evaluation.States}
	v.Status, v.Page = listQuery(c, evaluation.States)
	items, total, err := h.Evaluations.Worklist(ctx, a, evaluation.WorkFilter{Status: v.Status,
		Offset: (v.Page - 1) * evaluationsPerPage, Limit: evaluationsPerPage})
	if err != nil {
		return err
	}
	for _, it := range items {
		r := evaluationRowOf(it.Summary)
		r.Contract, r.Organization, r.Rectification = it.ContractTitle, it.OrganizationName, it.Rectification
		if !v.Evaluator {
			r.ContractHref = contractEvaluationsPath(it.ContractID)
		}
		v.Rows = append(v.Rows, r)
	}
	v.paginate(total, evaluationsPerPage, len(v.Rows), statusPageLink("/evaluations", v.Status))
	return h.render(c, fiber.StatusOK, "evaluations", v)
}

// figureView is a figure of an evaluation as the page shows it: its
// numbers, the lines that say how it was computed, and, for the
// evaluator, the inputs of the entry form.
type figureView struct {
	evaluation.Figure
	Name, Unit                      string
	Target, TargetUsed, Actual, Att string
	Computed                        bool // the system computes it
	Editable                        bool // the evaluator enters it
	Basis                           []string
	ActualID, NoteID                string
	TypedActual, TypedNote          string
	BadActual, BadNote              bool
}

// evaluationInput is what a re-rendered evaluation page shows as typed.
type evaluationInput struct {
	alert   pageAlert
	typed   map[string]string
	missing bool // the submission was refused for figures without a value
}

type evaluationPageView struct {
	E             evaluation.View
	Row           evaluationListRow // its score, grade and badge as a list shows them
	Evaluator     string
	Declared      string
	Submitted     string
	Figures       []figureView
	ListHref      string // the reader's list of evaluations, for the evaluators and organizations
	ContractHref  string // the contract's evaluations, for its readers
	RedoHref      string // where the officer schedules the re-evaluation
	RedoneHref    string // the re-evaluation, once scheduled
	OfHref        string // the evaluation a re-evaluation re-does
	Rectification *evaluation.Rectification
	Issued        string
	Reported      string
	Statement     string // the recused evaluator's conflict statement, for whom the service shows it
	Evidence      []evidenceRow

	// What the reader may do now.
	Declare, Enter, CanSubmit                bool
	CanAssign, CanMoveDue, CanCancel         bool
	CanOrder, CanReport                      bool
	Candidates                               []option
	Typed                                    map[string]string
	MaxStatement, MaxNote, MaxNotes, MaxText int

	Alert pageAlert
	Done  string
}

// evaluationDone are the outcomes the evaluation page confirms after a redirect.
var evaluationDone = []string{"declared", "recused", "saved", "submitted", "assigned", "cancelled", "ordered", "reported", "uploaded"}

// openEvaluation reports whether an evaluation may still change.
func openEvaluation(status string) bool {
	return status == evaluation.StatusScheduled || status == evaluation.StatusInProgress || status == evaluation.StatusRecused
}

func (h *Handler) renderEvaluation(c *fiber.Ctx, status int, id int64, in evaluationInput) error {
	ctx, a, lang := c.UserContext(), request.Actor(c), language(c)
	ev, err := h.Evaluations.Get(ctx, a, id)
	if err != nil {
		return err
	}
	typed := in.typed
	if typed == nil {
		typed = map[string]string{}
	}
	officer, mine := a.Role == access.ProcurementOfficer, a.Role == access.Evaluator
	failing := ev.Status == evaluation.StatusSubmitted && ev.Grade != nil && *ev.Grade == evaluation.GradeFail
	row := evaluationRowOf(ev.Summary)
	v := evaluationPageView{E: ev, Row: row, Evaluator: row.Evaluator, Declared: showTime(ev.DeclaredAt),
		Submitted: showTime(ev.SubmittedAt), Rectification: ev.Rectification, Typed: typed, Alert: in.alert,
		MaxStatement: evaluation.MaxStatement, MaxNote: evaluation.MaxNote, MaxNotes: evaluation.MaxNotes, MaxText: evaluation.MaxRectificationText}
	if ev.ConflictStatement != nil {
		v.Statement = *ev.ConflictStatement
	}
	if a.Is(access.ContractReaders...) {
		v.ContractHref = contractEvaluationsPath(ev.ContractID)
	}
	if a.Is(evaluationListRoles...) {
		v.ListHref = "/evaluations"
	}
	if ev.ReevaluationID != nil {
		v.RedoneHref = evaluationPath(*ev.ReevaluationID)
	}
	if ev.ReevaluationOf != nil {
		v.OfHref = evaluationPath(*ev.ReevaluationOf)
	}
	if r := ev.Rectification; r != nil {
		v.Issued, v.Reported = showTime(&r.IssuedAt), showTime(r.ReportedAt)
	}
	v.Declare = mine && ev.Status == evaluation.StatusScheduled
	v.Enter = mine && ev.Status == evaluation.StatusInProgress
	v.CanSubmit = v.Enter
	v.CanAssign = officer && (ev.Status == evaluation.StatusScheduled || ev.Status == evaluation.StatusRecused)
	v.CanMoveDue = officer && openEvaluation(ev.Status)
	v.CanCancel = officer && openEvaluation(ev.Status) && ev.ReevaluationOf == nil
	v.CanOrder = officer && failing && ev.Rectification == nil
	v.CanReport = a.Role == access.OrgAdmin && ev.Rectification != nil && ev.Rectification.Report == nil
	if officer && failing && ev.Rectification != nil && ev.ReevaluationID == nil {
		v.RedoHref = contractEvaluationsPath(ev.ContractID) + fmt.Sprintf("#redo-%d", ev.ID)
	}
	if v.CanAssign {
		list, err := h.Evaluations.Eligible(ctx, a, ev.ContractID)
		if err != nil {
			return err
		}
		v.Candidates = candidateOptions(list, ev.EvaluatorID)
	}
	for k, def := range map[string]string{"notes": ev.Notes, "evassign.due_on": ev.DueOn.String(), "evdeclare.conflict": "no"} {
		if _, ok := typed[k]; !ok {
			typed[k] = def
		}
	}
	for _, f := range ev.Figures {
		fv := h.figureViewOf(lang, ev, f)
		if v.Enter && fv.Editable {
			fv.ActualID, fv.NoteID = "figure-"+f.Code+"-actual", "figure-"+f.Code+"-note"
			fv.TypedActual, fv.TypedNote = fv.Actual, f.Note
			if s, ok := typed["actual."+f.Code]; ok {
				fv.TypedActual = s
			}
			if s, ok := typed["note."+f.Code]; ok {
				fv.TypedNote = s
			}
		}
		v.Figures = append(v.Figures, fv)
	}
	v.Alert = h.figureAlert(lang, v.Figures, in)
	docs, err := h.Evaluations.Documents(ctx, a, id)
	if err != nil {
		return err
	}
	v.Evidence = evidenceRows(ev, docs, v.Figures)
	for i, fv := range v.Figures {
		v.Figures[i].BadActual, v.Figures[i].BadNote = fv.ActualID != "" && v.Alert.Bad(fv.ActualID), fv.NoteID != "" && v.Alert.Bad(fv.NoteID)
	}
	if status == fiber.StatusOK {
		v.Done = doneOf(c, evaluationDone...)
	}
	return h.render(c, status, "evaluation", v)
}

func (h *Handler) handleEvaluationPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderEvaluation(c, fiber.StatusOK, id, evaluationInput{})
}

// figureAlert names the figures of the alert by their names: those whose
// entry was refused, and after a refused submission those without a value.
func (h *Handler) figureAlert(lang string, figures []figureView, in evaluationInput) pageAlert {
	a := in.alert
	for i, f := range a.Fields {
		for _, fv := range figures {
			switch f.Anchor {
			case fv.ActualID:
				a.Fields[i].Label = fv.Name + " · " + h.pages.translate(lang, "eventer.actual")
			case fv.NoteID:
				a.Fields[i].Label = fv.Name + " · " + h.pages.translate(lang, "eventer.note")
			}
		}
	}
	if !in.missing {
		return a
	}
	if a.bad == nil {
		a.bad = map[string]bool{}
	}
	for _, fv := range figures {
		if fv.Figure.Actual != nil {
			continue
		}
		anchor := "fig-" + fv.Code
		if fv.ActualID != "" {
			anchor = fv.ActualID
		}
		a.Fields = append(a.Fields, fieldProblem{Anchor: anchor, Label: fv.Name, Message: h.pages.translate(lang, "fielderr.evsubmit.missing")})
		a.bad[anchor] = true
	}
	return a
}

// candidateOptions are the accounts the officer may assign, but the one
// assigned now.
func candidateOptions(list []evaluation.Candidate, current int64) []option {
	var out []option
	for _, cd := range list {
		if cd.ID == current {
			continue
		}
		label := cd.Name
		if cd.AgencyName != nil {
			label = fmt.Sprintf("%s（%s）", cd.Name, *cd.AgencyName)
		}
		out = append(out, option{Value: strconv.FormatInt(cd.ID, 10), Label: label})
	}
	return out
}

// figureViewOf lays out a figure: its numbers and its basis in words.
func (h *Handler) figureViewOf(lang string, ev evaluation.View, f evaluation.Figure) figureView {
	fv := figureView{Figure: f, Name: pick(lang, f.NameZh, f.NameEn), Unit: h.unitName(lang, f.Unit), Target: decimal(f.Target),
		TargetUsed: decimal(f.TargetUsed), Computed: f.Source != evaluation.SourceEvaluator}
	if f.Actual != nil {
		fv.Actual = decimal(*f.Actual)
	}
	if f.Attainment != nil {
		fv.Att = percentOf(*f.Attainment)
	}
	b := parseBasis(f.Basis)
	measurable := b.Measurable == nil || *b.Measurable
	fv.Editable = !fv.Computed || !measurable
	fv.Basis = h.basisLines(lang, ev, fv, b)
	return fv
}

// decimal shows an exact decimal without trailing zeros: 1200.00 is 1200,
// 12.50 is 12.5.
func decimal(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// percentOf shows an attainment (a share of 1) as a percentage with one
// decimal, rounded half up.
func percentOf(share string) string {
	r, ok := new(big.Rat).SetString(share)
	if !ok {
		return share
	}
	r.Mul(r, big.NewRat(1000, 1))
	n, d := r.Num(), r.Denom()
	q, m := new(big.Int).QuoRem(n, d, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).CmpAbs(d) >= 0 {
		q.Add(q, big.NewInt(int64(n.Sign())))
	}
	tenths := q.Int64()
	return fmt.Sprintf("%d.%d%%", tenths/10, tenths%10)
}
