package tender_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// suspendCertification has the district admin suspend the organization's
// certification for elderly home care, as after a complaint.
func (w *world) suspendCertification(by access.Actor) {
	w.t.Helper()
	var id int64
	if err := w.db.Raw(`SELECT id FROM certifications WHERE organization_id = ? AND status = 'approved'`,
		by.Scope.OrganizationID).Scan(&id).Error; err != nil || id == 0 {
		w.t.Fatalf("certification of %s: %d, %v", by.Username, id, err)
	}
	orgs := org.NewService(w.db, w.clock, org.Options{Argon2: cheapArgon})
	if _, err := orgs.Suspend(context.Background(), w.actor("demo-district"), id, "服务投诉核查中"); err != nil {
		w.t.Fatalf("Suspend(certification of %s) error = %v", by.Username, err)
	}
}

// TestAwardProposalRechecksEligibility: a provider suspended between the
// opening and the award proposal is not proposed: the default passes to the
// next-ranked bid, and naming the suspended one is refused.
func TestAwardProposalRechecksEligibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v, rec := w.evaluated()
	first, second := bidOf(rec, w.orgs[1]), bidOf(rec, w.orgs[2])
	w.suspendCertification(w.orgs[1])

	if _, err := w.svc.ProposeAward(ctx, w.officer, v.ID, tender.AwardInput{BidIDs: []int64{first}}); !slices.Contains(fieldsOf(err), "bid_ids[0]") {
		t.Errorf("ProposeAward(the suspended provider's bid) error = %v (fields %v), want one naming bid_ids[0]", err, fieldsOf(err))
	}
	if got := w.get(v.ID).Status; got != tender.StatusEvaluated {
		t.Fatalf("status after the refused proposal = %s, want evaluated", got)
	}
	p, err := w.svc.ProposeAward(ctx, w.officer, v.ID, tender.AwardInput{})
	if err != nil {
		t.Fatalf("ProposeAward(default) error = %v", err)
	}
	if !slices.Equal(p.BidIDs, []int64{second}) || p.DeviationReason != "" {
		t.Errorf("default award = %v (reason %q), want the next-ranked bid %d, no deviation", p.BidIDs, p.DeviationReason, second)
	}
}

// blocked proposes the default award, suspends the winner's certification in
// the challenge period and lets the challenge period end: the job's re-check
// fails and hands the tender back to the officer.
func (w *world) blocked() (tender.View, tender.AwardProposalView, tender.OpeningRecord) {
	w.t.Helper()
	v, rec := w.evaluated()
	p, err := w.svc.ProposeAward(context.Background(), w.officer, v.ID, tender.AwardInput{})
	if err != nil {
		w.t.Fatalf("ProposeAward() error = %v", err)
	}
	w.clock.Advance(time.Hour)
	w.suspendCertification(w.orgs[1])
	return w.advanceTo(v.ID, p.ChallengeEndsAt), p, rec
}

