package ui_test

import (
	"fmt"
	"net/url"
	"testing"
)

// Wants of the e-mail pages: the settings are every signed-in user's; the
// link pages and the recovery are anyone's.
var (
	pgSignedInWrite = pgWant{login, to303, to303, to303, to303, to303, to303, to303, to303, to303, to303, to303}
	pgSignedInBad   = pgWant{login, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}
	pgEveryoneBad   = pgWant{bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}
	pgEveryoneOff   = pgWant{cf409, cf409, cf409, cf409, cf409, cf409, cf409, cf409, cf409, cf409, cf409, cf409}
)

// pgMailMatrix covers the settings page, the verification link and the
// password recovery, with e-mail off (no SMTP server in the matrix): the
// recovery says so (409), and a link that is not one is refused (400).
var pgMailMatrix = map[string]pgGroup{
	"mail": {rows: []pgRow{
		{method: "GET", route: "/settings", want: pgSignedIn},
		{method: "POST", route: "/settings", want: pgSignedInWrite,
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"email": {fmt.Sprintf("matrix%d@example.cn", i)}}
			}},
		{method: "POST", route: "/settings", note: "not an address", want: pgSignedInBad,
			form: func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"email": {"not an address"}} }},
		{method: "GET", route: "/email/verify", query: "?token=not-a-link", want: pgEveryoneBad},
		{method: "GET", route: "/password/forgot", want: pgEveryone},
		{method: "POST", route: "/password/forgot", want: pgEveryoneOff,
			form: func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"login": {"demo-officer"}} }},
		{method: "POST", route: "/password/forgot", note: "nothing entered", want: pgEveryoneBad,
			form: func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"login": {""}} }},
		{method: "GET", route: "/password/reset", query: "?token=not-a-link", want: pgEveryoneBad},
		{method: "POST", route: "/password/reset", want: pgEveryoneBad,
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"token": {"not-a-link"}, "password": {"a-new-password-1"}, "password_confirm": {"a-new-password-1"}}
			}},
	}},
}
