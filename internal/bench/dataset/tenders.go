package dataset

import (
	"context"
	"fmt"
	"time"

	"github.com/jiedao-market/jiedao/internal/tender"
)

// tenderRow is a generated tender and what later steps need of it.
type tenderRow struct {
	id                 int64
	sub, item          int
	cat, status        string
	method             string
	fund               int64
	ceiling            int64
	minGrade, minSW    int
	minBids            int
	created, published time.Time
	closes, opens      time.Time
	opened, evaluated  time.Time
	proposed           time.Time
	challengeEnds      time.Time
	awarded, ended     time.Time
	serviceStart       time.Time
	serviceEnd         time.Time
	committee          []int // indices in world.evaluators
	bidders            []int // indices in world.orgs, one active bid each
	withdrawn          []int // organizations whose only bid was withdrawn
	invited            []int
	bids               []bidRow
	digests            []string // of the active bids, for the commitment
	winner             int      // index in bids
	contractState      string
	surge, opening     bool
}

// bidRow is what the scores and the contract need of an active bid.
type bidRow struct {
	id       int64
	org      int
	price    int64
	received time.Time
	body     tender.BidBody
}

// Tender states and their shares of the tenders (percent).
var stateShares = []struct {
	status string
	share  int
}{
	{tender.StatusPublished, 25}, {tender.StatusAwarded, 25}, {tender.StatusCancelled, 10}, {tender.StatusFailed, 8},
	{tender.StatusAwardProposed, 7}, {tender.StatusClosed, 6}, {tender.StatusOpened, 6}, {tender.StatusEvaluated, 6},
	{tender.StatusDraft, 5}, {tender.StatusAwardBlocked, 2},
}

// Contract states of awarded tenders and their shares (percent).
var contractShares = []struct {
	status string
	share  int
}{{"active", 55}, {"completed", 30}, {"signed", 6}, {"terminated", 5}, {"draft", 4}}

func drawShare[T any](g *gen, list []T, share func(T) int) T {
	n := g.r.IntN(100)
	for _, x := range list {
		if n -= share(x); n < 0 {
			return x
		}
	}
	return list[0]
}

// at is day d after base (negative: before) at hour h, UTC.
func (g *gen) at(d, h int) time.Time { return g.base.Add(days(d) + time.Duration(h)*time.Hour) }

// The surge tenders and the opening tender's bids at scale 1 (LoadTargets).
const (
	surgeAtOne   = 50
	openingAtOne = 500
)

// tenders plans every tender (state, times, bidders) and writes the tenders
// and their parts; bids follow.
func (g *gen) tenders(ctx context.Context) error {
	w := &g.w
	nTenders := g.n(20000, 40)
	nSurge := g.n(surgeAtOne, 2)
	first, err := g.ids(ctx, "tenders", nTenders)
	if err != nil {
		return err
	}
	nBids := g.n(100000, 0)
	opening := min(g.n(openingAtOne, 5), len(w.orgs))
	// The average bidders of an ordinary tender, so the bids come near nBids.
	avg := max(3.0, float64(nBids-opening)/float64(nTenders)/0.9)
	awarded := 0
	for i := range nTenders {
		t := tenderRow{id: first + int64(i), method: "open_tender", minBids: 3, winner: -1}
		switch {
		case i < nSurge:
			t.status, t.surge = tender.StatusPublished, true
		case i == nSurge:
			t.status, t.opening = tender.StatusClosed, true
		case i < nSurge+1+len(stateShares):
			t.status = stateShares[i-nSurge-1].status
		default:
			t.status = drawShare(g, stateShares, func(s struct {
				status string
				share  int
			}) int {
				return s.share
			}).status
		}
		t.sub = g.r.IntN(len(w.subs))
		s := &w.subs[t.sub]
		if t.surge || t.opening {
			t.item = w.itemsBySub[t.sub][0]
		} else {
			t.item = pick(g.r, w.itemsBySub[t.sub])
		}
		it := w.items[t.item]
		t.cat, t.fund = it.cat, s.fund
		t.ceiling = max(2_000_000, it.unitPrice*int64(it.quantity)/100_000*100_000)
		if !t.surge && !t.opening {
			switch n := g.r.IntN(100); {
			case n < 5:
				t.method, t.minBids = "single_source", 1
			case n < 15:
				t.method = "invited_tender"
			}
			t.minGrade, t.minSW = between(g.r, 1, 3), between(g.r, 0, 2)
		} else {
			t.minGrade = 1
		}
		if t.status == tender.StatusFailed {
			t.method, t.minBids = "open_tender", 3
		}
		if t.status == tender.StatusAwarded && awarded < len(contractShares) {
			t.contractState = contractShares[awarded].status
			awarded++
		} else if t.status == tender.StatusAwarded {
			t.contractState = drawShare(g, contractShares, func(s struct {
				status string
				share  int
			}) int {
				return s.share
			}).status
		}
		g.times(&t)
		g.chooseBidders(&t, avg, opening)
		w.tenders = append(w.tenders, t)
	}
	return g.writeTenders(ctx)
}

