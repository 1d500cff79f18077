package api_test

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

const complaintContact = "13812345678"

type complaintReceipt struct {
	Reference string `json:"reference"`
	Status    string `json:"status"`
}

type complaintList struct {
	Items []map[string]any `json:"items"`
	Total int              `json:"total"`
}

// complaintWorld is an environment with an active contract of A with org 1
// and a service record whose rating code a complaint names.
func complaintWorld(t *testing.T) (*servertest.Env, servertest.Contract, string) {
	t.Helper()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	var rec struct {
		ID         int64 `json:"id"`
		RatingCode struct {
			Code string `json:"code"`
		} `json:"rating_code"`
	}
	servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/contracts/%d/service-records", c.ID), e.Token(t, "demo-org"),
		recordBody(e, c, "CP-API"), http.StatusCreated, &rec)
	rc, err := e.Services.Records.RatingCode(t.Context(), e.ActorOf(t, "demo-org"), rec.ID)
	if err != nil {
		t.Fatalf("RatingCode() error = %v", err)
	}
	return e, c, rc.Code
}

// TestComplaintLifecycleAPI files anonymously by rating code, follows by
// reference, assigns, responds and decides through the API; the contact is
// in no response but the subdistrict officer's (every shape checked), and
// the public lookup shows it masked.
func TestComplaintLifecycleAPI(t *testing.T) {
	t.Parallel()
	e, c, code := complaintWorld(t)
	officer, member := e.Token(t, "demo-officer"), e.Token(t, "demo-member")

	var rc complaintReceipt
	servertest.Call(t, e, "POST", "/api/v1/public/complaints", "", map[string]any{"rating_code": strings.ToLower(code),
		"description": "服务人员未按约定时间上门", "contact": complaintContact}, http.StatusCreated, &rc)
	if rc.Status != "received" || !strings.HasPrefix(rc.Reference, "TS-") {
		t.Fatalf("receipt = %+v", rc)
	}
	var list complaintList
	servertest.Call(t, e, "GET", "/api/v1/complaints?status=received", officer, nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0]["contact"] != complaintContact || list.Items[0]["contract_id"] != float64(c.ID) {
		t.Fatalf("officer's list = %+v, want the complaint with its contact and contract", list)
	}
	id := int64(list.Items[0]["id"].(float64))

	// Every response any identity gets, before and after each step: the
	// contact appears only in the subdistrict officer's.
	crawl := func(step string) {
		t.Helper()
		for _, who := range servertest.Identities {
			token := ""
			if who != "anonymous" {
				token = e.Token(t, who)
			}
			for _, path := range []string{"/api/v1/complaints", "/api/v1/complaints?overdue=false", "/api/v1/public/complaints/" + rc.Reference,
				"/api/v1/public/complaints/" + strings.ToLower(strings.ReplaceAll(rc.Reference, "-", "")), "/api/v1/notifications"} {
				r := e.Do(t, servertest.Request{Method: "GET", Path: path, Token: token})
				shows := strings.Contains(string(r.Body), complaintContact)
				if want := who == "demo-officer" && strings.HasPrefix(path, "/api/v1/complaints"); shows != want {
					t.Errorf("%s: GET %s as %s = %d, shows the contact %v, want %v", step, path, who, r.Status, shows, want)
				}
			}
		}
	}
	crawl("received")

	var v map[string]any
	servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/complaints/%d/assign", id), officer, map[string]any{}, http.StatusOK, &v)
	if v["status"] != "assigned" || v["contact"] != complaintContact {
		t.Fatalf("assign = %v", v)
	}
	v = map[string]any{}
	r := servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/complaints/%d/respond", id), member,
		map[string]any{"response": "已致歉并调整排班"}, http.StatusOK, &v)
	if v["status"] != "responded" || strings.Contains(string(r.Body), complaintContact) || v["record_id"] != nil {
		t.Fatalf("respond = %s, want responded, without contact or record", r.Body)
	}
	crawl("responded")
	servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/complaints/%d/decide", id), officer,
		map[string]any{"outcome": "upheld", "reason": "迟到属实"}, http.StatusOK, &v)
	if v["status"] != "decided" || v["outcome"] != "upheld" {
		t.Fatalf("decide = %v", v)
	}
	crawl("decided")

	var p map[string]any
	servertest.Call(t, e, "GET", "/api/v1/public/complaints/"+rc.Reference, "", nil, http.StatusOK, &p)
	if p["outcome"] != "upheld" || p["decision_reason"] != "迟到属实" || p["response"] != "已致歉并调整排班" ||
		p["contact_masked"] != "138****5678" || p["description"] != nil {
		t.Errorf("public view = %v, want outcome, reason, response, masked contact and no description", p)
	}
	servertest.Call(t, e, "GET", "/api/v1/public/complaints/TS-0000-0000-0000", "", nil, http.StatusNotFound, nil)
	servertest.Call(t, e, "GET", "/api/v1/public/complaints/not-a-reference", "", nil, http.StatusNotFound, nil)

	// The district reads without the contact; the other subdistrict reads nothing.
	list = complaintList{}
	servertest.Call(t, e, "GET", "/api/v1/complaints", e.Token(t, "demo-district"), nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0]["contact"] != nil {
		t.Errorf("district's list = %+v, want the complaint without contact", list)
	}
	list = complaintList{}
	servertest.Call(t, e, "GET", "/api/v1/complaints", e.Token(t, "demo-officer2"), nil, http.StatusOK, &list)
	if len(list.Items) != 0 || list.Total != 0 {
		t.Errorf("officer2's list = %+v, want none", list)
	}
}

