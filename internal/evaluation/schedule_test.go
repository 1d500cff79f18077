package evaluation_test

import (
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// Scheduling copies the contract's metrics into figures, defaults the
// period by kind, assigns the evaluator and tells it and the organization.
func TestSchedule(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindMidterm, DueOn: w.today.AddDays(14).String()})
	if v.Status != evaluation.StatusScheduled || v.Kind != evaluation.KindMidterm || v.EvaluatorID != w.evaluator.UserID ||
		v.AgencyID != nil || v.DueOn != w.today.AddDays(14) || v.PeriodStart != w.c.ServiceStart || v.PeriodEnd != w.today {
		t.Errorf("Schedule() = %+v", v.Summary)
	}
	if len(v.Figures) != 3 {
		t.Fatalf("figures = %d, want the contract's 3 metrics", len(v.Figures))
	}
	if f := figure(t, v, "service_visits"); f.Target != "1200.00" || f.Weight != 40 || f.Source != "service_records" || f.Unit != "次" {
		t.Errorf("service_visits figure = %+v", f)
	}
	if w.notifications(t, evaluation.KindAssigned) != 1 || w.notifications(t, evaluation.KindScheduled) != 1 {
		t.Errorf("notifications: assigned %d, scheduled %d; want 1 each", w.notifications(t, evaluation.KindAssigned), w.notifications(t, evaluation.KindScheduled))
	}
	// Every reader of the contract reads it; the evaluator reads its own.
	for _, by := range []access.Actor{w.officer, w.finance, w.district, w.orgAdmin, w.member, w.evaluator, w.e.ActorOf(t, "demo-admin")} {
		if _, err := w.svc.Get(ctx, by, v.ID); err != nil {
			t.Errorf("Get() as %s error = %v", by.Username, err)
		}
		list, err := w.svc.List(ctx, by, w.c.ID)
		if err != nil || len(list) != 1 {
			t.Errorf("List() as %s = %d, %v; want 1", by.Username, len(list), err)
		}
	}
	for _, by := range []access.Actor{w.officer2, w.org2, w.evaluator2} {
		if _, err := w.svc.Get(ctx, by, v.ID); !is(err, apperr.ErrNotFound) {
			t.Errorf("Get() as %s error = %v, want not found", by.Username, err)
		}
		if _, err := w.svc.List(ctx, by, w.c.ID); !is(err, apperr.ErrNotFound) {
			t.Errorf("List() as %s error = %v, want not found", by.Username, err)
		}
	}
	if _, err := w.svc.Get(ctx, w.e.ActorOf(t, "demo-resident"), v.ID); !is(err, apperr.ErrForbidden) {
		t.Errorf("Get() as a resident error = %v, want forbidden", err)
	}

	// One live mid-term per contract; ad-hoc ones as many as needed.
	if _, err := w.svc.Schedule(ctx, w.officer, w.c.ID, evaluation.ScheduleInput{Kind: evaluation.KindMidterm,
		DueOn: w.today.String(), EvaluatorID: w.evaluator.UserID}); !is(err, evaluation.ErrKindScheduled) {
		t.Errorf("a second mid-term error = %v, want %v", err, evaluation.ErrKindScheduled)
	}
	w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc, PeriodStart: w.today.AddDays(-10).String()})
	w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc})
	// Once cancelled, a mid-term may be scheduled again.
	reason := "评估人员调整"
	if _, err := w.svc.Update(ctx, w.officer, v.ID, evaluation.Patch{CancelReason: &reason}); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindMidterm})
}

