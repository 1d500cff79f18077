package ui

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/request"
)

// recordReaders may open a contract's list of service records: the
// organization's staff, and read-only the subdistrict's officers.
var recordReaders = []access.Role{access.OrgAdmin, access.OrgMember, access.ProcurementOfficer, access.FinanceOfficer}

// recordsPath is the page of a contract's service records, the address the
// contract's page links to.
func recordsPath(contractID int64) string { return fmt.Sprintf("/contracts/%d/records", contractID) }

// recordPath is the page of one service record, with its rating code and
// correction form.
func recordPath(recordID int64) string { return fmt.Sprintf("/service-records/%d", recordID) }

// option is one choice of a select.
type option struct {
	Value string
	Label string
}

// contractTerms is what the record pages show and offer of a contract: its
// communities and its service types (metrics counted from service records).
type contractTerms struct {
	contract.View
	Records     string // recordsPath
	Writable    bool   // signed or active: services can be recorded
	Communities []option
	Types       []option
	community   map[int64]string
	serviceType map[string]string
}

// terms reads the contract id as the caller may see it (another's is
// apperr.ErrNotFound).
func (h *Handler) terms(c *fiber.Ctx, id int64) (contractTerms, error) {
	v, err := h.Contracts.Get(c.UserContext(), request.Actor(c), id)
	if err != nil {
		return contractTerms{}, err
	}
	lang := language(c)
	t := contractTerms{View: v, Records: recordsPath(v.ID), Writable: v.Status == contract.StatusSigned || v.Status == contract.StatusActive,
		community: map[int64]string{}, serviceType: map[string]string{}}
	for _, m := range v.Communities {
		id := strconv.FormatInt(m.ID, 10)
		t.Communities = append(t.Communities, option{Value: id, Label: m.Name})
		t.community[m.ID] = m.Name
	}
	for _, m := range v.Metrics {
		if m.Source != "service_records" {
			continue
		}
		name := pick(lang, m.NameZh, m.NameEn)
		t.Types = append(t.Types, option{Value: m.Code, Label: fmt.Sprintf("%s (%s)", name, m.Unit)})
		t.serviceType[m.Code] = name
	}
	return t, nil
}

// typeName names a service type, or shows its code when the contract no longer has it.
func (t contractTerms) typeName(code string) string {
	if n, ok := t.serviceType[code]; ok {
		return n
	}
	return code
}

// communityName names a community, or shows its id.
func (t contractTerms) communityName(id int64) string {
	if n, ok := t.community[id]; ok {
		return n
	}
	return "#" + strconv.FormatInt(id, 10)
}

// staffMembers returns the organization's active staff as a select's
// choices, and their names by id.
func (h *Handler) staffMembers(c *fiber.Ctx) ([]option, map[int64]string, error) {
	a := request.Actor(c)
	names := map[int64]string{}
	if !a.Is(access.OrgStaff...) {
		return nil, names, nil
	}
	users, err := h.Orgs.ListMembers(c.UserContext(), a, a.Scope.OrganizationID)
	if err != nil {
		return nil, nil, err
	}
	var out []option
	for _, u := range users {
		name := u.DisplayName
		if name == "" {
			name = u.Username
		}
		names[u.ID] = name
		if u.Status == "active" && slices.Contains(access.OrgStaff, u.Role) {
			out = append(out, option{Value: strconv.FormatInt(u.ID, 10), Label: name})
		}
	}
	return out, names, nil
}

// formatCode shows a rating code in two groups of five: XXXXX-XXXXX.
func formatCode(code string) string {
	if len(code) != delivery.CodeLength {
		return code
	}
	return code[:5] + "-" + code[5:]
}

// rateURL is the public address where the resident served rates the service
// with code: the configured public URL, else this request's.
func (h *Handler) rateURL(c *fiber.Ctx, code string) string {
	base := strings.TrimRight(h.cfg.HTTP.PublicURL, "/")
	if base == "" {
		base = c.BaseURL()
	}
	return base + "/rate?code=" + url.QueryEscape(code)
}

