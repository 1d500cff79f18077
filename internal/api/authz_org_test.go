package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// azOrgCategory is the guidance-catalog category the matrix's applications name.
const azOrgCategory = "ELDERLY_HOME_CARE"

// azUploadBoundary is the multipart boundary of the matrix's upload bodies: a
// row's header is fixed, so its body must use a known boundary.
const azUploadBoundary = "jiedao-matrix-upload-boundary"

// azOrg1Path returns a path under demo-org's organization.
func azOrg1Path(suffix string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		return fmt.Sprintf("/api/v1/organizations/%d%s", f.org1, suffix)
	}
}

// azOrgDocument returns a document of demo-org's organization, uploading one
// as demo-org when it has none.
func azOrgDocument(t testing.TB, f *azFixture) int64 {
	t.Helper()
	var ids []int64
	if err := f.e.DB.Table("organization_documents").Where("organization_id = ?", f.org1).Order("id").Pluck("id", &ids).Error; err != nil {
		t.Fatalf("read documents: %v", err)
	}
	if len(ids) > 0 {
		return ids[0]
	}
	r := orgUpload(t, f.e, f.tokens["demo-org"], f.org1, "登记证书.pdf", []byte(orgPDF))
	if r.Status != http.StatusCreated {
		t.Fatalf("upload a document as demo-org = %d %s, want 201", r.Status, r.Body)
	}
	var d org.Document
	r.JSON(t, &d)
	return d.ID
}

// azOrgCert returns a certification of demo-org's organization in 吴兴区 with
// one of the statuses, oldest first, or 0.
func azOrgCert(t testing.TB, f *azFixture, status ...org.CertStatus) int64 {
	t.Helper()
	var ids []int64
	if err := f.e.DB.Table("certifications").Where("organization_id = ? AND district_id = ? AND status IN ?", f.org1, f.district, status).
		Order("id").Pluck("id", &ids).Error; err != nil {
		t.Fatalf("read certifications: %v", err)
	}
	if len(ids) == 0 {
		return 0
	}
	return ids[0]
}

// azOrgPending returns demo-org's pending application in 吴兴区, filing one
// through the API when there is none.
func azOrgPending(t testing.TB, f *azFixture) int64 {
	if id := azOrgCert(t, f, org.CertPending); id != 0 {
		return id
	}
	return orgApply(t, f.e, f.tokens["demo-district"], f.tokens["demo-org"], f.district, azOrgCategory).ID
}

// azOrgApproved returns an approved certification of demo-org in 吴兴区 (one of
// the statuses when more are given), approving its pending application through
// the API when there is none.
func azOrgApproved(t testing.TB, f *azFixture, also ...org.CertStatus) int64 {
	if id := azOrgCert(t, f, append(also, org.CertApproved)...); id != 0 {
		return id
	}
	id := azOrgPending(t, f)
	servertest.Call(t, f.e, "POST", fmt.Sprintf("/api/v1/certifications/%d/approve", id), f.tokens["demo-district"],
		orgApproval(f.e, 4), http.StatusOK, nil)
	return id
}

// azCertPath returns a path under the certification pick chooses.
func azCertPath(pick func(t testing.TB, f *azFixture) int64, suffix string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		return fmt.Sprintf("/api/v1/certifications/%d%s", pick(t, f), suffix)
	}
}

// azReason is the body of a reject, suspend or revoke.
func azReason(t testing.TB, f *azFixture, i int) any {
	return map[string]any{"reason": fmt.Sprintf("矩阵决定 %d", i)}
}

// Wants shared by several organization rows: readers of org 1's internal
// records (members, documents), its org admin only, its own staff (admin and
// member) only, and 吴兴区's district admin only.
var (
	azOrg1Readers = azWant{no401, ok200, ok200, no403, no403, no403, ok200, no403, nf404, ok200, no403}
	azOrg1Admin   = azWant{no401, no403, no403, no403, no403, no403, new201, no403, nf404, no403, no403}
	azOrg1Staff   = azWant{no401, no403, no403, no403, no403, no403, new201, no403, nf404, new201, no403}
	azCertReaders = azWant{no401, ok200, ok200, no403, no403, no403, ok200, no403, nf404, ok200, no403}
	azCertDecider = azWant{no401, no403, ok200, no403, no403, no403, no403, no403, no403, no403, no403}
)

