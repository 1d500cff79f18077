package tender_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/track"
)

// pastOf writes, with SQL as pastContract does, a contract of the
// organization of by in status (completed, terminated or lapsed) that ended
// at endedAt, with the amount and final score ("" for none); orgAsked adds
// the organization's approved request to terminate it. It returns the
// contract's id.
func (w *world) pastOf(by access.Actor, status string, amount money.Fen, finalScore string, endedAt time.Time, orgAsked bool) int64 {
	w.t.Helper()
	v, err := w.svc.Create(context.Background(), w.officer, w.input(3))
	if err != nil {
		w.t.Fatalf("Create() error = %v", err)
	}
	var bidID, id int64
	if err := w.db.Raw(`INSERT INTO bids (tender_id, organization_id, status, sealed, digest, seal_key_id, seal_version, received_at)
		VALUES (?, ?, 'withdrawn', '\x00', repeat('c', 64), '0000000000000000', 2, ?) RETURNING id`, v.ID, by.Scope.OrganizationID,
		endedAt.AddDate(-1, 0, 0)).Scan(&bidID).Error; err != nil {
		w.t.Fatalf("insert past bid: %v", err)
	}
	signed := sql.NullTime{Time: endedAt.AddDate(-1, 0, 0), Valid: status != "lapsed"}
	score := sql.NullString{String: finalScore, Valid: finalScore != ""}
	if err := w.db.Raw(`INSERT INTO contracts (subdistrict_id, tender_id, bid_id, organization_id, fund_account_id, title, category_code,
			amount_fen, service_start, service_end, status, final_score, created_at, updated_at, sign_by,
			officer_signed_at, org_signed_at, signed_at, signed_amount_fen, ended_at, end_reason)
		VALUES (@sub, @tender, @bid, @org, @fund, '往年项目', 'ELDERLY_HOME_CARE', @amount, @start, @end, @status, CAST(@score AS numeric),
			@created, @created, @ended, @signed, @signed, @signed, CASE WHEN CAST(@signed AS timestamptz) IS NULL THEN NULL ELSE CAST(@amount AS bigint) END,
			@ended, '测试') RETURNING id`,
		map[string]any{"sub": v.SubdistrictID, "tender": v.ID, "bid": bidID, "org": by.Scope.OrganizationID, "fund": w.fundID,
			"amount": int64(amount), "start": v.ServiceStart, "end": v.ServiceEnd, "status": status, "score": score,
			"created": endedAt.AddDate(-1, 0, -1), "signed": signed, "ended": endedAt}).Scan(&id).Error; err != nil {
		w.t.Fatalf("insert past contract: %v", err)
	}
	if orgAsked {
		if err := w.db.Exec(`INSERT INTO contract_termination_requests (contract_id, proposed_side, reason, status, proposed_at, decided_at)
			VALUES (?, 'organization', '无力继续履约', 'approved', ?, ?)`, id, endedAt.AddDate(0, 0, -7), endedAt).Error; err != nil {
			w.t.Fatalf("insert termination request: %v", err)
		}
	}
	return id
}

// rated gives the contract n ratings whose overall stars sum to sum, in
// the contract's aggregate (as n residents' ratings would leave it).
func (w *world) rated(contractID, n, sum int64) {
	w.t.Helper()
	if err := w.db.Exec(`INSERT INTO rating_aggregates (scope, scope_id, kind, n, sum_timeliness, sum_professionalism, sum_attitude,
		sum_effectiveness, sum_overall, satisfied) VALUES ('contract', ?, 'code', ?, ?, ?, ?, ?, ?, 0)`, contractID, n, sum, sum, sum, sum, sum).Error; err != nil {
		w.t.Fatalf("rate contract %d: %v", contractID, err)
	}
}

