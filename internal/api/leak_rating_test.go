package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// TestHiddenCommentLeak: once an officer hides a resident's abusive comment,
// its text appears in no response of any GET route, API or page, for any
// role (the provider, the officer who hid it and the public included), nor
// in the application's logs. Before the hiding the public ratings show it:
// the search would find a leak.
func TestHiddenCommentLeak(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	e := w.e
	c := e.ActiveContract(t)
	canary := "JDHIDDENCOMMENT" + leakRandomHex(t)
	l := &leakRecorder{t: t, w: w, needles: []leakNeedle{{"hidden comment", canary}}}

	var record struct {
		RatingCode struct {
			Code string `json:"code"`
		} `json:"rating_code"`
	}
	w.call(t, "POST", fmt.Sprintf("/api/v1/contracts/%d/service-records", c.ID), "demo-org", recordBody(e, c, "LEAK-1"), http.StatusCreated, &record)
	var rated struct {
		ID int64 `json:"id"`
	}
	w.call(t, "POST", "/api/v1/public/ratings", "", map[string]any{"code": record.RatingCode.Code, "timeliness": 1, "professionalism": 1,
		"attitude": 1, "effectiveness": 1, "overall": 1, "comment": "骂人的话 " + canary}, http.StatusCreated, &rated)
	org := e.IDOf(t, "organizations", "id = (SELECT organization_id FROM contracts WHERE id = ?)", c.ID)
	before := w.call(t, "GET", fmt.Sprintf("/api/v1/public/organizations/%d/ratings", org), "", nil, http.StatusOK, nil)
	if !slices.Contains(leakHits(before.Body, l.needles), "hidden comment") {
		t.Fatalf("before the hiding the provider's public ratings lack the comment: the search would miss a leak (%s)", before.Body)
	}
	w.call(t, "POST", fmt.Sprintf("/api/v1/ratings/%d/hide", rated.ID), "demo-officer", map[string]any{"reason": "含侮辱性言辞"}, http.StatusOK, nil)

	ids := leakIDs{item: w.item.ID, fund: w.fundID, org: org, district: w.district, subdistrict: w.subA, community: c.Communities[0],
		contract: c.ID, tender: e.IDOf(t, "tenders", "id = (SELECT tender_id FROM contracts WHERE id = ?)", c.ID),
		user: e.IDOf(t, "users", "username = 'demo-org'")}
	readers := slices.Clone(azIdentities[:])
	readers[0] = "" // anonymous
	l.crawl(readers, ids)
	l.check("the application log", []byte(e.Logs.String()))
	t.Logf("checked %d responses and the log for the hidden comment", l.checked)
}
