package api

import (
	"fmt"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/request"
)

// handleMilestoneList answers a contract's payment milestones with their
// payment rounds and totals.
func (h *Handler) handleMilestoneList(c *fiber.Ctx) error {
	v, err := request.Read(c, h.Milestones.List)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

type milestoneAcceptRequest struct {
	Note string `json:"note"`
}

// handleMilestoneAccept records the procurement officer's acceptance (验收).
func (h *Handler) handleMilestoneAccept(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req milestoneAcceptRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Milestones.Accept(c.UserContext(), request.Actor(c), id, req.Note)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// handleMilestoneApprove approves a milestone's accepted payment; it takes
// no body.
func (h *Handler) handleMilestoneApprove(c *fiber.Ctx) error {
	v, err := request.Read(c, h.Milestones.Approve)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

var errInvoiceMultipart = apperr.New(apperr.UnsupportedMediaType, "unsupported_media_type",
	`send the invoice as multipart/form-data: the file in "file", with "kind", "number" and "amount_fen"`)

// handleMilestoneInvoice takes the organization's invoice or receipt: a
// multipart form with the file and its kind, number and amount in fen.
func (h *Handler) handleMilestoneInvoice(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != fiber.MIMEMultipartForm {
		return errInvoiceMultipart
	}
	var f apperr.Fields
	in := milestone.InvoiceInput{Kind: strings.Clone(c.FormValue("kind")), Number: strings.Clone(c.FormValue("number"))}
	amount, err := strconv.ParseInt(strings.TrimSpace(c.FormValue("amount_fen")), 10, 64)
	f.Check(err == nil && amount > 0, "amount_fen", "must be a whole number of fen, more than zero")
	in.AmountFen = money.Fen(amount)
	fh, ferr := c.FormFile("file")
	f.Check(ferr == nil, "file", "is required: the invoice or receipt as a PDF, PNG or JPEG file")
	if err := f.Err(); err != nil {
		return err
	}
	file, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer file.Close()
	v, err := h.Milestones.AttachInvoice(c.UserContext(), request.Actor(c), id, in, strings.Clone(fh.Filename), file)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// handleMilestoneInvoiceDownload sends the invoice or receipt attached to a
// milestone as an attachment.
func (h *Handler) handleMilestoneInvoiceDownload(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	doc, rc, err := h.Milestones.InvoiceDocument(c.UserContext(), request.Actor(c), id)
	if err != nil {
		return err
	}
	return request.SendStored(c, doc, rc)
}
