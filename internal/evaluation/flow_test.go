package evaluation_test

import (
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/evaluation"
)

func str(s string) *string { return &s }

// The evaluator declares first: a conflict recuses it and tells the
// officers, who assign another; no conflict opens the evaluation.
func TestDeclarationAndRecusal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindMidterm})
	notes := "现场检查"
	steps := []struct {
		name  string
		by    access.Actor
		patch evaluation.Patch
		err   error
		field []string
	}{
		{"another evaluator", w.evaluator2, evaluation.Patch{Declaration: &evaluation.Declaration{}}, apperr.ErrNotFound, nil},
		{"the organization", w.orgAdmin, evaluation.Patch{Notes: &notes}, apperr.ErrForbidden, nil},
		{"another subdistrict's officer", w.officer2, evaluation.Patch{DueOn: str(w.today.String())}, apperr.ErrNotFound, nil},
		{"entering before declaring", w.evaluator, evaluation.Patch{Notes: &notes}, evaluation.ErrNotDeclared, nil},
		{"a conflict without a statement", w.evaluator, evaluation.Patch{Declaration: &evaluation.Declaration{Conflict: true}}, nil,
			[]string{"declaration.statement"}},
		{"a conflict with figures", w.evaluator, evaluation.Patch{Declaration: &evaluation.Declaration{Conflict: true, Statement: "亲属任职"},
			Notes: &notes}, nil, []string{"declaration"}},
		{"a statement without a conflict", w.evaluator, evaluation.Patch{Declaration: &evaluation.Declaration{Statement: "无"}}, nil,
			[]string{"declaration.statement"}},
		{"the officer declaring", w.officer, evaluation.Patch{Declaration: &evaluation.Declaration{}}, nil, []string{"declaration"}},
		{"the evaluator reassigning", w.evaluator, evaluation.Patch{EvaluatorID: &w.evaluator2.UserID}, nil, []string{"evaluator_id"}},
		{"an empty patch", w.officer, evaluation.Patch{}, nil, []string{"patch"}},
	}
	for _, s := range steps {
		w.e.WritesNothing(t, s.name, func() {
			_, err := w.svc.Update(ctx, s.by, v.ID, s.patch)
			if (s.err != nil && !is(err, s.err)) || (s.err == nil && !isInvalid(err, s.field...)) {
				t.Errorf("%s: Update() error = %v, want %v %v", s.name, err, s.err, s.field)
			}
		})
	}

	v, err := w.svc.Update(ctx, w.evaluator, v.ID, evaluation.Patch{Declaration: &evaluation.Declaration{Conflict: true, Statement: "本人配偶在该机构任职"}})
	if err != nil || v.Status != evaluation.StatusRecused || v.DeclaredAt == nil || v.ConflictStatement == nil {
		t.Fatalf("declare a conflict = %+v, %v; want recused with the statement", v.Summary, err)
	}
	if n := w.notifications(t, evaluation.KindRecused); n != 1 {
		t.Errorf("recusal notifications = %d, want 1 (the subdistrict's officer)", n)
	}
	if o, err := w.svc.Get(ctx, w.orgAdmin, v.ID); err != nil || o.ConflictStatement != nil {
		t.Errorf("the organization reads the conflict statement: %v, %v", o.ConflictStatement, err)
	}
	if _, err := w.svc.Update(ctx, w.evaluator, v.ID, evaluation.Patch{Notes: &notes}); !is(err, evaluation.ErrNotOpen) {
		t.Errorf("entering after a recusal error = %v, want %v", err, evaluation.ErrNotOpen)
	}
	if _, err := w.svc.Update(ctx, w.officer, v.ID, evaluation.Patch{EvaluatorID: &w.evaluator.UserID}); !isInvalid(err, "evaluator_id") {
		t.Errorf("reassigning to the recused evaluator error = %v, want invalid evaluator_id", err)
	}
	v, err = w.svc.Update(ctx, w.officer, v.ID, evaluation.Patch{EvaluatorID: &w.evaluator2.UserID, DueOn: str(w.today.AddDays(20).String())})
	if err != nil || v.Status != evaluation.StatusScheduled || v.EvaluatorID != w.evaluator2.UserID || v.DeclaredAt != nil ||
		v.ConflictStatement != nil || v.DueOn != w.today.AddDays(20) {
		t.Fatalf("reassign = %+v, %v", v.Summary, err)
	}
	// The recused evaluator no longer reads it; the new one does.
	if _, err := w.svc.Get(ctx, w.evaluator, v.ID); !is(err, apperr.ErrNotFound) {
		t.Errorf("Get() by the recused evaluator error = %v, want not found", err)
	}
	v = w.open(t, w.evaluator2, v.ID)
	if v.Status != evaluation.StatusInProgress || v.DeclaredAt == nil {
		t.Errorf("declare no conflict = %s, want in_progress", v.Status)
	}
	if _, err := w.svc.Update(ctx, w.evaluator2, v.ID, evaluation.Patch{Declaration: &evaluation.Declaration{}}); !is(err, evaluation.ErrDeclared) {
		t.Errorf("declaring twice error = %v, want %v", err, evaluation.ErrDeclared)
	}
	if _, err := w.svc.Update(ctx, w.officer, v.ID, evaluation.Patch{EvaluatorID: &w.evaluator.UserID}); !is(err, evaluation.ErrInProgress) {
		t.Errorf("reassigning an evaluation in progress error = %v, want %v", err, evaluation.ErrInProgress)
	}
	v, err = w.svc.Update(ctx, w.evaluator2, v.ID, evaluation.Patch{Notes: &notes, Figures: []evaluation.Entry{{Code: "service_visits", Note: str("与台账核对一致")}}})
	if err != nil || v.Notes != notes || figure(t, v, "service_visits").Note != "与台账核对一致" {
		t.Errorf("notes = %q, %v", v.Notes, err)
	}
	bad := []struct {
		entries []evaluation.Entry
		field   string
	}{
		{[]evaluation.Entry{{Code: "nope", Actual: str("1")}}, "figures[0].code"},
		{[]evaluation.Entry{{Code: "satisfaction", Actual: str("1")}, {Code: "satisfaction", Actual: str("2")}}, "figures[1].code"},
		{[]evaluation.Entry{{Code: "satisfaction", Actual: str("-1")}}, "figures[0].actual"},
		{[]evaluation.Entry{{Code: "satisfaction", Actual: str("1.005")}}, "figures[0].actual"},
		{[]evaluation.Entry{{Code: "satisfaction"}}, "figures[0]"},
	}
	for _, b := range bad {
		w.e.WritesNothing(t, b.field, func() {
			if _, err := w.svc.Update(ctx, w.evaluator2, v.ID, evaluation.Patch{Figures: b.entries}); !isInvalid(err, b.field) {
				t.Errorf("Update(%+v) error = %v, want invalid %s", b.entries, err, b.field)
			}
		})
	}
}

