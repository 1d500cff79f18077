package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// pgTenderSet are the tenders of 爱山 (demo-officer's) the tender rows address.
type pgTenderSet struct {
	draft     int64 // a draft
	published int64 // open for bids: demo-org bid on it and asked a question
	question  int64 // demo-org's question on it
	scoring   int64 // opened, bids of demo-org and demo-org3; demo-evaluator declared no conflict
	bid       int64 // demo-org's bid on scoring, with one attachment
	evaluated int64 // opened and scored by the whole committee
	proposed  int64 // scored, the award proposed to demo-org, challenged by demo-org3
	challenge int64 // demo-org3's challenge
	evidence  int64 // the document of demo-org3 the challenge cites
}

// pgTenderInput is a complete tender of 爱山's elderly home care item:
// ceiling 100,000.00 yuan from the fiscal budget fund, two bids at least, the
// three demo evaluators, closing in ten days and opening an hour later.
func pgTenderInput(f *pgFixture, committee []int64, title string) tender.Input {
	now := f.e.Clock.Now()
	start := civil.ChinaDate(now).AddDays(40)
	end := start.AddDays(364)
	ceiling, minBids := money.Fen(10_000_000), 2
	// Ten days are short of an open tender's minimum window: the reason is given.
	q, closes, shortWindow := now.AddDate(0, 0, 7), now.AddDate(0, 0, 10), "原服务合同到期，需在年内接续服务"
	opens := closes.Add(time.Hour)
	weights := tender.Weights{Price: 30, Technical: 60, Performance: 10}
	criteria := []tender.Criterion{{Code: "plan", Name: "服务方案", MaxPoints: 40}, {Code: "team", Name: "团队配置", MaxPoints: 20}}
	return tender.Input{TransferItemID: &f.itemA, Title: &title, FundAccountID: &f.fundA, CeilingFen: &ceiling, ServiceStart: &start,
		ServiceEnd: &end, Weights: &weights, Criteria: &criteria, MinBids: &minBids, QuestionsCloseAt: &q, ClosesAt: &closes,
		OpensAt: &opens, CommitteeUserIDs: &committee, ShortWindowJustification: &shortWindow}
}

