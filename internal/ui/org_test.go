package ui_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// samplePDF is the start of a PDF: enough for the content sniffer.
var samplePDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// samplePNG is a PNG signature and the start of its header.
var samplePNG = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)

// signupForm is a complete, valid sign-up for a new organization in district.
func signupForm(token, code, name, username string, district int64) url.Values {
	return url.Values{
		"csrf_token": {token}, "legal_name": {name}, "credit_code": {code}, "org_type": {"social_service_institution"},
		"district_id": {strconv.FormatInt(district, 10)}, "registration_date": {"2019-03-15"},
		"legal_representative": {"张伟"}, "contact_name": {"张伟"}, "contact_phone": {"0572-2200123"},
		"contact_email": {"office@example.org"}, "address": {"吴兴区爱山街道测试路 1 号"},
		"staff_count": {"25"}, "certified_social_workers": {"6"},
		"admin.username": {username}, "admin.display_name": {"张伟"},
		"admin.password": {"a long enough password"}, "admin.password_confirm": {"a long enough password"},
	}
}

// signUp registers an organization through /signup and returns its signed-in
// admin's client and the organization's id.
func signUp(t *testing.T, e *servertest.Env, code, name, username string) (*servertest.PageClient, int64) {
	t.Helper()
	p := servertest.NewPageClient(e)
	token := servertest.CSRFToken(t, p.Get(t, "/signup"))
	r := p.Post(t, "/signup", signupForm(token, code, name, username, e.Demo(t).District))
	servertest.WantRedirect(t, "POST /signup", r, "/org?done=registered")
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST /signup body: %s", r.Body)
	}
	return p, e.IDOf(t, "organizations", "credit_code = ?", code)
}

// pageToken returns the CSRF token of the page at path.
func pageToken(t *testing.T, p *servertest.PageClient, path string) string {
	t.Helper()
	r := p.Get(t, path)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200; body %s", path, r.Status, r.Body)
	}
	return servertest.CSRFToken(t, r)
}

// wantFormAlert fails unless r is status with an alert linking to each anchor,
// whose input is marked invalid.
func wantFormAlert(t *testing.T, what string, r servertest.Response, status int, anchors ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s = %d, want %d; body %s", what, r.Status, status, r.Body)
		return
	}
	wantBody(t, what, r, `role="alert"`)
	for _, a := range anchors {
		wantBody(t, what, r, `href="#`+a+`"`)
		marked := regexp.MustCompile(`id="` + regexp.QuoteMeta(a) + `"[^>]*aria-invalid="true"|id="` + regexp.QuoteMeta(a) + `"[^>]*class="invalid"`)
		if !marked.Match(r.Body) {
			t.Errorf("%s: the input #%s is not marked invalid", what, a)
		}
	}
}

// wantAlertOrder fails unless r's alert links to the anchors in this order.
func wantAlertOrder(t *testing.T, what string, r servertest.Response, anchors ...string) {
	t.Helper()
	body, last := string(r.Body), -1
	for _, a := range anchors {
		i := strings.Index(body, `href="#`+a+`"`)
		if i < 0 || i < last {
			t.Errorf("%s: the alert's link to #%s is missing or out of the order %v", what, a, anchors)
			return
		}
		last = i
	}
}

