package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// orgApply ensures the category is in the district's guidance catalog (as the
// district admin of districtToken) and files an application for it as the org
// admin of orgToken.
func orgApply(t testing.TB, e *servertest.Env, districtToken, orgToken string, district int64, category string, documents ...int64) org.Certification {
	t.Helper()
	catEnsureGuidance(t, e, districtToken, district, category)
	if documents == nil {
		documents = []int64{}
	}
	var c org.Certification
	servertest.Call(t, e, "POST", "/api/v1/certifications", orgToken, map[string]any{"district_id": district,
		"categories": []string{category}, "statement": "十年居家养老服务经验，持证社工12名。", "document_ids": documents},
		http.StatusCreated, &c)
	return c
}

// orgApproval is an approval at grade valid from today (in China) through the
// day before the same day next year, verifying 50 certified social workers
// (more than any test organization declares, so that its declared figure
// counts).
func orgApproval(e *servertest.Env, grade int) map[string]any {
	today := civil.ChinaDate(e.Clock.Now())
	return map[string]any{"grade": grade, "valid_from": today.String(),
		"valid_through": civil.NewDate(today.Year+1, today.Month, today.Day).AddDays(-1).String(), "verified_social_workers": 50}
}

// orgCerts returns the certifications GET /api/v1/certifications answers token.
func orgCerts(t *testing.T, e *servertest.Env, token, query string) []org.Certification {
	t.Helper()
	var list struct {
		Items []org.Certification `json:"items"`
	}
	servertest.Call(t, e, "GET", "/api/v1/certifications"+query, token, nil, http.StatusOK, &list)
	return list.Items
}

// orgCapable returns the ids of the organizations in the public directory for
// the query, asked anonymously, and the certifications listed for org.
func orgCapable(t *testing.T, e *servertest.Env, query url.Values, orgID int64) ([]int64, []org.ActiveCertification) {
	t.Helper()
	if !query.Has("per_page") {
		query.Set("per_page", "100")
	}
	var page org.Page[org.CapableOrg]
	servertest.Call(t, e, "GET", "/api/v1/public/organizations?"+query.Encode(), "", nil, http.StatusOK, &page)
	ids := []int64{}
	var certs []org.ActiveCertification
	for _, o := range page.Items {
		ids = append(ids, o.ID)
		if o.ID == orgID {
			certs = o.Certifications
		}
	}
	return ids, certs
}