// times sets the tender's timeline from its state: every time in the past
// is before the base day, and a published tender closes in the future.
func (g *gen) times(t *tenderRow) {
	r := g.r
	backFromOpening := func(opened time.Time) {
		t.opened, t.opens = opened, opened
		t.closes = opened.Add(-time.Hour)
		t.published = t.closes.Add(-days(between(r, 21, 28)))
	}
	backFromProposal := func(proposed time.Time) {
		t.proposed = proposed
		t.challengeEnds = proposed.Add(days(5))
		t.evaluated = proposed.Add(-days(between(r, 1, 3)))
		backFromOpening(t.evaluated.Add(-days(between(r, 2, 5))))
	}
	switch t.status {
	case tender.StatusDraft:
		t.closes = g.at(between(r, 25, 40), 10)
		t.opens = t.closes.Add(time.Hour)
	case tender.StatusPublished:
		t.published = g.at(-between(r, 1, 10), 9)
		t.closes = t.published.Add(days(between(r, 20, 35)))
		if t.surge {
			t.published, t.closes = g.at(-20, 9), g.at(3, 10)
		}
		t.opens = t.closes.Add(time.Hour)
	case tender.StatusClosed:
		t.closes = g.at(-between(r, 1, 3), 10)
		t.opens = g.at(between(r, 1, 4), 10)
		if t.opening {
			t.closes, t.opens = g.at(-1, 10), g.at(30, 10)
		}
		t.published = t.closes.Add(-days(between(r, 21, 28)))
	case tender.StatusOpened:
		backFromOpening(g.at(-between(r, 2, 30), 10))
	case tender.StatusEvaluated:
		t.evaluated = g.at(-between(r, 1, 10), 15)
		backFromOpening(t.evaluated.Add(-days(between(r, 2, 5))))
	case tender.StatusAwardProposed:
		backFromProposal(g.at(-between(r, 1, 3), 10))
	case tender.StatusAwardBlocked:
		backFromProposal(g.at(-between(r, 8, 30), 10))
		t.ended = t.challengeEnds
	case tender.StatusFailed:
		backFromOpening(g.at(-between(r, 2, 200), 10))
		t.ended = t.opened
	case tender.StatusCancelled:
		t.published = g.at(-between(r, 10, 120), 9)
		t.closes = t.published.Add(days(between(r, 21, 28)))
		t.opens = t.closes.Add(time.Hour)
		t.ended = t.published.Add(days(between(r, 1, 9)))
	case tender.StatusAwarded:
		var start time.Time
		switch t.contractState {
		case "draft":
			t.awarded = g.at(-between(r, 1, 20), 10)
			start = g.at(between(r, 20, 40), 0)
		case "signed":
			t.awarded = g.at(-between(r, 10, 25), 10)
			start = g.at(between(r, 3, 20), 0)
		case "active":
			start = g.at(-between(r, 20, 330), 0)
			t.awarded = start.Add(-days(between(r, 15, 25)) + 10*time.Hour)
		case "completed":
			start = g.at(-between(r, 10, 200)-364, 0)
			t.awarded = start.Add(-days(between(r, 15, 25)) + 10*time.Hour)
		case "terminated":
			start = g.at(-between(r, 60, 300), 0)
			t.awarded = start.Add(-days(between(r, 15, 25)) + 10*time.Hour)
		}
		t.serviceStart, t.serviceEnd = start, start.Add(days(364))
		t.ended = t.awarded
		backFromProposal(t.awarded.Add(-days(5)))
	}
	if t.serviceStart.IsZero() {
		t.serviceStart = t.closes.Truncate(24 * time.Hour).Add(days(between(r, 30, 60)))
		t.serviceEnd = t.serviceStart.Add(days(364))
	}
	t.created = t.published.Add(-days(between(r, 1, 5)))
	if t.published.IsZero() {
		t.created = g.at(-between(r, 1, 20), 9)
	}
}

