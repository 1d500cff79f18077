package rating_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

func TestSubmitOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, code := w.record(t, 0)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		other   = map[string]int{}
	)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := w.svc.Submit(context.Background(), resident(fmt.Sprintf("10.0.%d.%d", i/200, i%200)), code, given(5))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				created++
				return
			}
			other[fmt.Sprint(err)]++
		}(i)
	}
	wg.Wait()
	if created != 1 || other[rating.ErrCodeRefused.Error()] != 99 {
		t.Fatalf("100 concurrent Submit() = %d created, others %v; want 1 and 99 refused", created, other)
	}
	if n := servertest.Count(t, w.e, "ratings"); n != 1 {
		t.Errorf("ratings = %d, want 1", n)
	}
}

func TestSubmitRefusesAlike(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	_, used := w.record(t, 0)
	if _, err := w.svc.Submit(ctx, resident("10.1.0.1"), used, given(4)); err != nil {
		t.Fatalf("Submit() error = %v", err)
	}
	_, expired := w.record(t, 1)
	w.e.Clock.Advance(30*24*time.Hour + time.Second)
	for name, code := range map[string]string{"used": used, "expired": expired, "unknown": "ABCDEFGHJK", "malformed": "nope"} {
		_, err := w.svc.Submit(ctx, resident("10.1.0.2"), code, given(4))
		var e *apperr.Error
		if !errors.As(err, &e) || e != rating.ErrCodeRefused {
			t.Errorf("Submit(%s code) error = %#v, want the very ErrCodeRefused", name, err)
		}
	}
	// Through the API: the same status and body for every kind of refusal.
	var bodies []string
	for i, code := range []string{used, expired, "ABCDEFGHJK"} {
		r := w.e.Do(t, servertest.Request{Method: "POST", Path: "/api/v1/public/ratings", Body: map[string]any{"code": code,
			"timeliness": 5, "professionalism": 5, "attitude": 5, "effectiveness": 5, "overall": 5}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("POST rating %d = %d %s, want 422", i, r.Status, r.Body)
		}
		p := r.Problem(t)
		bodies = append(bodies, fmt.Sprintf("%+v", p))
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Errorf("refusals differ:\n%s", strings.Join(bodies, "\n"))
	}
}

func TestSubmitThrottlesWrongCodes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	_, good := w.record(t, 0)
	for i := 1; i <= 10; i++ {
		if _, err := w.svc.Submit(ctx, resident("10.2.0.1"), fmt.Sprintf("ABCDEFGH%02d", i), given(3)); !errors.Is(err, rating.ErrCodeRefused) {
			t.Fatalf("wrong code %d: Submit() error = %v, want ErrCodeRefused", i, err)
		}
	}
	_, err := w.svc.Submit(ctx, resident("10.2.0.1"), good, given(3))
	if apperr.KindOf(err) != apperr.TooManyRequests {
		t.Fatalf("11th code in a minute: Submit() error = %v, want throttled", err)
	}
	if _, err := w.svc.Submit(ctx, resident("10.2.0.2"), "ABCDEFGH99", given(3)); !errors.Is(err, rating.ErrCodeRefused) {
		t.Errorf("another address: Submit() error = %v, want ErrCodeRefused", err)
	}
	w.e.Clock.Advance(time.Minute)
	if _, err := w.svc.Submit(ctx, resident("10.2.0.1"), good, given(3)); err != nil {
		t.Errorf("a minute later: Submit() error = %v", err)
	}
}

func TestSubmitRefusesOwnStaff(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, code := w.record(t, 0)
	for _, who := range []string{"demo-org", "demo-member"} {
		if _, err := w.svc.Submit(context.Background(), w.e.ActorOf(t, who), code, given(5)); !errors.Is(err, rating.ErrOwnOrganization) {
			t.Errorf("Submit() as %s error = %v, want ErrOwnOrganization", who, err)
		}
	}
	if _, err := w.svc.Submit(context.Background(), w.e.ActorOf(t, "demo-org2"), code, given(5)); err != nil {
		t.Errorf("Submit() as another organization's admin error = %v", err)
	}
}

func TestSubmitChecksInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, code := w.record(t, 0)
	bad := rating.Stars{Timeliness: 0, Professionalism: 6, Attitude: 3, Effectiveness: 3, Overall: 3, Comment: strings.Repeat("好", 501)}
	_, err := w.svc.Submit(context.Background(), resident("10.3.0.1"), code, bad)
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.Invalid || len(e.Fields) != 3 {
		t.Fatalf("Submit(bad stars) error = %v, want Invalid naming timeliness, professionalism, comment", err)
	}
	ok500 := given(3)
	ok500.Comment = strings.Repeat("好", 500)
	if _, err := w.svc.Submit(context.Background(), resident("10.3.0.1"), code, ok500); err != nil {
		t.Errorf("Submit(500-character comment) error = %v", err)
	}
}

func TestReplyAndHide(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	_, code := w.record(t, 0)
	v, err := w.svc.Submit(ctx, resident("10.4.0.1"), code, given(1))
	if err != nil {
		t.Fatalf("Submit() error = %v", err)
	}
	if _, err := w.svc.Reply(ctx, w.e.ActorOf(t, "demo-org2"), v.ID, "不是我们"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("Reply() by another organization error = %v, want not found", err)
	}
	if _, err := w.svc.Reply(ctx, w.org, v.ID, "感谢反馈，我们会改进。"); err != nil {
		t.Fatalf("Reply() error = %v", err)
	}
	if _, err := w.svc.Reply(ctx, w.e.ActorOf(t, "demo-member"), v.ID, "再次回复"); !errors.Is(err, rating.ErrReplied) {
		t.Errorf("second Reply() error = %v, want ErrReplied", err)
	}
	if _, err := w.svc.Hide(ctx, w.e.ActorOf(t, "demo-officer2"), v.ID, "辱骂"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("Hide() by another subdistrict's officer error = %v, want not found", err)
	}
	h, err := w.svc.Hide(ctx, w.officer, v.ID, "含有辱骂内容")
	if err != nil {
		t.Fatalf("Hide() error = %v", err)
	}
	if h.Comment != nil || !h.CommentHidden || h.Overall != 1 {
		t.Errorf("Hide() = %+v, want the stars without the comment", h)
	}
	if _, err := w.svc.Hide(ctx, w.officer, v.ID, "再次"); !errors.Is(err, rating.ErrHidden) {
		t.Errorf("second Hide() error = %v, want ErrHidden", err)
	}
	p, err := w.svc.Provider(ctx, w.e.Demo(t).Org1)
	if err != nil {
		t.Fatalf("Provider() error = %v", err)
	}
	if len(p.Ratings) != 1 || p.Ratings[0].Comment != nil || p.Summaries.All.Count != 1 {
		t.Errorf("Provider() = %+v, want the hidden rating counted without its comment", p)
	}
	// The audit trail keeps digests of the free text, never the text.
	var data []string
	if err := w.e.DB.Table("audit_entries").Where("entity_type = 'rating'").Pluck("data", &data).Error; err != nil {
		t.Fatal(err)
	}
	for _, d := range data {
		for _, text := range []string{"服务很好", "感谢反馈", "含有辱骂内容"} {
			if strings.Contains(d, text) {
				t.Errorf("audit data %s holds the text %q", d, text)
			}
		}
	}
	if len(data) != 3 || !strings.Contains(strings.Join(data, ""), rating.Digest("服务很好")) {
		t.Errorf("audit data = %v, want submit, reply and hide with the comment's digest", data)
	}
}