// Submission needs a declaration, an ended period and every figure; after
// it the evaluation never changes, in the service or in the database.
func TestSubmitAndImmutability(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc, PeriodEnd: w.today.AddDays(1).String()})
	for _, by := range []access.Actor{w.officer, w.orgAdmin} {
		if _, err := w.svc.Submit(ctx, by, v.ID); !is(err, apperr.ErrForbidden) {
			t.Errorf("Submit() as %s error = %v, want forbidden", by.Username, err)
		}
	}
	if _, err := w.svc.Submit(ctx, w.evaluator2, v.ID); !is(err, apperr.ErrNotFound) {
		t.Errorf("Submit() by another evaluator error = %v, want not found", err)
	}
	if _, err := w.svc.Submit(ctx, w.evaluator, v.ID); !is(err, evaluation.ErrNotDeclared) {
		t.Errorf("Submit() before declaring error = %v, want %v", err, evaluation.ErrNotDeclared)
	}
	w.open(t, w.evaluator, v.ID)
	w.enter(t, w.evaluator, v.ID, map[string]string{"satisfaction": "95"})
	w.e.WritesNothing(t, "submit before the period ends", func() {
		if _, err := w.svc.Submit(ctx, w.evaluator, v.ID); !is(err, evaluation.ErrPeriodOpen) {
			t.Errorf("Submit() before the period ends error = %v, want %v", err, evaluation.ErrPeriodOpen)
		}
	})
	w.e.Clock.Advance(24 * time.Hour)
	v, err := w.svc.Submit(ctx, w.evaluator, v.ID)
	if err != nil || v.Status != evaluation.StatusSubmitted || v.SubmittedAt == nil || v.Score == nil {
		t.Fatalf("Submit() = %+v, %v", v.Summary, err)
	}
	if n := w.notifications(t, evaluation.KindSubmitted); n != 2 {
		t.Errorf("submission notifications = %d, want 2 (the officer and the organization)", n)
	}
	for name, p := range map[string]evaluation.Patch{
		"notes":    {Notes: str("改")},
		"figure":   {Figures: []evaluation.Entry{{Code: "satisfaction", Actual: str("10")}}},
		"due date": {DueOn: str(w.today.AddDays(40).String())},
		"cancel":   {CancelReason: str("撤销")},
	} {
		by := w.evaluator
		if p.DueOn != nil || p.CancelReason != nil {
			by = w.officer
		}
		w.e.WritesNothing(t, name, func() {
			if _, err := w.svc.Update(ctx, by, v.ID, p); !is(err, evaluation.ErrSubmitted) {
				t.Errorf("changing the %s after submission error = %v, want %v", name, err, evaluation.ErrSubmitted)
			}
		})
	}
	if _, err := w.svc.Submit(ctx, w.evaluator, v.ID); !is(err, evaluation.ErrSubmitted) {
		t.Errorf("submitting twice error = %v, want %v", err, evaluation.ErrSubmitted)
	}
	// The database refuses too.
	for _, q := range []string{
		`UPDATE evaluations SET score = 99.9 WHERE id = ?`,
		`UPDATE evaluations SET notes = 'x' WHERE id = ?`,
		`UPDATE evaluation_figures SET actual = 1 WHERE evaluation_id = ?`,
		`DELETE FROM evaluation_figures WHERE evaluation_id = ?`,
		`DELETE FROM evaluations WHERE id = ?`,
	} {
		if err := w.e.DB.Transaction(func(tx *gorm.DB) error { return tx.Exec(q, v.ID).Error }); err == nil {
			t.Errorf("%s on a submitted evaluation succeeded", q)
		}
	}
}