// recordRow is a service record as the pages list it.
type recordRow struct {
	delivery.View
	Href        string
	Community   string
	Type        string
	Staff       string
	Code        string // formatted; "" for those who do not see it
	Expires     string
	Used        bool
	Correctable bool
}

func (h *Handler) recordRow(c *fiber.Ctx, t contractTerms, staff map[int64]string, v delivery.View) recordRow {
	r := recordRow{View: v, Community: t.communityName(v.CommunityID), Type: t.typeName(v.ServiceType)}
	switch {
	case v.StaffName != nil:
		r.Staff = *v.StaffName
	case v.StaffUserID != nil && staff[*v.StaffUserID] != "":
		r.Staff = staff[*v.StaffUserID]
	case v.StaffUserID != nil:
		r.Staff = fmt.Sprintf(h.pages.translate(language(c), "records.staff_account"), *v.StaffUserID)
	}
	if v.RatingCode != nil {
		r.Href = recordPath(v.ID)
		r.Code, r.Expires, r.Used = formatCode(v.RatingCode.Code), showTime(&v.RatingCode.ExpiresAt), v.RatingCode.Used
		r.Correctable = t.Writable && h.clock.Now().Before(v.CorrectableUntil)
	}
	return r
}

// recordFilterForm is the list's filter as typed.
type recordFilterForm struct {
	From, Until, ServiceType string
}

type recordsView struct {
	Contract contractTerms
	CanWrite bool // the organization's staff, on a signed or active contract
	IsOrg    bool
	Filter   recordFilterForm
	Rows     []recordRow
	Total    int
	Page     int
	Pages    int
	Prev     string
	Next     string
	Alert    formAlert
	Done     string
	Imported int // rows, when Done is imported
	Today    string
}

// recordsDone are the outcomes a redirect to the list may announce.
var recordsDone = []string{"recorded", "imported", "corrected"}

func (h *Handler) handleRecordsPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	t, err := h.terms(c, id)
	if err != nil {
		return err
	}
	a, lang := request.Actor(c), language(c)
	query := func(k string) string { return strings.TrimSpace(strings.Clone(c.Query(k))) }
	typed := recordFilterForm{From: query("from"), Until: query("until"), ServiceType: query("service_type")}
	var bad apperr.Fields
	f := delivery.ParseFilter(&bad, typed.From, typed.Until, typed.ServiceType)
	typed = recordFilterForm{From: cutRunes(typed.From, 40), Until: cutRunes(typed.Until, 40), ServiceType: cutRunes(typed.ServiceType, 64)}
	f.Page, _ = strconv.Atoi(c.Query("page"))
	status := fiber.StatusOK
	v := recordsView{Contract: t, IsOrg: a.Is(access.OrgStaff...), Filter: typed, Today: civil.ChinaDate(h.clock.Now()).String()}
	v.CanWrite = v.IsOrg && t.Writable
	if err := bad.Err(); err != nil {
		s, alert, ok := h.formProblem(c, inForm(err, "records."), func(field string) (string, string) {
			return strings.ReplaceAll(field, ".", "-"), h.pages.translate(lang, field)
		})
		if !ok {
			return err
		}
		status, v.Alert = s, alert
	}
	page, err := h.Records.List(c.UserContext(), a, id, f)
	if err != nil {
		return err
	}
	_, staff, err := h.staffMembers(c)
	if err != nil {
		return err
	}
	for _, r := range page.Items {
		v.Rows = append(v.Rows, h.recordRow(c, t, staff, r))
	}
	v.Total, v.Page = page.Total, page.Page
	v.Pages = max(1, (page.Total+page.PerPage-1)/page.PerPage)
	link := func(n int) string {
		q := url.Values{}
		for k, s := range map[string]string{"from": typed.From, "until": typed.Until, "service_type": typed.ServiceType} {
			if s != "" {
				q.Set(k, s)
			}
		}
		q.Set("page", strconv.Itoa(n))
		return t.Records + "?" + q.Encode()
	}
	if v.Page > 1 {
		v.Prev = link(v.Page - 1)
	}
	if v.Page < v.Pages {
		v.Next = link(v.Page + 1)
	}
	if done := c.Query("done"); status == fiber.StatusOK && slices.Contains(recordsDone, done) {
		v.Done, v.Imported = done, rowsImported(c)
	}
	return h.render(c, status, "records", v)
}

