package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// The officer of the contract's subdistrict reads a contract's ratings,
// hides an abusive comment with a reason, draws a follow-up sample and
// records a resident's answers; refused forms come back with the field
// marked and nothing written. The organization's staff read the same
// ratings without any form or the records to call.
func TestPagesContractRatings(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	ctx := t.Context()
	c := e.ActiveContract(t)
	var ids []int64
	for i, comment := range []string{"阿姨很细心", "骂人的话ABUSE", "准时上门"} {
		code := ratingCode(t, e, c, fmt.Sprintf("CR-BEN%d", i))
		v, err := e.Services.Ratings.Submit(ctx, access.Anonymous("cr", "10.50.0.1"), code, rating.Stars{Timeliness: 5,
			Professionalism: 5, Attitude: 5, Effectiveness: 5, Overall: 5, Comment: comment})
		if err != nil {
			t.Fatalf("Submit() error = %v", err)
		}
		ids = append(ids, v.ID)
	}
	path := fmt.Sprintf("/contracts/%d/ratings", c.ID)

	// The contract's page links here.
	officer := servertest.SignIn(t, e, "demo-officer")
	wantBody(t, "GET the contract", officer.Get(t, fmt.Sprintf("/contracts/%d", c.ID)), fmt.Sprintf(`href="%s" id="ratings-link"`, path))
	page := officer.Get(t, path)
	wantStatus(t, "GET "+path, page, http.StatusOK)
	wantBody(t, "GET "+path, page, "阿姨很细心", "骂人的话ABUSE", `id="summary-code"`, `id="gap-pending"`, `id="follow-ups-empty"`,
		fmt.Sprintf(`href="/contracts/%d" id="contract-link"`, c.ID), fmt.Sprintf(`id="hide-reason-%d"`, ids[1]))
	wantNoBody(t, "GET "+path, page, "CR-BEN")
	token := servertest.CSRFToken(t, page)
	post := func(p string, v url.Values) servertest.Response {
		v.Set("csrf_token", token)
		return officer.Post(t, p, v)
	}

	// Hiding: a reason is required; then the text is gone for good.
	hide := fmt.Sprintf("%s/%d/hide", path, ids[1])
	r := post(hide, url.Values{"reason": {"  "}})
	wantFormAlert(t, "POST a hide without a reason", r, http.StatusBadRequest, fmt.Sprintf("hide-reason-%d", ids[1]))
	wantBody(t, "POST a hide without a reason", r, "请填写 1 至 1000 字的隐藏理由")
	if n := servertest.CountWhere(t, e, "ratings", "comment_hidden_at IS NOT NULL"); n != 0 {
		t.Fatalf("%d comments hidden after a refused form, want 0", n)
	}
	r = post(hide, url.Values{"reason": {"含侮辱性言辞"}})
	servertest.WantRedirect(t, "POST a hide", r, fmt.Sprintf("%s?done=hidden#row-%d", path, ids[1]))
	page = officer.Get(t, path+"?done=hidden")
	wantBody(t, "GET after hiding", page, `id="ratings-done"`, "阿姨很细心", "该评论已因违反规定被隐藏")
	wantNoBody(t, "GET after hiding", page, "骂人的话ABUSE", fmt.Sprintf(`id="hide-reason-%d"`, ids[1]))
	r = post(hide, url.Values{"reason": {"再次隐藏"}})
	wantStatus(t, "POST a second hide", r, http.StatusConflict)
	wantBody(t, "POST a second hide", r, `role="alert"`, "这条评论已被隐藏")

	// Drawing: a size that is no number is refused; an empty one takes the default.
	draw := path[:len(path)-len("/ratings")] + "/follow-ups"
	r = post(draw, url.Values{"size": {"abc"}})
	wantFormAlert(t, "POST a draw of abc", r, http.StatusBadRequest, fmt.Sprintf("draw-size-%d", c.ID))
	wantBody(t, "POST a draw of abc", r, `value="abc"`)
	if n := servertest.Count(t, e, "follow_ups"); n != 0 {
		t.Fatalf("%d follow-ups after a refused draw, want 0", n)
	}
	r = post(draw, url.Values{"size": {""}})
	servertest.WantRedirect(t, "POST a draw", r, path+"?done=drawn#follow-ups")
	if n := servertest.Count(t, e, "follow_ups"); n != 3 {
		t.Fatalf("%d follow-ups drawn, want the contract's 3 records", n)
	}
	r = post(draw, url.Values{"size": {"1"}})
	wantStatus(t, "POST a draw with none left", r, http.StatusConflict)
	wantBody(t, "POST a draw with none left", r, "没有可抽取的记录")
	page = officer.Get(t, path)
	wantBody(t, "GET with follow-ups", page, "CR-BEN0", "CR-BEN1", "CR-BEN2")
	fid := e.IDOf(t, "follow_ups", "id = (SELECT min(id) FROM follow_ups WHERE contract_id = ?)", c.ID)

	// Recording: the stars are required, each 1 to 5; what was typed comes back.
	record := fmt.Sprintf("%s/%d/rating", draw, fid)
	answers := url.Values{"timeliness": {"3"}, "professionalism": {"2"}, "attitude": {"3"}, "effectiveness": {"2"}, "overall": {"6"},
		"comment": {"电话回访：上门次数不足"}}
	r = post(record, answers)
	wantFormAlert(t, "POST a follow-up with 6 stars", r, http.StatusBadRequest, fmt.Sprintf("followup-overall-%d", fid))
	wantBody(t, "POST a follow-up with 6 stars", r, `<option value="2" selected>`, "电话回访：上门次数不足")
	if n := servertest.CountWhere(t, e, "ratings", "kind = ?", rating.KindFollowUp); n != 0 {
		t.Fatalf("%d follow-up ratings after a refused form, want 0", n)
	}
	answers.Set("overall", "2")
	r = post(record, answers)
	servertest.WantRedirect(t, "POST a follow-up", r, fmt.Sprintf("%s?done=recorded#fu-%d", path, fid))
	page = officer.Get(t, path)
	wantBody(t, "GET after the call", page, "电话回访：上门次数不足", "已回访")
	if m := regexp.MustCompile(`<tr id="summary-follow_up"><th scope="row">回访</th><td class="num">1</td>`).Find(page.Body); m == nil {
		t.Errorf("GET after the call: the follow-up summary does not count 1: %s", page.Body)
	}
	r = post(record, answers)
	wantStatus(t, "POST a second answer", r, http.StatusConflict)
	wantBody(t, "POST a second answer", r, "这次回访已记录过评价")

	// The organization's staff: the ratings and the way to reply, no form,
	// no record to call, no hidden text.
	for _, who := range []string{"demo-org", "demo-member"} {
		page = servertest.SignIn(t, e, who).Get(t, path)
		wantStatus(t, "GET as "+who, page, http.StatusOK)
		wantBody(t, "GET as "+who, page, "阿姨很细心", "电话回访：上门次数不足", `id="reply-hint"`, fmt.Sprintf(`href="/org/ratings#row-%d"`, ids[0]))
		wantNoBody(t, "GET as "+who, page, "CR-BEN", "骂人的话ABUSE", `id="follow-ups"`, "/hide", `name="reason"`)
	}
	// The district admin reads the page, but not the contract's page.
	page = servertest.SignIn(t, e, "demo-district").Get(t, path)
	wantStatus(t, "GET as demo-district", page, http.StatusOK)
	wantNoBody(t, "GET as demo-district", page, `id="contract-link"`, "CR-BEN", `id="follow-ups"`, "骂人的话ABUSE")
}

