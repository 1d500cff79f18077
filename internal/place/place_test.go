package place_test

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
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

var (
	start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	admin = access.Actor{UserID: 1, Username: "admin", Role: access.PlatformAdmin, RequestID: "req-admin"}
)

// world is one district (吴兴区) with subdistricts A and B, two communities in A
// and one in B, plus a second district with nothing in it.
type world struct {
	db    *gorm.DB
	clock *clock.Manual
	svc   *place.Service

	district, otherDistrict place.District
	a, b                    place.Subdistrict
	a1, a2, b1              place.Community

	officerA, officerB, districtAdmin, otherDistrictAdmin access.Actor
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: dbtest.New(t), clock: clock.NewManual(start)}
	w.svc = place.NewService(w.db, w.clock)
	var err error
	must := func(what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	w.district, err = w.svc.CreateDistrict(ctx, admin, place.DistrictInput{Code: "330502", NameZh: "吴兴区", NameEn: "Wuxing"})
	must("CreateDistrict")
	w.otherDistrict, err = w.svc.CreateDistrict(ctx, admin, place.DistrictInput{Code: "330503", NameZh: "南浔区"})
	must("CreateDistrict other")
	w.a, err = w.svc.CreateSubdistrict(ctx, admin, place.SubdistrictInput{DistrictID: w.district.ID, Code: "330502001", NameZh: "月河街道"})
	must("CreateSubdistrict A")
	w.b, err = w.svc.CreateSubdistrict(ctx, admin, place.SubdistrictInput{DistrictID: w.district.ID, Code: "330502002", NameZh: "朝阳街道"})
	must("CreateSubdistrict B")
	w.a1, err = w.svc.CreateCommunity(ctx, admin, place.CommunityInput{SubdistrictID: w.a.ID, Code: "330502001001", NameZh: "马军巷社区", Households: 999})
	must("CreateCommunity A1")
	w.a2, err = w.svc.CreateCommunity(ctx, admin, place.CommunityInput{SubdistrictID: w.a.ID, Code: "330502001002", NameZh: "衣裳街社区", Households: 2000})
	must("CreateCommunity A2")
	w.b1, err = w.svc.CreateCommunity(ctx, admin, place.CommunityInput{SubdistrictID: w.b.ID, Code: "330502002001", NameZh: "龙溪社区", Households: 2001})
	must("CreateCommunity B1")

	w.officerA = access.Actor{UserID: 2, Username: "officer-a", Role: access.ProcurementOfficer,
		Scope: access.Scope{DistrictID: w.district.ID, SubdistrictID: w.a.ID}}
	w.officerB = access.Actor{UserID: 3, Username: "officer-b", Role: access.ProcurementOfficer,
		Scope: access.Scope{DistrictID: w.district.ID, SubdistrictID: w.b.ID}}
	w.districtAdmin = access.Actor{UserID: 4, Username: "district", Role: access.DistrictAdmin,
		Scope: access.Scope{DistrictID: w.district.ID}}
	w.otherDistrictAdmin = access.Actor{UserID: 5, Username: "other-district", Role: access.DistrictAdmin,
		Scope: access.Scope{DistrictID: w.otherDistrict.ID}}
	return w
}

func (w *world) count(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := w.db.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (w *world) audited(t *testing.T, action string) int64 {
	t.Helper()
	return w.count(t, `SELECT count(*) FROM audit_entries WHERE action = ?`, action)
}

// snapshot is every place row and the audit trail's length, to prove a refused
// write changed nothing.
type snapshot struct {
	Districts    []place.District
	Subdistricts []place.Subdistrict
	Communities  []place.Community
	Audit        int64
}

func (w *world) snapshot(t *testing.T) snapshot {
	t.Helper()
	var s snapshot
	for _, q := range []struct {
		dst   any
		table string
	}{{&s.Districts, "districts"}, {&s.Subdistricts, "subdistricts"}, {&s.Communities, "communities"}} {
		if err := w.db.Table(q.table).Order("id").Find(q.dst).Error; err != nil {
			t.Fatalf("read %s: %v", q.table, err)
		}
	}
	s.Audit = w.count(t, `SELECT count(*) FROM audit_entries`)
	return s
}

func (w *world) unchanged(t *testing.T, before snapshot) {
	t.Helper()
	if diff := cmp.Diff(before, w.snapshot(t)); diff != "" {
		t.Errorf("a refused write changed the database (-before +after):\n%s", diff)
	}
}

func codes(cs []place.Community) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Code
	}
	return out
}

func TestCommunityScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	all := []string{"330502001001", "330502001002", "330502002001"}
	tests := []struct {
		name    string
		by      access.Actor
		visible []string // codes, in order
	}{
		{"platform admin", admin, all},
		{"district admin", w.districtAdmin, all},
		// An evaluator reads its committees' tenders, no subdistrict's records (access.Actor.Subdistricts).
		{"evaluator of the district", access.Actor{UserID: 6, Role: access.Evaluator, Scope: access.Scope{DistrictID: w.district.ID}}, nil},
		{"district admin of another district", w.otherDistrictAdmin, nil},
		{"officer of A", w.officerA, []string{"330502001001", "330502001002"}},
		{"finance officer of A", access.Actor{UserID: 7, Role: access.FinanceOfficer, Scope: access.Scope{DistrictID: w.district.ID, SubdistrictID: w.a.ID}}, []string{"330502001001", "330502001002"}},
		{"officer of B", w.officerB, []string{"330502002001"}},
		{"org admin", access.Actor{UserID: 8, Role: access.OrgAdmin, Scope: access.Scope{OrganizationID: 1}}, nil},
		{"org member", access.Actor{UserID: 9, Role: access.OrgMember, Scope: access.Scope{OrganizationID: 1}}, nil},
		{"resident", access.Actor{UserID: 10, Role: access.Resident}, nil},
		{"anonymous", access.Anonymous("req", "127.0.0.1"), nil},
	}
	byCode := map[string]place.Community{w.a1.Code: w.a1, w.a2.Code: w.a2, w.b1.Code: w.b1}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := w.svc.ListCommunities(ctx, tt.by)
			if err != nil {
				t.Fatalf("ListCommunities() error = %v, want nil", err)
			}
			if diff := cmp.Diff(tt.visible, codes(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ListCommunities() codes mismatch (-want +got):\n%s", diff)
			}
			for code, c := range byCode {
				got, err := w.svc.GetCommunity(ctx, tt.by, c.ID)
				if slices.Contains(tt.visible, code) {
					if err != nil || got.ID != c.ID || got.Households != c.Households {
						t.Errorf("GetCommunity(%s) = %+v, %v; want the community", code, got, err)
					}
				} else if !errors.Is(err, apperr.ErrNotFound) {
					t.Errorf("GetCommunity(%s) error = %v, want %v", code, err, apperr.ErrNotFound)
				}
			}
		})
	}
	t.Run("missing id", func(t *testing.T) {
		t.Parallel()
		if _, err := w.svc.GetCommunity(ctx, admin, 999999); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("GetCommunity(999999) error = %v, want %v", err, apperr.ErrNotFound)
		}
	})
}

