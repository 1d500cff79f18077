package tender_test

import (
	"context"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestWholeTender walks one tender from draft to a final award with a draft
// contract, checking the fund at each money step.
func TestWholeTender(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	avail0, res0 := w.balances()
	v := w.published(w.input(5))
	if v.Status != tender.StatusPublished {
		t.Fatalf("status = %s, want published", v.Status)
	}
	if a, r := w.balances(); a != avail0-50_000_000 || r != res0+50_000_000 {
		t.Fatalf("after publish available %d reserved %d", a, r)
	}
	prices := []money.Fen{48_000_000, 45_000_000, 30_000_000, 47_000_000}
	for i, p := range prices {
		w.bid(w.orgs[i], v.ID, p)
	}
	_, err := w.svc.Bids(ctx, w.officer, v.ID)
	wantCode(t, err, "tender.sealed")
	v = w.advanceTo(v.ID, v.OpensAt)
	if v.Status != tender.StatusOpened {
		t.Fatalf("status = %s (%s), want opened", v.Status, v.StatusReason)
	}
	rec, err := w.svc.OpeningRecord(ctx, w.orgs[0], v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.CompliantCount != 4 || len(rec.Bids) != 4 {
		t.Fatalf("opening record = %+v", rec)
	}
	totals := [][]int{{52, 55, 50, 58, 54}, {56, 57, 55, 59, 50}, {40, 42, 45, 38, 44}, {50, 52, 51, 53, 49}}
	byOrg := map[int64]int{}
	for i, o := range w.orgs {
		byOrg[o.Scope.OrganizationID] = i
	}
	for m, ev := range w.evaluators {
		if _, err := w.svc.Declare(ctx, ev, v.ID, false, ""); err != nil {
			t.Fatalf("Declare() error = %v", err)
		}
		var sheets []tender.BidSheet
		for _, b := range rec.Bids {
			total := totals[byOrg[b.OrganizationID]][m]
			// plan takes up to 30, team up to 20, risk the rest (≤ 10).
			plan := min(total-10, 30)
			team := min(total-plan-5, 20)
			risk := total - plan - team
			sheets = append(sheets, tender.BidSheet{BidID: b.BidID, Criteria: []tender.CriterionScore{
				{Code: "plan", Points: tender.Score(plan * 100), Comment: "方案完整"},
				{Code: "team", Points: tender.Score(team * 100), Comment: "团队稳定"},
				{Code: "risk", Points: tender.Score(risk * 100), Comment: "预案可行"}}})
		}
		r, err := w.svc.SubmitScores(ctx, ev, v.ID, sheets)
		if err != nil {
			t.Fatalf("SubmitScores() error = %v", err)
		}
		if r.Complete != (m == len(w.evaluators)-1) {
			t.Fatalf("complete = %v after member %d", r.Complete, m)
		}
	}
	table, err := w.svc.ScoreTable(ctx, w.officer, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"82.00", "78.42", "78.00", "76.15"} // all newcomers: performance 6.00
	for i, row := range table.Rows {
		if row.Total.String() != want[i] {
			t.Errorf("row %d total = %s, want %s (%+v)", i, row.Total, want[i], row)
		}
	}
	p, err := w.svc.ProposeAward(ctx, w.officer, v.ID, tender.AwardInput{})
	if err != nil {
		t.Fatalf("ProposeAward() error = %v", err)
	}
	loser := w.orgs[0]
	ch, err := w.svc.FileChallenge(ctx, loser, v.ID, "评分有误", nil)
	if err != nil {
		t.Fatalf("FileChallenge() error = %v", err)
	}
	v = w.advanceTo(v.ID, p.ChallengeEndsAt.Add(time.Second))
	if v.Status != tender.StatusAwardProposed {
		t.Fatalf("status = %s with an open challenge", v.Status)
	}
	if _, err := w.svc.AnswerChallenge(ctx, w.officer, ch.ID, tender.ChallengeAnswer{Outcome: "dismissed", Answer: "评分无误"}); err != nil {
		t.Fatalf("AnswerChallenge() error = %v", err)
	}
	v = w.get(v.ID)
	if v.Status != tender.StatusAwarded || len(v.Contracts) != 1 || v.Contracts[0].AmountFen != 45_000_000 {
		t.Fatalf("after dismissal: status %s contracts %+v", v.Status, v.Contracts)
	}
}
