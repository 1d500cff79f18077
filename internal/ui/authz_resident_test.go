package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// pgResidentSet is what the residents' rows address: an active contract of
// org 1 in 爱山 (A), whose records issue the rating codes.
type pgResidentSet struct {
	contract servertest.Contract
}

func pgResidentRecords(t *testing.T, f *pgFixture) {
	f.resident = &pgResidentSet{contract: f.e.ActiveContract(t)}
}

// pgRateForm rates a fresh record's code: each cell has a code of its own.
func pgRateForm(t *testing.T, f *pgFixture, i int) url.Values {
	code := ratingCode(t, f.e, f.resident.contract, fmt.Sprintf("NJ-R%02d", f.next()))
	return url.Values{"code": {code}, "timeliness": {"5"}, "professionalism": {"5"}, "attitude": {"4"}, "effectiveness": {"4"},
		"overall": {"5"}, "comment": {fmt.Sprintf("矩阵评价 %d", i)}}
}

// tm429 is the form again with an alert: too many tries from this address.
const tm429 = http.StatusTooManyRequests

// pgResidentMatrix covers the residents' public pages and their own pages.
var pgResidentMatrix = map[string]pgGroup{
	"residents": {setup: pgResidentRecords, rows: []pgRow{
		{method: "GET", route: "/rate", query: "?code=ABCDE-FGHJK", want: pgEveryone,
			scope: &pgScope{text: pgText(`value="ABCDE-FGHJK"`), shown: pgIdentities}},
		// Anyone may rate with a code, signed in or not, except the staff of
		// the record's own organization (org 1's admin and member).
		{method: "POST", route: "/rate", form: pgRateForm,
			want: pgWant{to303, to303, to303, to303, to303, to303, rf403, to303, to303, rf403, to303, to303}},
		// The one answer to a wrong code; every client calls from the test's
		// address, whose 11th wrong code in the minute is throttled.
		{method: "POST", route: "/rate", note: "an unknown code",
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				v := pgRateForm(t, f, i)
				v.Set("code", "ZZZZZ-ZZZZZ")
				return v
			},
			want: pgWant{un422, un422, un422, un422, un422, un422, un422, un422, un422, un422, tm429, tm429}},
		{method: "GET", route: "/rate/thanks", want: pgEveryone},
		{method: "GET", route: "/complaints/new", want: pgEveryone,
			scope: &pgScope{text: pgText("湖州市吴兴区康乐居家养老服务中心"), shown: pgIdentities}},
		// Anyone may complain, signed in or not (an officer for a caller).
		{method: "POST", route: "/complaints/new",
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"organization_id": {fmt.Sprint(f.org1)}, "community_id": {fmt.Sprint(f.commA)},
					"description": {fmt.Sprintf("矩阵投诉 %d", i)}}
			},
			want: pgWant{to303, to303, to303, to303, to303, to303, to303, to303, to303, to303, to303, to303}},
		{method: "POST", route: "/complaints/new", note: "no description",
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"organization_id": {fmt.Sprint(f.org1)}, "community_id": {fmt.Sprint(f.commA)}}
			},
			want: pgWant{bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}},
		{method: "GET", route: "/complaints/track", want: pgEveryone},
		{method: "GET", route: "/organizations/:id/ratings", params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.org1} }),
			want: pgEveryone},
		{method: "GET", route: "/organizations/:id/ratings", note: "no such organization", params: pgParams(999999),
			want: pgWant{nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404}},
		{method: "GET", route: "/complaints/track", note: "an unknown reference", query: "?reference=TS-0000-0000-0000",
			want: pgWant{fa404, fa404, fa404, fa404, fa404, fa404, fa404, fa404, fa404, fa404, fa404, fa404}},
	}},
}