func TestPagesSignup(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	district := e.Demo(t).District

	t.Run("the form", func(t *testing.T) {
		r := servertest.NewPageClient(e).Get(t, "/signup")
		wantStatus(t, "GET /signup", r, http.StatusOK)
		wantBody(t, "GET /signup", r, `action="/signup"`, `name="admin.username"`, `name="admin.password_confirm"`,
			`<option value="`+strconv.FormatInt(district, 10)+`" selected>吴兴区</option>`, "社会服务机构")
		for _, page := range []string{"/", "/login"} {
			wantBody(t, "GET "+page, servertest.NewPageClient(e).Get(t, page), `href="/signup"`, "社会组织注册")
		}
	})

	t.Run("success signs the admin in", func(t *testing.T) {
		code := servertest.CreditCode(t, "52330502MJ7000001")
		p, orgID := signUp(t, e, code, "湖州市吴兴区助残服务中心", "zhucan-admin")
		for _, name := range []string{"jd_access", "jd_refresh"} {
			if p.Cookies[name] == "" {
				t.Errorf("after sign-up the client holds no %s cookie", name)
			}
		}
		var admin struct {
			Role           string
			OrganizationID int64
			Locale         string
		}
		if err := e.DB.Table("users").Where("username = ?", "zhucan-admin").Take(&admin).Error; err != nil {
			t.Fatal(err)
		}
		if admin.Role != "org_admin" || admin.OrganizationID != orgID || admin.Locale != "zh-CN" {
			t.Errorf("new admin = %+v, want org_admin of organization %d with locale zh-CN", admin, orgID)
		}
		r := p.Get(t, "/org?done=registered")
		wantStatus(t, "GET /org after sign-up", r, http.StatusOK)
		wantBody(t, "GET /org after sign-up", r, "湖州市吴兴区助残服务中心", code, "注册成功", "持证社工数", "zhucan-admin",
			`href="/org"`, `href="/org/profile"`)
	})

	t.Run("taken username", func(t *testing.T) {
		before := servertest.Count(t, e, "organizations")
		p := servertest.NewPageClient(e)
		form := signupForm(pageToken(t, p, "/signup"), servertest.CreditCode(t, "52330502MJ7000002"), "用户名冲突测试中心", "demo-org", district)
		r := p.Post(t, "/signup", form)
		wantFormAlert(t, "POST /signup with a taken username", r, http.StatusConflict, "admin-username")
		wantBody(t, "POST /signup with a taken username", r, "已被占用", `value="用户名冲突测试中心"`, `value="demo-org"`)
		wantNoBody(t, "POST /signup with a taken username", r, "a long enough password")
		if n := servertest.Count(t, e, "organizations"); n != before {
			t.Errorf("organizations after a refused sign-up = %d, want %d", n, before)
		}
		if _, ok := servertest.SetCookies(r)["jd_access"]; ok {
			t.Errorf("a refused sign-up set jd_access")
		}
	})

	t.Run("taken credit code", func(t *testing.T) {
		p := servertest.NewPageClient(e)
		r := p.Post(t, "/signup", signupForm(pageToken(t, p, "/signup"), "52330502MJ526018XR", "代码冲突测试中心", "code-clash", district))
		wantFormAlert(t, "POST /signup with a registered credit code", r, http.StatusConflict, "credit_code")
	})

	t.Run("bad fields are named", func(t *testing.T) {
		before := servertest.Count(t, e, "organizations")
		p := servertest.NewPageClient(e)
		form := signupForm(pageToken(t, p, "/signup"), "52330502MJ526018XA", "", "Bad Name!", district)
		form.Set("admin.password", "short")
		form.Set("admin.password_confirm", "short")
		form.Set("certified_social_workers", "99")
		r := p.Post(t, "/signup", form)
		wantFormAlert(t, "POST /signup with bad fields", r, http.StatusBadRequest,
			"legal_name", "credit_code", "certified_social_workers", "admin-username", "admin-password")
		// The alert lists them in the form's order, as the service checked them.
		wantAlertOrder(t, "POST /signup with bad fields", r, "legal_name", "credit_code", "certified_social_workers", "admin-username", "admin-password")

		form = signupForm(pageToken(t, p, "/signup"), servertest.CreditCode(t, "52330502MJ7000003"), "密码不一致测试中心", "mismatch", district)
		form.Set("admin.password_confirm", "another long password")
		r = p.Post(t, "/signup", form)
		wantFormAlert(t, "POST /signup with passwords that differ", r, http.StatusBadRequest, "admin-password_confirm")
		wantBody(t, "POST /signup with passwords that differ", r, "与密码不一致")
		if n := servertest.Count(t, e, "organizations"); n != before {
			t.Errorf("organizations after refused sign-ups = %d, want %d", n, before)
		}
	})

	t.Run("no CSRF token", func(t *testing.T) {
		before := servertest.Count(t, e, "organizations")
		p := servertest.NewPageClient(e)
		p.Get(t, "/signup")
		form := signupForm("", servertest.CreditCode(t, "52330502MJ7000004"), "无令牌测试中心", "no-token", district)
		form.Del("csrf_token")
		r := p.Post(t, "/signup", form)
		wantStatus(t, "POST /signup without a CSRF token", r, http.StatusForbidden)
		wantBody(t, "POST /signup without a CSRF token", r, "表单已过期")
		if n := servertest.Count(t, e, "organizations"); n != before {
			t.Errorf("organizations after a sign-up without CSRF token = %d, want %d", n, before)
		}
	})

	t.Run("signed-in users cannot sign up", func(t *testing.T) {
		p := servertest.SignIn(t, e, "demo-officer")
		wantBody(t, "GET /signup signed in", p.Get(t, "/signup"), `id="signed-in"`)
		r := p.Post(t, "/signup", signupForm(pageToken(t, p, "/signup"), servertest.CreditCode(t, "52330502MJ7000005"), "已登录测试中心", "signed-in", district))
		wantStatus(t, "POST /signup signed in", r, http.StatusForbidden)
	})
}

