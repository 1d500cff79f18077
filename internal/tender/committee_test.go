package tender_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// sheets scores every compliant bid of rec with the same total.
func sheets(rec tender.OpeningRecord, total int) []tender.BidSheet {
	var out []tender.BidSheet
	for _, b := range rec.Bids {
		if b.Compliant {
			out = append(out, sheet(b.BidID, total))
		}
	}
	return out
}

// TestRecusalAndReplacement: a member scores only after declaring no
// conflict; a member who declares one is recused, the officer replaces them,
// and the replacement scores. Nobody sees the table before the last sheet.
func TestRecusalAndReplacement(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v, rec := w.open(w.input(3), 48_000_000, 45_000_000, 47_000_000)
	m0, m1, m2, spare := w.evaluators[0], w.evaluators[1], w.evaluators[2], w.evaluators[3]

	if _, err := w.svc.SubmitScores(ctx, m1, v.ID, sheets(rec, 50)); !errors.Is(err, tender.ErrNotDeclared) {
		t.Errorf("SubmitScores() before declaring error = %v, want %v", err, tender.ErrNotDeclared)
	}
	if _, err := w.svc.Bids(ctx, m1, v.ID); !errors.Is(err, tender.ErrNotDeclared) {
		t.Errorf("Bids() before declaring error = %v, want %v", err, tender.ErrNotDeclared)
	}
	if _, err := w.svc.Declare(ctx, m0, v.ID, true, " "); !slices.Contains(fieldsOf(err), "statement") {
		t.Errorf("Declare(conflict, no statement) error = %v, want one naming statement", err)
	}
	if m, err := w.svc.Declare(ctx, m0, v.ID, true, "与投标人存在亲属关系"); err != nil || !m.Recused {
		t.Fatalf("Declare(conflict) = %+v, %v; want recused", m, err)
	}
	if _, err := w.svc.Declare(ctx, m0, v.ID, false, ""); !errors.Is(err, tender.ErrDeclared) {
		t.Errorf("Declare() again error = %v, want %v", err, tender.ErrDeclared)
	}
	if _, err := w.svc.SubmitScores(ctx, m0, v.ID, sheets(rec, 50)); !errors.Is(err, tender.ErrRecused) {
		t.Errorf("SubmitScores(recused) error = %v, want %v", err, tender.ErrRecused)
	}
	if _, err := w.svc.Bids(ctx, m0, v.ID); !errors.Is(err, tender.ErrRecused) {
		t.Errorf("Bids(recused) error = %v, want %v", err, tender.ErrRecused)
	}
	for _, m := range []int{1, 2} {
		ev := w.evaluators[m]
		if _, err := w.svc.Declare(ctx, ev, v.ID, false, ""); err != nil {
			t.Fatalf("Declare(%s) error = %v", ev.Username, err)
		}
		r, err := w.svc.SubmitScores(ctx, ev, v.ID, sheets(rec, 40+m))
		if err != nil || r.Complete {
			t.Fatalf("SubmitScores(%s) = %+v, %v; want accepted, not complete", ev.Username, r, err)
		}
	}
	for _, tt := range []struct {
		name string
		by   access.Actor
	}{{"officer", w.officer}, {"member", m1}, {"bidder", w.orgs[0]}} {
		if _, err := w.svc.ScoreTable(ctx, tt.by, v.ID); !errors.Is(err, tender.ErrScoresIncomplete) {
			t.Errorf("ScoreTable(%s) with the committee short error = %v, want %v", tt.name, err, tender.ErrScoresIncomplete)
		}
	}
	if _, err := w.svc.Declare(ctx, spare, v.ID, false, ""); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("Declare(not a member) error = %v, want %v", err, apperr.ErrNotFound)
	}

	committee := func(ids ...int64) tender.Input { return tender.Input{CommitteeUserIDs: &ids} }
	refused := []struct {
		name string
		in   tender.Input
		code string
	}{
		{"recused member back", committee(m0.UserID, m1.UserID, m2.UserID), "validation"},
		{"a staying member dropped", committee(m1.UserID, spare.UserID, w.evaluators[4].UserID), tender.ErrCommitteeChange.Code},
		{"size changed", committee(m1.UserID, m2.UserID, spare.UserID, w.evaluators[4].UserID), tender.ErrCommitteeChange.Code},
		{"not an evaluator", committee(m1.UserID, m2.UserID, w.officer.UserID), "validation"},
	}
	for _, tt := range refused {
		_, err := w.svc.Update(ctx, w.officer, v.ID, tt.in)
		if e, ok := apperr.As(err); !ok || e.Code != tt.code {
			t.Errorf("Update(%s) error = %v, want code %s", tt.name, err, tt.code)
		}
	}
	got, err := w.svc.Update(ctx, w.officer, v.ID, committee(m1.UserID, m2.UserID, spare.UserID))
	if err != nil {
		t.Fatalf("Update(replace the recused member) error = %v", err)
	}
	var active []int64
	for _, m := range got.Committee {
		if !m.Recused {
			active = append(active, m.UserID)
		}
	}
	if want := []int64{m1.UserID, m2.UserID, spare.UserID}; !slices.Equal(active, want) {
		t.Errorf("committee after replacement = %v, want %v", active, want)
	}
	if n := w.count(`SELECT count(*) FROM notifications WHERE tender_id = ? AND user_id = ? AND kind = ?`, v.ID, spare.UserID, tender.KindCommitteeToScore); n != 1 {
		t.Errorf("notifications to the new member = %d, want 1", n)
	}
	if _, err := w.svc.Declare(ctx, spare, v.ID, false, ""); err != nil {
		t.Fatalf("Declare(new member) error = %v", err)
	}
	r, err := w.svc.SubmitScores(ctx, spare, v.ID, sheets(rec, 45))
	if err != nil || !r.Complete {
		t.Fatalf("SubmitScores(new member) = %+v, %v; want the evaluation complete", r, err)
	}
	table, err := w.svc.ScoreTable(ctx, m1, v.ID)
	if err != nil {
		t.Fatalf("ScoreTable(member) after the last sheet error = %v", err)
	}
	var members []int64
	for _, m := range table.Members {
		members = append(members, m.UserID)
	}
	if want := []int64{m1.UserID, m2.UserID, spare.UserID}; !slices.Equal(members, want) {
		t.Errorf("score table members = %v, want %v (not the recused one)", members, want)
	}
	if tech := table.Rows[0].Technical.String(); tech != "42.67" {
		t.Errorf("technical = %s, want 42.67 (41, 42, 45)", tech)
	}
}