// pgTenderRecords makes the group's tenders through the service: three go
// through their opening (the clock moves eleven days), then a draft and a
// tender open for bids are made at the new time.
func pgTenderRecords(t *testing.T, f *pgFixture) {
	ctx, e, svc := context.Background(), f.e, f.e.Services.Tenders
	officer, committee := e.ActorOf(t, "demo-officer"), committeeIDs(t, e)
	s := &pgTenderSet{}
	f.tenders = s
	pgCertifyOrg2(t, f)
	draft := func(title string) tender.View {
		v, err := svc.Create(ctx, officer, pgTenderInput(f, committee, title))
		if err != nil {
			t.Fatalf("Create(%s) error = %v", title, err)
		}
		return v
	}
	open := func(title string) tender.View {
		v, err := svc.Publish(ctx, officer, draft(title).ID)
		if err != nil {
			t.Fatalf("Publish(%s) error = %v", title, err)
		}
		return v
	}
	bid := func(who string, v tender.View, price money.Fen) int64 {
		body := tender.BidBody{PriceFen: price, TechnicalProposal: "矩阵投标方案：" + who, StaffingPlan: "社工 4 名",
			Attachments: []tender.Attachment{{Name: "服务方案.pdf", ContentType: "application/pdf", Data: samplePDF}}}
		for _, m := range v.Metrics {
			body.MetricCommitments = append(body.MetricCommitments, tender.Commitment{Code: m.Code, Value: m.Target})
		}
		r, err := svc.SubmitBid(ctx, e.ActorOf(t, who), v.ID, body)
		if err != nil {
			t.Fatalf("SubmitBid(%s, %d) error = %v", who, v.ID, err)
		}
		return r.BidID
	}

	scoring, evaluated, proposed := open("矩阵测试：评审中"), open("矩阵测试：已评分"), open("矩阵测试：已提出定标")
	s.scoring, s.evaluated, s.proposed = scoring.ID, evaluated.ID, proposed.ID
	bids := map[int64][]int64{}
	for _, v := range []tender.View{scoring, evaluated, proposed} {
		bids[v.ID] = []int64{bid("demo-org", v, 8_000_000), bid("demo-org3", v, 9_000_000)}
	}
	s.bid = bids[scoring.ID][0]
	e.Clock.Set(scoring.OpensAt.Add(time.Minute))
	for _, id := range []int64{s.scoring, s.evaluated, s.proposed} {
		if _, err := svc.Advance(ctx, id); err != nil {
			t.Fatalf("Advance(%d) error = %v", id, err)
		}
	}
	if _, err := svc.Declare(ctx, e.ActorOf(t, "demo-evaluator"), s.scoring, false, ""); err != nil {
		t.Fatalf("Declare() error = %v", err)
	}
	// The committee ranks demo-org's cheaper bid first on both scored tenders.
	for _, id := range []int64{s.evaluated, s.proposed} {
		for _, name := range []string{"demo-evaluator", "demo-evaluator2", "demo-evaluator3"} {
			a := e.ActorOf(t, name)
			if _, err := svc.Declare(ctx, a, id, false, ""); err != nil {
				t.Fatalf("Declare(%s, %d) error = %v", name, id, err)
			}
			var sheets []tender.BidSheet
			for i, b := range bids[id] {
				sheets = append(sheets, tender.BidSheet{BidID: b, Criteria: []tender.CriterionScore{
					{Code: "plan", Points: tender.Score(3500 - 500*i), Comment: "方案"}, {Code: "team", Points: tender.Score(1800 - 300*i), Comment: "团队"}}})
			}
			if _, err := svc.SubmitScores(ctx, a, id, sheets); err != nil {
				t.Fatalf("SubmitScores(%s, %d) error = %v", name, id, err)
			}
		}
	}
	if _, err := svc.ProposeAward(ctx, officer, s.proposed, tender.AwardInput{BidIDs: bids[s.proposed][:1]}); err != nil {
		t.Fatalf("ProposeAward() error = %v", err)
	}
	loser := e.ActorOf(t, "demo-org3")
	doc, err := e.Services.Orgs.SaveDocument(ctx, loser, loser.Scope.OrganizationID, "评分复核申请.pdf", bytes.NewReader(samplePDF))
	if err != nil {
		t.Fatalf("SaveDocument() error = %v", err)
	}
	ch, err := svc.FileChallenge(ctx, loser, s.proposed, "矩阵测试：评分有误", []int64{doc.ID})
	if err != nil {
		t.Fatalf("FileChallenge() error = %v", err)
	}
	s.challenge, s.evidence = ch.ID, doc.ID

	s.draft = draft("矩阵测试：草稿").ID
	published := open("矩阵测试：投标中")
	s.published = published.ID
	bid("demo-org", published, 8_500_000)
	q, err := svc.Ask(ctx, e.ActorOf(t, "demo-org"), s.published, "矩阵测试：服务时间是否可以调整？")
	if err != nil {
		t.Fatalf("Ask() error = %v", err)
	}
	s.question = q.ID
}

// pgCertifyOrg2 certifies demo-org2 for elderly home care, setting its
// pending application aside: it may bid on the group's tenders like demo-org,
// so that what it does not find is another organization's, not a tender it
// may not bid on.
func pgCertifyOrg2(t *testing.T, f *pgFixture) {
	ctx, e, orgs := context.Background(), f.e, f.e.Services.Orgs
	district := e.ActorOf(t, "demo-district")
	var pending []int64
	if err := e.DB.Table("certifications").Where("organization_id = ? AND status = 'pending'", f.org2).Pluck("id", &pending).Error; err != nil {
		t.Fatal(err)
	}
	for _, id := range pending {
		if _, err := orgs.Reject(ctx, district, id, "矩阵测试：改为申请居家养老"); err != nil {
			t.Fatalf("Reject(%d) error = %v", id, err)
		}
	}
	cert, err := orgs.Apply(ctx, e.ActorOf(t, "demo-org2"), org.ApplyInput{DistrictID: f.district, Categories: []string{"ELDERLY_HOME_CARE"},
		Statement: "矩阵测试：具备居家养老服务能力"})
	if err != nil {
		t.Fatalf("Apply() error = %v", err)
	}
	today, workers := civil.ChinaDate(e.Clock.Now()), 20
	if _, err := orgs.Approve(ctx, district, cert.ID, org.ApproveInput{Grade: 4, ValidFrom: today.AddDays(-1), ValidThrough: today.AddDays(699),
		VerifiedSocialWorkers: &workers}); err != nil {
		t.Fatalf("Approve() error = %v", err)
	}
}

