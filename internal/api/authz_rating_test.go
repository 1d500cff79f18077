package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// azRatingShared is what the rating rows of one matrix group share: an
// active contract of A with three records, a rating with a comment, and a
// follow-up drawn.
type azRatingShared struct {
	once     sync.Once
	contract servertest.Contract
	rating   int64
	followUp int64
}

var (
	azRatingMu    sync.Mutex
	azRatingState = map[*azFixture]*azRatingShared{}
)

func azRating(t testing.TB, f *azFixture) *azRatingShared {
	azRatingMu.Lock()
	s, ok := azRatingState[f]
	if !ok {
		s = &azRatingShared{}
		azRatingState[f] = s
	}
	azRatingMu.Unlock()
	s.once.Do(func() {
		ctx := context.Background()
		s.contract = f.e.ActiveContract(t)
		var ids []int64
		for i := 0; i < 3; i++ {
			var v struct {
				ID int64 `json:"id"`
			}
			servertest.Call(t, f.e, "POST", fmt.Sprintf("/api/v1/contracts/%d/service-records", s.contract.ID), f.tokens["demo-org"],
				recordBody(f.e, s.contract, fmt.Sprintf("AZR-%d", i)), http.StatusCreated, &v)
			ids = append(ids, v.ID)
		}
		code, err := f.e.Services.Records.RatingCode(ctx, f.e.ActorOf(t, "demo-org"), ids[0])
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.e.Services.Ratings.Submit(ctx, access.Anonymous("az", "10.20.0.1"), code.Code, rating.Stars{Timeliness: 4,
			Professionalism: 4, Attitude: 4, Effectiveness: 4, Overall: 4, Comment: "矩阵评论"})
		if err != nil {
			t.Fatal(err)
		}
		s.rating = v.ID
		fs, err := f.e.Services.Ratings.DrawFollowUps(ctx, f.e.ActorOf(t, "demo-officer"), s.contract.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		s.followUp = fs[0].ID
	})
	return s
}

func azRatingPath(format string, id func(*azRatingShared) int64) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string { return fmt.Sprintf(format, id(azRating(t, f))) }
}

const (
	bad400 = http.StatusBadRequest
	cf409  = http.StatusConflict
)

func azStars(t testing.TB, f *azFixture, i int) any {
	return map[string]any{"timeliness": 3, "professionalism": 3, "attitude": 3, "effectiveness": 3, "overall": 3}
}

// Ratings: anyone reads the public pages and may submit (here with bad stars:
// 400 before any code is looked up); the contract's readers see its summary;
// the rated organization replies once; the subdistrict's officer hides, draws
// and records follow-ups.
var azRatingMatrix = map[string][]azMatrixRow{
	"ratings": {
		{method: "POST", route: "/api/v1/public/ratings",
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"code": "ABCDEFGHJK", "timeliness": 0, "professionalism": 3, "attitude": 3, "effectiveness": 3, "overall": 3}
			},
			want: azWant{bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}},
		{method: "GET", route: "/api/v1/public/organizations/:id/ratings",
			path: func(t testing.TB, f *azFixture) string {
				return fmt.Sprintf("/api/v1/public/organizations/%d/ratings", f.org1)
			},
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "GET", route: "/api/v1/public/communities/:id/ratings",
			path: func(t testing.TB, f *azFixture) string {
				return fmt.Sprintf("/api/v1/public/communities/%d/ratings", f.commA)
			},
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "GET", route: "/api/v1/contracts/:id/ratings",
			path: azRatingPath("/api/v1/contracts/%d/ratings", func(s *azRatingShared) int64 { return s.contract.ID }),
			want: azWant{no401, ok200, ok200, ok200, ok200, no403, ok200, nf404, nf404, ok200, no403}},
		{method: "POST", route: "/api/v1/ratings/:id/reply",
			path: azRatingPath("/api/v1/ratings/%d/reply", func(s *azRatingShared) int64 { return s.rating }),
			body: func(t testing.TB, f *azFixture, i int) any { return map[string]any{"reply": "感谢反馈"} },
			want: azWant{no401, no403, no403, no403, no403, no403, ok200, no403, nf404, cf409, no403}},
		{method: "POST", route: "/api/v1/ratings/:id/hide",
			path: azRatingPath("/api/v1/ratings/%d/hide", func(s *azRatingShared) int64 { return s.rating }),
			body: func(t testing.TB, f *azFixture, i int) any { return map[string]any{"reason": "矩阵隐藏"} },
			want: azWant{no401, no403, no403, ok200, no403, no403, no403, nf404, no403, no403, no403}},
		{method: "GET", route: "/api/v1/contracts/:id/follow-ups",
			path: azRatingPath("/api/v1/contracts/%d/follow-ups", func(s *azRatingShared) int64 { return s.contract.ID }),
			want: azWant{no401, no403, no403, ok200, no403, no403, no403, nf404, no403, no403, no403}},
		{method: "POST", route: "/api/v1/contracts/:id/follow-ups",
			path: azRatingPath("/api/v1/contracts/%d/follow-ups", func(s *azRatingShared) int64 { return s.contract.ID }),
			body: func(t testing.TB, f *azFixture, i int) any { return map[string]any{"size": 1} },
			want: azWant{no401, no403, no403, new201, no403, no403, no403, nf404, no403, no403, no403}},
		{method: "POST", route: "/api/v1/follow-ups/:id/rating",
			path: azRatingPath("/api/v1/follow-ups/%d/rating", func(s *azRatingShared) int64 { return s.followUp }),
			body: azStars,
			want: azWant{no401, no403, no403, new201, no403, no403, no403, nf404, no403, no403, no403}},
	},
}
