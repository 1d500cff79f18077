package api

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/request"
)

type fundRequest struct {
	FiscalYear       int      `json:"fiscal_year"`
	Source           string   `json:"source"`
	Name             string   `json:"name"`
	Categories       []string `json:"categories"`
	AcceptsDonations bool     `json:"accepts_donations"`
}

func (h *Handler) handleFundList(c *fiber.Ctx) error {
	list, err := h.Funds.List(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (h *Handler) handleFundCreate(c *fiber.Ctx) error {
	var req fundRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Funds.CreateAccount(c.UserContext(), request.Actor(c), fund.AccountInput{FiscalYear: req.FiscalYear, Source: req.Source,
		Name: req.Name, Categories: req.Categories, AcceptsDonations: req.AcceptsDonations})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (h *Handler) handleFundGet(c *fiber.Ctx) error {
	v, err := request.Read(c, h.Funds.Get)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

type appropriationRequest struct {
	AmountFen      money.Fen `json:"amount_fen"`
	DocumentRef    string    `json:"document_ref"`
	Memo           string    `json:"memo"`
	IdempotencyKey string    `json:"idempotency_key"`
}

// handleAppropriate posts an appropriation. The idempotency key comes from the
// body or the Idempotency-Key header; a retried request with it posts once.
func (h *Handler) handleAppropriate(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req appropriationRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	if req.IdempotencyKey == "" {
		req.IdempotencyKey = strings.Clone(c.Get("Idempotency-Key"))
	}
	p, err := h.Funds.Appropriate(c.UserContext(), request.Actor(c), id, fund.AppropriationInput{Amount: req.AmountFen,
		DocumentRef: req.DocumentRef, Memo: req.Memo, IdempotencyKey: req.IdempotencyKey})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

type correctionRequest struct {
	PostingID int64  `json:"posting_id"`
	Reason    string `json:"reason"`
}

func (h *Handler) handleCorrect(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req correctionRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	var f apperr.Fields
	f.Check(req.PostingID > 0, "posting_id", "is required")
	f.Check(strings.TrimSpace(req.Reason) != "", "reason", "is required")
	if err := f.Err(); err != nil {
		return err
	}
	p, err := h.Funds.Correct(c.UserContext(), request.Actor(c), id, req.PostingID, req.Reason)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

// handlePostings lists a fund's postings, filtered by kind and date range
// (from, until: YYYY-MM-DD in China time, both days included), as JSON or,
// with format=csv, as CSV.
func (h *Handler) handlePostings(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var fields apperr.Fields
	f := fund.ParsePostingFilter(&fields, c.Query("kind"), c.Query("from"), c.Query("until"))
	limit, err := request.QueryInt(c, "limit")
	fields.Check(err == nil && limit <= fund.MaxPostings, "limit", fmt.Sprintf("must be a whole number from 1 to %d", fund.MaxPostings))
	f.Limit = int(limit)
	format := c.Query("format", "json")
	if format == "csv" && f.Limit == 0 {
		f.Limit = fund.MaxPostings // an export holds up to the maximum, not the page default
	}
	fields.Check(format == "json" || format == "csv", "format", "must be json or csv")
	if err := fields.Err(); err != nil {
		return err
	}
	list, err := h.Funds.Postings(c.UserContext(), request.Actor(c), id, f)
	if err != nil {
		return err
	}
	if format == "json" {
		return c.JSON(fiber.Map{"items": list})
	}
	header, rows := fund.PostingTable(list)
	return request.SendCSV(c, fmt.Sprintf("fund-%d-postings.csv", id), header, rows)
}

func (h *Handler) handleFundReport(c *fiber.Ctx) error {
	rows, err := h.Funds.Utilisation(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	byCategory, err := h.Funds.UtilisationByCategory(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	contracts, err := h.Contracts.MoneyReport(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": rows, "by_category": byCategory, "contracts": contracts})
}

func (h *Handler) handleFloorReport(c *fiber.Ctx) error {
	rows, err := h.Funds.FloorReport(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": rows})
}
