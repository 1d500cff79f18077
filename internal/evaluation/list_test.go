package evaluation_test

import (
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/evaluation"
)

// The worklist holds what each reader reads across contracts, open ones
// first by due date, with the contract and the rectification order.
func TestWorklist(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	failing := w.failing(t) // demo-evaluator's, submitted
	if _, err := w.svc.OrderRectification(ctx, w.officer, failing.ID, evaluation.RectificationInput{Requirements: "增加上门频次",
		Deadline: w.today.AddDays(10).String()}); err != nil {
		t.Fatal(err)
	}
	late := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc, DueOn: w.today.AddDays(40).String()})
	soon := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc, DueOn: w.today.AddDays(5).String()})
	other := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc, EvaluatorID: w.evaluator2.UserID})
	recused := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc, EvaluatorID: w.evaluator2.UserID})
	if _, err := w.svc.Update(ctx, w.evaluator2, recused.ID, evaluation.Patch{Declaration: &evaluation.Declaration{Conflict: true,
		Statement: "本人曾在该机构任职"}}); err != nil {
		t.Fatal(err)
	}
	// Open ones by due date (the same day: the latest first), then the others.
	page := evaluation.WorkFilter{Limit: 50}
	ids := func(items []evaluation.Item) []int64 {
		var out []int64
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	tests := []struct {
		by   access.Actor
		f    evaluation.WorkFilter
		want []int64
	}{
		{w.evaluator, page, []int64{soon.ID, late.ID, failing.ID}},
		{w.evaluator2, page, []int64{recused.ID, other.ID}},
		{w.officer, page, []int64{soon.ID, recused.ID, other.ID, late.ID, failing.ID}},
		{w.orgAdmin, page, []int64{soon.ID, recused.ID, other.ID, late.ID, failing.ID}},
		{w.orgAdmin, evaluation.WorkFilter{Status: evaluation.StatusSubmitted, Limit: 50}, []int64{failing.ID}},
		{w.orgAdmin, evaluation.WorkFilter{Offset: 1, Limit: 2}, []int64{recused.ID, other.ID}},
		{w.officer2, page, nil},
		{w.org2, page, nil},
	}
	for _, tt := range tests {
		items, total, err := w.svc.Worklist(ctx, tt.by, tt.f)
		if err != nil || !slices.Equal(ids(items), tt.want) {
			t.Errorf("Worklist(%s, %+v) = %v, %v; want %v", tt.by.Username, tt.f, ids(items), err, tt.want)
		}
		if tt.f.Offset == 0 && total != int64(len(tt.want)) {
			t.Errorf("Worklist(%s, %+v) total = %d, want %d", tt.by.Username, tt.f, total, len(tt.want))
		}
	}
	items, _, err := w.svc.Worklist(ctx, w.orgAdmin, page)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.ContractTitle != "测试服务记录项目" || it.OrganizationID != w.e.Demo(t).Org1 || it.OrganizationName == "" {
			t.Errorf("item %d names contract %q of organization %d %q", it.ID, it.ContractTitle, it.OrganizationID, it.OrganizationName)
		}
		if it.ConflictStatement != nil {
			t.Errorf("the organization reads the conflict statement of evaluation %d", it.ID)
		}
		if (it.Rectification != nil) != (it.ID == failing.ID) {
			t.Errorf("item %d rectification = %+v", it.ID, it.Rectification)
		}
	}
	items, _, err = w.svc.Worklist(ctx, w.officer, evaluation.WorkFilter{Status: evaluation.StatusRecused, Limit: 1})
	if err != nil || len(items) != 1 || items[0].ConflictStatement == nil {
		t.Errorf("the officer's recused evaluations = %+v, %v; want the one with its statement", items, err)
	}

	refused := []struct {
		by     access.Actor
		f      evaluation.WorkFilter
		err    error
		fields []string
	}{
		{w.e.ActorOf(t, "demo-resident"), page, apperr.ErrForbidden, nil},
		{w.orgAdmin, evaluation.WorkFilter{Status: "done", Limit: 10}, nil, []string{"status"}},
		{w.orgAdmin, evaluation.WorkFilter{Offset: -1, Limit: 0}, nil, []string{"offset", "limit"}},
		{w.orgAdmin, evaluation.WorkFilter{Limit: evaluation.MaxWorklist + 1}, nil, []string{"limit"}},
	}
	for _, tt := range refused {
		_, _, err := w.svc.Worklist(ctx, tt.by, tt.f)
		if (tt.err != nil && !is(err, tt.err)) || (tt.err == nil && !isInvalid(err, tt.fields...)) {
			t.Errorf("Worklist(%s, %+v) error = %v, want %v %v", tt.by.Username, tt.f, err, tt.err, tt.fields)
		}
	}
}

// The officer picks the evaluator from the accounts the scheduling check
// admits: the district's evaluators and the certified, unconnected
// agencies' ones.
func TestEligible(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	district := w.e.Demo(t).District
	certified := w.newAgency(t, agencyOpts{certDistrict: district})
	uncertified := w.newAgency(t, agencyOpts{})
	var rep string
	if err := w.e.DB.Raw(`SELECT legal_representative FROM organizations WHERE id = ?`, w.e.Demo(t).Org1).Scan(&rep).Error; err != nil {
		t.Fatal(err)
	}
	connected := w.newAgency(t, agencyOpts{certDistrict: district, legalRep: rep})
	got, err := w.svc.Eligible(ctx, w.officer, w.c.ID)
	if err != nil {
		t.Fatalf("Eligible() error = %v", err)
	}
	byID := map[int64]evaluation.Candidate{}
	for _, c := range got {
		byID[c.ID] = c
	}
	for _, who := range []string{"demo-evaluator", "demo-evaluator2", "demo-evaluator3"} {
		if c, ok := byID[w.e.ActorOf(t, who).UserID]; !ok || c.AgencyID != nil || c.Username != who || c.Name == "" {
			t.Errorf("Eligible() lists %s as %+v (%v), want a district evaluator", who, c, ok)
		}
	}
	if c, ok := byID[certified.Evaluator.UserID]; !ok || c.AgencyID == nil || *c.AgencyID != certified.ID || c.AgencyName == nil {
		t.Errorf("Eligible() lists the certified agency's evaluator as %+v (%v)", c, ok)
	}
	for name, a := range map[string]agency{"uncertified": uncertified, "connected": connected} {
		if _, ok := byID[a.Evaluator.UserID]; ok {
			t.Errorf("Eligible() lists the %s agency's evaluator", name)
		}
	}
	if last := got[len(got)-1]; last.AgencyID == nil {
		t.Errorf("Eligible() ends with %+v, want the agencies' evaluators after the district's", last)
	}
	// Each one listed may be assigned.
	for _, c := range got {
		w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc, EvaluatorID: c.ID})
	}
	for _, tt := range []struct {
		by  access.Actor
		err error
	}{{w.officer2, apperr.ErrNotFound}, {w.finance, apperr.ErrForbidden}, {w.evaluator, apperr.ErrForbidden}, {w.orgAdmin, apperr.ErrForbidden}} {
		if _, err := w.svc.Eligible(ctx, tt.by, w.c.ID); !is(err, tt.err) {
			t.Errorf("Eligible() as %s error = %v, want %v", tt.by.Username, err, tt.err)
		}
	}
}
