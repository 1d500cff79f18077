package api

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/request"
)

type evaluationScheduleRequest struct {
	Kind           string `json:"kind"`
	PeriodStart    string `json:"period_start"`
	PeriodEnd      string `json:"period_end"`
	DueOn          string `json:"due_on"`
	EvaluatorID    int64  `json:"evaluator_id"`
	ReevaluationOf *int64 `json:"reevaluation_of"`
}

type evaluationDeclaration struct {
	Conflict  bool   `json:"conflict"`
	Statement string `json:"statement"`
}

// evaluationEntry is one figure the evaluator enters. actual is a number or
// a decimal string, exact either way ("" clears it; null or absent leaves it).
type evaluationEntry struct {
	Code   string          `json:"code"`
	Actual json.RawMessage `json:"actual"`
	Note   *string         `json:"note"`
}

type evaluationPatchRequest struct {
	EvaluatorID  *int64                 `json:"evaluator_id"`
	DueOn        *string                `json:"due_on"`
	CancelReason *string                `json:"cancel_reason"`
	Declaration  *evaluationDeclaration `json:"declaration"`
	Figures      []evaluationEntry      `json:"figures"`
	Notes        *string                `json:"notes"`
}

// toPatch turns the request into the service's patch; an actual that is
// neither a number nor a string is a bad field.
func (r evaluationPatchRequest) toPatch() (evaluation.Patch, error) {
	p := evaluation.Patch{EvaluatorID: r.EvaluatorID, DueOn: r.DueOn, CancelReason: r.CancelReason, Notes: r.Notes}
	if r.Declaration != nil {
		p.Declaration = &evaluation.Declaration{Conflict: r.Declaration.Conflict, Statement: r.Declaration.Statement}
	}
	var f apperr.Fields
	if r.Figures != nil {
		p.Figures = make([]evaluation.Entry, len(r.Figures))
		for i, e := range r.Figures {
			p.Figures[i] = evaluation.Entry{Code: e.Code, Note: e.Note}
			raw := bytes.TrimSpace(e.Actual)
			switch {
			case len(raw) == 0 || string(raw) == "null":
			case raw[0] == '"':
				var s string
				if err := json.Unmarshal(raw, &s); err != nil {
					f.Add(fmt.Sprintf("figures[%d].actual", i), "must be a number or a decimal string")
					continue
				}
				p.Figures[i].Actual = &s
			case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
				s := string(raw)
				p.Figures[i].Actual = &s
			default:
				f.Add(fmt.Sprintf("figures[%d].actual", i), "must be a number or a decimal string")
			}
		}
	}
	return p, f.Err()
}

type rectificationOrderRequest struct {
	Requirements string `json:"requirements"`
	Deadline     string `json:"deadline"`
}

type rectificationReportRequest struct {
	Report string `json:"report"`
}

// evaluationList is a contract's evaluations.
type evaluationList struct {
	Items []evaluation.Summary `json:"items"`
}

func (h *Handler) handleEvaluationList(c *fiber.Ctx) error {
	list, err := request.Read(c, h.Evaluations.List)
	if err != nil {
		return err
	}
	return c.JSON(evaluationList{Items: list})
}

func (h *Handler) handleEvaluationSchedule(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req evaluationScheduleRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Evaluations.Schedule(c.UserContext(), request.Actor(c), id, evaluation.ScheduleInput{Kind: req.Kind,
		PeriodStart: req.PeriodStart, PeriodEnd: req.PeriodEnd, DueOn: req.DueOn, EvaluatorID: req.EvaluatorID, ReevaluationOf: req.ReevaluationOf})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (h *Handler) handleEvaluationGet(c *fiber.Ctx) error {
	v, err := request.Read(c, h.Evaluations.Get)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleEvaluationUpdate(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req evaluationPatchRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	p, err := req.toPatch()
	if err != nil {
		return err
	}
	v, err := h.Evaluations.Update(c.UserContext(), request.Actor(c), id, p)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleEvaluationSubmit(c *fiber.Ctx) error {
	v, err := request.Read(c, h.Evaluations.Submit)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleRectificationOrder(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req rectificationOrderRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	r, err := h.Evaluations.OrderRectification(c.UserContext(), request.Actor(c), id,
		evaluation.RectificationInput{Requirements: req.Requirements, Deadline: req.Deadline})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (h *Handler) handleRectificationReport(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req rectificationReportRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	r, err := h.Evaluations.ReportRectification(c.UserContext(), request.Actor(c), id, req.Report)
	if err != nil {
		return err
	}
	return c.JSON(r)
}