// pgTender returns the ids pick names among the group's tenders as route parameters.
func pgTender(pick func(s *pgTenderSet) []int64) func(t *testing.T, f *pgFixture) []any {
	return pgIDs(func(f *pgFixture) []int64 { return pick(f.tenders) })
}

// pgAttachment names the first attachment of demo-org's bid on the opened tender.
func pgAttachment(t *testing.T, f *pgFixture) []any {
	return append(pgTender(func(s *pgTenderSet) []int64 { return []int64{s.scoring, s.bid} })(t, f), 0)
}

// pgFreshDraft makes, for each call, a draft of demo-officer's to act on.
func pgFreshDraft(t *testing.T, f *pgFixture) []any {
	v, err := f.e.Services.Tenders.Create(context.Background(), f.e.ActorOf(t, "demo-officer"),
		pgTenderInput(f, committeeIDs(t, f.e), "矩阵测试：待处理草稿"))
	if err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	return []any{v.ID}
}

// pgFreshBid makes, for each call, a new bid of demo-org's on the tender open
// for bids (it replaces the one before) to withdraw.
func pgFreshBid(t *testing.T, f *pgFixture) []any {
	e, id := f.e, f.tenders.published
	v, err := e.Services.Tenders.Get(context.Background(), e.ActorOf(t, "demo-officer"), id)
	if err != nil {
		t.Fatalf("Get(%d) error = %v", id, err)
	}
	body := tender.BidBody{PriceFen: 8_800_000, TechnicalProposal: "矩阵测试：待撤回的投标", StaffingPlan: "社工 4 名"}
	for _, m := range v.Metrics {
		body.MetricCommitments = append(body.MetricCommitments, tender.Commitment{Code: m.Code, Value: m.Target})
	}
	r, err := e.Services.Tenders.SubmitBid(context.Background(), e.ActorOf(t, "demo-org"), id, body)
	if err != nil {
		t.Fatalf("SubmitBid() error = %v", err)
	}
	return []any{id, r.BidID}
}

// pgOfficer is the want of a row on one of 爱山's tenders: its procurement
// officer gets got, 飞英's finds no such tender, the other roles are refused.
func pgOfficer(got int) pgWant {
	return pgWant{login, no403, no403, got, no403, no403, no403, nf404, no403, no403, no403, no403}
}

// pgBidders is the want of a row of the organizations' pages: demo-org and
// its member get own, demo-org2 gets other.
func pgBidders(own, other int) pgWant {
	return pgWant{login, no403, no403, no403, no403, no403, own, no403, other, own, no403, no403}
}

// pgEvaluator is the want of a row of the committee's pages.
func pgEvaluator(got int) pgWant {
	return pgWant{login, no403, no403, no403, no403, got, no403, no403, no403, no403, no403, no403}
}

