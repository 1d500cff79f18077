package tender_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestAmendTyped: what an officer types over the current values becomes an
// amendment of what differs only; a time is compared as a form shows it, to
// the minute, and a form that changes nothing is refused naming "changes".
func TestAmendTyped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v := w.published(w.input(3))
	// A close with seconds, as an API client may set it; a form shows it to the minute.
	odd := v.ClosesAt.Add(90 * time.Second)
	if _, err := w.svc.Amend(ctx, w.officer, v.ID, tender.AmendInput{Reason: "延后 90 秒", ClosesAt: &odd}); err != nil {
		t.Fatalf("Amend(closes_at) error = %v", err)
	}
	shown := func(cur tender.View) tender.TypedAmendment {
		return tender.TypedAmendment{Reason: "变更", Description: "  " + cur.Description + "\n",
			QuestionsCloseAt: cur.QuestionsCloseAt.Truncate(time.Minute), ClosesAt: cur.ClosesAt.Truncate(time.Minute),
			OpensAt: cur.OpensAt.Truncate(time.Minute)}
	}
	steps := []struct {
		name        string
		typed       func(cur tender.View) tender.TypedAmendment
		wantFields  []string // refused, naming these (sorted)
		wantChanges []string // else amended, recording these
	}{
		{"the form as shown", shown, []string{"changes"}, nil},
		{"the form as shown without a reason", func(cur tender.View) tender.TypedAmendment {
			a := shown(cur)
			a.Reason = " "
			return a
		}, []string{"changes", "reason"}, nil},
		{"times left empty", func(cur tender.View) tender.TypedAmendment {
			return tender.TypedAmendment{Reason: "变更", Description: cur.Description}
		}, []string{"changes"}, nil},
		{"the exact times", func(cur tender.View) tender.TypedAmendment {
			a := shown(cur)
			a.QuestionsCloseAt, a.ClosesAt, a.OpensAt = cur.QuestionsCloseAt, cur.ClosesAt, cur.OpensAt
			return a
		}, []string{"changes"}, nil},
		{"the description", func(cur tender.View) tender.TypedAmendment {
			a := shown(cur)
			a.Description = "补充：服务对象含失能老人"
			return a
		}, nil, []string{"description"}},
		{"a later close and opening", func(cur tender.View) tender.TypedAmendment {
			a := shown(cur)
			a.ClosesAt, a.OpensAt = a.ClosesAt.AddDate(0, 0, 1), a.OpensAt.AddDate(0, 0, 1)
			return a
		}, nil, []string{"closes_at", "opens_at"}},
	}
	for _, st := range steps {
		cur := w.get(v.ID)
		got, err := w.svc.AmendTyped(ctx, w.officer, v.ID, st.typed(cur))
		if st.wantFields != nil {
			if fields := slices.Sorted(slices.Values(fieldsOf(err))); !slices.Equal(fields, st.wantFields) {
				t.Errorf("%s: AmendTyped() error = %v (fields %v), want fields %v", st.name, err, fields, st.wantFields)
			}
			if after := w.get(v.ID); len(after.Amendments) != len(cur.Amendments) {
				t.Errorf("%s: %d amendments after a refusal, want %d", st.name, len(after.Amendments), len(cur.Amendments))
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: AmendTyped() error = %v", st.name, err)
		}
		last := got.Amendments[len(got.Amendments)-1]
		if keys := slices.Sorted(maps.Keys(last.Changes)); !slices.Equal(keys, st.wantChanges) {
			t.Errorf("%s: amendment %d records changes %v, want %v", st.name, last.Number, keys, st.wantChanges)
		}
	}
	if got := w.get(v.ID); got.Description != "补充：服务对象含失能老人" || !got.ClosesAt.Equal(odd.Truncate(time.Minute).AddDate(0, 0, 1)) {
		t.Errorf("after the amendments: description %q, closes %v; want the typed ones", got.Description, got.ClosesAt)
	}
}
