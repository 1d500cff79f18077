package org_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/apperr/apperrtest"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/org"
)

// testOptions hashes passwords cheaply and stores uploads in the test's own directory.
func testOptions(t *testing.T) org.Options {
	t.Helper()
	return org.Options{
		Argon2:  config.Argon2{MemoryKiB: 1024, Iterations: 1, Parallelism: 1},
		Uploads: config.Uploads{Dir: filepath.Join(t.TempDir(), "uploads"), MaxBytes: 1 << 20},
	}
}

const testPassword = "correct horse battery"

// signupInput is the self-registration of f.input()'s organization by username.
func (f *fixture) signupInput(username string) org.SignupInput {
	return org.SignupInput{
		Organization: f.input(),
		Admin:        org.MemberInput{Username: username, DisplayName: "王芳", Password: testPassword},
		RequestID:    "req-signup-" + username, ClientIP: "203.0.113.7",
	}
}

// signup registers an organization with its org_admin and returns the admin as an actor.
func (f *fixture) signup(t *testing.T, code, name string, district int64, username string) (org.Organization, access.Actor) {
	t.Helper()
	in := f.signupInput(username)
	in.Organization.CreditCode, in.Organization.LegalName, in.Organization.DistrictID = code, name, district
	o, u, err := f.svc.Signup(context.Background(), in)
	if err != nil {
		t.Fatalf("Signup(%s) error = %v, want nil", code, err)
	}
	return o, access.Actor{UserID: u.ID, Username: u.Username, Role: access.OrgAdmin,
		Scope: access.Scope{OrganizationID: o.ID}, RequestID: "req-" + username}
}

func TestSignup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)

	in := f.signupInput(" Wang.Fang ")
	in.Admin.Locale = "en"
	o, u, err := f.svc.Signup(ctx, in)
	if err != nil {
		t.Fatalf("Signup() error = %v, want nil", err)
	}
	if o.ID == 0 || o.CreditCode != "52330502MJ526018XR" || o.Status != "active" || o.DistrictID != f.wuxing {
		t.Errorf("Signup() organization = %+v, want the active 52330502MJ526018XR in 吴兴", o)
	}
	if u.ID == 0 || u.Username != "wang.fang" || u.Role != access.OrgAdmin || u.OrganizationID == nil ||
		*u.OrganizationID != o.ID || u.Locale != "en" || u.Status != "active" {
		t.Errorf("Signup() user = %+v, want the active org_admin wang.fang of organization %d", u, o.ID)
	}
	var hash string
	if err := f.db.Raw(`SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash).Error; err != nil {
		t.Fatal(err)
	}
	if ok, err := auth.CheckPassword(hash, testPassword); !ok || err != nil {
		t.Errorf("CheckPassword(stored hash) = %v, %v; want true", ok, err)
	}
	if _, err := f.svc.Get(ctx, access.Actor{UserID: u.ID, Role: access.OrgAdmin, Scope: access.Scope{OrganizationID: o.ID}}, o.ID); err != nil {
		t.Errorf("Get() by the new admin error = %v, want nil", err)
	}

	var entries []audit.Entry
	if err := f.db.Order("id").Find(&entries).Error; err != nil {
		t.Fatal(err)
	}
	want := []struct{ action, entity string }{
		{"organization.create", strconv.FormatInt(o.ID, 10)},
		{"user.create", strconv.FormatInt(u.ID, 10)},
	}
	if len(entries) != len(want) {
		t.Fatalf("audit entries = %d, want %d", len(entries), len(want))
	}
	for i, w := range want {
		e := entries[i]
		if e.Action != w.action || e.EntityID != w.entity || e.ActorName != "wang.fang" || e.ActorRole != "org_admin" ||
			e.ActorID != nil || e.RequestID != "req-signup- Wang.Fang " {
			t.Errorf("audit entry %d = %+v, want %s of %s by wang.fang (org_admin, no id) in the request", i, e, w.action, w.entity)
		}
	}
	if _, err := audit.IntegrateAll(ctx, f.db); err != nil { // as the sequencer does
		t.Fatal(err)
	}
	if rep, err := audit.Verify(ctx, f.db); err != nil || rep.Broken != nil || rep.Entries != int64(len(want)) {
		t.Errorf("Verify() = %+v, %v; want an unbroken chain", rep, err)
	}
}

func TestSignupRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.signup(t, "52330502MJ526018XR", "阳光社工", f.wuxing, "taken")
	before := f.snapshot(t)
	users := f.count(t, `SELECT count(*) FROM users`)

	tests := []struct {
		name   string
		edit   func(*org.SignupInput)
		want   error    // a sentinel, or nil for apperr.Invalid naming fields
		fields []string // the fields named
	}{
		{"taken username", func(in *org.SignupInput) {
			in.Organization.CreditCode, in.Admin.Username = "53330502MJ159083XF", "taken"
		}, auth.ErrDuplicateUsername, nil},
		{"taken username in capitals", func(in *org.SignupInput) {
			in.Organization.CreditCode, in.Admin.Username = "53330502MJ159083XF", " TAKEN"
		}, auth.ErrDuplicateUsername, nil},
		{"registered credit code", func(in *org.SignupInput) { in.Admin.Username = "fresh" }, org.ErrDuplicateCode, nil},
		{"bad code and short password together", func(in *org.SignupInput) {
			in.Organization.CreditCode, in.Admin.Username, in.Admin.Password = "52330500MJ5470873D", "fresh", "short"
		}, nil, []string{"credit_code", "admin.password"}},
		{"no district", func(in *org.SignupInput) {
			in.Organization.CreditCode, in.Organization.DistrictID, in.Admin.Username = "53330502MJ159083XF", 0, "fresh"
		}, nil, []string{"district_id"}},
		{"unknown district", func(in *org.SignupInput) {
			in.Organization.CreditCode, in.Organization.DistrictID, in.Admin.Username = "53330502MJ159083XF", 999999, "fresh"
		}, nil, []string{"district_id"}},
		{"bad username and locale", func(in *org.SignupInput) {
			in.Organization.CreditCode, in.Admin.Username, in.Admin.Locale = "53330502MJ159083XF", "王芳", "fr"
		}, nil, []string{"admin.locale", "admin.username"}},
		{"no legal name", func(in *org.SignupInput) {
			in.Organization.CreditCode, in.Organization.LegalName, in.Admin.Username = "53330502MJ159083XF", " ", "fresh"
		}, nil, []string{"legal_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := f.signupInput("x")
			tt.edit(&in)
			_, _, err := f.svc.Signup(ctx, in)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Errorf("Signup() error = %v, want %v", err, tt.want)
				}
				return
			}
			apperrtest.WantInvalid(t, err, tt.fields...)
		})
	}
	// A taken username leaves no organization behind, a taken code no account.
	f.unchanged(t, before)
	if n := f.count(t, `SELECT count(*) FROM organizations WHERE credit_code = '53330502MJ159083XF'`); n != 0 {
		t.Errorf("organizations with the refused code = %d, want 0", n)
	}
	if n := f.count(t, `SELECT count(*) FROM users`); n != users {
		t.Errorf("users = %d after refused sign-ups, want %d", n, users)
	}
}

func TestSignupInvalidIsApperr(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := f.signupInput("ok-name")
	in.Admin.Password = ""
	_, _, err := f.svc.Signup(context.Background(), in)
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid || e.Code != "validation" {
		t.Errorf("Signup(no password) error = %v, want an apperr.Invalid validation error", err)
	}
}
