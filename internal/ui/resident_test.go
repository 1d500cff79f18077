package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// residentSignupForm is a complete resident sign-up.
func residentSignupForm(token, username string, community int64) url.Values {
	return url.Values{"csrf_token": {token}, "username": {username}, "display_name": {"王阿姨"},
		"password": {"a long enough password"}, "password_confirm": {"a long enough password"}, "community_id": {fmt.Sprint(community)}}
}

// signUpResident signs a resident of community up through the page and
// returns its signed-in client, on its community's menu.
func signUpResident(t *testing.T, e *servertest.Env, username string, community int64) *servertest.PageClient {
	t.Helper()
	p := servertest.NewPageClient(e)
	r := p.Post(t, "/residents/signup", residentSignupForm(servertest.CSRFToken(t, p.Get(t, "/residents/signup")), username, community))
	servertest.WantRedirect(t, "POST /residents/signup as "+username, r, "/services?done=registered")
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST /residents/signup: %s", r.Body)
	}
	return p
}

// wantCreated fails unless r sends the requester to the list, at the row of
// the request it made.
func wantCreated(t *testing.T, e *servertest.Env, what string, r servertest.Response) {
	t.Helper()
	last := e.IDOf(t, "service_requests", "id = (SELECT max(id) FROM service_requests)")
	servertest.WantRedirect(t, what, r, fmt.Sprintf("/requests?done=created#row-%d", last))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("%s: %.500s", what, r.Body)
	}
}

// A visitor signs up as a resident of a community and lands, signed in, on
// its menu; passwords that differ, a missing community and a taken username
// get the form again with the field's alert, and write nothing.
func TestPagesResidentSignup(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	c := e.ActiveContract(t)
	home := servertest.NewPageClient(e).Get(t, "/")
	wantBody(t, "GET / signed out", home, `href="/residents/signup"`)
	wantBody(t, "GET /login", servertest.NewPageClient(e).Get(t, "/login"), `href="/residents/signup"`)

	p := servertest.NewPageClient(e)
	page := p.Get(t, "/residents/signup")
	wantStatus(t, "GET /residents/signup", page, http.StatusOK)
	wantBody(t, "GET /residents/signup", page, "南街社区", "飞英社区", `id="resident-password_confirm"`)
	token := servertest.CSRFToken(t, page)

	bad := residentSignupForm(token, "wang.resident", d.CommA)
	bad.Set("password_confirm", "another long password")
	e.WritesNothing(t, "a refused sign-up", func() {
		r := p.Post(t, "/residents/signup", bad)
		wantFormAlert(t, "POST passwords that differ", r, http.StatusBadRequest, "resident-password_confirm")
		wantBody(t, "POST passwords that differ", r, `value="wang.resident"`, "两次输入的密码不一致")
		wantNoBody(t, "POST passwords that differ", r, "a long enough password")

		r = p.Post(t, "/residents/signup", residentSignupForm(token, "wang.resident", 0))
		wantFormAlert(t, "POST without a community", r, http.StatusBadRequest, "resident-community_id")
		r = p.Post(t, "/residents/signup", residentSignupForm(token, "W", d.CommA))
		wantFormAlert(t, "POST a bad username", r, http.StatusBadRequest, "resident-username")
		r = p.Post(t, "/residents/signup", residentSignupForm(token, "demo-officer", d.CommA))
		wantFormAlert(t, "POST a taken username", r, http.StatusConflict, "resident-username")
		wantBody(t, "POST a taken username", r, "已被占用")
	})

	r := p.Post(t, "/residents/signup", residentSignupForm(token, "Wang.Resident", d.CommA))
	servertest.WantRedirect(t, "POST /residents/signup", r, "/services?done=registered")
	servertest.WantCookie(t, r, "jd_access")
	if n := servertest.CountWhere(t, e, "users", "username = 'wang.resident' AND role = 'resident' AND community_id = ?", d.CommA); n != 1 {
		t.Fatalf("%d residents wang.resident of community %d, want 1", n, d.CommA)
	}
	menu := p.Get(t, "/services?done=registered")
	wantStatus(t, "GET /services after signing up", menu, http.StatusOK)
	wantBody(t, "GET /services after signing up", menu, `id="services-done"`, "南街社区", "测试服务记录项目",
		"湖州市吴兴区康乐居家养老服务中心", "上门服务人次", fmt.Sprintf(`id="row-%d"`, c.ID))
	// The signed-out form's token is spent: the session has its own.
	r = p.Post(t, "/residents/signup", residentSignupForm(token, "li.resident", d.CommA))
	wantStatus(t, "POST /residents/signup signed in", r, http.StatusForbidden)
	r = p.Post(t, "/residents/signup", residentSignupForm(servertest.CSRFToken(t, menu), "li.resident", d.CommA))
	wantStatus(t, "POST /residents/signup signed in", r, http.StatusForbidden)
	wantBody(t, "GET /residents/signup signed in", p.Get(t, "/residents/signup"), `id="signed-in"`)
}

