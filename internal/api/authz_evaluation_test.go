package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// azEvaluationShared is what the evaluation rows of one matrix group share:
// an active contract of A (康乐's), an evaluation assigned to demo-evaluator,
// one declared and ready to submit, and two failing submitted ones (one to
// order rectification on, one with its order, to report on).
type azEvaluationShared struct {
	once      sync.Once
	contract  servertest.Contract
	scheduled int64
	ready     int64
	failing   int64
	ordered   int64
}

var (
	azEvaluationMu    sync.Mutex
	azEvaluationState = map[*azFixture]*azEvaluationShared{}
)

func azEvaluation(t testing.TB, f *azFixture) *azEvaluationShared {
	azEvaluationMu.Lock()
	s, ok := azEvaluationState[f]
	if !ok {
		s = &azEvaluationShared{}
		azEvaluationState[f] = s
	}
	azEvaluationMu.Unlock()
	s.once.Do(func() {
		ctx := context.Background()
		e, svc := f.e, f.e.Services.Evaluations
		officer, evaluator := e.ActorOf(t, "demo-officer"), e.ActorOf(t, "demo-evaluator")
		s.contract = e.ActiveContract(t)
		today := civil.ChinaDate(e.Clock.Now())
		schedule := func() int64 {
			v, err := svc.Schedule(ctx, officer, s.contract.ID, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc,
				DueOn: today.AddDays(30).String(), EvaluatorID: evaluator.UserID})
			if err != nil {
				t.Fatal(err)
			}
			return v.ID
		}
		ready := func(satisfaction string) int64 {
			id := schedule()
			if _, err := svc.Update(ctx, evaluator, id, evaluation.Patch{Declaration: &evaluation.Declaration{},
				Figures: []evaluation.Entry{{Code: "satisfaction", Actual: &satisfaction}}}); err != nil {
				t.Fatal(err)
			}
			return id
		}
		fail := func() int64 {
			id := ready("0")
			if _, err := svc.Submit(ctx, evaluator, id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		s.scheduled, s.ready, s.failing, s.ordered = schedule(), ready("90"), fail(), fail()
		if _, err := svc.OrderRectification(ctx, officer, s.ordered, evaluation.RectificationInput{Requirements: "限期整改",
			Deadline: today.AddDays(10).String()}); err != nil {
			t.Fatal(err)
		}
	})
	return s
}

func azEvaluationPath(format string, id func(*azEvaluationShared) int64) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string { return fmt.Sprintf(format, id(azEvaluation(t, f))) }
}

// Evaluations: the contract's readers and its assigned evaluator read them;
// the subdistrict's officer schedules, changes and orders rectification; the
// assigned evaluator declares, enters and submits; the organization's admin
// reports on the order. Another tenant's are 404.
var azEvaluationMatrix = map[string][]azMatrixRow{
	"evaluations": {
		{method: "GET", route: "/api/v1/contracts/:id/evaluations",
			path: azEvaluationPath("/api/v1/contracts/%d/evaluations", func(s *azEvaluationShared) int64 { return s.contract.ID }),
			want: azWant{no401, ok200, ok200, ok200, ok200, ok200, ok200, nf404, nf404, ok200, no403}},
		{method: "POST", route: "/api/v1/contracts/:id/evaluations",
			path: azEvaluationPath("/api/v1/contracts/%d/evaluations", func(s *azEvaluationShared) int64 { return s.contract.ID }),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"kind": "adhoc", "due_on": civil.ChinaDate(f.e.Clock.Now()).String(),
					"evaluator_id": f.e.ActorOf(t, "demo-evaluator").UserID}
			},
			want: azWant{no401, no403, no403, new201, no403, no403, no403, nf404, no403, no403, no403}},
		{method: "GET", route: "/api/v1/evaluations/:id",
			path: azEvaluationPath("/api/v1/evaluations/%d", func(s *azEvaluationShared) int64 { return s.scheduled }),
			want: azWant{no401, ok200, ok200, ok200, ok200, ok200, ok200, nf404, nf404, ok200, no403}},
		{method: "PATCH", route: "/api/v1/evaluations/:id",
			path: azEvaluationPath("/api/v1/evaluations/%d", func(s *azEvaluationShared) int64 { return s.scheduled }),
			body: func(t testing.TB, f *azFixture, i int) any {
				if azIdentities[i] == "demo-evaluator" {
					return map[string]any{"declaration": map[string]any{"conflict": false}}
				}
				return map[string]any{"due_on": civil.ChinaDate(f.e.Clock.Now()).AddDays(20 + i).String()}
			},
			want: azWant{no401, no403, no403, ok200, no403, ok200, no403, nf404, no403, no403, no403}},
		{method: "POST", route: "/api/v1/evaluations/:id/submit",
			path: azEvaluationPath("/api/v1/evaluations/%d/submit", func(s *azEvaluationShared) int64 { return s.ready }),
			want: azWant{no401, no403, no403, no403, no403, ok200, no403, no403, no403, no403, no403}},
		{method: "POST", route: "/api/v1/evaluations/:id/rectification",
			path: azEvaluationPath("/api/v1/evaluations/%d/rectification", func(s *azEvaluationShared) int64 { return s.failing }),
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"requirements": "增加上门频次", "deadline": civil.ChinaDate(f.e.Clock.Now()).AddDays(15).String()}
			},
			want: azWant{no401, no403, no403, new201, no403, no403, no403, nf404, no403, no403, no403}},
		{method: "POST", route: "/api/v1/evaluations/:id/rectification/report",
			path: azEvaluationPath("/api/v1/evaluations/%d/rectification/report", func(s *azEvaluationShared) int64 { return s.ordered }),
			body: func(t testing.TB, f *azFixture, i int) any { return map[string]any{"report": "已整改完毕"} },
			want: azWant{no401, no403, no403, no403, no403, no403, ok200, no403, nf404, no403, no403}},
	},
}
