package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/request"
)

func (h *Handler) handleCertificationList(c *fiber.Ctx) error {
	districtID, err := request.QueryInt(c, "district_id")
	if err != nil {
		return err
	}
	status := c.Query("status")
	switch status {
	case "", "pending", "approved", "rejected", "suspended", "revoked", "active", "expired", "not_yet_valid":
	default:
		return apperr.InvalidField("status", "must be pending, approved, rejected, suspended, revoked, active, expired or not_yet_valid")
	}
	list, err := h.Orgs.ListCertifications(c.UserContext(), request.Actor(c), org.CertFilter{Status: status, DistrictID: districtID})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (h *Handler) handleCertificationGet(c *fiber.Ctx) error {
	cert, err := request.Read(c, h.Orgs.GetCertification)
	if err != nil {
		return err
	}
	return c.JSON(cert)
}

type applyRequest struct {
	DistrictID  int64    `json:"district_id"`
	Categories  []string `json:"categories"`
	Statement   string   `json:"statement"`
	DocumentIDs []int64  `json:"document_ids"`
}

func (h *Handler) handleCertificationApply(c *fiber.Ctx) error {
	var req applyRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	cert, err := h.Orgs.Apply(c.UserContext(), request.Actor(c), org.ApplyInput{
		DistrictID: req.DistrictID, Categories: req.Categories, Statement: req.Statement, DocumentIDs: req.DocumentIDs})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(cert)
}

type approveRequest struct {
	Grade                 int    `json:"grade"`
	ValidFrom             string `json:"valid_from"`
	ValidThrough          string `json:"valid_through"`
	VerifiedSocialWorkers *int   `json:"verified_social_workers"`
}

// dates parses the validity period, naming each malformed date.
func (r approveRequest) dates() (from, through civil.Date, err error) {
	var f apperr.Fields
	if r.ValidFrom != "" {
		from, err = civil.ParseDate(r.ValidFrom)
		f.Check(err == nil, "valid_from", "must be a date (YYYY-MM-DD)")
	}
	if r.ValidThrough != "" {
		through, err = civil.ParseDate(r.ValidThrough)
		f.Check(err == nil, "valid_through", "must be a date (YYYY-MM-DD)")
	}
	return from, through, f.Err()
}

func (h *Handler) handleCertificationApprove(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req approveRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	from, through, err := req.dates()
	if err != nil {
		return err
	}
	cert, err := h.Orgs.Approve(c.UserContext(), request.Actor(c), id, org.ApproveInput{Grade: req.Grade, ValidFrom: from, ValidThrough: through,
		VerifiedSocialWorkers: req.VerifiedSocialWorkers})
	if err != nil {
		return err
	}
	return c.JSON(cert)
}

type verifyRequest struct {
	VerifiedSocialWorkers *int `json:"verified_social_workers"`
}

// handleCertificationVerify records a district admin's re-verification of the
// organization's certified social workers.
func (h *Handler) handleCertificationVerify(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req verifyRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	cert, err := h.Orgs.VerifySocialWorkers(c.UserContext(), request.Actor(c), id, req.VerifiedSocialWorkers)
	if err != nil {
		return err
	}
	return c.JSON(cert)
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

// handleCertificationDecide rejects, suspends or revokes, each with a reason.
func (h *Handler) handleCertificationDecide(decision string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := request.ParamID(c, "id")
		if err != nil {
			return err
		}
		var req reasonRequest
		if err := request.DecodeStrict(c, &req); err != nil {
			return err
		}
		cert, err := h.Orgs.Decide(c.UserContext(), request.Actor(c), id, decision, req.Reason)
		if err != nil {
			return err
		}
		return c.JSON(cert)
	}
}

func (h *Handler) handlePublicOrganizations(c *fiber.Ctx) error {
	var fields apperr.Fields
	districtID, err := request.QueryInt(c, "district_id")
	fields.Check(err == nil, "district_id", "must be a positive whole number")
	page, err := request.QueryInt(c, "page")
	fields.Check(err == nil && page <= 100000, "page", "must be a whole number from 1")
	per, err := request.QueryInt(c, "per_page")
	fields.Check(err == nil && per <= 100, "per_page", "must be a whole number from 1 to 100")
	q := c.Query("q")
	fields.Check(len(q) <= 200, "q", "must be at most 200 bytes")
	if err := fields.Err(); err != nil {
		return err
	}
	res, err := h.Orgs.PublicCapable(c.UserContext(), org.CapableFilter{DistrictID: districtID, Category: c.Query("category"),
		Q: q, Page: int(page), PerPage: int(per)})
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// handlePublicOrganizationGet answers the public provider profile: the
// organization's certifications active today, its rating summaries and its
// track record, the same for everyone.
func (h *Handler) handlePublicOrganizationGet(c *fiber.Ctx) error {
	p, err := request.ReadPublic(c, h.Track.Profile)
	if err != nil {
		return err
	}
	return c.JSON(p)
}