func TestUpdateCommunity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("officer of another subdistrict", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		before := w.snapshot(t)
		for _, by := range []access.Actor{w.officerA, w.otherDistrictAdmin,
			{UserID: 8, Role: access.OrgAdmin, Scope: access.Scope{OrganizationID: 1}}} {
			_, err := w.svc.UpdateCommunity(ctx, by, w.b1.ID, place.CommunityInput{Code: w.b1.Code, NameZh: "改名社区", Households: 1})
			if !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("UpdateCommunity(B1) by %s error = %v, want %v", by.Username, err, apperr.ErrNotFound)
			}
		}
		w.unchanged(t, before)
	})

	t.Run("own community", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.clock.Advance(time.Hour)
		got, err := w.svc.UpdateCommunity(ctx, w.officerB, w.b1.ID, place.CommunityInput{
			SubdistrictID: w.a.ID, // ignored: a community does not move
			Code:          w.b1.Code, NameZh: " 龙溪新村社区 ", NameEn: "Longxi", Households: 2500,
		})
		if err != nil {
			t.Fatalf("UpdateCommunity() error = %v, want nil", err)
		}
		stored, err := w.svc.GetCommunity(ctx, admin, w.b1.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := w.b1
		want.NameZh, want.NameEn, want.Households = "龙溪新村社区", "Longxi", 2500
		// UpdatedAt has its own test, TestUpdatesUseTheClock.
		for name, c := range map[string]place.Community{"returned": got, "stored": stored} {
			if diff := cmp.Diff(want, c, cmp.Comparer(time.Time.Equal), cmpopts.IgnoreFields(place.Community{}, "UpdatedAt")); diff != "" {
				t.Errorf("UpdateCommunity() %s mismatch (-want +got):\n%s", name, diff)
			}
		}
		if n := w.audited(t, "community.update"); n != 1 {
			t.Errorf("community.update audit entries = %d, want 1", n)
		}
	})

	t.Run("district admin", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		if _, err := w.svc.UpdateCommunity(ctx, w.districtAdmin, w.a1.ID, place.CommunityInput{Code: w.a1.Code, NameZh: w.a1.NameZh, Households: 1000}); err != nil {
			t.Fatalf("UpdateCommunity() error = %v, want nil", err)
		}
		if got, _ := w.svc.GetCommunity(ctx, admin, w.a1.ID); got.Households != 1000 {
			t.Errorf("households after UpdateCommunity() = %d, want 1000", got.Households)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		before := w.snapshot(t)
		tests := []struct {
			field string
			in    place.CommunityInput
		}{
			{"households", place.CommunityInput{Code: w.a1.Code, NameZh: "马军巷社区", Households: -1}},
			{"code", place.CommunityInput{Code: "33050200100", NameZh: "马军巷社区", Households: 1}},
			{"name_zh", place.CommunityInput{Code: w.a1.Code, NameZh: "   ", Households: 1}},
		}
		for _, tt := range tests {
			_, err := w.svc.UpdateCommunity(ctx, w.officerA, w.a1.ID, tt.in)
			apperrtest.WantInvalid(t, err, tt.field)
		}
		w.unchanged(t, before)
	})

	t.Run("duplicate", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		before := w.snapshot(t)
		for _, in := range []place.CommunityInput{
			{Code: w.a2.Code, NameZh: "马军巷社区", Households: 1},     // another community's code
			{Code: w.a1.Code, NameZh: w.a2.NameZh, Households: 1}, // a sibling's name
		} {
			if _, err := w.svc.UpdateCommunity(ctx, w.officerA, w.a1.ID, in); !errors.Is(err, place.ErrDuplicate) {
				t.Errorf("UpdateCommunity(%+v) error = %v, want %v", in, err, place.ErrDuplicate)
			}
		}
		w.unchanged(t, before)
	})
}