// recordForm is the record form as typed.
type recordForm struct {
	Date, CommunityID, ServiceType, DurationMinutes, StaffUserID, StaffName, BeneficiaryRef, Notes, Reason string
}

// readRecordForm reads the posted record form; a number that does not parse
// is passed on as 0, for the service to name the field.
func readRecordForm(c *fiber.Ctx) recordForm {
	v := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	return recordForm{Date: v("date"), CommunityID: v("community_id"), ServiceType: v("service_type"), DurationMinutes: v("duration_minutes"),
		StaffUserID: v("staff_user_id"), StaffName: v("staff_name"), BeneficiaryRef: v("beneficiary_ref"), Notes: v("notes"), Reason: v("reason")}
}

func (f recordForm) input() delivery.Input {
	in := delivery.Input{Date: f.Date, ServiceType: f.ServiceType, StaffName: f.StaffName, BeneficiaryRef: f.BeneficiaryRef, Notes: f.Notes}
	in.CommunityID, _ = strconv.ParseInt(f.CommunityID, 10, 64)
	in.DurationMinutes, _ = strconv.Atoi(f.DurationMinutes)
	if f.StaffUserID != "" {
		id, err := strconv.ParseInt(f.StaffUserID, 10, 64)
		if err != nil {
			id = 0 // not a member: the service names the field
		}
		in.StaffUserID = &id
	}
	return in
}

// correction is the correction the form describes: every field as posted
// (the service keeps what did not change), the staff as chosen or typed.
func (f recordForm) correction() delivery.Correction {
	in := f.input()
	out := delivery.Correction{Date: &in.Date, CommunityID: &in.CommunityID, ServiceType: &in.ServiceType, DurationMinutes: &in.DurationMinutes,
		BeneficiaryRef: &in.BeneficiaryRef, Notes: &in.Notes, Reason: f.Reason}
	if in.StaffUserID != nil {
		out.StaffUserID = in.StaffUserID
	}
	if f.StaffName != "" || in.StaffUserID == nil {
		out.StaffName = &in.StaffName
	}
	return out
}

// recordFormOf is the form filled with a record's values, for its correction.
func recordFormOf(v delivery.View) recordForm {
	f := recordForm{Date: v.ServiceDate.String(), CommunityID: strconv.FormatInt(v.CommunityID, 10), ServiceType: v.ServiceType,
		DurationMinutes: strconv.Itoa(v.DurationMinutes), Notes: v.Notes}
	if v.StaffUserID != nil {
		f.StaffUserID = strconv.FormatInt(*v.StaffUserID, 10)
	}
	if v.StaffName != nil {
		f.StaffName = *v.StaffName
	}
	if v.BeneficiaryRef != nil {
		f.BeneficiaryRef = *v.BeneficiaryRef
	}
	return f
}

// recordFields is what the record form's inputs show: the new record's
// form (prefix record-) and the correction form (prefix correct-) share them.
type recordFields struct {
	Prefix   string
	Form     recordForm
	Alert    formAlert
	Contract contractTerms
	Members  []option
	Today    string
	Reason   bool // the correction's reason
}

// recordLabel names the record form's fields: the input's id is prefix and
// the field, its label the message records.field.<field>.
func (h *Handler) recordLabel(c *fiber.Ctx, prefix string) fieldLabel {
	lang := language(c)
	return func(field string) (string, string) {
		name := strings.TrimPrefix(field, "record.")
		if name == "staff_user_id" {
			name = "staff_name" // one field for the member chosen or the name typed
		}
		return prefix + name, h.pages.translate(lang, "records.field."+name)
	}
}

func (h *Handler) renderRecordForm(c *fiber.Ctx, status int, id int64, f recordForm, alert formAlert) error {
	t, err := h.terms(c, id)
	if err != nil {
		return err
	}
	if !t.Writable {
		return delivery.ErrContractNotActive
	}
	members, _, err := h.staffMembers(c)
	if err != nil {
		return err
	}
	today := civil.ChinaDate(h.clock.Now()).String()
	if f.Date == "" && status == fiber.StatusOK {
		f.Date = today
	}
	return h.render(c, status, "records_record", recordPageView{Contract: t, Alert: alert,
		Fields: recordFields{Prefix: "record-", Form: f, Alert: alert, Contract: t, Members: members, Today: today}})
}