// TestFinalAwardRechecksEligibility: when the winner is no longer eligible at
// the end of the challenge period, the job makes nothing final and does not
// retry: the tender waits for the officer (award_blocked) with the reason
// recorded and the bidders told. The officer proposes the next-ranked bid, with
// a new challenge period, which becomes final in its turn.
func TestFinalAwardRechecksEligibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v, p, rec := w.blocked()
	second := bidOf(rec, w.orgs[2])

	if v.Status != "award_blocked" || len(v.Contracts) != 0 {
		t.Fatalf("after the period with the winner suspended: status %s, %d contracts; want award_blocked and none", v.Status, len(v.Contracts))
	}
	if !strings.Contains(v.StatusReason, "新设社会组织B (no active certification for the category)") {
		t.Errorf("status reason = %q, want the winner named with why it is not eligible", v.StatusReason)
	}
	if n := w.count(`SELECT count(*) FROM award_proposals WHERE id = ? AND status = 'withdrawn' AND ended_at IS NOT NULL`, p.ID); n != 1 {
		t.Errorf("the blocked proposal is not withdrawn (%d)", n)
	}
	if n := w.audits(v.ID, "tender.award_blocked"); n != 1 {
		t.Errorf("tender.award_blocked audit entries = %d, want 1", n)
	}
	if n := w.audits(v.ID, "tender.award_final"); n != 0 {
		t.Errorf("tender.award_final audit entries = %d, want 0", n)
	}
	if n := w.count(`SELECT count(*) FROM notifications WHERE tender_id = ? AND kind = 'award_blocked' AND organization_id IS NOT NULL`, v.ID); n != 3 {
		t.Errorf("award blocked notifications to organizations = %d, want 3 (each bidder)", n)
	}
	if n := w.count(`SELECT count(*) FROM notifications WHERE tender_id = ? AND kind = 'award_blocked' AND user_id = ?`, v.ID, w.officer.UserID); n != 1 {
		t.Errorf("award blocked notifications to the officer = %d, want 1", n)
	}
	// The reservation stays for the next proposal.
	if n := w.postings(v.ID, "release"); n != 0 {
		t.Errorf("release postings while blocked = %d, want 0", n)
	}
	// Not retried for ever: nothing is due, and advancing again changes nothing.
	due, err := w.svc.Due(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := due[v.ID]; ok {
		t.Errorf("Due() lists the blocked tender")
	}
	before := w.dump()
	if got := w.advanceTo(v.ID, p.ChallengeEndsAt.Add(48*time.Hour)); got.Status != "award_blocked" {
		t.Errorf("status after advancing again = %s, want award_blocked", got.Status)
	}
	if after := w.dump(); !maps.Equal(before, after) {
		t.Errorf("advancing a blocked tender changed the database")
	}

	// The officer proposes the next-ranked bid: a new challenge period.
	w.clock.Set(p.ChallengeEndsAt.Add(72 * time.Hour))
	p2, err := w.svc.ProposeAward(ctx, w.officer, v.ID, tender.AwardInput{})
	if err != nil {
		t.Fatalf("ProposeAward() after the block error = %v", err)
	}
	if !slices.Equal(p2.BidIDs, []int64{second}) || !p2.ChallengeEndsAt.Equal(w.clock.Now().AddDate(0, 0, v.ChallengeDays)) {
		t.Errorf("new proposal = %v ending %v, want bid %d with a new challenge period", p2.BidIDs, p2.ChallengeEndsAt, second)
	}
	got := w.advanceTo(v.ID, p2.ChallengeEndsAt)
	if got.Status != tender.StatusAwarded || len(got.Contracts) != 1 || got.Contracts[0].BidID != second {
		t.Fatalf("after the new period: status %s, %d contracts; want awarded to bid %d", got.Status, len(got.Contracts), second)
	}
}

// TestBlockedAwardCancelled: from award_blocked the officer may cancel, which
// releases the reservation.
func TestBlockedAwardCancelled(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v, _, _ := w.blocked()
	if _, err := w.svc.Cancel(context.Background(), w.officer, v.ID, "唯一合格供应商被暂停，终止采购"); err != nil {
		t.Fatalf("Cancel(award_blocked) error = %v", err)
	}
	if got := w.get(v.ID).Status; got != tender.StatusCancelled {
		t.Errorf("status = %s, want cancelled", got)
	}
	if from := w.cancelledFrom(v.ID); from != "award_blocked" {
		t.Errorf("cancelled from %s, want award_blocked", from)
	}
	if n := w.postings(v.ID, "release"); n != 1 {
		t.Errorf("release postings = %d, want 1", n)
	}
}

// TestDismissalRechecksEligibility: dismissing the last open challenge after
// the period makes the award final only if the winner is still eligible;
// otherwise the answer stands and the tender waits for the officer.
func TestDismissalRechecksEligibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v, p := w.proposed()
	c, err := w.svc.FileChallenge(ctx, w.orgs[0], v.ID, "技术评分有误", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.suspendCertification(w.orgs[1])
	w.clock.Set(p.ChallengeEndsAt.Add(time.Hour))
	answered, err := w.svc.AnswerChallenge(ctx, w.officer, c.ID, tender.ChallengeAnswer{Outcome: "dismissed", Answer: "评分无误"})
	if err != nil {
		t.Fatalf("AnswerChallenge(dismiss the last) error = %v", err)
	}
	if answered.Status != "dismissed" {
		t.Errorf("challenge = %s, want dismissed", answered.Status)
	}
	if got := w.get(v.ID); got.Status != "award_blocked" || len(got.Contracts) != 0 {
		t.Errorf("after dismissing with the winner suspended: status %s, %d contracts; want award_blocked and none", got.Status, len(got.Contracts))
	}
}

// TestNoEligibleBid: when no scored bidder is still eligible there is nothing
// to propose; the officer can only cancel.
func TestNoEligibleBid(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v, _ := w.evaluated()
	for _, o := range w.orgs[:3] {
		w.suspendCertification(o)
	}
	if _, err := w.svc.ProposeAward(context.Background(), w.officer, v.ID, tender.AwardInput{}); !errors.Is(err, tender.ErrNoEligibleBid) {
		t.Errorf("ProposeAward() error = %v, want %v", err, tender.ErrNoEligibleBid)
	}
	if got := w.get(v.ID).Status; got != tender.StatusEvaluated {
		t.Errorf("status = %s, want evaluated", got)
	}
}
