package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/jiedao-market/jiedao/internal/redflag"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// shortWindowTender writes, with SQL, a tender of 爱山 (A) published with a
// five-day window and its justification, and computes the red flags.
func shortWindowTender(t *testing.T, e *servertest.Env) int64 {
	t.Helper()
	d := e.Demo(t)
	now := e.Clock.Now()
	var id int64
	err := e.DB.Raw(`INSERT INTO tenders (subdistrict_id, transfer_item_id, transfer_item_version, title, category_code, purchase_method,
		fund_account_id, ceiling_fen, service_start, service_end, weight_price, weight_technical, weight_performance, min_grade,
		min_social_workers, min_bids, challenge_days, questions_close_at, closes_at, opens_at, status, published_at,
		short_bidding_window, short_window_justification, created_at, updated_at)
		SELECT ?, v.item_id, v.version, '应急助老项目', v.category_code, 'open_tender', ?, 100000000, '2027-01-01', '2027-12-31',
			30, 60, 10, 1, 0, 1, 5, ?, ?, ?, 'published', ?, true, '防汛应急', ?, ?
		FROM transfer_item_versions v JOIN transfer_items i ON i.id = v.item_id
		WHERE i.subdistrict_id = ? AND v.status = 'published' ORDER BY v.item_id LIMIT 1 RETURNING id`,
		d.SubA, d.FundA, now.AddDate(0, 0, 5), now.AddDate(0, 0, 5), now.AddDate(0, 0, 5), now, now, now, d.SubA).Scan(&id).Error
	if err != nil || id == 0 {
		t.Fatalf("insert tender: %v", err)
	}
	if _, err := e.Services.RedFlags.Compute(context.Background(), redflag.TriggerManual); err != nil {
		t.Fatalf("Compute() error = %v", err)
	}
	return id
}

func TestPublicRedFlags(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	id := shortWindowTender(t, e)
	d := e.Demo(t)
	var page redflag.Page
	for _, tc := range []struct {
		query        string
		items, total int
	}{
		{"", 1, 1},
		{"?kind=short_window&subdistrict=" + fmt.Sprint(d.SubA), 1, 1},
		{"?kind=single_bid", 0, 0},
		{"?subdistrict=" + fmt.Sprint(d.SubB), 0, 0},
		{"?page=2&per_page=1", 0, 1},
	} {
		servertest.Call(t, e, "GET", "/api/v1/public/red-flags"+tc.query, "", nil, http.StatusOK, &page)
		if len(page.Items) != tc.items || page.Total != tc.total {
			t.Fatalf("GET red-flags%s = %d items of %d, want %d of %d", tc.query, len(page.Items), page.Total, tc.items, tc.total)
		}
	}
	servertest.Call(t, e, "GET", "/api/v1/public/red-flags", "", nil, http.StatusOK, &page)
	f := page.Items[0]
	if f.Kind != redflag.ShortWindow || f.TenderID == nil || *f.TenderID != id || f.SubdistrictNameZh != "爱山街道" ||
		f.ExplanationZh == "" || f.ExplanationEn == "" || page.LastRun == nil {
		t.Errorf("flag = %+v, run %v; want tender %d's short window in 爱山, explained", f, page.LastRun, id)
	}
	for _, tc := range []struct{ query, field string }{
		{"?kind=bribery", "kind"},
		{"?subdistrict=0", "subdistrict"},
		{"?subdistrict=abc", "subdistrict"},
		{"?page=0", "page"},
		{"?per_page=101", "per_page"},
	} {
		e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/public/red-flags" + tc.query}, http.StatusBadRequest, "validation", tc.field)
	}
}
