package delivery_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/delivery"
)

func TestGet(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v := w.record(t, w.input())
	minutes, reason := 120, "时长登记错误"
	if _, err := w.svc.Correct(ctx, w.org, v.ID, delivery.Correction{DurationMinutes: &minutes, Reason: reason}); err != nil {
		t.Fatalf("Correct() error = %v", err)
	}
	d, err := w.svc.Get(ctx, w.org, v.ID)
	if err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	if d.DurationMinutes != 120 || d.Revision != 2 || d.RatingCode == nil || d.RatingCode.Code != v.RatingCode.Code {
		t.Errorf("Get() = minutes %d, revision %d, code %v; want 120, 2 and the code %s", d.DurationMinutes, d.Revision, d.RatingCode, v.RatingCode.Code)
	}
	if len(d.Revisions) != 1 || d.Revisions[0].Reason != reason || d.Revisions[0].Previous.DurationMinutes != 90 ||
		d.Revisions[0].Previous.BeneficiaryRef != "NJ-0001" {
		t.Errorf("Get().Revisions = %+v, want one keeping 90 minutes and NJ-0001, for %q", d.Revisions, reason)
	}

	officer, err := w.svc.Get(ctx, w.e.ActorOf(t, "demo-officer"), v.ID)
	if err != nil || officer.RatingCode != nil {
		t.Errorf("Get() as the officer = code %v, error %v; want no code, nil", officer.RatingCode, err)
	}
	for who, want := range map[string]error{"demo-org2": apperr.ErrNotFound, "demo-officer2": apperr.ErrNotFound,
		"demo-resident": apperr.ErrForbidden, "demo-evaluator": apperr.ErrForbidden} {
		if _, err := w.svc.Get(ctx, w.e.ActorOf(t, who), v.ID); !errors.Is(err, want) {
			t.Errorf("Get() as %s error = %v, want %v", who, err, want)
		}
	}
	if _, err := w.svc.Get(ctx, w.org, v.ID+1000); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("Get() of no record error = %v, want %v", err, apperr.ErrNotFound)
	}
}
