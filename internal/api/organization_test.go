package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// orgPDF is a minimal PDF document: what matters is the %PDF- signature the
// upload judges the type by.
const orgPDF = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" +
	"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"

// orgPassword is the password of the accounts these tests create.
const orgPassword = "a long enough password"

// orgMultipart returns a multipart/form-data body holding content as the file
// name in field, and its Content-Type; boundary may be "" for a random one.
func orgMultipart(t testing.TB, boundary, field, name string, content []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if boundary != "" {
		if err := w.SetBoundary(boundary); err != nil {
			t.Fatal(err)
		}
	}
	part, err := w.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

// orgUpload sends content as a document of the organization, in the field
// "file", through the app (validated against the OpenAPI document).
func orgUpload(t testing.TB, e *servertest.Env, token string, orgID int64, name string, content []byte) servertest.Response {
	t.Helper()
	return orgUploadField(t, e, token, orgID, "file", name, content)
}

func orgUploadField(t testing.TB, e *servertest.Env, token string, orgID int64, field, name string, content []byte) servertest.Response {
	t.Helper()
	ct, body := orgMultipart(t, "", field, name, content)
	return e.Do(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/organizations/%d/documents", orgID), Token: token,
		Body: body, Header: map[string]string{"Content-Type": ct}})
}

// orgLogin signs username in with password and returns the access token.
func orgLogin(t testing.TB, e *servertest.Env, username, password string) string {
	t.Helper()
	var tk auth.Tokens
	servertest.Call(t, e, "POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": password}, http.StatusOK, &tk)
	return tk.AccessToken
}

// orgMe is the part of GET /api/v1/me these tests look at.
type orgMe struct {
	Username string   `json:"username"`
	Roles    []string `json:"roles"`
	Scope    struct {
		OrganizationID int64 `json:"organization_id"`
	} `json:"scope"`
}

func orgWhoAmI(t testing.TB, e *servertest.Env, token string) orgMe {
	t.Helper()
	var me orgMe
	servertest.Call(t, e, "GET", "/api/v1/me", token, nil, http.StatusOK, &me)
	return me
}

// orgAuditEntry is one audit entry as these tests read it.
type orgAuditEntry struct {
	Action    string
	ActorName string
	ActorRole string
	ActorID   *int64
}

// orgAudit returns the audit entries about one entity, oldest first.
func orgAudit(t testing.TB, e *servertest.Env, entityType string, id int64) []orgAuditEntry {
	t.Helper()
	var out []orgAuditEntry
	if err := e.DB.Table("audit_entries").Select("action, actor_name, actor_role, actor_id").
		Where("entity_type = ? AND entity_id = ?", entityType, strconv.FormatInt(id, 10)).Order("id").Scan(&out).Error; err != nil {
		t.Fatalf("read audit entries of %s %d: %v", entityType, id, err)
	}
	return out
}

func orgActions(entries []orgAuditEntry) []string {
	out := []string{}
	for _, a := range entries {
		out = append(out, a.Action)
	}
	return out
}

// orgSignupBody is a complete sign-up: a valid profile in 吴兴区 and its admin.
func orgSignupBody(district int64, code, username string) map[string]any {
	return map[string]any{
		"credit_code": code, "legal_name": "湖州市吴兴区阳光社工服务中心", "org_type": "social_service_institution",
		"district_id": district, "registration_date": "2019-03-12", "legal_representative": "王芳",
		"contact_name": "李明", "contact_phone": "0572-2345678", "contact_email": "contact@example.org",
		"address": "湖州市吴兴区爱山街道南街1号", "staff_count": 12, "certified_social_workers": 5,
		"admin": map[string]any{"username": username, "display_name": "阳光社工管理员", "password": orgPassword, "locale": "zh-CN"},
	}
}

