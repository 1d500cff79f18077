package money_test

import (
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/money"
)

var (
	yuanText    = regexp.MustCompile(`^-?(0|[1-9][0-9]*)\.[0-9]{2}$`)
	groupedText = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,2}(,[0-9]{3})*)\.[0-9]{2}$`)
)

// maxParsed is the largest amount ParseYuan reads: its whole yuan stay one
// below math.MaxInt64/100 so that adding the fen cannot overflow.
const maxParsed = (math.MaxInt64/100-1)*100 + 99

// Any amount prints as plain yuan with two decimals and as grouped yuan, the
// grouped text is the plain one with commas, and both read back as the same
// amount wherever ParseYuan's range reaches.
func FuzzFenText(f *testing.F) {
	for _, n := range []int64{0, 1, -1, 5, 99, 100, -50, 123456, -999999, 50_000_000_000, maxParsed, -maxParsed,
		maxParsed + 1, math.MaxInt64, math.MinInt64, math.MinInt64 + 1} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		fen := money.Fen(n)
		yuan, grouped := fen.Yuan(), fen.Grouped()
		if !yuanText.MatchString(yuan) || (n < 0) != strings.HasPrefix(yuan, "-") {
			t.Fatalf("Fen(%d).Yuan() = %q, want -?digits.dd", n, yuan)
		}
		if !groupedText.MatchString(grouped) || strings.ReplaceAll(grouped, ",", "") != yuan {
			t.Fatalf("Fen(%d).Grouped() = %q, want %q with thousands separators", n, grouped, yuan)
		}
		if n > maxParsed || n < -maxParsed {
			return
		}
		for _, text := range []string{yuan, grouped} {
			if got, err := money.ParseYuan(text); err != nil || got != fen {
				t.Fatalf("ParseYuan(%q) = %d, %v; want %d", text, got, err, n)
			}
		}
	})
}

// Whatever the text, ParseYuan does not panic and either refuses it with
// ErrSyntax or reads an amount whose own text reads back as itself.
func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"0", "1234", "1234.5", "1,234.50", "-0.01", " 12.00 ", "1.", ".5", "1.234", "--1",
		"-+1", "1e3", "0x10", "1_000", "１２", "92233720368547757.99", "92233720368547758.00", "-92233720368547757.99",
		"9223372036854775807", "", "-", ",", "1.-5", "1.+5", "NaN", "+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := money.ParseYuan(s)
		if err != nil {
			if !errors.Is(err, money.ErrSyntax) || fen != 0 {
				t.Fatalf("ParseYuan(%q) = %d, %v; want 0, %v", s, fen, err, money.ErrSyntax)
			}
			return
		}
		if got, err := money.ParseYuan(fen.Yuan()); err != nil || got != fen {
			t.Fatalf("ParseYuan(%q) = %d, but ParseYuan(%q) = %d, %v", s, fen, fen.Yuan(), got, err)
		}
	})
}