// The whole life of a certification through the pages: an organization signs
// up, uploads evidence and applies; the district admin opens the evidence and
// approves; the organization is listed as capable; another district's admin
// cannot decide; suspension takes it off the list; revocation ends it.
func TestPagesCertificationLifecycle(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	code := servertest.CreditCode(t, "52330502MJ7100001")
	name := "湖州市吴兴区康复助残服务社"
	orgP, orgID := signUp(t, e, code, name, "kangfu-admin")

	// Evidence: a PDF is kept; an HTML page named .pdf is refused by its content.
	r := orgP.PostFile(t, "/org/documents", url.Values{"csrf_token": {pageToken(t, orgP, "/org")}}, "登记证书.pdf", samplePDF)
	servertest.WantRedirect(t, "POST /org/documents", r, "/org?done=uploaded#documents")
	docID := e.IDOf(t, "organization_documents", "organization_id = ?", orgID)
	page := orgP.Get(t, "/org?done=uploaded")
	wantBody(t, "GET /org after the upload", page, "登记证书.pdf", fmt.Sprintf(`href="/org/documents/%d"`, docID), "材料已上传")

	r = orgP.PostFile(t, "/org/documents", url.Values{"csrf_token": {pageToken(t, orgP, "/org")}}, "证书.pdf",
		[]byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"))
	wantFormAlert(t, "POST /org/documents with HTML named .pdf", r, http.StatusBadRequest, "document-file")
	wantBody(t, "POST /org/documents with HTML named .pdf", r, "不是 PDF、PNG 或 JPEG 文件")
	r = orgP.PostFile(t, "/org/documents", url.Values{"csrf_token": {pageToken(t, orgP, "/org")}}, "", nil)
	wantFormAlert(t, "POST /org/documents without a file", r, http.StatusBadRequest, "document-file")
	wantBody(t, "POST /org/documents without a file", r, "请选择要上传的文件")
	big := append(bytes.Clone(samplePDF), make([]byte, e.Cfg.Uploads.MaxBytes)...)
	r = orgP.PostFile(t, "/org/documents", url.Values{"csrf_token": {pageToken(t, orgP, "/org")}}, "扫描件.pdf", big)
	wantFormAlert(t, "POST /org/documents over the size limit", r, http.StatusRequestEntityTooLarge, "document-file")
	wantBody(t, "POST /org/documents over the size limit", r, "文件超过", "MB 的上限")
	if n := servertest.Count(t, e, "organization_documents"); n != 1 {
		t.Errorf("documents after refused uploads = %d, want 1", n)
	}

	dl := orgP.Get(t, fmt.Sprintf("/org/documents/%d", docID))
	wantStatus(t, "GET the document", dl, http.StatusOK)
	if cd := dl.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=UTF-8''%E7%99%BB") {
		t.Errorf("document Content-Disposition = %q, want an attachment with the UTF-8 name", cd)
	}
	if ct, csp := dl.Header.Get("Content-Type"), dl.Header.Get("Content-Security-Policy"); ct != "application/pdf" || !strings.Contains(csp, "sandbox") {
		t.Errorf("document Content-Type = %q, CSP = %q; want application/pdf and a sandbox", ct, csp)
	}
	if !bytes.Equal(dl.Body, samplePDF) {
		t.Errorf("document body = %q, want the uploaded file", dl.Body)
	}

	// The application: without a category it is refused, naming the field.
	district := e.Demo(t).District
	apply := url.Values{"csrf_token": {pageToken(t, orgP, "/org")}, "district_id": {strconv.FormatInt(district, 10)},
		"statement": {"本社有康复治疗师 4 名，持证社工 6 名，已为 120 名残疾人提供上门康复服务。"}, "document_ids": {strconv.FormatInt(docID, 10)}}
	r = orgP.Post(t, "/org/certifications", apply)
	wantFormAlert(t, "POST /org/certifications without a category", r, http.StatusBadRequest, "apply-categories")
	wantBody(t, "POST /org/certifications without a category", r, "上门康复服务") // the statement as typed
	apply.Set("categories", "DISABILITY_SUPPORT")
	r = orgP.Post(t, "/org/certifications", apply)
	servertest.WantRedirect(t, "POST /org/certifications", r, "/org?done=applied#certifications")
	certID := e.IDOf(t, "certifications", "organization_id = ?", orgID)
	wantBody(t, "GET /org after applying", orgP.Get(t, "/org?done=applied"), "申请已提交", "残疾人帮扶", "待审核", `id="apply-pending"`)

	// The queue shows the application with its evidence, which the district admin may open.
	dist := servertest.SignIn(t, e, "demo-district")
	queue := dist.Get(t, "/district/certifications")
	wantStatus(t, "GET /district/certifications", queue, http.StatusOK)
	docHref := fmt.Sprintf("/district/documents/%d/%d", orgID, docID)
	wantBody(t, "the queue", queue, name, "上门康复服务", `href="`+docHref+`"`, fmt.Sprintf(`action="/district/certifications/%d/approve"`, certID),
		fmt.Sprintf(`action="/district/certifications/%d/reject"`, certID), `type="date"`, "5A",
		// The social workers to verify, as the organization declares them.
		fmt.Sprintf(`id="approve-%d-verified_social_workers" name="verified_social_workers" value="6"`, certID), "机构申报 6 人")
	dl = dist.Get(t, docHref)
	if dl.Status != http.StatusOK || !strings.HasPrefix(dl.Header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("GET %s as demo-district = %d %q, want 200 as an attachment", docHref, dl.Status, dl.Header.Get("Content-Disposition"))
	}

	// A refused approval comes back as typed, naming the field.
	approvePath := fmt.Sprintf("/district/certifications/%d/approve", certID)
	r = dist.Post(t, approvePath, url.Values{"csrf_token": {pageToken(t, dist, "/district/certifications")},
		"grade": {"4"}, "valid_from": {"2026-11-22"}, "valid_through": {"2026-11-01"}})
	wantFormAlert(t, "approve with the end before the start", r, http.StatusBadRequest, fmt.Sprintf("approve-%d-valid_through", certID))
	wantBody(t, "approve with the end before the start", r, `value="2026-11-01"`, `<option value="4" selected>4A</option>`, "批准 "+name)
	r = dist.Post(t, approvePath, url.Values{"csrf_token": {pageToken(t, dist, "/district/certifications")},
		"grade": {"4"}, "valid_from": {"2026-11-22"}, "valid_through": {"2029-11-21"}, "verified_social_workers": {"六"}})
	wantFormAlert(t, "approve with a word for the social workers", r, http.StatusBadRequest, fmt.Sprintf("approve-%d-verified_social_workers", certID))
	wantBody(t, "approve with a word for the social workers", r, `value="六"`, "核实的持证社工人数")
	r = dist.Post(t, approvePath, url.Values{"csrf_token": {pageToken(t, dist, "/district/certifications")},
		"grade": {"4"}, "valid_from": {"2026-11-22"}, "valid_through": {"2029-11-21"}})
	wantFormAlert(t, "approve without the social workers", r, http.StatusBadRequest, fmt.Sprintf("approve-%d-verified_social_workers", certID))
	r = dist.Post(t, approvePath, url.Values{"grade": {"4"}, "valid_from": {"2026-11-22"}, "valid_through": {"2029-11-21"}, "verified_social_workers": {"5"}})
	wantStatus(t, "approve without a CSRF token", r, http.StatusForbidden)
	wantCertStatus(t, e, certID, "pending")

	r = dist.Post(t, approvePath, url.Values{"csrf_token": {pageToken(t, dist, "/district/certifications")},
		"grade": {"4"}, "valid_from": {"2026-11-22"}, "valid_through": {"2029-11-21"}, "verified_social_workers": {"5"}})
	servertest.WantRedirect(t, "approve", r, fmt.Sprintf("/district/certifications?done=approve&id=%d#cert-%d", certID, certID))
	wantCertStatus(t, e, certID, "approved")
	var until time.Time
	if err := e.DB.Table("certifications").Select("valid_until").Where("id = ?", certID).Scan(&until).Error; err != nil {
		t.Fatal(err)
	}
	if got := until.Format(time.DateOnly); got != "2029-11-22" {
		t.Errorf("valid_until = %s, want 2029-11-22 (the day after the last valid day)", got)
	}
	wantBody(t, "the queue after approving", dist.Get(t, fmt.Sprintf("/district/certifications?done=approve&id=%d", certID)),
		"已批准："+name, fmt.Sprintf(`action="/district/certifications/%d/suspend"`, certID), "核实 5 人（机构现申报 6 人）")

	// The district admin re-verifies the social workers: a bad number is
	// refused as typed, a good one recorded.
	verifyPath := fmt.Sprintf("/district/certifications/%d/verify", certID)
	r = dist.Post(t, verifyPath, url.Values{"csrf_token": {pageToken(t, dist, "/district/certifications")}, "verified_social_workers": {"-2"}})
	wantFormAlert(t, "verify -2 social workers", r, http.StatusBadRequest, fmt.Sprintf("verify-%d-verified_social_workers", certID))
	wantBody(t, "verify -2 social workers", r, `value="-2"`, "核实"+name+"的持证社工人数")
	r = dist.Post(t, verifyPath, url.Values{"csrf_token": {pageToken(t, dist, "/district/certifications")}, "verified_social_workers": {"4"}})
	servertest.WantRedirect(t, "verify 4 social workers", r, fmt.Sprintf("/district/certifications?done=verify&id=%d#cert-%d", certID, certID))
	wantBody(t, "the queue after verifying", dist.Get(t, fmt.Sprintf("/district/certifications?done=verify&id=%d", certID)),
		"已更新核实的持证社工人数："+name, "核实 4 人（机构现申报 6 人）")

	// The organization is now in the public directory for the category, with its grade.
	capable := "/capable?category=DISABILITY_SUPPORT"
	pub := servertest.NewPageClient(e).Get(t, capable)
	wantStatus(t, "GET "+capable, pub, http.StatusOK)
	wantBody(t, "GET "+capable, pub, name, code, "4A", "残疾人帮扶", "有效期至 2029-11-21", "核实持证社工 4 人")
	wantNoBody(t, "GET "+capable, pub, "湖州市吴兴区康乐居家养老服务中心")
	wantBody(t, "GET /capable?q=康复助残", servertest.NewPageClient(e).Get(t, "/capable?q="+url.QueryEscape("康复助残")), name)
	wantBody(t, "GET /org after approval", orgP.Get(t, "/org"), "有效", "4A", "2026-11-22 至 2029-11-21")

	// Another district's admin may neither decide nor read the evidence.
	other := otherDistrictAdmin(t, e)
	suspendPath := fmt.Sprintf("/district/certifications/%d/suspend", certID)
	r = other.Post(t, suspendPath, url.Values{"csrf_token": {pageToken(t, other, "/district/certifications")}, "reason": {"越权暂停"}})
	wantStatus(t, "suspend as another district's admin", r, http.StatusNotFound)
	r = other.Post(t, approvePath, url.Values{"csrf_token": {pageToken(t, other, "/district/certifications")}, "grade": {"9"}})
	wantStatus(t, "approve with bad input as another district's admin", r, http.StatusNotFound)
	wantStatus(t, "GET the evidence as another district's admin", other.Get(t, docHref), http.StatusNotFound)
	wantNoBody(t, "the other district's queue", other.Get(t, "/district/certifications"), name)
	wantCertStatus(t, e, certID, "approved")

	// Suspending needs a reason, and takes the organization off the directory.
	r = dist.Post(t, suspendPath, url.Values{"csrf_token": {pageToken(t, dist, "/district/certifications")}, "reason": {"  "}})
	wantFormAlert(t, "suspend without a reason", r, http.StatusBadRequest, fmt.Sprintf("suspend-%d-reason", certID))
	r = dist.Post(t, suspendPath, url.Values{"csrf_token": {pageToken(t, dist, "/district/certifications")}, "reason": {"服务投诉核查中"}})
	servertest.WantRedirect(t, "suspend", r, fmt.Sprintf("/district/certifications?done=suspend&id=%d#cert-%d", certID, certID))
	wantCertStatus(t, e, certID, "suspended")
	wantNoBody(t, "GET "+capable+" after suspension", servertest.NewPageClient(e).Get(t, capable), name)
	wantBody(t, "GET /org after suspension", orgP.Get(t, "/org"), "已暂停", "服务投诉核查中")

	// A suspended certification cannot be suspended again; it can be revoked.
	r = dist.Post(t, suspendPath, url.Values{"csrf_token": {pageToken(t, dist, "/district/certifications")}, "reason": {"再次暂停"}})
	wantStatus(t, "suspend twice", r, http.StatusConflict)
	wantBody(t, "suspend twice", r, "只有已批准的认定可以暂停")
	r = dist.Post(t, fmt.Sprintf("/district/certifications/%d/revoke", certID),
		url.Values{"csrf_token": {pageToken(t, dist, "/district/certifications")}, "reason": {"核查属实"}})
	servertest.WantRedirect(t, "revoke", r, fmt.Sprintf("/district/certifications?done=revoke&id=%d#cert-%d", certID, certID))
	wantCertStatus(t, e, certID, "revoked")
	history := dist.Get(t, "/district/certifications")
	wantBody(t, "the queue's history", history, `id="history-list"`, "核查属实", "已撤销")
}

