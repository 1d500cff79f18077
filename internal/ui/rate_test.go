package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// ratingCode records a service of contract c as demo-org and returns the
// record's rating code, as its QR code carries it.
func ratingCode(t *testing.T, e *servertest.Env, c servertest.Contract, ref string) string {
	t.Helper()
	ctx, org := context.Background(), e.ActorOf(t, "demo-org")
	v, err := e.Services.Records.Record(ctx, org, c.ID, delivery.Input{Date: civil.ChinaDate(e.Clock.Now()).String(),
		CommunityID: c.Communities[0], ServiceType: "service_visits", DurationMinutes: 60, StaffName: "王丽", BeneficiaryRef: ref})
	if err != nil {
		t.Fatalf("Record() error = %v", err)
	}
	rc, err := e.Services.Records.RatingCode(ctx, org, v.ID)
	if err != nil {
		t.Fatalf("RatingCode() error = %v", err)
	}
	return rc.Code
}

// rateForm is a complete rating of code.
func rateForm(token, code string) url.Values {
	return url.Values{"csrf_token": {token}, "code": {code}, "timeliness": {"5"}, "professionalism": {"4"}, "attitude": {"5"},
		"effectiveness": {"4"}, "overall": {"5"}, "comment": {"阿姨很细心"}}
}

var stylesheets = regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)"`)

// The rating page, as a resident's phone loads it from the QR code: the
// HTML and every stylesheet it links weigh under 30 KB together, with no
// script, a viewport for phones and the code filled in, in zh-CN first.
func TestPagesRateSize(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	code := ratingCode(t, e, e.ActiveContract(t), "NJ-SIZE")
	p := servertest.NewPageClient(e)
	page := p.Get(t, "/rate?code="+code)
	wantStatus(t, "GET /rate", page, http.StatusOK)
	wantBody(t, "GET /rate", page, `<html lang="zh-CN">`, `<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`value="`+code+`"`, "及时性", "专业性", "服务态度", "服务效果", "总体评价", `name="csrf_token"`, `maxlength="500"`)
	wantNoBody(t, "GET /rate", page, "<script")
	total := len(page.Body)
	links := stylesheets.FindAllStringSubmatch(string(page.Body), -1)
	if len(links) == 0 {
		t.Fatalf("GET /rate links no stylesheet")
	}
	for _, l := range links {
		css := p.Get(t, l[1])
		wantStatus(t, "GET "+l[1], css, http.StatusOK)
		total += len(css.Body)
	}
	t.Logf("the rating page weighs %d bytes: %d of HTML and %d stylesheet(s)", total, len(page.Body), len(links))
	if total >= 30*1024 {
		t.Errorf("the rating page and its CSS weigh %d bytes, want under %d", total, 30*1024)
	}
	en := servertest.NewPageClient(e)
	en.Cookies["jd_lang"] = "en"
	wantBody(t, "GET /rate in English", en.Get(t, "/rate"), `<html lang="en">`, "Timeliness", "Overall")
}

// A resident rates with a code without signing in: the thank-you page
// follows; the same code again, an unknown one and bad stars are refused in
// the page and write nothing; the 11th wrong code in a minute is throttled.
func TestPagesRateSubmit(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	code := ratingCode(t, e, c, "NJ-RATE")
	p := servertest.NewPageClient(e)
	token := servertest.CSRFToken(t, p.Get(t, "/rate?code="+code))

	r := p.Post(t, "/rate", rateForm(token, code))
	servertest.WantRedirect(t, "POST /rate", r, "/rate/thanks")
	thanks := p.Get(t, "/rate/thanks")
	wantStatus(t, "GET /rate/thanks", thanks, http.StatusOK)
	wantBody(t, "GET /rate/thanks", thanks, "感谢您的评价")
	if n := servertest.CountWhere(t, e, "ratings", "contract_id = ?", c.ID); n != 1 {
		t.Errorf("ratings of the contract = %d, want 1", n)
	}

	refused := func(what string, form url.Values, status int, anchor string) {
		t.Helper()
		before := servertest.Count(t, e, "ratings")
		r := p.Post(t, "/rate", form)
		if anchor != "" {
			wantFormAlert(t, what, r, status, anchor)
		} else {
			wantStatus(t, what, r, status)
			wantBody(t, what, r, `role="alert"`)
		}
		if n := servertest.Count(t, e, "ratings"); n != before {
			t.Errorf("%s wrote a rating: %d → %d", what, before, n)
		}
	}
	refused("the same code again", rateForm(token, code), http.StatusUnprocessableEntity, "rate-code")
	used := p.Post(t, "/rate", rateForm(token, code))
	unknown := p.Post(t, "/rate", rateForm(token, "ZZZZZ-ZZZZZ"))
	alert := regexp.MustCompile(`(?s)<div class="alert" role="alert" id="form-alert">.*?</div>`)
	if a, b := alert.Find(used.Body), alert.Find(unknown.Body); string(a) != string(b) || len(a) == 0 {
		t.Errorf("a used and an unknown code are told apart:\n%s\n%s", a, b)
	}
	fresh := ratingCode(t, e, c, "NJ-RATE2")
	bad := rateForm(token, fresh)
	bad.Del("attitude")
	refused("a rating without attitude", bad, http.StatusBadRequest, "rate-attitude")
	wantBody(t, "a rating without attitude", p.Post(t, "/rate", bad), `value="`+fresh+`"`, "阿姨很细心")
	refused("a forged form", url.Values{"code": {fresh}}, http.StatusForbidden, "")

	// Three wrong codes went above; the 11th in the minute is throttled.
	for i := 0; i < 7; i++ {
		wantStatus(t, fmt.Sprintf("wrong code %d", i+4), p.Post(t, "/rate", rateForm(token, "ZZZZZ-ZZZZZ")), http.StatusUnprocessableEntity)
	}
	refused("the 11th wrong code", rateForm(token, "ZZZZZ-ZZZZZ"), http.StatusTooManyRequests, "")
}
