package api

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/request"
)

// contractPage is one page of contracts, in the envelope of the other lists.
type contractPage struct {
	Items   []contract.Summary `json:"items"`
	Total   int64              `json:"total"`
	Page    int                `json:"page"`
	PerPage int                `json:"per_page"`
}

func (h *Handler) handleContractList(c *fiber.Ctx) error {
	status := c.Query("status")
	var fields apperr.Fields
	fields.Check(status == "" || slices.Contains(contract.States, status), "status", "must be a contract state")
	fund, err := request.QueryInt(c, "fund_account_id")
	fields.Check(err == nil, "fund_account_id", "must be a positive whole number")
	page, err := request.QueryInt(c, "page")
	fields.Check(err == nil && page <= 100000, "page", "must be a whole number from 1")
	per, err := request.QueryInt(c, "per_page")
	fields.Check(err == nil && per <= 100, "per_page", "must be a whole number from 1 to 100")
	if err := fields.Err(); err != nil {
		return err
	}
	p := contractPage{Page: max(int(page), 1), PerPage: int(per)}
	if p.PerPage == 0 {
		p.PerPage = 20
	}
	items, total, err := h.Contracts.List(c.UserContext(), request.Actor(c), contract.Filter{Status: status, FundAccountID: fund,
		Offset: (p.Page - 1) * p.PerPage, Limit: p.PerPage})
	if err != nil {
		return err
	}
	p.Items, p.Total = items, total
	return c.JSON(p)
}

func (h *Handler) handleContractGet(c *fiber.Ctx) error {
	v, err := request.Read(c, h.Contracts.Get)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleContractUpdate(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req contract.Patch
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Contracts.Update(c.UserContext(), request.Actor(c), id, req)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// maxVersion bounds a version number in a path: no contract has more.
const maxVersion = 1_000_000

func (h *Handler) handleContractVersion(c *fiber.Ctx) error {
	ids, err := request.ParamIDs(c, "id", "version")
	if err != nil {
		return err
	}
	if ids[1] > maxVersion {
		return apperr.ErrNotFound
	}
	v, err := h.Contracts.Version(c.UserContext(), request.Actor(c), ids[0], int(ids[1]))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// handleContractSign signs for the caller's side; like the other actions
// without input (a tender's publication) it reads no body.
func (h *Handler) handleContractSign(c *fiber.Ctx) error {
	v, err := request.Read(c, h.Contracts.Sign)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleAmendmentPropose(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req contract.AmendmentInput
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	a, err := h.Contracts.ProposeAmendment(c.UserContext(), request.Actor(c), id, req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(a)
}

type amendmentDecisionRequest struct {
	Note string `json:"note"`
}

// handleAmendmentDecide accepts or rejects a proposed amendment.
func (h *Handler) handleAmendmentDecide(accept bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := request.ParamID(c, "id")
		if err != nil {
			return err
		}
		var req amendmentDecisionRequest
		if err := request.DecodeStrict(c, &req); err != nil {
			return err
		}
		a, err := h.Contracts.DecideAmendment(c.UserContext(), request.Actor(c), id, accept, req.Note)
		if err != nil {
			return err
		}
		return c.JSON(a)
	}
}

func (h *Handler) handleContractTerminate(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req contract.TerminateInput
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Contracts.Terminate(c.UserContext(), request.Actor(c), id, req)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handlePublicContractGet(c *fiber.Ctx) error {
	p, err := request.ReadPublic(c, h.Contracts.Public)
	if err != nil {
		return err
	}
	return c.JSON(p)
}