func wantCertStatus(t *testing.T, e *servertest.Env, id int64, want string) {
	t.Helper()
	var got string
	if err := e.DB.Table("certifications").Select("status").Where("id = ?", id).Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("certification %d status = %q, want %q", id, got, want)
	}
}

// otherDistrictAdmin creates 南浔区 and its district admin through the API as
// demo-admin, and signs that admin in.
func otherDistrictAdmin(t *testing.T, e *servertest.Env) *servertest.PageClient {
	t.Helper()
	admin := e.Token(t, "demo-admin")
	r := e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/districts", Token: admin,
		Body: map[string]any{"code": "330503", "name_zh": "南浔区", "name_en": "Nanxun District"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /api/v1/districts = %d %s", r.Status, r.Body)
	}
	var d struct {
		ID int64 `json:"id"`
	}
	r.JSON(t, &d)
	r = e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/users", Token: admin, Body: map[string]any{
		"username": "nanxun-district", "password": servertest.DemoPassword, "role": "district_admin", "district_id": d.ID}})
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /api/v1/users = %d %s", r.Status, r.Body)
	}
	return servertest.SignIn(t, e, "nanxun-district")
}

// An organization's admin edits the profile and invites members; a member sees
// the organization and uploads evidence but cannot invite, apply or edit.
func TestPagesOrgMembers(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	admin := servertest.SignIn(t, e, "demo-org")
	page := admin.Get(t, "/org")
	wantStatus(t, "GET /org as demo-org", page, http.StatusOK)
	wantBody(t, "GET /org as demo-org", page, "湖州市吴兴区康乐居家养老服务中心", `action="/org/members"`, `action="/org/certifications"`,
		`action="/org/documents"`, `enctype="multipart/form-data"`)

	before := servertest.Count(t, e, "users")
	r := admin.Post(t, "/org/members", url.Values{"csrf_token": {pageToken(t, admin, "/org")}, "username": {"kangle-staff"},
		"display_name": {"护理员小李"}, "password": {servertest.DemoPassword}})
	servertest.WantRedirect(t, "POST /org/members", r, "/org?done=invited#members")
	var member struct {
		Role           string
		OrganizationID int64
	}
	if err := e.DB.Table("users").Where("username = ?", "kangle-staff").Take(&member).Error; err != nil {
		t.Fatal(err)
	}
	if orgID := e.Demo(t).Org1; member.Role != "org_member" || member.OrganizationID != orgID {
		t.Errorf("invited member = %+v, want an org_member of organization %d", member, orgID)
	}
	wantBody(t, "GET /org after inviting", admin.Get(t, "/org?done=invited"), "成员已添加", "kangle-staff", "护理员小李")

	r = admin.Post(t, "/org/members", url.Values{"csrf_token": {pageToken(t, admin, "/org")}, "username": {"demo-org2"},
		"display_name": {"重名"}, "password": {servertest.DemoPassword}})
	wantFormAlert(t, "POST /org/members with a taken username", r, http.StatusConflict, "member-username")
	wantBody(t, "POST /org/members with a taken username", r, `value="demo-org2"`, "成员")
	r = admin.Post(t, "/org/members", url.Values{"username": {"no-token"}, "password": {servertest.DemoPassword}})
	wantStatus(t, "POST /org/members without a CSRF token", r, http.StatusForbidden)
	if n := servertest.Count(t, e, "users"); n != before+1 {
		t.Errorf("users = %d, want %d", n, before+1)
	}

	// The profile: a refused edit names the field; a good one is saved.
	form := admin.Get(t, "/org/profile")
	wantStatus(t, "GET /org/profile", form, http.StatusOK)
	wantBody(t, "GET /org/profile", form, `value="湖州市吴兴区康乐居家养老服务中心"`, "52330502MJ526018XR", `action="/org/profile"`)
	wantNoBody(t, "GET /org/profile", form, `name="credit_code"`, `name="admin.username"`)
	profile := url.Values{"csrf_token": {servertest.CSRFToken(t, form)}, "legal_name": {"湖州市吴兴区康乐居家养老服务中心"},
		"org_type": {"social_service_institution"}, "registration_date": {"2015-06-01"}, "legal_representative": {"王丽"},
		"contact_name": {"王丽"}, "contact_phone": {"0572-2100009"}, "contact_email": {"not-an-address"},
		"address": {"吴兴区爱山街道南街 18 号"}, "staff_count": {"44"}, "certified_social_workers": {"10"},
		"credit_code": {"91330502MA2B00000X"}}
	r = admin.Post(t, "/org/profile", profile)
	wantFormAlert(t, "POST /org/profile with a bad e-mail", r, http.StatusBadRequest, "contact_email")
	profile.Set("contact_email", "new@kangle.example.org")
	r = admin.Post(t, "/org/profile", profile)
	servertest.WantRedirect(t, "POST /org/profile", r, "/org?done=profile")
	wantBody(t, "GET /org after the edit", admin.Get(t, "/org?done=profile"), "组织信息已保存", "0572-2100009", "new@kangle.example.org", "2015-06-01")
	var stored string
	if err := e.DB.Table("organizations").Select("credit_code").Where("contact_phone = ?", "0572-2100009").Scan(&stored).Error; err != nil || stored != "52330502MJ526018XR" {
		t.Errorf("credit code after the edit = %q (%v), want it unchanged", stored, err)
	}

	// The member.
	staff := servertest.SignIn(t, e, "kangle-staff")
	dash := staff.Get(t, "/dashboard")
	wantBody(t, "the member's dashboard", dash, `href="/org"`)
	page = staff.Get(t, "/org")
	wantStatus(t, "GET /org as a member", page, http.StatusOK)
	wantBody(t, "GET /org as a member", page, "湖州市吴兴区康乐居家养老服务中心", `action="/org/documents"`, "kangle-staff")
	wantNoBody(t, "GET /org as a member", page, `action="/org/members"`, `action="/org/certifications"`, `href="/org/profile"`)
	token := servertest.CSRFToken(t, page)
	r = staff.Post(t, "/org/members", url.Values{"csrf_token": {token}, "username": {"member-invites"}, "password": {servertest.DemoPassword}})
	wantStatus(t, "POST /org/members as a member", r, http.StatusForbidden)
	r = staff.Post(t, "/org/certifications", url.Values{"csrf_token": {token}, "categories": {"LEGAL_AID"}})
	wantStatus(t, "POST /org/certifications as a member", r, http.StatusForbidden)
	wantStatus(t, "GET /org/profile as a member", staff.Get(t, "/org/profile"), http.StatusForbidden)
	r = staff.Post(t, "/org/profile", url.Values{"csrf_token": {token}, "legal_name": {"改名"}})
	wantStatus(t, "POST /org/profile as a member", r, http.StatusForbidden)
	if n := servertest.Count(t, e, "users"); n != before+1 {
		t.Errorf("users after the member's attempts = %d, want %d", n, before+1)
	}
	r = staff.PostFile(t, "/org/documents", url.Values{"csrf_token": {token}}, "持证社工名单.png", samplePNG)
	servertest.WantRedirect(t, "POST /org/documents as a member", r, "/org?done=uploaded#documents")
	wantBody(t, "GET /org after the member's upload", staff.Get(t, "/org"), "持证社工名单.png", "PNG 图片")
}

