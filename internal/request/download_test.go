package request_test

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/request"
)

// A cell a spreadsheet would run as a formula is neutralised; numbers,
// negative ones included, stay numbers.
func TestCSVCell(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"年度预算拨付", "年度预算拨付"},
		{"500000.00", "500000.00"},
		{"-500000.00", "-500000.00"},
		{"-1", "-1"},
		{"=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"-", "'-"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"a=1", "a=1"},
	}
	for _, tt := range tests {
		if got := request.CSVCell(tt.in); got != tt.want {
			t.Errorf("CSVCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// CSV writes the header and every row through CSVCell, quoting as CSV does.
func TestCSV(t *testing.T) {
	t.Parallel()
	got := request.CSV([]string{"memo", "amount"}, [][]string{{"=1+1", "-12.50"}, {"a, \"b\"", "3"}})
	rows, err := csv.NewReader(strings.NewReader(string(got))).ReadAll()
	if err != nil {
		t.Fatalf("CSV() = %q does not parse: %v", got, err)
	}
	want := [][]string{{"memo", "amount"}, {"'=1+1", "-12.50"}, {"a, \"b\"", "3"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("CSV() rows (-want +got):\n%s", diff)
	}
}
