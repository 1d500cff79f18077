package ui

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/place"
)

func showTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(civil.China).Format("2006-01-02 15:04")
}

// number shows a metric target as typed: no exponent, no trailing zeros.
func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// pick returns the name in the page's language.
func pick(lang, zh, en string) string {
	if lang == "en" && en != "" {
		return en
	}
	return zh
}

// excerpt cuts text to n characters at most, marking the cut.
func excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)
	return strings.TrimSpace(string(r[:n])) + "…"
}

// parseTarget reads a metric target as typed: a finite number.
func parseTarget(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// showDate shows a date, or "" for none.
func showDate(d *civil.Date) string {
	if d == nil {
		return ""
	}
	return d.String()
}

// fileSize shows a size in bytes for people: 812 B, 35.2 KB, 4.8 MB.
func fileSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB"
	}
	return strconv.FormatFloat(float64(n)/(1024*1024), 'f', 1, 64) + " MB"
}

// cutRunes cuts text to at most n characters.
func cutRunes(text string, n int) string {
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	return string([]rune(text)[:n])
}

// districtsByID returns the districts by id.
func districtsByID(list []place.District) map[int64]place.District {
	out := make(map[int64]place.District, len(list))
	for _, d := range list {
		out[d.ID] = d
	}
	return out
}

// categoryList returns the categories of codes, in the order given; an unknown
// code is shown as its code.
func categoryList(codes []string, byCode map[string]catalog.Category) []catalog.Category {
	out := make([]catalog.Category, len(codes))
	for i, code := range codes {
		if cat, ok := byCode[code]; ok {
			out[i] = cat
		} else {
			out[i] = catalog.Category{Code: code, NameZh: code}
		}
	}
	return out
}

// datetimeLocal is the layout of an <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

// showSeconds shows an instant in China time to the second, as a receipt does.
func showSeconds(t time.Time) string {
	return t.In(civil.China).Format("2006-01-02 15:04:05")
}

// localInput is t as a datetime-local value in China time, "" for none.
func localInput(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(civil.China).Format(datetimeLocal)
}

// parseLocal reads a datetime-local value as China time (Asia/Shanghai keeps
// no daylight saving, so the fixed zone is exact).
func parseLocal(text string) (time.Time, error) {
	text = strings.TrimSpace(text)
	for _, layout := range []string{datetimeLocal, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, text, civil.China); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time", text)
}

func sortedIDs(m map[int64]bool) []int64 {
	out := []int64{}
	for id, ok := range m {
		if ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// dayOf shows a China-time midnight as its date, "" for none.
func dayOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(civil.China).Format(time.DateOnly)
}

// lastDayOf shows the last day an exclusive end covers, "" for none.
func lastDayOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return dayOf(t.AddDate(0, 0, -1))
}