func TestOrganizationSignup(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e

	t.Run("creates the organization and its admin, who can sign in", func(t *testing.T) {
		code := servertest.CreditCode(t, "52330502MJ8000001")
		var got struct {
			Organization org.Organization `json:"organization"`
			Admin        auth.User        `json:"admin"`
		}
		servertest.Call(t, e, "POST", "/api/v1/organizations", "", orgSignupBody(f.district, code, "Sunshine-Admin"), http.StatusCreated, &got)
		o, u := got.Organization, got.Admin
		if o.ID == 0 || o.CreditCode != code || o.DistrictID != f.district || o.Status != "active" || o.CertifiedSocialWorkers != 5 {
			t.Errorf("signed-up organization = %+v, want an active one with code %s in district %d", o, code, f.district)
		}
		if u.Username != "sunshine-admin" || u.Role != "org_admin" || u.OrganizationID == nil || *u.OrganizationID != o.ID {
			t.Errorf("signed-up admin = %+v, want sunshine-admin, org_admin of organization %d", u, o.ID)
		}
		// The visitor's entries name the account being created.
		for _, a := range append(orgAudit(t, e, "organization", o.ID), orgAudit(t, e, "user", u.ID)...) {
			if a.ActorName != "sunshine-admin" || a.ActorRole != "org_admin" || a.ActorID != nil {
				t.Errorf("audit entry %+v, want actor sunshine-admin (org_admin, no id)", a)
			}
		}
		if got := orgActions(orgAudit(t, e, "organization", o.ID)); !slices.Equal(got, []string{"organization.create"}) {
			t.Errorf("audit of the organization = %v, want [organization.create]", got)
		}
		if got := orgActions(orgAudit(t, e, "user", u.ID)); !slices.Equal(got, []string{"user.create"}) {
			t.Errorf("audit of the admin = %v, want [user.create]", got)
		}
		me := orgWhoAmI(t, e, orgLogin(t, e, "sunshine-admin", orgPassword))
		if !slices.Equal(me.Roles, []string{"org_admin"}) || me.Scope.OrganizationID != o.ID {
			t.Errorf("GET /api/v1/me as the new admin = %+v, want org_admin of %d", me, o.ID)
		}
	})

	t.Run("a taken username leaves no organization", func(t *testing.T) {
		code := servertest.CreditCode(t, "52330502MJ8000002")
		e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Token: "", Body: orgSignupBody(f.district, code, "demo-org")}, http.StatusConflict, "user.duplicate_username")
		var n int64
		if err := e.DB.Table("organizations").Where("credit_code = ?", code).Count(&n).Error; err != nil || n != 0 {
			t.Errorf("organizations with code %s = %d (%v), want 0", code, n, err)
		}
	})

	t.Run("a registered credit code leaves no account", func(t *testing.T) {
		e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Token: "", Body: orgSignupBody(f.district, "52330502MJ526018XR", "second-kangle")}, http.StatusConflict, "organization.duplicate_credit_code")
	})

	t.Run("profile and account errors together", func(t *testing.T) {
		body := orgSignupBody(f.district, "52330500MJ5470873D", "x")
		body["admin"].(map[string]any)["password"] = "short"
		e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Token: "", Body: body}, http.StatusBadRequest, "validation", "admin.password", "admin.username", "credit_code")
	})

	t.Run("anonymous without admin", func(t *testing.T) {
		body := orgSignupBody(f.district, servertest.CreditCode(t, "52330502MJ8000003"), "")
		delete(body, "admin")
		e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Token: "", Body: body}, http.StatusBadRequest, "validation", "admin")
	})

	t.Run("an admin's registration carries no account", func(t *testing.T) {
		body := orgSignupBody(f.district, servertest.CreditCode(t, "52330502MJ8000004"), "district-made-admin")
		e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Token: f.tokens["demo-district"], Body: body}, http.StatusBadRequest, "validation", "admin")
	})

	t.Run("other signed-in roles", func(t *testing.T) {
		for i, who := range []string{"demo-officer", "demo-org", "demo-resident"} {
			body := orgSignupBody(f.district, servertest.CreditCode(t, fmt.Sprintf("52330502MJ800001%d", i)), "refused-"+who)
			e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Token: f.tokens[who], Body: body}, http.StatusForbidden, "forbidden")
		}
	})
}

