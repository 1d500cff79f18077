package fund_test

import (
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/fund"
)

// The postings filter is parsed once, for the API and the pages: days in
// China time, both included, surrounding spaces ignored, bad values named and
// left out of the filter.
func TestParsePostingFilter(t *testing.T) {
	t.Parallel()
	china := civil.China
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, china) }
	tests := []struct {
		name              string
		kind, from, until string
		want              fund.PostingFilter
		bad               []string
	}{
		{name: "nothing", want: fund.PostingFilter{}},
		{name: "a kind", kind: "appropriation", want: fund.PostingFilter{Kind: "appropriation"}},
		{name: "spaces around", kind: " reserve ", from: " 2026-11-01", until: "2026-11-30 ",
			want: fund.PostingFilter{Kind: "reserve", From: day(1), Until: day(30).AddDate(0, 0, 1)}},
		{name: "one day", from: "2026-11-05", until: "2026-11-05", want: fund.PostingFilter{From: day(5), Until: day(6)}},
		{name: "unknown kind", kind: "gift", from: "2026-11-01", want: fund.PostingFilter{From: day(1)}, bad: []string{"kind"}},
		{name: "bad dates", from: "2026-13-01", until: "tomorrow", want: fund.PostingFilter{}, bad: []string{"from", "until"}},
		{name: "until before from", from: "2026-11-10", until: "2026-11-09", want: fund.PostingFilter{From: day(10)}, bad: []string{"until"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var bad apperr.Fields
			got := fund.ParsePostingFilter(&bad, tt.kind, tt.from, tt.until)
			if got.Kind != tt.want.Kind || !got.From.Equal(tt.want.From) || !got.Until.Equal(tt.want.Until) || got.Limit != 0 {
				t.Errorf("ParsePostingFilter(%q, %q, %q) = %+v, want %+v", tt.kind, tt.from, tt.until, got, tt.want)
			}
			var named []string
			if e, ok := apperr.As(bad.Err()); ok {
				for _, f := range e.Fields {
					named = append(named, f.Field)
				}
			}
			if len(named) != len(tt.bad) {
				t.Fatalf("ParsePostingFilter() names %v bad, want %v", named, tt.bad)
			}
			for i := range named {
				if named[i] != tt.bad[i] {
					t.Errorf("ParsePostingFilter() names %v bad, want %v", named, tt.bad)
				}
			}
		})
	}
}
