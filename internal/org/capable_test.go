package org_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr/apperrtest"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/org"
)

func TestPublicCapable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCertWorld(t)
	through := civil.NewDate(2027, time.February, 28)

	// Organizations named so that legal-name order is their letter order.
	type made struct {
		org.Organization
		by access.Actor
	}
	mk := func(i int, name string, district int64) made {
		t.Helper()
		o, by := w.signup(t, creditCode(t, fmt.Sprintf("5233050%010d", i)), name, district, fmt.Sprintf("org-%02d", i))
		return made{o, by}
	}
	certify := func(m made, district int64, grade int, from, through civil.Date, cats ...string) org.Certification {
		t.Helper()
		c := w.apply(t, m.by, district, cats...)
		by := w.wuxingAdmin
		if district == w.nanxun {
			by = w.nanxunAdmin
		}
		return w.approve(t, by, c.ID, grade, from, through)
	}
	a := mk(1, "A 吴兴阳光社会工作服务中心", w.wuxing)
	b := mk(2, "B 吴兴区100%_互助会", w.wuxing)
	c := mk(3, "C 南浔区阳光志愿者协会", w.nanxun)
	d := mk(4, "D 待审核社工", w.wuxing)    // pending only
	e := mk(5, "E 已驳回社工", w.wuxing)    // rejected only
	s := mk(6, "F 已暂停社工", w.wuxing)    // suspended only
	x := mk(7, "G 已过期社工", w.wuxing)    // expired only
	n := mk(8, "H 尚未生效社工", w.wuxing)   // not yet valid only
	so := mk(9, "I 机构被暂停阳光", w.wuxing) // active certification, suspended organization

	a1 := certify(a, w.wuxing, 5, day(1), through, "ELDERLY_HOME_CARE", "LEGAL_AID")
	a2 := certify(a, w.nanxun, 3, day(1), through, "LEGAL_AID")
	b1 := certify(b, w.wuxing, 2, day(2), through, "YOUTH_GUIDANCE")
	c1 := certify(c, w.nanxun, 4, day(1), through, "LEGAL_AID")
	w.apply(t, d.by, w.wuxing, "LEGAL_AID")
	if _, err := w.svc.Reject(ctx, w.wuxingAdmin, w.apply(t, e.by, w.wuxing, "LEGAL_AID").ID, "材料不全"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Suspend(ctx, w.wuxingAdmin, certify(s, w.wuxing, 3, day(1), through, "LEGAL_AID").ID, "投诉"); err != nil {
		t.Fatal(err)
	}
	certify(x, w.wuxing, 3, day(1), day(2), "LEGAL_AID") // valid through 2 March: expired on the 3rd
	certify(n, w.wuxing, 3, day(20), through, "LEGAL_AID")
	certify(so, w.wuxing, 3, day(1), through, "LEGAL_AID")
	if err := w.db.Exec(`UPDATE organizations SET status = 'suspended' WHERE id = ?`, so.ID).Error; err != nil {
		t.Fatal(err)
	}
	w.clock.Set(civil.NewDate(2026, time.March, 3).StartInChina().Add(time.Hour)) // 3 March in China: G has expired

	tests := []struct {
		name   string
		filter org.CapableFilter
		want   []int64 // organizations, in order
		total  int64
	}{
		{"everything", org.CapableFilter{}, []int64{a.ID, b.ID, c.ID}, 3},
		{"吴兴", org.CapableFilter{DistrictID: w.wuxing}, []int64{a.ID, b.ID}, 2},
		{"南浔", org.CapableFilter{DistrictID: w.nanxun}, []int64{a.ID, c.ID}, 2},
		{"legal aid in 吴兴", org.CapableFilter{DistrictID: w.wuxing, Category: "LEGAL_AID"}, []int64{a.ID}, 1},
		{"youth guidance", org.CapableFilter{Category: "YOUTH_GUIDANCE"}, []int64{b.ID}, 1},
		{"unknown category", org.CapableFilter{Category: "ASTROLOGY"}, nil, 0},
		{"阳光 anywhere in the name", org.CapableFilter{Q: "阳光"}, []int64{a.ID, c.ID}, 2},
		{"阳光 in 南浔", org.CapableFilter{Q: " 阳光 ", DistrictID: w.nanxun}, []int64{a.ID, c.ID}, 2},
		{"社会工作", org.CapableFilter{Q: "社会工作"}, []int64{a.ID}, 1},
		{"a literal percent sign", org.CapableFilter{Q: "100%"}, []int64{b.ID}, 1},
		{"percent is not a wildcard", org.CapableFilter{Q: "%"}, []int64{b.ID}, 1},
		{"underscore is not a wildcard", org.CapableFilter{Q: "%_"}, []int64{b.ID}, 1},
		{"underscore alone", org.CapableFilter{Q: "吴_"}, nil, 0},
		{"backslash", org.CapableFilter{Q: `\`}, nil, 0},
		{"case-insensitive latin", org.CapableFilter{Q: "a 吴兴"}, []int64{a.ID}, 1},
		{"hidden organizations are not found by name", org.CapableFilter{Q: "社工"}, nil, 0},
		{"first page of two", org.CapableFilter{PerPage: 2}, []int64{a.ID, b.ID}, 3},
		{"second page of two", org.CapableFilter{PerPage: 2, Page: 2}, []int64{c.ID}, 3},
		{"past the end", org.CapableFilter{PerPage: 2, Page: 5}, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			page, err := w.svc.PublicCapable(ctx, tt.filter)
			if err != nil {
				t.Fatalf("PublicCapable() error = %v, want nil", err)
			}
			var ids []int64
			for _, o := range page.Items {
				ids = append(ids, o.ID)
			}
			if !cmp.Equal(tt.want, ids) || page.Total != tt.total {
				t.Errorf("PublicCapable() = %v of %d, want %v of %d", ids, page.Total, tt.want, tt.total)
			}
			if page.Items == nil {
				t.Errorf("PublicCapable() items = nil, want an empty list")
			}
			if f := tt.filter; f.Q == "" && f.Page == 0 && f.PerPage == 0 {
				// The unpaged names are the same directory.
				names, err := w.svc.CapableNames(ctx, f.DistrictID, f.Category)
				var got []int64
				for _, o := range names {
					got = append(got, o.ID)
				}
				if err != nil || !cmp.Equal(tt.want, got) {
					t.Errorf("CapableNames() = %v, %v; want %v", got, err, tt.want)
				}
			}
		})
	}

	// Each organization lists its active certifications matching the filter, in full.
	page, err := w.svc.PublicCapable(ctx, org.CapableFilter{})
	if err != nil {
		t.Fatal(err)
	}
	five := 5 // verified as declared
	want := []org.CapableOrg{
		{ID: a.ID, LegalName: a.LegalName, CreditCode: a.CreditCode, OrgType: org.SocialServiceInstitution, DistrictID: w.wuxing,
			StaffCount: 12, CertifiedSocialWorkers: 5, Certifications: []org.ActiveCertification{
				{ID: a1.ID, DistrictID: w.wuxing, Categories: []string{"ELDERLY_HOME_CARE", "LEGAL_AID"}, Grade: 5, VerifiedSocialWorkers: &five, ValidFrom: day(1), ValidThrough: through},
				{ID: a2.ID, DistrictID: w.nanxun, Categories: []string{"LEGAL_AID"}, Grade: 3, VerifiedSocialWorkers: &five, ValidFrom: day(1), ValidThrough: through},
			}},
		{ID: b.ID, LegalName: b.LegalName, CreditCode: b.CreditCode, OrgType: org.SocialServiceInstitution, DistrictID: w.wuxing,
			StaffCount: 12, CertifiedSocialWorkers: 5, Certifications: []org.ActiveCertification{
				{ID: b1.ID, DistrictID: w.wuxing, Categories: []string{"YOUTH_GUIDANCE"}, Grade: 2, VerifiedSocialWorkers: &five, ValidFrom: day(2), ValidThrough: through},
			}},
		{ID: c.ID, LegalName: c.LegalName, CreditCode: c.CreditCode, OrgType: org.SocialServiceInstitution, DistrictID: w.nanxun,
			StaffCount: 12, CertifiedSocialWorkers: 5, Certifications: []org.ActiveCertification{
				{ID: c1.ID, DistrictID: w.nanxun, Categories: []string{"LEGAL_AID"}, Grade: 4, VerifiedSocialWorkers: &five, ValidFrom: day(1), ValidThrough: through},
			}},
	}
	if diff := cmp.Diff(org.Page[org.CapableOrg]{Items: want, Total: 3, Page: 1, PerPage: 20}, page); diff != "" {
		t.Errorf("PublicCapable() mismatch (-want +got):\n%s", diff)
	}
	filtered, err := w.svc.PublicCapable(ctx, org.CapableFilter{DistrictID: w.nanxun, Category: "LEGAL_AID"})
	if err != nil || len(filtered.Items) != 2 || !cmp.Equal(filtered.Items[0].Certifications, want[0].Certifications[1:]) {
		t.Errorf("PublicCapable(南浔, LEGAL_AID) = %+v, %v; want A with only its 南浔 certification", filtered.Items, err)
	}

	// Nothing about the hidden certifications reaches the JSON either.
	raw, err := json.Marshal(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, hidden := range []string{"待审核", "已驳回", "已暂停", "已过期", "尚未生效", "机构被暂停", "pending", "statement", "reason"} {
		if strings.Contains(string(raw), hidden) {
			t.Errorf("PublicCapable() JSON mentions %q: %s", hidden, raw)
		}
	}
	if !strings.Contains(string(raw), `"valid_through":"2027-02-28"`) {
		t.Errorf("PublicCapable() JSON = %s, want dates as YYYY-MM-DD", raw)
	}
}

func TestPublicCapablePaging(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCertWorld(t)
	through := civil.NewDate(2027, time.February, 28)
	var all []int64
	for i := range 105 {
		o, by := w.signup(t, creditCode(t, fmt.Sprintf("5233050%010d", 100+i)), fmt.Sprintf("社工机构%03d", i), w.wuxing, fmt.Sprintf("org-%03d", i))
		w.approve(t, w.wuxingAdmin, w.apply(t, by, w.wuxing, "LEGAL_AID").ID, 3, day(1), through)
		all = append(all, o.ID)
	}
	tests := []struct {
		name          string
		filter        org.CapableFilter
		from, to      int // slice of all
		page, perPage int
	}{
		{"default page size", org.CapableFilter{}, 0, 20, 1, 20},
		{"third page of 20", org.CapableFilter{Page: 3}, 40, 60, 3, 20},
		{"at most 100", org.CapableFilter{PerPage: 500}, 0, 100, 1, 100},
		{"the rest", org.CapableFilter{PerPage: 100, Page: 2}, 100, 105, 2, 100},
		{"page 0 is page 1", org.CapableFilter{Page: 0, PerPage: 10}, 0, 10, 1, 10},
		{"negative page size is the default", org.CapableFilter{Page: -3, PerPage: -1}, 0, 20, 1, 20},
		{"search within pages", org.CapableFilter{Q: "机构10", PerPage: 3, Page: 2}, 103, 105, 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			page, err := w.svc.PublicCapable(ctx, tt.filter)
			if err != nil {
				t.Fatalf("PublicCapable() error = %v", err)
			}
			var ids []int64
			for _, o := range page.Items {
				ids = append(ids, o.ID)
			}
			total := int64(len(all))
			if tt.filter.Q != "" {
				total = 5
			}
			if !cmp.Equal(all[tt.from:tt.to], ids) || page.Total != total || page.Page != tt.page || page.PerPage != tt.perPage {
				t.Errorf("PublicCapable() = %v (page %d of %d, total %d), want %v (page %d of %d, total %d)",
					ids, page.Page, page.PerPage, page.Total, all[tt.from:tt.to], tt.page, tt.perPage, total)
			}
		})
	}
	names, err := w.svc.CapableNames(ctx, w.wuxing, "LEGAL_AID")
	var got []int64
	for _, o := range names {
		got = append(got, o.ID)
	}
	if err != nil || !cmp.Equal(all, got) {
		t.Errorf("CapableNames() = %d organizations, %v; want all %d, unpaged, in name order", len(got), err, len(all))
	}
	if _, err := w.svc.PublicCapable(ctx, org.CapableFilter{Q: strings.Repeat("阳", 101)}); err == nil {
		t.Errorf("PublicCapable(long q) error = nil, want apperr.Invalid")
	} else {
		apperrtest.WantInvalid(t, err, "q")
	}
	if _, err := w.svc.PublicCapable(ctx, org.CapableFilter{Page: 1 << 40}); err == nil {
		t.Errorf("PublicCapable(huge page) error = nil, want apperr.Invalid")
	} else {
		apperrtest.WantInvalid(t, err, "page")
	}
}
