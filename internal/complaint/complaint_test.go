package complaint_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// world is a test's application with an active contract of A with org 1 and
// one service record of it, whose rating code a complaint can name.
type world struct {
	t        *testing.T
	e        *servertest.Env
	svc      *complaint.Service
	contract servertest.Contract
	record   int64
	code     string
	officer  access.Actor // of A
	officer2 access.Actor // of B
	district access.Actor
	org      access.Actor // admin of org 1
	member   access.Actor // member of org 1
	org2     access.Actor
	resident access.Actor
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := servertest.NewEnv(t)
	w := &world{t: t, e: e, svc: e.Services.Complaints, contract: e.ActiveContract(t),
		officer: e.ActorOf(t, "demo-officer"), officer2: e.ActorOf(t, "demo-officer2"), district: e.ActorOf(t, "demo-district"),
		org: e.ActorOf(t, "demo-org"), member: e.ActorOf(t, "demo-member"), org2: e.ActorOf(t, "demo-org2"),
		resident: e.ActorOf(t, "demo-resident")}
	ctx := context.Background()
	v, err := e.Services.Records.Record(ctx, w.org, w.contract.ID, delivery.Input{Date: civil.ChinaDate(e.Clock.Now()).AddDays(-1).String(),
		CommunityID: w.contract.Communities[0], ServiceType: "service_visits", DurationMinutes: 60, StaffName: "王丽", BeneficiaryRef: "CP-1"})
	if err != nil {
		t.Fatalf("Record() error = %v", err)
	}
	w.record = v.ID
	rc, err := e.Services.Records.RatingCode(ctx, w.org, v.ID)
	if err != nil {
		t.Fatalf("RatingCode() error = %v", err)
	}
	w.code = rc.Code
	return w
}

func anonymous() access.Actor { return access.Anonymous("test", "192.0.2.1") }

// file files a complaint with the rating code and a contact, returning its id.
func (w *world) file(contact string) (complaint.Receipt, int64) {
	w.t.Helper()
	r, err := w.svc.File(context.Background(), anonymous(), complaint.Input{RatingCode: w.code, Description: "服务人员迟到两小时", Contact: contact})
	if err != nil {
		w.t.Fatalf("File() error = %v", err)
	}
	return r, w.e.IDOf(w.t, "complaints", "reference = ?", r.Reference)
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s error = %v, want %v", what, err, want)
	}
}

