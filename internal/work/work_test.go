package work_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/work"
)

// pending returns who's pending items.
func pending(t *testing.T, e *servertest.Env, who string) []work.Item {
	t.Helper()
	items, err := e.Services.Work.Pending(context.Background(), e.ActorOf(t, who))
	if err != nil {
		t.Fatalf("Pending(%s) error = %v", who, err)
	}
	return items
}

func find(items []work.Item, kind string, id int64) (work.Item, bool) {
	for _, it := range items {
		if it.Kind == kind && it.RecordID == id {
			return it, true
		}
	}
	return work.Item{}, false
}

// sees checks that the item of kind for record id waits for each of who
// (and returns it as the first sees), and for none of others.
func sees(t *testing.T, e *servertest.Env, kind string, id int64, who []string, others ...string) work.Item {
	t.Helper()
	var first work.Item
	for i, u := range who {
		it, ok := find(pending(t, e, u), kind, id)
		if !ok {
			t.Fatalf("%s's worklist has no %s %d", u, kind, id)
		}
		if it.TitleZh == "" || it.TitleEn == "" || it.Link == "" || it.Group == "" {
			t.Errorf("%s's %s %d = %+v, want titles, a link and a group", u, kind, id, it)
		}
		if i == 0 {
			first = it
		}
	}
	for _, u := range others {
		if _, ok := find(pending(t, e, u), kind, id); ok {
			t.Errorf("%s's worklist has %s %d, want none", u, kind, id)
		}
	}
	return first
}

