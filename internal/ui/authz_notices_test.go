package ui_test

import (
	"net/url"
	"testing"
)

// pgNoticeMatrix covers the settings page's form of e-mail choices per
// notification kind: every signed-in user's own; a mode that is not one is
// refused (400) with nothing written.
var pgNoticeMatrix = map[string]pgGroup{
	"mail notices": {rows: []pgRow{
		{method: "POST", route: "/settings/notices", want: pgSignedInWrite,
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"mode_contract_signed": {"off"}, "mode_tender_published": {"immediate"}}
			}},
		{method: "POST", route: "/settings/notices", note: "not a mode", want: pgSignedInBad,
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"mode_contract_signed": {"weekly"}}
			}},
		{method: "POST", route: "/settings/notices", note: "not a kind", want: pgSignedInBad,
			form: func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"mode_no_such_kind": {"off"}} }},
	}},
}