// After a failing grade the officer orders rectification; the organization
// reports; a re-evaluation of the same kind is linked to the failing one.
func TestRectificationAndReevaluation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	passing := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc})
	w.setFigure(t, passing.ID)
	fail := w.failing(t)
	order := evaluation.RectificationInput{Requirements: "增加上门服务频次", Deadline: w.today.AddDays(30).String()}
	redo := func(by access.Actor, of int64, kind string) error {
		_, err := w.svc.Schedule(ctx, by, w.c.ID, evaluation.ScheduleInput{Kind: kind, DueOn: w.today.AddDays(40).String(),
			EvaluatorID: w.evaluator2.UserID, ReevaluationOf: &of})
		return err
	}

	if err := redo(w.officer, fail.ID, ""); !is(err, evaluation.ErrNoRectification) {
		t.Errorf("a re-evaluation before the order error = %v, want %v", err, evaluation.ErrNoRectification)
	}
	refusals := []struct {
		name string
		by   access.Actor
		id   int64
		in   evaluation.RectificationInput
		err  error
		flds []string
	}{
		{"by the organization", w.orgAdmin, fail.ID, order, apperr.ErrForbidden, nil},
		{"by another subdistrict", w.officer2, fail.ID, order, apperr.ErrNotFound, nil},
		{"of a passing evaluation", w.officer, passing.ID, order, evaluation.ErrNotFailing, nil},
		{"without requirements", w.officer, fail.ID, evaluation.RectificationInput{Deadline: order.Deadline}, nil, []string{"requirements"}},
		{"a past deadline", w.officer, fail.ID, evaluation.RectificationInput{Requirements: "x", Deadline: w.today.AddDays(-1).String()}, nil,
			[]string{"deadline"}},
	}
	for _, r := range refusals {
		w.e.WritesNothing(t, r.name, func() {
			_, err := w.svc.OrderRectification(ctx, r.by, r.id, r.in)
			if (r.err != nil && !is(err, r.err)) || (r.err == nil && !isInvalid(err, r.flds...)) {
				t.Errorf("OrderRectification() %s error = %v, want %v %v", r.name, err, r.err, r.flds)
			}
		})
	}
	o, err := w.svc.OrderRectification(ctx, w.officer, fail.ID, order)
	if err != nil || o.EvaluationID != fail.ID || o.Deadline != w.today.AddDays(30) || o.Report != nil {
		t.Fatalf("OrderRectification() = %+v, %v", o, err)
	}
	if n := w.notifications(t, evaluation.KindRectificationOrdered); n != 1 {
		t.Errorf("rectification notifications = %d, want 1", n)
	}
	if _, err := w.svc.OrderRectification(ctx, w.officer, fail.ID, order); !is(err, evaluation.ErrRectificationExists) {
		t.Errorf("a second order error = %v, want %v", err, evaluation.ErrRectificationExists)
	}
	if _, err := w.svc.ReportRectification(ctx, w.member, fail.ID, "已整改"); !is(err, apperr.ErrForbidden) {
		t.Errorf("a member's report error = %v, want forbidden", err)
	}
	if _, err := w.svc.ReportRectification(ctx, w.org2, fail.ID, "已整改"); !is(err, apperr.ErrNotFound) {
		t.Errorf("another organization's report error = %v, want not found", err)
	}
	if _, err := w.svc.ReportRectification(ctx, w.orgAdmin, passing.ID, "已整改"); !is(err, apperr.ErrNotFound) {
		t.Errorf("a report without an order error = %v, want not found", err)
	}
	if _, err := w.svc.ReportRectification(ctx, w.orgAdmin, fail.ID, " "); !isInvalid(err, "report") {
		t.Errorf("a blank report error = %v, want invalid report", err)
	}
	o, err = w.svc.ReportRectification(ctx, w.orgAdmin, fail.ID, "已增加两名护理员，每周上门两次")
	if err != nil || o.Report == nil || o.ReportedAt == nil {
		t.Fatalf("ReportRectification() = %+v, %v", o, err)
	}
	if _, err := w.svc.ReportRectification(ctx, w.orgAdmin, fail.ID, "再报"); !is(err, evaluation.ErrReported) {
		t.Errorf("a second report error = %v, want %v", err, evaluation.ErrReported)
	}
	if v, err := w.svc.Get(ctx, w.orgAdmin, fail.ID); err != nil || v.Rectification == nil || *v.Rectification.Report == "" {
		t.Errorf("Get() of the failing evaluation: rectification %+v, %v", v.Rectification, err)
	}

	if err := redo(w.officer, passing.ID, ""); !is(err, evaluation.ErrNotFailing) {
		t.Errorf("re-evaluating a passing evaluation error = %v, want %v", err, evaluation.ErrNotFailing)
	}
	if err := redo(w.officer, fail.ID, evaluation.KindMidterm); !isInvalid(err, "kind") {
		t.Errorf("a re-evaluation of another kind error = %v, want invalid kind", err)
	}
	if err := redo(w.officer2, fail.ID, ""); !is(err, apperr.ErrNotFound) {
		t.Errorf("another subdistrict's re-evaluation error = %v, want not found", err)
	}
	if err := redo(w.officer, fail.ID, ""); err != nil {
		t.Fatalf("re-evaluation error = %v", err)
	}
	if err := redo(w.officer, fail.ID, ""); !is(err, evaluation.ErrReevaluated) {
		t.Errorf("a second re-evaluation error = %v, want %v", err, evaluation.ErrReevaluated)
	}
	list, err := w.svc.List(ctx, w.officer, w.c.ID)
	if err != nil {
		t.Fatal(err)
	}
	re := list[len(list)-1]
	if re.ReevaluationOf == nil || *re.ReevaluationOf != fail.ID || re.Kind != fail.Kind || re.PeriodStart != fail.PeriodStart {
		t.Errorf("re-evaluation = %+v, want linked to %d, kind %s", re, fail.ID, fail.Kind)
	}
	if f, _ := w.svc.Get(ctx, w.officer, fail.ID); f.ReevaluationID == nil || *f.ReevaluationID != re.ID {
		t.Errorf("the failing evaluation's reevaluation_id = %v, want %d", f.ReevaluationID, re.ID)
	}
	if _, err := w.svc.Update(ctx, w.officer, re.ID, evaluation.Patch{CancelReason: str("取消")}); !is(err, evaluation.ErrKeepReevaluation) {
		t.Errorf("cancelling a re-evaluation error = %v, want %v", err, evaluation.ErrKeepReevaluation)
	}
}

