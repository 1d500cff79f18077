package api_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// Partial edits are merged with the row as it is under its lock: concurrent
// PATCHes of different fields each keep their change.
func TestPatchMergesUnderTheLock(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	officer := e.Token(t, "demo-officer")
	id := e.Demo(t).CommA
	path := fmt.Sprintf("/api/v1/communities/%d", id)
	for round := 0; round < 10; round++ {
		households, name := 3000+round, fmt.Sprintf("Nanjie %d", round)
		var wg sync.WaitGroup
		results := make([]servertest.Response, 2)
		for i, body := range []map[string]any{{"households": households}, {"name_en": name}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = e.Do(t, servertest.Request{Method: "PATCH", Path: path, Token: officer, Body: body})
			}()
		}
		wg.Wait()
		for _, r := range results {
			if r.Status != http.StatusOK {
				t.Fatalf("PATCH %s = %d %s, want 200", path, r.Status, r.Body)
			}
		}
		var got struct {
			Households int
			NameEn     string
		}
		if err := e.DB.Table("communities").Select("households, name_en").Where("id = ?", id).Take(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got.Households != households || got.NameEn != name {
			t.Fatalf("round %d: community = %+v, want households %d and name_en %q (one PATCH lost the other's change)", round, got, households, name)
		}
	}
}