func count(t *testing.T, e *servertest.Env, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.DB.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLifecycle files by rating code, assigns, responds and decides upheld:
// each step in its state, notified and audited, the text audited as a digest
// only; the upheld complaint counts for the contract.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	r, id := w.file("13812345678")
	if r.Status != complaint.StatusReceived || !r.FirstResponseDue.Equal(servertest.Start.Add(24*time.Hour)) ||
		!r.DecisionDue.Equal(servertest.Start.Add(7*24*time.Hour)) {
		t.Fatalf("receipt = %+v, want received, due in 24 h and 7 days", r)
	}
	if _, ok := complaint.NormalizeReference(strings.ToLower(strings.ReplaceAll(r.Reference, "-", ""))); !ok {
		t.Errorf("NormalizeReference(%q lower case, no hyphens) failed", r.Reference)
	}
	list, _, err := w.svc.List(ctx, w.officer, complaint.Filter{Limit: 20})
	if err != nil || len(list) != 1 {
		t.Fatalf("officer's List() = %d, %v, want 1", len(list), err)
	}
	got := list[0]
	if got.ContractID == nil || *got.ContractID != w.contract.ID || got.RecordID == nil || *got.RecordID != w.record ||
		got.CommunityID != w.contract.Communities[0] || got.OrganizationID != w.e.Demo(t).Org1 || got.SubdistrictID != w.e.Demo(t).SubA {
		t.Errorf("the rating code resolved to %+v, want the record's contract, community, organization and subdistrict", got)
	}
	// The organization sees nothing before the officer forwards it.
	if list, _, _ := w.svc.List(ctx, w.org, complaint.Filter{Limit: 20}); len(list) != 0 {
		t.Errorf("the organization lists %d complaints before assignment, want 0", len(list))
	}
	_, err = w.svc.Respond(ctx, w.org, id, "提前答复")
	wantErr(t, "Respond() before assignment", err, apperr.ErrNotFound)

	v, err := w.svc.Assign(ctx, w.officer, id, 0)
	if err != nil || v.Status != complaint.StatusAssigned || v.AssignedAt == nil {
		t.Fatalf("Assign() = %+v, %v, want assigned", v, err)
	}
	_, err = w.svc.Assign(ctx, w.officer, id, 0)
	wantErr(t, "Assign() twice", err, complaint.ErrNotReceived)
	_, err = w.svc.Respond(ctx, w.org2, id, "别人的答复")
	wantErr(t, "Respond() by another organization", err, apperr.ErrNotFound)
	_, err = w.svc.Respond(ctx, w.officer, id, "官员答复")
	wantErr(t, "Respond() by an officer", err, apperr.ErrForbidden)

	v, err = w.svc.Respond(ctx, w.member, id, "已向老人致歉并调整排班")
	if err != nil || v.Status != complaint.StatusResponded || v.Contact != nil || v.RecordID != nil {
		t.Fatalf("Respond() = %+v, %v, want responded, without contact or record", v, err)
	}
	_, err = w.svc.Respond(ctx, w.org, id, "再答复")
	wantErr(t, "Respond() twice", err, complaint.ErrNotAssigned)
	_, err = w.svc.Decide(ctx, w.org, id, complaint.Upheld, "机构自己办结")
	wantErr(t, "Decide() by the organization", err, apperr.ErrForbidden)
	_, err = w.svc.Decide(ctx, w.officer2, id, complaint.Upheld, "别的街道")
	wantErr(t, "Decide() by another subdistrict's officer", err, apperr.ErrNotFound)

	w.e.Clock.Advance(time.Hour)
	v, err = w.svc.Decide(ctx, w.officer, id, complaint.Upheld, "迟到属实")
	if err != nil || v.Status != complaint.StatusDecided || v.Outcome == nil || *v.Outcome != complaint.Upheld || v.Contact == nil {
		t.Fatalf("Decide() = %+v, %v, want decided upheld, with the contact for the officer", v, err)
	}
	_, err = w.svc.Decide(ctx, w.officer, id, complaint.NotUpheld, "改判")
	wantErr(t, "Decide() twice", err, complaint.ErrDecided)
	_, err = w.svc.Respond(ctx, w.org, id, "办结后答复")
	wantErr(t, "Respond() after the decision", err, complaint.ErrDecided)

	n, err := complaint.UpheldCount(w.e.DB, w.contract.ID, servertest.Start.Add(-time.Hour), servertest.Start.Add(time.Hour))
	if err != nil || n != 1 {
		t.Errorf("UpheldCount() = %d, %v, want 1", n, err)
	}
	if n, _ := complaint.UpheldCount(w.e.DB, w.contract.ID, servertest.Start.Add(time.Hour), servertest.Start.Add(48*time.Hour)); n != 0 {
		t.Errorf("UpheldCount() of a later period = %d, want 0", n)
	}

	for action, want := range map[string]int64{"complaint.file": 1, "complaint.assign": 1, "complaint.respond": 1, "complaint.decide": 1} {
		if n := count(t, w.e, `SELECT count(*) FROM audit_entries WHERE action = ? AND entity_type = 'complaint' AND entity_id = ?`, action, fmt.Sprint(id)); n != want {
			t.Errorf("%d %s audit entries, want %d", n, action, want)
		}
	}
	for _, text := range []string{"服务人员迟到", "13812345678", "已向老人致歉", "迟到属实"} {
		if n := count(t, w.e, `SELECT count(*) FROM audit_entries WHERE data LIKE ?`, "%"+text+"%"); n != 0 {
			t.Errorf("the audit trail holds %q in clear", text)
		}
	}
	for kind, want := range map[string]int64{complaint.KindReceived: 1, complaint.KindAssigned: 1, complaint.KindResponded: 1, complaint.KindDecided: 2} {
		if n := count(t, w.e, `SELECT count(*) FROM notifications WHERE kind = ? AND complaint_id = ?`, kind, id); n != want {
			t.Errorf("%d %s notifications, want %d", n, kind, want)
		}
	}

	p, err := w.svc.Follow(ctx, r.Reference)
	if err != nil || p.Status != complaint.StatusDecided || p.Response == nil || p.DecisionReason == nil ||
		p.ContactMasked == nil || *p.ContactMasked != "138****5678" {
		t.Fatalf("Follow() = %+v, %v, want the decision, the response and the contact masked", p, err)
	}
}

