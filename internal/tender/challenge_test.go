package tender_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// evaluated opens a tender of three members on which fresh organizations 0,
// 1 and 2 bid 480,000, 450,000 and 470,000 yuan, and has the committee give
// every bid 50 points: organization 1, the cheapest, ranks first.
func (w *world) evaluated() (tender.View, tender.OpeningRecord) {
	w.t.Helper()
	w.freshOrgs(4)
	v, rec := w.open(w.input(3), 48_000_000, 45_000_000, 47_000_000)
	w.evaluate(v.ID, w.evaluators[:3], rec, same(3, 50, 50, 50))
	return v, rec
}

// proposed is evaluated with the default award proposed.
func (w *world) proposed() (tender.View, tender.AwardProposalView) {
	w.t.Helper()
	v, _ := w.evaluated()
	p, err := w.svc.ProposeAward(context.Background(), w.officer, v.ID, tender.AwardInput{})
	if err != nil {
		w.t.Fatalf("ProposeAward() error = %v", err)
	}
	return w.get(v.ID), p
}

func bidOf(rec tender.OpeningRecord, by access.Actor) int64 {
	for _, b := range rec.Bids {
		if b.OrganizationID == by.Scope.OrganizationID {
			return b.BidID
		}
	}
	return 0
}

// TestAwardChoice: the default winner is the first-ranked bid; any other
// choice needs a reason.
func TestAwardChoice(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v, rec := w.evaluated()
	first, second := bidOf(rec, w.orgs[1]), bidOf(rec, w.orgs[2])
	table, err := w.svc.ScoreTable(ctx, w.officer, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if table.Rows[0].BidID != first || table.Rows[1].BidID != second {
		t.Fatalf("ranking = %d, %d, want %d, %d", table.Rows[0].BidID, table.Rows[1].BidID, first, second)
	}
	refused := []struct {
		name  string
		in    tender.AwardInput
		field string
	}{
		{"another bid without a reason", tender.AwardInput{BidIDs: []int64{second}}, "deviation_reason"},
		{"another bid, blank reason", tender.AwardInput{BidIDs: []int64{second}, DeviationReason: "   "}, "deviation_reason"},
		{"two winners", tender.AwardInput{BidIDs: []int64{first, second}, DeviationReason: "两家共同承接"}, "bid_ids"},
		{"not a bid of the tender", tender.AwardInput{BidIDs: []int64{-5}, DeviationReason: "x"}, "bid_ids[0]"},
	}
	for _, tt := range refused {
		if _, err := w.svc.ProposeAward(ctx, w.officer, v.ID, tt.in); !slices.Contains(fieldsOf(err), tt.field) {
			t.Errorf("ProposeAward(%s) error = %v (fields %v), want one naming %s", tt.name, err, fieldsOf(err), tt.field)
		}
	}
	if got := w.get(v.ID).Status; got != tender.StatusEvaluated {
		t.Fatalf("status after refused proposals = %s, want evaluated", got)
	}
	// The first-ranked bid needs no reason, even when named.
	if _, err := w.svc.ProposeAward(ctx, w.officer, v.ID, tender.AwardInput{BidIDs: []int64{first}}); err != nil {
		t.Fatalf("ProposeAward(first-ranked, named) error = %v", err)
	}
}

// TestAwardDeviation: the officer may propose another bid with a documented
// reason, published with the proposal.
func TestAwardDeviation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v, rec := w.evaluated()
	second := bidOf(rec, w.orgs[2])
	p, err := w.svc.ProposeAward(ctx, w.officer, v.ID, tender.AwardInput{BidIDs: []int64{second}, DeviationReason: "第一名服务网点不覆盖全部社区"})
	if err != nil {
		t.Fatalf("ProposeAward(deviation) error = %v", err)
	}
	pub, err := w.svc.PublicGet(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pub.Award == nil || !slices.Equal(pub.Award.BidIDs, []int64{second}) || pub.Award.DeviationReason != p.DeviationReason || p.DeviationReason == "" {
		t.Errorf("public award = %+v, want bid %d with the deviation reason", pub.Award, second)
	}
}

// TestVentureWinners: a venture philanthropy call takes winners in rank order
// within max_winners and the ceiling.
func TestVentureWinners(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		maxWinners int
		prices     []money.Fen
		technical  []int
		want       []int // organizations, in rank order
	}{
		// All fit the ceiling together; max_winners stops at two.
		{"max winners", 2, []money.Fen{10_000_000, 12_000_000, 15_000_000, 20_000_000}, []int{50, 50, 50, 50}, []int{0, 1}},
		// Ranks 1 and 2 take 450,000 of 500,000; neither rank 3 nor 4 fits after them.
		{"ceiling", 5, []money.Fen{25_000_000, 20_000_000, 10_000_000, 8_000_000}, []int{60, 55, 30, 20}, []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			ctx := context.Background()
			w.freshOrgs(4)
			in := w.input(3)
			method := "venture_philanthropy"
			in.PurchaseMethod, in.MaxWinners = &method, &tt.maxWinners
			v, rec := w.open(in, tt.prices...)
			w.evaluate(v.ID, w.evaluators[:3], rec, same(3, tt.technical...))
			var all []int64
			for _, b := range rec.Bids {
				all = append(all, b.BidID)
			}
			if _, err := w.svc.ProposeAward(ctx, w.officer, v.ID, tender.AwardInput{BidIDs: all, DeviationReason: "全部资助"}); !slices.Contains(fieldsOf(err), "bid_ids") {
				t.Errorf("ProposeAward(all four) error = %v, want one naming bid_ids", err)
			}
			p, err := w.svc.ProposeAward(ctx, w.officer, v.ID, tender.AwardInput{})
			if err != nil {
				t.Fatalf("ProposeAward() error = %v", err)
			}
			var want []int64
			for _, i := range tt.want {
				want = append(want, bidOf(rec, w.orgs[i]))
			}
			if !slices.Equal(p.BidIDs, want) {
				t.Errorf("winners = %v, want %v", p.BidIDs, want)
			}
			for i, r := range p.Winners {
				if r.Rank != i+1 {
					t.Errorf("winner %d has rank %d, want %d", i, r.Rank, i+1)
				}
			}
		})
	}
}

