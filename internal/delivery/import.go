package delivery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// MaxImportRows is the most data rows one import takes.
const MaxImportRows = 10000

// MaxImportBytes is the largest import file, well above 10,000 ordinary rows
// (about 1 MB) and below the server's body limit.
const MaxImportBytes = 8 << 20

// Columns are the import file's columns, by their English names; the header
// may use these or the Chinese names of columnNames. notes is optional.
var Columns = []string{"date", "community", "service_type", "duration_minutes", "staff", "beneficiary_ref", "notes"}

// columnNames maps each accepted header (lower case) to its column.
var columnNames = map[string]string{
	"date": "date", "service_date": "date", "服务日期": "date", "日期": "date",
	"community": "community", "community_id": "community", "社区": "community",
	"service_type": "service_type", "服务类型": "service_type",
	"duration_minutes": "duration_minutes", "服务时长(分钟)": "duration_minutes", "服务时长（分钟）": "duration_minutes", "服务时长": "duration_minutes",
	"staff": "staff", "服务人员": "staff",
	"beneficiary_ref": "beneficiary_ref", "服务对象编号": "beneficiary_ref",
	"notes": "notes", "备注": "notes",
}

// inputColumn maps Input's field names (in check's errors) to the file's columns.
var inputColumn = map[string]string{"community_id": "community", "staff_user_id": "staff", "staff_name": "staff"}

// ErrImportInvalid is the code of an import refused for its content; the
// error's fields name each bad line (Line), column (Field) and reason.
var ErrImportInvalid = apperr.New(apperr.Unprocessable, "service_record.import_invalid", "the file has errors; nothing was imported")

// ErrImportTooLarge is returned for a file over MaxImportBytes.
var ErrImportTooLarge = apperr.New(apperr.TooLarge, "service_record.import_too_large", "the file is larger than 8 MiB")

// ImportResult is what an import recorded.
type ImportResult struct {
	Rows    int    `json:"rows"`
	SHA256  string `json:"sha256"`   // of the file as sent
	FirstID int64  `json:"first_id"` // the records' ids run from FirstID to LastID
	LastID  int64  `json:"last_id"`
}