func TestScheduleRefuses(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ok := evaluation.ScheduleInput{Kind: evaluation.KindMidterm, DueOn: w.today.AddDays(7).String(), EvaluatorID: w.evaluator.UserID}
	with := func(change func(*evaluation.ScheduleInput)) evaluation.ScheduleInput {
		in := ok
		change(&in)
		return in
	}
	tests := []struct {
		name   string
		by     access.Actor
		in     evaluation.ScheduleInput
		err    error
		fields []string
	}{
		{"a finance officer", w.finance, ok, apperr.ErrForbidden, nil},
		{"the organization", w.orgAdmin, ok, apperr.ErrForbidden, nil},
		{"an evaluator", w.evaluator, ok, apperr.ErrForbidden, nil},
		{"another subdistrict's officer", w.officer2, ok, apperr.ErrNotFound, nil},
		{"no kind", w.officer, with(func(in *evaluation.ScheduleInput) { in.Kind = "" }), nil, []string{"kind"}},
		{"unknown kind", w.officer, with(func(in *evaluation.ScheduleInput) { in.Kind = "yearly" }), nil, []string{"kind"}},
		{"bad dates", w.officer, with(func(in *evaluation.ScheduleInput) { in.PeriodStart, in.PeriodEnd = "2026-13-01", "soon" }), nil,
			[]string{"period_start", "period_end"}},
		{"before the service", w.officer, with(func(in *evaluation.ScheduleInput) { in.PeriodStart = w.c.ServiceStart.AddDays(-1).String() }), nil,
			[]string{"period_start"}},
		{"after the service", w.officer, with(func(in *evaluation.ScheduleInput) { in.PeriodEnd = w.c.ServiceEnd.AddDays(1).String() }), nil,
			[]string{"period_end"}},
		{"end before start", w.officer, with(func(in *evaluation.ScheduleInput) {
			in.PeriodStart, in.PeriodEnd = w.today.String(), w.today.AddDays(-1).String()
		}), nil, []string{"period_end"}},
		{"a final's own period", w.officer, with(func(in *evaluation.ScheduleInput) {
			in.Kind, in.PeriodEnd = evaluation.KindFinal, w.today.String()
		}), nil, []string{"period_end"}},
		{"no due date", w.officer, with(func(in *evaluation.ScheduleInput) { in.DueOn = "" }), nil, []string{"due_on"}},
		{"due in the past", w.officer, with(func(in *evaluation.ScheduleInput) { in.DueOn = w.today.AddDays(-1).String() }), nil, []string{"due_on"}},
		{"no evaluator", w.officer, with(func(in *evaluation.ScheduleInput) { in.EvaluatorID = 0 }), nil, []string{"evaluator_id"}},
		{"not an evaluator", w.officer, with(func(in *evaluation.ScheduleInput) { in.EvaluatorID = w.member.UserID }), nil, []string{"evaluator_id"}},
		{"no such account", w.officer, with(func(in *evaluation.ScheduleInput) { in.EvaluatorID = 999999 }), nil, []string{"evaluator_id"}},
		{"not a re-evaluation of this contract", w.officer, with(func(in *evaluation.ScheduleInput) { id := int64(999999); in.ReevaluationOf = &id }), nil,
			[]string{"reevaluation_of"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.e.WritesNothing(t, tt.name, func() {
				_, err := w.svc.Schedule(ctx, tt.by, w.c.ID, tt.in)
				switch {
				case tt.err != nil && !is(err, tt.err):
					t.Errorf("Schedule() error = %v, want %v", err, tt.err)
				case tt.err == nil && !isInvalid(err, tt.fields...):
					t.Errorf("Schedule() error = %v, want invalid %v", err, tt.fields)
				}
			})
		})
	}
	// A contract not in force is not evaluated.
	for _, status := range []string{"completed", "terminated"} {
		w.e.SetContractStatus(t, w.c.ID, status)
		if _, err := w.svc.Schedule(ctx, w.officer, w.c.ID, ok); !is(err, evaluation.ErrContractNotInForce) {
			t.Errorf("Schedule() on a %s contract error = %v, want %v", status, err, evaluation.ErrContractNotInForce)
		}
	}
}

