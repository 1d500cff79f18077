package ui_test

import (
	"testing"

	"github.com/jiedao-market/jiedao/internal/ui"
)

// langURL sets the lang parameter of a link to a page of the site, keeping
// its other parameters and fragment, and leaves any other link alone.
func TestLangURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"/", "/?lang=en"},
		{"/catalog", "/catalog?lang=en"},
		{"/catalog?category=LEGAL_AID&page=2&q=%E5%B1%85", "/catalog?category=LEGAL_AID&page=2&q=%E5%B1%85&lang=en"},
		{"/catalog?lang=zh-CN&page=2", "/catalog?page=2&lang=en"},
		{"/organizations/7#ratings", "/organizations/7?lang=en#ratings"},
		{"/procurement?page=3#list", "/procurement?page=3&lang=en#list"},
		{"/static/app.css", "/static/app.css"},
		{"/api/v1/public/tenders", "/api/v1/public/tenders"},
		{"/lang/zh-CN?next=%2f", "/lang/zh-CN?next=%2f"},
		{"#commitment", "#commitment"},
		{"", ""},
		{"https://example.org/x", "https://example.org/x"},
		{"//example.org/x", "//example.org/x"},
		{`/\example.org/x`, `/\example.org/x`},
		{"mailto:office@example.org", "mailto:office@example.org"},
	} {
		if got := ui.LangURL(tc.in, "en"); got != tc.want {
			t.Errorf("langURL(%q, en) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
