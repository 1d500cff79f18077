package search_test

import (
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/search"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"银杏", "银杏", true},
		{"  银杏\t", "银杏", true},
		{"ab", "ab", true},
		{"%_", "%_", true},
		{strings.Repeat("养", search.MaxQuery), strings.Repeat("养", search.MaxQuery), true},
		{"", "", false},
		{"养", "养", false},
		{"  养  ", "养", false},
		{strings.Repeat("养", search.MaxQuery+1), "", false},
		{"a\x00b", "", false},
		{"\xff\xfe", "", false},
	}
	for _, tt := range tests {
		got, err := search.Normalize(tt.in)
		if tt.ok {
			if err != nil || got != tt.want {
				t.Errorf("Normalize(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
			}
			continue
		}
		e, isApp := apperr.As(err)
		if !isApp || e.Kind != apperr.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != "q" {
			t.Errorf("Normalize(%q) error = %v, want Invalid naming q", tt.in, err)
		}
	}
}
