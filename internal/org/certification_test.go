package org_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/apperr/apperrtest"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/org"
)

// The service categories the tests use, from DOMAIN.md. Migration 00003 ships
// them; inserting them again is harmless.
var testCategories = [][3]string{
	{"ELDERLY_HOME_CARE", "居家养老服务", "Elderly home care"},
	{"DISABILITY_SUPPORT", "残疾人帮扶", "Disability support"},
	{"LEGAL_AID", "法律咨询服务", "Legal aid"},
	{"YOUTH_GUIDANCE", "青少年教育引导", "Youth guidance"},
}

// certWorld is the fixture with categories, guidance catalogs (吴兴 lists all
// four categories, 南浔 only LEGAL_AID) and real district admin accounts.
type certWorld struct {
	*fixture
	wuxingAdmin, nanxunAdmin access.Actor // accounts that exist, unlike the fixture's
}

func newCertWorld(t *testing.T) *certWorld {
	t.Helper()
	w := &certWorld{fixture: newFixture(t)}
	for i, c := range testCategories {
		if err := w.db.Exec(`INSERT INTO service_categories (code, name_zh, name_en, sort) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			c[0], c[1], c[2], 900+i).Error; err != nil {
			t.Fatalf("insert category %s: %v", c[0], err)
		}
		if err := w.db.Exec(`INSERT INTO guidance_entries (district_id, category_code, catalog_code) VALUES (?, ?, ?)`,
			w.wuxing, c[0], "WX-"+string(rune('A'+i))).Error; err != nil {
			t.Fatalf("insert guidance entry %s: %v", c[0], err)
		}
	}
	if err := w.db.Exec(`INSERT INTO guidance_entries (district_id, category_code, catalog_code) VALUES (?, 'LEGAL_AID', 'NX-1')`, w.nanxun).Error; err != nil {
		t.Fatalf("insert guidance entry: %v", err)
	}
	w.wuxingAdmin = w.user(t, "wx-admin", access.DistrictAdmin, access.Scope{DistrictID: w.wuxing})
	w.nanxunAdmin = w.user(t, "nx-admin", access.DistrictAdmin, access.Scope{DistrictID: w.nanxun})
	return w
}

// user inserts an account directly and returns it as an actor.
func (f *fixture) user(t *testing.T, username string, role access.Role, scope access.Scope) access.Actor {
	t.Helper()
	id := func(v int64) *int64 {
		if v == 0 {
			return nil
		}
		return &v
	}
	a := access.Actor{Username: username, Role: role, Scope: scope, RequestID: "req-" + username}
	if err := f.db.Raw(`INSERT INTO users (username, password_hash, role, district_id, organization_id) VALUES (?, 'x', ?, ?, ?) RETURNING id`,
		username, role, id(scope.DistrictID), id(scope.OrganizationID)).Scan(&a.UserID).Error; err != nil {
		t.Fatalf("insert user %s: %v", username, err)
	}
	return a
}

// creditCode completes 17 characters with the GB 32100-2015 check character.
func creditCode(t *testing.T, prefix string) string {
	t.Helper()
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i := range 17 {
		sum += strings.IndexByte(alphabet, prefix[i]) * weights[i]
	}
	code := prefix + string(alphabet[(31-sum%31)%31])
	if !org.ValidCreditCode(code) {
		t.Fatalf("creditCode(%q) = %q is not valid", prefix, code)
	}
	return code
}

// day is a date in March 2026.
func day(d int) civil.Date { return civil.NewDate(2026, time.March, d) }

func (w *certWorld) apply(t *testing.T, by access.Actor, district int64, cats ...string) org.Certification {
	t.Helper()
	c, err := w.svc.Apply(context.Background(), by, org.ApplyInput{DistrictID: district, Categories: cats, Statement: "十年居家养老经验"})
	if err != nil {
		t.Fatalf("Apply(%v) error = %v, want nil", cats, err)
	}
	return c
}

// approve approves the application, verifying the social workers the
// organization declares.
func (w *certWorld) approve(t *testing.T, by access.Actor, id int64, grade int, from, through civil.Date) org.Certification {
	t.Helper()
	var declared int
	if err := w.db.Raw(`SELECT o.certified_social_workers FROM certifications c JOIN organizations o ON o.id = c.organization_id
		WHERE c.id = ?`, id).Scan(&declared).Error; err != nil {
		t.Fatal(err)
	}
	c, err := w.svc.Approve(context.Background(), by, id, org.ApproveInput{Grade: grade, ValidFrom: from, ValidThrough: through,
		VerifiedSocialWorkers: &declared})
	if err != nil {
		t.Fatalf("Approve(%d) error = %v, want nil", id, err)
	}
	return c
}

// certSnapshot is every row a certification decision may write.
type certSnapshot struct {
	Certs [][]any
	Cats  int64
	Docs  int64
	Audit int64
}

func (w *certWorld) certSnapshot(t *testing.T) certSnapshot {
	t.Helper()
	var s certSnapshot
	rows, err := w.db.Raw(`SELECT id, status, grade, valid_from, valid_until, decision_reason, decided_by, decided_at,
		verified_social_workers, social_workers_verified_by, social_workers_verified_at, updated_at FROM certifications ORDER BY id`).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		r := make([]any, 12)
		ptrs := make([]any, len(r))
		for i := range r {
			ptrs[i] = &r[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		s.Certs = append(s.Certs, r)
	}
	s.Cats = w.count(t, `SELECT count(*) FROM certification_categories`)
	s.Docs = w.count(t, `SELECT count(*) FROM certification_documents`)
	s.Audit = w.count(t, `SELECT count(*) FROM audit_entries`)
	return s
}

func (w *certWorld) certUnchanged(t *testing.T, before certSnapshot) {
	t.Helper()
	if diff := cmp.Diff(before, w.certSnapshot(t)); diff != "" {
		t.Errorf("a refused operation changed the database (-before +after):\n%s", diff)
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCertWorld(t)
	o, oa := w.signup(t, "52330502MJ526018XR", "阳光社工", w.wuxing, "sunshine")
	doc := w.upload(t, oa, "执业证书.pdf", pdfBytes)

	in := org.ApplyInput{DistrictID: w.wuxing, Categories: []string{"LEGAL_AID", " ELDERLY_HOME_CARE "},
		Statement: "  十年居家养老经验  ", DocumentIDs: []int64{doc.ID}}
	got, err := w.svc.Apply(ctx, oa, in)
	if err != nil {
		t.Fatalf("Apply() error = %v, want nil", err)
	}
	want := org.Certification{ID: got.ID, OrganizationID: o.ID, OrganizationName: "阳光社工", DeclaredSocialWorkers: 5, DistrictID: w.wuxing,
		Status: org.CertPending, EffectiveStatus: org.CertPending, Categories: []string{"ELDERLY_HOME_CARE", "LEGAL_AID"},
		Statement: "十年居家养老经验", DocumentIDs: []int64{doc.ID}, CreatedAt: start, UpdatedAt: start}
	if diff := cmp.Diff(want, got, cmp.Comparer(time.Time.Equal)); diff != "" {
		t.Errorf("Apply() mismatch (-want +got):\n%s", diff)
	}
	if n := w.count(t, `SELECT count(*) FROM audit_entries WHERE action = 'certification.apply' AND actor_name = 'sunshine' AND data LIKE '%LEGAL_AID%'`); n != 1 {
		t.Errorf("certification.apply audit entries = %d, want 1", n)
	}

	// An application in another district is separate from the pending one here.
	if _, err := w.svc.Apply(ctx, oa, org.ApplyInput{DistrictID: w.nanxun, Categories: []string{"LEGAL_AID"}}); err != nil {
		t.Errorf("Apply() in 南浔 error = %v, want nil", err)
	}

	_, ob := w.signup(t, "53330502MJ159083XF", "慈善基金会", w.wuxing, "charity")
	otherDoc := w.upload(t, ob, "证书.png", pngBytes)
	member := w.user(t, "sunshine-member", access.OrgMember, access.Scope{OrganizationID: o.ID})
	suspended, sa := w.signup(t, "51330502MJ016613XH", "南浔社团", w.wuxing, "suspended")
	if err := w.db.Exec(`UPDATE organizations SET status = 'suspended' WHERE id = ?`, suspended.ID).Error; err != nil {
		t.Fatal(err)
	}
	before := w.certSnapshot(t)
	tests := []struct {
		name  string
		by    access.Actor
		in    org.ApplyInput
		want  error  // a sentinel, or nil for apperr.Invalid naming field
		field string // the field named
	}{
		{"pending exists", oa, org.ApplyInput{DistrictID: w.wuxing, Categories: []string{"YOUTH_GUIDANCE"}}, org.ErrPendingExists, ""},
		{"no categories", ob, org.ApplyInput{DistrictID: w.wuxing}, nil, "categories"},
		{"duplicate category", ob, org.ApplyInput{DistrictID: w.wuxing, Categories: []string{"LEGAL_AID", "LEGAL_AID "}}, nil, "categories"},
		{"blank category", ob, org.ApplyInput{DistrictID: w.wuxing, Categories: []string{" "}}, nil, "categories"},
		{"category not in the district's catalog", ob, org.ApplyInput{DistrictID: w.nanxun, Categories: []string{"ELDERLY_HOME_CARE"}}, nil, "categories"},
		{"unknown category", ob, org.ApplyInput{DistrictID: w.wuxing, Categories: []string{"LEGAL_AID", "ASTROLOGY"}}, nil, "categories"},
		{"unknown district", ob, org.ApplyInput{DistrictID: 999999, Categories: []string{"LEGAL_AID"}}, nil, "categories"},
		{"no district", ob, org.ApplyInput{Categories: []string{"LEGAL_AID"}}, nil, "district_id"},
		{"another organization's document", ob, org.ApplyInput{DistrictID: w.wuxing, Categories: []string{"LEGAL_AID"}, DocumentIDs: []int64{doc.ID}}, nil, "document_ids"},
		{"missing document", ob, org.ApplyInput{DistrictID: w.wuxing, Categories: []string{"LEGAL_AID"}, DocumentIDs: []int64{otherDoc.ID, 999999}}, nil, "document_ids"},
		{"duplicate document", ob, org.ApplyInput{DistrictID: w.wuxing, Categories: []string{"LEGAL_AID"}, DocumentIDs: []int64{otherDoc.ID, otherDoc.ID}}, nil, "document_ids"},
		{"statement too long", ob, org.ApplyInput{DistrictID: w.wuxing, Categories: []string{"LEGAL_AID"}, Statement: strings.Repeat("长", 1400)}, nil, "statement"},
		{"org member", member, org.ApplyInput{DistrictID: w.wuxing, Categories: []string{"YOUTH_GUIDANCE"}}, apperr.ErrForbidden, ""},
		{"district admin", w.wuxingAdmin, org.ApplyInput{DistrictID: w.wuxing, Categories: []string{"LEGAL_AID"}}, apperr.ErrForbidden, ""},
		{"platform admin", admin, org.ApplyInput{DistrictID: w.wuxing, Categories: []string{"LEGAL_AID"}}, apperr.ErrForbidden, ""},
		{"suspended organization", sa, org.ApplyInput{DistrictID: w.wuxing, Categories: []string{"LEGAL_AID"}}, org.ErrOrgSuspended, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.svc.Apply(ctx, tt.by, tt.in)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Errorf("Apply() error = %v, want %v", err, tt.want)
				}
				return
			}
			apperrtest.WantInvalid(t, err, tt.field)
		})
	}
	w.certUnchanged(t, before)
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCertWorld(t)
	_, oa := w.signup(t, "52330502MJ526018XR", "阳光社工", w.wuxing, "sunshine")
	evaluator := w.user(t, "wx-evaluator", access.Evaluator, access.Scope{DistrictID: w.wuxing})
	c := w.apply(t, oa, w.wuxing, "ELDERLY_HOME_CARE")
	five := 5 // as declared
	good := org.ApproveInput{Grade: 4, ValidFrom: day(1), ValidThrough: civil.NewDate(2027, time.February, 28), VerifiedSocialWorkers: &five}
	minus := -1

	// Refusals of a pending application change nothing.
	before := w.certSnapshot(t)
	refusals := []struct {
		name string
		do   func() error
		want error  // a sentinel, or nil for apperr.Invalid naming field
		fld  string // the field named
	}{
		{"approve by another district's admin", func() error { _, err := w.svc.Approve(ctx, w.nanxunAdmin, c.ID, good); return err }, apperr.ErrNotFound, ""},
		{"reject by another district's admin", func() error { _, err := w.svc.Reject(ctx, w.nanxunAdmin, c.ID, "不符合"); return err }, apperr.ErrNotFound, ""},
		{"approve by an evaluator", func() error { _, err := w.svc.Approve(ctx, evaluator, c.ID, good); return err }, apperr.ErrForbidden, ""},
		{"approve by a platform admin", func() error { _, err := w.svc.Approve(ctx, admin, c.ID, good); return err }, apperr.ErrForbidden, ""},
		{"approve by the organization", func() error { _, err := w.svc.Approve(ctx, oa, c.ID, good); return err }, apperr.ErrForbidden, ""},
		{"approve a missing one", func() error { _, err := w.svc.Approve(ctx, w.wuxingAdmin, c.ID+100, good); return err }, apperr.ErrNotFound, ""},
		{"approve with an end date in the past", func() error {
			_, err := w.svc.Approve(ctx, w.wuxingAdmin, c.ID, org.ApproveInput{Grade: 4, ValidFrom: civil.NewDate(2025, time.March, 1), ValidThrough: civil.NewDate(2026, time.February, 28), VerifiedSocialWorkers: &five})
			return err
		}, org.ErrCertExpired, ""},
		{"approve whose last day was yesterday", func() error {
			_, err := w.svc.Approve(ctx, w.wuxingAdmin, c.ID, org.ApproveInput{Grade: 4, ValidFrom: day(1), ValidThrough: day(1), VerifiedSocialWorkers: &five})
			return err
		}, org.ErrCertExpired, ""},
		{"approve with grade 6", func() error {
			_, err := w.svc.Approve(ctx, w.wuxingAdmin, c.ID, org.ApproveInput{Grade: 6, ValidFrom: good.ValidFrom, ValidThrough: good.ValidThrough, VerifiedSocialWorkers: &five})
			return err
		}, nil, "grade"},
		{"approve with grade 0", func() error {
			_, err := w.svc.Approve(ctx, w.wuxingAdmin, c.ID, org.ApproveInput{ValidFrom: good.ValidFrom, ValidThrough: good.ValidThrough, VerifiedSocialWorkers: &five})
			return err
		}, nil, "grade"},
		{"approve ending before it starts", func() error {
			_, err := w.svc.Approve(ctx, w.wuxingAdmin, c.ID, org.ApproveInput{Grade: 3, ValidFrom: day(20), ValidThrough: day(10), VerifiedSocialWorkers: &five})
			return err
		}, nil, "valid_through"},
		{"approve without dates", func() error {
			_, err := w.svc.Approve(ctx, w.wuxingAdmin, c.ID, org.ApproveInput{Grade: 3, VerifiedSocialWorkers: &five})
			return err
		}, nil, "valid_from,valid_through"},
		{"approve without verifying the social workers", func() error {
			_, err := w.svc.Approve(ctx, w.wuxingAdmin, c.ID, org.ApproveInput{Grade: 4, ValidFrom: good.ValidFrom, ValidThrough: good.ValidThrough})
			return err
		}, nil, "verified_social_workers"},
		{"approve with -1 social workers", func() error {
			_, err := w.svc.Approve(ctx, w.wuxingAdmin, c.ID, org.ApproveInput{Grade: 4, ValidFrom: good.ValidFrom, ValidThrough: good.ValidThrough, VerifiedSocialWorkers: &minus})
			return err
		}, nil, "verified_social_workers"},
		{"verify the social workers of a pending one", func() error {
			_, err := w.svc.VerifySocialWorkers(ctx, w.wuxingAdmin, c.ID, &five)
			return err
		}, org.ErrNotVerifiable, ""},
		{"reject without a reason", func() error { _, err := w.svc.Reject(ctx, w.wuxingAdmin, c.ID, "  "); return err }, nil, "reason"},
		{"suspend a pending one", func() error { _, err := w.svc.Suspend(ctx, w.wuxingAdmin, c.ID, "投诉"); return err }, org.ErrNotApproved, ""},
		{"revoke a pending one", func() error { _, err := w.svc.Revoke(ctx, w.wuxingAdmin, c.ID, "投诉"); return err }, org.ErrNotRevocable, ""},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Errorf("error = %v, want %v", err, tt.want)
				}
				return
			}
			apperrtest.WantInvalid(t, err, strings.Split(tt.fld, ",")...)
		})
	}
	w.certUnchanged(t, before)

	// Approve.
	w.clock.Advance(time.Hour)
	got := w.approve(t, w.wuxingAdmin, c.ID, good.Grade, good.ValidFrom, good.ValidThrough)
	four, now := 4, start.Add(time.Hour)
	want := c
	want.Status, want.EffectiveStatus, want.Grade = org.CertApproved, org.CertActive, &four
	want.ValidFrom, want.ValidThrough, want.UpdatedAt, want.DecidedAt = &good.ValidFrom, &good.ValidThrough, now, &now
	want.VerifiedSocialWorkers, want.SocialWorkersVerifiedAt = &five, &now
	if diff := cmp.Diff(want, got, cmp.Comparer(time.Time.Equal)); diff != "" {
		t.Errorf("Approve() mismatch (-want +got):\n%s", diff)
	}
	if stored, err := w.svc.GetCertification(ctx, oa, c.ID); err != nil || !cmp.Equal(want, stored, cmp.Comparer(time.Time.Equal)) {
		t.Errorf("GetCertification() = %+v, %v; want %+v", stored, err, want)
	}

	// What an approved certification refuses.
	before = w.certSnapshot(t)
	for name, do := range map[string]func() error{
		"approve twice":      func() error { _, err := w.svc.Approve(ctx, w.wuxingAdmin, c.ID, good); return err },
		"reject an approved": func() error { _, err := w.svc.Reject(ctx, w.wuxingAdmin, c.ID, "重新审查"); return err },
	} {
		if err := do(); !errors.Is(err, org.ErrNotPending) {
			t.Errorf("%s: error = %v, want %v", name, err, org.ErrNotPending)
		}
	}
	if _, err := w.svc.Suspend(ctx, w.wuxingAdmin, c.ID, ""); err == nil {
		t.Errorf("Suspend() without a reason error = nil, want apperr.Invalid")
	} else {
		apperrtest.WantInvalid(t, err, "reason")
	}
	if _, err := w.svc.Suspend(ctx, w.nanxunAdmin, c.ID, "投诉"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("Suspend() by another district's admin error = %v, want %v", err, apperr.ErrNotFound)
	}
	w.certUnchanged(t, before)

	// Suspend, then revoke.
	got, err := w.svc.Suspend(ctx, w.wuxingAdmin, c.ID, " 服务投诉核查中 ")
	if err != nil || got.Status != org.CertSuspended || got.EffectiveStatus != org.CertSuspended || got.DecisionReason != "服务投诉核查中" {
		t.Errorf("Suspend() = %s/%s %q, %v; want suspended with the reason", got.Status, got.EffectiveStatus, got.DecisionReason, err)
	}
	if _, err := w.svc.Suspend(ctx, w.wuxingAdmin, c.ID, "again"); !errors.Is(err, org.ErrNotApproved) {
		t.Errorf("Suspend() twice error = %v, want %v", err, org.ErrNotApproved)
	}
	got, err = w.svc.Revoke(ctx, w.wuxingAdmin, c.ID, "核查属实")
	if err != nil || got.Status != org.CertRevoked || got.DecisionReason != "核查属实" || got.Grade == nil || *got.Grade != 4 {
		t.Errorf("Revoke() = %+v, %v; want revoked keeping its grade", got, err)
	}
	if _, err := w.svc.Revoke(ctx, w.wuxingAdmin, c.ID, "again"); !errors.Is(err, org.ErrNotRevocable) {
		t.Errorf("Revoke() twice error = %v, want %v", err, org.ErrNotRevocable)
	}

	// Revoking straight from approved; rejecting a pending one; a new
	// application once the pending one is decided.
	c2 := w.apply(t, oa, w.wuxing, "LEGAL_AID")
	w.approve(t, w.wuxingAdmin, c2.ID, 2, day(2), day(29))
	if got, err := w.svc.Revoke(ctx, w.wuxingAdmin, c2.ID, "资质造假"); err != nil || got.Status != org.CertRevoked {
		t.Errorf("Revoke(approved) = %s, %v; want revoked", got.Status, err)
	}
	c3 := w.apply(t, oa, w.wuxing, "YOUTH_GUIDANCE")
	if got, err := w.svc.Reject(ctx, w.wuxingAdmin, c3.ID, "材料不全"); err != nil || got.Status != org.CertRejected || got.Grade != nil || got.ValidFrom != nil {
		t.Errorf("Reject() = %+v, %v; want rejected without grade or dates", got, err)
	}
	if _, err := w.svc.Approve(ctx, w.wuxingAdmin, c3.ID, good); !errors.Is(err, org.ErrNotPending) {
		t.Errorf("Approve(rejected) error = %v, want %v", err, org.ErrNotPending)
	}

	// Every transition is audited with its details, by the district admin.
	var entries []audit.Entry
	if err := w.db.Where("entity_type = 'certification' AND action <> 'certification.apply'").Order("id").Find(&entries).Error; err != nil {
		t.Fatal(err)
	}
	type entry struct{ Action, Actor, Contains string }
	var gotEntries []entry
	wantEntries := []entry{
		{"certification.approve", "wx-admin", `"verified_social_workers":5`},
		{"certification.suspend", "wx-admin", `"reason":"服务投诉核查中"`},
		{"certification.revoke", "wx-admin", `"reason":"核查属实"`},
		{"certification.approve", "wx-admin", `"valid_through":"2026-03-29"`},
		{"certification.revoke", "wx-admin", `"reason":"资质造假"`},
		{"certification.reject", "wx-admin", `"reason":"材料不全"`},
	}
	for i, e := range entries {
		ge := entry{e.Action, e.ActorName, ""}
		if i < len(wantEntries) && strings.Contains(e.Data, wantEntries[i].Contains) {
			ge.Contains = wantEntries[i].Contains
		}
		gotEntries = append(gotEntries, ge)
	}
	if diff := cmp.Diff(wantEntries, gotEntries); diff != "" {
		t.Errorf("certification audit entries mismatch (-want +got):\n%s", diff)
	}
	if _, err := audit.IntegrateAll(ctx, w.db); err != nil { // as the sequencer does
		t.Fatal(err)
	}
	if rep, err := audit.Verify(ctx, w.db); err != nil || rep.Broken != nil || rep.Pending != 0 {
		t.Errorf("Verify() = %+v, %v; want an unbroken chain", rep, err)
	}
}

// China is UTC+8: a date begins at 16:00 UTC the day before.
func chinaMidnight(d civil.Date) time.Time { return d.StartInChina() }

func TestCapableFollowsTheClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCertWorld(t)
	o, oa := w.signup(t, "52330502MJ526018XR", "阳光社工", w.wuxing, "sunshine")
	c := w.apply(t, oa, w.wuxing, "ELDERLY_HOME_CARE", "LEGAL_AID")
	from, until := day(10), day(20) // valid through the day before until
	w.approve(t, w.wuxingAdmin, c.ID, 3, from, until.AddDays(-1))

	capable := func(at time.Time, category string, district int64) bool {
		t.Helper()
		ok, err := org.Capable(w.db, o.ID, district, category, at)
		if err != nil {
			t.Fatalf("Capable() error = %v", err)
		}
		return ok
	}
	tests := []struct {
		name      string
		at        time.Time
		category  string
		district  int64
		want      bool
		effective org.CertStatus
	}{
		{"before valid_from", chinaMidnight(from).Add(-time.Second), "ELDERLY_HOME_CARE", w.wuxing, false, org.CertNotYetValid},
		{"on valid_from in China, still the day before in UTC", chinaMidnight(from), "ELDERLY_HOME_CARE", w.wuxing, true, org.CertActive},
		{"the last second before valid_until", chinaMidnight(until).Add(-time.Second), "ELDERLY_HOME_CARE", w.wuxing, true, org.CertActive},
		{"at valid_until", chinaMidnight(until), "ELDERLY_HOME_CARE", w.wuxing, false, org.CertExpired},
		{"after valid_until", chinaMidnight(until).Add(30 * 24 * time.Hour), "ELDERLY_HOME_CARE", w.wuxing, false, org.CertExpired},
		{"the other category", chinaMidnight(from).Add(time.Hour), "LEGAL_AID", w.wuxing, true, org.CertActive},
		{"a category not certified", chinaMidnight(from).Add(time.Hour), "YOUTH_GUIDANCE", w.wuxing, false, org.CertActive},
		{"another district", chinaMidnight(from).Add(time.Hour), "ELDERLY_HOME_CARE", w.nanxun, false, org.CertActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := capable(tt.at, tt.category, tt.district); got != tt.want {
				t.Errorf("Capable(%s, %s) = %v, want %v", tt.at.Format(time.RFC3339), tt.category, got, tt.want)
			}
			// The effective status follows the injected clock.
			svc := org.NewService(w.db, fixedClock(tt.at), testOptions(t))
			got, err := svc.GetCertification(ctx, oa, c.ID)
			if err != nil || got.EffectiveStatus != tt.effective || got.Status != org.CertApproved {
				t.Errorf("GetCertification() at %s = %s/%s, %v; want approved/%s", tt.at.Format(time.RFC3339), got.Status, got.EffectiveStatus, err, tt.effective)
			}
		})
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestSuspensionEndsCapability(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCertWorld(t)
	o, oa := w.signup(t, "52330502MJ526018XR", "阳光社工", w.wuxing, "sunshine") // 5 certified social workers
	c := w.apply(t, oa, w.wuxing, "ELDERLY_HOME_CARE")
	w.approve(t, w.wuxingAdmin, c.ID, 3, day(1), civil.NewDate(2026, time.December, 31))
	at := w.clock.Now()

	check := func(name string, minGrade, minWorkers int, wantCapable bool, wantReasons ...string) {
		t.Helper()
		ok, err := org.Capable(w.db, o.ID, w.wuxing, "ELDERLY_HOME_CARE", at)
		if err != nil || ok != wantCapable {
			t.Errorf("%s: Capable() = %v, %v; want %v", name, ok, err, wantCapable)
		}
		e, err := w.svc.Eligibility(ctx, o.ID, w.wuxing, "ELDERLY_HOME_CARE", minGrade, minWorkers, at)
		want := org.Eligibility{Eligible: len(wantReasons) == 0, Reasons: wantReasons}
		if err != nil || !cmp.Equal(want, e, cmpopts.EquateEmpty()) {
			t.Errorf("%s: Eligibility(grade %d, workers %d) = %+v, %v; want %+v", name, minGrade, minWorkers, e, err, want)
		}
	}
	check("approved", 3, 5, true)
	check("grade 4 wanted", 4, 5, true, org.ReasonGradeBelowMinimum)
	check("six workers wanted", 1, 6, true, org.ReasonTooFewSocialWorkers)
	if e, err := w.svc.Eligibility(ctx, o.ID, w.wuxing, "LEGAL_AID", 1, 0, at); err != nil || e.Eligible ||
		!cmp.Equal(e.Reasons, []string{org.ReasonNoCertification}) {
		t.Errorf("Eligibility(LEGAL_AID) = %+v, %v; want not eligible for want of a certification", e, err)
	}
	if _, err := w.svc.Eligibility(ctx, o.ID+100, w.wuxing, "LEGAL_AID", 1, 0, at); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("Eligibility(unknown organization) error = %v, want %v", err, apperr.ErrNotFound)
	}

	if err := w.db.Exec(`UPDATE organizations SET status = 'suspended' WHERE id = ?`, o.ID).Error; err != nil {
		t.Fatal(err)
	}
	check("organization suspended", 1, 0, false, org.ReasonOrganizationSuspended)
	if err := w.db.Exec(`UPDATE organizations SET status = 'active' WHERE id = ?`, o.ID).Error; err != nil {
		t.Fatal(err)
	}
	check("organization active again", 1, 0, true)

	if _, err := w.svc.Suspend(ctx, w.wuxingAdmin, c.ID, "投诉核查"); err != nil {
		t.Fatal(err)
	}
	check("certification suspended", 1, 0, false, org.ReasonNoCertification)
	if _, err := w.svc.Revoke(ctx, w.wuxingAdmin, c.ID, "核查属实"); err != nil {
		t.Fatal(err)
	}
	check("certification revoked", 1, 0, false, org.ReasonNoCertification)
}

// TestVerifiedSocialWorkers: eligibility counts the lower of the declared and
// the verified figure; the district admin re-verifies an approved or suspended
// certification, audited, and nobody else can.
func TestVerifiedSocialWorkers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCertWorld(t)
	o, oa := w.signup(t, "52330502MJ526018XR", "阳光社工", w.wuxing, "sunshine") // 5 declared
	evaluator := w.user(t, "wx-evaluator", access.Evaluator, access.Scope{DistrictID: w.wuxing})
	c := w.apply(t, oa, w.wuxing, "ELDERLY_HOME_CARE")
	three := 3
	if _, err := w.svc.Approve(ctx, w.wuxingAdmin, c.ID, org.ApproveInput{Grade: 3, ValidFrom: day(1),
		ValidThrough: civil.NewDate(2026, time.December, 31), VerifiedSocialWorkers: &three}); err != nil {
		t.Fatal(err)
	}
	eligible := func(name string, minWorkers int, want bool) {
		t.Helper()
		e, err := w.svc.Eligibility(ctx, o.ID, w.wuxing, "ELDERLY_HOME_CARE", 1, minWorkers, w.clock.Now())
		wantReasons := []string{org.ReasonTooFewSocialWorkers}
		if want {
			wantReasons = nil
		}
		if err != nil || e.Eligible != want || !cmp.Equal(e.Reasons, wantReasons, cmpopts.EquateEmpty()) {
			t.Errorf("%s: Eligibility(%d workers) = %+v, %v; want eligible %v", name, minWorkers, e, err, want)
		}
	}
	eligible("5 declared, 3 verified", 3, true)
	eligible("5 declared, 3 verified", 4, false)

	// Declaring more changes nothing; declaring fewer counts.
	edit := func(n int) {
		t.Helper()
		if _, err := w.svc.Edit(ctx, oa, o.ID, func(in *org.Input) { in.CertifiedSocialWorkers = n }); err != nil {
			t.Fatalf("Edit(%d social workers) error = %v", n, err)
		}
	}
	edit(9)
	eligible("9 declared, 3 verified", 4, false)
	edit(2)
	eligible("2 declared, 3 verified", 3, false)
	edit(9)

	// Nobody but the district's admin re-verifies; bad numbers change nothing.
	eight, minus, huge := 8, -1, org.MaxSocialWorkers+1
	before := w.certSnapshot(t)
	for _, tt := range []struct {
		name  string
		by    access.Actor
		id    int64
		n     *int
		want  error
		field string
	}{
		{"another district's admin", w.nanxunAdmin, c.ID, &eight, apperr.ErrNotFound, ""},
		{"a missing certification", w.wuxingAdmin, c.ID + 100, &eight, apperr.ErrNotFound, ""},
		{"an evaluator", evaluator, c.ID, &eight, apperr.ErrForbidden, ""},
		{"the organization", oa, c.ID, &eight, apperr.ErrForbidden, ""},
		{"a platform admin", admin, c.ID, &eight, apperr.ErrForbidden, ""},
		{"no number", w.wuxingAdmin, c.ID, nil, nil, "verified_social_workers"},
		{"a negative number", w.wuxingAdmin, c.ID, &minus, nil, "verified_social_workers"},
		{"too many", w.wuxingAdmin, c.ID, &huge, nil, "verified_social_workers"},
	} {
		_, err := w.svc.VerifySocialWorkers(ctx, tt.by, tt.id, tt.n)
		if tt.want != nil {
			if !errors.Is(err, tt.want) {
				t.Errorf("VerifySocialWorkers() by %s error = %v, want %v", tt.name, err, tt.want)
			}
			continue
		}
		apperrtest.WantInvalid(t, err, tt.field)
	}
	w.certUnchanged(t, before)
	eligible("refusals", 4, false)

	w.clock.Advance(time.Hour)
	got, err := w.svc.VerifySocialWorkers(ctx, w.wuxingAdmin, c.ID, &eight)
	if err != nil || got.VerifiedSocialWorkers == nil || *got.VerifiedSocialWorkers != 8 ||
		got.SocialWorkersVerifiedAt == nil || !got.SocialWorkersVerifiedAt.Equal(w.clock.Now()) {
		t.Fatalf("VerifySocialWorkers(8) = %+v, %v; want 8 verified now", got, err)
	}
	eligible("9 declared, 8 verified", 8, true)
	eligible("9 declared, 8 verified", 9, false)
	if n := w.count(t, `SELECT count(*) FROM audit_entries WHERE action = 'certification.verify_social_workers'
		AND actor_name = 'wx-admin' AND data LIKE '%"from":3%' AND data LIKE '%"to":8%'`); n != 1 {
		t.Errorf("certification.verify_social_workers audit entries = %d, want 1 from 3 to 8", n)
	}

	// A suspended certification may be re-verified, a revoked one not.
	if _, err := w.svc.Suspend(ctx, w.wuxingAdmin, c.ID, "核查"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.VerifySocialWorkers(ctx, w.wuxingAdmin, c.ID, &three); err != nil {
		t.Errorf("VerifySocialWorkers(suspended) error = %v, want nil", err)
	}
	if _, err := w.svc.Revoke(ctx, w.wuxingAdmin, c.ID, "核查属实"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.VerifySocialWorkers(ctx, w.wuxingAdmin, c.ID, &eight); !errors.Is(err, org.ErrNotVerifiable) {
		t.Errorf("VerifySocialWorkers(revoked) error = %v, want %v", err, org.ErrNotVerifiable)
	}
}

func TestListCertifications(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCertWorld(t)
	a, aa := w.signup(t, "52330502MJ526018XR", "阳光社工", w.wuxing, "sunshine")
	_, ba := w.signup(t, "53330502MJ159083XF", "慈善基金会", w.wuxing, "charity")
	evaluator := w.user(t, "wx-evaluator", access.Evaluator, access.Scope{DistrictID: w.wuxing})
	member := w.user(t, "sunshine-member", access.OrgMember, access.Scope{OrganizationID: a.ID})

	a1 := w.apply(t, aa, w.wuxing, "ELDERLY_HOME_CARE") // approved, active
	w.approve(t, w.wuxingAdmin, a1.ID, 5, day(1), day(30))
	a2 := w.apply(t, aa, w.nanxun, "LEGAL_AID") // pending in 南浔
	b1 := w.apply(t, ba, w.wuxing, "LEGAL_AID") // approved, not yet valid
	w.approve(t, w.wuxingAdmin, b1.ID, 2, day(15), day(30))
	b2 := w.apply(t, ba, w.wuxing, "YOUTH_GUIDANCE") // rejected
	if _, err := w.svc.Reject(ctx, w.wuxingAdmin, b2.ID, "材料不全"); err != nil {
		t.Fatal(err)
	}
	b3 := w.apply(t, ba, w.wuxing, "DISABILITY_SUPPORT") // pending in 吴兴
	all := []int64{a1.ID, a2.ID, b1.ID, b2.ID, b3.ID}

	tests := []struct {
		name   string
		by     access.Actor
		filter org.CertFilter
		want   []int64
	}{
		{"platform admin", admin, org.CertFilter{}, all},
		{"platform admin, 南浔", admin, org.CertFilter{DistrictID: w.nanxun}, []int64{a2.ID}},
		{"吴兴 admin", w.wuxingAdmin, org.CertFilter{}, []int64{a1.ID, b1.ID, b2.ID, b3.ID}},
		{"吴兴 admin's queue", w.wuxingAdmin, org.CertFilter{Status: "pending"}, []int64{b3.ID}},
		{"吴兴 admin asking for 南浔", w.wuxingAdmin, org.CertFilter{DistrictID: w.nanxun}, nil},
		{"南浔 admin", w.nanxunAdmin, org.CertFilter{}, []int64{a2.ID}},
		{"org admin of A", aa, org.CertFilter{}, []int64{a1.ID, a2.ID}},
		{"org member of A", member, org.CertFilter{}, []int64{a1.ID, a2.ID}},
		{"org admin of B, active", ba, org.CertFilter{Status: "active"}, nil},
		{"org admin of B, not yet valid", ba, org.CertFilter{Status: "not_yet_valid"}, []int64{b1.ID}},
		{"org admin of B, approved", ba, org.CertFilter{Status: "approved"}, []int64{b1.ID}},
		{"platform admin, active", admin, org.CertFilter{Status: "active"}, []int64{a1.ID}},
		{"platform admin, rejected", admin, org.CertFilter{Status: "rejected"}, []int64{b2.ID}},
		{"evaluator", evaluator, org.CertFilter{}, nil},
		{"subdistrict officer", w.subdOfficer, org.CertFilter{}, nil},
		{"resident", w.resident, org.CertFilter{}, nil},
		{"anonymous", access.Anonymous("req", "127.0.0.1"), org.CertFilter{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			list, err := w.svc.ListCertifications(ctx, tt.by, tt.filter)
			if err != nil {
				t.Fatalf("ListCertifications() error = %v, want nil", err)
			}
			var ids []int64
			for _, c := range list {
				ids = append(ids, c.ID)
			}
			if diff := cmp.Diff(tt.want, ids, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ListCertifications() ids mismatch (-want +got):\n%s", diff)
			}
			if tt.filter != (org.CertFilter{}) {
				return
			}
			for _, id := range all {
				c, err := w.svc.GetCertification(ctx, tt.by, id)
				visible := slices.Contains(tt.want, id)
				switch {
				case visible && (err != nil || c.ID != id):
					t.Errorf("GetCertification(%d) = %d, %v; want it", id, c.ID, err)
				case !visible && !errors.Is(err, apperr.ErrNotFound):
					t.Errorf("GetCertification(%d) error = %v, want %v", id, err, apperr.ErrNotFound)
				}
			}
		})
	}
	if _, err := w.svc.ListCertifications(ctx, admin, org.CertFilter{Status: "approved' OR true"}); err == nil {
		t.Errorf("ListCertifications(bad status) error = nil, want apperr.Invalid")
	} else {
		apperrtest.WantInvalid(t, err, "status")
	}
}

func TestConcurrentDecisions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCertWorld(t)
	_, oa := w.signup(t, "52330502MJ526018XR", "阳光社工", w.wuxing, "sunshine")

	// Simultaneous applications: one is filed, the others find it pending.
	const n = 8
	workers := 5
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := w.svc.Apply(ctx, oa, org.ApplyInput{DistrictID: w.wuxing, Categories: []string{"LEGAL_AID"}})
			errs <- err
		}()
	}
	var ok, pending int
	for range n {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, org.ErrPendingExists):
			pending++
		default:
			t.Errorf("Apply() error = %v, want nil or %v", err, org.ErrPendingExists)
		}
	}
	if ok != 1 || pending != n-1 {
		t.Errorf("concurrent Apply() = %d filed, %d pending_exists; want 1 and %d", ok, pending, n-1)
	}

	// Simultaneous approval and rejection: exactly one decides.
	list, err := w.svc.ListCertifications(ctx, w.wuxingAdmin, org.CertFilter{Status: "pending"})
	if err != nil || len(list) != 1 {
		t.Fatalf("ListCertifications(pending) = %d, %v; want 1", len(list), err)
	}
	id := list[0].ID
	for i := range n {
		go func() {
			var err error
			if i%2 == 0 {
				_, err = w.svc.Approve(ctx, w.wuxingAdmin, id, org.ApproveInput{Grade: 3, ValidFrom: day(1), ValidThrough: day(30), VerifiedSocialWorkers: &workers})
			} else {
				_, err = w.svc.Reject(ctx, w.wuxingAdmin, id, "材料不全")
			}
			errs <- err
		}()
	}
	ok = 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			ok++
		case !errors.Is(err, org.ErrNotPending):
			t.Errorf("decision error = %v, want nil or %v", err, org.ErrNotPending)
		}
	}
	if ok != 1 {
		t.Errorf("concurrent decisions succeeded %d times, want 1", ok)
	}
	if got := w.count(t, `SELECT count(*) FROM audit_entries WHERE entity_type = 'certification' AND action IN ('certification.approve', 'certification.reject')`); got != 1 {
		t.Errorf("decision audit entries = %d, want 1", got)
	}
}