func TestCreateCommunity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("officer creates in its own subdistrict", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		// The officer's subdistrict is filled in when none is given.
		c, err := w.svc.CreateCommunity(ctx, w.officerA, place.CommunityInput{Code: "330502001003", NameZh: " 新社区 ", Households: 0})
		if err != nil {
			t.Fatalf("CreateCommunity() error = %v, want nil", err)
		}
		if c.ID == 0 || c.SubdistrictID != w.a.ID || c.NameZh != "新社区" || !c.CreatedAt.Equal(start) {
			t.Errorf("CreateCommunity() = %+v, want an id, subdistrict %d, the trimmed name and the clock's time", c, w.a.ID)
		}
		got, err := w.svc.GetCommunity(ctx, w.officerA, c.ID)
		if err != nil || got.Code != "330502001003" {
			t.Errorf("GetCommunity(new) = %+v, %v; want the new community", got, err)
		}
		if _, err := w.svc.GetCommunity(ctx, w.officerB, c.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("GetCommunity(new) by officer B error = %v, want %v", err, apperr.ErrNotFound)
		}
		var e audit.Entry
		if err := w.db.Where("action = ? AND entity_id = ?", "community.create", strconv.FormatInt(c.ID, 10)).Take(&e).Error; err != nil {
			t.Fatalf("community.create audit entry for %d: %v", c.ID, err)
		}
		if e.ActorName != "officer-a" || e.ActorRole != "procurement_officer" || e.EntityType != "community" {
			t.Errorf("audit entry actor/role/type = %q/%q/%q, want officer-a/procurement_officer/community", e.ActorName, e.ActorRole, e.EntityType)
		}
	})

	t.Run("roles outside the subdistricts refused", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		before := w.snapshot(t)
		for _, by := range []access.Actor{w.districtAdmin, w.otherDistrictAdmin,
			{UserID: 9, Username: "org", Role: access.OrgAdmin, Scope: access.Scope{OrganizationID: 1}}} {
			_, err := w.svc.CreateCommunity(ctx, by, place.CommunityInput{SubdistrictID: w.b.ID, Code: "330502002010", NameZh: "越权社区", Households: 1})
			if !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("CreateCommunity() by %s error = %v, want %v", by.Username, err, apperr.ErrForbidden)
			}
		}
		w.unchanged(t, before)
	})

	t.Run("officer refused another subdistrict", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		before := w.snapshot(t)
		_, err := w.svc.CreateCommunity(ctx, w.officerA, place.CommunityInput{SubdistrictID: w.b.ID, Code: "330502002009", NameZh: "越界社区", Households: 1})
		apperrtest.WantInvalid(t, err, "subdistrict_id")
		w.unchanged(t, before)
	})

	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		before := w.snapshot(t)
		long := strings.Repeat("x", 201)
		tests := []struct {
			name  string
			field string
			in    place.CommunityInput
		}{
			{"negative households", "households", place.CommunityInput{SubdistrictID: w.a.ID, Code: "330502001009", NameZh: "社区", Households: -1}},
			{"too many households", "households", place.CommunityInput{SubdistrictID: w.a.ID, Code: "330502001009", NameZh: "社区", Households: 1_000_001}},
			{"11-digit code", "code", place.CommunityInput{SubdistrictID: w.a.ID, Code: "33050200100", NameZh: "社区"}},
			{"13-digit code", "code", place.CommunityInput{SubdistrictID: w.a.ID, Code: "3305020010091", NameZh: "社区"}},
			{"letters in code", "code", place.CommunityInput{SubdistrictID: w.a.ID, Code: "33050200100A", NameZh: "社区"}},
			{"empty code", "code", place.CommunityInput{SubdistrictID: w.a.ID, NameZh: "社区"}},
			{"blank name", "name_zh", place.CommunityInput{SubdistrictID: w.a.ID, Code: "330502001009", NameZh: " \t"}},
			{"long English name", "name_en", place.CommunityInput{SubdistrictID: w.a.ID, Code: "330502001009", NameZh: "社区", NameEn: long}},
			{"no subdistrict", "subdistrict_id", place.CommunityInput{Code: "330502001009", NameZh: "社区"}},
			{"unknown subdistrict", "subdistrict_id", place.CommunityInput{SubdistrictID: 999999, Code: "330502001009", NameZh: "社区"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := w.svc.CreateCommunity(ctx, admin, tt.in)
				apperrtest.WantInvalid(t, err, tt.field)
			})
		}
		w.unchanged(t, before)
	})

	t.Run("duplicate", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		before := w.snapshot(t)
		tests := []struct {
			name string
			in   place.CommunityInput
		}{
			{"code in another subdistrict", place.CommunityInput{SubdistrictID: w.b.ID, Code: w.a1.Code, NameZh: "另一个社区"}},
			{"name in the same subdistrict", place.CommunityInput{SubdistrictID: w.a.ID, Code: "330502001009", NameZh: w.a1.NameZh}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := w.svc.CreateCommunity(ctx, admin, tt.in); !errors.Is(err, place.ErrDuplicate) {
					t.Errorf("CreateCommunity() error = %v, want %v", err, place.ErrDuplicate)
				}
			})
		}
		w.unchanged(t, before)
		// The same name in another subdistrict is fine.
		if _, err := w.svc.CreateCommunity(ctx, admin, place.CommunityInput{SubdistrictID: w.b.ID, Code: "330502002009", NameZh: w.a1.NameZh}); err != nil {
			t.Errorf("CreateCommunity(same name, other subdistrict) error = %v, want nil", err)
		}
	})
}