// TestOrganizationCreditCodes signs up with the codes of WORKED_EXAMPLES.md §1:
// a valid code registers (409 when the demo seed holds it already), an invalid
// one is refused naming credit_code and writes nothing.
func TestOrganizationCreditCodes(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	tests := []struct {
		code string
		want int
		err  string
	}{
		{"91350100M000100Y43", http.StatusCreated, ""},
		{"91110000600037341L", http.StatusCreated, ""},
		{"12100000400000624D", http.StatusCreated, ""},
		{"52330502MJ526018XR", http.StatusConflict, "organization.duplicate_credit_code"}, // seeded
		{"53330502MJ159083XF", http.StatusConflict, "organization.duplicate_credit_code"}, // seeded
		{"51330502MJ016613XH", http.StatusConflict, "organization.duplicate_credit_code"}, // seeded
		{"52330500MJ5470873D", http.StatusBadRequest, "validation"},                       // check should be 0
		{"53110000500021676T", http.StatusBadRequest, "validation"},                       // check should be P
		{"91350100M000100Y4", http.StatusBadRequest, "validation"},                        // 17 characters
		{"91350100I000100Y43", http.StatusBadRequest, "validation"},                       // I is not in the alphabet
	}
	for i, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			body := orgSignupBody(f.district, tt.code, fmt.Sprintf("code-test-%d", i))
			if tt.want == http.StatusCreated {
				servertest.Call(t, e, "POST", "/api/v1/organizations", "", body, http.StatusCreated, nil)
				e.IDOf(t, "organizations", "credit_code = ?", tt.code)
				return
			}
			var fields []string
			if tt.want == http.StatusBadRequest {
				fields = []string{"credit_code"}
			}
			e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/organizations", Token: "", Body: body}, tt.want, tt.err, fields...)
		})
	}
}

func TestOrganizationMembers(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	path := fmt.Sprintf("/api/v1/organizations/%d/members", f.org1)

	var u auth.User
	servertest.Call(t, e, "POST", path, f.tokens["demo-org"], map[string]any{"username": "kangle-worker", "display_name": "张社工",
		"password": orgPassword, "locale": "en"}, http.StatusCreated, &u)
	if u.Role != "org_member" || u.OrganizationID == nil || *u.OrganizationID != f.org1 || u.Locale != "en" {
		t.Errorf("invited member = %+v, want an org_member of %d with locale en", u, f.org1)
	}
	if got := orgActions(orgAudit(t, e, "user", u.ID)); !slices.Equal(got, []string{"user.create"}) {
		t.Errorf("audit of the member = %v, want [user.create]", got)
	}
	member := orgLogin(t, e, "kangle-worker", orgPassword)
	if me := orgWhoAmI(t, e, member); !slices.Equal(me.Roles, []string{"org_member"}) || me.Scope.OrganizationID != f.org1 {
		t.Errorf("GET /api/v1/me as the member = %+v, want org_member of %d", me, f.org1)
	}

	// Everyone who may read the organization sees the member; the member may read but not invite.
	for _, token := range []string{f.tokens["demo-org"], f.tokens["demo-district"], f.tokens["demo-admin"], member} {
		var list struct {
			Items []auth.User `json:"items"`
		}
		servertest.Call(t, e, "GET", path, token, nil, http.StatusOK, &list)
		var names []string
		for _, it := range list.Items {
			names = append(names, it.Username)
		}
		if !slices.Contains(names, "kangle-worker") || !slices.Contains(names, "demo-org") || !slices.IsSorted(names) {
			t.Errorf("members of org 1 = %v, want demo-org and kangle-worker by username", names)
		}
	}
	e.Refused(t, servertest.Request{Method: "POST", Path: path, Token: member, Body: map[string]any{"username": "by-a-member", "password": orgPassword}}, http.StatusForbidden, "forbidden")
	e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/certifications", Token: member, Body: map[string]any{"district_id": f.district, "categories": []string{"LEGAL_AID"}}}, http.StatusForbidden, "forbidden")

	// Refusals: another organization's admin, a taken username, a bad account.
	e.Refused(t, servertest.Request{Method: "POST", Path: path, Token: f.tokens["demo-org2"], Body: map[string]any{"username": "planted", "password": orgPassword}}, http.StatusNotFound, "not_found")
	e.Refused(t, servertest.Request{Method: "GET", Path: path, Token: f.tokens["demo-org2"], Body: nil}, http.StatusNotFound, "not_found")
	e.Refused(t, servertest.Request{Method: "POST", Path: path, Token: f.tokens["demo-org"], Body: map[string]any{"username": "demo-officer", "password": orgPassword}}, http.StatusConflict, "user.duplicate_username")
	e.Refused(t, servertest.Request{Method: "POST", Path: path, Token: f.tokens["demo-org"], Body: map[string]any{"username": "-bad", "password": "short", "locale": "fr"}}, http.StatusBadRequest, "validation", "locale", "password", "username")
	e.Refused(t, servertest.Request{Method: "POST", Path: path, Token: f.tokens["demo-org"], Body: map[string]any{"username": "x-role", "password": orgPassword, "role": "resident"}}, http.StatusBadRequest, "validation", "role")
	e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/organizations/999999/members", Token: f.tokens["demo-admin"], Body: nil}, http.StatusNotFound, "not_found")
}

