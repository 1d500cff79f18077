package request

import (
	"bufio"
	"context"
	"encoding/csv"
	"log/slog"

	"github.com/gofiber/fiber/v2"
)

// csvBOM is the UTF-8 byte order mark: spreadsheet tools read a CSV that
// starts with it as UTF-8, so Chinese text opens correctly.
const csvBOM = "\ufeff"

// CSVRows is a query that streams its rows: it calls emit once per row as it
// reads them and stops at the first error emit returns.
type CSVRows func(ctx context.Context, emit func(row []string) error) error

// StreamCSV sends a CSV download named name (the headers of SendAttachment):
// the UTF-8 byte order mark, the header row, then each row rows emits,
// written to the client as it is read, each cell made safe for a spreadsheet
// (CSVCell). Nothing is held in memory beyond the writer's buffer. The query
// runs after the handler returns, with the request's deadline but not its
// cancellation; an error then can no longer change the status, so it ends
// the body early (a client sees a truncated file, never a partial row) and
// is logged on log with the request's id.
func StreamCSV(c *fiber.Ctx, log *slog.Logger, name string, header []string, rows CSVRows) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, ContentDisposition(name))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	parent, requestID := c.UserContext(), ID(c)
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		ctx, cancel := context.WithoutCancel(parent), context.CancelFunc(func() {})
		if d, ok := parent.Deadline(); ok {
			ctx, cancel = context.WithDeadline(ctx, d)
		}
		defer cancel()
		if _, err := bw.WriteString(csvBOM); err != nil {
			return
		}
		w := csv.NewWriter(bw)
		emit := func(row []string) error {
			if err := w.Write(csvRow(row)); err != nil {
				return err
			}
			w.Flush() // hands the row to bw, which sends it when full
			return w.Error()
		}
		if emit(header) != nil {
			return
		}
		if err := rows(ctx, emit); err != nil && log != nil { // the status is already sent
			log.ErrorContext(ctx, "CSV download ended early", "file", name, "request_id", requestID, "error", err.Error())
		}
		w.Flush()
	})
	return nil
}
