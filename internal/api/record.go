package api

import (
	"mime"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/request"
)

type recordRequest struct {
	Date            string `json:"date"`
	CommunityID     int64  `json:"community_id"`
	ServiceType     string `json:"service_type"`
	DurationMinutes int    `json:"duration_minutes"`
	StaffUserID     *int64 `json:"staff_user_id"`
	StaffName       string `json:"staff_name"`
	BeneficiaryRef  string `json:"beneficiary_ref"`
	Notes           string `json:"notes"`
}

type recordCorrectionRequest struct {
	Date            *string `json:"date"`
	CommunityID     *int64  `json:"community_id"`
	ServiceType     *string `json:"service_type"`
	DurationMinutes *int    `json:"duration_minutes"`
	StaffUserID     *int64  `json:"staff_user_id"`
	StaffName       *string `json:"staff_name"`
	BeneficiaryRef  *string `json:"beneficiary_ref"`
	Notes           *string `json:"notes"`
	Reason          string  `json:"reason"`
}

// handleRecordList lists a contract's service records, filtered by service
// date (from, until: YYYY-MM-DD, both included), community_id and service_type.
func (h *Handler) handleRecordList(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var fields apperr.Fields
	f := delivery.ParseFilter(&fields, c.Query("from"), c.Query("until"), c.Query("service_type"))
	community, err := request.QueryInt(c, "community_id")
	fields.Check(err == nil, "community_id", "must be a positive whole number")
	page, err := request.QueryInt(c, "page")
	fields.Check(err == nil && page <= 100000, "page", "must be a whole number from 1")
	per, err := request.QueryInt(c, "per_page")
	fields.Check(err == nil && per <= 100, "per_page", "must be a whole number from 1 to 100")
	if err := fields.Err(); err != nil {
		return err
	}
	f.CommunityID, f.Page, f.PerPage = community, int(page), int(per)
	list, err := h.Records.List(c.UserContext(), request.Actor(c), id, f)
	if err != nil {
		return err
	}
	return c.JSON(list)
}

func (h *Handler) handleRecordCreate(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req recordRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Records.Record(c.UserContext(), request.Actor(c), id, delivery.Input{Date: req.Date, CommunityID: req.CommunityID,
		ServiceType: req.ServiceType, DurationMinutes: req.DurationMinutes, StaffUserID: req.StaffUserID, StaffName: req.StaffName,
		BeneficiaryRef: req.BeneficiaryRef, Notes: req.Notes})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (h *Handler) handleRecordCorrect(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req recordCorrectionRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Records.Correct(c.UserContext(), request.Actor(c), id, delivery.Correction{Date: req.Date, CommunityID: req.CommunityID,
		ServiceType: req.ServiceType, DurationMinutes: req.DurationMinutes, StaffUserID: req.StaffUserID, StaffName: req.StaffName,
		BeneficiaryRef: req.BeneficiaryRef, Notes: req.Notes, Reason: req.Reason})
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// errCSVContentType refuses an import body that is not sent as text/csv.
var errCSVContentType = apperr.New(apperr.UnsupportedMediaType, "unsupported_media_type", "send the file as the body, as text/csv")

// handleRecordImport imports the CSV file sent as the request body (text/csv).
// The body is only read here; Import keeps nothing of it.
func (h *Handler) handleRecordImport(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != "text/csv" {
		return errCSVContentType
	}
	res, err := h.Records.Import(c.UserContext(), request.Actor(c), id, c.Body())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(res)
}
