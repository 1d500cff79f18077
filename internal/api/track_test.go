package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/track"
)

// trackWorld crafts, with SQL, the history of demo-org's organization (康乐)
// that the profile test reads.
type trackWorld struct {
	e         *servertest.Env
	t         *testing.T
	evaluator int64
}

func (w trackWorld) exec(query string, args ...any) {
	w.t.Helper()
	if err := w.e.DB.Exec(query, args...).Error; err != nil {
		w.t.Fatalf("%s: %v", query, err)
	}
}

// ended makes an ActiveContract contract status (completed or terminated)
// at endedAt, with the amount and final score ("" for none).
func (w trackWorld) ended(status string, amount int64, finalScore string, endedAt time.Time) servertest.Contract {
	w.t.Helper()
	c := w.e.ActiveContract(w.t)
	w.exec(`UPDATE contracts SET status = ?, amount_fen = ?, signed_amount_fen = ?, final_score = NULLIF(?, '')::numeric, ended_at = ?,
		end_reason = '测试' WHERE id = ?`, status, amount, amount, finalScore, endedAt, c.ID)
	return c
}

// evaluated adds a submitted evaluation of the contract; it returns its id.
func (w trackWorld) evaluated(c servertest.Contract, kind, score, grade string, reevaluationOf int64, at time.Time) int64 {
	w.t.Helper()
	var id int64
	if err := w.e.DB.Raw(`INSERT INTO evaluations (contract_id, subdistrict_id, kind, period_start, period_end, due_on, evaluator_id,
			reevaluation_of, status, declared_at, score, grade, submitted_at, submitted_by, created_at, updated_at)
		SELECT id, subdistrict_id, ?, service_start, service_end, service_end, ?, NULLIF(?, 0), 'submitted', ?, ?::numeric, ?, ?, ?, ?, ?
		FROM contracts WHERE id = ? RETURNING id`, kind, w.evaluator, reevaluationOf, at, score, grade, at, w.evaluator, at, at, c.ID).
		Scan(&id).Error; err != nil {
		w.t.Fatalf("insert evaluation: %v", err)
	}
	return id
}