func TestDistrictsAndSubdistricts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)

	for action, want := range map[string]int64{"district.create": 2, "subdistrict.create": 2, "community.create": 3} {
		if n := w.audited(t, action); n != want {
			t.Errorf("%s audit entries = %d, want %d", action, n, want)
		}
	}

	ds, err := w.svc.ListDistricts(ctx)
	if err != nil || len(ds) != 2 || ds[0].Code != "330502" || ds[1].Code != "330503" {
		t.Errorf("ListDistricts() = %+v, %v; want 330502 and 330503", ds, err)
	}
	subs, err := w.svc.ListSubdistricts(ctx, w.district.ID)
	if err != nil || len(subs) != 2 || subs[0].ID != w.a.ID || subs[1].ID != w.b.ID {
		t.Errorf("ListSubdistricts(district) = %+v, %v; want A and B", subs, err)
	}
	if subs, err := w.svc.ListSubdistricts(ctx, w.otherDistrict.ID); err != nil || len(subs) != 0 {
		t.Errorf("ListSubdistricts(other district) = %+v, %v; want none", subs, err)
	}
	if _, err := w.svc.GetDistrict(ctx, 999999); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("GetDistrict(999999) error = %v, want %v", err, apperr.ErrNotFound)
	}
	if _, err := w.svc.GetSubdistrict(ctx, 999999); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("GetSubdistrict(999999) error = %v, want %v", err, apperr.ErrNotFound)
	}

	before := w.snapshot(t)
	refused := []struct {
		name  string
		call  func() error
		field string // empty: want ErrDuplicate
	}{
		{"district bad code", func() error {
			_, err := w.svc.CreateDistrict(ctx, admin, place.DistrictInput{Code: "33050", NameZh: "区"})
			return err
		}, "code"},
		{"district no name", func() error {
			_, err := w.svc.CreateDistrict(ctx, admin, place.DistrictInput{Code: "330504"})
			return err
		}, "name_zh"},
		{"district duplicate code", func() error {
			_, err := w.svc.CreateDistrict(ctx, admin, place.DistrictInput{Code: "330502", NameZh: "重复区"})
			return err
		}, ""},
		{"subdistrict bad code", func() error {
			_, err := w.svc.CreateSubdistrict(ctx, admin, place.SubdistrictInput{DistrictID: w.district.ID, Code: "3305020010", NameZh: "街道"})
			return err
		}, "code"},
		{"subdistrict unknown district", func() error {
			_, err := w.svc.CreateSubdistrict(ctx, admin, place.SubdistrictInput{DistrictID: 999999, Code: "330502009", NameZh: "街道"})
			return err
		}, "district_id"},
		{"subdistrict duplicate code", func() error {
			_, err := w.svc.CreateSubdistrict(ctx, admin, place.SubdistrictInput{DistrictID: w.otherDistrict.ID, Code: w.a.Code, NameZh: "街道"})
			return err
		}, ""},
		{"subdistrict duplicate name in district", func() error {
			_, err := w.svc.CreateSubdistrict(ctx, admin, place.SubdistrictInput{DistrictID: w.district.ID, Code: "330502009", NameZh: w.a.NameZh})
			return err
		}, ""},
		{"update district to a used code", func() error {
			_, err := w.svc.UpdateDistrict(ctx, admin, w.otherDistrict.ID, place.DistrictInput{Code: "330502", NameZh: "南浔区"})
			return err
		}, ""},
		{"update subdistrict to a used code", func() error {
			_, err := w.svc.UpdateSubdistrict(ctx, admin, w.b.ID, place.SubdistrictInput{Code: w.a.Code, NameZh: w.b.NameZh})
			return err
		}, ""},
		{"update subdistrict bad code", func() error {
			_, err := w.svc.UpdateSubdistrict(ctx, admin, w.b.ID, place.SubdistrictInput{Code: "x", NameZh: w.b.NameZh})
			return err
		}, "code"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.field == "" {
				if !errors.Is(err, place.ErrDuplicate) {
					t.Errorf("error = %v, want %v", err, place.ErrDuplicate)
				}
				return
			}
			apperrtest.WantInvalid(t, err, tt.field)
		})
	}
	w.unchanged(t, before)
	if _, err := w.svc.UpdateDistrict(ctx, admin, 999999, place.DistrictInput{Code: "330599", NameZh: "无"}); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("UpdateDistrict(999999) error = %v, want %v", err, apperr.ErrNotFound)
	}

	d, err := w.svc.UpdateDistrict(ctx, admin, w.otherDistrict.ID, place.DistrictInput{Code: "330503", NameZh: "南浔区", NameEn: "Nanxun"})
	if err != nil || d.NameEn != "Nanxun" {
		t.Errorf("UpdateDistrict() = %+v, %v; want NameEn Nanxun", d, err)
	}
	s, err := w.svc.UpdateSubdistrict(ctx, admin, w.b.ID, place.SubdistrictInput{DistrictID: w.otherDistrict.ID, Code: w.b.Code, NameZh: "朝阳街道", NameEn: "Chaoyang"})
	if err != nil || s.DistrictID != w.district.ID || s.NameEn != "Chaoyang" {
		t.Errorf("UpdateSubdistrict() = %+v, %v; want NameEn Chaoyang, still in district %d", s, err, w.district.ID)
	}
	for _, action := range []string{"district.update", "subdistrict.update"} {
		if n := w.audited(t, action); n != 1 {
			t.Errorf("%s audit entries = %d, want 1", action, n)
		}
	}
	if _, err := audit.IntegrateAll(ctx, w.db); err != nil { // as the sequencer does
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, w.db)
	if err != nil || rep.Broken != nil || rep.Entries != 9 {
		t.Errorf("Verify() = %+v, %v; want 9 entries, no break", rep, err)
	}
}

