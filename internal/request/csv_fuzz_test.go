package request_test

import (
	"encoding/csv"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/request"
)

// number is a plain number as a spreadsheet reads it, written out again here
// so that the test does not trust the package's pattern.
var number = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// No cell of a CSV export starts with what makes a spreadsheet run it as a
// formula (= + - @ tab or carriage return) unless it is a plain number;
// neutralising only ever adds a leading apostrophe; and the CSV reads back as
// exactly the neutralised cells, except that encoding/csv reads a CR LF
// inside a quoted cell as LF.
func FuzzCSVCell(f *testing.F) {
	for _, pair := range [][2]string{
		{"=HYPERLINK(\"http://evil\")", "-500.00"}, {"+cmd|' /C calc'!A0", "@SUM(A1)"}, {"-2+3", "-"},
		{"\t=1", "\r=1"}, {"a, \"b\"", "3"}, {"", ""}, {"年度预算拨付", "line\nbreak"}, {"cr\r\nlf", " lead"},
		{"'=1", "\"quoted\""}, {"-1", "1e5"}, {"\xff\xfe", "\x00"}, {"=", "\r"},
	} {
		f.Add(pair[0], pair[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, cell := range []string{a, b} {
			safe := request.CSVCell(cell)
			if safe != cell && safe != "'"+cell {
				t.Fatalf("CSVCell(%q) = %q, want the cell, or the cell after an apostrophe", cell, safe)
			}
			if safe != "" && strings.ContainsRune("=+-@\t\r", rune(safe[0])) && !number.MatchString(safe) {
				t.Fatalf("CSVCell(%q) = %q, which a spreadsheet would run as a formula", cell, safe)
			}
			if number.MatchString(cell) && safe != cell {
				t.Fatalf("CSVCell(%q) = %q, want the number unchanged", cell, safe)
			}
		}
		out := request.CSV([]string{a, b}, [][]string{{b, a}})
		got, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
		if err != nil {
			t.Fatalf("CSV(%q, %q) = %q does not parse: %v", a, b, out, err)
		}
		read := func(cell string) string { return strings.ReplaceAll(request.CSVCell(cell), "\r\n", "\n") }
		want := [][]string{{read(a), read(b)}, {read(b), read(a)}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("CSV(%q, %q) = %q reads back as (-want +got):\n%s", a, b, out, diff)
		}
	})
}
