package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

// signals is an active contract of org 1 with residents' signals on it:
// rated records (their beneficiary references never shown with a rating),
// a complaint assigned to the contract and a hotline service request.
type signals struct {
	contract  servertest.Contract
	records   []int64
	ratings   []int64 // with the comments "评论0", "评论1"…
	complaint int64
	request   int64
}

// newSignals makes them; n ratings, each of its own record.
func newSignals(t *testing.T, e *servertest.Env, n int) signals {
	t.Helper()
	ctx := t.Context()
	s := signals{contract: e.ActiveContract(t)}
	org, officer := e.ActorOf(t, "demo-org"), e.ActorOf(t, "demo-officer")
	today := civil.ChinaDate(e.Clock.Now())
	var code string
	for i := range n + 1 {
		v, err := e.Services.Records.Record(ctx, org, s.contract.ID, delivery.Input{Date: today.String(), CommunityID: s.contract.Communities[0],
			ServiceType: "service_visits", DurationMinutes: 60, StaffName: "王丽", BeneficiaryRef: fmt.Sprintf("NJ-SIG%d", i)})
		if err != nil {
			t.Fatalf("Record() error = %v", err)
		}
		s.records = append(s.records, v.ID)
		if i == n {
			code = v.RatingCode.Code // left unrated, for the complaint
			break
		}
		r, err := e.Services.Ratings.Submit(ctx, access.Anonymous("sig", fmt.Sprintf("10.30.0.%d", i+1)), v.RatingCode.Code,
			rating.Stars{Timeliness: 4, Professionalism: 4, Attitude: 3, Effectiveness: 4, Overall: 4, Comment: fmt.Sprintf("评论%d", i)})
		if err != nil {
			t.Fatalf("Submit() error = %v", err)
		}
		s.ratings = append(s.ratings, r.ID)
	}
	rc, err := e.Services.Complaints.File(ctx, access.Anonymous("sig", "10.30.1.1"), complaint.Input{RatingCode: code,
		Description: "服务人员迟到一小时", Contact: "13812345678"})
	if err != nil {
		t.Fatalf("File() error = %v", err)
	}
	s.complaint = e.IDOf(t, "complaints", "reference = ?", rc.Reference)
	if _, err := e.Services.Complaints.Assign(ctx, officer, s.complaint, s.contract.ID); err != nil {
		t.Fatalf("Assign() error = %v", err)
	}
	req, err := e.Services.ServiceRequests.Create(ctx, officer, servicerequest.Input{CommunityID: s.contract.Communities[0],
		ContractID: s.contract.ID, Note: "老人行动不便，需上门助浴", ContactName: "李阿姨", ContactPhone: "13900001111"})
	if err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	s.request = req.ID
	return s
}

