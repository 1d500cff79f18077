package server

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
)

// fundReaders read fund accounts (each within its scope).
var fundReaders = []access.Role{access.PlatformAdmin, access.DistrictAdmin, access.ProcurementOfficer, access.FinanceOfficer}

func (s *Server) fundRoutes(api fiber.Router) {
	api.Get("/fund-accounts", allow(fundReaders...), s.handleFundList)
	api.Post("/fund-accounts", allow(access.FinanceOfficer), s.handleFundCreate)
	api.Get("/fund-accounts/:id", allow(fundReaders...), s.handleFundGet)
	api.Post("/fund-accounts/:id/appropriations", allow(access.FinanceOfficer), s.handleAppropriate)
	api.Post("/fund-accounts/:id/corrections", allow(access.FinanceOfficer), s.handleCorrect)
	api.Get("/fund-accounts/:id/postings", allow(fundReaders...), s.handlePostings)
	api.Get("/reports/funds", allow(fundReaders...), s.handleFundReport)
	api.Get("/reports/community-funding-floor", allow(fundReaders...), s.handleFloorReport)
}

type fundRequest struct {
	FiscalYear       int      `json:"fiscal_year"`
	Source           string   `json:"source"`
	Name             string   `json:"name"`
	Categories       []string `json:"categories"`
	AcceptsDonations bool     `json:"accepts_donations"`
}

func (s *Server) handleFundList(c *fiber.Ctx) error {
	list, err := s.funds.List(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) handleFundCreate(c *fiber.Ctx) error {
	var req fundRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	v, err := s.funds.CreateAccount(c.UserContext(), actor(c), fund.AccountInput{FiscalYear: req.FiscalYear, Source: req.Source,
		Name: req.Name, Categories: req.Categories, AcceptsDonations: req.AcceptsDonations})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (s *Server) handleFundGet(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.funds.Get(c.UserContext(), actor(c), id)
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
func (s *Server) handleAppropriate(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req appropriationRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	if req.IdempotencyKey == "" {
		req.IdempotencyKey = strings.Clone(c.Get("Idempotency-Key"))
	}
	p, err := s.funds.Appropriate(c.UserContext(), actor(c), id, fund.AppropriationInput{Amount: req.AmountFen,
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

func (s *Server) handleCorrect(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req correctionRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	var f apperr.Fields
	f.Check(req.PostingID > 0, "posting_id", "is required")
	f.Check(strings.TrimSpace(req.Reason) != "", "reason", "is required")
	if err := f.Err(); err != nil {
		return err
	}
	p, err := s.funds.Correct(c.UserContext(), actor(c), id, req.PostingID, req.Reason)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

// handlePostings lists a fund's postings, filtered by kind and date range
// (from, until: YYYY-MM-DD in China time, both days included), as JSON or,
// with format=csv, as CSV.
func (s *Server) handlePostings(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var fields apperr.Fields
	f := fund.PostingFilter{Kind: c.Query("kind")}
	china := time.FixedZone("CST", 8*3600)
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"until", &f.Until}} {
		if v := c.Query(p.name); v != "" {
			t, err := time.ParseInLocation(time.DateOnly, v, china)
			fields.Check(err == nil, p.name, "must be a date (YYYY-MM-DD)")
			if p.name == "until" && err == nil {
				t = t.AddDate(0, 0, 1) // until names the last day included
			}
			*p.dst = t
		}
	}
	fields.Check(f.From.IsZero() || f.Until.IsZero() || f.From.Before(f.Until), "until", "must not be before from")
	fields.Check(f.Kind == "" || slices.Contains(fund.PostingKinds, f.Kind), "kind", "is not a kind of posting")
	limit, err := queryInt(c, "limit")
	fields.Check(err == nil && limit <= 5000, "limit", "must be a whole number from 1 to 5000")
	f.Limit = int(limit)
	format := c.Query("format", "json")
	if format == "csv" && f.Limit == 0 {
		f.Limit = 5000 // an export holds up to the maximum, not the page default
	}
	fields.Check(format == "json" || format == "csv", "format", "must be json or csv")
	if err := fields.Err(); err != nil {
		return err
	}
	list, err := s.funds.Postings(c.UserContext(), actor(c), id, f)
	if err != nil {
		return err
	}
	if format == "json" {
		return c.JSON(fiber.Map{"items": list})
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="fund-%d-postings.csv"`, id))
	return c.Send(postingsCSV(list))
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (s *Server) handleFundReport(c *fiber.Ctx) error {
	rows, err := s.funds.Utilisation(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	byCategory, err := s.funds.UtilisationByCategory(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": rows, "by_category": byCategory})
}

func (s *Server) handleFloorReport(c *fiber.Ctx) error {
	rows, err := s.funds.FloorReport(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": rows})
}
