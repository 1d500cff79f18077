package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// TestHiddenCommentLeak: once an officer hides a resident's abusive comment,
// its text appears in no response of any GET route, API or page, for any
// role (the provider, the officer who hid it and the public included), nor
// in the application's logs. Before the hiding the public ratings, the
// contract's ratings and its ratings page show it: the search would find a
// leak.
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
	// The contract's ratings, API and page, show it to its readers too.
	before = w.call(t, "GET", fmt.Sprintf("/api/v1/contracts/%d/ratings", c.ID), "demo-org", nil, http.StatusOK, nil)
	if !slices.Contains(leakHits(before.Body, l.needles), "hidden comment") {
		t.Fatalf("before the hiding the contract's ratings lack the comment: the search would miss a leak (%s)", before.Body)
	}
	page := fmt.Sprintf("/contracts/%d/ratings", c.ID)
	if r := servertest.SignIn(t, e, "demo-officer").Get(t, page); !slices.Contains(leakHits(r.Body, l.needles), "hidden comment") {
		t.Fatalf("before the hiding %s lacks the comment: the crawl would miss a leak (%d)", page, r.Status)
	}
	w.call(t, "POST", fmt.Sprintf("/api/v1/ratings/%d/hide", rated.ID), "demo-officer", map[string]any{"reason": "含侮辱性言辞"}, http.StatusOK, nil)

	ids := leakIDs{item: w.item.ID, fund: w.fundID, org: org, district: w.district, subdistrict: w.subA, community: c.Communities[0],
		contract: c.ID, tender: e.IDOf(t, "tenders", "id = (SELECT tender_id FROM contracts WHERE id = ?)", c.ID),
		user: e.IDOf(t, "users", "username = 'demo-org'")}
	if _, pages := leakPaths(t, w, ids); !slices.Contains(pages, page) {
		t.Fatalf("the crawl does not read %s", page)
	}
	readers := slices.Clone(azIdentities[:])
	readers[0] = "" // anonymous
	l.crawl(readers, ids)
	l.check("the application log", []byte(e.Logs.String()))
	t.Logf("checked %d responses and the log for the hidden comment", l.checked)
}

// TestProviderRatingsNameNoRecord: the provider reads its ratings and the
// comments, never which record or beneficiary a rating came from (no
// retaliation). Its staff crawl every GET route, API and page; every
// response that carries a rating's comment names neither the record's
// beneficiary, nor its rating code, nor a record id. The crawl must find the
// comment (in the public ratings and the organization's own pages), or the
// test could not fail.
func TestProviderRatingsNameNoRecord(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	e := w.e
	c := e.ActiveContract(t)
	comment := "JDRATINGCOMMENT" + leakRandomHex(t)
	beneficiary := "JDBENEFICIARY" + leakRandomHex(t)

	var record struct {
		ID         int64 `json:"id"`
		RatingCode struct {
			Code string `json:"code"`
		} `json:"rating_code"`
	}
	w.call(t, "POST", fmt.Sprintf("/api/v1/contracts/%d/service-records", c.ID), "demo-org", recordBody(e, c, beneficiary), http.StatusCreated, &record)
	var rated struct {
		ID int64 `json:"id"`
	}
	w.call(t, "POST", "/api/v1/public/ratings", "", map[string]any{"code": record.RatingCode.Code, "timeliness": 2, "professionalism": 3,
		"attitude": 2, "effectiveness": 3, "overall": 2, "comment": "上门晚了 " + comment}, http.StatusCreated, &rated)
	w.call(t, "POST", fmt.Sprintf("/api/v1/ratings/%d/reply", rated.ID), "demo-org", map[string]any{"reply": "抱歉，已调整排班"}, http.StatusOK, nil)

	org := e.IDOf(t, "organizations", "id = (SELECT organization_id FROM contracts WHERE id = ?)", c.ID)
	ids := leakIDs{item: w.item.ID, fund: w.fundID, org: org, district: w.district, subdistrict: w.subA, community: c.Communities[0],
		contract: c.ID, tender: e.IDOf(t, "tenders", "id = (SELECT tender_id FROM contracts WHERE id = ?)", c.ID),
		user: e.IDOf(t, "users", "username = 'demo-org'")}
	names := []leakNeedle{{"the beneficiary", beneficiary}, {"the rating code", record.RatingCode.Code},
		{"a record id", `"record_id"`}, {"a link to the record", fmt.Sprintf("/service-records/%d", record.ID)}}
	api, pages := leakPaths(t, w, ids)
	for _, who := range []string{"demo-org", "demo-member"} {
		found := 0
		look := func(where string, body []byte) {
			if !bytes.Contains(body, []byte(comment)) {
				return
			}
			found++
			if hits := leakHits(body, names); len(hits) > 0 {
				t.Errorf("%s shows the rating's comment with %v: %.400s", where, hits, body)
			}
		}
		token := w.token(t, who)
		for _, p := range api {
			r := e.Do(t, servertest.Request{Method: "GET", Path: p, Token: token})
			look(fmt.Sprintf("GET %s as %s (%d)", p, who, r.Status), r.Body)
		}
		client := servertest.SignIn(t, e, who)
		for _, p := range pages {
			r := client.Get(t, p)
			look(fmt.Sprintf("page %s as %s (%d)", p, who, r.Status), r.Body)
		}
		// The public ratings (API and page) and the organization's ratings page.
		if found < 3 {
			t.Errorf("%s's crawl found the rating's comment in %d responses, want at least 3: the check would see nothing", who, found)
		}
		t.Logf("%s: %d API paths and %d pages crawled, %d carry the comment", who, len(api), len(pages), found)
	}
}
