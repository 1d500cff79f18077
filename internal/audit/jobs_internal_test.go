package audit

import (
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/civil"
)

// TestDailyAtNext: the head job's schedule fires at the hour, China time,
// the same day when the hour is still ahead, else the next day.
func TestDailyAtNext(t *testing.T) {
	t.Parallel()
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, civil.China) }
	tests := []struct {
		hour int
		now  time.Time
		want time.Time
	}{
		{1, at(5, 0, 30), at(5, 1, 0)},
		{1, at(5, 1, 0), at(6, 1, 0)},
		{1, at(5, 23, 59), at(6, 1, 0)},
		{0, at(5, 12, 0), at(6, 0, 0)},
		{23, time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC), at(5, 23, 0)}, // 22:00 on Dec 5 in China
	}
	for _, tt := range tests {
		if got := dailyAt(tt.hour).Next(tt.now); !got.Equal(tt.want) {
			t.Errorf("dailyAt(%d).Next(%v) = %v, want %v", tt.hour, tt.now, got, tt.want)
		}
	}
}