// TestResubmitUntilLastSheet: a member may replace their sheet until the last
// member submits; the table holds the latest sheet.
func TestResubmitUntilLastSheet(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v, rec := w.open(w.input(3), 48_000_000, 45_000_000, 47_000_000)
	m := w.evaluators[:3]
	for _, ev := range m {
		if _, err := w.svc.Declare(ctx, ev, v.ID, false, ""); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		who      int
		total    int
		wantErr  error
		complete bool
	}{
		{0, 30, nil, false},
		{0, 36, nil, false}, // resubmitted
		{1, 42, nil, false},
		{1, 45, nil, false}, // resubmitted
		{2, 48, nil, true},
		{0, 60, tender.ErrNotEvaluating, false}, // after the last sheet
	}
	for i, st := range steps {
		r, err := w.svc.SubmitScores(ctx, m[st.who], v.ID, sheets(rec, st.total))
		if !errors.Is(err, st.wantErr) {
			t.Fatalf("step %d: SubmitScores() error = %v, want %v", i, err, st.wantErr)
		}
		if r.Complete != st.complete {
			t.Errorf("step %d: complete = %v, want %v", i, r.Complete, st.complete)
		}
		if i < 4 {
			if _, err := w.svc.ScoreTable(ctx, w.officer, v.ID); !errors.Is(err, tender.ErrScoresIncomplete) {
				t.Errorf("step %d: ScoreTable(officer) error = %v, want %v", i, err, tender.ErrScoresIncomplete)
			}
		}
	}
	table, err := w.svc.ScoreTable(ctx, w.officer, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range table.Rows {
		var got []int
		for _, s := range r.MemberTotals {
			got = append(got, int(s/100))
		}
		if want := []int{36, 45, 48}; !slices.Equal(got, want) {
			t.Errorf("bid %d member totals = %v, want %v (the latest sheets)", r.BidID, got, want)
		}
	}
}

// TestSheetValidation: an incomplete or out-of-range sheet is refused, naming
// the field, and nothing of it is stored.
func TestSheetValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v, rec := w.open(w.input(3), 48_000_000, 45_000_000, 47_000_000)
	ev := w.evaluators[0]
	if _, err := w.svc.Declare(ctx, ev, v.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		edit  func(s []tender.BidSheet) []tender.BidSheet
		field string
	}{
		{"a bid missing", func(s []tender.BidSheet) []tender.BidSheet { return s[1:] }, "scores"},
		{"a criterion missing", func(s []tender.BidSheet) []tender.BidSheet {
			s[0].Criteria = s[0].Criteria[:2]
			return s
		}, "scores[0].criteria"},
		{"points above the maximum", func(s []tender.BidSheet) []tender.BidSheet {
			s[1].Criteria[0].Points = 3001 // plan's maximum is 30.00
			return s
		}, "scores[1].criteria[0].points"},
		{"negative points", func(s []tender.BidSheet) []tender.BidSheet {
			s[2].Criteria[2].Points = -1
			return s
		}, "scores[2].criteria[2].points"},
		{"empty comment", func(s []tender.BidSheet) []tender.BidSheet {
			s[0].Criteria[1].Comment = "  "
			return s
		}, "scores[0].criteria[1].comment"},
		{"unknown criterion", func(s []tender.BidSheet) []tender.BidSheet {
			s[0].Criteria[2].Code = "price"
			return s
		}, "scores[0].criteria[2].code"},
		{"a bid twice", func(s []tender.BidSheet) []tender.BidSheet { return append(s, s[0]) }, "scores[3].bid_id"},
		{"a bid of another tender", func(s []tender.BidSheet) []tender.BidSheet {
			s[0].BidID = -1
			return s
		}, "scores[0].bid_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.svc.SubmitScores(ctx, ev, v.ID, tt.edit(sheets(rec, 50)))
			if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid || !slices.Contains(fieldsOf(err), tt.field) {
				t.Errorf("SubmitScores() error = %v (fields %v), want a validation error naming %s", err, fieldsOf(err), tt.field)
			}
		})
	}
	if n := w.count(`SELECT count(*) FROM score_sheets WHERE tender_id = ?`, v.ID) + w.count(`SELECT count(*) FROM bid_scores WHERE tender_id = ?`, v.ID); n != 0 {
		t.Errorf("rows stored by refused sheets = %d, want 0", n)
	}
}

