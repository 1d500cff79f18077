package civil_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/civil"
)

func TestDateJSON(t *testing.T) {
	t.Parallel()
	type holder struct {
		D civil.Date  `json:"d"`
		P *civil.Date `json:"p"`
	}
	d := civil.NewDate(2026, time.March, 2)
	raw, err := json.Marshal(holder{D: d, P: &d})
	if err != nil || string(raw) != `{"d":"2026-03-02","p":"2026-03-02"}` {
		t.Errorf("json.Marshal() = %s, %v; want both dates as 2026-03-02", raw, err)
	}
	raw, err = json.Marshal(holder{})
	if err != nil || string(raw) != `{"d":null,"p":null}` {
		t.Errorf("json.Marshal(zero) = %s, %v; want nulls", raw, err)
	}
	var h holder
	if err := json.Unmarshal([]byte(`{"d":"2027-12-31","p":null}`), &h); err != nil || h.D != civil.NewDate(2027, time.December, 31) || h.P != nil {
		t.Errorf("json.Unmarshal() = %+v, %v; want 2027-12-31 and nil", h, err)
	}
	for _, bad := range []string{`"2026-3-2"`, `"2026-02-30"`, `"02/03/2026"`, `"2026-03-02T00:00:00Z"`, `20260302`, `"tomorrow"`} {
		var h holder
		if err := json.Unmarshal([]byte(`{"d":`+bad+`}`), &h); err == nil {
			t.Errorf("json.Unmarshal(%s) = %v, want an error", bad, h.D)
		}
	}
}

func TestChinaDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		at   time.Time
		want civil.Date
	}{
		{time.Date(2026, 3, 1, 15, 59, 59, 0, time.UTC), civil.NewDate(2026, time.March, 1)},
		{time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC), civil.NewDate(2026, time.March, 2)},
		{time.Date(2026, 3, 2, 0, 30, 0, 0, time.FixedZone("PST", -8*3600)), civil.NewDate(2026, time.March, 2)},
		{time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC), civil.NewDate(2027, time.January, 1)},
	}
	for _, tt := range tests {
		if got := civil.ChinaDate(tt.at); got != tt.want {
			t.Errorf("ChinaDate(%s) = %s, want %s", tt.at.Format(time.RFC3339), got, tt.want)
		}
	}
	d := civil.NewDate(2026, time.March, 2)
	if got := d.StartInChina(); !got.Equal(time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("StartInChina() = %s, want 2026-03-01T16:00:00Z", got)
	}
	if got := d.AddDays(30); got != civil.NewDate(2026, time.April, 1) || !got.After(d) || !d.Before(got) {
		t.Errorf("AddDays(30) = %s, want 2026-04-01 after %s", got, d)
	}
}
