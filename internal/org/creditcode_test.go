package org_test

import (
	"testing"

	"github.com/jiedao-market/jiedao/internal/org"
)

// The codes come from WORKED_EXAMPLES.md section 1 (GB 32100-2015).
func TestValidCreditCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		code string
		want bool
	}{
		{"enterprise", "91350100M000100Y43", true},
		{"enterprise with letter check", "91110000600037341L", true},
		{"public institution", "12100000400000624D", true},
		{"social service institution", "52330502MJ526018XR", true},
		{"foundation", "53330502MJ159083XF", true},
		{"social group", "51330502MJ016613XH", true},
		{"check should be 0", "52330500MJ5470873D", false},
		{"check should be P", "53110000500021676T", false},
		{"17 characters", "91350100M000100Y4", false},
		{"I is not in the alphabet", "91350100I000100Y43", false},
		{"corrected check 0", "52330500MJ54708730", true},
		{"corrected check P", "53110000500021676P", true},
		{"19 characters", "91350100M000100Y43X", false},
		{"lowercase", "52330502mj526018xr", false},
		{"lowercase check only", "91110000600037341l", false},
		{"empty", "", false},
		{"O is not in the alphabet", "91350100O000100Y43", false},
		{"18 bytes with a full-width digit", "９50100M000100Y43", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := org.ValidCreditCode(tt.code); got != tt.want {
				t.Errorf("ValidCreditCode(%q) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}
