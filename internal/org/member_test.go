package org_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/apperr/apperrtest"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/org"
)

func TestAddMember(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	o, oa := f.signup(t, "52330502MJ526018XR", "阳光社工", f.wuxing, "sunshine")
	_, ob := f.signup(t, "53330502MJ159083XF", "慈善基金会", f.wuxing, "charity")

	u, err := f.svc.AddMember(ctx, oa, o.ID, org.MemberInput{Username: " Li.Ming ", DisplayName: " 李明 ", Password: testPassword})
	if err != nil {
		t.Fatalf("AddMember() error = %v, want nil", err)
	}
	if u.Username != "li.ming" || u.DisplayName != "李明" || u.Role != access.OrgMember || u.OrganizationID == nil ||
		*u.OrganizationID != o.ID || u.Locale != "zh-CN" || u.Status != "active" {
		t.Errorf("AddMember() = %+v, want the active org_member li.ming of organization %d", u, o.ID)
	}
	var hash string
	if err := f.db.Raw(`SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash).Error; err != nil {
		t.Fatal(err)
	}
	if ok, err := auth.CheckPassword(hash, testPassword); !ok || err != nil {
		t.Errorf("CheckPassword(stored hash) = %v, %v; want true", ok, err)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_entries WHERE action = 'user.create' AND actor_name = 'sunshine' AND entity_id = ?`, strconv.FormatInt(u.ID, 10)); n != 1 {
		t.Errorf("user.create audit entries by sunshine = %d, want 1", n)
	}

	member := access.Actor{UserID: u.ID, Username: u.Username, Role: access.OrgMember, Scope: access.Scope{OrganizationID: o.ID}}
	before := f.snapshot(t)
	users := f.count(t, `SELECT count(*) FROM users`)
	good := org.MemberInput{Username: "newcomer", Password: testPassword}
	tests := []struct {
		name  string
		by    access.Actor
		in    org.MemberInput
		want  error  // a sentinel, or nil for apperr.Invalid naming field
		field string // the field named
	}{
		{"admin of another organization", ob, good, apperr.ErrNotFound, ""},
		{"org member", member, good, apperr.ErrForbidden, ""},
		{"district admin", f.wuxingAdmin, good, apperr.ErrForbidden, ""},
		{"platform admin", admin, good, apperr.ErrForbidden, ""},
		{"anonymous", access.Anonymous("req", "127.0.0.1"), good, apperr.ErrForbidden, ""},
		{"taken username", oa, org.MemberInput{Username: "LI.MING", Password: testPassword}, auth.ErrDuplicateUsername, ""},
		{"short password", oa, org.MemberInput{Username: "newcomer", Password: "123456789"}, nil, "password"},
		{"bad username", oa, org.MemberInput{Username: "李明", Password: testPassword}, nil, "username"},
		{"bad locale", oa, org.MemberInput{Username: "newcomer", Password: testPassword, Locale: "de"}, nil, "locale"},
		{"a role outside the organization", oa, org.MemberInput{Username: "newcomer", Password: testPassword, Role: access.Resident}, nil, "role"},
		{"an evaluator of an organization that is no evaluation agency", oa,
			org.MemberInput{Username: "newcomer", Password: testPassword, Role: access.Evaluator}, org.ErrNotEvaluationAgency, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.AddMember(ctx, tt.by, o.ID, tt.in)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Errorf("AddMember() error = %v, want %v", err, tt.want)
				}
				return
			}
			apperrtest.WantInvalid(t, err, tt.field)
		})
	}
	f.unchanged(t, before)
	if n := f.count(t, `SELECT count(*) FROM users`); n != users {
		t.Errorf("users = %d after refusals, want %d", n, users)
	}

	deputy, err := f.svc.AddMember(ctx, oa, o.ID, org.MemberInput{Username: "deputy", Password: testPassword, Role: access.OrgAdmin})
	if err != nil || deputy.Role != access.OrgAdmin || deputy.OrganizationID == nil || *deputy.OrganizationID != o.ID {
		t.Errorf("AddMember(role org_admin) = %+v, %v; want an org_admin of organization %d", deputy, err, o.ID)
	}
}

// passwordHash returns the stored password hash of user id.
func (f *fixture) passwordHash(t *testing.T, id int64) string {
	t.Helper()
	var hash string
	if err := f.db.Raw(`SELECT password_hash FROM users WHERE id = ?`, id).Scan(&hash).Error; err != nil {
		t.Fatal(err)
	}
	return hash
}

func TestResetMemberPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	o, oa := f.signup(t, "52330502MJ526018XR", "阳光社工", f.wuxing, "sunshine")
	other, ob := f.signup(t, "53330502MJ159083XF", "慈善基金会", f.wuxing, "charity")
	m, err := f.svc.AddMember(ctx, oa, o.ID, org.MemberInput{Username: "li.ming", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	member := access.Actor{UserID: m.ID, Username: m.Username, Role: access.OrgMember, Scope: access.Scope{OrganizationID: o.ID}}
	const fresh = "a fresh password for li.ming"

	before, hash := f.snapshot(t), f.passwordHash(t, m.ID)
	tests := []struct {
		name  string
		by    access.Actor
		org   int64
		user  int64
		pw    string
		want  error  // a sentinel, or nil for apperr.Invalid naming field
		field string // the field named
	}{
		{"a member", member, o.ID, m.ID, fresh, apperr.ErrForbidden, ""},
		{"the platform admin", admin, o.ID, m.ID, fresh, apperr.ErrForbidden, ""},
		{"the district admin", f.wuxingAdmin, o.ID, m.ID, fresh, apperr.ErrForbidden, ""},
		{"a subdistrict officer", f.subdOfficer, o.ID, m.ID, fresh, apperr.ErrForbidden, ""},
		{"another organization's admin", ob, o.ID, m.ID, fresh, apperr.ErrNotFound, ""},
		{"another organization's admin, through its own", ob, other.ID, m.ID, fresh, apperr.ErrNotFound, ""},
		{"another organization's account", oa, o.ID, ob.UserID, fresh, apperr.ErrNotFound, ""},
		{"a missing account", oa, o.ID, 999999, fresh, apperr.ErrNotFound, ""},
		{"the admin's own account", oa, o.ID, oa.UserID, fresh, org.ErrOwnPassword, ""},
		{"a short password", oa, o.ID, m.ID, "123456789", nil, "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.svc.ResetMemberPassword(ctx, tt.by, tt.org, tt.user, tt.pw)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Errorf("ResetMemberPassword() error = %v, want %v", err, tt.want)
				}
				return
			}
			apperrtest.WantInvalid(t, err, tt.field)
		})
	}
	f.unchanged(t, before)
	if f.passwordHash(t, m.ID) != hash {
		t.Errorf("a refused reset changed li.ming's password")
	}

	if err := f.svc.ResetMemberPassword(ctx, oa, o.ID, m.ID, fresh); err != nil {
		t.Fatalf("ResetMemberPassword() error = %v, want nil", err)
	}
	if ok, err := auth.CheckPassword(f.passwordHash(t, m.ID), fresh); !ok || err != nil {
		t.Errorf("CheckPassword(the new hash, the new password) = %v, %v; want true", ok, err)
	}
	var data string
	if err := f.db.Raw(`SELECT data FROM audit_entries WHERE action = 'user.password_reset' AND actor_name = 'sunshine' AND entity_id = ?`,
		strconv.FormatInt(m.ID, 10)).Scan(&data).Error; err != nil || data == "" {
		t.Fatalf("user.password_reset audit entry by sunshine: %q, %v", data, err)
	}
	if strings.Contains(data, fresh) || strings.Contains(data, "argon2") {
		t.Errorf("the audit entry %s holds the password or its hash", data)
	}

	// A second admin resets the first one's password.
	deputy, err := f.svc.AddMember(ctx, oa, o.ID, org.MemberInput{Username: "deputy", Password: testPassword, Role: access.OrgAdmin})
	if err != nil {
		t.Fatal(err)
	}
	by := access.Actor{UserID: deputy.ID, Username: deputy.Username, Role: access.OrgAdmin, Scope: access.Scope{OrganizationID: o.ID}}
	if err := f.svc.ResetMemberPassword(ctx, by, o.ID, oa.UserID, fresh); err != nil {
		t.Errorf("ResetMemberPassword(the first admin, by the deputy) error = %v, want nil", err)
	}
}

func TestNeedsSecondAdmin(t *testing.T) {
	t.Parallel()
	orgAdmin := func(status string) auth.User { return auth.User{Role: access.OrgAdmin, Status: status} }
	member := auth.User{Role: access.OrgMember, Status: "active"}
	tests := []struct {
		name    string
		members []auth.User
		want    bool
	}{
		{"one admin", []auth.User{orgAdmin("active"), member}, true},
		{"one active admin, one disabled", []auth.User{orgAdmin("active"), orgAdmin("disabled")}, true},
		{"two admins", []auth.User{orgAdmin("active"), member, orgAdmin("active")}, false},
		{"none", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := org.NeedsSecondAdmin(tt.members); got != tt.want {
				t.Errorf("NeedsSecondAdmin() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListMembers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	o, oa := f.signup(t, "52330502MJ526018XR", "阳光社工", f.wuxing, "sunshine")
	_, ob := f.signup(t, "51330502MJ016613XH", "南浔社团", f.nanxun, "nanxun-group")
	m, err := f.svc.AddMember(ctx, oa, o.ID, org.MemberInput{Username: "a-member", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	member := access.Actor{UserID: m.ID, Role: access.OrgMember, Scope: access.Scope{OrganizationID: o.ID}}

	tests := []struct {
		name string
		by   access.Actor
		ok   bool
	}{
		{"org admin", oa, true},
		{"org member", member, true},
		{"district admin of its district", f.wuxingAdmin, true},
		{"platform admin", admin, true},
		{"admin of another organization", ob, false},
		{"district admin of another district", f.nanxunAdmin, false},
		{"evaluator of its district", f.wuxingEvaluator, false},
		{"subdistrict officer", f.subdOfficer, false},
		{"resident", f.resident, false},
		{"anonymous", access.Anonymous("req", "127.0.0.1"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			list, err := f.svc.ListMembers(ctx, tt.by, o.ID)
			if !tt.ok {
				if !errors.Is(err, apperr.ErrNotFound) {
					t.Errorf("ListMembers() error = %v, want %v", err, apperr.ErrNotFound)
				}
				return
			}
			var names []string
			for _, u := range list {
				names = append(names, u.Username)
			}
			if diff := cmp.Diff([]string{"a-member", "sunshine"}, names, cmpopts.EquateEmpty()); err != nil || diff != "" {
				t.Errorf("ListMembers() error = %v, usernames mismatch (-want +got):\n%s", err, diff)
			}
		})
	}
	if _, err := f.svc.ListMembers(ctx, admin, 999999); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("ListMembers(missing organization) error = %v, want %v", err, apperr.ErrNotFound)
	}
}