// The organization replies once to a rating (a second reply and an empty one
// are refused next to the field); its page never names a record or
// beneficiary, and a comment an officer hides disappears from it.
func TestPagesOrgRatings(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	s := newSignals(t, e, 2)
	org := servertest.SignIn(t, e, "demo-org")
	page := org.Get(t, "/org/ratings")
	wantStatus(t, "GET /org/ratings", page, http.StatusOK)
	wantBody(t, "GET /org/ratings", page, "评论0", "评论1", fmt.Sprintf(`id="reply-reply-%d"`, s.ratings[0]))
	wantNoBody(t, "GET /org/ratings", page, "NJ-SIG", "/service-records/")
	token := servertest.CSRFToken(t, page)

	path := fmt.Sprintf("/org/ratings/%d/reply", s.ratings[0])
	r := org.Post(t, path, url.Values{"csrf_token": {token}, "reply": {"  "}})
	wantFormAlert(t, "POST an empty reply", r, http.StatusBadRequest, fmt.Sprintf("reply-reply-%d", s.ratings[0]))
	wantBody(t, "POST an empty reply", r, `<p class="field-error">请填写 1 至 1000 字的回复。`)
	r = org.Post(t, path, url.Values{"csrf_token": {token}, "reply": {"感谢您的评价，我们会改进"}})
	servertest.WantRedirect(t, "POST a reply", r, fmt.Sprintf("/org/ratings?done=replied#row-%d", s.ratings[0]))
	r = servertest.SignIn(t, e, "demo-member").Post(t, path, url.Values{"csrf_token": {token}, "reply": {"再次回复"}})
	wantStatus(t, "POST a second reply", r, http.StatusForbidden) // the member's own session has its own token
	member := servertest.SignIn(t, e, "demo-member")
	mp := member.Get(t, "/org/ratings")
	r = member.Post(t, path, url.Values{"csrf_token": {servertest.CSRFToken(t, mp)}, "reply": {"再次回复"}})
	wantStatus(t, "POST a second reply", r, http.StatusConflict)
	wantBody(t, "POST a second reply", r, `role="alert"`, "每条评价只能回复一次", "感谢您的评价")
	if n := servertest.CountWhere(t, e, "ratings", "reply IS NOT NULL"); n != 1 {
		t.Errorf("%d ratings replied, want 1", n)
	}
	r = servertest.SignIn(t, e, "demo-org2").Get(t, "/org/ratings")
	wantNoBody(t, "GET /org/ratings as another organization", r, "评论0")
	other := servertest.SignIn(t, e, "demo-org2")
	r = other.Post(t, fmt.Sprintf("/org/ratings/%d/reply", s.ratings[1]), url.Values{"csrf_token": {servertest.CSRFToken(t, other.Get(t, "/org/ratings"))}, "reply": {"别家"}})
	wantStatus(t, "POST a reply as another organization", r, http.StatusNotFound)

	if _, err := e.Services.Ratings.Hide(t.Context(), e.ActorOf(t, "demo-officer"), s.ratings[1], "辱骂"); err != nil {
		t.Fatalf("Hide() error = %v", err)
	}
	page = org.Get(t, "/org/ratings")
	wantBody(t, "GET /org/ratings after hiding", page, "评论0", "该评论已因违反规定被隐藏")
	wantNoBody(t, "GET /org/ratings after hiding", page, "评论1")
}

// The organization answers the complaint forwarded to it; it never sees the
// complainant's contact; another organization finds no such complaint.
func TestPagesOrgComplaints(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	s := newSignals(t, e, 0)
	org := servertest.SignIn(t, e, "demo-member")
	page := org.Get(t, "/org/complaints")
	wantStatus(t, "GET /org/complaints", page, http.StatusOK)
	wantBody(t, "GET /org/complaints", page, "服务人员迟到一小时", "待答复", fmt.Sprintf(`id="respond-response-%d"`, s.complaint),
		"<dd>"+contractTitle(t, e, s.contract.ID)+"</dd>")
	wantNoBody(t, "GET /org/complaints", page, "13812345678", "NJ-SIG")
	token := servertest.CSRFToken(t, page)
	path := fmt.Sprintf("/org/complaints/%d/respond", s.complaint)
	r := org.Post(t, path, url.Values{"csrf_token": {token}, "response": {""}})
	wantFormAlert(t, "POST an empty response", r, http.StatusBadRequest, fmt.Sprintf("respond-response-%d", s.complaint))
	other := servertest.SignIn(t, e, "demo-org2")
	r = other.Post(t, path, url.Values{"csrf_token": {servertest.CSRFToken(t, other.Get(t, "/org/complaints"))}, "response": {"别家答复"}})
	wantStatus(t, "POST a response as another organization", r, http.StatusNotFound)
	r = org.Post(t, path, url.Values{"csrf_token": {token}, "response": {"已致歉并调整排班"}})
	servertest.WantRedirect(t, "POST a response", r, fmt.Sprintf("/org/complaints?done=responded#row-%d", s.complaint))
	page = org.Get(t, "/org/complaints")
	wantBody(t, "GET /org/complaints after responding", page, "已致歉并调整排班", "已答复")
	r = org.Post(t, path, url.Values{"csrf_token": {token}, "response": {"再答复"}})
	wantStatus(t, "POST a second response", r, http.StatusConflict)
}