// TestFileByProviderAndCommunity resolves the subdistrict from the
// community, and the contract when exactly one active contract serves it.
func TestFileByProviderAndCommunity(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	d := w.e.Demo(t)
	r, err := w.svc.File(ctx, w.resident, complaint.Input{OrganizationID: d.Org1, CommunityID: w.contract.Communities[1], Description: "态度差", Contact: "li@example.com"})
	if err != nil {
		t.Fatalf("File() error = %v", err)
	}
	list, _, _ := w.svc.List(ctx, w.officer, complaint.Filter{Limit: 20})
	if len(list) != 1 || list[0].ContractID == nil || *list[0].ContractID != w.contract.ID || list[0].RecordID != nil {
		t.Fatalf("officer's list = %+v, want the one contract serving the community linked", list)
	}
	if n := count(t, w.e, `SELECT count(*) FROM complaints WHERE reference = ? AND created_by = ?`, r.Reference, d.Resident); n != 1 {
		t.Errorf("the complaint does not record the signed-in resident who filed it")
	}
	// Org 2 serves no community of B: no contract, and upholding needs one.
	r2, err := w.svc.File(ctx, anonymous(), complaint.Input{OrganizationID: d.Org2, CommunityID: d.CommB, Description: "未上门"})
	if err != nil {
		t.Fatalf("File() error = %v", err)
	}
	id2 := w.e.IDOf(t, "complaints", "reference = ?", r2.Reference)
	list, _, _ = w.svc.List(ctx, w.officer2, complaint.Filter{Limit: 20})
	if len(list) != 1 || list[0].ContractID != nil || list[0].SubdistrictID != d.SubB {
		t.Fatalf("officer2's list = %+v, want B's complaint without a contract", list)
	}
	_, err = w.svc.Decide(ctx, w.officer2, id2, complaint.Upheld, "属实")
	wantErr(t, "Decide() upheld without a contract", err, complaint.ErrNoContract)
	_, err = w.svc.Assign(ctx, w.officer2, id2, w.contract.ID)
	if ae, ok := apperr.As(err); !ok || len(ae.Fields) != 1 || ae.Fields[0].Field != "contract_id" {
		t.Errorf("Assign() to another subdistrict's contract error = %v, want invalid contract_id", err)
	}
	if v, err := w.svc.Decide(ctx, w.officer2, id2, complaint.NotUpheld, "查无此事"); err != nil || v.Status != complaint.StatusDecided {
		t.Errorf("Decide() not upheld = %+v, %v", v, err)
	}
}

// TestFileRefusals: bad input names the field and writes nothing.
func TestFileRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.e.Demo(t)
	for _, tc := range []struct {
		name  string
		in    complaint.Input
		field string
	}{
		{"no description", complaint.Input{RatingCode: w.code, Description: "  "}, "description"},
		{"description too long", complaint.Input{RatingCode: w.code, Description: strings.Repeat("长", 2001)}, "description"},
		{"unknown code", complaint.Input{RatingCode: "0000000000", Description: "x"}, "rating_code"},
		{"code and provider", complaint.Input{RatingCode: w.code, OrganizationID: d.Org1, CommunityID: d.CommA, Description: "x"}, "rating_code"},
		{"bad contact", complaint.Input{RatingCode: w.code, Description: "x", Contact: "call me"}, "contact"},
		{"unknown community", complaint.Input{OrganizationID: d.Org1, CommunityID: 999999, Description: "x"}, "community_id"},
		{"unknown organization", complaint.Input{OrganizationID: 999999, CommunityID: d.CommA, Description: "x"}, "organization_id"},
		{"no provider", complaint.Input{CommunityID: d.CommA, Description: "x"}, "organization_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// An unknown code counts against the address, as on the rating page.
			counter := map[string]string{"unknown code": "rating_code_failures"}[tc.name]
			w.e.WritesOnly(t, tc.name, counter, func() {
				_, err := w.svc.File(context.Background(), anonymous(), tc.in)
				ae, ok := apperr.As(err)
				if !ok || ae.Kind != apperr.Invalid || len(ae.Fields) == 0 || ae.Fields[0].Field != tc.field {
					t.Errorf("File() error = %v, want invalid %s", err, tc.field)
				}
			})
		})
	}
}

