package delivery_test

import (
	"context"
	"testing"
)

// BenchmarkImport10000 imports a file of 10,000 rows per iteration and
// reports the rows recorded a second.
func BenchmarkImport10000(b *testing.B) {
	w := newWorld(b)
	file := w.csvFile(10000, nil)
	const rows = 10000
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.svc.Import(context.Background(), w.org, w.contract.ID, file); err != nil {
			b.Fatalf("Import() error = %v", err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
