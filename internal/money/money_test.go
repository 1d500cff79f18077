package money_test

import (
	"math"
	"testing"

	"github.com/jiedao-market/jiedao/internal/money"
)

func TestYuan(t *testing.T) {
	tests := []struct {
		in   money.Fen
		want string
	}{{0, "0.00"}, {5, "0.05"}, {50, "0.50"}, {123456, "1234.56"}, {-999999, "-9999.99"}, {50000000, "500000.00"},
		{math.MaxInt64, "92233720368547758.07"}, {math.MinInt64, "-92233720368547758.08"}}
	for _, tt := range tests {
		if got := tt.in.Yuan(); got != tt.want {
			t.Errorf("Fen(%d).Yuan() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGrouped(t *testing.T) {
	tests := []struct {
		in   money.Fen
		want string
	}{{0, "0.00"}, {5, "0.05"}, {99999, "999.99"}, {100000, "1,000.00"}, {10260000, "102,600.00"}, {-123450, "-1,234.50"},
		{50_000_000_000, "500,000,000.00"}, {-1, "-0.01"}}
	for _, tt := range tests {
		if got := tt.in.Grouped(); got != tt.want {
			t.Errorf("Fen(%d).Grouped() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseYuan(t *testing.T) {
	tests := []struct {
		in      string
		want    money.Fen
		wantErr bool
	}{
		{"1234", 123400, false}, {"1234.5", 123450, false}, {"1,234.50", 123450, false}, {"0.01", 1, false},
		{" 9999.99 ", 999999, false}, {"-1.10", -110, false},
		{"1.234", 0, true}, {"", 0, true}, {"abc", 0, true}, {"1.2.3", 0, true}, {".5", 0, true}, {"1e3", 0, true}, {"+1", 0, true},
	}
	for _, tt := range tests {
		got, err := money.ParseYuan(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
