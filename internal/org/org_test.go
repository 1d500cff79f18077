package org_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/apperr/apperrtest"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

var (
	start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	admin = access.Actor{UserID: 1, Username: "admin", Role: access.PlatformAdmin, RequestID: "req-admin"}
)

// fixture is two districts (吴兴区 and 南浔区) and the actors working in them.
type fixture struct {
	db    *gorm.DB
	clock *clock.Manual
	svc   *org.Service

	wuxing, nanxun               int64
	wuxingAdmin, nanxunAdmin     access.Actor
	wuxingEvaluator, subdOfficer access.Actor
	resident                     access.Actor
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{db: dbtest.New(t), clock: clock.NewManual(start)}
	f.svc = org.NewService(f.db, f.clock, testOptions(t))
	for code, id := range map[string]*int64{"330502": &f.wuxing, "330503": &f.nanxun} {
		if err := f.db.Raw(`INSERT INTO districts (code, name_zh) VALUES (?, ?) RETURNING id`, code, "区"+code).Scan(id).Error; err != nil {
			t.Fatalf("insert district %s: %v", code, err)
		}
	}
	f.wuxingAdmin = access.Actor{UserID: 2, Username: "wuxing", Role: access.DistrictAdmin, Scope: access.Scope{DistrictID: f.wuxing}}
	f.nanxunAdmin = access.Actor{UserID: 3, Username: "nanxun", Role: access.DistrictAdmin, Scope: access.Scope{DistrictID: f.nanxun}}
	f.wuxingEvaluator = access.Actor{UserID: 4, Username: "evaluator", Role: access.Evaluator, Scope: access.Scope{DistrictID: f.wuxing}}
	f.subdOfficer = access.Actor{UserID: 5, Username: "officer", Role: access.ProcurementOfficer, Scope: access.Scope{DistrictID: f.wuxing, SubdistrictID: 1}}
	f.resident = access.Actor{UserID: 6, Username: "resident", Role: access.Resident}
	return f
}

// input is a valid profile of a 社会服务机构 in 吴兴区.
func (f *fixture) input() org.Input {
	reg := time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC)
	return org.Input{
		CreditCode: "52330502MJ526018XR", LegalName: "湖州市吴兴区阳光社会工作服务中心",
		OrgType: org.SocialServiceInstitution, DistrictID: f.wuxing, RegistrationDate: &reg,
		LegalRepresentative: "王芳", ContactName: "李明", ContactPhone: "0572-2345678",
		ContactEmail: "contact@example.org", Address: "湖州市吴兴区人民路 1 号",
		StaffCount: 12, CertifiedSocialWorkers: 5,
	}
}

