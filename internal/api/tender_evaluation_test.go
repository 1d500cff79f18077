package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestTenderEvaluation walks the opening and the committee through the API
// with the worked example of three bids (one abnormally low) and five
// scoring members: declarations before any bid is read, a recused member
// replaced, scores hidden until the last sheet, and a score table that is the
// same for every viewer once the award is proposed.
func TestTenderEvaluation(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	e := w.e
	sixth := twEvaluator(t, w, "tw-evaluator-6")
	v := w.published(t, w.tenderBody(5))
	prices := []money.Fen{48_000_000, 45_000_000, 30_000_000}
	bidOf := map[int64]int{} // bid id → org index
	for i, p := range prices {
		bidOf[w.bid(t, w.orgs[i].Admin, v.ID, p).BidID] = i
	}
	opened := w.open(t, v.ID)
	if opened.Status != tender.StatusOpened || opened.OpenedAt == nil {
		t.Fatalf("after the opening = %s (%s), want opened", opened.Status, opened.StatusReason)
	}

	rec := w.openingRecord(t, "demo-officer", v.ID)
	if rec.Outcome != "opened" || rec.CompliantCount != 3 || len(rec.Bids) != 3 || rec.CeilingFen != twCeiling {
		t.Fatalf("opening record = %+v, want 3 compliant bids", rec)
	}
	for _, b := range rec.Bids {
		i := bidOf[b.BidID]
		if b.PriceFen == nil || *b.PriceFen != prices[i] || b.OrganizationID != w.orgs[i].ID || !b.Compliant {
			t.Errorf("opening entry %+v, want %s at %d", b, w.orgs[i].Name, prices[i])
		}
		if low := i == 2; b.AbnormallyLow != low || (low && !slices.Equal(b.AbnormalReasons, []string{tender.ReasonBelowNext})) {
			t.Errorf("opening entry of %s: abnormally low %v %v, want %v (below the next higher price)", w.orgs[i].Name, b.AbnormallyLow, b.AbnormalReasons, low)
		}
	}
	for _, who := range []string{w.orgs[0].Admin, w.uncertified.Admin, "demo-finance", "demo-district", "demo-admin", w.evaluators[0].Username} {
		if got := w.openingRecord(t, who, v.ID); !cmp.Equal(got, rec, timeEqual) {
			t.Errorf("opening record as %s differs from the officer's", who)
		}
	}
	w.refused(t, "GET", twPath(v.ID, "/opening-record"), "demo-officer2", nil, http.StatusNotFound, "not_found")
	for i := range prices {
		if got := twKinds(w.notifications(t, w.orgs[i].Admin, v.ID)); !slices.Equal(got, []string{tender.KindTenderPublished, tender.KindOpeningDone}) {
			t.Errorf("notifications of bidder %d = %v, want [tender_published opening_done]", i, got)
		}
	}
	if got := twKinds(w.notifications(t, w.evaluators[0].Username, v.ID)); !slices.Equal(got, []string{tender.KindCommitteeToScore}) {
		t.Errorf("committee member's notifications = %v, want [committee_to_score]", got)
	}

	// The fifth member declares a conflict and is replaced by the sixth.
	conflicted := w.evaluators[4].Username
	w.refused(t, "POST", twPath(v.ID, "/declarations"), "demo-evaluator", map[string]any{"conflict": false}, http.StatusNotFound, "not_found")
	w.refused(t, "POST", twPath(v.ID, "/declarations"), conflicted, map[string]any{"conflict": true}, http.StatusBadRequest, "validation", "statement")
	w.refused(t, "POST", twPath(v.ID, "/declarations"), conflicted, map[string]any{"statement": "无"}, http.StatusBadRequest, "validation", "conflict")
	var m tender.CommitteeMember
	w.call(t, "POST", twPath(v.ID, "/declarations"), conflicted, map[string]any{"conflict": true,
		"statement": "本人近三年曾在" + w.orgs[1].Name + "任职。"}, http.StatusCreated, &m)
	if !m.Recused || !m.Declared || m.Conflict == nil || !*m.Conflict {
		t.Errorf("conflicted declaration = %+v, want recused", m)
	}
	w.refused(t, "POST", twPath(v.ID, "/declarations"), conflicted, map[string]any{"conflict": false}, http.StatusConflict, "committee.declared")
	w.refused(t, "GET", twPath(v.ID, "/bids"), conflicted, nil, http.StatusForbidden, "committee.recused")
	members := []int64{w.evaluators[0].ID, w.evaluators[1].ID, w.evaluators[2].ID, w.evaluators[3].ID, sixth.ID}
	w.refused(t, "PATCH", twPath(v.ID, ""), "demo-officer", map[string]any{"committee_user_ids": members[:4]},
		http.StatusConflict, "committee.change_refused")
	w.refused(t, "PATCH", twPath(v.ID, ""), "demo-officer", map[string]any{"committee_user_ids": members, "title": "改标题"},
		http.StatusConflict, "tender.not_draft")
	var replaced tender.View
	w.call(t, "PATCH", twPath(v.ID, ""), "demo-officer", map[string]any{"committee_user_ids": members}, http.StatusOK, &replaced)
	if len(replaced.Committee) != 6 {
		t.Errorf("committee after the replacement = %+v, want the five and the recused member", replaced.Committee)
	}
	scorers := []string{w.evaluators[0].Username, w.evaluators[1].Username, w.evaluators[2].Username, w.evaluators[3].Username, sixth.Username}

	// Members declare before reading bids; the committee's totals are the
	// worked example's: each member's total for A (48万), B (45万), C (30万).
	totals := [][]int{{52, 55, 50, 58, 54}, {56, 57, 55, 59, 50}, {40, 42, 45, 38, 44}}
	sheetOf := func(m int) map[int64]tender.Score {
		out := map[int64]tender.Score{}
		for bid, i := range bidOf {
			out[bid] = tender.Score(totals[i][m] * 100)
		}
		return out
	}
	w.refused(t, "GET", twPath(v.ID, "/bids"), sixth.Username, nil, http.StatusConflict, "committee.not_declared")
	w.refused(t, "POST", twPath(v.ID, "/scores"), sixth.Username, twSheet(sheetOf(4)), http.StatusConflict, "committee.not_declared")
	for _, s := range scorers {
		w.declare(t, s, v.ID)
	}
	if bids := twBids(t, w, scorers[0], v.ID); len(bids) != 3 || bids[0].Content == nil || bids[0].Content.TechnicalProposal == "" {
		t.Errorf("a declared member's bids = %+v, want the three opened bids with their content", bids)
	}
	over := sheetOf(0)
	over[slices.Min(slices.Collect(maps.Keys(over)))] = 9000 // 90 points: more than the criteria allow
	// Of its 90 points, the last criterion's 40 exceed its 10.
	w.refused(t, "POST", twPath(v.ID, "/scores"), scorers[0], twSheet(over), http.StatusBadRequest, "validation",
		"scores[0].criteria[2].points")
	partial := sheetOf(0)
	for bid := range partial {
		delete(partial, bid)
		break
	}
	w.refused(t, "POST", twPath(v.ID, "/scores"), scorers[0], twSheet(partial), http.StatusBadRequest, "validation", "scores")
	w.refused(t, "POST", twPath(v.ID, "/scores"), conflicted, twSheet(sheetOf(0)), http.StatusForbidden, "committee.recused")
	for m, s := range scorers {
		if m == len(scorers)-1 {
			// Nobody sees a score until every member has submitted.
			for _, who := range []string{"demo-officer", scorers[0], w.orgs[0].Admin} {
				w.refused(t, "GET", twPath(v.ID, "/score-table"), who, nil, http.StatusConflict, "scores.incomplete")
			}
		}
		if r := w.score(t, s, v.ID, sheetOf(m)); r.Complete != (m == len(scorers)-1) || r.Round != 1 {
			t.Errorf("sheet of member %d: %+v, want complete only for the last", m, r)
		}
	}
	evaluated := w.get(t, "demo-officer", v.ID)
	if evaluated.Status != tender.StatusEvaluated || evaluated.EvaluatedAt == nil {
		t.Errorf("after the last sheet the tender is %s, want evaluated", evaluated.Status)
	}
	for _, cm := range evaluated.Committee {
		if cm.Recused != (cm.UserID == w.evaluators[4].ID) || cm.Submitted == cm.Recused || !cm.Declared {
			t.Errorf("committee member %+v: want declared, and submitted unless recused", cm)
		}
	}
	w.refused(t, "POST", twPath(v.ID, "/scores"), scorers[0], twSheet(sheetOf(0)), http.StatusConflict, "tender.not_evaluating")

	table, _ := twScoreTable(t, w, "demo-officer", v.ID)
	type row struct {
		Org                                  int
		Rank                                 int
		Price, Technical, Performance, Total string
		Newcomer, Low                        bool
	}
	var got []row
	for _, r := range table.Rows {
		got = append(got, row{bidOf[r.BidID], r.Rank, r.PriceScore.String(), r.Technical.String(), r.Performance.String(), r.Total.String(),
			r.Newcomer, r.AbnormallyLow})
	}
	want := []row{
		{1, 1, "20.00", "56.00", "6.00", "82.00", true, false},
		{0, 2, "18.75", "53.67", "6.00", "78.42", true, false},
		{2, 3, "30.00", "42.00", "6.00", "78.00", true, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("score table rows (-want +got):\n%s", diff)
	}
	if len(table.Members) != 5 || len(table.Criteria) != 3 || table.Weights != (tender.Weights{Price: 30, Technical: 60, Performance: 10}) {
		t.Errorf("score table members %+v criteria %+v weights %+v, want the five scorers and three criteria", table.Members, table.Criteria, table.Weights)
	}
	// Before the proposal the table is the committee's and the officers', not the bidders'.
	w.refused(t, "GET", twPath(v.ID, "/score-table"), w.orgs[0].Admin, nil, http.StatusConflict, "scores.incomplete")
	twScoreTable(t, w, scorers[2], v.ID)

	// The award: the top-ranked bid, or a deviation with its reason.
	var bidB int64
	for bid, i := range bidOf {
		if i == 0 {
			bidB = bid // A, ranked second
		}
	}
	w.refused(t, "POST", twPath(v.ID, "/award-proposal"), "demo-officer", map[string]any{"bid_ids": []int64{bidB}},
		http.StatusBadRequest, "validation", "deviation_reason")
	w.refused(t, "POST", twPath(v.ID, "/award-proposal"), "demo-officer2", map[string]any{}, http.StatusNotFound, "not_found")
	p := w.propose(t, v.ID, map[string]any{})
	if p.Status != "proposed" || len(p.Winners) != 1 || bidOf[p.Winners[0].BidID] != 1 || p.DeviationReason != "" ||
		!p.ChallengeEndsAt.Equal(e.Clock.Now().AddDate(0, 0, 5)) {
		t.Errorf("proposal = %+v, want B, no deviation, challenges for 5 days", p)
	}
	w.refused(t, "POST", twPath(v.ID, "/award-proposal"), "demo-officer", map[string]any{}, http.StatusConflict, "tender.not_evaluated")
	_, officerTable := twScoreTable(t, w, "demo-officer", v.ID)
	for _, who := range append([]string{"demo-admin", "demo-district", "demo-finance", conflicted, w.orgs[0].Admin, w.orgs[1].Admin,
		w.uncertified.Admin, "demo-org", "demo-org2", "demo-member"}, scorers...) {
		if _, body := twScoreTable(t, w, who, v.ID); !bytes.Equal(body, officerTable) {
			t.Errorf("score table as %s = %s\nwant the officer's %s", who, body, officerTable)
		}
	}
	var pub struct {
		Award struct {
			ScoreTable json.RawMessage `json:"score_table"`
		} `json:"award"`
	}
	w.call(t, "GET", "/api/v1/public/tenders/"+fmt.Sprint(v.ID), "", nil, http.StatusOK, &pub)
	if !bytes.Equal(pub.Award.ScoreTable, officerTable) {
		t.Errorf("public score table = %s\nwant the officer's %s", pub.Award.ScoreTable, officerTable)
	}
	for i := range prices {
		want := []string{tender.KindTenderPublished, tender.KindOpeningDone, tender.KindAwardProposed}
		if got := twKinds(w.notifications(t, w.orgs[i].Admin, v.ID)); !slices.Equal(got, want) {
			t.Errorf("notifications of bidder %d = %v, want %v", i, got, want)
		}
	}
}

// twChallenges lists the challenges of tender id as username.
func twChallenges(t testing.TB, w *tenderWorld, username string, id int64) []tender.Challenge {
	t.Helper()
	var list struct {
		Items []tender.Challenge `json:"items"`
	}
	w.call(t, "GET", twPath(id, "/challenges"), username, nil, http.StatusOK, &list)
	return list.Items
}

// TestTenderChallenges: a deviating award with its reason; challenges only by
// bidders and only during the period; an upheld challenge sends the tender
// back to evaluation; an open challenge blocks the final award; its dismissal
// after the period makes the award final with a draft contract.
func TestTenderChallenges(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	v := w.published(t, w.tenderBody(3))
	before := w.balances(t)
	prices := []money.Fen{40_000_000, 42_000_000, 44_000_000}
	bids := make([]int64, 3)
	for i, p := range prices {
		bids[i] = w.bid(t, w.orgs[i].Admin, v.ID, p).BidID
	}
	w.open(t, v.ID)
	even := func(int, tender.OpeningEntry) tender.Score { return 5000 }
	w.evaluate(t, v.ID, 3, even)

	// The officer departs from the ranking, with a reason.
	p := w.propose(t, v.ID, map[string]any{"bid_ids": []int64{bids[1]}, "deviation_reason": "第一名服务站点距服务社区过远，经集体研究改选第二名。"})
	if len(p.Winners) != 1 || p.Winners[0].BidID != bids[1] || p.Winners[0].Rank != 2 || p.DeviationReason == "" || len(p.ScoreTable.Rows) != 3 {
		t.Errorf("deviating proposal = %+v, want the second-ranked bid with its reason and the full table", p)
	}
	path := twPath(v.ID, "/challenges")
	challenge := map[string]any{"reasons": "我方报价最低、技术得分相同，应为第一中标候选人。", "evidence_document_ids": []int64{}}

	// Only a bidder challenges.
	for _, who := range []string{"demo-org", w.uncertified.Admin} {
		w.refused(t, "POST", path, who, challenge, http.StatusForbidden, "challenge.not_bidder")
	}
	w.refused(t, "POST", path, "demo-officer", challenge, http.StatusForbidden, "forbidden")
	w.refused(t, "POST", path, w.orgs[0].Admin, map[string]any{"reasons": " "}, http.StatusBadRequest, "validation", "reasons")
	w.refused(t, "POST", path, w.orgs[0].Admin, map[string]any{"reasons": "x", "evidence_document_ids": []int64{twDocument(t, w, "demo-org")}},
		http.StatusBadRequest, "validation", "evidence_document_ids")
	var first tender.Challenge
	w.call(t, "POST", path, w.orgs[0].Admin, challenge, http.StatusCreated, &first)
	if first.Status != "open" || first.OrganizationID != w.orgs[0].ID || first.TenderID != v.ID {
		t.Errorf("filed challenge = %+v, want an open challenge of %s", first, w.orgs[0].Name)
	}
	if got := twChallenges(t, w, w.orgs[0].Admin, v.ID); len(got) != 1 || got[0].ID != first.ID || got[0].OrganizationName != w.orgs[0].Name {
		t.Errorf("challenger's challenges = %+v, want its own", got)
	}
	if got := twChallenges(t, w, w.orgs[2].Admin, v.ID); len(got) != 0 {
		t.Errorf("another bidder's challenges = %+v, want none", got)
	}
	for _, who := range []string{"demo-officer", "demo-district", w.evaluators[0].Username} {
		if got := twChallenges(t, w, who, v.ID); len(got) != 1 {
			t.Errorf("challenges as %s = %+v, want the one", who, got)
		}
	}
	if got := twKinds(w.notifications(t, "demo-officer", v.ID)); !slices.Contains(got, tender.KindChallengeFiled) {
		t.Errorf("officer's notifications = %v, want challenge_filed among them", got)
	}

	// Upheld: back to evaluation in a new round.
	answer := fmt.Sprintf("/api/v1/challenges/%d/answer", first.ID)
	w.refused(t, "POST", answer, "demo-officer", map[string]any{"outcome": "upheld", "answer": "成立"}, http.StatusBadRequest, "validation", "action")
	w.refused(t, "POST", answer, "demo-officer", map[string]any{"outcome": "dismissed", "answer": "不成立", "action": "cancel"},
		http.StatusBadRequest, "validation", "action")
	w.refused(t, "POST", answer, "demo-officer2", map[string]any{"outcome": "dismissed", "answer": "越权"}, http.StatusNotFound, "not_found")
	var upheld tender.Challenge
	w.call(t, "POST", answer, "demo-officer", map[string]any{"outcome": "upheld", "answer": "偏离理由不充分，重新评审。", "action": "reevaluate"},
		http.StatusOK, &upheld)
	if upheld.Status != "upheld" || upheld.OutcomeAction == nil || *upheld.OutcomeAction != "reevaluate" || upheld.AnsweredAt == nil {
		t.Errorf("upheld challenge = %+v, want upheld with reevaluate", upheld)
	}
	w.refused(t, "POST", answer, "demo-officer", map[string]any{"outcome": "dismissed", "answer": "再答"}, http.StatusConflict, "challenge.answered")
	back := w.get(t, "demo-officer", v.ID)
	if back.Status != tender.StatusOpened || back.EvaluationRound != 2 || back.ChallengeEndsAt != nil {
		t.Errorf("after the upheld challenge: %s round %d challenge end %v, want opened in round 2", back.Status, back.EvaluationRound, back.ChallengeEndsAt)
	}
	w.refused(t, "GET", twPath(v.ID, "/score-table"), "demo-officer", nil, http.StatusConflict, "scores.incomplete")
	w.refused(t, "POST", path, w.orgs[1].Admin, challenge, http.StatusConflict, "tender.no_award_proposed")

	// Round two: the ranking stands, the top bid is proposed; a challenge is
	// open when the period ends, and the award waits for its answer.
	w.evaluate(t, v.ID, 3, even)
	p = w.propose(t, v.ID, map[string]any{})
	if len(p.Winners) != 1 || p.Winners[0].BidID != bids[0] || p.Round != 2 {
		t.Errorf("second proposal = %+v, want the top bid in round 2", p)
	}
	var second tender.Challenge
	w.call(t, "POST", path, w.orgs[1].Admin, map[string]any{"reasons": "对评分有异议。"}, http.StatusCreated, &second)
	w.advance(t, v.ID, p.ChallengeEndsAt.Add(time.Second))
	if got := w.get(t, "demo-officer", v.ID); got.Status != tender.StatusAwardProposed || len(got.Contracts) != 0 {
		t.Errorf("after the period with an open challenge: %s with %d contracts, want award_proposed and none", got.Status, len(got.Contracts))
	}
	w.refused(t, "POST", path, w.orgs[2].Admin, map[string]any{"reasons": "期满后的质疑"}, http.StatusConflict, "challenge.period_over")

	// Dismissed after the period: the award is final at once, with its draft contract.
	var dismissed tender.Challenge
	w.call(t, "POST", fmt.Sprintf("/api/v1/challenges/%d/answer", second.ID), "demo-officer",
		map[string]any{"outcome": "dismissed", "answer": "评分符合评审办法。"}, http.StatusOK, &dismissed)
	if dismissed.Status != "dismissed" || dismissed.OutcomeAction != nil {
		t.Errorf("dismissed challenge = %+v", dismissed)
	}
	final := w.get(t, "demo-officer", v.ID)
	if final.Status != tender.StatusAwarded || final.AwardedAt == nil || len(final.Contracts) != 1 {
		t.Fatalf("after the dismissal: %s with contracts %+v, want awarded with one draft contract", final.Status, final.Contracts)
	}
	c := final.Contracts[0]
	if c.Status != "draft" || c.BidID != bids[0] || c.OrganizationID != w.orgs[0].ID || c.AmountFen != prices[0] ||
		c.FundAccountID != w.fundID || c.ServiceStart != final.ServiceStart || c.ServiceEnd != final.ServiceEnd {
		t.Errorf("contract = %+v, want a draft for %s at %d over the service period", c, w.orgs[0].Name, prices[0])
	}
	if got := w.get(t, w.orgs[0].Admin, v.ID); len(got.Contracts) != 1 {
		t.Errorf("the winner sees contracts %+v, want its draft contract", got.Contracts)
	}
	if diff := cmp.Diff(map[string]money.Fen{"available": before["available"], "reserved": before["reserved"], "encumbered": before["encumbered"],
		"payable": before["payable"], "paid": before["paid"]}, w.balances(t)); diff != "" {
		t.Errorf("the award moved money before any signature (-want +got):\n%s", diff)
	}
	w.refused(t, "POST", twPath(v.ID, "/cancel"), "demo-officer", map[string]any{"reason": "授予后终止"}, http.StatusConflict, "tender.not_cancellable")
	var pub tender.Public
	w.call(t, "GET", "/api/v1/public/tenders/"+fmt.Sprint(v.ID), "", nil, http.StatusOK, &pub)
	if pub.Award == nil || pub.Award.Status != "final" || pub.Opening == nil || pub.Status != tender.StatusAwarded {
		t.Errorf("public tender: status %s award %+v, want the final award and the opening record", pub.Status, pub.Award)
	}

	// Each event told the bidders what they needed to know; the winner is
	// asked to sign its contract, made in the award's transaction.
	wantKinds := map[int][]string{
		0: {tender.KindTenderPublished, tender.KindOpeningDone, tender.KindAwardProposed, tender.KindChallengeAnswer, tender.KindAwardProposed,
			contract.KindSignRequested, tender.KindAwardFinal},
		1: {tender.KindTenderPublished, tender.KindOpeningDone, tender.KindAwardProposed, tender.KindAwardProposed, tender.KindChallengeAnswer, tender.KindAwardFinal},
		2: {tender.KindTenderPublished, tender.KindOpeningDone, tender.KindAwardProposed, tender.KindAwardProposed, tender.KindAwardFinal},
	}
	for i, want := range wantKinds {
		if got := twKinds(w.notifications(t, w.orgs[i].Admin, v.ID)); !slices.Equal(got, want) {
			t.Errorf("notifications of bidder %d = %v, want %v", i, got, want)
		}
	}
}

// twDocument uploads a document as the org admin username and returns its id.
func twDocument(t testing.TB, w *tenderWorld, username string) int64 {
	t.Helper()
	var me orgMe
	servertest.Call(t, w.e, "GET", "/api/v1/me", w.token(t, username), nil, http.StatusOK, &me)
	r := orgUpload(t, w.e, w.token(t, username), me.Scope.OrganizationID, "证明材料.pdf", []byte(orgPDF))
	if r.Status != http.StatusCreated {
		t.Fatalf("upload as %s = %d %s", username, r.Status, r.Body)
	}
	var d struct {
		ID int64 `json:"id"`
	}
	r.JSON(t, &d)
	return d.ID
}

// TestTenderFailedOpening: an open tender with fewer compliant bids than its
// minimum fails (流标) at the opening; its reservation is released and the
// opening record says why.
func TestTenderFailedOpening(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	before := w.balances(t)
	v := w.published(t, w.tenderBody(3))
	w.bid(t, w.orgs[0].Admin, v.ID, 40_000_000)
	over := w.bidBody(45_000_000, "方案")
	over["metric_commitments"] = []any{} // no commitments: not compliant at the opening
	w.call(t, "POST", twPath(v.ID, "/bids"), w.orgs[1].Admin, over, http.StatusCreated, nil)
	failed := w.open(t, v.ID)
	if failed.Status != tender.StatusFailed || failed.StatusReason == "" || failed.EndedAt == nil {
		t.Fatalf("after the opening: %s (%q), want failed with a reason", failed.Status, failed.StatusReason)
	}
	if diff := cmp.Diff(before, w.balances(t)); diff != "" {
		t.Errorf("the failed tender's reservation was not released (-before +after):\n%s", diff)
	}
	rec := w.openingRecord(t, w.orgs[0].Admin, v.ID)
	if rec.Outcome != "failed" || rec.Reason != failed.StatusReason || rec.CompliantCount != 1 || rec.MinBids != 3 || len(rec.Bids) != 2 {
		t.Errorf("opening record = %+v, want failed with 1 compliant bid of the 3 needed", rec)
	}
	for _, b := range rec.Bids {
		if b.OrganizationID == w.orgs[1].ID && (b.Compliant || !slices.Equal(b.ComplianceReasons, []string{"no commitment for every metric"})) {
			t.Errorf("the bid without commitments = %+v, want not compliant for that reason", b)
		}
	}
	for _, o := range w.orgs[:2] {
		if got := twKinds(w.notifications(t, o.Admin, v.ID)); !slices.Equal(got, []string{tender.KindTenderPublished, tender.KindOpeningDone}) {
			t.Errorf("notifications of bidder %s = %v, want [tender_published opening_done]", o.Admin, got)
		}
	}
	w.refused(t, "POST", twPath(v.ID, "/declarations"), w.evaluators[0].Username, map[string]any{"conflict": false},
		http.StatusConflict, "tender.not_evaluating")
	w.refused(t, "POST", twPath(v.ID, "/cancel"), "demo-officer", map[string]any{"reason": "流标后终止"}, http.StatusConflict, "tender.not_cancellable")
	if ids := twListIDs(t, w, "", "/api/v1/public/tenders?status=failed&per_page=100"); !slices.Contains(ids, v.ID) {
		t.Errorf("public failed tenders = %v, want %d among them", ids, v.ID)
	}
}
