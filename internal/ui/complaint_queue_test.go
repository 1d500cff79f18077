package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/platform/jobs/jobstest"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// queueRow returns the queue's row of complaint id ("" when it lists none).
func queueRow(r servertest.Response, id int64) string {
	return regexp.MustCompile(fmt.Sprintf(`(?s)<li id="row-%d">.*?</li>`, id)).FindString(string(r.Body))
}

// fileAbout files a complaint about org in comm as a resident without an
// account, returning its id.
func fileAbout(t *testing.T, e *servertest.Env, org, comm int64, description, contact string) int64 {
	t.Helper()
	r, err := e.Services.Complaints.File(t.Context(), access.Anonymous("queue", "10.50.0.1"),
		complaint.Input{OrganizationID: org, CommunityID: comm, Description: description, Contact: contact})
	if err != nil {
		t.Fatalf("File() error = %v", err)
	}
	return e.IDOf(t, "complaints", "reference = ?", r.Reference)
}

// flagOverdueByJob runs the complaint deadline job on River once the
// injected clock has passed complaint id's first-response time.
func flagOverdueByJob(t *testing.T, e *servertest.Env, id int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	var name string
	if err := e.DB.Raw(`SELECT current_database()`).Scan(&name).Error; err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(os.Getenv(dbtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	svc := e.Services.Complaints
	client := jobstest.Client(t, ctx, u.String(), func(workers *river.Workers) { svc.Register(workers, time.Minute) })
	svc.UseRiver(client, slog.New(slog.DiscardHandler))
	if err := svc.Sweep(ctx); err != nil {
		t.Fatalf("Sweep() error = %v", err)
	}
	jobstest.RunUntil(t, ctx, client, complaint.DeadlineArgs{}.Kind(), func(args []byte) bool {
		var a complaint.DeadlineArgs
		return json.Unmarshal(args, &a) == nil && a.ComplaintID == id && a.Deadline == complaint.DeadlineFirstResponse
	})
}

// The officer's queue: a complaint with its names, time limits and contact,
// the overdue badge once the deadline job flags it on the injected clock,
// the filters, then triage and decision through the row's forms, each
// refusal next to its field and writing nothing; the district admin reads
// the queue without contact or forms; another subdistrict's officer finds
// no such complaint.
func TestPagesComplaintQueue(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	c := e.ActiveContract(t)
	late := fileAbout(t, e, d.Org1, d.CommA, "护理员迟到两小时", "13812345678")

	officer := servertest.SignIn(t, e, "demo-officer")
	page := officer.Get(t, "/complaints")
	wantStatus(t, "GET /complaints", page, http.StatusOK)
	row := queueRow(page, late)
	for _, want := range []string{"护理员迟到两小时", "13812345678", "南街社区", "湖州市吴兴区康乐居家养老服务中心", "待转办",
		fmt.Sprintf(`<option value="%d" selected>测试服务记录项目`, c.ID), fmt.Sprintf(`action="/complaints/%d/decide"`, late)} {
		if !strings.Contains(row, want) {
			t.Errorf("the queue's row %s lacks %q", row, want)
		}
	}
	if strings.Contains(row, "overdue") {
		t.Errorf("the row is overdue before its time limit: %s", row)
	}

	e.Clock.Advance(24*time.Hour + time.Minute)
	flagOverdueByJob(t, e, late)
	// Filed after the time limit passed: within its own limits, and with no
	// contract of org 2 serving the community to forward it under.
	fresh := fileAbout(t, e, d.Org2, d.CommA, "未按约上门", "")
	page = officer.Get(t, "/complaints")
	if row := queueRow(page, late); !strings.Contains(row, `<span class="badge warn overdue">已超时</span>`) {
		t.Errorf("the flagged complaint's row has no overdue badge: %s", row)
	}
	row = queueRow(page, fresh)
	if strings.Contains(row, "overdue") || !strings.Contains(row, fmt.Sprintf(`id="no-contract-%d"`, fresh)) ||
		strings.Contains(row, fmt.Sprintf(`action="/complaints/%d/assign"`, fresh)) {
		t.Errorf("the fresh complaint's row = %s, want no badge and no contract to forward it under", row)
	}
	overdue := officer.Get(t, "/complaints?overdue=true")
	if queueRow(overdue, late) == "" || queueRow(overdue, fresh) != "" {
		t.Errorf("?overdue=true does not list the overdue complaint alone")
	}
	wantBody(t, "GET /complaints?overdue=true", overdue, `<option value="true" selected>`)
	wantFormAlert(t, "GET /complaints?status=open", officer.Get(t, "/complaints?status=open"), http.StatusBadRequest, "triage-status")

	token := servertest.CSRFToken(t, page)
	post := func(id int64, step string, form url.Values) servertest.Response {
		form.Set("csrf_token", token)
		return officer.Post(t, fmt.Sprintf("/complaints/%d/%s", id, step), form)
	}
	before := servertest.Count(t, e, "audit_entries")
	r := post(late, "decide", url.Values{"outcome": {"upheld"}, "reason": {" "}})
	wantFormAlert(t, "POST a decision without a reason", r, http.StatusBadRequest, fmt.Sprintf("decide-reason-%d", late))
	wantBody(t, "POST a decision without a reason", r, `<p class="field-error">请填写认定理由`, `value="upheld" required checked`)
	r = post(late, "decide", url.Values{"outcome": {"partly"}, "reason": {"部分属实"}})
	wantFormAlert(t, "POST a decision with no such outcome", r, http.StatusBadRequest, fmt.Sprintf("decide-outcome-%d", late))
	wantBody(t, "POST a decision with no such outcome", r, "部分属实")
	r = post(late, "assign", url.Values{"contract_id": {"999999"}})
	wantFormAlert(t, "POST an assignment to no such contract", r, http.StatusBadRequest, fmt.Sprintf("assign-contract_id-%d", late))
	r = post(fresh, "decide", url.Values{"outcome": {"upheld"}, "reason": {"属实"}})
	wantStatus(t, "POST upholding a complaint without a contract", r, http.StatusConflict)
	wantBody(t, "POST upholding a complaint without a contract", r, `role="alert"`, fmt.Sprintf(`href="#row-%d"`, fresh))
	if n := servertest.Count(t, e, "audit_entries"); n != before {
		t.Errorf("refused forms wrote %d audit entries", n-before)
	}

	r = post(late, "assign", url.Values{"contract_id": {fmt.Sprint(c.ID)}})
	servertest.WantRedirect(t, "POST an assignment", r, fmt.Sprintf("/complaints?done=assigned#row-%d", late))
	page = officer.Get(t, "/complaints?done=assigned")
	row = queueRow(page, late)
	wantBody(t, "GET /complaints after assigning", page, `id="triage-done"`)
	if !strings.Contains(row, "待答复") || !strings.Contains(row, "测试服务记录项目") || strings.Contains(row, "/assign") {
		t.Errorf("the assigned complaint's row = %s, want awaiting response under its contract, no assign form", row)
	}
	wantStatus(t, "POST a second assignment", post(late, "assign", url.Values{"contract_id": {fmt.Sprint(c.ID)}}), http.StatusConflict)

	other := servertest.SignIn(t, e, "demo-officer2")
	r = other.Post(t, fmt.Sprintf("/complaints/%d/decide", late), url.Values{"csrf_token": {servertest.CSRFToken(t, other.Get(t, "/complaints"))},
		"outcome": {"not_upheld"}, "reason": {"别的街道"}})
	wantStatus(t, "POST a decision of another subdistrict's complaint", r, http.StatusNotFound)

	if _, err := e.Services.Complaints.Respond(t.Context(), e.ActorOf(t, "demo-org"), late, "已致歉并调整排班"); err != nil {
		t.Fatalf("Respond() error = %v", err)
	}
	r = post(late, "decide", url.Values{"outcome": {"upheld"}, "reason": {"迟到属实，已责令整改"}})
	servertest.WantRedirect(t, "POST a decision", r, fmt.Sprintf("/complaints?done=decided#row-%d", late))
	row = queueRow(officer.Get(t, "/complaints?status=decided"), late)
	for _, want := range []string{"已办结", "投诉属实", "迟到属实，已责令整改", "已致歉并调整排班"} {
		if !strings.Contains(row, want) {
			t.Errorf("the decided complaint's row lacks %q: %s", want, row)
		}
	}
	if strings.Contains(row, "<form") {
		t.Errorf("the decided complaint's row still has a form: %s", row)
	}
	wantStatus(t, "POST a second decision", post(late, "decide", url.Values{"outcome": {"not_upheld"}, "reason": {"改判"}}), http.StatusConflict)

	district := servertest.SignIn(t, e, "demo-district").Get(t, "/complaints")
	wantStatus(t, "GET /complaints as the district admin", district, http.StatusOK)
	wantBody(t, "GET /complaints as the district admin", district, "护理员迟到两小时", "未按约上门", "测试服务记录项目")
	wantNoBody(t, "GET /complaints as the district admin", district, "13812345678", `action="/complaints/`)
}
