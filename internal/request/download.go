package request

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/org"
)

// SendAttachment sends body as a download named name with its checked content
// type: never for the browser to render inline, never kept by a shared cache.
func SendAttachment(c *fiber.Ctx, contentType, name string, body []byte) error {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, ContentDisposition(name))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	return c.Send(body)
}

// ContentDisposition names a download with an ASCII fallback and the UTF-8
// name (RFC 6266, RFC 5987).
func ContentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name))
}

// SendCSV sends a table as a CSV download named name (SendAttachment): a
// header row, then rows, each cell made safe for a spreadsheet (CSVCell).
func SendCSV(c *fiber.Ctx, name string, header []string, rows [][]string) error {
	return SendAttachment(c, "text/csv; charset=utf-8", name, CSV(header, rows))
}

// CSV writes header and rows as CSV, each cell made safe for a spreadsheet
// (CSVCell).
func CSV(header []string, rows [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, row := range append([][]string{header}, rows...) {
		_ = w.Write(csvRow(row)) // a bytes.Buffer does not fail
	}
	w.Flush()
	return buf.Bytes()
}

// csvRow returns row with each cell made safe for a spreadsheet (CSVCell).
func csvRow(row []string) []string {
	safe := make([]string, len(row))
	for i, cell := range row {
		safe[i] = CSVCell(cell)
	}
	return safe
}

// plainNumber is a cell a spreadsheet reads as the number it shows.
var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// CSVCell keeps a spreadsheet from reading a cell as a formula: text that
// begins with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe; a plain number such as -500.00 stays as it is.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) && !plainNumber.MatchString(s) {
		return "'" + s
	}
	return s
}

// OpenDocument opens an organization's stored document for the actor: the
// signature of org.Service.OpenDocument.
type OpenDocument func(ctx context.Context, by access.Actor, orgID, docID int64) (org.Document, io.ReadCloser, error)

// SendDocument sends, as an attachment (SendAttachment), the document open
// finds for the organization named by the path parameter orgParam and the
// document named by "doc".
func SendDocument(c *fiber.Ctx, orgParam string, open OpenDocument) error {
	ids, err := ParamIDs(c, orgParam, "doc")
	if err != nil {
		return err
	}
	doc, rc, err := open(c.UserContext(), Actor(c), ids[0], ids[1])
	if err != nil {
		return err
	}
	return SendStored(c, doc, rc)
}

// SendStored sends a stored document read from rc, which it closes, as an
// attachment (SendAttachment) with its checked content type and name.
func SendStored(c *fiber.Ctx, doc org.Document, rc io.ReadCloser) error {
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("read document %d: %w", doc.ID, err)
	}
	return SendAttachment(c, doc.ContentType, doc.OriginalName, body)
}