// A district evaluator of another district is refused; an agency evaluator
// evaluates only where its agency is certified for third-party evaluation,
// never for its own organization nor one it is connected to.
func TestAgencyEligibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.e.Demo(t)
	var other int64 // 南浔区
	if err := w.e.DB.Raw(`INSERT INTO districts (code, name_zh, created_at, updated_at) VALUES ('330503', '南浔区', now(), now()) RETURNING id`).
		Scan(&other).Error; err != nil {
		t.Fatal(err)
	}
	var elsewhereEval int64
	if err := w.e.DB.Raw(`INSERT INTO users (username, password_hash, role, district_id, created_at, updated_at)
		VALUES ('nanxun-evaluator', 'x', 'evaluator', ?, now(), now()) RETURNING id`, other).Scan(&elsewhereEval).Error; err != nil {
		t.Fatal(err)
	}
	var provider struct{ LegalRepresentative, ContactPhone, ContactEmail string }
	if err := w.e.DB.Table("organizations").Where("id = ?", d.Org1).Take(&provider).Error; err != nil {
		t.Fatal(err)
	}
	certified := w.newAgency(t, agencyOpts{certDistrict: d.District})
	uncertified := w.newAgency(t, agencyOpts{})
	elsewhere := w.newAgency(t, agencyOpts{certDistrict: other})
	suspended := w.newAgency(t, agencyOpts{certDistrict: d.District, status: "suspended"})
	expired := w.newAgency(t, agencyOpts{certDistrict: d.District, validFrom: w.today.AddDays(-400), validUntil: w.today})
	sameRep := w.newAgency(t, agencyOpts{certDistrict: d.District, legalRep: " " + provider.LegalRepresentative + " "})
	samePhone := w.newAgency(t, agencyOpts{certDistrict: d.District, phone: strings.ReplaceAll(provider.ContactPhone, "-", " ")})
	sameMail := w.newAgency(t, agencyOpts{certDistrict: d.District, email: strings.ToUpper(provider.ContactEmail)})
	// An evaluator account of the provider itself, certified for evaluation too.
	var own int64
	if err := w.e.DB.Raw(`INSERT INTO users (username, password_hash, role, organization_id, created_at, updated_at)
		VALUES ('kangle-evaluator', 'x', 'evaluator', ?, now(), now()) RETURNING id`, d.Org1).Scan(&own).Error; err != nil {
		t.Fatal(err)
	}

	refused := []struct {
		name string
		id   int64
		why  string
	}{
		{"a district evaluator of another district", elsewhereEval, "contract's district"},
		{"an uncertified agency", uncertified.Evaluator.UserID, "without an active certification"},
		{"an agency certified elsewhere", elsewhere.Evaluator.UserID, "without an active certification"},
		{"a suspended certification", suspended.Evaluator.UserID, "without an active certification"},
		{"an expired certification", expired.Evaluator.UserID, "without an active certification"},
		{"the provider itself", own, "own provider"},
		{"a shared legal representative", sameRep.Evaluator.UserID, "the same legal representative"},
		{"a shared contact phone", samePhone.Evaluator.UserID, "the same contact phone"},
		{"a shared contact e-mail", sameMail.Evaluator.UserID, "the same contact e-mail"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			w.e.WritesNothing(t, tt.name, func() {
				_, err := w.svc.Schedule(ctx, w.officer, w.c.ID, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc,
					DueOn: w.today.String(), EvaluatorID: tt.id})
				e, _ := apperr.As(err)
				if !isInvalid(err, "evaluator_id") || !strings.Contains(e.Fields[0].Message, tt.why) {
					t.Errorf("Schedule() error = %v, want invalid evaluator_id saying %q", err, tt.why)
				}
			})
		})
	}
	v := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc, EvaluatorID: certified.Evaluator.UserID})
	if v.AgencyID == nil || *v.AgencyID != certified.ID || v.AgencyName == nil || *v.AgencyName == "" {
		t.Errorf("scheduled with an agency evaluator: agency %v %v, want %d", v.AgencyID, v.AgencyName, certified.ID)
	}
	// The agency evaluator reads, declares, enters and submits it.
	if certified.Evaluator.Scope.OrganizationID != certified.ID || certified.Evaluator.Scope.DistrictID != 0 {
		t.Errorf("agency evaluator scope = %+v, want its agency", certified.Evaluator.Scope)
	}
	w.open(t, certified.Evaluator, v.ID)
	w.enter(t, certified.Evaluator, v.ID, map[string]string{"satisfaction": "90"})
	if v, err := w.svc.Submit(ctx, certified.Evaluator, v.ID); err != nil || v.Status != evaluation.StatusSubmitted {
		t.Errorf("Submit() by the agency evaluator = %v, %v", v.Status, err)
	}
	// Its certification lapsing stops it: a declaration after that is refused.
	v2 := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc, EvaluatorID: certified.Evaluator.UserID})
	if err := w.e.DB.Exec(`UPDATE certifications SET status = 'suspended', decision_reason = '测试' WHERE organization_id = ?`, certified.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Update(ctx, certified.Evaluator, v2.ID, evaluation.Patch{Declaration: &evaluation.Declaration{}}); !is(err, evaluation.ErrEvaluatorIneligible) {
		t.Errorf("declaring after the certification's suspension error = %v, want %v", err, evaluation.ErrEvaluatorIneligible)
	}
}

