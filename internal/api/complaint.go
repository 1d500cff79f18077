package api

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/request"
)

type complaintRequest struct {
	RatingCode     string `json:"rating_code"`
	OrganizationID int64  `json:"organization_id"`
	CommunityID    int64  `json:"community_id"`
	Description    string `json:"description"`
	Contact        string `json:"contact"`
}

type complaintAssignRequest struct {
	ContractID int64 `json:"contract_id"`
}

type complaintRespondRequest struct {
	Response string `json:"response"`
}

type complaintDecideRequest struct {
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

// complaintPage is one page of complaints, in the envelope of the other lists.
type complaintPage struct {
	Items   []complaint.View `json:"items"`
	Total   int64            `json:"total"`
	Page    int              `json:"page"`
	PerPage int              `json:"per_page"`
}

func (h *Handler) handleComplaintFile(c *fiber.Ctx) error {
	var req complaintRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	r, err := h.Complaints.File(c.UserContext(), request.Actor(c), complaint.Input{RatingCode: req.RatingCode,
		OrganizationID: req.OrganizationID, CommunityID: req.CommunityID, Description: req.Description, Contact: req.Contact})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (h *Handler) handleComplaintFollow(c *fiber.Ctx) error {
	p, err := h.Complaints.Follow(c.UserContext(), c.Params("reference"))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// handleComplaintList lists the complaints the caller reads, filtered by
// status and overdue (true or false).
func (h *Handler) handleComplaintList(c *fiber.Ctx) error {
	status, overdue := c.Query("status"), c.Query("overdue")
	var fields apperr.Fields
	fields.Check(status == "" || slices.Contains(complaint.States, status), "status", "must be a complaint state")
	fields.Check(overdue == "" || overdue == "true" || overdue == "false", "overdue", "true or false")
	page, err := request.QueryInt(c, "page")
	fields.Check(err == nil && page <= 100000, "page", "must be a whole number from 1")
	per, err := request.QueryInt(c, "per_page")
	fields.Check(err == nil && per <= 100, "per_page", "must be a whole number from 1 to 100")
	if err := fields.Err(); err != nil {
		return err
	}
	p := complaintPage{Page: max(int(page), 1), PerPage: int(per)}
	if p.PerPage == 0 {
		p.PerPage = 20
	}
	f := complaint.Filter{Status: status, Offset: (p.Page - 1) * p.PerPage, Limit: p.PerPage}
	if overdue != "" {
		b := overdue == "true"
		f.Overdue = &b
	}
	items, total, err := h.Complaints.List(c.UserContext(), request.Actor(c), f)
	if err != nil {
		return err
	}
	p.Items, p.Total = items, total
	return c.JSON(p)
}

func (h *Handler) handleComplaintAssign(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req complaintAssignRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Complaints.Assign(c.UserContext(), request.Actor(c), id, req.ContractID)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleComplaintRespond(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req complaintRespondRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Complaints.Respond(c.UserContext(), request.Actor(c), id, req.Response)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleComplaintDecide(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req complaintDecideRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Complaints.Decide(c.UserContext(), request.Actor(c), id, req.Outcome, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(v)
}