// setFigure makes evaluation id pass: declared, satisfaction entered at the
// target, submitted. Service visits and hours fall short, but 30 % of the
// weight at full attainment is not enough: the records give the rest.
func (w *world) setFigure(t *testing.T, id int64) {
	t.Helper()
	for i := 0; i < 250; i++ {
		w.record(t, w.c.ServiceStart.AddDays(i%60), "service_visits", 600, w.c.Communities[i%3], "P")
	}
	w.open(t, w.evaluator, id)
	w.enter(t, w.evaluator, id, map[string]string{"satisfaction": "90"})
	v, err := w.svc.Submit(ctx, w.evaluator, id)
	if err != nil || *v.Grade == evaluation.GradeFail {
		t.Fatalf("Submit() = %v, %v; want a passing grade", v.Score, err)
	}
}

// The hooks run inside the submission with what it decided; a hook's error
// rolls the whole submission back.
func TestSubmitHooks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var got []evaluation.Submitted
	boom := errors.New("milestone refused")
	fail := true
	w.svc.OnSubmit(func(tx *gorm.DB, by access.Actor, ev evaluation.Submitted) error {
		var status string
		if err := tx.Table("evaluations").Select("status").Where("id = ?", ev.ID).Take(&status).Error; err != nil {
			return err
		}
		if status != evaluation.StatusSubmitted {
			t.Errorf("the hook sees status %s, want submitted", status)
		}
		got = append(got, ev)
		if fail {
			return boom
		}
		return nil
	})
	v := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindMidterm})
	w.open(t, w.evaluator, v.ID)
	w.enter(t, w.evaluator, v.ID, map[string]string{"satisfaction": "0"})
	w.e.WritesNothing(t, "a submission a hook refuses", func() {
		if _, err := w.svc.Submit(ctx, w.evaluator, v.ID); !errors.Is(err, boom) {
			t.Errorf("Submit() error = %v, want the hook's", err)
		}
	})
	fail = false
	if _, err := w.svc.Submit(ctx, w.evaluator, v.ID); err != nil {
		t.Fatalf("Submit() error = %v", err)
	}
	if len(got) != 2 || got[1].ID != v.ID || got[1].ContractID != w.c.ID || got[1].Kind != evaluation.KindMidterm ||
		got[1].ScoreTenths != 0 || got[1].Grade != evaluation.GradeFail || got[1].ReevaluationOf != nil || !got[1].SubmittedAt.Equal(w.e.Clock.Now()) {
		t.Errorf("hook calls = %+v", got)
	}
}
