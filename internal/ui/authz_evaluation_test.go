package ui_test

import (
	"bytes"
	"fmt"
	"net/url"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// pgEvaluationSet is what the rows of the evaluation pages address: an
// active contract of org 1 in 爱山 (A) with one service record, a mid-term
// evaluation scheduled for demo-evaluator and ad-hoc ones in each state the
// forms meet, one of them demo-evaluator2's.
type pgEvaluationSet struct {
	contract  servertest.Contract
	scheduled int64 // demo-evaluator's, not yet declared (the mid-term)
	declare   int64 // demo-evaluator's, to declare no conflict on
	other     int64 // demo-evaluator2's
	entering  int64 // declared, to enter the satisfaction on
	missing   int64 // declared, the satisfaction not entered
	ready     int64 // declared, every figure with a value
	recused   int64 // demo-evaluator recused itself, with pgRecusal
	cancel    int64 // to cancel
	failing   int64 // submitted, failing, without an order
	unordered int64 // submitted, failing, without an order: its re-evaluation is refused
	ordered   int64 // submitted, failing, with its order: to report on and re-evaluate
	doc       int64 // evidence of missing
	otherDoc  int64 // evidence of other, by demo-evaluator2
}

// pgRecusal is the conflict statement only the organization never reads.
const pgRecusal = "JDRECUSAL本人配偶在该机构任职"

func pgEvaluationRecords(t *testing.T, f *pgFixture) {
	ctx, svc := t.Context(), f.e.Services.Evaluations
	officer, evaluator, evaluator2 := f.e.ActorOf(t, "demo-officer"), f.e.ActorOf(t, "demo-evaluator"), f.e.ActorOf(t, "demo-evaluator2")
	today := civil.ChinaDate(f.e.Clock.Now())
	s := &pgEvaluationSet{contract: f.e.ActiveContract(t)}
	ratingCode(t, f.e, s.contract, "NJ-EV1")
	schedule := func(kind string, by access.Actor) int64 {
		v, err := svc.Schedule(ctx, officer, s.contract.ID, evaluation.ScheduleInput{Kind: kind, DueOn: today.AddDays(30).String(), EvaluatorID: by.UserID})
		if err != nil {
			t.Fatalf("Schedule() error = %v", err)
		}
		return v.ID
	}
	update := func(id int64, p evaluation.Patch) {
		if _, err := svc.Update(ctx, evaluator, id, p); err != nil {
			t.Fatalf("Update(%d) error = %v", id, err)
		}
	}
	open := func(satisfaction string) int64 {
		id := schedule(evaluation.KindAdhoc, evaluator)
		p := evaluation.Patch{Declaration: &evaluation.Declaration{}}
		if satisfaction != "" {
			p.Figures = []evaluation.Entry{{Code: "satisfaction", Actual: &satisfaction}}
		}
		update(id, p)
		return id
	}
	fail := func() int64 {
		id := open("0")
		if _, err := svc.Submit(ctx, evaluator, id); err != nil {
			t.Fatalf("Submit() error = %v", err)
		}
		return id
	}
	s.scheduled = schedule(evaluation.KindMidterm, evaluator)
	s.declare = schedule(evaluation.KindAdhoc, evaluator)
	s.other = schedule(evaluation.KindAdhoc, evaluator2)
	s.entering, s.missing, s.ready = open(""), open(""), open("90")
	s.recused = schedule(evaluation.KindAdhoc, evaluator)
	update(s.recused, evaluation.Patch{Declaration: &evaluation.Declaration{Conflict: true, Statement: pgRecusal}})
	s.cancel = schedule(evaluation.KindAdhoc, evaluator)
	s.failing, s.unordered, s.ordered = fail(), fail(), fail()
	if _, err := svc.OrderRectification(ctx, officer, s.ordered, evaluation.RectificationInput{Requirements: "增加上门频次",
		Deadline: today.AddDays(10).String()}); err != nil {
		t.Fatalf("OrderRectification() error = %v", err)
	}
	upload := func(by access.Actor, id int64) int64 {
		d, err := svc.SaveDocument(ctx, by, id, "satisfaction", pgEvidenceName, bytes.NewReader(samplePDF))
		if err != nil {
			t.Fatalf("SaveDocument() error = %v", err)
		}
		return d.ID
	}
	if _, err := svc.Update(ctx, evaluator2, s.other, evaluation.Patch{Declaration: &evaluation.Declaration{}}); err != nil {
		t.Fatalf("declare as demo-evaluator2: %v", err)
	}
	s.doc, s.otherDoc = upload(evaluator, s.missing), upload(evaluator2, s.other)
	f.evals = s
}

// pgEvidenceName is the name the evidence of the setup was uploaded with.
const pgEvidenceName = "矩阵现场检查表.pdf"

// pgEvaluationIDs fills a route's parameter with what pick names of the set.
func pgEvaluationIDs(pick func(s *pgEvaluationSet) int64) func(t *testing.T, f *pgFixture) []any {
	return pgIDs(func(f *pgFixture) []int64 { return []int64{pick(f.evals)} })
}

func pgEvaluationContract(s *pgEvaluationSet) int64 { return s.contract.ID }

// pgEvaluationForm is a form of the evaluation pages, the same for everyone.
func pgEvaluationForm(kv ...string) func(t *testing.T, f *pgFixture, i int) url.Values {
	return func(t *testing.T, f *pgFixture, i int) url.Values {
		v := url.Values{}
		for j := 0; j+1 < len(kv); j += 2 {
			v.Set(kv[j], kv[j+1])
		}
		return v
	}
}

// pgEvaluationDay is the clock's date moved by days, for the date fields.
func pgEvaluationDay(f *pgFixture, days int) string {
	return civil.ChinaDate(f.e.Clock.Now()).AddDays(days).String()
}

// Wants of the evaluation pages. The contract's readers (its subdistrict's
// officers, the district and platform admins, its organization's staff)
// and the assigned evaluator read an evaluation; 飞英's officers, org 2 and
// another evaluator find none. Only 爱山's procurement officer schedules,
// reassigns, cancels and orders rectification (飞英's finds no such
// record), only the assigned evaluator declares, enters and submits, and
// only org 1's admin reports.
var (
	pgEvalRead     = pgWant{login, ok200, ok200, ok200, ok200, ok200, ok200, nf404, nf404, ok200, no403, nf404}
	pgEvalContract = pgWant{login, ok200, ok200, ok200, ok200, no403, ok200, nf404, nf404, ok200, no403, nf404}
	pgEvalOfficer  = func(officer int) pgWant {
		return pgWant{login, no403, no403, officer, no403, no403, no403, nf404, no403, no403, no403, no403}
	}
	pgEvalEvaluator = func(evaluator int) pgWant {
		return pgWant{login, no403, no403, no403, no403, evaluator, no403, no403, no403, no403, no403, no403}
	}
	pgEvalOrgAdmin = func(admin int) pgWant {
		return pgWant{login, no403, no403, no403, no403, no403, admin, no403, nf404, no403, no403, no403}
	}
	pgEvalReaders = []string{"demo-admin", "demo-district", "demo-officer", "demo-finance", "demo-evaluator", "demo-org", "demo-member"}
	pgEvalStaff   = []string{"demo-admin", "demo-district", "demo-officer", "demo-finance", "demo-evaluator"}
	pgEvalOrg     = []string{"demo-org", "demo-member"}
)

// pgNotOne is every identity but who.
func pgNotOne(who string) []string {
	var out []string
	for _, id := range pgIdentities {
		if id != who {
			out = append(out, id)
		}
	}
	return out
}

// pgEvaluationMatrix covers the evaluation pages and their forms.
var pgEvaluationMatrix = map[string]pgGroup{
	"evaluations": {setup: pgEvaluationRecords, rows: []pgRow{
		{method: "GET", route: "/evaluations",
			want:  pgWant{login, no403, no403, no403, no403, ok200, ok200, no403, ok200, ok200, no403, no403},
			scope: &pgScope{text: pgText("测试服务记录项目"), shown: []string{"demo-evaluator", "demo-org", "demo-member"}, hidden: []string{"demo-org2"}}},
		{method: "GET", route: "/evaluations", note: "another evaluator's",
			want: pgWant{login, no403, no403, no403, no403, ok200, ok200, no403, ok200, ok200, no403, no403},
			scope: &pgScope{text: func(f *pgFixture) string { return fmt.Sprintf(`href="/evaluations/%d"`, f.evals.other) },
				shown: pgEvalOrg, hidden: []string{"demo-evaluator", "demo-org2"}}},

		{method: "GET", route: "/evaluations/:id", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.scheduled }),
			want: pgEvalRead, scope: &pgScope{text: pgText("Mid-term evaluation"), shown: pgEvalReaders}},
		{method: "GET", route: "/evaluations/:id", note: "another evaluator's", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.other }),
			want: pgWant{login, ok200, ok200, ok200, ok200, nf404, ok200, nf404, nf404, ok200, no403, nf404}},
		{method: "GET", route: "/evaluations/:id", note: "the figures and their basis", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.failing }),
			want: pgEvalRead, scope: &pgScope{text: pgText("1 service records of “Home service visits delivered” dated in the period"), shown: pgEvalReaders}},
		{method: "GET", route: "/evaluations/:id", note: "the conflict statement", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.recused }),
			want: pgEvalRead, scope: &pgScope{text: pgText(pgRecusal), shown: pgEvalStaff, hidden: pgEvalOrg}},
		{method: "GET", route: "/evaluations/:id", note: "the officer's forms", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.scheduled }),
			want: pgEvalRead, scope: &pgScope{text: func(f *pgFixture) string {
				return fmt.Sprintf(`action="/evaluations/%d/assign"`, f.evals.scheduled)
			}, shown: []string{"demo-officer"}, hidden: pgNotOne("demo-officer")}},
		{method: "GET", route: "/evaluations/:id", note: "the evaluator's forms", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.missing }),
			want: pgEvalRead, scope: &pgScope{text: func(f *pgFixture) string {
				return fmt.Sprintf(`action="/evaluations/%d/figures"`, f.evals.missing)
			}, shown: []string{"demo-evaluator"}, hidden: pgNotOne("demo-evaluator")}},
		{method: "GET", route: "/evaluations/:id", note: "the report form", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.ordered }),
			want: pgEvalRead, scope: &pgScope{text: func(f *pgFixture) string {
				return fmt.Sprintf(`action="/evaluations/%d/rectification/report"`, f.evals.ordered)
			}, shown: []string{"demo-org"}, hidden: pgNotOne("demo-org")}},

		{method: "GET", route: "/contracts/:id/evaluations", params: pgEvaluationIDs(pgEvaluationContract), want: pgEvalContract,
			scope: &pgScope{text: func(f *pgFixture) string { return fmt.Sprintf(`href="/evaluations/%d"`, f.evals.scheduled) },
				shown: []string{"demo-admin", "demo-district", "demo-officer", "demo-finance", "demo-org", "demo-member"}}},
		{method: "GET", route: "/contracts/:id/evaluations", note: "the officer's forms", params: pgEvaluationIDs(pgEvaluationContract),
			want: pgEvalContract, scope: &pgScope{text: pgText(`id="schedule-submit"`), shown: []string{"demo-officer"}, hidden: pgNotOne("demo-officer")}},
		{method: "GET", route: "/contracts/:id/evaluations", note: "no conflict statement", params: pgEvaluationIDs(pgEvaluationContract),
			want: pgEvalContract, scope: &pgScope{text: pgText(pgRecusal), hidden: pgIdentities}},

		{method: "GET", route: "/evaluations/:id", note: "the evidence", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.missing }),
			want: pgEvalRead, scope: &pgScope{text: pgText(pgEvidenceName), shown: pgEvalReaders}},
		{method: "GET", route: "/evaluations/:id/documents/:doc",
			params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.evals.missing, f.evals.doc} }), want: pgEvalRead},
		{method: "GET", route: "/evaluations/:id/documents/:doc", note: "another evaluator's",
			params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.evals.other, f.evals.otherDoc} }),
			want:   pgWant{login, ok200, ok200, ok200, ok200, nf404, ok200, nf404, nf404, ok200, no403, nf404}},
		{method: "GET", route: "/evaluations/:id/documents/:doc", note: "a document of another evaluation",
			params: pgIDs(func(f *pgFixture) []int64 { return []int64{f.evals.missing, f.evals.otherDoc} }),
			want:   pgWant{login, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404, no403, nf404}},
		{method: "POST", route: "/evaluations/:id/documents", note: "without a file", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.missing }),
			want: pgEvalEvaluator(bad400)},
		{method: "POST", route: "/evaluations/:id/documents", note: "not a figure of the evaluation",
			params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.missing }), upload: "evidence.pdf",
			form: pgEvaluationForm("metric_code", "inspection"), want: pgEvalEvaluator(bad400)},
		{method: "POST", route: "/evaluations/:id/documents", note: "another evaluator's", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.other }),
			upload: "evidence.pdf", want: pgEvalEvaluator(nf404)},
		{method: "POST", route: "/evaluations/:id/documents", note: "submitted", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.failing }),
			upload: "evidence.pdf", want: pgEvalEvaluator(cf409)},
		{method: "POST", route: "/evaluations/:id/documents", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.missing }),
			upload: "evidence.pdf", form: pgEvaluationForm("metric_code", "satisfaction"), want: pgEvalEvaluator(to303)},

		{method: "POST", route: "/contracts/:id/evaluations", note: "without an evaluator", params: pgEvaluationIDs(pgEvaluationContract),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"kind": {"adhoc"}, "due_on": {pgEvaluationDay(f, 7)}}
			},
			want: pgEvalOfficer(bad400)},
		{method: "POST", route: "/contracts/:id/evaluations", note: "a second mid-term", params: pgEvaluationIDs(pgEvaluationContract),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"kind": {"midterm"}, "due_on": {pgEvaluationDay(f, 7)}, "evaluator_id": {fmt.Sprint(f.e.ActorOf(t, "demo-evaluator").UserID)}}
			},
			want: pgEvalOfficer(cf409)},
		{method: "POST", route: "/contracts/:id/evaluations", params: pgEvaluationIDs(pgEvaluationContract),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"kind": {"adhoc"}, "due_on": {pgEvaluationDay(f, 7)}, "evaluator_id": {fmt.Sprint(f.e.ActorOf(t, "demo-evaluator").UserID)}}
			},
			want: pgEvalOfficer(to303)},
		{method: "POST", route: "/contracts/:id/evaluations", note: "a re-evaluation before the order", params: pgEvaluationIDs(pgEvaluationContract),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"reevaluation_of": {fmt.Sprint(f.evals.unordered)}, "due_on": {pgEvaluationDay(f, 7)},
					"evaluator_id": {fmt.Sprint(f.e.ActorOf(t, "demo-evaluator").UserID)}}
			},
			want: pgEvalOfficer(cf409)},
		{method: "POST", route: "/contracts/:id/evaluations", note: "the re-evaluation", params: pgEvaluationIDs(pgEvaluationContract),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"reevaluation_of": {fmt.Sprint(f.evals.ordered)}, "due_on": {pgEvaluationDay(f, 7)},
					"evaluator_id": {fmt.Sprint(f.e.ActorOf(t, "demo-evaluator").UserID)}}
			},
			want: pgEvalOfficer(to303)},

		{method: "POST", route: "/evaluations/:id/declaration", note: "without a choice", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.declare }),
			want: pgEvalEvaluator(bad400)},
		{method: "POST", route: "/evaluations/:id/declaration", note: "another evaluator's", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.other }),
			form: pgEvaluationForm("conflict", "no"), want: pgEvalEvaluator(nf404)},
		{method: "POST", route: "/evaluations/:id/declaration", note: "declared already", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.missing }),
			form: pgEvaluationForm("conflict", "no"), want: pgEvalEvaluator(cf409)},
		{method: "POST", route: "/evaluations/:id/declaration", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.declare }),
			form: pgEvaluationForm("conflict", "no"), want: pgEvalEvaluator(to303)},

		{method: "POST", route: "/evaluations/:id/figures", note: "not a number", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.entering }),
			form: pgEvaluationForm("code", "satisfaction", "actual", "九十", "note", "抽查", "notes", "意见"), want: pgEvalEvaluator(bad400)},
		{method: "POST", route: "/evaluations/:id/figures", note: "before the declaration", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.scheduled }),
			form: pgEvaluationForm("code", "satisfaction", "actual", "90", "notes", "意见"), want: pgEvalEvaluator(cf409)},
		{method: "POST", route: "/evaluations/:id/figures", note: "another evaluator's", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.other }),
			form: pgEvaluationForm("code", "satisfaction", "actual", "90", "notes", "意见"), want: pgEvalEvaluator(nf404)},
		{method: "POST", route: "/evaluations/:id/figures", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.entering }),
			form: pgEvaluationForm("code", "satisfaction", "actual", "90", "note", "抽查", "notes", "意见"), want: pgEvalEvaluator(to303)},

		{method: "POST", route: "/evaluations/:id/submit", note: "a figure without a value", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.missing }),
			want: pgEvalEvaluator(cf409)},
		{method: "POST", route: "/evaluations/:id/submit", note: "another evaluator's", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.other }),
			want: pgEvalEvaluator(nf404)},
		{method: "POST", route: "/evaluations/:id/submit", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.ready }),
			want: pgEvalEvaluator(to303)},

		{method: "POST", route: "/evaluations/:id/assign", note: "without a due date", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.scheduled }),
			want: pgEvalOfficer(bad400)},
		{method: "POST", route: "/evaluations/:id/assign", note: "another evaluator while evaluating",
			params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.missing }),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"evaluator_id": {fmt.Sprint(f.e.ActorOf(t, "demo-evaluator2").UserID)}, "due_on": {pgEvaluationDay(f, 20)}}
			},
			want: pgEvalOfficer(cf409)},
		{method: "POST", route: "/evaluations/:id/assign", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.recused }),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"evaluator_id": {fmt.Sprint(f.e.ActorOf(t, "demo-evaluator3").UserID)}, "due_on": {pgEvaluationDay(f, 20)}}
			},
			want: pgEvalOfficer(to303)},

		{method: "POST", route: "/evaluations/:id/cancel", note: "without a reason", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.cancel }),
			want: pgEvalOfficer(bad400)},
		{method: "POST", route: "/evaluations/:id/cancel", note: "submitted", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.failing }),
			form: pgEvaluationForm("reason", "评估计划调整"), want: pgEvalOfficer(cf409)},
		{method: "POST", route: "/evaluations/:id/cancel", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.cancel }),
			form: pgEvaluationForm("reason", "评估计划调整"), want: pgEvalOfficer(to303)},

		{method: "POST", route: "/evaluations/:id/rectification", note: "without requirements", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.failing }),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"deadline": {pgEvaluationDay(f, 10)}}
			},
			want: pgEvalOfficer(bad400)},
		{method: "POST", route: "/evaluations/:id/rectification", note: "not failing", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.scheduled }),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"requirements": {"增加上门频次"}, "deadline": {pgEvaluationDay(f, 10)}}
			},
			want: pgEvalOfficer(cf409)},
		{method: "POST", route: "/evaluations/:id/rectification", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.failing }),
			form: func(t *testing.T, f *pgFixture, i int) url.Values {
				return url.Values{"requirements": {"增加上门频次"}, "deadline": {pgEvaluationDay(f, 10)}}
			},
			want: pgEvalOfficer(to303)},

		{method: "POST", route: "/evaluations/:id/rectification/report", note: "without a report", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.ordered }),
			want: pgEvalOrgAdmin(bad400)},
		{method: "POST", route: "/evaluations/:id/rectification/report", note: "no order", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.unordered }),
			form: pgEvaluationForm("report", "已整改"), want: pgEvalOrgAdmin(nf404)},
		{method: "POST", route: "/evaluations/:id/rectification/report", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.ordered }),
			form: pgEvaluationForm("report", "已整改"), want: pgEvalOrgAdmin(to303)},
		{method: "POST", route: "/evaluations/:id/rectification/report", note: "reported already", params: pgEvaluationIDs(func(s *pgEvaluationSet) int64 { return s.ordered }),
			form: pgEvaluationForm("report", "再次报告"), want: pgEvalOrgAdmin(cf409)},
	}},
}
