package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// azListIDs returns the id of every item a list returns.
func azListIDs(t *testing.T, e *servertest.Env, path, token string) []int64 {
	t.Helper()
	r := e.Do(t, servertest.Request{Method: "GET", Path: path, Token: token})
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s = %d %s, want 200", path, r.Status, r.Body)
	}
	var list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	r.JSON(t, &list)
	ids := []int64{}
	for _, it := range list.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

// TestTenantOtherDistrictAdmin creates 南浔区 and a district admin of it through
// the API as the platform admin. That admin may call the district admin's
// routes, but 吴兴区's certifications, guidance catalog, organizations,
// transfer items and fund accounts answer 404 as a missing record would, the
// lists leave them out, and no refused call writes anything.
func TestTenantOtherDistrictAdmin(t *testing.T) {
	t.Parallel()
	f := newAzFixture(t)
	e := f.e
	create := func(path string, body map[string]any) int64 { return azCreate(t, f, path, body) }
	nanxun := create("/api/v1/districts", map[string]any{"code": "330503", "name_zh": "南浔区", "name_en": "Nanxun District"})
	create("/api/v1/users", map[string]any{"username": "nanxun-district", "display_name": "南浔区民政局", "password": servertest.DemoPassword,
		"role": "district_admin", "district_id": nanxun})
	other := e.Token(t, "nanxun-district")

	// 吴兴区's records, each of a kind a district admin reaches in its own district.
	pending := e.IDOf(t, "certifications", "district_id = ? AND status = ?", f.district, "pending")
	approved := e.IDOf(t, "certifications", "organization_id = ? AND district_id = ? AND status = ?", f.org1, f.district, "approved")
	item := e.IDOf(t, "transfer_items", "subdistrict_id = ? AND status = ?", f.subA, "published")
	fund := e.IDOf(t, "fund_accounts", "subdistrict_id = ? AND source = ?", f.subA, "fiscal_budget")

	// 吴兴区's own district admin reaches each of them, so the 404s below are
	// about the district and not about the records.
	own := f.tokens["demo-district"]
	for _, path := range []string{
		fmt.Sprintf("/api/v1/certifications/%d", pending),
		fmt.Sprintf("/api/v1/certifications/%d", approved),
		fmt.Sprintf("/api/v1/organizations/%d", f.org1),
		fmt.Sprintf("/api/v1/transfer-items/%d", item),
		fmt.Sprintf("/api/v1/fund-accounts/%d", fund),
	} {
		servertest.Call(t, e, "GET", path, own, nil, http.StatusOK, nil)
	}

	auditBefore := servertest.Count(t, e, "audit_entries")
	guidanceBefore := servertest.Count(t, e, "guidance_entries")
	reason := map[string]any{"reason": "越权决定"}
	calls := []struct {
		method, path string
		body         any
		table        string
		id           int64
	}{
		{"GET", fmt.Sprintf("/api/v1/certifications/%d", pending), nil, "certifications", pending},
		{"GET", fmt.Sprintf("/api/v1/certifications/%d", approved), nil, "certifications", approved},
		{"POST", fmt.Sprintf("/api/v1/certifications/%d/approve", pending), orgApproval(e, 4), "certifications", pending},
		{"POST", fmt.Sprintf("/api/v1/certifications/%d/reject", pending), reason, "certifications", pending},
		{"POST", fmt.Sprintf("/api/v1/certifications/%d/suspend", approved), reason, "certifications", approved},
		{"POST", fmt.Sprintf("/api/v1/certifications/%d/revoke", approved), reason, "certifications", approved},
		{"POST", fmt.Sprintf("/api/v1/districts/%d/guidance-catalog", f.district),
			map[string]any{"category_code": catFreeCategory(t, e, f.district), "catalog_code": "NX-01", "notes": "越权登记"},
			"districts", f.district},
		{"GET", fmt.Sprintf("/api/v1/organizations/%d", f.org1), nil, "organizations", f.org1},
		{"PATCH", fmt.Sprintf("/api/v1/organizations/%d", f.org1), map[string]any{"contact_name": "越权"}, "organizations", f.org1},
		{"GET", fmt.Sprintf("/api/v1/transfer-items/%d", item), nil, "transfer_items", item},
		{"GET", fmt.Sprintf("/api/v1/fund-accounts/%d", fund), nil, "fund_accounts", fund},
	}
	for _, c := range calls {
		e.Refused(t, servertest.Request{Method: c.method, Path: c.path, Token: other, Body: c.body}, http.StatusNotFound, "not_found")
	}

	lists := []struct {
		path string
		ids  []int64 // 吴兴区's records the list shows its own district admin
	}{
		{"/api/v1/certifications", []int64{pending, approved}},
		{"/api/v1/organizations", []int64{f.org1, f.org2}},
		{"/api/v1/transfer-items", []int64{item}},
		{"/api/v1/fund-accounts", []int64{fund}},
	}
	for _, l := range lists {
		got := azListIDs(t, e, l.path, own)
		for _, id := range l.ids {
			if !slices.Contains(got, id) {
				t.Errorf("GET %s as demo-district = %v, want it to include %d", l.path, got, id)
			}
		}
		if got := azListIDs(t, e, l.path, other); len(got) != 0 {
			t.Errorf("GET %s as 南浔区's district admin = %v, want nothing (南浔区 has no records)", l.path, got)
		}
	}

	if n := servertest.Count(t, e, "audit_entries"); n != auditBefore {
		t.Errorf("refused calls of 南浔区's district admin: audit_entries went from %d to %d rows", auditBefore, n)
	}
	if n := servertest.Count(t, e, "guidance_entries"); n != guidanceBefore {
		t.Errorf("refused guidance-catalog entry: guidance_entries went from %d to %d rows", guidanceBefore, n)
	}

	// The account is a working district admin: it adds to its own district's catalog.
	servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/districts/%d/guidance-catalog", nanxun), other,
		map[string]any{"category_code": "ELDERLY_HOME_CARE", "catalog_code": "NX-01", "notes": "南浔区目录"}, http.StatusCreated, nil)
}
