package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// idNumberRef is a well-formed resident ID number (its check character
// right): what a beneficiary reference must never be.
const idNumberRef = "11010519491231002X"

var recordCode = regexp.MustCompile(`<p class="code" id="record-code"><code>([0-9A-Z]{5}-[0-9A-Z]{5})</code>`)

// recordForm is a valid record form of the contract, on day.
func recordForm(token string, c servertest.Contract, day civil.Date, ref string) url.Values {
	return url.Values{"csrf_token": {token}, "date": {day.String()}, "community_id": {fmt.Sprint(c.Communities[0])},
		"service_type": {"service_visits"}, "duration_minutes": {"90"}, "staff_name": {"王丽"}, "beneficiary_ref": {ref}, "notes": {"助浴一次"}}
}

// The organization's admin records a service through the form: the record's
// page shows its rating code, expiry and QR code; an ID-number-shaped
// reference is refused next to its field and writes nothing; a correction
// keeps the old values with its reason; the officer reads the list without
// codes, and another organization finds no such contract.
func TestPagesRecordService(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	today := civil.ChinaDate(e.Clock.Now())
	org := servertest.SignIn(t, e, "demo-org")
	list := fmt.Sprintf("/contracts/%d/records", c.ID)

	form := org.Get(t, list+"/new")
	wantStatus(t, "GET "+list+"/new", form, http.StatusOK)
	wantBody(t, "GET "+list+"/new", form, `id="record-community_id"`, "上门服务人次", "志愿服务时长", `id="record-staff_user_id"`,
		`value="`+today.String()+`"`)
	wantNoBody(t, "GET "+list+"/new", form, "服务对象满意度") // counted from ratings, not records
	token := servertest.CSRFToken(t, form)

	before := servertest.Count(t, e, "service_records")
	r := org.Post(t, list, recordForm(token, c, today, idNumberRef))
	wantFormAlert(t, "POST "+list+" with an ID number", r, http.StatusBadRequest, "record-beneficiary_ref")
	wantBody(t, "POST "+list+" with an ID number", r, `<p class="field-error">请填写化名编号`, `value="`+idNumberRef+`"`, `value="王丽"`)
	if n := servertest.Count(t, e, "service_records"); n != before {
		t.Errorf("a refused record wrote rows: service_records %d → %d", before, n)
	}

	r = org.Post(t, list, recordForm(token, c, today, "NJ-0001"))
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/service-records/") {
		t.Fatalf("POST %s = %d Location %q, want 303 to the record", list, r.Status, r.Header.Get("Location"))
	}
	page := org.Get(t, r.Header.Get("Location"))
	wantStatus(t, "GET the record", page, http.StatusOK)
	wantBody(t, "GET the record", page, "服务已记录", `<svg class="qr"`, "有效期至", "/rate?code=", "NJ-0001", `id="correct-reason"`)
	m := recordCode.FindSubmatch(page.Body)
	if m == nil {
		t.Fatalf("the record page shows no formatted rating code: %s", page.Body)
	}
	code := string(m[1])

	// A correction keeps the old values and shows its reason.
	f := recordForm(servertest.CSRFToken(t, page), c, today, "NJ-0001")
	f.Set("duration_minutes", "120")
	path := strings.TrimSuffix(r.Header.Get("Location"), "?done=recorded")
	r = org.Post(t, path+"/correct", f)
	wantFormAlert(t, "POST a correction without a reason", r, http.StatusBadRequest, "correct-reason")
	f.Set("reason", "时长登记错误")
	r = org.Post(t, path+"/correct", f)
	servertest.WantRedirect(t, "POST a correction", r, path+"?done=corrected#revisions")
	page = org.Get(t, path)
	wantBody(t, "the corrected record", page, "时长登记错误", "90 分钟", "<dd>120</dd>", code)

	rows := org.Get(t, list)
	wantBody(t, "GET "+list+" as the organization", rows, code, "NJ-0001", "王丽", `href="`+list+`/new"`)
	officer := servertest.SignIn(t, e, "demo-officer").Get(t, list)
	wantStatus(t, "GET "+list+" as the officer", officer, http.StatusOK)
	wantBody(t, "GET "+list+" as the officer", officer, "NJ-0001", "王丽")
	wantNoBody(t, "GET "+list+" as the officer", officer, code, strings.ReplaceAll(code, "-", ""), `href="`+list+`/new"`, "/service-records/")
	wantStatus(t, "GET "+list+" as another organization", servertest.SignIn(t, e, "demo-org2").Get(t, list), http.StatusNotFound)
	wantStatus(t, "GET "+list+" as another subdistrict", servertest.SignIn(t, e, "demo-officer2").Get(t, list), http.StatusNotFound)

	// The filter: a day without services, then a bad date.
	empty := org.Get(t, list+"?from="+today.AddDays(-10).String()+"&until="+today.AddDays(-9).String())
	wantBody(t, "the list filtered to other days", empty, `id="records-empty"`)
	wantFormAlert(t, "the list with a bad date", org.Get(t, list+"?from=yesterday"), http.StatusBadRequest, "records-from")
}