// An organization's admin sets the password of another of its accounts on the
// organization's page (issue 10, finding 12): the account's sessions end, a
// short password is refused with an alert and writes nothing, the admin's own
// row has no form, and a single admin is urged to add a second one, who then
// sets the first one's password.
func TestPagesOrgMemberPassword(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	member, self := e.IDOf(t, "users", "username = ?", "demo-member"), e.IDOf(t, "users", "username = ?", "demo-org")
	memberForm := fmt.Sprintf(`action="/org/members/%d/password"`, member)
	admin := servertest.SignIn(t, e, "demo-org")
	admin.Cookies["jd_lang"] = "en"
	page := admin.Get(t, "/org")
	wantStatus(t, "GET /org as demo-org", page, http.StatusOK)
	wantBody(t, "GET /org as demo-org", page, `id="single-admin"`, "a single administrator", memberForm, `id="member-role"`)
	wantNoBody(t, "GET /org as demo-org", page, fmt.Sprintf(`action="/org/members/%d/password"`, self))
	wantNoBody(t, "GET /org as demo-member", servertest.SignIn(t, e, "demo-member").Get(t, "/org"), memberForm, `id="single-admin"`)

	// A short password: the alert names the row's input, nothing is written.
	var hash string
	if err := e.DB.Table("users").Select("password_hash").Where("id = ?", member).Take(&hash).Error; err != nil {
		t.Fatal(err)
	}
	audit := servertest.Count(t, e, "audit_entries")
	path := fmt.Sprintf("/org/members/%d/password", member)
	r := admin.Post(t, path, url.Values{"csrf_token": {pageToken(t, admin, "/org")}, "password": {"too short"}})
	wantFormAlert(t, "POST "+path+" with a short password", r, http.StatusBadRequest, fmt.Sprintf("password-%d", member))
	var after string
	if err := e.DB.Table("users").Select("password_hash").Where("id = ?", member).Take(&after).Error; err != nil {
		t.Fatal(err)
	}
	if after != hash || servertest.Count(t, e, "audit_entries") != audit {
		t.Errorf("a refused reset changed the password or wrote an audit entry")
	}

	// The reset: the member's page session ends, the new password signs in.
	session := servertest.SignIn(t, e, "demo-member")
	r = admin.Post(t, path, url.Values{"csrf_token": {pageToken(t, admin, "/org")}, "password": {"the member's new password"}})
	servertest.WantRedirect(t, "POST "+path, r, "/org?done=password#members")
	wantBody(t, "GET /org after the reset", admin.Get(t, "/org?done=password"), "The password has been set")
	servertest.WantRedirect(t, "GET /org as the member after the reset", session.Get(t, "/org"), "/login")
	login := servertest.NewPageClient(e)
	r = login.Post(t, "/login", url.Values{"csrf_token": {servertest.CSRFToken(t, login.Get(t, "/login"))},
		"username": {"demo-member"}, "password": {"the member's new password"}})
	servertest.WantRedirect(t, "POST /login with the new password", r, "/dashboard")
	var resets int64
	if err := e.DB.Table("audit_entries").Where("action = 'user.password_reset'").Count(&resets).Error; err != nil || resets != 1 {
		t.Errorf("user.password_reset audit entries = %d (%v), want 1", resets, err)
	}

	// A second admin: the notice goes, and the deputy sets the first one's password.
	r = admin.Post(t, "/org/members", url.Values{"csrf_token": {pageToken(t, admin, "/org")}, "username": {"kangle-deputy"},
		"password": {servertest.DemoPassword}, "role": {"org_admin"}})
	servertest.WantRedirect(t, "POST /org/members of an admin", r, "/org?done=invited#members")
	wantNoBody(t, "GET /org with two admins", admin.Get(t, "/org"), `id="single-admin"`)
	deputy := servertest.SignIn(t, e, "kangle-deputy")
	selfPath := fmt.Sprintf("/org/members/%d/password", self)
	wantBody(t, "GET /org as the deputy", deputy.Get(t, "/org"), `action="`+selfPath+`"`)
	r = deputy.Post(t, selfPath, url.Values{"csrf_token": {pageToken(t, deputy, "/org")}, "password": {"demo-org's new password"}})
	servertest.WantRedirect(t, "POST "+selfPath+" as the deputy", r, "/org?done=password#members")
	servertest.WantRedirect(t, "GET /org as demo-org after its reset", admin.Get(t, "/org"), "/login")
}