// azOrgMatrix covers the organizations' self-service and certification routes.
// Each group's records are those of demo-org (org 1) in 吴兴区; the
// certification rows find or make the application or certification each call
// needs, so that every identity meets the same state.
var azOrgMatrix = map[string][]azMatrixRow{
	"org-members": {
		{method: "GET", route: "/api/v1/organizations/:id/members", path: azOrg1Path("/members"), want: azOrg1Readers},
		{method: "POST", route: "/api/v1/organizations/:id/members", path: azOrg1Path("/members"),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"username": fmt.Sprintf("matrix-member-%d", i), "display_name": fmt.Sprintf("社工%d", i),
					"password": "a long enough password"}
			},
			want: azOrg1Admin},
		{method: "POST", route: "/api/v1/organizations/:id/members", path: azOrg1Path("/members"),
			// A second admin, whom the organization keeps to reset the first one's password.
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"username": fmt.Sprintf("matrix-admin-%d", i), "password": "a long enough password", "role": "org_admin"}
			},
			want: azOrg1Admin},
		{method: "POST", route: "/api/v1/organizations/:id/members/:uid/password",
			// A fresh member of org 1 for each call: a reset ends its sessions.
			path: func(t testing.TB, f *azFixture) string {
				var u struct {
					ID int64 `json:"id"`
				}
				name := fmt.Sprintf("matrix-reset-%d", servertest.Count(t, f.e, "users"))
				servertest.Call(t, f.e, "POST", fmt.Sprintf("/api/v1/organizations/%d/members", f.org1), f.tokens["demo-org"],
					map[string]any{"username": name, "password": "a long enough password"}, http.StatusCreated, &u)
				return fmt.Sprintf("/api/v1/organizations/%d/members/%d/password", f.org1, u.ID)
			},
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"password": fmt.Sprintf("a new password %d", i)}
			},
			want: azWant{no401, no403, no403, no403, no403, no403, nc204, no403, nf404, no403, no403}},
	},
	"org-documents": {
		{method: "GET", route: "/api/v1/organizations/:id/documents", path: azOrg1Path("/documents"), want: azOrg1Readers},
		{method: "POST", route: "/api/v1/organizations/:id/documents", path: azOrg1Path("/documents"),
			header: map[string]string{"Content-Type": "multipart/form-data; boundary=" + azUploadBoundary},
			body: func(t testing.TB, f *azFixture, i int) any {
				_, b := orgMultipart(t, azUploadBoundary, "file", fmt.Sprintf("证明%d.pdf", i), []byte(orgPDF))
				return b
			},
			// An org member uploads evidence too; another organization's admin finds nothing.
			want: azOrg1Staff},
		{method: "GET", route: "/api/v1/organizations/:id/documents/:doc",
			path: func(t testing.TB, f *azFixture) string {
				return fmt.Sprintf("/api/v1/organizations/%d/documents/%d", f.org1, azOrgDocument(t, f))
			},
			want: azOrg1Readers},
	},
	"certification-apply": {
		{method: "POST", route: "/api/v1/certifications",
			body: func(t testing.TB, f *azFixture, i int) any {
				catEnsureGuidance(t, f.e, f.tokens["demo-district"], f.district, azOrgCategory)
				// An org admin applies with no application of its organization pending.
				if o := map[string]int64{"demo-org": f.org1, "demo-org2": f.org2}[azIdentities[i]]; o != 0 {
					orgNoPending(t, f.e, f.tokens["demo-district"], f.district, o)
				}
				return map[string]any{"district_id": f.district, "categories": []string{azOrgCategory},
					"statement": fmt.Sprintf("矩阵申请 %d", i)}
			},
			// Both org admins apply for their own organization.
			want: azWant{no401, no403, no403, no403, no403, no403, new201, no403, new201, no403, no403}},
		{method: "GET", route: "/api/v1/public/organizations",
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
	},
	"certifications": {
		{method: "GET", route: "/api/v1/certifications",
			want: azWant{no401, ok200, ok200, no403, no403, no403, ok200, no403, ok200, ok200, no403}},
		{method: "GET", route: "/api/v1/certifications/:id", path: azCertPath(azOrgPending, ""), want: azCertReaders},
		{method: "POST", route: "/api/v1/certifications/:id/approve", path: azCertPath(azOrgPending, "/approve"),
			body: func(t testing.TB, f *azFixture, i int) any { return orgApproval(f.e, 1+i%5) }, want: azCertDecider},
		{method: "POST", route: "/api/v1/certifications/:id/verified-social-workers",
			path: azCertPath(func(t testing.TB, f *azFixture) int64 { return azOrgApproved(t, f, org.CertSuspended) }, "/verified-social-workers"),
			body: func(t testing.TB, f *azFixture, i int) any { return map[string]any{"verified_social_workers": 5 + i} }, want: azCertDecider},
		{method: "POST", route: "/api/v1/certifications/:id/reject", path: azCertPath(azOrgPending, "/reject"),
			body: azReason, want: azCertDecider},
		{method: "POST", route: "/api/v1/certifications/:id/suspend",
			path: azCertPath(func(t testing.TB, f *azFixture) int64 { return azOrgApproved(t, f) }, "/suspend"), body: azReason, want: azCertDecider},
		{method: "POST", route: "/api/v1/certifications/:id/revoke",
			path: azCertPath(func(t testing.TB, f *azFixture) int64 { return azOrgApproved(t, f, org.CertSuspended) }, "/revoke"),
			body: azReason, want: azCertDecider},
	},
}