// Sign-ups without signing in are limited per address, as every anonymous write.
func TestPagesResidentSignupLimited(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(t)
	cfg.HTTP.AnonymousWritesPerMinute = 2
	e := servertest.NewEnvWith(t, cfg, servertest.AccountsOnly)
	p := servertest.NewPageClient(e)
	token := servertest.CSRFToken(t, p.Get(t, "/residents/signup"))
	for i := range 2 {
		r := p.Post(t, "/residents/signup", residentSignupForm(token, "x", 0))
		wantStatus(t, fmt.Sprintf("sign-up %d", i+1), r, http.StatusBadRequest)
	}
	r := p.Post(t, "/residents/signup", residentSignupForm(token, "x", 0))
	wantStatus(t, "the third sign-up in a minute", r, http.StatusTooManyRequests)
}

// A resident asks for a service on its community's menu and for a need no
// contract covers; bad fields get the menu again with the alert next to the
// form's field; the list shows the resident its own requests only.
func TestPagesResidentRequests(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	c := e.ActiveContract(t)
	p := signUpResident(t, e, "wang.resident", d.CommA)
	menu := p.Get(t, "/services")
	wantBody(t, "GET /services", menu, fmt.Sprintf(`<input type="hidden" name="contract_id" value="%d">`, c.ID), `id="request-note-0"`)
	token := servertest.CSRFToken(t, menu)
	contract := fmt.Sprint(c.ID)

	e.WritesNothing(t, "refused requests", func() {
		r := p.Post(t, "/requests", url.Values{"csrf_token": {token}, "category_code": {"LEGAL_AID"}, "note": {"  "}})
		wantFormAlert(t, "POST another need without a description", r, http.StatusBadRequest, "request-note-0")
		wantBody(t, "POST another need without a description", r, "请描述您的需求", `<option value="LEGAL_AID" selected>`)
		r = p.Post(t, "/requests", url.Values{"csrf_token": {token}, "contract_id": {contract}, "preferred_at": {"next week"}})
		wantFormAlert(t, "POST a time that does not parse", r, http.StatusBadRequest, "request-preferred_at-"+contract)
		wantBody(t, "POST a time that does not parse", r, `class="alert-context"><a href="#row-`+contract+`">测试服务记录项目`)
		past := e.Clock.Now().Add(-2 * time.Hour).In(civil.China).Format("2006-01-02T15:04")
		r = p.Post(t, "/requests", url.Values{"csrf_token": {token}, "contract_id": {contract}, "note": {"周末上门"}, "preferred_at": {past}})
		wantFormAlert(t, "POST a time in the past", r, http.StatusBadRequest, "request-preferred_at-"+contract)
		wantBody(t, "POST a time in the past", r, "周末上门")
		r = p.Post(t, "/requests", url.Values{"csrf_token": {token}, "contract_id": {"999999"}})
		wantStatus(t, "POST a contract not on the menu", r, http.StatusBadRequest)
		r = p.Post(t, "/requests", url.Values{"csrf_token": {token}, "contract_id": {contract}, "community_id": {fmt.Sprint(d.CommB)}})
		wantStatus(t, "POST for another community", r, http.StatusBadRequest)
	})

	soon := e.Clock.Now().Add(48 * time.Hour).In(civil.China).Format("2006-01-02T15:04")
	r := p.Post(t, "/requests", url.Values{"csrf_token": {token}, "contract_id": {contract}, "note": {"母亲需要助浴"}, "preferred_at": {soon}})
	wantCreated(t, e, "POST a request from the menu", r)
	r = p.Post(t, "/requests", url.Values{"csrf_token": {token}, "category_code": {"LEGAL_AID"}, "note": {"想咨询房屋继承问题"}})
	wantCreated(t, e, "POST another need", r)
	if n := servertest.CountWhere(t, e, "service_requests", "community_id = ? AND channel = 'self' AND resident_id IS NOT NULL", d.CommA); n != 2 {
		t.Fatalf("%d requests of the resident, want 2", n)
	}
	list := p.Get(t, "/requests?done=created")
	wantStatus(t, "GET /requests", list, http.StatusOK)
	wantBody(t, "GET /requests", list, `id="requests-done"`, "母亲需要助浴", "测试服务记录项目", "湖州市吴兴区康乐居家养老服务中心",
		"想咨询房屋继承问题", "法律咨询服务", "菜单之外的需求", "南街社区", soon[:10]+" "+soon[11:], "居民本人")
	wantBody(t, "GET /requests?status=requested", p.Get(t, "/requests?status=requested"), "母亲需要助浴")
	wantNoBody(t, "GET /requests?status=declined", p.Get(t, "/requests?status=declined"), "母亲需要助浴")

	// Another resident sees none of them; the organization declines, and
	// the resident reads the reason.
	other := signUpResident(t, e, "li.resident", d.CommA)
	wantNoBody(t, "GET /requests as another resident", other.Get(t, "/requests"), "母亲需要助浴", "想咨询房屋继承问题")
	id := e.IDOf(t, "service_requests", "note = ?", "母亲需要助浴")
	if _, err := e.Services.ServiceRequests.Decline(t.Context(), e.ActorOf(t, "demo-org"), id, "本周人手不足"); err != nil {
		t.Fatalf("Decline() error = %v", err)
	}
	wantBody(t, "GET /requests after the decline", p.Get(t, "/requests?status=declined"), "母亲需要助浴", "本周人手不足")

	// An account bound to no community has no menu and cannot ask.
	bare := servertest.SignIn(t, e, "demo-resident")
	page := bare.Get(t, "/services")
	wantStatus(t, "GET /services unbound", page, http.StatusOK)
	wantBody(t, "GET /services unbound", page, `id="services-no-community"`)
	r = bare.Post(t, "/requests", url.Values{"csrf_token": {servertest.CSRFToken(t, page)}, "contract_id": {contract}})
	wantStatus(t, "POST /requests unbound", r, http.StatusConflict)
	wantBody(t, "POST /requests unbound", r, `role="alert"`, "您的账号未绑定社区")
}

