package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// evaluationRow finds the evaluation a redirect to the contract's
// evaluations announces.
var evaluationRow = regexp.MustCompile(`\?done=scheduled#row-(\d+)$`)

// scheduledID returns the id of the evaluation a schedule form's redirect names.
func scheduledID(t *testing.T, what string, r servertest.Response) int64 {
	t.Helper()
	m := evaluationRow.FindStringSubmatch(r.Header.Get("Location"))
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("%s = %d Location %q, want 303 to the scheduled row; body %.500s", what, r.Status, r.Header.Get("Location"), r.Body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// signedIn is a page client of who with the CSRF token of its forms, reading
// the pages in English.
func signedIn(t *testing.T, e *servertest.Env, who string) (*servertest.PageClient, func(path string, form url.Values) servertest.Response) {
	t.Helper()
	p := servertest.SignIn(t, e, who)
	p.Cookies["jd_lang"] = "en"
	token := servertest.CSRFToken(t, p.Get(t, "/dashboard"))
	return p, func(path string, form url.Values) servertest.Response {
		form.Set("csrf_token", token)
		return p.Post(t, path, form)
	}
}

// An evaluation through the pages: the officer schedules a mid-term and picks
// the evaluator from the eligible ones; the evaluator declares, finds the
// computed figures with their basis, enters the rest (a bad value and an
// early submission refused, naming the figures) and submits; the
// organization reads every figure and basis; the officer orders
// rectification after the failing score, the organization's admin reports,
// and the officer schedules the re-evaluation, linked to the first.
func TestPagesEvaluationFlow(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	for _, ref := range []string{"EV-BEN1", "EV-BEN2"} {
		ratingCode(t, e, c, ref) // two home visits today
	}
	today := civil.ChinaDate(e.Clock.Now())
	evaluatorID := e.ActorOf(t, "demo-evaluator").UserID
	list := fmt.Sprintf("/contracts/%d/evaluations", c.ID)

	// The officer: the contract's page links to its evaluations, where the
	// schedule form offers the district's evaluators.
	officer, officerPost := signedIn(t, e, "demo-officer")
	wantBody(t, "GET the contract", officer.Get(t, fmt.Sprintf("/contracts/%d", c.ID)), fmt.Sprintf(`href="%s" id="evaluations-link"`, list))
	page := officer.Get(t, list)
	wantStatus(t, "GET "+list, page, http.StatusOK)
	wantBody(t, "GET "+list, page, `id="evaluations-empty"`, `id="schedule-submit"`, fmt.Sprintf(`<option value="%d">评审专家</option>`, evaluatorID))
	r := officerPost(list, url.Values{"kind": {"midterm"}, "due_on": {today.AddDays(-1).String()}, "evaluator_id": {""}})
	wantFormAlert(t, "POST a schedule without an evaluator, due yesterday", r, http.StatusBadRequest,
		fmt.Sprintf("schedule-evaluator_id-%d", c.ID), fmt.Sprintf("schedule-due_on-%d", c.ID))
	if n := servertest.Count(t, e, "evaluations"); n != 0 {
		t.Fatalf("%d evaluations after a refused form, want 0", n)
	}
	r = officerPost(list, url.Values{"kind": {"midterm"}, "due_on": {today.AddDays(14).String()}, "evaluator_id": {fmt.Sprint(evaluatorID)}})
	id := scheduledID(t, "POST a mid-term", r)
	path := fmt.Sprintf("/evaluations/%d", id)
	wantBody(t, "GET "+list+" after scheduling", officer.Get(t, list), fmt.Sprintf(`<a href="%s">Mid-term evaluation</a>`, path), "Scheduled")
	r = officerPost(list, url.Values{"kind": {"midterm"}, "due_on": {today.AddDays(14).String()}, "evaluator_id": {fmt.Sprint(evaluatorID)}})
	wantFormAlert(t, "POST a second mid-term", r, http.StatusConflict)
	wantBody(t, "POST a second mid-term", r, "already has a mid-term or final evaluation of this kind")

	// The evaluator: its list, then the declaration first.
	evaluator, evaluatorPost := signedIn(t, e, "demo-evaluator")
	wantBody(t, "GET /evaluations", evaluator.Get(t, "/evaluations"), fmt.Sprintf(`<a href="%s">测试服务记录项目</a>`, path), `href="/evaluations" aria-current="page"`)
	page = evaluator.Get(t, path)
	wantBody(t, "GET "+path+" before declaring", page, `id="evdeclare-submit"`)
	wantNoBody(t, "GET "+path+" before declaring", page, `id="eventer-submit"`, `id="evsubmit-submit"`)
	r = evaluatorPost(path+"/declaration", url.Values{"conflict": {"no"}, "statement": {"我没有冲突"}})
	wantFormAlert(t, "POST a statement without a conflict", r, http.StatusBadRequest, "evdeclare-declaration-statement")
	r = evaluatorPost(path+"/declaration", url.Values{"conflict": {"no"}})
	servertest.WantRedirect(t, "POST the declaration", r, path+"?done=declared#eventer")

	// The computed figures show what they rest on; the one without ratings
	// to measure is the evaluator's to enter, as is none of the others.
	page = evaluator.Get(t, path)
	wantBody(t, "GET "+path+" in progress", page, `id="figure-satisfaction-actual"`, `name="notes"`, `id="evsubmit-submit"`,
		"2 service records of “Home service visits delivered” dated in the period, counted once each.",
		"0 service records of “Volunteer hours” dated in the period, 0 minutes in all, ÷ 60 in hours.",
		"0 of 0 ratings of the period&#39;s services gave 4 stars or more overall",
		"Nothing to measure in the period: the evaluator enters the value.",
		fmt.Sprintf("Period %s to %s: 61 days of a 361-day service period.", c.ServiceStart, today),
		"A cumulative figure, pro-rated: target 1200 × 61 ÷ 361 days (share 0.168975) = 202.77",
		"A rate, mean or level: compared with the whole target, 90, never pro-rated.")
	wantNoBody(t, "GET "+path+" in progress", page, `id="figure-service_visits-actual"`, `id="figure-volunteer_hours-actual"`)

	enter := func(actual string) servertest.Response {
		return evaluatorPost(path+"/figures", url.Values{"code": {"satisfaction"}, "actual": {actual}, "note": {"电话抽查 10 户"},
			"notes": {"现场检查台账齐全"}})
	}
	r = enter("很好")
	wantFormAlert(t, "POST a figure that is no number", r, http.StatusBadRequest, "figure-satisfaction-actual")
	wantBody(t, "POST a figure that is no number", r, "Resident satisfaction · Actual", "zero or more with at most two decimals", `value="很好"`)
	r = evaluatorPost(path+"/submit", url.Values{})
	wantFormAlert(t, "POST the submission without the satisfaction", r, http.StatusConflict, "figure-satisfaction-actual")
	wantBody(t, "POST the submission without the satisfaction", r, "Every figure needs a value before submission:", "Resident satisfaction")
	servertest.WantRedirect(t, "POST the figures", enter("40"), path+"?done=saved#eventer")
	// Evidence for a figure: the file must be a document.
	token := servertest.CSRFToken(t, evaluator.Get(t, path))
	r = evaluator.PostFile(t, path+"/documents", url.Values{"csrf_token": {token}, "metric_code": {"satisfaction"}}, "满意度抽查.txt", []byte("hello"))
	wantFormAlert(t, "POST evidence that is no document", r, http.StatusBadRequest, "evidence-file")
	r = evaluator.PostFile(t, path+"/documents", url.Values{"csrf_token": {token}, "metric_code": {"satisfaction"}}, "满意度抽查.pdf", samplePDF)
	servertest.WantRedirect(t, "POST evidence", r, path+"?done=uploaded#evidence")
	evidence := regexp.MustCompile(`<a href="(/evaluations/\d+/documents/\d+)">满意度抽查.pdf</a> <span class="meta">Resident satisfaction · `).FindSubmatch(evaluator.Get(t, path).Body)
	if evidence == nil {
		t.Fatalf("GET %s does not list the evidence for its figure", path)
	}
	servertest.WantRedirect(t, "POST the submission", evaluatorPost(path+"/submit", url.Values{}), path+"?done=submitted#score")
	page = evaluator.Get(t, path)
	wantBody(t, "GET "+path+" submitted", page, `data-grade="fail"`, "Fail (不合格)", `data-actual="40"`, "现场检查台账齐全", "电话抽查 10 户")
	wantNoBody(t, "GET "+path+" submitted", page, `id="eventer-submit"`, `id="evsubmit-submit"`, `id="evrectify-submit"`)

	// The organization reads the figures and their basis, and no form.
	org, orgPost := signedIn(t, e, "demo-org")
	wantBody(t, "GET /evaluations as the organization", org.Get(t, "/evaluations"), fmt.Sprintf(`<a href="%s">测试服务记录项目</a>`, path))
	page = org.Get(t, path)
	wantBody(t, "GET "+path+" as the organization", page, "2 service records of “Home service visits delivered”", `data-target-used="202.77"`,
		`data-grade="fail"`, fmt.Sprintf(`href="%s" id="contract-evaluations-link"`, list))
	wantNoBody(t, "GET "+path+" as the organization", page, "<form class=\"editor\"", `id="evreport-submit"`)
	if r := org.Get(t, string(evidence[1])); r.Status != http.StatusOK || string(r.Body) != string(samplePDF) {
		t.Errorf("GET %s as the organization = %d, want the evidence", evidence[1], r.Status)
	}

	// The officer orders rectification; the organization's admin reports.
	page = officer.Get(t, path)
	wantBody(t, "GET "+path+" as the officer", page, `id="evrectify-submit"`)
	r = officerPost(path+"/rectification", url.Values{"requirements": {" "}, "deadline": {today.AddDays(20).String()}})
	wantFormAlert(t, "POST an order without requirements", r, http.StatusBadRequest, "evrectify-requirements")
	r = officerPost(path+"/rectification", url.Values{"requirements": {"增加上门服务频次，补齐志愿服务台账"}, "deadline": {today.AddDays(20).String()}})
	servertest.WantRedirect(t, "POST the order", r, path+"?done=ordered#rectification")
	wantBody(t, "GET the list with the order", officer.Get(t, list), "Due "+today.AddDays(20).String(), fmt.Sprintf(`id="redo-%d"`, id))
	page = org.Get(t, path)
	wantBody(t, "GET "+path+" as the organization's admin", page, "增加上门服务频次，补齐志愿服务台账", `id="evreport-submit"`)
	member, memberPost := signedIn(t, e, "demo-member")
	wantNoBody(t, "GET "+path+" as a member", member.Get(t, path), `id="evreport-submit"`)
	wantStatus(t, "POST a report as a member", memberPost(path+"/rectification/report", url.Values{"report": {"已整改"}}), http.StatusForbidden)
	r = orgPost(path+"/rectification/report", url.Values{"report": {"已增加两名护理员，台账已补齐"}})
	servertest.WantRedirect(t, "POST the report", r, path+"?done=reported#rectification")

	// The officer schedules the re-evaluation from the failing one's row.
	redo := officerPost(list, url.Values{"reevaluation_of": {fmt.Sprint(id)}, "due_on": {today.AddDays(30).String()}, "evaluator_id": {""}})
	wantFormAlert(t, "POST a re-evaluation without an evaluator", redo, http.StatusBadRequest, fmt.Sprintf("redo-evaluator_id-%d", id))
	redo = officerPost(list, url.Values{"reevaluation_of": {fmt.Sprint(id)}, "due_on": {today.AddDays(30).String()},
		"evaluator_id": {fmt.Sprint(e.ActorOf(t, "demo-evaluator2").UserID)}})
	again := scheduledID(t, "POST the re-evaluation", redo)
	wantBody(t, "GET the failing evaluation", officer.Get(t, path), fmt.Sprintf(`href="/evaluations/%d" id="reevaluation-link"`, again),
		"已增加两名护理员，台账已补齐")
	wantBody(t, "GET the re-evaluation", officer.Get(t, fmt.Sprintf("/evaluations/%d", again)), fmt.Sprintf(`href="%s" id="reevaluation-of"`, path),
		"Mid-term evaluation（Re-evaluation）")
	wantNoBody(t, "GET the list after the re-evaluation", officer.Get(t, list), fmt.Sprintf(`id="redo-%d"`, id))
	// The first evaluator is not assigned the re-evaluation.
	wantStatus(t, "GET the re-evaluation as the first evaluator", evaluator.Get(t, fmt.Sprintf("/evaluations/%d", again)), http.StatusNotFound)
}

// A recusal: the evaluator's conflict statement reaches the officer, who
// assigns another evaluator, and never the organization.
func TestPagesEvaluationRecusal(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	today := civil.ChinaDate(e.Clock.Now())
	_, officerPost := signedIn(t, e, "demo-officer")
	list := fmt.Sprintf("/contracts/%d/evaluations", c.ID)
	id := scheduledID(t, "POST an ad-hoc evaluation", officerPost(list, url.Values{"kind": {"adhoc"}, "due_on": {today.AddDays(7).String()},
		"evaluator_id": {fmt.Sprint(e.ActorOf(t, "demo-evaluator").UserID)}}))
	path := fmt.Sprintf("/evaluations/%d", id)
	_, evaluatorPost := signedIn(t, e, "demo-evaluator")
	r := evaluatorPost(path+"/declaration", url.Values{"conflict": {"yes"}})
	wantFormAlert(t, "POST a conflict without a statement", r, http.StatusBadRequest, "evdeclare-declaration-statement")
	r = evaluatorPost(path+"/declaration", url.Values{"conflict": {"yes"}, "statement": {"RECUSAL-STATEMENT 本人配偶在该机构任职"}})
	servertest.WantRedirect(t, "POST the conflict", r, path+"?done=recused#evdeclare")

	officer, _ := signedIn(t, e, "demo-officer")
	page := officer.Get(t, path)
	wantBody(t, "GET "+path+" as the officer", page, "RECUSAL-STATEMENT", `id="evassign-evaluator_id"`, `id="recused-notice"`)
	for _, who := range []string{"demo-org", "demo-member"} {
		p, _ := signedIn(t, e, who)
		wantNoBody(t, "GET "+path+" as "+who, p.Get(t, path), "RECUSAL-STATEMENT")
		wantNoBody(t, "GET /evaluations as "+who, p.Get(t, "/evaluations"), "RECUSAL-STATEMENT")
	}
	r = officerPost(path+"/assign", url.Values{"evaluator_id": {fmt.Sprint(e.ActorOf(t, "demo-evaluator").UserID)}, "due_on": {today.AddDays(7).String()}})
	wantFormAlert(t, "POST the recused evaluator again", r, http.StatusBadRequest, "evassign-evaluator_id")
	r = officerPost(path+"/assign", url.Values{"evaluator_id": {fmt.Sprint(e.ActorOf(t, "demo-evaluator3").UserID)}, "due_on": {today.AddDays(9).String()}})
	servertest.WantRedirect(t, "POST another evaluator", r, path+"?done=assigned#evassign")
	wantBody(t, "GET "+path+" reassigned", officer.Get(t, path), "评审专家三", today.AddDays(9).String())
	wantNoBody(t, "GET "+path+" reassigned", officer.Get(t, path), "RECUSAL-STATEMENT")
	p3, _ := signedIn(t, e, "demo-evaluator3")
	wantBody(t, "GET "+path+" as the new evaluator", p3.Get(t, path), `id="evdeclare-submit"`)
	// The officer cancels it with a reason.
	r = officerPost(path+"/cancel", url.Values{"reason": {""}})
	wantFormAlert(t, "POST a cancellation without a reason", r, http.StatusBadRequest, "evcancel-cancel_reason")
	servertest.WantRedirect(t, "POST the cancellation", officerPost(path+"/cancel", url.Values{"reason": {"评估计划调整"}}), path+"?done=cancelled#facts")
	wantBody(t, "GET "+path+" cancelled", officer.Get(t, path), "评估计划调整", `data-status="cancelled"`)
}
