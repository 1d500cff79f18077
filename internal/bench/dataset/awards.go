package dataset

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
	"github.com/jiedao-market/jiedao/internal/track"
)

// scored reports whether the committee has scored the tender's bids.
func scored(status string) bool {
	switch status {
	case tender.StatusEvaluated, tender.StatusAwardProposed, tender.StatusAwardBlocked, tender.StatusAwarded:
		return true
	}
	return false
}

var scoreComments = []string{"方案完整，措施具体。", "团队配置合理。", "管理制度健全。", "服务内容基本满足需求。", "有同类项目经验。"}

// awards writes the committee's score sheets of the scored tenders, ranks
// their bids with tender.ScoreBids and writes the award proposals with the
// frozen score table; the funds' reservations go to the ledger.
func (g *gen) awards(ctx context.Context) error {
	w := &g.w
	var sheets, proposals [][]any
	nProposals := 0
	for _, t := range w.tenders {
		if scored(t.status) && t.status != tender.StatusEvaluated && len(t.bids) > 0 {
			nProposals++
		}
	}
	// Ids are drawn before the copy: the connection is busy during it.
	nextProposal, err := g.ids(ctx, "award_proposals", nProposals)
	if err != nil {
		return err
	}
	err = g.copyPipe(ctx, "bid_scores", []string{"tender_id", "round", "user_id", "bid_id", "criterion_code", "points", "comment"}, func(emit func([]any) bool) error {
		for i := range w.tenders {
			if err := g.award(&w.tenders[i], emit, &sheets, &proposals, &nextProposal); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := g.copyRows(ctx, "score_sheets", []string{"tender_id", "round", "user_id", "submitted_at"}, sheets); err != nil {
		return err
	}
	return g.copyRows(ctx, "award_proposals", []string{"id", "tender_id", "round", "status", "bid_ids", "deviation_reason", "score_table",
		"proposed_by", "proposed_at", "challenge_ends_at", "ended_at"}, proposals)
}

// award posts t's reservation (and its release), emits its committee's
// scores, ranks its bids and appends its sheets and award proposal.
func (g *gen) award(t *tenderRow, emit func([]any) bool, sheets, proposals *[][]any, nextProposal *int64) error {
	w := &g.w
	if !t.published.IsZero() {
		g.post(posting{fund: t.fund, kind: "reserve", refType: "tender", refID: strconv.FormatInt(t.id, 10), from: "available",
			to: "reserved", amount: t.ceiling, at: t.published, by: &w.subs[t.sub].officer.id})
	}
	if t.status == tender.StatusCancelled || t.status == tender.StatusFailed {
		g.post(posting{fund: t.fund, kind: "release", refType: "tender", refID: strconv.FormatInt(t.id, 10), from: "reserved",
			to: "available", amount: t.ceiling, at: t.ended})
	}
	if !scored(t.status) || len(t.bids) == 0 {
		return nil
	}
	table := tender.ScoreTable{TenderID: t.id, Round: 1, Weights: tender.Weights{Price: weightPrice, Technical: weightTechnical,
		Performance: weightPerformance}, Criteria: criteria}
	inputs := make([]tender.BidInput, len(t.bids))
	memberScores := make([][][]tender.CriterionScore, len(t.bids))
	for bi, b := range t.bids {
		inputs[bi] = tender.BidInput{ID: b.id, Price: money.Fen(b.price), ReceivedAt: b.received}
		memberScores[bi] = make([][]tender.CriterionScore, len(t.committee))
	}
	submitted := t.evaluated.Add(-time.Hour)
	for mi, e := range t.committee {
		ev := w.evaluators[e]
		table.Members = append(table.Members, tender.TableMember{UserID: ev.id, Name: ev.name})
		*sheets = append(*sheets, []any{t.id, 1, ev.id, submitted})
		for bi, b := range t.bids {
			var total tender.Score
			for _, c := range criteria {
				points := int64(float64(c.MaxPoints*100) * (0.6 + 0.4*g.r.Float64()))
				comment := pick(g.r, scoreComments)
				if !emit([]any{t.id, 1, ev.id, b.id, c.Code, points, comment}) {
					return nil
				}
				memberScores[bi][mi] = append(memberScores[bi][mi], tender.CriterionScore{Code: c.Code, Points: tender.Score(points), Comment: comment})
				total += tender.Score(points)
			}
			inputs[bi].MemberTotals = append(inputs[bi].MemberTotals, total)
		}
	}
	ranked, err := tender.ScoreBids(table.Weights, inputs)
	if err != nil {
		return err
	}
	index := map[int64]int{}
	for bi, b := range t.bids {
		index[b.id] = bi
	}
	for _, s := range ranked {
		bi := index[s.ID]
		b, o := t.bids[bi], w.orgs[t.bids[bi].org]
		since := t.opened.AddDate(-3, 0, 0)
		reasons := s.AbnormalReasons
		if reasons == nil {
			reasons = []string{}
		}
		table.Rows = append(table.Rows, tender.ScoreRow{Rank: s.Rank, BidID: b.id, OrganizationID: o.id, OrganizationName: o.name,
			PriceFen: money.Fen(b.price), ReceivedAt: b.received, PriceScore: s.PriceScore, Technical: s.Technical,
			Performance: s.Performance, Total: s.Total, PerformanceRecord: 6000, Newcomer: true,
			PerformanceBasis: &track.Basis{Rule: track.RuleTrackRecord, Since: &since, Until: &t.opened, Percent: "60.00", Newcomer: true, Minimum: 10},
			AbnormallyLow:    s.AbnormallyLow, AbnormalReasons: reasons, MemberTotals: inputs[bi].MemberTotals, MemberScores: memberScores[bi]})
	}
	t.winner = index[ranked[0].ID]
	if t.status == tender.StatusEvaluated {
		return nil
	}
	raw, err := json.Marshal(table)
	if err != nil {
		return err
	}
	id := *nextProposal
	*nextProposal++
	status, ended := "proposed", (*time.Time)(nil)
	switch t.status {
	case tender.StatusAwardBlocked:
		status, ended = "withdrawn", &t.challengeEnds
	case tender.StatusAwarded:
		status, ended = "final", &t.awarded
	}
	bidIDs, _ := json.Marshal([]int64{t.bids[t.winner].id})
	*proposals = append(*proposals, []any{id, t.id, 1, status, string(bidIDs), "", string(raw), w.subs[t.sub].officer.id, t.proposed,
		t.challengeEnds, ended})
	return nil
}
