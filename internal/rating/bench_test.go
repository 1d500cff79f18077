package rating_test

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkSubmitRating submits one rating with a fresh code per iteration
// (the codes are issued before the timer starts).
func BenchmarkSubmitRating(b *testing.B) {
	w := newWorld(b)
	codes := make([]string, b.N)
	for i := range codes {
		_, codes[i] = w.record(b, i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.svc.Submit(context.Background(), resident(fmt.Sprintf("10.8.%d.%d", i/200%200, i%200)), codes[i], given(1+i%5)); err != nil {
			b.Fatalf("Submit() error = %v", err)
		}
	}
}

// BenchmarkPublicProviderRatings reads a provider's public ratings page
// with 200 ratings.
func BenchmarkPublicProviderRatings(b *testing.B) {
	w := newWorld(b)
	for i := 0; i < 200; i++ {
		_, code := w.record(b, i)
		if _, err := w.svc.Submit(context.Background(), resident(fmt.Sprintf("10.7.0.%d", i)), code, given(1+i%5)); err != nil {
			b.Fatal(err)
		}
	}
	org := w.e.Demo(b).Org1
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.svc.Provider(context.Background(), org); err != nil {
			b.Fatalf("Provider() error = %v", err)
		}
	}
}
