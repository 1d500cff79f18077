package ocds

import "testing"

// TestAmount writes fen as yuan from the integer: no float rounding, even
// where a float would round (0.29 × 100 is 28.999…).
func TestAmount(t *testing.T) {
	t.Parallel()
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 29: "0.29", 12345: "123.45", 45_000_000: "450000.00",
		-105: "-1.05", 9_007_199_254_740_993: "90071992547409.93"} {
		if got := amount(fen).String(); got != want {
			t.Errorf("amount(%d) = %s, want %s", fen, got, want)
		}
	}
}
