package evaluation_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// world is one test's application: the demo seed, an active contract of
// 爱山 (A) with 康乐 (org 1), and the actors the tests act as.
type world struct {
	e   *servertest.Env
	svc *evaluation.Service
	c   servertest.Contract
	// today is the clock's China date when the world was made: the contract
	// serves from today − 60 to today + 300 (361 days).
	today civil.Date

	officer, officer2, finance, district, evaluator, evaluator2, orgAdmin, member, org2 access.Actor
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := servertest.NewEnv(t)
	w := &world{e: e, svc: e.Services.Evaluations, c: e.ActiveContract(t), today: civil.ChinaDate(e.Clock.Now())}
	w.officer, w.officer2, w.finance = e.ActorOf(t, "demo-officer"), e.ActorOf(t, "demo-officer2"), e.ActorOf(t, "demo-finance")
	w.district, w.evaluator, w.evaluator2 = e.ActorOf(t, "demo-district"), e.ActorOf(t, "demo-evaluator"), e.ActorOf(t, "demo-evaluator2")
	w.orgAdmin, w.member, w.org2 = e.ActorOf(t, "demo-org"), e.ActorOf(t, "demo-member"), e.ActorOf(t, "demo-org2")
	return w
}

var ctx = context.Background()

// metric is a contract metric for setMetrics.
type metric struct {
	code, unit, direction, source string
	target                        string
	weight                        int
}

// setMetrics replaces the contract's metrics (before any record refers to them).
func (w *world) setMetrics(t *testing.T, ms ...metric) {
	t.Helper()
	if err := w.e.DB.Exec(`DELETE FROM contract_metrics WHERE contract_id = ?`, w.c.ID).Error; err != nil {
		t.Fatal(err)
	}
	w.addMetrics(t, ms...)
}

func (w *world) addMetrics(t *testing.T, ms ...metric) {
	t.Helper()
	for _, m := range ms {
		if err := w.e.DB.Exec(`INSERT INTO contract_metrics (contract_id, code, name_zh, name_en, unit, direction, source, target, weight)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?::numeric, ?)`, w.c.ID, m.code, "指标"+m.code, "Metric "+m.code, m.unit, m.direction, m.source,
			m.target, m.weight).Error; err != nil {
			t.Fatalf("insert metric %s: %v", m.code, err)
		}
	}
}

// record writes a service record of the contract (fixture SQL, as the
// delivery service would leave it) and returns its id.
func (w *world) record(t *testing.T, day civil.Date, serviceType string, minutes int, community int64, ref string) int64 {
	t.Helper()
	now := w.e.Clock.Now()
	var id int64
	if err := w.e.DB.Raw(`INSERT INTO service_records (contract_id, organization_id, community_id, service_date, service_type, duration_minutes,
		staff_name, beneficiary_ref, rating_code_hash, rating_expires_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, '测试员', ?, sha256(convert_to(gen_random_uuid()::text, 'UTF8')), ?, ?, ?) RETURNING id`,
		w.c.ID, w.e.Demo(t).Org1, community, day, serviceType, minutes, ref, now.Add(30*24*time.Hour), now, now).Scan(&id).Error; err != nil {
		t.Fatalf("insert record: %v", err)
	}
	return id
}

// rate writes a rating of a record: kind code (a resident's) or follow_up.
func (w *world) rate(t *testing.T, recordID int64, kind string, overall int) {
	t.Helper()
	if err := w.e.DB.Exec(`INSERT INTO ratings (kind, record_id, contract_id, organization_id, community_id, timeliness, professionalism,
		attitude, effectiveness, overall, created_at)
		SELECT ?, r.id, r.contract_id, r.organization_id, r.community_id, 3, 3, 3, 3, ?, ? FROM service_records r WHERE r.id = ?`,
		kind, overall, w.e.Clock.Now(), recordID).Error; err != nil {
		t.Fatalf("insert rating: %v", err)
	}
}

var complaintSeq atomic.Int64

