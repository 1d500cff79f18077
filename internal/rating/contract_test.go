package rating_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/rating"
)

// A contract's readers see its latest ratings, newest first, as anyone
// sees them: a hidden comment is gone, and nothing names the record, the
// beneficiary or the service date. The page's forms address a rating and a
// follow-up through its contract: those of another contract are not found.
func TestContractRatingsList(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	other := w.e.ActiveContract(t)
	var ids []int64
	for i, comment := range []string{"第一条评论", "骂人的评论", ""} {
		_, code := w.record(t, i)
		v, err := w.svc.Submit(ctx, resident("10.6.0.1"), code, rating.Stars{Timeliness: 4, Professionalism: 4, Attitude: 4,
			Effectiveness: 4, Overall: 4, Comment: comment})
		if err != nil {
			t.Fatalf("Submit() error = %v", err)
		}
		ids = append(ids, v.ID)
	}
	// A rating of the other contract, of the same organization and
	// subdistrict (w.record records on w.contract).
	mine := w.contract
	w.contract = other
	_, code := w.record(t, 0)
	elsewhere, err := w.svc.Submit(ctx, resident("10.6.0.2"), code, given(2))
	if err != nil {
		t.Fatalf("Submit() error = %v", err)
	}
	otherFUs, err := w.svc.DrawFollowUps(ctx, w.officer, other.ID, 1)
	if err != nil {
		t.Fatalf("DrawFollowUps() error = %v", err)
	}
	w.contract = mine

	if _, err := w.svc.HideOnContract(ctx, w.officer, other.ID, ids[1], "辱骂"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("HideOnContract() through another contract error = %v, want not found", err)
	}
	if _, err := w.svc.HideOnContract(ctx, w.e.ActorOf(t, "demo-officer2"), w.contract.ID, ids[1], "辱骂"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("HideOnContract() by another subdistrict's officer error = %v, want not found", err)
	}
	if _, err := w.svc.HideOnContract(ctx, w.officer, w.contract.ID, ids[1], " "); !isInvalid(err) {
		t.Errorf("HideOnContract() without a reason error = %v, want invalid", err)
	}
	if _, err := w.svc.HideOnContract(ctx, w.officer, w.contract.ID, ids[1], "辱骂"); err != nil {
		t.Fatalf("HideOnContract() error = %v", err)
	}
	if _, err := w.svc.HideOnContract(ctx, w.officer, w.contract.ID, ids[1], "辱骂"); !errors.Is(err, rating.ErrHidden) {
		t.Errorf("second HideOnContract() error = %v, want ErrHidden", err)
	}
	if _, err := w.svc.HideOnContract(ctx, w.officer, w.contract.ID, ids[2], "辱骂"); !errors.Is(err, rating.ErrNoComment) {
		t.Errorf("HideOnContract() of a rating without a comment error = %v, want ErrNoComment", err)
	}

	fus, err := w.svc.DrawFollowUps(ctx, w.officer, w.contract.ID, 1)
	if err != nil {
		t.Fatalf("DrawFollowUps() error = %v", err)
	}
	if _, err := w.svc.RecordFollowUpOnContract(ctx, w.officer, w.contract.ID, otherFUs[0].ID, given(3)); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("RecordFollowUpOnContract() of another contract's follow-up error = %v, want not found", err)
	}
	if _, err := w.svc.RecordFollowUpOnContract(ctx, w.officer, w.contract.ID, fus[0].ID, rating.Stars{Timeliness: 6}); !isInvalid(err) {
		t.Errorf("RecordFollowUpOnContract() with bad stars error = %v, want invalid", err)
	}
	fu, err := w.svc.RecordFollowUpOnContract(ctx, w.officer, w.contract.ID, fus[0].ID, given(3))
	if err != nil {
		t.Fatalf("RecordFollowUpOnContract() error = %v", err)
	}
	if _, err := w.svc.RecordFollowUpOnContract(ctx, w.officer, w.contract.ID, fus[0].ID, given(3)); !errors.Is(err, rating.ErrFollowUpDone) {
		t.Errorf("second RecordFollowUpOnContract() error = %v, want ErrFollowUpDone", err)
	}

	for _, who := range []string{"demo-officer", "demo-finance", "demo-district", "demo-admin", "demo-org", "demo-member"} {
		cr, err := w.svc.Contract(ctx, w.e.ActorOf(t, who), w.contract.ID)
		if err != nil {
			t.Fatalf("Contract() as %s error = %v", who, err)
		}
		var got []int64
		for _, v := range cr.Ratings {
			got = append(got, v.ID)
		}
		if want := []int64{fu.ID, ids[2], ids[1], ids[0]}; !slices.Equal(got, want) {
			t.Fatalf("Contract() as %s lists %v, want %v (newest first, this contract's only)", who, got, want)
		}
		if r := cr.Ratings[0]; r.Kind != rating.KindFollowUp {
			t.Errorf("Contract() as %s: the follow-up rating is of kind %q", who, r.Kind)
		}
		if r := cr.Ratings[2]; r.Comment != nil || !r.CommentHidden {
			t.Errorf("Contract() as %s shows the hidden rating as %+v, want no comment", who, r)
		}
		if cr.Summaries.Code.Count != 3 || cr.Summaries.FollowUp.Count != 1 {
			t.Errorf("Contract() as %s summaries = %+v, want 3 self-service and 1 follow-up", who, cr.Summaries)
		}
		raw, err := json.Marshal(cr)
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{"骂人的评论", "RT-", "record", "beneficiary", "service_date"} {
			if strings.Contains(string(raw), leak) {
				t.Errorf("Contract() as %s holds %q: %s", who, leak, raw)
			}
		}
	}
	for who, want := range map[string]error{"demo-officer2": apperr.ErrNotFound, "demo-org2": apperr.ErrNotFound,
		"demo-evaluator": apperr.ErrForbidden, "demo-resident": apperr.ErrForbidden} {
		if _, err := w.svc.Contract(ctx, w.e.ActorOf(t, who), w.contract.ID); !errors.Is(err, want) {
			t.Errorf("Contract() as %s error = %v, want %v", who, err, want)
		}
	}
	if cr, err := w.svc.Contract(ctx, w.officer, other.ID); err != nil || len(cr.Ratings) != 1 || cr.Ratings[0].ID != elsewhere.ID {
		t.Errorf("Contract() of the other contract = %+v, %v; want its one rating", cr, err)
	}
}

func isInvalid(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == apperr.Invalid
}