// Import records the services of a CSV file on a contract, all or nothing,
// with the rules and roles of Record. The file is UTF-8 (with or without a
// byte-order mark) or else GB18030; its first line is a header naming the
// columns (Columns, or their Chinese names: 服务日期, 社区, 服务类型,
// 服务时长(分钟), 服务人员, 服务对象编号, 备注), in any order. community is
// the community's id, code or name; service_type the metric's code or Chinese
// name; staff a user id of the organization's staff (digits) or a person's
// name. Any bad line (or more than MaxImportRows rows) is ErrImportInvalid
// naming every bad line, column and reason, and nothing is written. One audit
// entry records the file's SHA-256 and its row count.
func (s *Service) Import(ctx context.Context, by access.Actor, contractID int64, data []byte) (ImportResult, error) {
	if len(data) > MaxImportBytes {
		return ImportResult{}, ErrImportTooLarge
	}
	sum := sha256.Sum256(data)
	res := ImportResult{SHA256: hex.EncodeToString(sum[:])}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := writableContract(tx, by, contractID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		rows, err := c.parse(data, civil.ChinaDate(now))
		if err != nil {
			return err
		}
		stamp(rows, by, now)
		if err := s.insert(tx, rows); err != nil {
			return err
		}
		res.Rows, res.FirstID, res.LastID = len(rows), rows[0].ID, rows[len(rows)-1].ID
		return audit.Record(tx, by, "service_record.import", "contract", contractID, map[string]any{
			"sha256": res.SHA256, "rows": res.Rows, "first_id": res.FirstID, "last_id": res.LastID})
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// decodeText returns data as UTF-8: without its byte-order mark, or decoded
// from GB18030 when it is not valid UTF-8.
func decodeText(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return data, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || !utf8.Valid(out) {
		return nil, errors.New("the file is neither UTF-8 nor GB18030 text")
	}
	return out, nil
}

// parse reads the file's rows as records of the contract, or returns
// ErrImportInvalid naming every bad line.
func (c *contractInfo) parse(data []byte, today civil.Date) ([]Record, error) {
	var bad []apperr.FieldError
	fail := func(line int, field, message string) {
		bad = append(bad, apperr.FieldError{Line: line, Field: field, Message: message})
	}
	invalid := func() error {
		e := *ErrImportInvalid
		e.Fields = bad
		return &e
	}
	text, err := decodeText(data)
	if err != nil {
		fail(1, "", err.Error())
		return nil, invalid()
	}
	r := csv.NewReader(bytes.NewReader(text))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		fail(1, "", "the file is empty: it needs a header line and at least one row")
		return nil, invalid()
	}
	if err != nil {
		fail(1, "", "the header line is not valid CSV")
		return nil, invalid()
	}
	index := map[string]int{}
	for i, h := range header {
		name, ok := columnNames[strings.ToLower(strings.TrimSpace(h))]
		switch {
		case !ok:
			fail(1, strings.TrimSpace(h), "is not a known column (known: "+strings.Join(Columns, ", ")+")")
		case index[name] != 0:
			fail(1, name, "appears twice")
		default:
			index[name] = i + 1 // 0 means absent
		}
	}
	for _, col := range Columns {
		if col != "notes" && index[col] == 0 {
			fail(1, col, "the column is missing")
		}
	}
	if len(bad) > 0 {
		return nil, invalid()
	}
	byCode, byName := map[string]int64{}, map[string]int64{}
	for _, m := range c.communities {
		byCode[m.Code], byName[m.NameZh] = m.ID, m.ID
	}
	types := map[string]string{}
	for _, t := range c.types {
		types[t.Code], types[t.NameZh] = t.Code, t.Code
	}
	rows := make([]Record, 0, min(MaxImportRows, bytes.Count(text, []byte("\n"))))
	count := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			fail(perr.StartLine, "", "the line is not valid CSV")
			break // the reader cannot find the next row reliably
		}
		if err != nil {
			return nil, fmt.Errorf("read import file: %w", err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if count++; count > MaxImportRows {
			fail(line, "", fmt.Sprintf("the file has more than %d rows", MaxImportRows))
			break
		}
		if len(rec) != len(header) {
			fail(line, "", fmt.Sprintf("has %d fields, the header %d", len(rec), len(header)))
			continue
		}
		cell := func(col string) string {
			if i := index[col]; i > 0 {
				return strings.TrimSpace(rec[i-1])
			}
			return ""
		}
		in := Input{Date: cell("date"), ServiceType: cell("service_type"), BeneficiaryRef: cell("beneficiary_ref"), Notes: cell("notes")}
		if code, ok := types[in.ServiceType]; ok {
			in.ServiceType = code
		}
		comm := cell("community")
		if id, err := strconv.ParseInt(comm, 10, 64); err == nil && c.hasCommunity(id) {
			in.CommunityID = id
		} else if id, ok := byCode[comm]; ok {
			in.CommunityID = id
		} else if id, ok := byName[comm]; ok {
			in.CommunityID = id
		}
		if d := cell("duration_minutes"); d != "" {
			n, err := strconv.Atoi(d)
			if err != nil {
				n = 0 // check names it
			}
			in.DurationMinutes = n
		}
		staff := cell("staff")
		if id, err := strconv.ParseInt(staff, 10, 64); err == nil {
			in.StaffUserID = &id
		} else {
			in.StaffName = staff
		}
		row := c.check(in, today, func(field, message string) {
			if col, ok := inputColumn[field]; ok {
				field = col
			}
			fail(line, field, message)
		})
		rows = append(rows, row)
	}
	if count == 0 && len(bad) == 0 {
		fail(2, "", "the file has no rows")
	}
	if len(bad) > 0 {
		return nil, invalid()
	}
	return rows, nil
}
