// Package money holds amounts of money: integer fen (分), never floats.
package money

import (
	"errors"
	"strconv"
	"strings"
)

// Fen is an amount in fen, the hundredth of a yuan.
type Fen int64

// Yuan returns f as a decimal string of yuan with two decimals, e.g. "1234.50".
func (f Fen) Yuan() string {
	whole, cents := int64(f)/100, int64(f)%100
	sign := ""
	if f < 0 {
		// Negate the parts, not f: the smallest Fen has no positive twin.
		sign, whole, cents = "-", -whole, -cents
	}
	return sign + strconv.FormatInt(whole, 10) + "." + leftPad(strconv.FormatInt(cents, 10))
}

// Grouped returns f as yuan with thousands separators and two decimals, as
// people read amounts: "102,600.00", "-1,234.50".
func (f Fen) Grouped() string {
	s := f.Yuan()
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i := range len(whole) {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(whole[i])
	}
	return sign + b.String() + "." + frac
}

func leftPad(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

// ErrSyntax is returned by ParseYuan for text that is not an amount.
var ErrSyntax = errors.New("not an amount of yuan with at most two decimals")

// ParseYuan reads an amount of yuan such as "1234", "1234.5" or "1,234.50".
func ParseYuan(s string) (Fen, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || strings.ContainsAny(whole+frac, "+-") {
		return 0, ErrSyntax
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > (1<<63-1)/100-1 {
		return 0, ErrSyntax
	}
	fr, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, ErrSyntax
	}
	v := Fen(w*100 + fr)
	if neg {
		v = -v
	}
	return v, nil
}
