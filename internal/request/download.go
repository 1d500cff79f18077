package request

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"
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
		safe := make([]string, len(row))
		for i, cell := range row {
			safe[i] = CSVCell(cell)
		}
		_ = w.Write(safe) // a bytes.Buffer does not fail
	}
	w.Flush()
	return buf.Bytes()
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
