package server_test

import (
	"fmt"
	"testing"

	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// benchTender returns a published tender of the demo's, for the tender
// benchmarks.
func benchTender(b *testing.B, e *servertest.Env) int64 {
	var id int64
	if err := e.DB.Raw(`SELECT id FROM tenders WHERE status = 'published' ORDER BY id LIMIT 1`).Scan(&id).Error; err != nil || id == 0 {
		b.Fatalf("a published tender: %v", err)
	}
	return id
}

// BenchmarkPublicTenderList lists the published tenders through the public
// API, anonymously, each request rendered (the micro-cache is off in tests).
func BenchmarkPublicTenderList(b *testing.B) {
	benchGet(b, servertest.NewEnv(b, demo.WithTenders()), "/api/v1/public/tenders", "")
}

// BenchmarkPublicTenderDetail reads one published tender through the API.
func BenchmarkPublicTenderDetail(b *testing.B) {
	e := servertest.NewEnv(b, demo.WithTenders())
	benchGet(b, e, fmt.Sprintf("/api/v1/public/tenders/%d", benchTender(b, e)), "")
}

// BenchmarkPublicCapableCatalog lists the capable organizations.
func BenchmarkPublicCapableCatalog(b *testing.B) {
	benchGet(b, servertest.NewEnv(b), "/api/v1/public/organizations", "")
}

// BenchmarkTenderNoticePage renders a tender's public notice page.
func BenchmarkTenderNoticePage(b *testing.B) {
	e := servertest.NewEnv(b, demo.WithTenders())
	benchGet(b, e, fmt.Sprintf("/procurement/%d", benchTender(b, e)), "")
}

// BenchmarkCatalogPageMicroCache is BenchmarkCatalogPage with the server's
// micro-cache on, as served: the page is rendered once, then sent again.
func BenchmarkCatalogPageMicroCache(b *testing.B) {
	cfg := servertest.Config(b)
	cfg.HTTP.PublicCache = cfg.HTTP.PublicMaxAge
	benchGet(b, servertest.NewEnvWith(b, cfg), "/catalog", "")
}
