package catalog_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/apperr/apperrtest"
	"github.com/jiedao-market/jiedao/internal/catalog"
)

func TestAddGuidance(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	got, err := w.svc.AddGuidance(ctx, w.adminD, w.d.ID, catalog.GuidanceInput{
		CategoryCode: "ELDERLY_HOME_CARE", CatalogCode: "A01.02", Notes: "  养老服务类  "})
	if err != nil {
		t.Fatalf("AddGuidance() error = %v", err)
	}
	if got.ID == 0 || got.DistrictID != w.d.ID || got.CategoryCode != "ELDERLY_HOME_CARE" || got.CatalogCode != "A01.02" ||
		got.Notes != "养老服务类" || !got.CreatedAt.Equal(start) {
		t.Errorf("AddGuidance() = %+v, want district %d's entry A01.02 with trimmed notes", got, w.d.ID)
	}
	w.allow(t, w.adminD, "LEGAL_AID", "A09")

	for _, tc := range []struct {
		name     string
		by       access.Actor
		district int64
		in       catalog.GuidanceInput
		want     error
		fields   []string
	}{
		{"another district's admin", w.adminE, w.d.ID, catalog.GuidanceInput{CategoryCode: "CIVIL_MEDIATION", CatalogCode: "A10"}, apperr.ErrNotFound, nil},
		{"unknown district", w.adminD, w.d.ID + 1000, catalog.GuidanceInput{CategoryCode: "CIVIL_MEDIATION", CatalogCode: "A10"}, apperr.ErrNotFound, nil},
		{"procurement officer", w.officerA, w.d.ID, catalog.GuidanceInput{CategoryCode: "CIVIL_MEDIATION", CatalogCode: "A10"}, apperr.ErrForbidden, nil},
		{"platform admin", platform, w.d.ID, catalog.GuidanceInput{CategoryCode: "CIVIL_MEDIATION", CatalogCode: "A10"}, apperr.ErrForbidden, nil},
		{"evaluator", w.evaluatorD, w.d.ID, catalog.GuidanceInput{CategoryCode: "CIVIL_MEDIATION", CatalogCode: "A10"}, apperr.ErrForbidden, nil},
		{"listed category", w.adminD, w.d.ID, catalog.GuidanceInput{CategoryCode: "ELDERLY_HOME_CARE", CatalogCode: "B01"}, catalog.ErrGuidanceExists, nil},
		{"listed catalog code", w.adminD, w.d.ID, catalog.GuidanceInput{CategoryCode: "CIVIL_MEDIATION", CatalogCode: "A01.02"}, catalog.ErrGuidanceExists, nil},
		{"unknown category", w.adminD, w.d.ID, catalog.GuidanceInput{CategoryCode: "NO_SUCH_CATEGORY", CatalogCode: "A99"}, nil, []string{"category_code"}},
		{"no category", w.adminD, w.d.ID, catalog.GuidanceInput{CatalogCode: "A99"}, nil, []string{"category_code"}},
		{"bad catalog code", w.adminD, w.d.ID, catalog.GuidanceInput{CategoryCode: "CIVIL_MEDIATION", CatalogCode: "A 10"}, nil, []string{"catalog_code"}},
		{"no catalog code", w.adminD, w.d.ID, catalog.GuidanceInput{CategoryCode: "CIVIL_MEDIATION"}, nil, []string{"catalog_code"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := w.svc.AddGuidance(t.Context(), tc.by, tc.district, tc.in)
			if tc.fields != nil {
				apperrtest.WantInvalid(t, err, tc.fields...)
				return
			}
			apperrtest.WantErr(t, "AddGuidance()", err, tc.want)
		})
	}
	t.Cleanup(func() {
		// t.Context() is done by the time cleanups run.
		list, err := w.svc.ListGuidance(context.Background(), w.d.ID)
		if err != nil {
			t.Fatalf("ListGuidance() error = %v", err)
		}
		var codes []string
		for _, e := range list {
			codes = append(codes, e.CatalogCode+" "+e.CategoryCode)
		}
		if want := []string{"A01.02 ELDERLY_HOME_CARE", "A09 LEGAL_AID"}; !slices.Equal(codes, want) {
			t.Errorf("ListGuidance() = %v, want %v", codes, want)
		}
		if n := w.audited(t, "guidance.add"); n != 2 {
			t.Errorf("guidance.add audit entries = %d, want 2", n)
		}
	})
}

func TestGuidanceIsPerDistrict(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	w.allow(t, w.adminD, "ELDERLY_HOME_CARE", "A01")
	// The same category and catalog code are another district's own business.
	w.allow(t, w.adminE, "ELDERLY_HOME_CARE", "A01")

	for _, tc := range []struct {
		district int64
		want     int
	}{{w.d.ID, 1}, {w.e.ID, 1}} {
		list, err := w.svc.ListGuidance(ctx, tc.district)
		if err != nil || len(list) != tc.want || list[0].DistrictID != tc.district {
			t.Errorf("ListGuidance(%d) = %+v, %v, want %d entry of its own", tc.district, list, err, tc.want)
		}
	}
	_, err := w.svc.ListGuidance(ctx, w.e.ID+1000)
	apperrtest.WantErr(t, "ListGuidance(unknown district)", err, apperr.ErrNotFound)

	// A district with nothing listed answers an empty list, not null.
	var empty int64
	if err := w.db.Raw(`INSERT INTO districts (code, name_zh, name_en) VALUES ('330521', '德清县', 'Deqing') RETURNING id`).
		Scan(&empty).Error; err != nil {
		t.Fatalf("insert district: %v", err)
	}
	list, err := w.svc.ListGuidance(ctx, empty)
	if err != nil || list == nil || len(list) != 0 {
		t.Errorf("ListGuidance(empty district) = %#v, %v, want an empty list", list, err)
	}
}