// TestReplaceRecused: the officer names evaluators in place of the recused
// members; the others stay without being named again. Anything but a
// one-for-one replacement during the evaluation is refused and changes
// nothing.
func TestReplaceRecused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	published := w.published(w.input(3))
	v, _ := w.open(w.input(3), 48_000_000, 45_000_000, 47_000_000)
	m0, m1, m2, spare, spare2 := w.evaluators[0], w.evaluators[1], w.evaluators[2], w.evaluators[3], w.evaluators[4]
	if _, err := w.svc.Declare(ctx, m0, v.ID, true, "与投标人存在亲属关系"); err != nil {
		t.Fatalf("Declare(conflict) error = %v", err)
	}

	refused := []struct {
		name       string
		by         access.Actor
		tenderID   int64
		evaluators []int64
		code       string
	}{
		{"before the opening", w.officer, published.ID, []int64{spare.UserID}, tender.ErrNotEvaluating.Code},
		{"another subdistrict's officer", w.officer2, v.ID, []int64{spare.UserID}, apperr.ErrNotFound.Code},
		{"nobody named", w.officer, v.ID, nil, tender.ErrCommitteeChange.Code},
		{"only members named", w.officer, v.ID, []int64{m1.UserID, m2.UserID}, tender.ErrCommitteeChange.Code},
		{"two for one", w.officer, v.ID, []int64{spare.UserID, spare2.UserID}, tender.ErrCommitteeChange.Code},
		{"the recused member back", w.officer, v.ID, []int64{m0.UserID}, "validation"},
		{"not an evaluator", w.officer, v.ID, []int64{w.officer.UserID}, "validation"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.svc.ReplaceRecused(ctx, tt.by, tt.tenderID, tt.evaluators)
			if e, ok := apperr.As(err); !ok || e.Code != tt.code {
				t.Errorf("ReplaceRecused() error = %v, want code %s", err, tt.code)
			}
		})
	}
	if n := w.audits(v.ID, "committee.replace"); n != 0 {
		t.Fatalf("committee.replace entries after refusals = %d, want 0", n)
	}

	got, err := w.svc.ReplaceRecused(ctx, w.officer, v.ID, []int64{spare.UserID, m1.UserID, spare.UserID})
	if err != nil {
		t.Fatalf("ReplaceRecused(spare) error = %v", err)
	}
	var active []int64
	for _, m := range got.Committee {
		if !m.Recused {
			active = append(active, m.UserID)
		}
	}
	if want := []int64{m1.UserID, m2.UserID, spare.UserID}; !slices.Equal(active, want) {
		t.Errorf("committee after ReplaceRecused() = %v, want %v", active, want)
	}
	if n := w.audits(v.ID, "committee.replace"); n != 1 {
		t.Errorf("committee.replace entries = %d, want 1", n)
	}
	if n := w.count(`SELECT count(*) FROM notifications WHERE tender_id = ? AND user_id = ? AND kind = ?`, v.ID, spare.UserID, tender.KindCommitteeToScore); n != 1 {
		t.Errorf("notifications to the new member = %d, want 1", n)
	}
	// The committee is whole again: nobody is left to replace.
	if _, err := w.svc.ReplaceRecused(ctx, w.officer, v.ID, []int64{spare2.UserID}); !errors.Is(err, tender.ErrCommitteeChange) {
		t.Errorf("ReplaceRecused() once replaced error = %v, want %v", err, tender.ErrCommitteeChange)
	}
}