// TestPublicProviderProfile reads a provider's profile after a crafted
// history, every figure computed by hand, and the same for every identity.
func TestPublicProviderProfile(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	now := e.Clock.Now()
	w := trackWorld{e: e, t: t, evaluator: e.IDOf(t, "users", "username = ?", "demo-evaluator")}

	// c1: 90,000.00, completed a year ago; mid-term 88.0 (good), final 92.3
	// (excellent), the final score; 10 ratings of 4.5 stars on average.
	c1 := w.ended("completed", 9_000_000, "92.3", now.AddDate(-1, 0, 0))
	w.evaluated(c1, "midterm", "88.0", "good", 0, now.AddDate(-1, -6, 0))
	w.evaluated(c1, "final", "92.3", "excellent", 0, now.AddDate(-1, 0, -5))
	// c2: 30,000.00, completed two years ago; final 55.0 (fail), re-evaluated
	// 75.0 (pass) beside it; its final score stays 55.0.
	c2 := w.ended("completed", 3_000_000, "55.0", now.AddDate(-2, 0, 0))
	failed := w.evaluated(c2, "final", "55.0", "fail", 0, now.AddDate(-2, 0, -40))
	w.evaluated(c2, "final", "75.0", "pass", failed, now.AddDate(-2, 0, -5))
	// c3 terminated by the subdistrict (for cause); c4 at the organization's
	// request; c5 still active.
	w.ended("terminated", 9_000_000, "", now.AddDate(0, -6, 0))
	c4 := w.ended("terminated", 9_000_000, "", now.AddDate(0, -3, 0))
	w.exec(`INSERT INTO contract_termination_requests (contract_id, proposed_side, reason, status, proposed_at, decided_at)
		VALUES (?, 'organization', '人手不足', 'approved', ?, ?)`, c4.ID, now.AddDate(0, -3, -7), now.AddDate(0, -3, 0))
	c5 := e.ActiveContract(t)
	// The ratings: c1's ten, which are all of the organization's and the
	// platform's (C = 4.5).
	for _, scope := range []struct {
		name string
		id   int64
	}{{"contract", c1.ID}, {"organization", d.Org1}, {"platform", 0}} {
		w.exec(`INSERT INTO rating_aggregates (scope, scope_id, kind, n, sum_timeliness, sum_professionalism, sum_attitude, sum_effectiveness,
			sum_overall, satisfied) VALUES (?, ?, 'code', 10, 45, 45, 45, 45, 45, 8)`, scope.name, scope.id)
	}
	// One complaint upheld, one not.
	for i, outcome := range []string{"upheld", "not_upheld"} {
		w.exec(`INSERT INTO complaints (reference, subdistrict_id, community_id, organization_id, contract_id, description, status, outcome,
				decision_reason, received_at, first_response_due, decision_due, decided_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, '上门迟到', 'decided', ?, '核实', ?, ?, ?, ?, ?, ?)`,
			fmt.Sprintf("TS-AAAA-BBBB-CCC%d", i), d.SubA, d.CommA, d.Org1, c5.ID, outcome, now.AddDate(0, -1, 0), now.AddDate(0, -1, 1),
			now.AddDate(0, -1, 7), now.AddDate(0, -1, 5), now.AddDate(0, -1, 0), now.AddDate(0, -1, 5))
	}
	// A challenge upheld against the award proposed to it (c5's tender),
	// and one dismissed.
	var proposal int64
	if err := e.DB.Raw(`INSERT INTO award_proposals (tender_id, round, status, bid_ids, score_table, proposed_at, challenge_ends_at)
		SELECT tender_id, 1, 'withdrawn', jsonb_build_array(bid_id), '{}', ?, ? FROM contracts WHERE id = ? RETURNING id`,
		now.AddDate(0, -2, 0), now.AddDate(0, -2, 5), c5.ID).Scan(&proposal).Error; err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{"upheld", "dismissed"} {
		w.exec(`INSERT INTO challenges (tender_id, award_proposal_id, organization_id, reasons, status, answer, answered_at, filed_at)
			SELECT tender_id, ?, ?, '评分有误', ?, '经复核', ?, ? FROM award_proposals WHERE id = ?`,
			proposal, d.Org2, status, now.AddDate(0, -2, 3), now.AddDate(0, -2, 1), proposal)
	}

	// S = (90,000 × 92.3 + 30,000 × 55.0) ÷ 120,000 = 82.975;
	// B = (10 × 4.5 + 45) ÷ (10 + 10) = 4.5, R = 3.5 × 25 = 87.5; T = 1;
	// P = 58.0825 + 26.25 − 10 = 74.3325.
	since, until := now.AddDate(-3, 0, 0), now
	start, end := c1.ServiceStart, c1.ServiceEnd
	completed := func(c servertest.Contract, amount int64, at time.Time, final, re *track.Score) track.CompletedContract {
		return track.CompletedContract{ID: c.ID, Title: "测试服务记录项目", CategoryCode: "ELDERLY_HOME_CARE", SubdistrictName: "爱山街道",
			AmountFen: money.Fen(amount), ServiceStart: start, ServiceEnd: end, EndedAt: at, FinalScore: final, Reevaluation: re}
	}
	want := track.TrackRecord{
		Contracts: track.ContractCounts{Active: 1, Completed: 2, Terminated: 2},
		Grades:    track.GradeCounts{Excellent: 1, Good: 1, Pass: 1, Fail: 1},
		Completed: []track.CompletedContract{
			completed(c1, 9_000_000, now.AddDate(-1, 0, 0), &track.Score{Score: "92.3", Grade: "excellent"}, nil),
			completed(c2, 3_000_000, now.AddDate(-2, 0, 0), &track.Score{Score: "55.0", Grade: "fail"}, &track.Score{Score: "75.0", Grade: "pass"}),
		},
		ComplaintsUpheld: 1, Terminations: 2, TerminationsForCause: 1, ChallengesUpheld: 1,
		Performance: track.Basis{Rule: track.RuleTrackRecord, Since: &since, Until: &until, Completed: 2, AmountFen: 12_000_000,
			FinalScore: "82.98", Ratings: 10, Minimum: 5, Bayesian: "4.50", Satisfaction: "87.50", TerminationsForCause: 1, Percent: "74.33"},
	}
	var directory struct {
		Items []struct {
			ID             int64            `json:"id"`
			Certifications []map[string]any `json:"certifications"`
		} `json:"items"`
	}
	servertest.Call(t, e, "GET", "/api/v1/public/organizations?q=康乐", "", nil, http.StatusOK, &directory)
	if len(directory.Items) != 1 || directory.Items[0].ID != d.Org1 {
		t.Fatalf("directory for 康乐 = %+v", directory.Items)
	}
	var first []byte
	for _, who := range servertest.Identities {
		token := ""
		if who != "anonymous" {
			token = e.Token(t, who)
		}
		var got track.Profile
		r := servertest.Call(t, e, "GET", fmt.Sprintf("/api/v1/public/organizations/%d", d.Org1), token, nil, http.StatusOK, &got)
		if first == nil {
			first = r.Body
			if diff := cmp.Diff(want, got.Record, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("track record (-want +got):\n%s", diff)
			}
			if got.ID != d.Org1 || got.LegalName != "湖州市吴兴区康乐居家养老服务中心" || got.Status != "active" {
				t.Errorf("profile = %d %s %s, want 康乐, active", got.ID, got.LegalName, got.Status)
			}
			if len(got.Certifications) != len(directory.Items[0].Certifications) || len(got.Certifications) == 0 {
				t.Errorf("profile certifications = %+v, want the directory's %+v", got.Certifications, directory.Items[0].Certifications)
			}
			all := got.Ratings.Summaries.All
			if got.Ratings.Minimum != 5 || all.Count != 10 || all.Bayesian != "4.50" || all.Satisfaction != "0.80" || all.Means == nil || all.Means.Overall != "4.50" {
				t.Errorf("profile ratings = %+v, want 10 ratings, Bayesian 4.50, satisfaction 0.80", got.Ratings)
			}
			continue
		}
		if string(r.Body) != string(first) {
			t.Errorf("profile for %s differs from the anonymous one:\n%s\nwant\n%s", who, r.Body, first)
		}
	}
}

// A profile of an unknown organization is 404, a malformed id too, and
// below the public minimum the ratings show how many more are needed.
func TestPublicProviderProfileNotFound(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	for _, path := range []string{"/api/v1/public/organizations/999999", "/api/v1/public/organizations/0", "/api/v1/public/organizations/x"} {
		servertest.Call(t, e, "GET", path, "", nil, http.StatusNotFound, nil)
	}
	var got track.Profile
	servertest.Call(t, e, "GET", fmt.Sprintf("/api/v1/public/organizations/%d", e.Demo(t).Org2), "", nil, http.StatusOK, &got)
	if got.Ratings.Summaries.All.Needed != 5 || got.Ratings.Summaries.All.Means != nil || !got.Record.Performance.Newcomer ||
		got.Record.Performance.Percent != "60.00" {
		t.Errorf("a provider without history: ratings %+v, performance %+v; want 5 needed, a newcomer at 60.00", got.Ratings, got.Record.Performance)
	}
}