// The organization declines only with a reason, accepts with a schedule and
// fulfils with one of the contract's records; another organization finds no
// such request.
func TestPagesOrgRequests(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	s := newSignals(t, e, 0)
	org := servertest.SignIn(t, e, "demo-org")
	page := org.Get(t, "/org/requests")
	wantStatus(t, "GET /org/requests", page, http.StatusOK)
	wantBody(t, "GET /org/requests", page, "老人行动不便", "李阿姨 13900001111")
	token := servertest.CSRFToken(t, page)
	path := func(step string) string { return fmt.Sprintf("/org/requests/%d/%s", s.request, step) }

	r := org.Post(t, path("decline"), url.Values{"csrf_token": {token}, "reason": {" "}})
	wantFormAlert(t, "POST a decline without a reason", r, http.StatusBadRequest, fmt.Sprintf("decline-reason-%d", s.request))
	wantBody(t, "POST a decline without a reason", r, `<p class="field-error">请填写拒绝理由`)
	r = org.Post(t, path("accept"), url.Values{"csrf_token": {token}, "scheduled_at": {"tomorrow"}})
	wantFormAlert(t, "POST an accept with a bad time", r, http.StatusBadRequest, fmt.Sprintf("accept-scheduled_at-%d", s.request))
	past := e.Clock.Now().Add(-48 * time.Hour).In(civil.China).Format("2006-01-02T15:04")
	r = org.Post(t, path("accept"), url.Values{"csrf_token": {token}, "scheduled_at": {past}})
	wantFormAlert(t, "POST an accept in the past", r, http.StatusBadRequest, fmt.Sprintf("accept-scheduled_at-%d", s.request))
	other := servertest.SignIn(t, e, "demo-org2")
	r = other.Post(t, path("accept"), url.Values{"csrf_token": {servertest.CSRFToken(t, other.Get(t, "/org/requests"))}})
	wantStatus(t, "POST an accept as another organization", r, http.StatusNotFound)
	if n := servertest.CountWhere(t, e, "service_requests", "status = ?", "requested"); n != 1 {
		t.Fatalf("%d requests still requested, want 1: a refused form wrote", n)
	}

	soon := e.Clock.Now().Add(48 * time.Hour).In(civil.China).Format("2006-01-02T15:04")
	r = org.Post(t, path("accept"), url.Values{"csrf_token": {token}, "scheduled_at": {soon}})
	servertest.WantRedirect(t, "POST an accept", r, fmt.Sprintf("/org/requests?done=accepted#row-%d", s.request))
	page = org.Get(t, "/org/requests")
	wantBody(t, "GET /org/requests after accepting", page, soon[:10]+" "+soon[11:], fmt.Sprintf(`id="fulfil-service_record_id-%d"`, s.request),
		fmt.Sprintf(`<option value="%d">`, s.records[0]))
	r = org.Post(t, path("decline"), url.Values{"csrf_token": {token}, "reason": {"人手不足"}})
	wantStatus(t, "POST a decline of an accepted request", r, http.StatusConflict)
	r = org.Post(t, path("fulfil"), url.Values{"csrf_token": {token}, "service_record_id": {"999999"}})
	wantFormAlert(t, "POST a fulfil with another record", r, http.StatusBadRequest, fmt.Sprintf("fulfil-service_record_id-%d", s.request))
	r = org.Post(t, path("fulfil"), url.Values{"csrf_token": {token}, "service_record_id": {fmt.Sprint(s.records[0])}})
	servertest.WantRedirect(t, "POST a fulfil", r, fmt.Sprintf("/org/requests?done=fulfilled#row-%d", s.request))
	if !strings.Contains(string(org.Get(t, "/org/requests?status=fulfilled").Body), "老人行动不便") {
		t.Error("the fulfilled request is not listed under fulfilled")
	}
}

// contractTitle reads a contract's title.
func contractTitle(t *testing.T, e *servertest.Env, id int64) string {
	t.Helper()
	var title string
	if err := e.DB.Raw("SELECT title FROM contracts WHERE id = ?", id).Scan(&title).Error; err != nil || title == "" {
		t.Fatalf("title of contract %d = %q, %v", id, title, err)
	}
	return title
}
