package access_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/access"
)

// The subdistrict scope is decided once: the platform admin reads every
// subdistrict's records, a district admin its district's, a subdistrict's
// officers their own, and no other role any (an evaluator reads its
// committees' tenders, an organization its own records, by their own rules).
func TestSubdistricts(t *testing.T) {
	t.Parallel()
	scope := access.Scope{DistrictID: 7, SubdistrictID: 70, OrganizationID: 700}
	tests := []struct {
		role     access.Role
		want     access.Subdistricts
		wantCond string
		wantArgs []any
	}{
		{access.PlatformAdmin, access.Subdistricts{All: true}, "TRUE", nil},
		{access.DistrictAdmin, access.Subdistricts{DistrictID: 7}, "t.subdistrict_id IN (SELECT id FROM subdistricts WHERE district_id = ?)", []any{int64(7)}},
		{access.ProcurementOfficer, access.Subdistricts{SubdistrictID: 70}, "t.subdistrict_id = ?", []any{int64(70)}},
		{access.FinanceOfficer, access.Subdistricts{SubdistrictID: 70}, "t.subdistrict_id = ?", []any{int64(70)}},
		{access.Evaluator, access.Subdistricts{}, "FALSE", nil},
		{access.OrgAdmin, access.Subdistricts{}, "FALSE", nil},
		{access.OrgMember, access.Subdistricts{}, "FALSE", nil},
		{access.Resident, access.Subdistricts{}, "FALSE", nil},
		{access.System, access.Subdistricts{}, "FALSE", nil},
		{"", access.Subdistricts{}, "FALSE", nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			got := access.Actor{UserID: 1, Role: tt.role, Scope: scope}.Subdistricts()
			if got != tt.want {
				t.Errorf("Subdistricts() = %+v, want %+v", got, tt.want)
			}
			cond, args := got.Where("t.subdistrict_id")
			if cond != tt.wantCond || !cmp.Equal(args, tt.wantArgs) {
				t.Errorf("Where() = %q %v, want %q %v", cond, args, tt.wantCond, tt.wantArgs)
			}
			// The staff who read subdistrict records are exactly the roles with a scope.
			if staff := slices.Contains(access.SubdistrictStaff, tt.role); staff != (got != access.Subdistricts{}) {
				t.Errorf("role %q in SubdistrictStaff = %v, but its Subdistricts are %+v", tt.role, staff, got)
			}
		})
	}
}