// Each organization page admits exactly its roles.
func TestPagesOrgAccess(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	anon := servertest.NewPageClient(e)
	for _, path := range []string{"/org", "/org/profile", "/district/certifications"} {
		servertest.WantRedirect(t, "GET "+path+" anonymously", anon.Get(t, path), "/login")
	}
	wantStatus(t, "GET /capable anonymously", anon.Get(t, "/capable"), http.StatusOK)
	officer := servertest.SignIn(t, e, "demo-officer")
	wantStatus(t, "GET /org as demo-officer", officer.Get(t, "/org"), http.StatusForbidden)
	wantStatus(t, "GET /district/certifications as demo-officer", officer.Get(t, "/district/certifications"), http.StatusForbidden)
	orgP := servertest.SignIn(t, e, "demo-org")
	wantStatus(t, "GET /district/certifications as demo-org", orgP.Get(t, "/district/certifications"), http.StatusForbidden)
	r := orgP.Post(t, "/district/certifications/1/approve", url.Values{"csrf_token": {pageToken(t, orgP, "/org")}, "grade": {"5"}})
	wantStatus(t, "POST an approval as demo-org", r, http.StatusForbidden)

	// Another organization's document is not found, even by id.
	org2 := servertest.SignIn(t, e, "demo-org2")
	r = org2.PostFile(t, "/org/documents", url.Values{"csrf_token": {pageToken(t, org2, "/org")}}, "会员名录.pdf", samplePDF)
	servertest.WantRedirect(t, "POST /org/documents as demo-org2", r, "/org?done=uploaded#documents")
	doc := e.IDOf(t, "organization_documents", "original_name = ?", "会员名录.pdf")
	wantStatus(t, "GET another organization's document", orgP.Get(t, fmt.Sprintf("/org/documents/%d", doc)), http.StatusNotFound)

	dist := servertest.SignIn(t, e, "demo-district")
	wantBody(t, "demo-district's dashboard", dist.Get(t, "/dashboard"), `href="/district/certifications"`)
	wantBody(t, "demo-org's dashboard", orgP.Get(t, "/dashboard"), `href="/org"`)
	wantNoBody(t, "demo-officer's dashboard", officer.Get(t, "/dashboard"), `href="/org"`, `href="/district/certifications"`)
	wantStatus(t, "GET /district/certifications as demo-district", dist.Get(t, "/district/certifications"), http.StatusOK)
}

// The public directory filters by district, category and name, and ignores
// filter values it does not know.
func TestPagesCapableDirectory(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	p := servertest.NewPageClient(e)
	all := p.Get(t, "/capable")
	wantStatus(t, "GET /capable", all, http.StatusOK)
	wantBody(t, "GET /capable", all, "有承接能力的社会组织目录", `href="/capable" aria-current="page"`, `role="search"`, `id="result-count"`)
	r := p.Get(t, "/capable?category=NO_SUCH&district=abc&page=-3&q="+strings.Repeat("名", 300))
	wantStatus(t, "GET /capable with bad filters", r, http.StatusOK)
	wantBody(t, "GET /capable with a long search", r, `id="result-count"`)
	r = p.Get(t, "/capable?q="+url.QueryEscape("不存在的组织名称"))
	wantBody(t, "GET /capable with no match", r, "没有符合条件的社会组织")
}
