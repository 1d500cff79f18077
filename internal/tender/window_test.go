package tender_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestMinimumBiddingWindow: publishing needs a bidding window of at least the
// purchase method's minimum (tender.min_bidding_days), exactly that long
// passing and a minute less refused naming closes_at with nothing written,
// unless the tender carries a written justification, which is kept, shown
// and flagged as a short bidding window.
func TestMinimumBiddingWindow(t *testing.T) {
	t.Parallel()
	minimum := config.DefaultMinBiddingDays()
	for _, method := range []string{"open_tender", "invited_tender", "single_source", "venture_philanthropy"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			ctx := context.Background()
			sealer, err := tender.NewSealer(w.sealKey)
			if err != nil {
				t.Fatal(err)
			}
			svc := tender.NewService(w.db, w.clock, sealer, tender.Options{AmendmentMinDays: 3, ChallengeDays: 5, MinBiddingDays: minimum})
			draft := func(window time.Duration, justification string) tender.View {
				t.Helper()
				in := w.input(3)
				m, why := method, "唯一具备资质的机构"
				in.PurchaseMethod = &m
				switch method {
				case "invited_tender":
					in.InvitedOrgIDs = &[]int64{w.orgs[0].Scope.OrganizationID, w.orgs[1].Scope.OrganizationID, w.orgs[2].Scope.OrganizationID}
				case "single_source":
					in.InvitedOrgIDs, in.Justification = &[]int64{w.orgs[0].Scope.OrganizationID}, &why
				}
				closes := w.clock.Now().Add(window)
				q, opens := closes.Add(-time.Hour), closes.Add(time.Hour)
				in.QuestionsCloseAt, in.ClosesAt, in.OpensAt = &q, &closes, &opens
				if justification != "" {
					in.ShortWindowJustification = &justification
				}
				v, err := svc.Create(ctx, w.officer, in)
				if err != nil {
					t.Fatalf("Create() error = %v", err)
				}
				return v
			}
			full := w.clock.Now().AddDate(0, 0, minimum[method]).Sub(w.clock.Now())

			short := draft(full-time.Minute, "")
			if _, err := svc.Publish(ctx, w.officer, short.ID); !slices.Equal(fieldsOf(err), []string{"closes_at"}) {
				t.Errorf("Publish(a minute short of %d days) error = %v, want one naming closes_at", minimum[method], err)
			}
			if got := w.get(short.ID); got.Status != tender.StatusDraft || got.ShortBiddingWindow || w.audits(short.ID, "tender.publish") != 0 {
				t.Errorf("after a refused Publish: status %s, flag %v, %d publish entries; want a draft, unflagged, none",
					got.Status, got.ShortBiddingWindow, w.audits(short.ID, "tender.publish"))
			}

			exact := draft(full, "")
			if v, err := svc.Publish(ctx, w.officer, exact.ID); err != nil || v.ShortBiddingWindow {
				t.Errorf("Publish(exactly %d days) = flag %v, %v; want published without the flag", minimum[method], v.ShortBiddingWindow, err)
			}

			const why = "汛期应急：原服务合同提前终止，需尽快恢复服务"
			justified := draft(full-time.Minute, "  "+why+"  ")
			v, err := svc.Publish(ctx, w.officer, justified.ID)
			if err != nil {
				t.Fatalf("Publish(short, justified) error = %v", err)
			}
			if !v.ShortBiddingWindow || v.ShortWindowJustification != why {
				t.Errorf("Publish(short, justified) = flag %v, justification %q; want the flag and %q", v.ShortBiddingWindow, v.ShortWindowJustification, why)
			}
			if n := w.count(`SELECT count(*) FROM audit_entries WHERE entity_type = 'tender' AND entity_id = ? AND action = 'tender.publish'
				AND data::jsonb->>'short_window_justification' = ?`, fmt.Sprint(justified.ID), why); n != 1 {
				t.Errorf("publish entries carrying the justification = %d, want 1", n)
			}
			// Every organization, not only its officers, reads the flag and the reason.
			if got, err := svc.Get(ctx, w.orgs[0], justified.ID); err != nil || !got.ShortBiddingWindow || got.ShortWindowJustification != why {
				t.Errorf("Get(as an organization) = flag %v, %q, %v; want the flag and the reason", got.ShortBiddingWindow, got.ShortWindowJustification, err)
			}
		})
	}
}
