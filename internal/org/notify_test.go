package org_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/org"
)

// notice is a notification as the certification tests read it.
type notice struct {
	UserID         *int64
	OrganizationID *int64
	Kind           string
	SubjectZh      string
	SubjectEn      string
}

// notices returns the notifications of kind, in order.
func (w *certWorld) notices(t *testing.T, kind string) []notice {
	t.Helper()
	var out []notice
	if err := w.db.Table("notifications").Select("user_id, organization_id, kind, subject_zh, subject_en").
		Where("kind = ?", kind).Order("id").Scan(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// An application tells its district's admins, and each decision on a
// certification tells the organization's users, in the decision's
// transaction: a refused decision tells no one.
func TestCertificationNotices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCertWorld(t)
	o, oa := w.signup(t, "52330502MJ526018XR", "阳光社工", w.wuxing, "sunshine")
	c := w.apply(t, oa, w.wuxing, "ELDERLY_HOME_CARE")

	applied := w.notices(t, org.KindCertApplied)
	if len(applied) != 1 || applied[0].UserID == nil || *applied[0].UserID != w.wuxingAdmin.UserID ||
		!strings.Contains(applied[0].SubjectZh, "阳光社工") || !strings.Contains(applied[0].SubjectEn, "阳光社工") {
		t.Errorf("%s notices = %+v, want one to 吴兴's admin (not 南浔's) naming the organization", org.KindCertApplied, applied)
	}

	// A refused decision writes no notification.
	if _, err := w.svc.Suspend(ctx, w.wuxingAdmin, c.ID, "投诉"); err == nil {
		t.Fatal("Suspend() of a pending certification error = nil, want ErrNotApproved")
	}
	if _, err := w.svc.Reject(ctx, w.nanxunAdmin, c.ID, "不符合"); err == nil {
		t.Fatal("Reject() by another district's admin error = nil, want not found")
	}
	if n := w.count(t, `SELECT count(*) FROM notifications WHERE organization_id = ?`, o.ID); n != 0 {
		t.Fatalf("notifications to the organization after refused decisions = %d, want 0", n)
	}

	w.approve(t, w.wuxingAdmin, c.ID, 4, day(1), civil.NewDate(2027, time.February, 28))
	long := strings.Repeat("长", 150)
	if _, err := w.svc.Suspend(ctx, w.wuxingAdmin, c.ID, "投诉查实，暂停认定"); err != nil {
		t.Fatalf("Suspend() error = %v", err)
	}
	if _, err := w.svc.Revoke(ctx, w.wuxingAdmin, c.ID, long); err != nil {
		t.Fatalf("Revoke() error = %v", err)
	}
	again := w.apply(t, oa, w.wuxing, "LEGAL_AID")
	if _, err := w.svc.Reject(ctx, w.wuxingAdmin, again.ID, "材料不全"); err != nil {
		t.Fatalf("Reject() error = %v", err)
	}

	for _, tt := range []struct {
		kind   string
		zh, en string // what the subject says
	}{
		{org.KindCertApproved, "等级 4A，有效期至 2027-02-28", "grade 4A, valid through 2027-02-28"},
		{org.KindCertSuspended, "投诉查实，暂停认定", "投诉查实，暂停认定"},
		{org.KindCertRevoked, strings.Repeat("长", 100) + "…", strings.Repeat("长", 100) + "…"},
		{org.KindCertRejected, "材料不全", "材料不全"},
	} {
		got := w.notices(t, tt.kind)
		if len(got) != 1 || got[0].OrganizationID == nil || *got[0].OrganizationID != o.ID || got[0].UserID != nil {
			t.Errorf("%s notices = %+v, want one to the organization", tt.kind, got)
			continue
		}
		if !strings.Contains(got[0].SubjectZh, tt.zh) || !strings.Contains(got[0].SubjectEn, tt.en) || strings.Contains(got[0].SubjectZh, long) {
			t.Errorf("%s subjects = %q / %q, want them to say %q / %q", tt.kind, got[0].SubjectZh, got[0].SubjectEn, tt.zh, tt.en)
		}
	}
	if n := w.count(t, `SELECT count(*) FROM notifications WHERE kind = ? AND user_id = ?`, org.KindCertApplied, w.nanxunAdmin.UserID); n != 0 {
		t.Errorf("applications told to 南浔's admin = %d, want 0", n)
	}
}