func (h *Handler) handleRecordNewPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderRecordForm(c, fiber.StatusOK, id, recordForm{}, formAlert{})
}

func (h *Handler) handleRecordSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	f := readRecordForm(c)
	v, err := h.Records.Record(c.UserContext(), request.Actor(c), id, f.input())
	if err != nil {
		status, alert, ok := h.formProblem(c, inForm(err, "record."), h.recordLabel(c, "record-"))
		if !ok {
			return err
		}
		return h.renderRecordForm(c, status, id, f, alert)
	}
	return c.Redirect(recordPath(v.ID)+"?done=recorded", fiber.StatusSeeOther)
}

// recordPageView is the page of a new record's form, or of a record with its
// rating code, corrections and correction form.
type recordPageView struct {
	Contract    contractTerms
	Record      *recordRow // nil on the new record's form
	QR          qrImage
	Revisions   []revisionRow
	Fields      recordFields
	Alert       formAlert
	Correctable bool
	Until       string
	Done        string
}

// revisionRow is a correction as the record page shows it.
type revisionRow struct {
	delivery.Revision
	At        string
	Community string
	Type      string
	Staff     string
}

func (h *Handler) renderRecord(c *fiber.Ctx, status int, recordID int64, f *recordForm, alert formAlert) error {
	d, err := h.Records.Get(c.UserContext(), request.Actor(c), recordID)
	if err != nil {
		return err
	}
	t, err := h.terms(c, d.ContractID)
	if err != nil {
		return err
	}
	members, staff, err := h.staffMembers(c)
	if err != nil {
		return err
	}
	row := h.recordRow(c, t, staff, d.View)
	v := recordPageView{Contract: t, Record: &row, Alert: alert, Until: showTime(&d.CorrectableUntil), Correctable: row.Correctable,
		Fields: recordFields{Prefix: "correct-", Alert: alert, Contract: t, Members: members,
			Today: civil.ChinaDate(h.clock.Now()).String(), Reason: true}}
	if d.RatingCode != nil {
		if v.QR, err = newQR(h.rateURL(c, d.RatingCode.Code)); err != nil {
			return err
		}
	}
	for _, r := range d.Revisions {
		row := revisionRow{Revision: r, At: showTime(&r.RevisedAt), Type: t.typeName(r.Previous.ServiceType),
			Community: t.communityName(r.Previous.CommunityID)}
		if r.Previous.StaffName != nil {
			row.Staff = *r.Previous.StaffName
		} else if r.Previous.StaffUserID != nil {
			row.Staff = h.recordRow(c, t, staff, delivery.View{StaffUserID: r.Previous.StaffUserID}).Staff
		}
		v.Revisions = append(v.Revisions, row)
	}
	if f != nil {
		v.Fields.Form = *f
	} else {
		v.Fields.Form = recordFormOf(d.View)
	}
	if done := c.Query("done"); status == fiber.StatusOK && slices.Contains(recordsDone, done) {
		v.Done = done
	}
	return h.render(c, status, "records_record", v)
}

func (h *Handler) handleRecordPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderRecord(c, fiber.StatusOK, id, nil, formAlert{})
}

func (h *Handler) handleCorrectSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	f := readRecordForm(c)
	if _, err := h.Records.Correct(c.UserContext(), request.Actor(c), id, f.correction()); err != nil {
		if errors.Is(err, delivery.ErrNoChange) {
			alert := formAlert{Message: h.pages.translate(language(c), "records.no_change")}
			return h.renderRecord(c, fiber.StatusBadRequest, id, &f, alert)
		}
		status, alert, ok := h.formProblem(c, inForm(err, "record."), h.recordLabel(c, "correct-"))
		if !ok {
			return err
		}
		return h.renderRecord(c, status, id, &f, alert)
	}
	return c.Redirect(recordPath(id)+"?done=corrected#revisions", fiber.StatusSeeOther)
}