// eligible lists the organizations that may bid on t, computed once per
// category and minimums.
func (g *gen) eligible(t *tenderRow) []int {
	key := fmt.Sprintf("%s/%d/%d", t.cat, t.minGrade, t.minSW)
	if pool, ok := g.pools[key]; ok {
		return pool
	}
	var out []int
	for _, oi := range g.w.orgsByCat[t.cat] {
		o := g.w.orgs[oi]
		if o.grade >= t.minGrade && o.workers >= t.minSW {
			out = append(out, oi)
		}
	}
	if g.pools == nil {
		g.pools = map[string][]int{}
	}
	g.pools[key] = out
	return out
}

// sample draws k distinct elements of pool (all of them if it has fewer).
func (g *gen) sample(pool []int, k int) []int {
	k = min(k, len(pool))
	if 4*k > len(pool) {
		c := append([]int(nil), pool...)
		for i := range k {
			j := i + g.r.IntN(len(c)-i)
			c[i], c[j] = c[j], c[i]
		}
		return c[:k]
	}
	out := make([]int, 0, k)
	seen := make(map[int]bool, k)
	for len(out) < k {
		if p := pool[g.r.IntN(len(pool))]; !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// chooseBidders picks the organizations bidding on t: none on a draft, the
// opening's count on the opening tender, one or two on a failed open tender
// (fewer than its minimum), one on a single-source purchase, around avg else.
// Besides, some tenders have an organization whose only bid was withdrawn,
// and an invited tender one more invitee who did not bid.
func (g *gen) chooseBidders(t *tenderRow, avg float64, opening int) {
	if t.status == tender.StatusDraft {
		return
	}
	pool := g.eligible(t)
	if len(pool) < 3 {
		t.minGrade, t.minSW = 1, 0
		pool = g.eligible(t)
	}
	want := 3 + g.r.IntN(int(2*avg-5))
	switch {
	case t.opening:
		want = opening
	case t.surge:
		want = g.r.IntN(4)
	case t.method == "single_source":
		want = 1
	case t.status == tender.StatusFailed:
		want = between(g.r, 1, 2)
	}
	want = min(want, len(pool))
	drawn := g.sample(pool, want+2)
	t.bidders, drawn = drawn[:want], drawn[want:]
	if len(drawn) > 0 && !t.opening && t.method != "single_source" && g.r.IntN(100) < 20 {
		t.withdrawn, drawn = drawn[:1], drawn[1:]
	}
	if t.method != "open_tender" {
		t.invited = append(append([]int{}, t.bidders...), t.withdrawn...)
		if len(drawn) > 0 && t.method == "invited_tender" {
			t.invited = append(t.invited, drawn[0])
		}
	}
	if t.status != tender.StatusPublished && t.status != tender.StatusCancelled || t.opening {
		all := make([]int, len(g.w.evaluators))
		for i := range all {
			all[i] = i
		}
		t.committee = g.sample(all, 3)
	}
}

// Technical criteria of every tender: they share the technical weight (50).
var criteria = []tender.Criterion{{Code: "plan", Name: "服务方案", MaxPoints: 25}, {Code: "team", Name: "团队配置", MaxPoints: 15},
	{Code: "management", Name: "管理制度", MaxPoints: 10}}

const (
	weightPrice, weightTechnical, weightPerformance = 30, 50, 20
	challengeDays                                   = 5
)

func (g *gen) writeTenders(ctx context.Context) error {
	w := &g.w
	var rows, comms, metrics, crit, committee, invites, questions [][]any
	for i := range w.tenders {
		t := &w.tenders[i]
		it := w.items[t.item]
		s := w.subs[t.sub]
		reason, justification := "", ""
		switch t.status {
		case tender.StatusCancelled:
			reason = "采购需求变更，取消本次采购 / the requirement changed"
		case tender.StatusFailed:
			reason = fmt.Sprintf("流标：合格投标 %d 家，少于最低 %d 家 / failed: %d compliant bids, fewer than the minimum of %d",
				len(t.bidders), t.minBids, len(t.bidders), t.minBids)
		case tender.StatusAwardBlocked:
			reason = "中标人认定资格已失效 / the winner is no longer eligible"
		}
		if t.method == "single_source" {
			justification = "该服务仅有一家机构具备承接条件（政府采购法第三十一条）。"
		}
		rows = append(rows, []any{t.id, s.id, it.id, 1, fmt.Sprintf("%s（%d年度）", it.title, t.serviceStart.Year()), it.desc, t.cat,
			t.method, justification, t.fund, t.ceiling, t.serviceStart, t.serviceEnd, weightPrice, weightTechnical, weightPerformance,
			t.minGrade, t.minSW, t.minBids, 1, challengeDays, t.closes.Add(-days(5)), t.closes, t.opens, t.status, reason, 1,
			tp(t.published), tp(t.opened), tp(t.evaluated), tp(t.challengeEnds), tp(t.awarded), tp(t.endedAt()), s.officer.id, t.created,
			latest(t.created, t.published, t.opened, t.evaluated, t.proposed, t.ended)})
		for _, ci := range it.comms {
			comms = append(comms, []any{t.id, w.comms[ci].id})
		}
		for _, m := range it.metrics {
			metrics = append(metrics, []any{t.id, m.code, m.zh, m.en, m.unit, m.direction, m.source, m.target, m.weight})
		}
		for p, c := range criteria {
			crit = append(crit, []any{t.id, c.Code, c.Name, c.MaxPoints, p + 1})
		}
		for _, e := range t.committee {
			var declared *time.Time
			var conflict *bool
			statement := ""
			if !t.evaluated.IsZero() {
				declared, conflict, statement = ptr(t.opened.Add(2*time.Hour)), ptr(false), "本人与投标人无利害关系。"
			}
			committee = append(committee, []any{t.id, w.evaluators[e].id, false, declared, conflict, statement, t.created})
		}
		for _, oi := range t.invited {
			invites = append(invites, []any{t.id, w.orgs[oi].id})
		}
		// A question from a bidder, most answered, on a third of the tenders.
		if len(t.bidders) > 0 && g.r.IntN(3) == 0 {
			id, err := g.id(ctx, "tender_questions")
			if err != nil {
				return err
			}
			asker := w.orgs[t.bidders[0]]
			asked := t.published.Add(days(between(g.r, 1, 5)))
			var answer, answeredBy, answeredAt any
			if answered := asked.Add(days(1)); answered.Before(t.closes.Add(-days(5))) && answered.Before(g.base) {
				answer, answeredBy, answeredAt = pick(g.r, answers), s.officer.id, answered
			}
			if asked.Before(g.base) {
				questions = append(questions, []any{id, t.id, asker.id, asker.admin.id, pick(g.r, questionBodies), asked, answer, answeredBy, answeredAt})
			}
		}
	}
	if err := g.copyRows(ctx, "tenders", []string{"id", "subdistrict_id", "transfer_item_id", "transfer_item_version", "title", "description",
		"category_code", "purchase_method", "justification", "fund_account_id", "ceiling_fen", "service_start", "service_end", "weight_price",
		"weight_technical", "weight_performance", "min_grade", "min_social_workers", "min_bids", "max_winners", "challenge_days",
		"questions_close_at", "closes_at", "opens_at", "status", "status_reason", "evaluation_round", "published_at", "opened_at",
		"evaluated_at", "challenge_ends_at", "awarded_at", "ended_at", "created_by", "created_at", "updated_at"}, rows); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "tender_communities", []string{"tender_id", "community_id"}, comms); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "tender_metrics", []string{"tender_id", "code", "name_zh", "name_en", "unit", "direction", "source", "target", "weight"}, metrics); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "tender_criteria", []string{"tender_id", "code", "name", "max_points", "position"}, crit); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "tender_committee", []string{"tender_id", "user_id", "recused", "declared_at", "conflict", "statement", "added_at"}, committee); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "tender_invitations", []string{"tender_id", "organization_id"}, invites); err != nil {
		return err
	}
	return g.copyRows(ctx, "tender_questions", []string{"id", "tender_id", "organization_id", "asked_by", "body", "asked_at", "answer",
		"answered_by", "answered_at"}, questions)
}

var questionBodies = []string{"服务人员是否必须全部持有社工证？", "服务对象名单由街道提供还是由承接方自行摸排？", "投标报价是否包含服务耗材费用？",
	"服务场地由街道提供吗？", "是否接受联合体投标？"}

var answers = []string{"项目负责人须持证，其余服务人员不作要求。", "名单由街道提供，承接方可补充摸排。", "报价应包含全部费用。",
	"街道提供社区服务用房，水电费由街道承担。", "本项目不接受联合体投标。"}

// endedAt is when the tender ended: cancelled, failed or awarded.
func (t *tenderRow) endedAt() time.Time {
	switch t.status {
	case tender.StatusCancelled, tender.StatusFailed, tender.StatusAwarded:
		return t.ended
	}
	return time.Time{}
}

// tp is t, or nil for the zero time.
func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// latest is the latest of the times.
func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}
