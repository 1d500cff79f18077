package ocds_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/ocds"
)

// TestParseQuery reads the filters of the release list and the bulk file:
// days in China time, both included; every bad field is named.
func TestParseQuery(t *testing.T) {
	t.Parallel()
	q, err := ocds.ParseQuery("2026-11-01", "2026-11-30", "2", "3", "20")
	if err != nil {
		t.Fatalf("ParseQuery() error = %v", err)
	}
	from, to := time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)
	if !q.From.Equal(from) || !q.To.Equal(to) || q.SubdistrictID != 2 || q.Page != 3 || q.PerPage != 20 {
		t.Errorf("ParseQuery() = %+v, want [%s, %s) of subdistrict 2, page 3 of 20", q, from, to)
	}
	if q, err := ocds.ParseQuery("", "", "", "", ""); err != nil || !q.From.IsZero() || !q.To.IsZero() || q.Page != 1 ||
		q.PerPage != ocds.DefaultPerPage {
		t.Errorf("ParseQuery() of nothing = %+v, %v; want everything, page 1 of %d", q, err, ocds.DefaultPerPage)
	}
	for _, tc := range []struct {
		name                            string
		from, to, sub, page, per, field string
	}{
		{"a day that is not", "2026-02-30", "", "", "", "", "from"},
		{"to before from", "2026-02-02", "2026-02-01", "", "", "", "to"},
		{"a subdistrict of zero", "", "", "0", "", "", "subdistrict"},
		{"a page of words", "", "", "", "two", "", "page"},
		{"too many per page", "", "", "", "", "101", "per_page"},
	} {
		_, err := ocds.ParseQuery(tc.from, tc.to, tc.sub, tc.page, tc.per)
		var e *apperr.Error
		if !errors.As(err, &e) || e.Kind != apperr.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
			t.Errorf("%s: ParseQuery() error = %v, want invalid %s", tc.name, err, tc.field)
		}
	}
	if got := ocds.OCIDOf("ocds-jiedao-12-000000000007"); got != "ocds-jiedao-12" {
		t.Errorf("OCIDOf() = %q, want ocds-jiedao-12", got)
	}
}