// A wide gap between self-service and follow-up ratings is flagged on the
// page, to the officer and the organization alike.
func TestPagesContractRatingsGap(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	ctx := t.Context()
	c := e.ActiveContract(t)
	officer := e.ActorOf(t, "demo-officer")
	for i := range 5 {
		code := ratingCode(t, e, c, fmt.Sprintf("GAP-%d", i))
		if _, err := e.Services.Ratings.Submit(ctx, access.Anonymous("gap", "10.50.1.1"), code, rating.Stars{Timeliness: 5,
			Professionalism: 5, Attitude: 5, Effectiveness: 5, Overall: 5}); err != nil {
			t.Fatalf("Submit() error = %v", err)
		}
	}
	fus, err := e.Services.Ratings.DrawFollowUps(ctx, officer, c.ID, 5)
	if err != nil {
		t.Fatalf("DrawFollowUps() error = %v", err)
	}
	path := fmt.Sprintf("/contracts/%d/ratings", c.ID)
	for i, f := range fus {
		if i == 4 {
			wantNoBody(t, "GET before the gap", servertest.SignIn(t, e, "demo-officer").Get(t, path), `id="gap-flagged"`)
		}
		if _, err := e.Services.Ratings.RecordFollowUp(ctx, officer, f.ID, rating.Stars{Timeliness: 3, Professionalism: 3,
			Attitude: 3, Effectiveness: 3, Overall: 3}); err != nil {
			t.Fatalf("RecordFollowUp() error = %v", err)
		}
	}
	for _, who := range []string{"demo-officer", "demo-org"} {
		page := servertest.SignIn(t, e, who).Get(t, path)
		wantBody(t, "GET as "+who, page, `id="gap-flagged"`, "高 2.00 星")
	}
}
