package ui

import (
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"mime"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/request"
)

// qrImage is a QR code as inline SVG, and the address it holds.
type qrImage struct {
	SVG template.HTML
	URL string
}

// newQR encodes text (a rating address) as a QR code drawn in SVG, one unit
// per module with its quiet zone, for print at any size.
func newQR(text string) (qrImage, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return qrImage{}, fmt.Errorf("qr code: %w", err)
	}
	bits := q.Bitmap()
	n := len(bits)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="%s">`,
		n, n, html.EscapeString(text))
	fmt.Fprintf(&b, `<path fill="#fff" d="M0 0h%dv%dH0z"/><path fill="#000" d="`, n, n)
	for y, row := range bits {
		for x, on := range row {
			if on {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	// Only numbers and the escaped address went in: the markup is ours.
	return qrImage{SVG: template.HTML(b.String()), URL: text}, nil
}

// importColumn documents one column of the import file.
type importColumn struct {
	Name     string // as delivery.Columns names it
	Key      string // the message describing it
	Optional bool
}

// importProblem is one line of an import's error report.
type importProblem struct {
	Line   int
	Column string
	Reason string // in the page's language
	Detail string // the service's own words, which name values and ranges
}

type importView struct {
	Contract contractTerms
	Columns  []importColumn
	Report   []importProblem
	Alert    formAlert
	Example  string
}

// importFields maps the file's columns to the record form's fields, whose
// messages say what a column needs.
var importFields = map[string]string{"date": "date", "community": "community_id", "service_type": "service_type",
	"duration_minutes": "duration_minutes", "staff": "staff_name", "beneficiary_ref": "beneficiary_ref", "notes": "notes"}

func (h *Handler) renderImport(c *fiber.Ctx, status int, id int64, report []importProblem, alert formAlert) error {
	t, err := h.terms(c, id)
	if err != nil {
		return err
	}
	if !t.Writable {
		return delivery.ErrContractNotActive
	}
	v := importView{Contract: t, Report: report, Alert: alert}
	for _, col := range delivery.Columns {
		v.Columns = append(v.Columns, importColumn{Name: col, Key: "records.column." + col, Optional: col == "notes"})
	}
	community, serviceType := "", ""
	if len(t.Communities) > 0 {
		community = t.Communities[0].Label
	}
	if len(t.Types) > 0 {
		serviceType = t.Types[0].Value
	}
	v.Example = strings.Join([]string{strings.Join(delivery.Columns, ","),
		strings.Join([]string{civil.ChinaDate(h.clock.Now()).String(), community, serviceType, "60", "王丽", "NJ-0001", "助浴"}, ",")}, "\n")
	return h.render(c, status, "records_import", v)
}

func (h *Handler) handleImportPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderImport(c, fiber.StatusOK, id, nil, formAlert{})
}

func (h *Handler) handleImportSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	lang := language(c)
	refuse := func(status int, key string) error {
		return h.renderImport(c, status, id, nil, h.fieldAlert(c, "import-file", h.pages.translate(lang, "records.import_file"), key))
	}
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != fiber.MIMEMultipartForm {
		return refuse(fiber.StatusBadRequest, "records.import_missing")
	}
	fh, err := c.FormFile("file")
	if err != nil || (fh.Filename == "" && fh.Size == 0) {
		return refuse(fiber.StatusBadRequest, "records.import_missing")
	}
	if fh.Size > delivery.MaxImportBytes {
		return refuse(fiber.StatusRequestEntityTooLarge, "records.import_too_large")
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, delivery.MaxImportBytes+1))
	if err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	res, err := h.Records.Import(c.UserContext(), request.Actor(c), id, data)
	if errors.Is(err, delivery.ErrImportTooLarge) {
		return refuse(fiber.StatusRequestEntityTooLarge, "records.import_too_large")
	}
	if e, ok := apperr.As(err); ok && e.Code == delivery.ErrImportInvalid.Code {
		report := make([]importProblem, 0, len(e.Fields))
		for _, fe := range e.Fields {
			p := importProblem{Line: fe.Line, Column: fe.Field, Reason: fe.Message}
			if field, known := importFields[fe.Field]; known && fe.Line > 1 {
				p.Reason, _ = h.pages.lookup(lang, "fielderr.record."+field)
				p.Detail = fe.Message
			}
			report = append(report, p)
		}
		alert := formAlert{Message: fmt.Sprintf(h.pages.translate(lang, "records.import_invalid"), len(report))}
		return h.renderImport(c, fiber.StatusUnprocessableEntity, id, report, alert)
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("%s?done=imported&rows=%d", recordsPath(id), res.Rows), fiber.StatusSeeOther)
}

// handleImportTemplate downloads an empty import file: the header row.
func (h *Handler) handleImportTemplate(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.terms(c, id); err != nil {
		return err
	}
	return request.SendCSV(c, "service-records-template.csv", delivery.Columns, nil)
}

// slip is one rating code as the print sheet shows it: never the
// beneficiary reference.
type slip struct {
	Date      string
	Type      string
	Community string
	Code      string
	Expires   string
	QR        qrImage
}

type printView struct {
	Contract      contractTerms
	Date          string // as typed
	Today         string
	Slips         []slip
	Alert         formAlert
	InstructionZh string
	InstructionEn string
}

// printBatch is how many records the sheet reads at a time (List's most).
const printBatch = 100

// handlePrintSheet shows the rating codes of a day's services as slips on
// A4 pages: the date chosen (YYYY-MM-DD), today by default.
func (h *Handler) handlePrintSheet(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	t, err := h.terms(c, id)
	if err != nil {
		return err
	}
	today := civil.ChinaDate(h.clock.Now())
	v := printView{Contract: t, Date: cutRunes(strings.TrimSpace(strings.Clone(c.Query("date"))), 40), Today: today.String(),
		InstructionZh: h.pages.translate("zh-CN", "records.print_instruction"), InstructionEn: h.pages.translate("en", "records.print_instruction")}
	if v.Date == "" {
		v.Date = v.Today
	}
	day, err := civil.ParseDate(v.Date)
	if err != nil {
		v.Alert = h.fieldAlert(c, "print-date", h.pages.translate(language(c), "records.print_date"), "records.print_date_invalid")
		return h.render(c, fiber.StatusBadRequest, "records_print", v)
	}
	var views []delivery.View
	for page := 1; ; page++ {
		p, err := h.Records.List(c.UserContext(), request.Actor(c), id, delivery.Filter{From: day, Until: day, Page: page, PerPage: printBatch})
		if err != nil {
			return err
		}
		views = append(views, p.Items...)
		if len(p.Items) < printBatch || len(views) >= p.Total {
			break
		}
	}
	slices.Reverse(views) // in the order they were recorded
	for _, r := range views {
		if r.RatingCode == nil {
			continue
		}
		qr, err := newQR(h.rateURL(c, r.RatingCode.Code))
		if err != nil {
			return err
		}
		v.Slips = append(v.Slips, slip{Date: r.ServiceDate.String(), Type: t.typeName(r.ServiceType), Community: t.communityName(r.CommunityID),
			Code: formatCode(r.RatingCode.Code), Expires: showTime(&r.RatingCode.ExpiresAt), QR: qr})
	}
	return h.render(c, fiber.StatusOK, "records_print", v)
}

// rowsImported reads the count a finished import's redirect carries.
func rowsImported(c *fiber.Ctx) int {
	n, err := strconv.Atoi(c.Query("rows"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