// TestPerformanceFromTrackRecord: a tender opened after its bidders
// completed contracts scores them on their real records (the README's
// worked example for A), taken once at the opening and stored with the
// score table: a contract completed after the opening changes nothing.
func TestPerformanceFromTrackRecord(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.freshOrgs(3)
	a, b, c := w.orgs[0], w.orgs[1], w.orgs[2]
	in := w.input(3)
	opens := *in.OpensAt
	// The platform's mean overall rating, C, is 4.00 exactly.
	if err := w.db.Exec(`INSERT INTO rating_aggregates (scope, scope_id, kind, n, sum_timeliness, sum_professionalism, sum_attitude,
		sum_effectiveness, sum_overall, satisfied) VALUES ('platform', 0, 'code', 100, 400, 400, 400, 400, 400, 0), ('platform', 0, 'follow_up', 0, 0, 0, 0, 0, 0, 0)
		ON CONFLICT (scope, scope_id, kind) DO UPDATE SET n = EXCLUDED.n, sum_timeliness = EXCLUDED.sum_timeliness,
			sum_professionalism = EXCLUDED.sum_professionalism, sum_attitude = EXCLUDED.sum_attitude,
			sum_effectiveness = EXCLUDED.sum_effectiveness, sum_overall = EXCLUDED.sum_overall, satisfied = 0`).Error; err != nil {
		t.Fatal(err)
	}
	// A: 450,000.00 at 92.3 and 150,000.00 at 70.0 within three years, with
	// 40 ratings of 4.2 stars on average; one contract terminated for cause;
	// a contract that ended exactly three years before the opening is out.
	a1 := w.pastOf(a, "completed", 45_000_000, "92.3", opens.AddDate(-1, 0, 0), false)
	a2 := w.pastOf(a, "completed", 15_000_000, "70.0", opens.AddDate(-2, 0, 0), false)
	w.rated(a1, 25, 100)
	w.rated(a2, 15, 68)
	w.pastOf(a, "terminated", 20_000_000, "", opens.AddDate(0, -6, 0), false)
	w.pastOf(a, "completed", 50_000_000, "10.0", opens.AddDate(-3, 0, 0), false)
	// B: one contract at 85.0 with 3 ratings, fewer than the public minimum
	// of 5, so R = S; a termination it asked for and a lapsed draft do not
	// count against it.
	b1 := w.pastOf(b, "completed", 30_000_000, "85.0", opens.AddDate(0, -3, 0), false)
	w.rated(b1, 3, 3)
	w.pastOf(b, "terminated", 30_000_000, "", opens.AddDate(0, -2, 0), true)
	w.pastOf(b, "lapsed", 30_000_000, "", opens.AddDate(0, -1, 0), false)
	// C is a newcomer: its only completed contract ended four years ago.
	w.pastOf(c, "completed", 30_000_000, "95.0", opens.AddDate(-4, 0, 0), false)

	v, rec := w.open(in, 48_000_000, 45_000_000, 47_000_000)
	// After the opening C completes a contract: the table keeps what the
	// opening took.
	w.pastOf(c, "completed", 30_000_000, "99.0", w.clock.Now(), false)
	w.evaluate(v.ID, w.evaluators[:3], rec, [][]int{{50, 50, 50}, {50, 50, 50}, {50, 50, 50}})
	table, err := w.svc.ScoreTable(ctx, w.officer, v.ID)
	if err != nil {
		t.Fatalf("ScoreTable() error = %v", err)
	}
	since, until := opens.AddDate(-3, 0, 0), opens
	want := map[int64]struct {
		record, performance string
		newcomer            bool
		basis               track.Basis
	}{
		a.Scope.OrganizationID: {"74.41", "7.44", false, track.Basis{Rule: track.RuleTrackRecord, Since: &since, Until: &until, Completed: 2,
			AmountFen: 60_000_000, FinalScore: "86.73", Ratings: 40, Minimum: 5, Bayesian: "4.16", Satisfaction: "79.00",
			TerminationsForCause: 1, Percent: "74.41"}},
		b.Scope.OrganizationID: {"85.00", "8.50", false, track.Basis{Rule: track.RuleTrackRecord, Since: &since, Until: &until, Completed: 1,
			AmountFen: 30_000_000, FinalScore: "85.00", Ratings: 3, Minimum: 5, Satisfaction: "85.00", SatisfactionFromScore: true, Percent: "85.00"}},
		c.Scope.OrganizationID: {"60.00", "6.00", true, track.Basis{Rule: track.RuleTrackRecord, Since: &since, Until: &until, Minimum: 5,
			Percent: "60.00", Newcomer: true}},
	}
	if len(table.Rows) != 3 {
		t.Fatalf("score table rows = %d, want 3", len(table.Rows))
	}
	for _, r := range table.Rows {
		wr := want[r.OrganizationID]
		if r.PerformanceRecord.String() != wr.record || r.Performance.String() != wr.performance || r.Newcomer != wr.newcomer {
			t.Errorf("%s: record %s, performance %s, newcomer %v; want %s, %s, %v", r.OrganizationName, r.PerformanceRecord, r.Performance,
				r.Newcomer, wr.record, wr.performance, wr.newcomer)
		}
		if r.PerformanceBasis == nil {
			t.Errorf("%s: no performance basis", r.OrganizationName)
			continue
		}
		if diff := cmp.Diff(wr.basis, *r.PerformanceBasis); diff != "" {
			t.Errorf("%s: performance basis (-want +got):\n%s", r.OrganizationName, diff)
		}
	}
	// P is stored exactly: 74.4075 = 29763/400.
	var num, den string
	if err := w.db.Raw(`SELECT percent_num::text, percent_den::text FROM bid_performance WHERE tender_id = ? AND organization_id = ?`,
		v.ID, a.Scope.OrganizationID).Row().Scan(&num, &den); err != nil {
		t.Fatal(err)
	}
	if num+"/"+den != "29763/400" {
		t.Errorf("stored P of A = %s/%s, want 29763/400", num, den)
	}
	// The opening's audit entry names each bid's P.
	var entry []byte
	if err := w.db.Raw(`SELECT data FROM audit_entries WHERE entity_type = 'tender' AND entity_id = ? AND action = 'tender.open'`,
		fmt.Sprint(v.ID)).Row().Scan(&entry); err != nil {
		t.Fatal(err)
	}
	var data struct {
		Performance map[string]string `json:"performance"`
	}
	if err := json.Unmarshal(entry, &data); err != nil {
		t.Fatal(err)
	}
	if len(data.Performance) != 3 {
		t.Errorf("tender.open audit performance = %v, want the P of three bids", data.Performance)
	}
	// A stored record never changes.
	if err := w.db.Exec(`UPDATE bid_performance SET percent_num = 100 WHERE tender_id = ?`, v.ID).Error; err == nil {
		t.Error("UPDATE bid_performance succeeded, want it refused")
	}
}
