package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestTenderMinimumBiddingWindow: through the API an open tender closing a
// minute short of the configured 20 days is refused at publication (400
// naming closes_at, nothing written), exactly 20 days passes unflagged, and
// a short window with a written justification is published with the flag,
// the reason on the officer's view and on the public notice.
func TestTenderMinimumBiddingWindow(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	now := w.e.Clock.Now()
	days := w.e.Cfg.Tender.MinBiddingDays["open_tender"]
	if days != 20 {
		t.Fatalf("configured minimum window of an open tender = %d days, want the default 20", days)
	}
	window := func(closes time.Time, justification string) map[string]any {
		b := w.tenderBody(5)
		b["questions_close_at"], b["closes_at"], b["opens_at"] = closes.Add(-time.Hour), closes, closes.Add(time.Hour)
		b["short_window_justification"] = justification
		return b
	}
	full := now.AddDate(0, 0, days)

	short := w.create(t, window(full.Add(-time.Minute), ""))
	w.refused(t, "POST", twPath(short.ID, "/publish"), "demo-officer", nil, http.StatusBadRequest, "validation", "closes_at")

	if v := w.published(t, window(full, "")); v.Status != tender.StatusPublished || v.ShortBiddingWindow {
		t.Errorf("published with exactly %d days: status %s, flag %v; want published without the flag", days, v.Status, v.ShortBiddingWindow)
	}

	const why = "原服务合同提前终止，需尽快恢复服务"
	v := w.published(t, window(full.Add(-time.Minute), why))
	if !v.ShortBiddingWindow || v.ShortWindowJustification != why {
		t.Errorf("published short with a reason: flag %v, reason %q; want the flag and %q", v.ShortBiddingWindow, v.ShortWindowJustification, why)
	}
	var public tender.Public
	servertest.Call(t, w.e, "GET", fmt.Sprintf("/api/v1/public/tenders/%d", v.ID), "", nil, http.StatusOK, &public)
	if !public.ShortBiddingWindow || public.ShortWindowJustification != why {
		t.Errorf("public notice: flag %v, reason %q; want the flag and %q", public.ShortBiddingWindow, public.ShortWindowJustification, why)
	}
}
