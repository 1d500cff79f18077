package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/org"
)

// pgOrgRecords gives the organizations group its records: a document of
// org 1, and a certification for each of the district admin's decisions.
func pgOrgRecords(t *testing.T, f *pgFixture) {
	ctx, e := context.Background(), f.e
	doc, err := e.Services.Orgs.SaveDocument(ctx, e.ActorOf(t, "demo-org"), f.org1, "登记证书.pdf", bytes.NewReader(samplePDF))
	if err != nil {
		t.Fatalf("SaveDocument() error = %v", err)
	}
	f.doc1 = doc.ID
	cert, err := e.Services.Orgs.Apply(ctx, e.ActorOf(t, "demo-org"), org.ApplyInput{DistrictID: f.district, Categories: []string{"LEGAL_AID"},
		Statement: "矩阵测试：申请法律服务类别", DocumentIDs: []int64{doc.ID}})
	if err != nil {
		t.Fatalf("Apply() error = %v", err)
	}
	f.certs = pgCerts{
		approve: e.IDOf(t, "certifications", "organization_id = ? AND status = 'pending'", f.org2),
		reject:  cert.ID,
		suspend: e.IDOf(t, "certifications", "organization_id = ? AND status = 'approved'", f.org1),
		revoke:  e.IDOf(t, "certifications", "organization_id = ? AND status = 'approved'", f.org2),
	}
}

// pgCerts are the certifications the district admin decides on, one per decision.
type pgCerts struct {
	approve, reject int64 // pending applications of org 2 and org 1
	suspend, revoke int64 // approved certifications of org 1 and org 2
}

// pgDecision is a decision's form: a reason, or an approval's grade and dates.
func pgDecision(t *testing.T, f *pgFixture, i int) url.Values {
	today := civil.ChinaDate(f.e.Clock.Now())
	return url.Values{"reason": {fmt.Sprintf("矩阵决定 %d", i)}, "grade": {"4"}, "valid_from": {today.String()},
		"valid_through": {today.AddDays(364).String()}, "verified_social_workers": {"20"}}
}

// Wants shared by the organization rows: org 1's staff and org 2's admin on
// their own organization; the organizations' admins alone; the district admin
// alone.
var (
	pgOrgStaff = pgWant{login, no403, no403, no403, no403, no403, ok200, no403, ok200, ok200, no403, no403}
	pgOrgAdmin = pgWant{login, no403, no403, no403, no403, no403, ok200, no403, ok200, no403, no403, no403}
	pgOrgForm  = pgWant{login, no403, no403, no403, no403, no403, bad400, no403, bad400, no403, no403, no403}
	pgDecider  = pgWant{login, no403, to303, no403, no403, no403, no403, no403, no403, no403, no403, no403}
)

// pgOrgMatrix covers an organization's own pages (each admin and member
// works on its own organization: the pages take it from the session) and
// the district admin's certification queue.
var pgOrgMatrix = map[string]pgGroup{
	"organizations": {setup: pgOrgRecords, rows: []pgRow{
		{method: "GET", route: "/org", want: pgOrgStaff},
		{method: "GET", route: "/org/profile", want: pgOrgAdmin},
		{method: "POST", route: "/org/profile", want: pgOrgForm},
		{method: "POST", route: "/org/members",
			// Each organization's admin invites a member to its own organization.
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"username": {fmt.Sprintf("matrix-member-%d", i)}, "display_name": {fmt.Sprintf("矩阵社工%d", i)},
					"password": {"a long enough password"}}
			},
			want: pgWant{login, no403, no403, no403, no403, no403, to303, no403, to303, no403, no403, no403}},
		{method: "POST", route: "/org/members", note: "a second admin",
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"username": {fmt.Sprintf("matrix-admin-%d", i)}, "password": {"a long enough password"}, "role": {"org_admin"}}
			},
			want: pgWant{login, no403, no403, no403, no403, no403, to303, no403, to303, no403, no403, no403}},
		{method: "POST", route: "/org/members/:id/password",
			// A fresh member of org 1 for each call, for a reset ends its
			// sessions; org 2's admin finds no such account in its organization.
			params: func(t *testing.T, f *pgFixture) []any {
				u, err := f.e.Services.Orgs.AddMember(context.Background(), f.e.ActorOf(t, "demo-org"), f.org1,
					org.MemberInput{Username: fmt.Sprintf("matrix-reset-%d", f.next()), Password: "a long enough password"})
				if err != nil {
					t.Fatalf("AddMember() error = %v", err)
				}
				return []any{u.ID}
			},
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"password": {fmt.Sprintf("a new password %d", i)}}
			},
			want: pgWant{login, no403, no403, no403, no403, no403, to303, no403, nf404, no403, no403, no403}},
		{method: "POST", route: "/org/certifications", want: pgOrgForm},
		{method: "POST", route: "/org/documents", upload: "矩阵证明.pdf",
			want: pgWant{login, no403, no403, no403, no403, no403, to303, no403, to303, to303, no403, no403}},
		{method: "GET", route: "/org/documents/:id", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.doc1} }),
			// org 1's document: org 2's admin asks its own organization for it.
			want: pgWant{login, no403, no403, no403, no403, no403, ok200, no403, nf404, ok200, no403, no403}},
		{method: "GET", route: "/district/certifications", want: pgDistrict},
		{method: "POST", route: "/district/certifications/:id/approve", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.certs.approve} }),
			form: pgDecision, want: pgDecider},
		{method: "POST", route: "/district/certifications/:id/reject", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.certs.reject} }),
			form: pgDecision, want: pgDecider},
		{method: "POST", route: "/district/certifications/:id/verify", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.certs.suspend} }),
			form: pgDecision, want: pgDecider},
		{method: "POST", route: "/district/certifications/:id/suspend", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.certs.suspend} }),
			form: pgDecision, want: pgDecider},
		{method: "POST", route: "/district/certifications/:id/revoke", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.certs.revoke} }),
			form: pgDecision, want: pgDecider},
		{method: "GET", route: "/district/documents/:org/:doc", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.org1, f.doc1} }),
			want: pgDistrict},
	}},
}