func TestCertificationLifecycle(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	district, kangle := f.tokens["demo-district"], f.tokens["demo-org"]
	category := orgUncertifiedCategory(t, e, f.district, f.org1)
	orgNoPending(t, e, district, f.district, f.org1)
	certPath := func(id int64, action string) string { return fmt.Sprintf("/api/v1/certifications/%d%s", id, action) }
	status := func(id int64) string {
		t.Helper()
		return fmt.Sprint(azRow(t, e, "certifications", id)["status"])
	}
	inDirectory := func() bool {
		t.Helper()
		ids, _ := orgCapable(t, e, url.Values{"category": {category}}, f.org1)
		return slices.Contains(ids, f.org1)
	}

	// Applications naming what the catalog or the organization does not hold are refused.
	free := catFreeCategory(t, e, f.district)
	e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/certifications", Token: kangle, Body: map[string]any{"district_id": f.district, "categories": []string{free}}}, http.StatusBadRequest, "validation", "categories")
	r := orgUpload(t, e, f.tokens["demo-org2"], f.org2, "other.pdf", []byte(orgPDF))
	var foreign org.Document
	r.JSON(t, &foreign)
	e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/certifications", Token: kangle, Body: map[string]any{"district_id": f.district, "categories": []string{category},
		"document_ids": []int64{foreign.ID}}}, http.StatusBadRequest, "validation", "document_ids")

	// The organization applies with its evidence.
	r = orgUpload(t, e, kangle, f.org1, "评估等级证书.pdf", []byte(orgPDF))
	var evidence org.Document
	r.JSON(t, &evidence)
	c := orgApply(t, e, district, kangle, f.district, category, evidence.ID)
	if c.Status != org.CertPending || c.EffectiveStatus != org.CertPending || c.OrganizationID != f.org1 ||
		!slices.Equal(c.Categories, []string{category}) || !slices.Equal(c.DocumentIDs, []int64{evidence.ID}) || c.Grade != nil {
		t.Errorf("application = %+v, want pending for %s with document %d", c, category, evidence.ID)
	}
	e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/certifications", Token: kangle, Body: map[string]any{"district_id": f.district, "categories": []string{category}}}, http.StatusConflict, "certification.pending_exists")
	if inDirectory() {
		t.Error("a pending application put the organization in the public directory")
	}
	if got := orgCerts(t, e, district, "?status=pending"); !slices.ContainsFunc(got, func(x org.Certification) bool { return x.ID == c.ID }) {
		t.Errorf("demo-district's pending queue = %+v, want it to hold %d", got, c.ID)
	}

	// Another district's admin neither sees nor decides it.
	other := orgOtherDistrictAdmin(t, f)
	for _, action := range []string{"", "/approve", "/verified-social-workers", "/reject", "/suspend", "/revoke"} {
		method, body := "POST", any(map[string]any{"reason": "越权"})
		switch action {
		case "":
			method, body = "GET", nil
		case "/approve":
			body = orgApproval(e, 5)
		case "/verified-social-workers":
			body = map[string]any{"verified_social_workers": 9}
		}
		e.Refused(t, servertest.Request{Method: method, Path: certPath(c.ID, action), Token: other, Body: body}, http.StatusNotFound, "not_found")
	}
	if got := orgCerts(t, e, other, ""); len(got) != 0 {
		t.Errorf("GET /api/v1/certifications as another district's admin = %+v, want none", got)
	}
	e.Refused(t, servertest.Request{Method: "GET", Path: certPath(c.ID, ""), Token: f.tokens["demo-org2"], Body: nil}, http.StatusNotFound, "not_found")

	// An approval's last day is today or later, and not before its first.
	today := civil.ChinaDate(e.Clock.Now())
	for _, bad := range []struct {
		body   map[string]any
		code   string
		fields []string
	}{
		{map[string]any{"grade": 4, "valid_from": today.AddDays(-400).String(), "valid_through": today.AddDays(-2).String(), "verified_social_workers": 9},
			"certification.expired", []string{"valid_through"}},
		{map[string]any{"grade": 4, "valid_from": today.AddDays(-365).String(), "valid_through": today.AddDays(-1).String(), "verified_social_workers": 9},
			"certification.expired", []string{"valid_through"}},
		{map[string]any{"grade": 4, "valid_from": today.String(), "valid_through": today.AddDays(-1).String(), "verified_social_workers": 9}, "validation", []string{"valid_through"}},
		{map[string]any{"grade": 6, "valid_from": today.String(), "verified_social_workers": 9}, "validation", []string{"grade", "valid_through"}},
		// The social workers are verified at the approval.
		{map[string]any{"grade": 4, "valid_from": today.String(), "valid_through": today.AddDays(30).String()}, "validation", []string{"verified_social_workers"}},
		{map[string]any{"grade": 4, "valid_from": today.String(), "valid_through": today.AddDays(30).String(), "verified_social_workers": -1}, "validation", []string{"verified_social_workers"}},
		{map[string]any{"grade": 4, "valid_from": today.String(), "valid_through": today.AddDays(30).String(), "verified_social_workers": "9"}, "validation", []string{"verified_social_workers"}},
		// The old name of the field is not a field.
		{map[string]any{"grade": 4, "valid_from": today.String(), "valid_until": today.AddDays(30).String(), "verified_social_workers": 9}, "validation", []string{"valid_until"}},
	} {
		e.Refused(t, servertest.Request{Method: "POST", Path: certPath(c.ID, "/approve"), Token: district, Body: bad.body}, http.StatusBadRequest, bad.code, bad.fields...)
		if s := status(c.ID); s != "pending" {
			t.Fatalf("refused approval left the certification %s, want pending", s)
		}
	}
	// Not a date: refused naming the field.
	e.Refused(t, servertest.Request{Method: "POST", Path: certPath(c.ID, "/approve"), Token: district, Body: map[string]any{"grade": 4, "valid_from": "2026-13-01", "valid_through": "2027-11-21", "verified_social_workers": 9}}, http.StatusBadRequest, "validation", "valid_from")
	// Nor re-verified before its approval.
	e.Refused(t, servertest.Request{Method: "POST", Path: certPath(c.ID, "/verified-social-workers"), Token: district, Body: map[string]any{"verified_social_workers": 9}}, http.StatusConflict, "certification.not_verifiable")

	// Approved at grade 4 (4A) for a year: in the public directory, for anyone.
	var approved org.Certification
	servertest.Call(t, e, "POST", certPath(c.ID, "/approve"), district, orgApproval(e, 4), http.StatusOK, &approved)
	through := civil.NewDate(today.Year+1, today.Month, today.Day).AddDays(-1)
	if approved.Status != org.CertApproved || approved.EffectiveStatus != org.CertActive || approved.Grade == nil || *approved.Grade != 4 ||
		approved.ValidFrom == nil || *approved.ValidFrom != today || approved.ValidThrough == nil || *approved.ValidThrough != through {
		t.Errorf("approved = %+v, want approved, active, grade 4, %s through %s", approved, today, through)
	}
	ids, listed := orgCapable(t, e, url.Values{"category": {category}, "district_id": {strconv.FormatInt(f.district, 10)}}, f.org1)
	fifty := 50
	if approved.VerifiedSocialWorkers == nil || *approved.VerifiedSocialWorkers != fifty || approved.SocialWorkersVerifiedAt == nil {
		t.Errorf("approved verified %v social workers at %v, want %d now", approved.VerifiedSocialWorkers, approved.SocialWorkersVerifiedAt, fifty)
	}
	want := []org.ActiveCertification{{ID: c.ID, DistrictID: f.district, Categories: []string{category}, Grade: 4,
		VerifiedSocialWorkers: &fifty, ValidFrom: today, ValidThrough: through}}
	if !slices.Contains(ids, f.org1) || !cmp.Equal(listed, want) {
		t.Errorf("public directory for %s = %v with %+v, want org %d with %+v", category, ids, listed, f.org1, want)
	}
	if ids, _ := orgCapable(t, e, url.Values{"category": {free}}, f.org1); slices.Contains(ids, f.org1) {
		t.Errorf("public directory for %s lists org %d, certified only for %s", free, f.org1, category)
	}
	if ids, _ := orgCapable(t, e, url.Values{"category": {category}, "q": {"康乐居家"}}, f.org1); !slices.Contains(ids, f.org1) {
		t.Errorf("public directory searched for 康乐居家 = %v, want org %d", ids, f.org1)
	}
	for param, value := range map[string]string{"per_page": "101", "page": "0", "district_id": "x", "q": strings.Repeat("q", 101)} {
		e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/public/organizations?" + url.Values{param: {value}}.Encode(), Token: "", Body: nil}, http.StatusBadRequest, "validation", param)
	}
	e.Refused(t, servertest.Request{Method: "POST", Path: certPath(999999, "/approve"), Token: district, Body: orgApproval(e, 4)}, http.StatusNotFound, "not_found")
	e.Refused(t, servertest.Request{Method: "POST", Path: certPath(c.ID, "/approve"), Token: district, Body: orgApproval(e, 5)}, http.StatusConflict, "certification.not_pending")
	e.Refused(t, servertest.Request{Method: "POST", Path: certPath(c.ID, "/reject"), Token: district, Body: map[string]any{"reason": "迟到的驳回"}}, http.StatusConflict, "certification.not_pending")

	// Re-verified by the district admin alone; a bad number changes nothing.
	verify := certPath(c.ID, "/verified-social-workers")
	for _, body := range []map[string]any{{}, {"verified_social_workers": -3}, {"verified_social_workers": 100001}, {"verified_social_workers": 2.5}} {
		e.Refused(t, servertest.Request{Method: "POST", Path: verify, Token: district, Body: body}, http.StatusBadRequest, "validation", "verified_social_workers")
	}
	e.Refused(t, servertest.Request{Method: "POST", Path: verify, Token: kangle, Body: map[string]any{"verified_social_workers": 99}}, http.StatusForbidden, "forbidden")
	var reverified org.Certification
	servertest.Call(t, e, "POST", verify, district, map[string]any{"verified_social_workers": 7}, http.StatusOK, &reverified)
	if reverified.VerifiedSocialWorkers == nil || *reverified.VerifiedSocialWorkers != 7 || reverified.Status != org.CertApproved {
		t.Errorf("re-verified = %+v, want 7 verified, still approved", reverified)
	}

	// Suspended (a reason is required): out of the directory.
	e.Refused(t, servertest.Request{Method: "POST", Path: certPath(c.ID, "/suspend"), Token: district, Body: map[string]any{"reason": "  "}}, http.StatusBadRequest, "validation", "reason")
	e.Refused(t, servertest.Request{Method: "POST", Path: certPath(c.ID, "/suspend"), Token: district, Body: map[string]any{}}, http.StatusBadRequest, "validation", "reason")
	var suspended org.Certification
	servertest.Call(t, e, "POST", certPath(c.ID, "/suspend"), district, map[string]any{"reason": "服务投诉核查中"}, http.StatusOK, &suspended)
	if suspended.Status != org.CertSuspended || suspended.DecisionReason != "服务投诉核查中" || suspended.DecidedAt == nil {
		t.Errorf("suspended = %+v, want suspended with its reason", suspended)
	}
	if inDirectory() {
		t.Error("a suspended certification kept the organization in the public directory")
	}
	e.Refused(t, servertest.Request{Method: "POST", Path: certPath(c.ID, "/suspend"), Token: district, Body: map[string]any{"reason": "再次暂停"}}, http.StatusConflict, "certification.not_approved")

	// Revoked for good.
	var revoked org.Certification
	servertest.Call(t, e, "POST", certPath(c.ID, "/revoke"), district, map[string]any{"reason": "核查属实，撤销认定"}, http.StatusOK, &revoked)
	if revoked.Status != org.CertRevoked || revoked.DecisionReason != "核查属实，撤销认定" {
		t.Errorf("revoked = %+v, want revoked with its reason", revoked)
	}
	e.Refused(t, servertest.Request{Method: "POST", Path: certPath(c.ID, "/revoke"), Token: district, Body: map[string]any{"reason": "再次撤销"}}, http.StatusConflict, "certification.not_revocable")
	e.Refused(t, servertest.Request{Method: "POST", Path: verify, Token: district, Body: map[string]any{"verified_social_workers": 7}}, http.StatusConflict, "certification.not_verifiable")
	e.Refused(t, servertest.Request{Method: "POST", Path: certPath(c.ID, "/suspend"), Token: district, Body: map[string]any{"reason": "暂停已撤销的"}}, http.StatusConflict, "certification.not_approved")
	if inDirectory() {
		t.Error("a revoked certification put the organization back in the public directory")
	}

	// A new application, rejected with a reason.
	c2 := orgApply(t, e, district, kangle, f.district, category)
	e.Refused(t, servertest.Request{Method: "POST", Path: certPath(c2.ID, "/reject"), Token: district, Body: map[string]any{"reason": ""}}, http.StatusBadRequest, "validation", "reason")
	var rejected org.Certification
	servertest.Call(t, e, "POST", certPath(c2.ID, "/reject"), district, map[string]any{"reason": "持证社工人数不足"}, http.StatusOK, &rejected)
	if rejected.Status != org.CertRejected || rejected.DecisionReason != "持证社工人数不足" || rejected.Grade != nil {
		t.Errorf("rejected = %+v, want rejected with its reason", rejected)
	}
	e.Refused(t, servertest.Request{Method: "POST", Path: certPath(c2.ID, "/approve"), Token: district, Body: orgApproval(e, 3)}, http.StatusConflict, "certification.not_pending")
	e.Refused(t, servertest.Request{Method: "POST", Path: certPath(c2.ID, "/revoke"), Token: district, Body: map[string]any{"reason": "撤销驳回的"}}, http.StatusConflict, "certification.not_revocable")

	// The organization sees each decision and its reason.
	seen := map[int64]org.Certification{}
	for _, x := range orgCerts(t, e, kangle, "") {
		if x.OrganizationID != f.org1 {
			t.Errorf("demo-org sees certification %d of organization %d", x.ID, x.OrganizationID)
		}
		seen[x.ID] = x
	}
	if got := seen[c.ID]; got.Status != org.CertRevoked || got.DecisionReason != "核查属实，撤销认定" {
		t.Errorf("demo-org sees certification %d as %+v, want revoked with its reason", c.ID, got)
	}
	if got := seen[c2.ID]; got.Status != org.CertRejected || got.DecisionReason != "持证社工人数不足" {
		t.Errorf("demo-org sees certification %d as %+v, want rejected with its reason", c2.ID, got)
	}
	var one org.Certification
	servertest.Call(t, e, "GET", certPath(c2.ID, ""), kangle, nil, http.StatusOK, &one)
	if one.Status != org.CertRejected || one.DecisionReason != "持证社工人数不足" {
		t.Errorf("GET certification %d as demo-org = %+v, want rejected with its reason", c2.ID, one)
	}
	rejectedOnes := orgCerts(t, e, kangle, "?status=rejected")
	if !slices.ContainsFunc(rejectedOnes, func(x org.Certification) bool { return x.ID == c2.ID }) ||
		slices.ContainsFunc(rejectedOnes, func(x org.Certification) bool { return x.Status != org.CertRejected }) {
		t.Errorf("demo-org's rejected certifications = %+v, want %d among only rejected ones", rejectedOnes, c2.ID)
	}
	e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/certifications?status=lost", Token: kangle, Body: nil}, http.StatusBadRequest, "validation", "status")

	// Every decision is in the audit trail, by demo-district.
	wantActions := map[int64][]string{
		c.ID:  {"certification.apply", "certification.approve", "certification.verify_social_workers", "certification.suspend", "certification.revoke"},
		c2.ID: {"certification.apply", "certification.reject"},
	}
	for id, want := range wantActions {
		entries := orgAudit(t, e, "certification", id)
		if diff := cmp.Diff(want, orgActions(entries)); diff != "" {
			t.Errorf("audit of certification %d (-want +got):\n%s", id, diff)
		}
		for _, a := range entries[1:] {
			if a.ActorName != "demo-district" || a.ActorRole != "district_admin" {
				t.Errorf("audit entry %+v of certification %d, want it by demo-district", a, id)
			}
		}
	}
}

