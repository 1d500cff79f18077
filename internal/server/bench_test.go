package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// benchGet measures one GET through the whole app: middleware, authentication,
// handler, database and JSON or HTML rendering.
func benchGet(b *testing.B, e *servertest.Env, path, token string) {
	app := e.Server.App()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080"+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := app.Test(req, -1)
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatalf("GET %s = %v, %v", path, res, err)
		}
		res.Body.Close()
	}
}

// BenchmarkAPIMe is the cost of the lightest authenticated API call.
func BenchmarkAPIMe(b *testing.B) {
	e := servertest.NewEnv(b, servertest.AccountsOnly)
	benchGet(b, e, "/api/v1/me", e.Token(b, "demo-officer"))
}

// BenchmarkPublicCatalogSearch is an anonymous search of the public catalog API.
func BenchmarkPublicCatalogSearch(b *testing.B) {
	benchGet(b, servertest.NewEnv(b), "/api/v1/public/transfer-items?q=%E5%B1%85%E5%AE%B6", "")
}

// BenchmarkCatalogPage renders the public catalog page.
func BenchmarkCatalogPage(b *testing.B) {
	benchGet(b, servertest.NewEnv(b), "/catalog", "")
}

// BenchmarkProviderRatingsPage renders a provider's public ratings page,
// as residents open it: the demo provider's summaries, its ratings and
// the provider's replies.
func BenchmarkProviderRatingsPage(b *testing.B) {
	e := servertest.NewEnv(b)
	benchGet(b, e, fmt.Sprintf("/organizations/%d/ratings", e.Demo(b).Org1), "")
}

// BenchmarkPublicProviderRatingsAPI reads the same through the public API.
func BenchmarkPublicProviderRatingsAPI(b *testing.B) {
	e := servertest.NewEnv(b)
	benchGet(b, e, fmt.Sprintf("/api/v1/public/organizations/%d/ratings", e.Demo(b).Org1), "")
}

// BenchmarkPublicProviderProfile reads a provider's public profile through
// the API: its certifications, rating summaries and track record, with P
// taken as a tender opening now would (two completed contracts with final
// scores, one terminated, one active).
func BenchmarkPublicProviderProfile(b *testing.B) {
	e := servertest.NewEnv(b)
	now := e.Clock.Now()
	for i, score := range []string{"92.3", "70.0", "", ""} {
		c := e.ActiveContract(b)
		status := "completed"
		switch i {
		case 2:
			status = "terminated"
		case 3:
			continue
		}
		if err := e.DB.Exec(`UPDATE contracts SET status = ?, final_score = NULLIF(?, '')::numeric, ended_at = ?, end_reason = '基准' WHERE id = ?`,
			status, score, now.AddDate(0, -3*(i+1), 0), c.ID).Error; err != nil {
			b.Fatal(err)
		}
	}
	benchGet(b, e, fmt.Sprintf("/api/v1/public/organizations/%d", e.Demo(b).Org1), "")
}