// TestUpdatesUseTheClock checks that every update stamps updated_at from the
// injected clock, in the returned value and in the row.
func TestUpdatesUseTheClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	later := start.Add(36 * time.Hour)
	w.clock.Set(later)
	tests := []struct {
		name  string
		table string
		id    int64
		call  func() (time.Time, error)
	}{
		{"UpdateDistrict", "districts", w.district.ID, func() (time.Time, error) {
			d, err := w.svc.UpdateDistrict(ctx, admin, w.district.ID, place.DistrictInput{Code: w.district.Code, NameZh: w.district.NameZh, NameEn: "Wuxing District"})
			return d.UpdatedAt, err
		}},
		{"UpdateSubdistrict", "subdistricts", w.a.ID, func() (time.Time, error) {
			s, err := w.svc.UpdateSubdistrict(ctx, admin, w.a.ID, place.SubdistrictInput{Code: w.a.Code, NameZh: w.a.NameZh, NameEn: "Yuehe"})
			return s.UpdatedAt, err
		}},
		{"UpdateCommunity", "communities", w.a1.ID, func() (time.Time, error) {
			c, err := w.svc.UpdateCommunity(ctx, w.officerA, w.a1.ID, place.CommunityInput{Code: w.a1.Code, NameZh: w.a1.NameZh, Households: 1200})
			return c.UpdatedAt, err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call()
			if err != nil {
				t.Fatalf("%s() error = %v, want nil", tt.name, err)
			}
			if !got.Equal(later) {
				t.Errorf("%s() UpdatedAt = %v, want the clock's %v", tt.name, got, later)
			}
			var stored time.Time
			if err := w.db.Raw("SELECT updated_at FROM "+tt.table+" WHERE id = ?", tt.id).Scan(&stored).Error; err != nil {
				t.Fatal(err)
			}
			if !stored.Equal(later) {
				t.Errorf("%s() stored updated_at = %v, want the clock's %v", tt.name, stored, later)
			}
		})
	}
}
