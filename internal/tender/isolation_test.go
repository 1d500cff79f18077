package tender_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestOtherSubdistrictNotFound: 飞英's officer finds none of 爱山's tenders,
// questions or challenges, whatever the operation, and changes nothing.
func TestOtherSubdistrictNotFound(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	draft, err := w.svc.Create(ctx, w.officer, w.input(3))
	if err != nil {
		t.Fatal(err)
	}
	w.freshOrgs(4)
	v := w.published(w.input(3))
	q, err := w.svc.Ask(ctx, w.orgs[0], v.ID, "请问服务社区范围？")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		w.bid(w.orgs[i], v.ID, 45_000_000)
	}
	v = w.advanceTo(v.ID, v.OpensAt)
	rec, err := w.svc.OpeningRecord(ctx, w.officer, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.evaluate(v.ID, w.evaluators[:3], rec, same(3, 50, 52, 54))
	evaluated := v.ID
	// A second tender with a proposed award and an open challenge.
	w.clock.Advance(time.Hour)
	proposed, _ := w.proposed()
	c, err := w.svc.FileChallenge(ctx, w.orgs[0], proposed.ID, "异议", nil)
	if err != nil {
		t.Fatal(err)
	}

	other := w.officer2
	desc, title := "改", "改"
	tests := []struct {
		name string
		call func() error
	}{
		{"Get draft", func() error { _, err := w.svc.Get(ctx, other, draft.ID); return err }},
		{"Get published", func() error { _, err := w.svc.Get(ctx, other, v.ID); return err }},
		{"Update draft", func() error { _, err := w.svc.Update(ctx, other, draft.ID, tender.Input{Title: &title}); return err }},
		{"Update committee", func() error {
			ids := []int64{w.evaluators[0].UserID, w.evaluators[1].UserID, w.evaluators[2].UserID}
			_, err := w.svc.Update(ctx, other, evaluated, tender.Input{CommitteeUserIDs: &ids})
			return err
		}},
		{"Publish", func() error { _, err := w.svc.Publish(ctx, other, draft.ID); return err }},
		{"Cancel draft", func() error { _, err := w.svc.Cancel(ctx, other, draft.ID, "越权"); return err }},
		{"Cancel proposed", func() error { _, err := w.svc.Cancel(ctx, other, proposed.ID, "越权"); return err }},
		{"Amend", func() error {
			_, err := w.svc.Amend(ctx, other, evaluated, tender.AmendInput{Reason: "越权", Description: &desc})
			return err
		}},
		{"Answer", func() error { _, err := w.svc.Answer(ctx, other, v.ID, q.ID, "越权答复"); return err }},
		{"ProposeAward", func() error { _, err := w.svc.ProposeAward(ctx, other, evaluated, tender.AwardInput{}); return err }},
		{"AnswerChallenge", func() error {
			_, err := w.svc.AnswerChallenge(ctx, other, c.ID, tender.ChallengeAnswer{Outcome: "upheld", Answer: "越权", Action: "cancel"})
			return err
		}},
		{"AnswerTenderChallenge", func() error {
			_, err := w.svc.AnswerTenderChallenge(ctx, other, proposed.ID, c.ID, tender.ChallengeAnswer{Outcome: "upheld", Answer: "越权", Action: "cancel"})
			return err
		}},
		{"EvidenceDocument", func() error { _, err := w.svc.EvidenceDocument(ctx, other, proposed.ID, c.ID, 1); return err }},
		{"ReplaceRecused", func() error {
			_, err := w.svc.ReplaceRecused(ctx, other, evaluated, []int64{w.evaluators[3].UserID})
			return err
		}},
		{"AmendTyped", func() error {
			_, err := w.svc.AmendTyped(ctx, other, evaluated, tender.TypedAmendment{Reason: "越权", Description: desc})
			return err
		}},
		// The tender's own officer naming the challenge under another tender.
		{"AnswerTenderChallenge under another tender", func() error {
			_, err := w.svc.AnswerTenderChallenge(ctx, w.officer, evaluated, c.ID, tender.ChallengeAnswer{Outcome: "upheld", Answer: "错号", Action: "cancel"})
			return err
		}},

		{"OpeningRecord", func() error { _, err := w.svc.OpeningRecord(ctx, other, v.ID); return err }},
		{"ScoreTable", func() error { _, err := w.svc.ScoreTable(ctx, other, evaluated); return err }},
		{"Bids", func() error { _, err := w.svc.Bids(ctx, other, v.ID); return err }},
		{"Challenges", func() error { _, err := w.svc.Challenges(ctx, other, proposed.ID); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("%s() error = %v, want %v", tt.name, err, apperr.ErrNotFound)
			}
		})
	}
	for id, want := range map[int64]string{draft.ID: tender.StatusDraft, evaluated: tender.StatusEvaluated, proposed.ID: tender.StatusAwardProposed} {
		if got := w.get(id); got.Status != want || got.Title == title {
			t.Errorf("tender %d after the attempts: status %s title %q, want %s and unchanged", id, got.Status, got.Title, want)
		}
	}
	if n := w.count(`SELECT count(*) FROM tender_questions WHERE id = ? AND answer IS NOT NULL`, q.ID) +
		w.count(`SELECT count(*) FROM challenges WHERE id = ? AND status <> 'open'`, c.ID); n != 0 {
		t.Errorf("the question or challenge changed under the other officer: %d", n)
	}
}