// An officer enters a caller's request for a community of its subdistrict:
// the community's menu, the caller's name and phone required; the list
// shows the contact to the subdistrict's officer only; another
// subdistrict's officer neither reaches the community nor sees the request.
func TestPagesHotline(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	c := e.ActiveContract(t)
	officer := servertest.SignIn(t, e, "demo-officer")
	list := officer.Get(t, "/requests")
	wantBody(t, "GET /requests as the officer", list, `href="/requests/new"`)
	page := officer.Get(t, "/requests/new")
	wantStatus(t, "GET /requests/new", page, http.StatusOK)
	wantBody(t, "GET /requests/new", page, "南街社区", "仁皇山社区")
	wantNoBody(t, "GET /requests/new", page, "飞英社区", `action="/requests"`)
	page = officer.Get(t, fmt.Sprintf("/requests/new?community=%d", d.CommA))
	wantBody(t, "GET /requests/new?community=", page, fmt.Sprintf(`<option value="%d">测试服务记录项目`, c.ID), `id="request-contact_phone"`)
	wantFormAlert(t, "GET /requests/new?community=x", officer.Get(t, "/requests/new?community=x"), http.StatusBadRequest, "request-community_id")
	token := servertest.CSRFToken(t, page)

	form := url.Values{"csrf_token": {token}, "community_id": {fmt.Sprint(d.CommA)}, "contract_id": {fmt.Sprint(c.ID)},
		"note": {"老人行动不便"}, "contact_name": {"张先生"}, "contact_phone": {"13900003333"}}
	e.WritesNothing(t, "refused hotline requests", func() {
		bad := url.Values{"csrf_token": {token}, "community_id": {fmt.Sprint(d.CommA)}, "contract_id": {fmt.Sprint(c.ID)}, "note": {"老人行动不便"}}
		r := officer.Post(t, "/requests", bad)
		wantFormAlert(t, "POST without the caller", r, http.StatusBadRequest, "request-contact_name", "request-contact_phone")
		wantBody(t, "POST without the caller", r, "老人行动不便", fmt.Sprintf(`<option value="%d" selected>`, c.ID))
		bad = url.Values{"csrf_token": {token}, "community_id": {fmt.Sprint(d.CommA)}, "contact_name": {"张先生"}, "contact_phone": {"电话"}}
		r = officer.Post(t, "/requests", bad)
		wantFormAlert(t, "POST an unmet need without a description", r, http.StatusBadRequest, "request-note", "request-contact_phone")
	})
	r := officer.Post(t, "/requests", form)
	wantCreated(t, e, "POST a hotline request", r)
	if n := servertest.CountWhere(t, e, "service_requests", "channel = 'hotline' AND contact_phone = '13900003333'"); n != 1 {
		t.Fatalf("%d hotline requests, want 1", n)
	}
	wantBody(t, "GET /requests as the officer", officer.Get(t, "/requests"), "老人行动不便", "张先生 13900003333", "热线代登记")
	district := servertest.SignIn(t, e, "demo-district").Get(t, "/requests")
	wantBody(t, "GET /requests as the district admin", district, "老人行动不便")
	wantNoBody(t, "GET /requests as the district admin", district, "13900003333", `href="/requests/new"`)

	other := servertest.SignIn(t, e, "demo-officer2")
	wantStatus(t, "GET /requests/new?community= of another subdistrict", other.Get(t, fmt.Sprintf("/requests/new?community=%d", d.CommA)),
		http.StatusNotFound)
	wantNoBody(t, "GET /requests as another subdistrict's officer", other.Get(t, "/requests"), "老人行动不便")
	form.Set("csrf_token", servertest.CSRFToken(t, other.Get(t, "/requests/new")))
	e.WritesNothing(t, "a request for another subdistrict's community", func() {
		r := other.Post(t, "/requests", form)
		wantFormAlert(t, "POST for another subdistrict's community", r, http.StatusBadRequest, "request-community_id")
	})
	r = other.Post(t, "/requests", url.Values{"csrf_token": {form.Get("csrf_token")}, "community_id": {fmt.Sprint(d.CommB)},
		"category_code": {"ELDERLY_HOME_CARE"}, "note": {"飞英的助餐需求"}, "contact_name": {"李女士"}, "contact_phone": {"13900004444"}})
	wantCreated(t, e, "POST an unmet need in 飞英", r)
	wantNoBody(t, "GET /requests as 爱山's officer", officer.Get(t, "/requests"), "飞英的助餐需求")
}