// complain writes a complaint about the contract received at, decided with
// outcome (upheld, not_upheld) or undecided ("").
func (w *world) complain(t *testing.T, at time.Time, outcome string) {
	t.Helper()
	ref := fmt.Sprintf("TS-%04d-AAAA-BBBB", complaintSeq.Add(1))
	status, reason, decided := "received", any(nil), any(nil)
	var out any
	if outcome != "" {
		status, reason, decided, out = "decided", "查实", at.Add(48*time.Hour), outcome
	}
	if err := w.e.DB.Exec(`INSERT INTO complaints (reference, subdistrict_id, community_id, organization_id, contract_id, description, status,
		outcome, decision_reason, received_at, first_response_due, decision_due, decided_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, '服务不到位', ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ref, w.e.Demo(t).SubA, w.c.Communities[0], w.e.Demo(t).Org1, w.c.ID,
		status, out, reason, at, at.Add(24*time.Hour), at.Add(72*time.Hour), decided, at, at).Error; err != nil {
		t.Fatalf("insert complaint: %v", err)
	}
}

// request writes a hotline request to the contract made at: accepted after
// wait (status accepted), declined, or still requested.
func (w *world) request(t *testing.T, at time.Time, status string, wait time.Duration) {
	t.Helper()
	var accepted, declined, reason any
	switch status {
	case "accepted":
		accepted = at.Add(wait)
	case "declined":
		declined, reason = at.Add(wait), "人手不足"
	}
	if err := w.e.DB.Exec(`INSERT INTO service_requests (subdistrict_id, community_id, contract_id, organization_id, channel, contact_name,
		contact_phone, status, requested_at, accepted_at, declined_at, decline_reason, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'hotline', '来电人', '12345', ?, ?, ?, ?, ?, ?, ?)`, w.e.Demo(t).SubA, w.c.Communities[0], w.c.ID, w.e.Demo(t).Org1,
		status, at, accepted, declined, reason, at, at).Error; err != nil {
		t.Fatalf("insert request: %v", err)
	}
}

// schedule schedules an evaluation as the officer, failing the test on error.
func (w *world) schedule(t *testing.T, in evaluation.ScheduleInput) evaluation.View {
	t.Helper()
	if in.DueOn == "" {
		in.DueOn = w.today.AddDays(30).String()
	}
	if in.EvaluatorID == 0 {
		in.EvaluatorID = w.evaluator.UserID
	}
	v, err := w.svc.Schedule(ctx, w.officer, w.c.ID, in)
	if err != nil {
		t.Fatalf("Schedule(%+v) error = %v", in, err)
	}
	return v
}

// open declares no conflict as the evaluation's evaluator.
func (w *world) open(t *testing.T, by access.Actor, id int64) evaluation.View {
	t.Helper()
	v, err := w.svc.Update(ctx, by, id, evaluation.Patch{Declaration: &evaluation.Declaration{}})
	if err != nil {
		t.Fatalf("declare no conflict on %d: %v", id, err)
	}
	return v
}

// enter enters figure values as by.
func (w *world) enter(t *testing.T, by access.Actor, id int64, values map[string]string) evaluation.View {
	t.Helper()
	var es []evaluation.Entry
	for code, v := range values {
		es = append(es, evaluation.Entry{Code: code, Actual: &v})
	}
	v, err := w.svc.Update(ctx, by, id, evaluation.Patch{Figures: es})
	if err != nil {
		t.Fatalf("enter %v on %d: %v", values, id, err)
	}
	return v
}

// failing returns a submitted evaluation of the contract that fails: nothing
// recorded, satisfaction entered as 0 (an ad-hoc one, so that several can
// be made).
func (w *world) failing(t *testing.T) evaluation.View {
	t.Helper()
	v := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc})
	w.open(t, w.evaluator, v.ID)
	w.enter(t, w.evaluator, v.ID, map[string]string{"satisfaction": "0"})
	v, err := w.svc.Submit(ctx, w.evaluator, v.ID)
	if err != nil || *v.Grade != evaluation.GradeFail {
		t.Fatalf("Submit() = %v, %v; want a failing grade", v.Grade, err)
	}
	return v
}

// figure returns the figure code of v.
func figure(t *testing.T, v evaluation.View, code string) evaluation.Figure {
	t.Helper()
	for _, f := range v.Figures {
		if f.Code == code {
			return f
		}
	}
	t.Fatalf("evaluation %d has no figure %s", v.ID, code)
	return evaluation.Figure{}
}

var orgSeq atomic.Int64

// agency is a third-party evaluation agency made for a test, with an
// evaluator account.
type agency struct {
	ID        int64
	Evaluator access.Actor
}

// agencyOpts describe an agency: its legal representative and contacts,
// and where (if anywhere) it holds an approved certification for
// third-party evaluation, valid from validFrom through validUntil − 1 day.
type agencyOpts struct {
	legalRep, phone, email string
	certDistrict           int64
	status                 string // of the certification; approved by default
	validFrom, validUntil  civil.Date
}

// newAgency writes an agency, its certification and an evaluator account
// with SQL (the org tests drive applications and invitations through the
// service; TestAgencyAccounts here too).
func (w *world) newAgency(t *testing.T, o agencyOpts) agency {
	t.Helper()
	n := orgSeq.Add(1)
	now := w.e.Clock.Now()
	if o.legalRep == "" {
		o.legalRep = fmt.Sprintf("评估法人%d", n)
	}
	if o.phone == "" {
		o.phone = fmt.Sprintf("0572-39%05d", n)
	}
	if o.email == "" {
		o.email = fmt.Sprintf("agency%d@eval.example.org", n)
	}
	var a agency
	code := servertest.CreditCode(t, fmt.Sprintf("52330502MJ8%06d", n))
	if err := w.e.DB.Raw(`INSERT INTO organizations (credit_code, legal_name, org_type, district_id, legal_representative, contact_phone,
		contact_email, created_at, updated_at) VALUES (?, ?, 'social_service_institution', ?, ?, ?, ?, ?, ?) RETURNING id`,
		code, fmt.Sprintf("第三方评估中心%d", n), w.e.Demo(t).District, o.legalRep, o.phone, o.email, now, now).Scan(&a.ID).Error; err != nil {
		t.Fatalf("insert agency: %v", err)
	}
	username := fmt.Sprintf("agency-evaluator-%d", n)
	var uid int64
	if err := w.e.DB.Raw(`INSERT INTO users (username, display_name, password_hash, role, organization_id, created_at, updated_at)
		VALUES (?, '第三方评估员', 'x', 'evaluator', ?, ?, ?) RETURNING id`, username, a.ID, now, now).Scan(&uid).Error; err != nil {
		t.Fatalf("insert agency evaluator: %v", err)
	}
	if o.certDistrict != 0 {
		if o.status == "" {
			o.status = "approved"
		}
		if o.validFrom.IsZero() {
			o.validFrom, o.validUntil = w.today.AddDays(-100), w.today.AddDays(700)
		}
		reason := ""
		if o.status != "approved" {
			reason = "测试"
		}
		var cert int64
		if err := w.e.DB.Raw(`INSERT INTO certifications (organization_id, district_id, status, grade, valid_from, valid_until, decision_reason,
			applied_by, created_at, updated_at) VALUES (?, ?, ?, 4, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.ID, o.certDistrict, o.status, o.validFrom, o.validUntil, reason, uid, now, now).Scan(&cert).Error; err != nil {
			t.Fatalf("insert certification: %v", err)
		}
		if err := w.e.DB.Exec(`INSERT INTO certification_categories (certification_id, category_code) VALUES (?, ?)`, cert, org.EvaluationCategory).Error; err != nil {
			t.Fatal(err)
		}
	}
	a.Evaluator = w.e.ActorOf(t, username)
	return a
}

// isInvalid reports whether err is a validation error naming exactly fields.
func isInvalid(err error, fields ...string) bool {
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.Invalid || len(e.Fields) == 0 {
		return false
	}
	named := map[string]bool{}
	for _, f := range e.Fields {
		named[f.Field] = true
	}
	for _, f := range fields {
		if !named[f] {
			return false
		}
		delete(named, f)
	}
	return len(named) == 0
}

// is reports whether err is the sentinel want (by code).
func is(err, want error) bool { return errors.Is(err, want) }

// notifications counts the notifications of kind about the contract.
func (w *world) notifications(t *testing.T, kind string) int64 {
	t.Helper()
	var n int64
	if err := w.e.DB.Table("notifications").Where("kind = ? AND contract_id = ?", kind, w.c.ID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
