package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

type residentSignupRequest struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
	CommunityID int64  `json:"community_id"`
	Locale      string `json:"locale"`
	Email       string `json:"email"`
}

// handleResidentSignup makes a resident account for an anonymous visitor;
// a signed-in caller is refused (an officer enters requests without one).
func (h *Handler) handleResidentSignup(c *fiber.Ctx) error {
	if request.Actor(c).Authenticated() {
		return apperr.ErrForbidden
	}
	var req residentSignupRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	r, err := h.ServiceRequests.SignupResident(c.UserContext(), servicerequest.ResidentSignup{Username: req.Username,
		Password: req.Password, DisplayName: req.DisplayName, CommunityID: req.CommunityID, Locale: req.Locale,
		Email: req.Email, RequestID: request.ID(c), ClientIP: request.ClientIP(c)})
	if err != nil {
		return err
	}
	h.sendVerification(c, r.User.ID)
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (h *Handler) handleMenu(c *fiber.Ctx) error {
	m, err := request.ReadPublic(c, h.ServiceRequests.Menu)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

type serviceRequestRequest struct {
	CommunityID  int64      `json:"community_id"`
	ContractID   int64      `json:"contract_id"`
	CategoryCode string     `json:"category_code"`
	Note         string     `json:"note"`
	PreferredAt  *time.Time `json:"preferred_at"`
	ContactName  string     `json:"contact_name"`
	ContactPhone string     `json:"contact_phone"`
}

func (h *Handler) handleServiceRequestCreate(c *fiber.Ctx) error {
	var req serviceRequestRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.ServiceRequests.Create(c.UserContext(), request.Actor(c), servicerequest.Input(req))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (h *Handler) handleServiceRequestList(c *fiber.Ctx) error {
	var fields apperr.Fields
	page, err := request.QueryInt(c, "page")
	fields.Check(err == nil && page <= 100000, "page", "must be a whole number from 1")
	per, err := request.QueryInt(c, "per_page")
	fields.Check(err == nil && per <= 100, "per_page", "must be a whole number from 1 to 100")
	if err := fields.Err(); err != nil {
		return err
	}
	p, err := h.ServiceRequests.List(c.UserContext(), request.Actor(c), servicerequest.Filter{Status: c.Query("status"),
		Page: int(page), PerPage: int(per)})
	if err != nil {
		return err
	}
	return c.JSON(p)
}

type acceptRequest struct {
	ScheduledAt *time.Time `json:"scheduled_at"`
}

func (h *Handler) handleServiceRequestAccept(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req acceptRequest
	if len(c.Body()) > 0 { // the body is optional: no schedule
		if err := request.DecodeStrict(c, &req); err != nil {
			return err
		}
	}
	v, err := h.ServiceRequests.Accept(c.UserContext(), request.Actor(c), id, req.ScheduledAt)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

type declineRequest struct {
	Reason string `json:"reason"`
}

func (h *Handler) handleServiceRequestDecline(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req declineRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.ServiceRequests.Decline(c.UserContext(), request.Actor(c), id, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

type fulfilRequest struct {
	ServiceRecordID int64 `json:"service_record_id"`
}

func (h *Handler) handleServiceRequestFulfil(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req fulfilRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.ServiceRequests.Fulfil(c.UserContext(), request.Actor(c), id, req.ServiceRecordID)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleDemandReport(c *fiber.Ctx) error {
	var fields apperr.Fields
	date := func(name string) civil.Date {
		v := c.Query(name)
		if v == "" {
			return civil.Date{}
		}
		d, err := civil.ParseDate(v)
		fields.Check(err == nil, name, "must be a date (YYYY-MM-DD)")
		return d
	}
	f := servicerequest.DemandFilter{From: date("from"), Until: date("until")}
	fields.Check(f.From.IsZero() || f.Until.IsZero() || !f.Until.Before(f.From), "until", "must not be before from")
	if err := fields.Err(); err != nil {
		return err
	}
	d, err := h.ServiceRequests.Demand(c.UserContext(), request.Actor(c), f)
	if err != nil {
		return err
	}
	return c.JSON(d)
}