// TestComplaintRefusedAPI: bad input and wrong steps answer problem+json and
// write nothing.
func TestComplaintRefusedAPI(t *testing.T) {
	t.Parallel()
	e, c, code := complaintWorld(t)
	d := e.Demo(t)
	officer, org := e.Token(t, "demo-officer"), e.Token(t, "demo-org")
	post := func(path, token string, body any) servertest.Request {
		return servertest.Request{Method: "POST", Path: path, Token: token, Body: body}
	}
	const file = "/api/v1/public/complaints"
	e.Refused(t, post(file, "", map[string]any{"rating_code": code}), 400, "validation", "description")
	e.Refused(t, post(file, "", map[string]any{"rating_code": code, "description": strings.Repeat("长", 2001)}), 400, "validation", "description")
	// An unknown code counts against the address, as on the rating page.
	e.RefusedCounting(t, "rating_code_failures", post(file, "", map[string]any{"rating_code": "ZZZZZZZZZZ", "description": "x"}), 400, "validation", "rating_code")
	e.Refused(t, post(file, "", map[string]any{"rating_code": code, "description": "x", "contact": "微信 abc"}), 400, "validation", "contact")
	e.Refused(t, post(file, "", map[string]any{"organization_id": d.Org1, "community_id": 999999, "description": "x"}), 400, "validation", "community_id")
	e.Refused(t, post(file, "", map[string]any{"description": "x"}), 400, "validation", "organization_id", "community_id")
	e.Refused(t, post(file, "", map[string]any{"rating_code": code, "description": "x", "name": "张三"}), 400, "validation", "name")
	e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/complaints?status=open", Token: officer}, 400, "validation", "status")
	e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/complaints?overdue=yes", Token: officer}, 400, "validation", "overdue")

	var rc complaintReceipt
	servertest.Call(t, e, "POST", file, "", map[string]any{"rating_code": code, "description": "x"}, http.StatusCreated, &rc)
	id := e.IDOf(t, "complaints", "reference = ?", rc.Reference)
	path := func(action string) string { return fmt.Sprintf("/api/v1/complaints/%d/%s", id, action) }
	e.Refused(t, post(path("respond"), org, map[string]any{"response": "未转办先答复"}), 404, "not_found")
	e.Refused(t, post(path("decide"), officer, map[string]any{"outcome": "maybe", "reason": ""}), 400, "validation", "outcome", "reason")
	e.Refused(t, post(path("assign"), officer, map[string]any{"contract_id": c.ID + 1000}), 400, "validation", "contract_id")
	servertest.Call(t, e, "POST", path("assign"), officer, map[string]any{}, http.StatusOK, nil)
	e.Refused(t, post(path("assign"), officer, map[string]any{}), 409, "complaint.already_assigned")
	e.Refused(t, post(path("respond"), org, map[string]any{"response": " "}), 400, "validation", "response")
	e.Refused(t, post(path("respond"), e.Token(t, "demo-org2"), map[string]any{"response": "别家答复"}), 404, "not_found")
	servertest.Call(t, e, "POST", path("decide"), officer, map[string]any{"outcome": "not_upheld", "reason": "查无此事"}, http.StatusOK, nil)
	e.Refused(t, post(path("decide"), officer, map[string]any{"outcome": "upheld", "reason": "改判"}), 409, "complaint.decided")
	e.Refused(t, post(path("respond"), org, map[string]any{"response": "办结后答复"}), 409, "complaint.decided")
}