// A bad import file is refused with a report naming every bad line, column
// and reason, and imports nothing; a good one reports its row count.
func TestPagesRecordImport(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	today := civil.ChinaDate(e.Clock.Now())
	org := servertest.SignIn(t, e, "demo-org")
	path := fmt.Sprintf("/contracts/%d/records/import", c.ID)
	page := org.Get(t, path)
	wantStatus(t, "GET "+path, page, http.StatusOK)
	wantBody(t, "GET "+path, page, `enctype="multipart/form-data"`, "beneficiary_ref", "duration_minutes", `href="/contracts/`)
	token := servertest.CSRFToken(t, page)

	tpl := org.Get(t, fmt.Sprintf("/contracts/%d/records/template.csv", c.ID))
	wantStatus(t, "GET the template", tpl, http.StatusOK)
	if got := strings.TrimSpace(string(tpl.Body)); got != "date,community,service_type,duration_minutes,staff,beneficiary_ref,notes" {
		t.Errorf("the CSV template = %q, want the header row only", got)
	}

	bad := "date,community,service_type,duration_minutes,staff,beneficiary_ref,notes\n" +
		fmt.Sprintf("%s,%d,service_visits,60,王丽,NJ-0001,\n", today, c.Communities[0]) +
		fmt.Sprintf("%s,%d,service_visits,0,王丽,NJ-0002,\n", today, c.Communities[0]) +
		fmt.Sprintf("%s,%d,swimming,30,王丽,%s,\n", today.AddDays(1), c.Communities[0], idNumberRef)
	before := servertest.Count(t, e, "service_records")
	r := org.PostFile(t, path, url.Values{"csrf_token": {token}}, "records.csv", []byte(bad))
	wantStatus(t, "POST a bad file", r, http.StatusUnprocessableEntity)
	wantBody(t, "POST a bad file", r, `id="import-report-table"`, "<td class=\"num\">3</td>", "<code>duration_minutes</code>",
		"<td class=\"num\">4</td>", "<code>date</code>", "<code>service_type</code>", "<code>beneficiary_ref</code>", "未导入任何记录")
	wantNoBody(t, "POST a bad file", r, "<td class=\"num\">2</td>")
	if n := servertest.Count(t, e, "service_records"); n != before {
		t.Errorf("a refused import wrote rows: service_records %d → %d", before, n)
	}
	r = org.PostFile(t, path, url.Values{"csrf_token": {token}}, "", nil)
	wantFormAlert(t, "POST no file", r, http.StatusBadRequest, "import-file")

	good := "服务日期,社区,服务类型,服务时长(分钟),服务人员,服务对象编号\n" +
		fmt.Sprintf("%s,%d,service_visits,60,王丽,NJ-0001\n%s,%d,上门服务人次,45,李强,NJ-0002\n", today, c.Communities[0], today, c.Communities[1])
	r = org.PostFile(t, path, url.Values{"csrf_token": {token}}, "records.csv", []byte(good))
	servertest.WantRedirect(t, "POST a good file", r, fmt.Sprintf("/contracts/%d/records?done=imported&rows=2", c.ID))
	wantBody(t, "the list after the import", org.Get(t, r.Header.Get("Location")), "已导入 2 条服务记录", "NJ-0002")
}

// The print sheet of a day shows each record's code and QR code, on A4,
// and never the beneficiary reference; a day without services says so.
func TestPagesRecordPrintSheet(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	today := civil.ChinaDate(e.Clock.Now())
	org := servertest.SignIn(t, e, "demo-org")
	list := fmt.Sprintf("/contracts/%d/records", c.ID)
	token := servertest.CSRFToken(t, org.Get(t, list+"/new"))
	var codes []string
	for i, day := range []civil.Date{today.AddDays(-3), today.AddDays(-3), today} {
		r := org.Post(t, list, recordForm(token, c, day, fmt.Sprintf("SECRET-REF-%d", i)))
		if r.Status != http.StatusSeeOther {
			t.Fatalf("POST %s = %d: %s", list, r.Status, r.Body)
		}
		m := recordCode.FindSubmatch(org.Get(t, r.Header.Get("Location")).Body)
		if m == nil {
			t.Fatal("the record page shows no rating code")
		}
		codes = append(codes, string(m[1]))
	}
	sheet := org.Get(t, list+"/print?date="+today.AddDays(-3).String())
	wantStatus(t, "GET the print sheet", sheet, http.StatusOK)
	wantBody(t, "GET the print sheet", sheet, codes[0], codes[1], "/static/records.", `data-print`, "请扫描二维码", "Scan the QR code")
	wantNoBody(t, "GET the print sheet", sheet, codes[2], "SECRET-REF")
	if n := strings.Count(string(sheet.Body), `<svg class="qr"`); n != 2 {
		t.Errorf("the print sheet has %d QR codes, want 2", n)
	}
	wantBody(t, "the default day", org.Get(t, list+"/print"), codes[2], `value="`+today.String()+`"`)
	wantBody(t, "a day without services", org.Get(t, list+"/print?date="+today.AddDays(-20).String()), `id="slips-empty"`)
	wantFormAlert(t, "a bad day", org.Get(t, list+"/print?date=soon"), http.StatusBadRequest, "print-date")
	css := org.Get(t, "/static/records.css")
	wantBody(t, "records.css", css, "@page { size: A4;")
}