func TestMaskContact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"13812345678": "138****5678", "0572-2345678": "057****5678", "li.ming@example.com": "l***@example.com", "123": "****"} {
		if got := complaint.MaskContact(in); got != want {
			t.Errorf("MaskContact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDeadlinesFlagged: the step flags a deadline only once due and unmet,
// once, telling the officers; the sweep's Due finds exactly the unmet ones.
func TestDeadlinesFlagged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	_, late := w.file("")
	_, triaged := w.file("")
	if _, err := w.svc.Assign(ctx, w.officer, triaged, 0); err != nil {
		t.Fatal(err)
	}
	due, err := w.svc.Flag(ctx, late, complaint.DeadlineFirstResponse)
	if err != nil || due == nil || !due.Equal(servertest.Start.Add(24*time.Hour)) {
		t.Fatalf("Flag() before the due time = %v, %v, want the due time", due, err)
	}
	if d, _ := w.svc.Due(ctx); len(d[complaint.DeadlineFirstResponse])+len(d[complaint.DeadlineDecision]) != 0 {
		t.Fatalf("Due() before any due time = %v, want none", d)
	}
	w.e.Clock.Advance(24*time.Hour + time.Second)
	d, err := w.svc.Due(ctx)
	if err != nil || len(d[complaint.DeadlineFirstResponse]) != 1 || d[complaint.DeadlineFirstResponse][late].IsZero() || len(d[complaint.DeadlineDecision]) != 0 {
		t.Fatalf("Due() after 24 h = %v, %v, want the untriaged complaint's first response only", d, err)
	}
	for _, id := range []int64{late, late, triaged} {
		if due, err := w.svc.Flag(ctx, id, complaint.DeadlineFirstResponse); err != nil || due != nil {
			t.Fatalf("Flag(%d) = %v, %v", id, due, err)
		}
	}
	list, _, _ := w.svc.List(ctx, w.officer, complaint.Filter{Overdue: ptr(true), Limit: 20})
	if len(list) != 1 || list[0].ID != late || !list[0].FirstResponseOverdue || list[0].DecisionOverdue {
		t.Fatalf("overdue list = %+v, want the untriaged complaint flagged on its first response", list)
	}
	if n := count(t, w.e, `SELECT count(*) FROM notifications WHERE kind = ? AND complaint_id = ?`, complaint.KindFirstResponseOverdue, late); n != 1 {
		t.Errorf("%d overdue notifications, want 1 (one officer of A)", n)
	}
	if n := count(t, w.e, `SELECT count(*) FROM audit_entries WHERE action = 'complaint.overdue'`); n != 1 {
		t.Errorf("%d overdue audit entries, want 1", n)
	}
	// A week on, both are undecided: both flagged on the decision.
	w.e.Clock.Advance(6 * 24 * time.Hour)
	for _, id := range []int64{late, triaged} {
		if _, err := w.svc.Flag(ctx, id, complaint.DeadlineDecision); err != nil {
			t.Fatal(err)
		}
	}
	list, _, _ = w.svc.List(ctx, w.officer, complaint.Filter{Overdue: ptr(true), Limit: 20})
	if len(list) != 2 || !list[0].DecisionOverdue || !list[1].DecisionOverdue {
		t.Errorf("overdue list after a week = %+v, want both flagged on the decision", list)
	}
	if d, _ := w.svc.Due(ctx); len(d[complaint.DeadlineFirstResponse])+len(d[complaint.DeadlineDecision]) != 0 {
		t.Errorf("Due() after flagging = %v, want none", d)
	}
}

func ptr[T any](v T) *T { return &v }

// TestReaders: who lists what, and who sees the contact.
func TestReaders(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	_, id := w.file("13812345678")
	if _, err := w.svc.Assign(ctx, w.officer, id, 0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		by      access.Actor
		n       int
		contact bool
		err     error
	}{
		{"officer", w.officer, 1, true, nil},
		{"officer of B", w.officer2, 0, false, nil},
		{"district admin", w.district, 1, false, nil},
		{"org admin", w.org, 1, false, nil},
		{"org member", w.member, 1, false, nil},
		{"other org", w.org2, 0, false, nil},
		{"resident", w.resident, 0, false, apperr.ErrForbidden},
		{"finance officer", w.e.ActorOf(t, "demo-finance"), 0, false, apperr.ErrForbidden},
		{"anonymous", anonymous(), 0, false, apperr.ErrForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, total, err := w.svc.List(ctx, tc.by, complaint.Filter{Limit: 20})
			if !errors.Is(err, tc.err) || len(list) != tc.n || total != int64(tc.n) {
				t.Fatalf("List() = %d (total %d), %v, want %d, %v", len(list), total, err, tc.n, tc.err)
			}
			for _, v := range list {
				if (v.Contact != nil) != tc.contact {
					t.Errorf("contact shown = %v, want %v", v.Contact != nil, tc.contact)
				}
			}
		})
	}
}
