package request

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/fund"
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

// CSVSafe keeps a spreadsheet from reading a cell as a formula.
func CSVSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// PostingsCSV writes postings as CSV: one row per line.
func PostingsCSV(list []fund.Posting) []byte {
	china := time.FixedZone("CST", 8*60*60)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"posting_id", "created_at", "kind", "reference", "document_ref", "memo", "account", "amount_yuan"})
	for _, p := range list {
		for _, l := range p.Lines {
			_ = w.Write([]string{strconv.FormatInt(p.ID, 10), p.CreatedAt.In(china).Format(time.RFC3339), p.Kind,
				p.ReferenceType + ":" + p.ReferenceID, CSVSafe(p.DocumentRef), CSVSafe(p.Memo), l.Account, l.Amount.Yuan()})
		}
	}
	w.Flush()
	return buf.Bytes()
}