// pgTenderMatrix covers the tender pages: the procurement officer's, the
// organizations' opportunities, the committee's reviews and the public
// notices. The tenders are 爱山's; demo-officer2, the procurement officer of
// 飞英, meets them as records of another tenant (404); demo-org2, certified
// for their category like demo-org, meets demo-org's bids as another
// organization's (404) and may not challenge an award it did not bid for.
var pgTenderMatrix = map[string]pgGroup{
	"tenders": {setup: pgTenderRecords, rows: []pgRow{
		{method: "GET", route: "/tenders", want: pgWant{login, no403, no403, ok200, no403, no403, no403, ok200, no403, no403, no403, no403},
			scope: &pgScope{text: pgText("矩阵测试：投标中"), shown: []string{"demo-officer"}, hidden: []string{"demo-officer2"}}},
		{method: "GET", route: "/tenders/new", want: pgWant{login, no403, no403, ok200, no403, no403, no403, ok200, no403, no403, no403, no403}},
		{method: "POST", route: "/tenders",
			// 爱山's item with nothing else filled in: 飞英's officer does not find the item.
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"item_id": {strconv.FormatInt(f.itemA, 10)}}
			},
			want: pgOfficer(bad400)},
		{method: "GET", route: "/tenders/:id", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.published} }), want: pgOfficer(ok200)},
		{method: "GET", route: "/tenders/:id/edit", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.draft} }), want: pgOfficer(ok200)},
		{method: "POST", route: "/tenders/:id/edit", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.draft} }), want: pgOfficer(bad400)},
		{method: "POST", route: "/tenders/:id/publish", params: pgFreshDraft, want: pgOfficer(to303)},
		{method: "POST", route: "/tenders/:id/cancel", params: pgFreshDraft,
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"reason": {fmt.Sprintf("矩阵终止 %d", i)}}
			},
			want: pgOfficer(to303)},
		{method: "POST", route: "/tenders/:id/amend", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.published} }), want: pgOfficer(bad400)},
		{method: "POST", route: "/tenders/:id/questions/:qid/answer",
			params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.published, s.question} }),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"answer": {fmt.Sprintf("矩阵答复 %d", i)}}
			},
			want: pgOfficer(to303)},
		{method: "POST", route: "/tenders/:id/committee", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.scoring} }),
			// No member to replace and none chosen: the page says so.
			want: pgOfficer(cf409)},
		{method: "POST", route: "/tenders/:id/award", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.evaluated} }),
			// Without a choice the award goes to the first of the ranking.
			want: pgOfficer(to303)},
		{method: "POST", route: "/tenders/:id/challenges/:cid/answer",
			params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.proposed, s.challenge} }), want: pgOfficer(bad400)},
		{method: "GET", route: "/tenders/:id/bids/:bid/attachments/:n",
			params: pgAttachment, want: pgOfficer(ok200)},
		{method: "GET", route: "/tenders/:id/challenges/:cid/evidence/:doc",
			params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.proposed, s.challenge, s.evidence} }), want: pgOfficer(ok200)},

		{method: "GET", route: "/opportunities", want: pgBidders(ok200, ok200),
			// Among the tenders bid on: demo-org's, being scored.
			scope: &pgScope{text: pgText("矩阵测试：评审中"), shown: []string{"demo-org", "demo-member"}, hidden: []string{"demo-org2"}}},
		{method: "GET", route: "/opportunities/:id", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.published} }),
			want: pgBidders(ok200, ok200)},
		{method: "GET", route: "/opportunities/:id", note: "a draft", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.draft} }),
			want: pgBidders(nf404, nf404)},
		{method: "POST", route: "/opportunities/:id/questions", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.published} }),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"body": {fmt.Sprintf("矩阵提问 %d", i)}}
			},
			want: pgBidders(to303, to303)},
		{method: "POST", route: "/opportunities/:id/bid", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.published} }),
			// A complete bid, which replaces the organization's earlier one.
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				v, err := f.e.Services.Tenders.Get(context.Background(), f.e.ActorOf(t, "demo-officer"), f.tenders.published)
				if err != nil {
					t.Fatalf("Get() error = %v", err)
				}
				return bidForm("", strconv.Itoa(85_000+i), fmt.Sprintf("矩阵投标方案 %d", i), v)
			},
			want: pgBidders(to303, to303)},
		{method: "POST", route: "/opportunities/:id/bids/:bid/withdraw", params: pgFreshBid, want: pgBidders(to303, nf404)},
		{method: "POST", route: "/opportunities/:id/challenges", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.proposed} }),
			// demo-org (the proposed winner) may challenge too; demo-org2 did not bid.
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"reasons": {fmt.Sprintf("矩阵质疑 %d", i)}}
			},
			want: pgBidders(to303, rf403)},
		{method: "GET", route: "/opportunities/:id/bids/:bid/attachments/:n",
			params: pgAttachment, want: pgBidders(ok200, nf404)},

		{method: "GET", route: "/reviews", want: pgEvaluator(ok200)},
		{method: "GET", route: "/reviews/:id", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.scoring} }), want: pgEvaluator(ok200)},
		{method: "POST", route: "/reviews/:id/declaration", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.scoring} }),
			want: pgEvaluator(bad400)},
		{method: "POST", route: "/reviews/:id/scores", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.scoring} }),
			want: pgEvaluator(bad400)},
		{method: "GET", route: "/reviews/:id/bids/:bid/attachments/:n",
			params: pgAttachment, want: pgEvaluator(ok200)},

		{method: "GET", route: "/notifications", note: "with news of the tenders", want: pgSignedIn,
			scope: &pgScope{text: pgText("矩阵测试：投标中"), shown: []string{"demo-officer", "demo-org", "demo-org2", "demo-member"},
				hidden: []string{"demo-officer2", pgFinance2}}},
		{method: "GET", route: "/procurement/:id", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.published} }), want: pgEveryone},
		{method: "GET", route: "/procurement/:id", note: "a draft", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.draft} }),
			want: pgWant{nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404}},
	}},
}