// orgOtherDistrictAdmin creates 南浔区 and a district admin for it as the
// platform admin, and returns that admin's access token.
func orgOtherDistrictAdmin(t *testing.T, f *azFixture) string {
	t.Helper()
	var d struct {
		ID int64 `json:"id"`
	}
	servertest.Call(t, f.e, "POST", "/api/v1/districts", f.tokens["demo-admin"], map[string]any{"code": "330503", "name_zh": "南浔区"},
		http.StatusCreated, &d)
	servertest.Call(t, f.e, "POST", "/api/v1/users", f.tokens["demo-admin"], map[string]any{"username": "nanxun-district",
		"password": orgPassword, "role": "district_admin", "district_id": d.ID}, http.StatusCreated, nil)
	return orgLogin(t, f.e, "nanxun-district", orgPassword)
}

// orgUncertifiedCategory returns a category of the district's guidance catalog
// for which the organization is not in the public directory, adding one to the
// catalog (as demo-district) when every listed category is taken.
func orgUncertifiedCategory(t *testing.T, e *servertest.Env, district, orgID int64) string {
	t.Helper()
	for _, g := range catGuidance(t, e, district) {
		if ids, _ := orgCapable(t, e, url.Values{"category": {g.CategoryCode}}, orgID); !slices.Contains(ids, orgID) {
			return g.CategoryCode
		}
	}
	category := catFreeCategory(t, e, district)
	catEnsureGuidance(t, e, e.Token(t, "demo-district"), district, category)
	return category
}

// orgNoPending rejects, as the district admin of token, every pending
// application of the organization in the district, so that it may apply.
func orgNoPending(t testing.TB, e *servertest.Env, token string, district, orgID int64) {
	t.Helper()
	var ids []int64
	if err := e.DB.Table("certifications").Where("organization_id = ? AND district_id = ? AND status = ?", orgID, district, org.CertPending).
		Pluck("id", &ids).Error; err != nil {
		t.Fatalf("read pending applications: %v", err)
	}
	for _, id := range ids {
		servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/certifications/%d/reject", id), token, map[string]any{"reason": "测试前清理待审申请"},
			http.StatusOK, nil)
	}
}