// TestComplaintAnonymousLimit: anonymous complaints are limited per
// address; a signed-in officer filing on a resident's behalf is not.
func TestComplaintAnonymousLimit(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(t)
	cfg.HTTP.AnonymousWritesPerMinute = 2
	e := servertest.NewEnvWith(t, cfg)
	d := e.Demo(t)
	body := map[string]any{"organization_id": d.Org1, "community_id": d.CommA, "description": "热线转来的投诉"}
	for range 2 {
		servertest.Call(t, e, "POST", "/api/v1/public/complaints", "", body, http.StatusCreated, nil)
	}
	r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/public/complaints", Body: body})
	if r.Status != http.StatusTooManyRequests || r.Problem(t).Code != "too_many_requests" {
		t.Fatalf("third anonymous complaint in a minute = %d %s, want 429", r.Status, r.Body)
	}
	servertest.Call(t, e, "POST", "/api/v1/public/complaints", e.Token(t, "demo-officer"), body, http.StatusCreated, nil)
	if n := servertest.Count(t, e, "complaints"); n != 3 {
		t.Errorf("%d complaints, want 3", n)
	}
}

// TestComplaintWrongCodesThrottled: a complaint by rating code is no way
// around the wrong-code throttle of the rating page. Unknown codes tried on
// either form count against one budget per address: once the rating form
// has refused WrongCodesPerMinute codes, a complaint naming an unknown code
// is throttled too, and the other way round.
func TestComplaintWrongCodesThrottled(t *testing.T) {
	t.Parallel()
	limit := servertest.Config(t).Rating.WrongCodesPerMinute
	stars := map[string]any{"timeliness": 5, "professionalism": 5, "attitude": 5, "effectiveness": 5, "overall": 5}
	rate := func(code string) map[string]any {
		body := maps.Clone(stars)
		body["code"] = code
		return body
	}
	complain := map[string]any{"rating_code": "ZZZZZZZZZZ", "description": "上门服务没有来"}

	t.Run("rating form first", func(t *testing.T) {
		t.Parallel()
		e := servertest.NewEnv(t)
		for range limit {
			servertest.Call(t, e, "POST", "/api/v1/public/ratings", "", rate("ZZZZZZZZZZ"), http.StatusUnprocessableEntity, nil)
		}
		r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/public/complaints", Body: complain})
		if r.Status != http.StatusTooManyRequests || r.Problem(t).Code != "rating.throttled" {
			t.Fatalf("complaint with an unknown code after %d wrong codes = %d %s, want 429 rating.throttled", limit, r.Status, r.Body)
		}
	})
	t.Run("complaint form first", func(t *testing.T) {
		t.Parallel()
		e, _, code := complaintWorld(t)
		for range limit {
			r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/public/complaints", Body: complain})
			if r.Status != http.StatusBadRequest {
				t.Fatalf("complaint with an unknown code = %d %s, want 400", r.Status, r.Body)
			}
		}
		r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/public/ratings", Body: rate(code)})
		if r.Status != http.StatusTooManyRequests || r.Problem(t).Code != "rating.throttled" {
			t.Fatalf("rating after %d unknown codes on the complaint form = %d %s, want 429 rating.throttled", limit, r.Status, r.Body)
		}
	})
}

// TestComplaintLookupLimit: looking a case up by its reference without
// signing in is limited per address, so that references cannot be tried in
// bulk; a signed-in officer is not limited.
func TestComplaintLookupLimit(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(t)
	cfg.HTTP.AnonymousLookupsPerMinute = 2
	e := servertest.NewEnvWith(t, cfg)
	const path = "/api/v1/public/complaints/TS-0000-0000-0000"
	for range 2 {
		e.Refused(t, servertest.Request{Method: "GET", Path: path}, http.StatusNotFound, "not_found")
	}
	r := e.Do(t, servertest.Request{Method: "GET", Path: path})
	if r.Status != http.StatusTooManyRequests || r.Problem(t).Code != "too_many_requests" {
		t.Fatalf("third anonymous lookup in a minute = %d %s, want 429", r.Status, r.Body)
	}
	e.Refused(t, servertest.Request{Method: "GET", Path: path, Token: e.Token(t, "demo-officer")}, http.StatusNotFound, "not_found")
}
