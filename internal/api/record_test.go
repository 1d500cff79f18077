package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

func TestServiceRecordAPI(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	org, officer, district := e.Token(t, "demo-org"), e.Token(t, "demo-officer"), e.Token(t, "demo-district")
	path := fmt.Sprintf("/api/v1/contracts/%d/service-records", c.ID)

	var created struct {
		ID         int64 `json:"id"`
		RatingCode struct {
			Code string `json:"code"`
		} `json:"rating_code"`
	}
	servertest.Call(t, e, "POST", path, org, recordBody(e, c, "API-1"), http.StatusCreated, &created)
	if len(created.RatingCode.Code) != 10 {
		t.Errorf("POST %s rating code = %q, want 10 characters", path, created.RatingCode.Code)
	}

	// Bad input writes nothing.
	before, audits := servertest.Count(t, e, "service_records"), servertest.Count(t, e, "audit_entries")
	bad := recordBody(e, c, "110105194912310021")
	bad["beneficiary_ref"] = "+86 139-0572-1234"
	r := e.Do(t, servertest.Request{Method: "POST", Path: path, Token: org, Body: bad})
	if r.Status != http.StatusBadRequest || !azHasFields(r.Problem(t), "beneficiary_ref") {
		t.Errorf("POST a mobile number = %d %s, want 400 naming beneficiary_ref", r.Status, r.Body)
	}
	csv := "date,community,service_type,duration_minutes,staff,beneficiary_ref\n" +
		"2026-11-21,南街社区,service_visits,30,王丽,OK-1\n" +
		"2099-01-01,南街社区,service_visits,30,王丽,OK-2\n"
	r = e.Do(t, servertest.Request{Method: "POST", Path: path + "/import", Token: org, Body: csv, Header: map[string]string{"Content-Type": "text/csv"}})
	p := r.Problem(t)
	if r.Status != http.StatusUnprocessableEntity || p.Code != "service_record.import_invalid" || !strings.Contains(string(r.Body), `"line":3`) {
		t.Errorf("POST a CSV with a future date = %d %s, want 422 naming line 3", r.Status, r.Body)
	}
	r = e.Do(t, servertest.Request{Method: "POST", Path: path + "/import", Token: org, Body: csv})
	if r.Status != http.StatusUnsupportedMediaType {
		t.Errorf("POST a CSV as JSON = %d %s, want 415", r.Status, r.Body)
	}
	if n, a := servertest.Count(t, e, "service_records"), servertest.Count(t, e, "audit_entries"); n != before || a != audits {
		t.Errorf("refused writes changed the counts: service_records %d → %d, audit_entries %d → %d", before, n, audits, a)
	}

	// Readers: officers see references, the district admin does not; nobody but the organization sees codes.
	for token, wantRef := range map[string]bool{org: true, officer: true, district: false} {
		r := servertest.Call(t, e, "GET", path+"?from=2026-01-01&service_type=service_visits", token, nil, http.StatusOK, nil)
		if got := strings.Contains(string(r.Body), "API-1"); got != wantRef {
			t.Errorf("GET %s shows the reference: %v, want %v (%s)", path, got, wantRef, r.Body)
		}
		if got := strings.Contains(string(r.Body), created.RatingCode.Code); got != (token == org) {
			t.Errorf("GET %s shows the rating code: %v", path, got)
		}
	}
	r = e.Do(t, servertest.Request{Method: "GET", Path: path + "?from=2026-13-01", Token: officer})
	if r.Status != http.StatusBadRequest || !azHasFields(r.Problem(t), "from") {
		t.Errorf("GET with a bad date = %d %s, want 400 naming from", r.Status, r.Body)
	}

	// Tenant isolation: another subdistrict's officer and another organization find nothing.
	for _, who := range []string{"demo-officer2", "demo-org2"} {
		tok := e.Token(t, who)
		e.Refused(t, servertest.Request{Method: "GET", Path: path, Token: tok}, http.StatusNotFound, "not_found")
	}
	e.Refused(t, servertest.Request{Method: "PATCH", Path: fmt.Sprintf("/api/v1/service-records/%d", created.ID), Token: e.Token(t, "demo-org2"),
		Body: map[string]any{"notes": "越权", "reason": "越权"}}, http.StatusNotFound, "not_found")
}
