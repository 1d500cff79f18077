package api

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/export"
	"github.com/jiedao-market/jiedao/internal/request"
)

// exportQuery is an export service method: it emits the file's rows for f.
type exportQuery func(ctx context.Context, f export.Filter, emit func([]string) error) error

// sendExport streams the CSV file name with header and the rows query emits,
// filtered by the query string (subdistrict, from, until, status: one of
// statuses); a bad filter answers 400 before anything is sent.
func sendExport(c *fiber.Ctx, log *slog.Logger, name string, header, statuses []string, query exportQuery) error {
	var bad apperr.Fields
	f := export.ParseFilter(&bad, c.Query("subdistrict"), c.Query("from"), c.Query("until"), c.Query("status"), statuses)
	if err := bad.Err(); err != nil {
		return err
	}
	return request.StreamCSV(c, log, name, header, func(ctx context.Context, emit func([]string) error) error {
		return query(ctx, f, emit)
	})
}

// handleExportTenders streams the published tenders as CSV.
func (h *Handler) handleExportTenders(c *fiber.Ctx) error {
	return sendExport(c, h.Log, "tenders.csv", export.TenderColumns, export.TenderStatuses, h.Exports.Tenders)
}

// handleExportAwards streams the proposed and final awards as CSV.
func (h *Handler) handleExportAwards(c *fiber.Ctx) error {
	return sendExport(c, h.Log, "awards.csv", export.AwardColumns, export.AwardStatuses, h.Exports.Awards)
}

// handleExportPayouts streams the payouts the caller may read as CSV.
func (h *Handler) handleExportPayouts(c *fiber.Ctx) error {
	by := request.Actor(c)
	return sendExport(c, h.Log, "payouts.csv", export.PayoutColumns, export.PayoutStates,
		func(ctx context.Context, f export.Filter, emit func([]string) error) error {
			return h.Exports.Payouts(ctx, by, f, emit)
		})
}

// handleExportContracts streams the signed contracts as CSV.
func (h *Handler) handleExportContracts(c *fiber.Ctx) error {
	return sendExport(c, h.Log, "contracts.csv", export.ContractColumns, export.ContractStatuses, h.Exports.Contracts)
}
