package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// A provider's public ratings page: below the public minimum it says how
// many more ratings are needed; from it, the averages. Comments and replies
// show; a hidden comment never does, nor the record's beneficiary.
func TestPagesProviderRatings(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	ctx, anon := context.Background(), e.ActorOf(t, "demo-resident")
	d := e.Demo(t)
	page := fmt.Sprintf("/organizations/%d/ratings", d.Org1)
	p := servertest.NewPageClient(e)

	var ids []int64
	rate := func(i int) {
		v, err := e.Services.Ratings.Submit(ctx, anon, ratingCode(t, e, c, fmt.Sprintf("NJ-PR%02d", i)),
			rating.Stars{Timeliness: 5, Professionalism: 4, Attitude: 5, Effectiveness: 4, Overall: 5, Comment: fmt.Sprintf("评论%02d号", i)})
		if err != nil {
			t.Fatalf("Submit() error = %v", err)
		}
		ids = append(ids, v.ID)
	}
	rate(0)
	r := p.Get(t, page)
	wantStatus(t, "GET "+page, r, http.StatusOK)
	wantBody(t, "GET "+page+" with one rating", r, "湖州市吴兴区康乐居家养老服务中心", "还需 4 条评价才能公开评分", "评论00号")
	wantNoBody(t, "GET "+page+" with one rating", r, "综合评分", "NJ-PR00")

	for i := 1; i < 5; i++ {
		rate(i)
	}
	officer, org := e.ActorOf(t, "demo-officer"), e.ActorOf(t, "demo-org")
	if _, err := e.Services.Ratings.Hide(ctx, officer, ids[1], "含个人信息"); err != nil {
		t.Fatalf("Hide() error = %v", err)
	}
	if _, err := e.Services.Ratings.Reply(ctx, org, ids[2], "感谢您的肯定"); err != nil {
		t.Fatalf("Reply() error = %v", err)
	}
	r = p.Get(t, page)
	wantBody(t, "GET "+page+" with five ratings", r, "综合评分", "5.00", "感谢您的肯定", "评论00号", "评论04号", "此评论已被隐藏")
	wantNoBody(t, "GET "+page+" with five ratings", r, "评论01号", "NJ-PR")
	wantStatus(t, "GET an unknown provider", p.Get(t, "/organizations/999999/ratings"), http.StatusNotFound)
}