func (f *fixture) count(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := f.db.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

type snapshot struct {
	Organizations []org.Organization
	Audit         int64
}

func (f *fixture) snapshot(t *testing.T) snapshot {
	t.Helper()
	var s snapshot
	if err := f.db.Order("id").Find(&s.Organizations).Error; err != nil {
		t.Fatalf("read organizations: %v", err)
	}
	s.Audit = f.count(t, `SELECT count(*) FROM audit_entries`)
	return s
}

func (f *fixture) unchanged(t *testing.T, before snapshot) {
	t.Helper()
	if diff := cmp.Diff(before, f.snapshot(t)); diff != "" {
		t.Errorf("a refused write changed the database (-before +after):\n%s", diff)
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)

	in := f.input()
	got, err := f.svc.Create(ctx, admin, in)
	if err != nil {
		t.Fatalf("Create() error = %v, want nil", err)
	}
	want := org.Organization{
		ID: got.ID, CreditCode: in.CreditCode, LegalName: in.LegalName, OrgType: in.OrgType, DistrictID: f.wuxing,
		RegistrationDate: in.RegistrationDate, LegalRepresentative: in.LegalRepresentative, ContactName: in.ContactName,
		ContactPhone: in.ContactPhone, ContactEmail: in.ContactEmail, Address: in.Address,
		StaffCount: 12, CertifiedSocialWorkers: 5, Status: "active", CreatedAt: start, UpdatedAt: start,
	}
	if got.ID == 0 {
		t.Errorf("Create() ID = 0, want the new id")
	}
	stored, err := f.svc.Get(ctx, admin, got.ID)
	if err != nil {
		t.Fatalf("Get() error = %v, want nil", err)
	}
	for name, o := range map[string]org.Organization{"returned": got, "stored": stored} {
		if diff := cmp.Diff(want, o, cmp.Comparer(time.Time.Equal)); diff != "" {
			t.Errorf("Create() %s mismatch (-want +got):\n%s", name, diff)
		}
	}
	var e audit.Entry
	if err := f.db.Where("action = ? AND entity_id = ?", "organization.create", strconv.FormatInt(got.ID, 10)).Take(&e).Error; err != nil {
		t.Fatalf("organization.create audit entry: %v", err)
	}
	if e.EntityType != "organization" || e.ActorName != "admin" || !strings.Contains(e.Data, `"credit_code":"52330502MJ526018XR"`) {
		t.Errorf("audit entry = %+v, want the admin creating organization 52330502MJ526018XR", e)
	}

	// The code is trimmed and upper-cased before it is checked and stored.
	lower := f.input()
	lower.CreditCode, lower.OrgType = " 53330502mj159083xf ", org.Foundation
	got, err = f.svc.Create(ctx, admin, lower)
	if err != nil || got.CreditCode != "53330502MJ159083XF" {
		t.Errorf("Create(lowercase code) = %q, %v; want 53330502MJ159083XF", got.CreditCode, err)
	}

	// A district admin registers in its own district, by default or by name.
	own := f.input()
	own.CreditCode, own.DistrictID, own.OrgType = "51330502MJ016613XH", 0, org.SocialGroup
	got, err = f.svc.Create(ctx, f.wuxingAdmin, own)
	if err != nil || got.DistrictID != f.wuxing {
		t.Errorf("Create() by the district admin = district %d, %v; want district %d", got.DistrictID, err, f.wuxing)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_entries WHERE action = 'organization.create'`); n != 3 {
		t.Errorf("organization.create audit entries = %d, want 3", n)
	}
	if _, err := audit.IntegrateAll(ctx, f.db); err != nil { // as the sequencer does
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, f.db)
	if err != nil || rep.Broken != nil || rep.Entries != 3 {
		t.Errorf("Verify() = %+v, %v; want 3 entries, no break", rep, err)
	}
}

func TestCreateRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.svc.Create(ctx, admin, f.input()); err != nil {
		t.Fatalf("Create() error = %v, want nil", err)
	}
	before := f.snapshot(t)
	future := start.Add(24 * time.Hour)
	tests := []struct {
		name  string
		by    access.Actor
		edit  func(*org.Input)
		field string // the fields named, comma-separated; empty: want ErrDuplicateCode
	}{
		{"duplicate code", admin, func(in *org.Input) { in.LegalName = "另一家机构" }, ""},
		{"duplicate code in lowercase", admin, func(in *org.Input) { in.CreditCode = "52330502mj526018xr" }, ""},
		{"check character wrong", admin, func(in *org.Input) { in.CreditCode = "52330500MJ5470873D" }, "credit_code"},
		{"check should be P", admin, func(in *org.Input) { in.CreditCode = "53110000500021676T" }, "credit_code"},
		{"17 characters", admin, func(in *org.Input) { in.CreditCode = "91350100M000100Y4" }, "credit_code"},
		{"I in code", admin, func(in *org.Input) { in.CreditCode = "91350100I000100Y43" }, "credit_code"},
		{"empty code", admin, func(in *org.Input) { in.CreditCode = "" }, "credit_code"},
		{"more certified workers than staff", admin, func(in *org.Input) {
			in.CreditCode, in.StaffCount, in.CertifiedSocialWorkers = "53330502MJ159083XF", 3, 4
		}, "certified_social_workers"},
		{"negative certified workers", admin, func(in *org.Input) { in.CreditCode, in.CertifiedSocialWorkers = "53330502MJ159083XF", -1 }, "certified_social_workers"},
		{"negative staff", admin, func(in *org.Input) {
			in.CreditCode, in.StaffCount, in.CertifiedSocialWorkers = "53330502MJ159083XF", -1, 0
		}, "staff_count,certified_social_workers"},
		{"unknown type", admin, func(in *org.Input) { in.CreditCode, in.OrgType = "53330502MJ159083XF", "company" }, "org_type"},
		{"blank legal name", admin, func(in *org.Input) { in.CreditCode, in.LegalName = "53330502MJ159083XF", "  " }, "legal_name"},
		{"registered tomorrow", admin, func(in *org.Input) { in.CreditCode, in.RegistrationDate = "53330502MJ159083XF", &future }, "registration_date"},
		{"bad e-mail", admin, func(in *org.Input) { in.CreditCode, in.ContactEmail = "53330502MJ159083XF", "not an address" }, "contact_email"},
		{"no district", admin, func(in *org.Input) { in.CreditCode, in.DistrictID = "53330502MJ159083XF", 0 }, "district_id"},
		{"unknown district", admin, func(in *org.Input) { in.CreditCode, in.DistrictID = "53330502MJ159083XF", 999999 }, "district_id"},
		{"district admin of another district", f.nanxunAdmin, func(in *org.Input) { in.CreditCode = "53330502MJ159083XF" }, "district_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := f.input()
			tt.edit(&in)
			_, err := f.svc.Create(ctx, tt.by, in)
			if tt.field == "" {
				if !errors.Is(err, org.ErrDuplicateCode) {
					t.Errorf("Create() error = %v, want %v", err, org.ErrDuplicateCode)
				}
				return
			}
			apperrtest.WantInvalid(t, err, strings.Split(tt.field, ",")...)
		})
	}
	f.unchanged(t, before)
}

func TestScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	create := func(code, name string, district int64) org.Organization {
		t.Helper()
		in := f.input()
		in.CreditCode, in.LegalName, in.DistrictID = code, name, district
		o, err := f.svc.Create(ctx, admin, in)
		if err != nil {
			t.Fatalf("Create(%s) error = %v, want nil", code, err)
		}
		return o
	}
	a := create("52330502MJ526018XR", "A 阳光社工", f.wuxing)
	b := create("53330502MJ159083XF", "B 慈善基金会", f.wuxing)
	c := create("51330502MJ016613XH", "C 南浔社团", f.nanxun)
	all := []int64{a.ID, b.ID, c.ID}

	tests := []struct {
		name    string
		by      access.Actor
		visible []int64 // ids in legal-name order
	}{
		{"platform admin", admin, all},
		{"district admin of 吴兴", f.wuxingAdmin, []int64{a.ID, b.ID}},
		{"evaluator of 吴兴", f.wuxingEvaluator, []int64{a.ID, b.ID}},
		{"district admin of 南浔", f.nanxunAdmin, []int64{c.ID}},
		{"org admin of A", access.Actor{UserID: 7, Role: access.OrgAdmin, Scope: access.Scope{OrganizationID: a.ID}}, []int64{a.ID}},
		{"org member of C", access.Actor{UserID: 8, Role: access.OrgMember, Scope: access.Scope{OrganizationID: c.ID}}, []int64{c.ID}},
		{"subdistrict officer", f.subdOfficer, nil},
		{"resident", f.resident, nil},
		{"anonymous", access.Anonymous("req", "127.0.0.1"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			list, err := f.svc.List(ctx, tt.by)
			if err != nil {
				t.Fatalf("List() error = %v, want nil", err)
			}
			ids := make([]int64, len(list))
			for i, o := range list {
				ids[i] = o.ID
			}
			if diff := cmp.Diff(tt.visible, ids, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("List() ids mismatch (-want +got):\n%s", diff)
			}
			for _, id := range all {
				got, err := f.svc.Get(ctx, tt.by, id)
				if slices.Contains(tt.visible, id) {
					if err != nil || got.ID != id {
						t.Errorf("Get(%d) = %d, %v; want the organization", id, got.ID, err)
					}
				} else if !errors.Is(err, apperr.ErrNotFound) {
					t.Errorf("Get(%d) error = %v, want %v", id, err, apperr.ErrNotFound)
				}
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	o, err := f.svc.Create(ctx, admin, f.input())
	if err != nil {
		t.Fatalf("Create() error = %v, want nil", err)
	}
	own := access.Actor{UserID: 7, Username: "org-admin", Role: access.OrgAdmin, Scope: access.Scope{OrganizationID: o.ID}}

	before := f.snapshot(t)
	edit := f.input()
	edit.LegalName = "改名"
	for _, by := range []access.Actor{f.nanxunAdmin, f.resident,
		{UserID: 8, Role: access.OrgAdmin, Scope: access.Scope{OrganizationID: o.ID + 1}}} {
		if _, err := f.svc.Update(ctx, by, o.ID, edit); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("Update() by %s/%d error = %v, want %v", by.Role, by.Scope.OrganizationID, err, apperr.ErrNotFound)
		}
	}
	bad := f.input()
	bad.StaffCount, bad.CertifiedSocialWorkers = 2, 3
	_, err = f.svc.Update(ctx, own, o.ID, bad)
	apperrtest.WantInvalid(t, err, "certified_social_workers")
	f.unchanged(t, before)

	f.clock.Advance(48 * time.Hour)
	in := f.input()
	in.CreditCode, in.DistrictID = "53330502MJ159083XF", f.nanxun // identity: ignored
	in.LegalName, in.StaffCount, in.CertifiedSocialWorkers, in.RegistrationDate = "阳光社工中心", 20, 9, nil
	got, err := f.svc.Update(ctx, own, o.ID, in)
	if err != nil {
		t.Fatalf("Update() error = %v, want nil", err)
	}
	stored, err := f.svc.Get(ctx, admin, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := o
	want.LegalName, want.StaffCount, want.CertifiedSocialWorkers, want.RegistrationDate = "阳光社工中心", 20, 9, nil
	want.UpdatedAt = start.Add(48 * time.Hour)
	for name, o := range map[string]org.Organization{"returned": got, "stored": stored} {
		if diff := cmp.Diff(want, o, cmp.Comparer(time.Time.Equal)); diff != "" {
			t.Errorf("Update() %s mismatch (-want +got):\n%s", name, diff)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM audit_entries WHERE action = 'organization.update' AND actor_name = 'org-admin'`); n != 1 {
		t.Errorf("organization.update audit entries = %d, want 1", n)
	}
}