func exec(t *testing.T, e *servertest.Env, sql string, args ...any) {
	t.Helper()
	if err := e.DB.Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func dueAt(t *testing.T, it work.Item, want time.Time) {
	t.Helper()
	if it.Due == nil || !it.Due.Equal(want) {
		t.Errorf("%s %d due = %v, want %v", it.Kind, it.RecordID, it.Due, want)
	}
	if it.Due != nil && it.Due.Location().String() != "CST" {
		t.Errorf("%s %d due in %v, want China time", it.Kind, it.RecordID, it.Due.Location())
	}
}

var everyone = []string{"demo-admin", "demo-district", "demo-officer", "demo-finance", "demo-evaluator", "demo-org",
	"demo-officer2", "demo-org2", "demo-member", "demo-resident"}

func except(names ...string) []string {
	var out []string
	for _, u := range everyone {
		skip := false
		for _, n := range names {
			skip = skip || n == u
		}
		if !skip {
			out = append(out, u)
		}
	}
	return out
}

// A draft contract waits for the officer's and the organization admin's
// signatures, due by the signing deadline; each signature takes it off the
// signer's list, and the signature shows on the signer's done list.
func TestContractToSign(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	ctx := context.Background()
	c := e.DraftContract(t, 1_000_000)
	var signBy time.Time
	if err := e.DB.Raw("SELECT sign_by FROM contracts WHERE id = ?", c.ID).Scan(&signBy).Error; err != nil {
		t.Fatal(err)
	}
	it := sees(t, e, "contract.sign", c.ID, []string{"demo-officer"}, except("demo-officer")...)
	dueAt(t, it, signBy)
	if it.Link != "/contracts/"+itoa(c.ID) {
		t.Errorf("link = %q, want the contract's page", it.Link)
	}
	sees(t, e, "org.contract.sign", c.ID, []string{"demo-org"}, except("demo-org")...)

	if _, err := e.Services.Contracts.Sign(ctx, e.ActorOf(t, "demo-officer"), c.ID); err != nil {
		t.Fatal(err)
	}
	sees(t, e, "contract.sign", c.ID, nil, everyone...)
	sees(t, e, "org.contract.sign", c.ID, []string{"demo-org"})
	if _, err := e.Services.Contracts.Sign(ctx, e.ActorOf(t, "demo-org"), c.ID); err != nil {
		t.Fatal(err)
	}
	sees(t, e, "org.contract.sign", c.ID, nil, everyone...)
	done, err := e.Services.Work.Done(ctx, e.ActorOf(t, "demo-org"))
	if err != nil {
		t.Fatal(err)
	}
	if len(done) == 0 || done[0].Action != "contract.signed" || done[0].EntityID != itoa(c.ID) || done[0].Link != "/contracts/"+itoa(c.ID) ||
		done[0].TitleZh == "" || done[0].TitleEn == "" {
		t.Errorf("demo-org's done list starts %+v, want the signature of contract %d", done, c.ID)
	}
	for _, d := range done {
		if d.Action == "ledger.encumber" || d.Action == "milestone.due" {
			t.Errorf("done list has %s, a side effect, want what the user did", d.Action)
		}
	}
}

// A tender's unanswered question waits for its subdistrict's officer until
// answered; an evaluated tender waits for the award; a committee member
// declares, then scores; an open challenge waits for an answer.
func TestTenderWork(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	now := e.Clock.Now()
	d := e.Demo(t)
	var tenderID int64
	if err := e.DB.Raw("SELECT tender_id FROM contracts WHERE id = ?", c.ID).Scan(&tenderID).Error; err != nil {
		t.Fatal(err)
	}
	// The awarded tender, back to published with questions open for two days.
	qClose := now.Add(48 * time.Hour).Truncate(time.Second)
	exec(t, e, `UPDATE tenders SET status = 'published', awarded_at = NULL, questions_close_at = ?, closes_at = ?, opens_at = ? WHERE id = ?`,
		qClose, now.Add(96*time.Hour), now.Add(96*time.Hour), tenderID)
	var qid int64
	if err := e.DB.Raw(`INSERT INTO tender_questions (tender_id, organization_id, body, asked_at) VALUES (?, ?, '问题', ?) RETURNING id`,
		tenderID, d.Org1, now).Scan(&qid).Error; err != nil {
		t.Fatal(err)
	}
	it := sees(t, e, "tender.question", qid, []string{"demo-officer"}, except("demo-officer")...)
	dueAt(t, it, qClose)
	exec(t, e, `UPDATE tender_questions SET answer = '答复', answered_at = ? WHERE id = ?`, now, qid)
	sees(t, e, "tender.question", qid, nil, everyone...)

	// Opened: the committee member declares, then scores.
	evaluator := e.ActorOf(t, "demo-evaluator")
	exec(t, e, `UPDATE tenders SET status = 'opened', opened_at = ? WHERE id = ?`, now, tenderID)
	exec(t, e, `INSERT INTO tender_committee (tender_id, user_id) VALUES (?, ?)`, tenderID, evaluator.UserID)
	sees(t, e, "review.declare", tenderID, []string{"demo-evaluator"}, except("demo-evaluator")...)
	exec(t, e, `UPDATE tender_committee SET declared_at = ?, conflict = false WHERE tender_id = ?`, now, tenderID)
	sees(t, e, "review.declare", tenderID, nil, everyone...)
	sees(t, e, "review.score", tenderID, []string{"demo-evaluator"}, except("demo-evaluator")...)
	exec(t, e, `INSERT INTO score_sheets (tender_id, round, user_id, submitted_at) VALUES (?, 1, ?, ?)`, tenderID, evaluator.UserID, now)
	sees(t, e, "review.score", tenderID, nil, everyone...)

	// A recusal leaves the committee even: the officer replaces.
	exec(t, e, `UPDATE tender_committee SET recused = true, conflict = true WHERE tender_id = ?`, tenderID)
	sees(t, e, "tender.committee", tenderID, []string{"demo-officer"}, except("demo-officer")...)

	exec(t, e, `UPDATE tenders SET status = 'evaluated', evaluated_at = ? WHERE id = ?`, now, tenderID)
	sees(t, e, "tender.committee", tenderID, nil, everyone...)
	sees(t, e, "tender.award", tenderID, []string{"demo-officer"}, except("demo-officer")...)
	exec(t, e, `UPDATE tenders SET status = 'award_proposed', challenge_ends_at = ? WHERE id = ?`, now.Add(120*time.Hour), tenderID)
	sees(t, e, "tender.award", tenderID, nil, everyone...)
}

// A complaint waits for the officer's triage (due at the first-response
// deadline), then for the organization's response, then for the decision.
func TestComplaintWork(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	d := e.Demo(t)
	now := e.Clock.Now().Truncate(time.Second)
	first, decide := now.Add(24*time.Hour), now.Add(72*time.Hour)
	var id int64
	// Filed by the signed-in resident, who follows it until decided.
	if err := e.DB.Raw(`INSERT INTO complaints (reference, subdistrict_id, community_id, organization_id, description, status,
		received_at, first_response_due, decision_due, created_by, created_at, updated_at)
		VALUES ('TS-AAAA-BBBB-CCCC', ?, ?, ?, '投诉', 'received', ?, ?, ?, ?, ?, ?) RETURNING id`,
		d.SubA, c.Communities[0], d.Org1, now, first, decide, d.Resident, now, now).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	it := sees(t, e, "complaint.triage", id, []string{"demo-officer"}, except("demo-officer")...)
	dueAt(t, it, first)
	sees(t, e, "resident.complaint", id, []string{"demo-resident"}, except("demo-resident")...)
	exec(t, e, `UPDATE complaints SET status = 'assigned', assigned_at = ?, contract_id = ? WHERE id = ?`, now, c.ID, id)
	sees(t, e, "complaint.triage", id, nil, everyone...)
	sees(t, e, "complaint.overdue", id, nil, everyone...)
	sees(t, e, "org.complaint.respond", id, []string{"demo-org", "demo-member"}, except("demo-org", "demo-member")...)
	// The organization lets the first-response deadline pass: the officer sees it overdue.
	e.Clock.Advance(25 * time.Hour)
	sees(t, e, "complaint.overdue", id, []string{"demo-officer"}, except("demo-officer")...)
	exec(t, e, `UPDATE complaints SET status = 'responded', responded_at = ?, response = '已处理' WHERE id = ?`, now, id)
	sees(t, e, "org.complaint.respond", id, nil, everyone...)
	sees(t, e, "complaint.overdue", id, nil, everyone...)
	it = sees(t, e, "complaint.decide", id, []string{"demo-officer"}, except("demo-officer")...)
	dueAt(t, it, decide)
	exec(t, e, `UPDATE complaints SET status = 'decided', decided_at = ?, outcome = 'not_upheld', decision_reason = '不成立' WHERE id = ?`, now, id)
	sees(t, e, "complaint.decide", id, nil, everyone...)
	sees(t, e, "resident.complaint", id, nil, everyone...)
}

// A service request waits for the organization's acceptance, due when it
// would become overdue, and shows on the resident's own list until answered.
func TestServiceRequestWork(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.ActiveContract(t)
	d := e.Demo(t)
	now := e.Clock.Now().Truncate(time.Second)
	var id int64
	if err := e.DB.Raw(`INSERT INTO service_requests (subdistrict_id, community_id, contract_id, organization_id, channel, resident_id,
		status, requested_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'self', ?, 'requested', ?, ?, ?) RETURNING id`,
		d.SubA, c.Communities[0], c.ID, d.Org1, d.Resident, now, now, now).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	it := sees(t, e, "request.accept", id, []string{"demo-org", "demo-member"}, except("demo-org", "demo-member")...)
	dueAt(t, it, now.Add(time.Duration(e.Cfg.ServiceRequest.OverdueHours)*time.Hour))
	sees(t, e, "resident.request", id, []string{"demo-resident"}, except("demo-resident")...)
	exec(t, e, `UPDATE service_requests SET status = 'declined', declined_at = ?, decline_reason = '无法安排' WHERE id = ?`, now, id)
	sees(t, e, "request.accept", id, nil, everyone...)
	sees(t, e, "resident.request", id, nil, everyone...)
}

// A signed contract's first milestone waits for the officer's acceptance.
func TestMilestoneWork(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.SignedContract(t, 1_000_000)
	var pid int64
	if err := e.DB.Raw(`SELECT id FROM milestone_payments WHERE contract_id = ? AND state = 'due'`, c.ID).Scan(&pid).Error; err != nil || pid == 0 {
		t.Fatalf("the due milestone payment: %v", err)
	}
	sees(t, e, "milestone.accept", pid, []string{"demo-officer"}, except("demo-officer")...)
	var mid int64
	if err := e.DB.Raw(`SELECT milestone_id FROM milestone_payments WHERE id = ?`, pid).Scan(&mid).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := e.Services.Milestones.Accept(context.Background(), e.ActorOf(t, "demo-officer"), mid, "验收合格"); err != nil {
		t.Fatal(err)
	}
	sees(t, e, "milestone.accept", pid, nil, everyone...)
}

// The district admin's queue holds pending certifications of its district,
// and approved ones ending within 60 days.
func TestCertificationWork(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	var id int64
	if err := e.DB.Raw(`SELECT id FROM certifications WHERE organization_id = ? AND district_id = ? AND status = 'approved' LIMIT 1`,
		d.Org1, d.District).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("an approved certification of org 1: %v", err)
	}
	sees(t, e, "certification.expire", id, nil, everyone...)
	exec(t, e, `UPDATE certifications SET valid_until = (now() AT TIME ZONE 'Asia/Shanghai')::date + 30 WHERE id = ?`, id)
	sees(t, e, "certification.expire", id, []string{"demo-district"}, except("demo-district")...)
	exec(t, e, `UPDATE certifications SET valid_until = (now() AT TIME ZONE 'Asia/Shanghai')::date + 90 WHERE id = ?`, id)
	sees(t, e, "certification.expire", id, nil, everyone...)

	var pending int64
	if err := e.DB.Raw(`SELECT id FROM certifications WHERE district_id = ? AND status = 'pending' LIMIT 1`, d.District).Scan(&pending).Error; err != nil || pending == 0 {
		t.Fatalf("the demo's pending certification: %v", err)
	}
	sees(t, e, "certification.review", pending, []string{"demo-district"}, except("demo-district")...)
	exec(t, e, `UPDATE certifications SET status = 'rejected', decision_reason = '材料不全', decided_at = now() WHERE id = ?`, pending)
	sees(t, e, "certification.review", pending, nil, everyone...)
}

