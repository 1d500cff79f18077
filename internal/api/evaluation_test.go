package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// evaluationJSON is what the tests read of an evaluation.
type evaluationJSON struct {
	ID             int64   `json:"id"`
	Kind           string  `json:"kind"`
	Status         string  `json:"status"`
	Score          *string `json:"score"`
	Grade          *string `json:"grade"`
	ReevaluationOf *int64  `json:"reevaluation_of"`
	PeriodStart    string  `json:"period_start"`
	PeriodEnd      string  `json:"period_end"`
	Figures        []struct {
		Code       string  `json:"code"`
		Actual     *string `json:"actual"`
		Note       string  `json:"note"`
		TargetUsed string  `json:"target_used"`
	} `json:"figures"`
	Rectification *struct {
		ID     int64   `json:"id"`
		Report *string `json:"report"`
	} `json:"rectification"`
}

func (v evaluationJSON) actual(code string) string {
	for _, f := range v.Figures {
		if f.Code == code && f.Actual != nil {
			return *f.Actual
		}
	}
	return ""
}

// The whole evaluation through the API, every answer checked against the
// OpenAPI document: scheduling, the declaration, entries as a number and
// as a string, submission, the rectification order, the report and the
// re-evaluation; refusals write nothing; other tenants get 404.
func TestEvaluationAPI(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	today := civil.ChinaDate(e.Clock.Now())
	officer, evaluator, orgAdmin := e.Token(t, "demo-officer"), e.Token(t, "demo-evaluator"), e.Token(t, "demo-org")
	officer2, org2, evaluator2 := e.Token(t, "demo-officer2"), e.Token(t, "demo-org2"), e.Token(t, "demo-evaluator2")
	evaluatorID := e.ActorOf(t, "demo-evaluator").UserID
	schedulePath := fmt.Sprintf("/api/v1/contracts/%d/evaluations", c.ID)
	req := func(method, path, token string, body any) servertest.Request {
		return servertest.Request{Method: method, Path: path, Token: token, Body: body}
	}

	e.Refused(t, req("POST", schedulePath, officer, map[string]any{"kind": "yearly", "due_on": "tomorrow", "evaluator_id": 0}),
		http.StatusBadRequest, "validation", "kind", "due_on", "evaluator_id")
	e.Refused(t, req("POST", schedulePath, officer, map[string]any{"kind": "midterm", "due_on": today.String(), "evaluator_id": evaluatorID,
		"score": 100}), http.StatusBadRequest, "validation", "score")
	e.Refused(t, req("POST", schedulePath, officer, map[string]any{"kind": "midterm", "due_on": today.String(),
		"evaluator_id": e.ActorOf(t, "demo-member").UserID}), http.StatusBadRequest, "validation", "evaluator_id")
	e.Refused(t, req("POST", schedulePath, officer2, map[string]any{"kind": "midterm", "due_on": today.String(), "evaluator_id": evaluatorID}),
		http.StatusNotFound, "not_found")

	var v evaluationJSON
	servertest.Call(t, e, "POST", schedulePath, officer, map[string]any{"kind": "midterm", "due_on": today.AddDays(14).String(),
		"evaluator_id": evaluatorID}, http.StatusCreated, &v)
	if v.Status != "scheduled" || v.PeriodStart != c.ServiceStart.String() || v.PeriodEnd != today.String() || len(v.Figures) != 3 {
		t.Fatalf("scheduled = %+v", v)
	}
	path := fmt.Sprintf("/api/v1/evaluations/%d", v.ID)
	e.Refused(t, req("PATCH", path, evaluator, map[string]any{"notes": "先填"}), http.StatusConflict, "evaluation.not_declared")
	e.Refused(t, req("PATCH", path, officer, map[string]any{"declaration": map[string]any{"conflict": false}}), http.StatusBadRequest,
		"validation", "declaration")
	servertest.Call(t, e, "PATCH", path, evaluator, map[string]any{"declaration": map[string]any{"conflict": false}}, http.StatusOK, &v)
	if v.Status != "in_progress" {
		t.Fatalf("declared = %s, want in_progress", v.Status)
	}
	servertest.Call(t, e, "PATCH", path, evaluator, map[string]any{"figures": []any{map[string]any{"code": "satisfaction", "actual": 92.5,
		"note": "问卷调查 40 份"}}}, http.StatusOK, &v)
	if got := v.actual("satisfaction"); got != "92.50" {
		t.Errorf("satisfaction entered as a number = %q, want 92.50", got)
	}
	servertest.Call(t, e, "PATCH", path, evaluator, map[string]any{"figures": []any{map[string]any{"code": "satisfaction", "actual": "93"}},
		"notes": "现场检查正常"}, http.StatusOK, &v)
	if got := v.actual("satisfaction"); got != "93.00" {
		t.Errorf("satisfaction entered as a string = %q, want 93.00", got)
	}
	for _, bad := range []any{map[string]any{"x": 1}, true, "1.005", -3} {
		e.Refused(t, req("PATCH", path, evaluator, map[string]any{"figures": []any{map[string]any{"code": "satisfaction", "actual": bad}}}),
			http.StatusBadRequest, "validation", "figures[0].actual")
	}

	// Other tenants: not found.
	for _, r := range []servertest.Request{
		req("GET", path, officer2, nil),
		req("GET", path, org2, nil),
		req("GET", path, evaluator2, nil),
		req("GET", schedulePath, org2, nil),
		req("GET", schedulePath, evaluator2, nil),
		req("PATCH", path, officer2, map[string]any{"due_on": today.String()}),
		req("PATCH", path, evaluator2, map[string]any{"notes": "越权"}),
		req("POST", path+"/submit", evaluator2, nil),
		req("POST", path+"/rectification", officer2, map[string]any{"requirements": "越权", "deadline": today.String()}),
		req("POST", path+"/rectification/report", org2, map[string]any{"report": "越权"}),
	} {
		e.Refused(t, r, http.StatusNotFound, "not_found")
	}

	servertest.Call(t, e, "POST", path+"/submit", evaluator, nil, http.StatusOK, &v)
	// Nothing recorded: 0 of 40 and 0 of 30, satisfaction met for 30: 30.0.
	if v.Status != "submitted" || v.Score == nil || *v.Score != "30.0" || *v.Grade != "fail" {
		t.Fatalf("submitted = %s %v %v, want 30.0 fail", v.Status, v.Score, v.Grade)
	}
	e.Refused(t, req("POST", path+"/submit", evaluator, nil), http.StatusConflict, "evaluation.submitted")
	e.Refused(t, req("PATCH", path, evaluator, map[string]any{"notes": "改"}), http.StatusConflict, "evaluation.submitted")
	e.Refused(t, req("PATCH", path, officer, map[string]any{"cancel_reason": "撤销"}), http.StatusConflict, "evaluation.submitted")

	// Rectification, the organization's report, the re-evaluation.
	e.Refused(t, req("POST", schedulePath, officer, map[string]any{"due_on": today.String(), "evaluator_id": evaluatorID, "reevaluation_of": v.ID}),
		http.StatusConflict, "evaluation.no_rectification")
	e.Refused(t, req("POST", path+"/rectification", officer, map[string]any{"requirements": "", "deadline": "2020-01-01"}),
		http.StatusBadRequest, "validation", "requirements", "deadline")
	e.Refused(t, req("POST", path+"/rectification/report", orgAdmin, map[string]any{"report": "已整改"}), http.StatusNotFound, "not_found")
	var order struct {
		ID       int64  `json:"id"`
		Deadline string `json:"deadline"`
	}
	servertest.Call(t, e, "POST", path+"/rectification", officer, map[string]any{"requirements": "每周上门不少于两次",
		"deadline": today.AddDays(30).String()}, http.StatusCreated, &order)
	e.Refused(t, req("POST", path+"/rectification", officer, map[string]any{"requirements": "再发", "deadline": today.String()}),
		http.StatusConflict, "evaluation.rectification_exists")
	servertest.Call(t, e, "POST", path+"/rectification/report", orgAdmin, map[string]any{"report": "已增加护理员"}, http.StatusOK, nil)
	e.Refused(t, req("POST", path+"/rectification/report", orgAdmin, map[string]any{"report": "再报"}), http.StatusConflict,
		"evaluation.rectification_reported")
	servertest.Call(t, e, "GET", path, orgAdmin, nil, http.StatusOK, &v)
	if v.Rectification == nil || v.Rectification.ID != order.ID || v.Rectification.Report == nil {
		t.Errorf("the organization reads the order %+v, want %d with its report", v.Rectification, order.ID)
	}
	var re evaluationJSON
	servertest.Call(t, e, "POST", schedulePath, officer, map[string]any{"due_on": today.AddDays(40).String(),
		"evaluator_id": e.ActorOf(t, "demo-evaluator2").UserID, "reevaluation_of": v.ID}, http.StatusCreated, &re)
	if re.ReevaluationOf == nil || *re.ReevaluationOf != v.ID || re.Kind != "midterm" {
		t.Errorf("re-evaluation = %+v, want a mid-term linked to %d", re, v.ID)
	}
	var list struct {
		Items []evaluationJSON `json:"items"`
	}
	servertest.Call(t, e, "GET", schedulePath, evaluator2, nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].ID != re.ID {
		t.Errorf("demo-evaluator2 lists %+v, want only its re-evaluation %d", list.Items, re.ID)
	}
	servertest.Call(t, e, "GET", schedulePath, orgAdmin, nil, http.StatusOK, &list)
	if len(list.Items) != 2 {
		t.Errorf("the organization lists %d evaluations, want 2", len(list.Items))
	}
}

// Only a third-party evaluation agency invites evaluator accounts.
func TestMemberEvaluatorNeedsAgency(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	e.Refused(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/organizations/%d/members", e.Demo(t).Org1),
		Token: e.Token(t, "demo-org"), Body: map[string]any{"username": "kangle-evaluator", "password": "a long enough password",
			"role": "evaluator"}}, http.StatusConflict, "organization.not_evaluation_agency")
}