// TestChallengeBlocksFinalAward: only bidders challenge, only in the period;
// an open challenge holds the award; dismissing the last one after the period
// makes it final with its draft contract.
func TestChallengeBlocksFinalAward(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v, p := w.proposed()
	winner := w.orgs[1]
	if _, err := w.svc.FileChallenge(ctx, w.orgs[3], v.ID, "评分不公", nil); !errors.Is(err, tender.ErrNotBidder) {
		t.Errorf("FileChallenge(eligible non-bidder) error = %v, want %v", err, tender.ErrNotBidder)
	}
	if _, err := w.svc.FileChallenge(ctx, w.actor("demo-org2"), v.ID, "评分不公", nil); !errors.Is(err, tender.ErrNotBidder) {
		t.Errorf("FileChallenge(uncertified organization) error = %v, want %v", err, tender.ErrNotBidder)
	}
	c1, err := w.svc.FileChallenge(ctx, w.orgs[0], v.ID, "技术评分有误", nil)
	if err != nil {
		t.Fatalf("FileChallenge() error = %v", err)
	}
	w.clock.Set(p.ChallengeEndsAt.Add(-time.Second))
	c2, err := w.svc.FileChallenge(ctx, w.orgs[2], v.ID, "价格分计算有误", nil)
	if err != nil {
		t.Fatalf("FileChallenge() a second before the end error = %v", err)
	}
	if _, err := w.svc.AnswerChallenge(ctx, w.officer, c1.ID, tender.ChallengeAnswer{Outcome: "dismissed", Answer: "评分无误"}); err != nil {
		t.Fatalf("AnswerChallenge(dismiss, in the period) error = %v", err)
	}
	if got := w.get(v.ID).Status; got != tender.StatusAwardProposed {
		t.Errorf("status after dismissing in the period = %s, want award_proposed", got)
	}
	for _, at := range []time.Time{p.ChallengeEndsAt, p.ChallengeEndsAt.Add(72 * time.Hour)} {
		if got := w.advanceTo(v.ID, at); got.Status != tender.StatusAwardProposed || len(got.Contracts) != 0 {
			t.Errorf("Advance() at %v with a challenge open: status %s, %d contracts; want award_proposed and none", at, got.Status, len(got.Contracts))
		}
		due, err := w.svc.Due(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := due[v.ID]; ok {
			t.Errorf("Due() at %v lists the tender while a challenge is open", at)
		}
	}
	w.clock.Set(p.ChallengeEndsAt)
	if _, err := w.svc.FileChallenge(ctx, w.orgs[0], v.ID, "再次质疑", nil); !errors.Is(err, tender.ErrChallengePeriodOver) {
		t.Errorf("FileChallenge() at the end of the period error = %v, want %v", err, tender.ErrChallengePeriodOver)
	}
	if _, err := w.svc.AnswerChallenge(ctx, w.officer, c1.ID, tender.ChallengeAnswer{Outcome: "dismissed", Answer: "again"}); !errors.Is(err, tender.ErrChallengeAnswered) {
		t.Errorf("AnswerChallenge(answered) error = %v, want %v", err, tender.ErrChallengeAnswered)
	}
	if _, err := w.svc.AnswerChallenge(ctx, w.officer, c2.ID, tender.ChallengeAnswer{Outcome: "dismissed", Answer: "价格分按公式计算"}); err != nil {
		t.Fatalf("AnswerChallenge(dismiss the last) error = %v", err)
	}
	got := w.get(v.ID)
	if got.Status != tender.StatusAwarded || len(got.Contracts) != 1 {
		t.Fatalf("after dismissing the last challenge: status %s, %d contracts; want awarded and 1", got.Status, len(got.Contracts))
	}
	c := got.Contracts[0]
	if c.Status != "draft" || c.AmountFen != 45_000_000 || c.OrganizationID != winner.Scope.OrganizationID || c.BidID != p.BidIDs[0] ||
		c.ServiceStart != v.ServiceStart || c.ServiceEnd != v.ServiceEnd || c.FundAccountID != v.FundAccountID {
		t.Errorf("contract = %+v, want a draft of 450,000.00 yuan for the winner over the service period", c)
	}
	metrics, milestones, err := contract.Details(w.db, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(metrics) != len(v.Metrics) || len(metrics) == 0 {
		t.Errorf("contract metrics = %d, want the tender's %d", len(metrics), len(v.Metrics))
	}
	for _, m := range metrics {
		i := slices.IndexFunc(v.Metrics, func(tm tender.Metric) bool { return tm.Code == m.Code })
		if i < 0 || m.Target != v.Metrics[i].Target || m.Commitment == nil || *m.Commitment != v.Metrics[i].Target {
			t.Errorf("contract metric %+v, want the tender's target and the bid's commitment (%+v)", m, v.Metrics)
		}
	}
	var shares [][2]int64
	for _, m := range milestones {
		shares = append(shares, [2]int64{int64(m.Percent), int64(m.AmountFen)})
	}
	if want := [][2]int64{{30, 13_500_000}, {40, 18_000_000}, {30, 13_500_000}}; !slices.Equal(shares, want) {
		t.Errorf("milestones (percent, fen) = %v, want %v", shares, want)
	}
	w.advanceTo(v.ID, p.ChallengeEndsAt.Add(240*time.Hour))
	if n := w.audits(v.ID, "tender.award_final"); n != 1 {
		t.Errorf("tender.award_final audit entries = %d, want 1", n)
	}
	if n := w.count(`SELECT count(*) FROM contracts WHERE tender_id = ?`, v.ID); n != 1 {
		t.Errorf("contracts = %d, want 1", n)
	}
	if n := w.count(`SELECT count(*) FROM notifications WHERE tender_id = ? AND kind = ?`, v.ID, tender.KindAwardFinal); n != 3 {
		t.Errorf("award final notifications = %d, want 3 (each bidder)", n)
	}
	if violations, err := fund.CheckInvariants(w.db); err != nil || len(violations) != 0 {
		t.Errorf("fund.CheckInvariants() = %v, %v after the award", violations, err)
	}
}

// TestChallengeUpheld: an upheld challenge returns the tender to evaluation
// (a new round, the proposal withdrawn, other challenges moot) or cancels it
// and releases the reservation.
func TestChallengeUpheld(t *testing.T) {
	t.Parallel()
	for _, action := range []string{"reevaluate", "cancel"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			ctx := context.Background()
			avail0, res0 := w.balances()
			v, p := w.proposed()
			c1, err := w.svc.FileChallenge(ctx, w.orgs[0], v.ID, "技术评分有误", nil)
			if err != nil {
				t.Fatal(err)
			}
			c2, err := w.svc.FileChallenge(ctx, w.orgs[2], v.ID, "同上", nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.AnswerChallenge(ctx, w.officer, c1.ID, tender.ChallengeAnswer{Outcome: "upheld", Answer: "成立"}); !slices.Contains(fieldsOf(err), "action") {
				t.Errorf("AnswerChallenge(upheld without action) error = %v, want one naming action", err)
			}
			got, err := w.svc.AnswerChallenge(ctx, w.officer, c1.ID, tender.ChallengeAnswer{Outcome: "upheld", Answer: "评分确有错误", Action: action})
			if err != nil {
				t.Fatalf("AnswerChallenge(upheld, %s) error = %v", action, err)
			}
			if got.Status != "upheld" || got.OutcomeAction == nil || *got.OutcomeAction != action {
				t.Errorf("challenge = %+v, want upheld with action %s", got, action)
			}
			var states []string
			if err := w.db.Raw(`SELECT status FROM challenges WHERE id = ?`, c2.ID).Scan(&states).Error; err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(states, []string{"moot"}) {
				t.Errorf("other challenge status = %v, want moot", states)
			}
			var proposal string
			if err := w.db.Raw(`SELECT status FROM award_proposals WHERE id = ?`, p.ID).Scan(&proposal).Error; err != nil || proposal != "withdrawn" {
				t.Errorf("proposal status = %q, %v; want withdrawn", proposal, err)
			}
			pub, err := w.svc.PublicGet(ctx, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			if pub.Award != nil {
				t.Errorf("public award = %+v, want none after the upheld challenge", pub.Award)
			}
			avail, res := w.balances()
			v = w.get(v.ID)
			switch action {
			case "reevaluate":
				if v.Status != tender.StatusOpened || v.EvaluationRound != 2 || v.ChallengeEndsAt != nil {
					t.Fatalf("status %s round %d challenge_ends_at %v, want opened, round 2, none", v.Status, v.EvaluationRound, v.ChallengeEndsAt)
				}
				if avail != avail0-v.CeilingFen || res != res0+v.CeilingFen {
					t.Errorf("fund moved on reevaluation: available %d reserved %d", avail-avail0, res-res0)
				}
				if _, err := w.svc.ScoreTable(ctx, w.officer, v.ID); !errors.Is(err, tender.ErrScoresIncomplete) {
					t.Errorf("ScoreTable() in round 2 before scoring error = %v, want %v", err, tender.ErrScoresIncomplete)
				}
				// Round 2: the members (declared already) score again; now
				// organization 0 ranks first.
				rec, err := w.svc.OpeningRecord(ctx, w.officer, v.ID)
				if err != nil {
					t.Fatal(err)
				}
				for m, ev := range w.evaluators[:3] {
					var s []tender.BidSheet
					for _, b := range rec.Bids {
						total := 40
						if b.OrganizationID == w.orgs[0].Scope.OrganizationID {
							total = 58
						}
						s = append(s, sheet(b.BidID, total))
					}
					r, err := w.svc.SubmitScores(ctx, ev, v.ID, s)
					if err != nil || r.Round != 2 || r.Complete != (m == 2) {
						t.Fatalf("SubmitScores(round 2) = %+v, %v", r, err)
					}
				}
				p2, err := w.svc.ProposeAward(ctx, w.officer, v.ID, tender.AwardInput{})
				if err != nil {
					t.Fatalf("ProposeAward(round 2) error = %v", err)
				}
				if p2.Round != 2 || p2.ScoreTable.Round != 2 || p2.Winners[0].OrganizationID != w.orgs[0].Scope.OrganizationID {
					t.Errorf("round 2 proposal: round %d, winner %d; want round 2 and organization 0", p2.Round, p2.Winners[0].OrganizationID)
				}
			case "cancel":
				if v.Status != tender.StatusCancelled || v.StatusReason == "" {
					t.Errorf("status %s (%q), want cancelled with a reason", v.Status, v.StatusReason)
				}
				if avail != avail0 || res != res0 {
					t.Errorf("after cancellation available %+d reserved %+d, want the reservation released", avail-avail0, res-res0)
				}
			}
		})
	}
}
