package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// A resident complains without signing in, by a rating code and by naming
// the provider and community: the case's page follows with its reference,
// state and time limits and the contact masked; a complaint without a
// description is refused next to its field and writes nothing; an unknown
// reference is not found.
func TestPagesComplaintPublic(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	code := ratingCode(t, e, c, "NJ-COMPLAIN")
	p := servertest.NewPageClient(e)
	form := p.Get(t, "/complaints/new?code="+code)
	wantStatus(t, "GET /complaints/new", form, http.StatusOK)
	wantBody(t, "GET /complaints/new", form, `value="`+code+`"`, "湖州市吴兴区康乐居家养老服务中心", "南街社区")
	token := servertest.CSRFToken(t, form)

	before := servertest.Count(t, e, "complaints")
	r := p.Post(t, "/complaints/new", url.Values{"csrf_token": {token}, "rating_code": {code}, "contact": {"13812345678"}})
	wantFormAlert(t, "POST a complaint without a description", r, http.StatusBadRequest, "complaint-description")
	if n := servertest.Count(t, e, "complaints"); n != before {
		t.Errorf("a refused complaint wrote rows: %d → %d", before, n)
	}

	r = p.Post(t, "/complaints/new", url.Values{"csrf_token": {token}, "rating_code": {code}, "description": {"服务人员迟到两个小时"},
		"contact": {"13812345678"}})
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/complaints/track?filed=1&reference=TS-") {
		t.Fatalf("POST /complaints/new = %d Location %q, want 303 to the case", r.Status, loc)
	}
	ref, _ := url.QueryUnescape(strings.TrimPrefix(loc, "/complaints/track?filed=1&reference="))
	page := p.Get(t, loc)
	wantStatus(t, "GET the case", page, http.StatusOK)
	wantBody(t, "GET the case", page, `id="complaint-reference">`+ref, "已受理", "首次回复期限", "处理决定期限", "138****5678",
		"湖州市吴兴区康乐居家养老服务中心")
	wantNoBody(t, "GET the case", page, "13812345678", "服务人员迟到两个小时")
	wantBody(t, "GET the case by a lowercase reference", p.Get(t, "/complaints/track?reference="+strings.ToLower(ref)), "已受理")

	d := e.Demo(t)
	r = p.Post(t, "/complaints/new", url.Values{"csrf_token": {token}, "organization_id": {fmt.Sprint(d.Org1)},
		"community_id": {fmt.Sprint(d.CommA)}, "description": {"没有按约定上门"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST a complaint by provider and community = %d, want 303; body %.400s", r.Status, r.Body)
	}
	r = p.Post(t, "/complaints/new", url.Values{"csrf_token": {token}, "organization_id": {fmt.Sprint(d.Org1)}, "description": {"没有按约定上门"}})
	wantFormAlert(t, "POST a complaint without a community", r, http.StatusBadRequest, "complaint-community_id")

	unknown := p.Get(t, "/complaints/track?reference=TS-0000-0000-0000")
	wantFormAlert(t, "GET an unknown reference", unknown, http.StatusNotFound, "track-reference")
	wantStatus(t, "GET the lookup form", p.Get(t, "/complaints/track"), http.StatusOK)
}

// Wrong rating codes on the complaint form count with those of the rating
// page: after the limit, the complaint form answers 429 with the form again,
// the description kept, and files nothing.
func TestPagesComplaintWrongCodesThrottled(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	p := servertest.NewPageClient(e)
	token := servertest.CSRFToken(t, p.Get(t, "/complaints/new"))
	for i := range e.Cfg.Rating.WrongCodesPerMinute {
		r := p.Post(t, "/complaints/new", url.Values{"csrf_token": {token}, "rating_code": {"ZZZZZ-ZZZZZ"}, "description": {"没有上门"}})
		wantFormAlert(t, fmt.Sprintf("wrong code %d on the complaint form", i+1), r, http.StatusBadRequest, "complaint-rating_code")
	}
	before := servertest.Count(t, e, "complaints")
	r := p.Post(t, "/complaints/new", url.Values{"csrf_token": {token}, "rating_code": {"ZZZZZ-ZZZZZ"}, "description": {"没有上门"}})
	wantStatus(t, "one wrong code too many", r, http.StatusTooManyRequests)
	wantBody(t, "one wrong code too many", r, "错误的评价码次数过多", "没有上门", `name="description"`)
	if n := servertest.Count(t, e, "complaints"); n != before {
		t.Errorf("a throttled complaint wrote rows: %d → %d", before, n)
	}
	r = p.Post(t, "/rate", rateForm(token, "ZZZZZ-ZZZZZ"))
	wantStatus(t, "the rating page after the complaint form's wrong codes", r, http.StatusTooManyRequests)
}

// The case lookup page is limited per address for those not signed in.
func TestPagesComplaintLookupLimit(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(t)
	cfg.HTTP.AnonymousLookupsPerMinute = 2
	e := servertest.NewEnvWith(t, cfg)
	p := servertest.NewPageClient(e)
	for range 2 {
		wantStatus(t, "GET the lookup form", p.Get(t, "/complaints/track"), http.StatusOK)
	}
	wantStatus(t, "a third lookup in a minute", p.Get(t, "/complaints/track?reference=TS-0000-0000-0000"), http.StatusTooManyRequests)
	wantStatus(t, "a signed-in officer's lookup", servertest.SignIn(t, e, "demo-officer").Get(t, "/complaints/track"), http.StatusOK)
}