// Each kind is one query: a worklist costs the same number of queries with
// many items as with none, for every role.
func TestOneQueryPerKind(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	var n atomic.Int64
	count := func(*gorm.DB) { n.Add(1) }
	for _, cb := range []error{
		e.DB.Callback().Query().After("gorm:query").Register("work_test:query", count),
		e.DB.Callback().Row().After("gorm:row").Register("work_test:row", count),
		e.DB.Callback().Raw().After("gorm:raw").Register("work_test:raw", count),
	} {
		if cb != nil {
			t.Fatal(cb)
		}
	}
	queries := func(who string) int64 {
		a := e.ActorOf(t, who)
		n.Store(0)
		if _, err := e.Services.Work.Pending(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		return n.Load()
	}
	before := map[string]int64{}
	for _, u := range everyone {
		before[u] = queries(u)
	}
	// Three draft contracts and a complaint each for A and org 1.
	for i := 0; i < 3; i++ {
		e.DraftContract(t, 1_000_000)
	}
	for _, u := range everyone {
		if got := queries(u); got != before[u] {
			t.Errorf("%s's worklist took %d queries with more items, %d before", u, got, before[u])
		}
	}
	for u, want := range map[string]int64{"demo-officer": 12, "demo-org": 8, "demo-member": 5, "demo-finance": 3,
		"demo-evaluator": 3, "demo-district": 2, "demo-resident": 2, "demo-admin": 0} {
		if before[u] != want {
			t.Errorf("%s's worklist took %d queries, want %d (one per kind)", u, before[u], want)
		}
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
