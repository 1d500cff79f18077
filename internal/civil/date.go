// Package civil holds civil time as China keeps it: calendar dates without a
// time of day (Date), and China Standard Time (China), the zone every date,
// deadline and page of the platform is in.
package civil

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// Date is a calendar date without a time of day or a zone, such as the first
// and the end date of a certification. It is a PostgreSQL date in the
// database and "YYYY-MM-DD" in JSON; the zero Date is NULL and null.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// China is China Standard Time, UTC+8 all year (China keeps no daylight
// saving, so the fixed zone is exact): the zone of every civil date here.
var China = time.FixedZone("CST", 8*60*60)

// chinaOffset is China's offset from UTC.
const chinaOffset = 8 * time.Hour

// NewDate returns the date, normalized as time.Date normalizes (Feb 30 is Mar 1 or 2).
func NewDate(year int, month time.Month, day int) Date {
	return dateOf(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// ChinaDate returns the date t falls on in China (UTC+8), whatever t's location.
func ChinaDate(t time.Time) Date { return dateOf(t.UTC().Add(chinaOffset)) }

func dateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate reads a date written "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q is not YYYY-MM-DD", s)
	}
	return dateOf(t), nil
}

// String returns the date as "YYYY-MM-DD", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool { return d == Date{} }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int { return d.midnight().Compare(e.midnight()) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// AddDays returns the date n days after d (before it for negative n).
func (d Date) AddDays(n int) Date { return dateOf(d.midnight().AddDate(0, 0, n)) }

// StartInChina returns the instant the date begins in China (00:00 UTC+8).
func (d Date) StartInChina() time.Time { return d.midnight().Add(-chinaOffset) }

func (d Date) midnight() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// MarshalText writes the date as "YYYY-MM-DD" ("" for the zero Date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads "YYYY-MM-DD"; "" is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes the date as "YYYY-MM-DD", the zero Date as null.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date must be a string YYYY-MM-DD")
	}
	return d.UnmarshalText([]byte(s))
}

// Value writes the date for PostgreSQL: midnight UTC of that day for a date
// column, NULL for the zero Date.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.midnight(), nil
}

// Scan reads a PostgreSQL date, NULL as the zero Date.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
	case time.Time:
		// pgx reads a date as midnight UTC; its calendar fields are the date.
		*d = dateOf(v)
	case string:
		return d.UnmarshalText([]byte(v))
	case []byte:
		return d.UnmarshalText(v)
	default:
		return fmt.Errorf("scan date: unsupported type %T", src)
	}
	return nil
}