// An agency applies for third-party evaluation, the district certifies it,
// its admin invites an evaluator account (refused before the certification),
// and the account evaluates the district's contracts.
func TestAgencyAccounts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.e.Demo(t)
	orgs := w.e.Services.Orgs
	o, admin, err := orgs.Signup(ctx, org.SignupInput{Organization: org.Input{CreditCode: servertest.CreditCode(t, "52330502MJ9000017"), LegalName: "湖州市评估研究院",
		OrgType: org.SocialServiceInstitution, DistrictID: d.District, LegalRepresentative: "钱伟", ContactPhone: "0572-3900001",
		ContactEmail: "office@assess.example.org"}, Admin: org.MemberInput{Username: "assess-admin", Password: "a long enough password"}})
	if err != nil {
		t.Fatalf("Signup() error = %v", err)
	}
	by := w.e.ActorOf(t, admin.Username)
	invite := org.MemberInput{Username: "assess-evaluator", DisplayName: "评估员", Password: "a long enough password", Role: access.Evaluator}
	w.e.WritesNothing(t, "an evaluator before the certification", func() {
		if _, err := orgs.AddMember(ctx, by, o.ID, invite); !is(err, org.ErrNotEvaluationAgency) {
			t.Errorf("AddMember(evaluator) before certification error = %v, want %v", err, org.ErrNotEvaluationAgency)
		}
	})
	if _, err := orgs.Apply(ctx, by, org.ApplyInput{DistrictID: 999999, Categories: []string{org.EvaluationCategory}}); !isInvalid(err, "categories") {
		t.Errorf("Apply(THIRD_PARTY_EVALUATION) in no district error = %v, want invalid categories", err)
	}
	// Third-party evaluation is no entry of the guidance catalog: any district certifies it.
	cert, err := orgs.Apply(ctx, by, org.ApplyInput{DistrictID: d.District, Categories: []string{org.EvaluationCategory}, Statement: "第三方评估"})
	if err != nil {
		t.Fatalf("Apply(THIRD_PARTY_EVALUATION) error = %v", err)
	}
	workers := 3
	if _, err := orgs.Approve(ctx, w.district, cert.ID, org.ApproveInput{Grade: 4, ValidFrom: w.today,
		ValidThrough: w.today.AddDays(365), VerifiedSocialWorkers: &workers}); err != nil {
		t.Fatalf("Approve() error = %v", err)
	}
	u, err := orgs.AddMember(ctx, by, o.ID, invite)
	if err != nil {
		t.Fatalf("AddMember(evaluator) error = %v", err)
	}
	if u.Role != access.Evaluator || u.OrganizationID == nil || *u.OrganizationID != o.ID || u.DistrictID != nil {
		t.Errorf("AddMember() = %+v, want an evaluator of the agency", u)
	}
	// The account signs in as an evaluator scoped to its agency.
	tk, err := w.e.Services.Auth.Login(ctx, "assess-evaluator", "a long enough password", auth.Client{IP: "10.0.0.1"})
	if err != nil {
		t.Fatalf("Login() error = %v", err)
	}
	actor, err := w.e.Services.Auth.Authenticate(ctx, tk.AccessToken, auth.Client{IP: "10.0.0.1"})
	if err != nil || actor.Role != access.Evaluator || actor.Scope.OrganizationID != o.ID || actor.Scope.DistrictID != 0 {
		t.Fatalf("Authenticate() = %+v, %v; want an evaluator of organization %d", actor, err, o.ID)
	}
	v := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindMidterm, EvaluatorID: u.ID})
	if _, err := w.svc.Get(ctx, actor, v.ID); err != nil {
		t.Errorf("Get() by the agency evaluator error = %v", err)
	}
	// It sits on no tender committee: those take the district's evaluators.
	list, err := w.e.Services.Tenders.Evaluators(ctx, w.officer)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.UserID == u.ID {
			t.Errorf("tender.Evaluators() lists the agency's evaluator")
		}
	}
}