// orgUploadDirs returns a configuration whose upload directory sits two levels
// below a fresh temporary root, so that a name climbing out of it ("../../x")
// would land in the root, and the root.
func orgUploadDirs(t *testing.T) (cfg config.Config, root string) {
	t.Helper()
	cfg = servertest.Config(t)
	root = t.TempDir()
	cfg.Uploads.Dir = filepath.Join(root, "data", "uploads")
	cfg.Uploads.MaxBytes = 4096
	return cfg, root
}

// orgFiles returns every regular file under root, relative to it.
func orgFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return out
}

var storedName = regexp.MustCompile(`^data/uploads/[0-9a-f]{32}$`)

func TestOrganizationDocuments(t *testing.T) {
	t.Parallel()
	cfg, root := orgUploadDirs(t)
	e := servertest.NewEnvWith(t, cfg)
	org1 := e.Demo(t).Org1
	org2 := e.Demo(t).Org2
	tokens := map[string]string{}
	for _, who := range []string{"demo-org", "demo-org2", "demo-district", "demo-admin", "demo-officer"} {
		tokens[who] = e.Token(t, who)
	}
	docs := fmt.Sprintf("/api/v1/organizations/%d/documents", org1)

	// uploadRefused sends an upload that must be refused with want and code,
	// naming fields, and write no row, audit entry or file.
	uploadRefused := func(t *testing.T, token, field, name string, content []byte, want int, code string, fields ...string) {
		t.Helper()
		rows, audits, files := servertest.Count(t, e, "organization_documents"), servertest.Count(t, e, "audit_entries"), orgFiles(t, root)
		r := orgUploadField(t, e, token, org1, field, name, content)
		if r.Status != want {
			t.Fatalf("upload %q = %d %s, want %d", name, r.Status, r.Body, want)
		}
		p := r.Problem(t)
		if p.Code != code || !azHasFields(p, fields...) {
			t.Errorf("upload %q: problem %s, want code %s naming %v", name, r.Body, code, fields)
		}
		if n, a := servertest.Count(t, e, "organization_documents"), servertest.Count(t, e, "audit_entries"); n != rows || a != audits {
			t.Errorf("refused upload changed the counts: documents %d → %d, audit_entries %d → %d", rows, n, audits, a)
		}
		if diff := cmp.Diff(files, orgFiles(t, root)); diff != "" {
			t.Errorf("refused upload %q changed the files (-before +after):\n%s", name, diff)
		}
	}

	t.Run("refused", func(t *testing.T) {
		big := []byte("%PDF-1.4\n" + strings.Repeat("0", cfg.Uploads.MaxBytes))
		uploadRefused(t, tokens["demo-org"], "file", "big.pdf", big[:cfg.Uploads.MaxBytes+1], http.StatusRequestEntityTooLarge, "document.too_large")
		uploadRefused(t, tokens["demo-org"], "file", "page.pdf", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
			http.StatusBadRequest, "document.type", "file")
		uploadRefused(t, tokens["demo-org"], "file", "empty.pdf", nil, http.StatusBadRequest, "document.empty", "file")
		uploadRefused(t, tokens["demo-org"], "document", "a.pdf", []byte(orgPDF), http.StatusBadRequest, "validation", "file")
		uploadRefused(t, tokens["demo-org2"], "file", "a.pdf", []byte(orgPDF), http.StatusNotFound, "not_found")
		uploadRefused(t, tokens["demo-district"], "file", "a.pdf", []byte(orgPDF), http.StatusForbidden, "forbidden")
		uploadRefused(t, "", "file", "a.pdf", []byte(orgPDF), http.StatusUnauthorized, "unauthorized")
		e.Refused(t, servertest.Request{Method: "POST", Path: docs, Token: tokens["demo-org"], Body: map[string]any{"file": orgPDF}}, http.StatusUnsupportedMediaType, "unsupported_media_type")
	})

	t.Run("a file of exactly the limit", func(t *testing.T) {
		exact := []byte("%PDF-1.4\n" + strings.Repeat("0", cfg.Uploads.MaxBytes-9))
		if r := orgUpload(t, e, tokens["demo-org"], org1, "exact.pdf", exact); r.Status != http.StatusCreated {
			t.Errorf("upload of %d bytes (the limit) = %d %s, want 201", len(exact), r.Status, r.Body)
		}
	})

	t.Run("a climbing name stays inside the upload directory", func(t *testing.T) {
		for _, name := range []string{"../../evil.pdf", `..\..\evil.pdf`} {
			r := orgUpload(t, e, tokens["demo-org"], org1, name, []byte(orgPDF))
			if r.Status != http.StatusCreated {
				t.Fatalf("upload %q = %d %s, want 201", name, r.Status, r.Body)
			}
			var d org.Document
			r.JSON(t, &d)
			if d.OriginalName != "evil.pdf" {
				t.Errorf("upload %q kept the name %q, want evil.pdf", name, d.OriginalName)
			}
		}
		for _, p := range orgFiles(t, root) {
			if !storedName.MatchString(filepath.ToSlash(p)) {
				t.Errorf("file %s under the temporary root; every file must be data/uploads/<32 hex>", p)
			}
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(root), "evil.pdf")); !os.IsNotExist(err) {
			t.Errorf("evil.pdf next to the temporary root: %v", err)
		}
	})

	t.Run("stored and downloaded as an attachment", func(t *testing.T) {
		files := []struct {
			name, contentType string
			content           []byte
		}{
			{"民办非企业单位登记证书.pdf", "application/pdf", []byte(orgPDF)},
			{"evaluation-grade.png", "image/png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")},
			{"staff.jpg", "image/jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9")},
		}
		for _, file := range files {
			r := orgUpload(t, e, tokens["demo-org"], org1, file.name, file.content)
			if r.Status != http.StatusCreated {
				t.Fatalf("upload %s = %d %s, want 201", file.name, r.Status, r.Body)
			}
			var d org.Document
			r.JSON(t, &d)
			sum := sha256.Sum256(file.content)
			if d.OrganizationID != org1 || d.OriginalName != file.name || d.ContentType != file.contentType ||
				d.SizeBytes != int64(len(file.content)) || d.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("uploaded %s = %+v, want %s, %d bytes, its SHA-256", file.name, d, file.contentType, len(file.content))
			}
			if got := orgActions(orgAudit(t, e, "organization_document", d.ID)); !slices.Equal(got, []string{"document.upload"}) {
				t.Errorf("audit of document %d = %v, want [document.upload]", d.ID, got)
			}
			var stored string
			if err := e.DB.Table("organization_documents").Select("stored_name").Where("id = ?", d.ID).Take(&stored).Error; err != nil {
				t.Fatal(err)
			}
			onDisk, err := os.ReadFile(filepath.Join(cfg.Uploads.Dir, stored))
			if err != nil || !bytes.Equal(onDisk, file.content) {
				t.Errorf("stored file %s: %v, same bytes %t", stored, err, bytes.Equal(onDisk, file.content))
			}

			path := fmt.Sprintf("%s/%d", docs, d.ID)
			for _, who := range []string{"demo-org", "demo-district", "demo-admin"} {
				r := e.Do(t, servertest.Request{Method: "GET", Path: path, Token: tokens[who]})
				if r.Status != http.StatusOK || !bytes.Equal(r.Body, file.content) {
					t.Fatalf("GET %s as %s = %d (%d bytes), want 200 and the %d bytes uploaded", path, who, r.Status, len(r.Body), len(file.content))
				}
				wantCD := fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`,
					strings.Map(func(r rune) rune {
						if r > 0x7e {
							return '_'
						}
						return r
					}, file.name), url.PathEscape(file.name))
				for h, want := range map[string]string{"Content-Type": file.contentType, "Content-Disposition": wantCD,
					"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"} {
					if got := r.Header.Get(h); got != want {
						t.Errorf("GET %s as %s: %s = %q, want %q", path, who, h, got, want)
					}
				}
			}
			e.Refused(t, servertest.Request{Method: "GET", Path: path, Token: tokens["demo-org2"], Body: nil}, http.StatusNotFound, "not_found")
			e.Refused(t, servertest.Request{Method: "GET", Path: fmt.Sprintf("/api/v1/organizations/%d/documents/%d", org2, d.ID), Token: tokens["demo-org2"], Body: nil}, http.StatusNotFound, "not_found")
			e.Refused(t, servertest.Request{Method: "GET", Path: path, Token: tokens["demo-officer"], Body: nil}, http.StatusForbidden, "forbidden")
		}

		var list struct {
			Items []org.Document `json:"items"`
		}
		servertest.Call(t, e, "GET", docs, tokens["demo-district"], nil, http.StatusOK, &list)
		var names []string
		for _, d := range list.Items {
			names = append(names, d.OriginalName)
		}
		if want := []string{"exact.pdf", "evil.pdf", "evil.pdf", files[0].name, files[1].name, files[2].name}; !slices.Equal(names, want) {
			t.Errorf("documents of org 1 = %v, want %v (upload order)", names, want)
		}
		e.Refused(t, servertest.Request{Method: "GET", Path: docs, Token: tokens["demo-org2"], Body: nil}, http.StatusNotFound, "not_found")
		e.Refused(t, servertest.Request{Method: "GET", Path: fmt.Sprintf("%s/999999", docs), Token: tokens["demo-org"], Body: nil}, http.StatusNotFound, "not_found")
	})

	t.Run("a member uploads too", func(t *testing.T) {
		servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/organizations/%d/members", org1), tokens["demo-org"],
			map[string]any{"username": "kangle-clerk", "password": orgPassword}, http.StatusCreated, nil)
		member := orgLogin(t, e, "kangle-clerk", orgPassword)
		if r := orgUpload(t, e, member, org1, "member.pdf", []byte(orgPDF)); r.Status != http.StatusCreated {
			t.Errorf("upload as an org_member = %d %s, want 201", r.Status, r.Body)
		}
	})
}
