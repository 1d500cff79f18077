package tender_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestWorkedExampleScoring reproduces WORKED_EXAMPLES.md §2 through the
// database: five members, bids A–D, performance records from completed
// contracts, the abnormally low flag at the opening, and one score table for
// every viewer once the award is proposed.
func TestWorkedExampleScoring(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.freshOrgs(4)
	a, b, c, d := w.orgs[0], w.orgs[1], w.orgs[2], w.orgs[3]
	w.pastContract(a, "85.0")
	w.pastContract(b, "90.0")
	w.pastContract(d, "70.0") // C is a newcomer
	outsider := w.newOrg("outsider-admin", creditCode(777), "未投标社会组织", 4)

	v, rec := w.open(w.input(5), 48_000_000, 45_000_000, 30_000_000, 47_000_000)
	if v.Status != tender.StatusOpened || rec.CompliantCount != 4 {
		t.Fatalf("after opening: status %s, %d compliant, want opened and 4", v.Status, rec.CompliantCount)
	}
	for _, e := range rec.Bids {
		var want []string
		if e.OrganizationID == c.Scope.OrganizationID {
			want = []string{tender.ReasonBelowNext} // 300,000 < 0.7 × 450,000; not < 0.6 × 466,666.67
		}
		if e.AbnormallyLow != (want != nil) || !slices.Equal(e.AbnormalReasons, nonNilStrings(want)) {
			t.Errorf("opening record %s: abnormally low %v %v, want %v", e.OrganizationName, e.AbnormallyLow, e.AbnormalReasons, want)
		}
	}
	totals := [][]int{{52, 55, 50, 58, 54}, {56, 57, 55, 59, 50}, {40, 42, 45, 38, 44}, {50, 52, 51, 53, 49}}
	w.evaluate(v.ID, w.evaluators, rec, totals)

	type row struct {
		org                                        access.Actor
		technical, performance, price, total, perf string
		newcomer                                   bool
		abnormal                                   []string
		totals                                     []int
	}
	want := []row{ // in rank order
		{b, "56.00", "9.00", "20.00", "85.00", "90.00", false, nil, totals[1]},
		{a, "53.67", "8.50", "18.75", "80.92", "85.00", false, nil, totals[0]},
		{c, "42.00", "6.00", "30.00", "78.00", "60.00", true, []string{tender.ReasonBelowNext}, totals[2]},
		{d, "51.00", "7.00", "19.15", "77.15", "70.00", false, nil, totals[3]},
	}
	before, err := w.svc.ScoreTable(ctx, w.officer, v.ID)
	if err != nil {
		t.Fatalf("ScoreTable(officer) error = %v", err)
	}
	if len(before.Rows) != len(want) || len(before.Members) != 5 {
		t.Fatalf("score table has %d rows and %d members, want 4 and 5", len(before.Rows), len(before.Members))
	}
	for i, r := range before.Rows {
		wr := want[i]
		got := []string{r.Technical.String(), r.Performance.String(), r.PriceScore.String(), r.Total.String(), r.PerformanceRecord.String()}
		exp := []string{wr.technical, wr.performance, wr.price, wr.total, wr.perf}
		if r.OrganizationID != wr.org.Scope.OrganizationID || r.Rank != i+1 || !slices.Equal(got, exp) {
			t.Errorf("rank %d: %s technical/performance/price/total/record = %v, want %s %v", r.Rank, r.OrganizationName, got, wr.org.Username, exp)
		}
		if r.Newcomer != wr.newcomer || r.AbnormallyLow != (wr.abnormal != nil) || !slices.Equal(r.AbnormalReasons, nonNilStrings(wr.abnormal)) {
			t.Errorf("rank %d: newcomer %v abnormal %v %v, want %v %v", r.Rank, r.Newcomer, r.AbnormallyLow, r.AbnormalReasons, wr.newcomer, wr.abnormal)
		}
		var memberTotals []int
		for _, s := range r.MemberTotals {
			memberTotals = append(memberTotals, int(s/100))
		}
		if !slices.Equal(memberTotals, wr.totals) {
			t.Errorf("rank %d: member totals %v, want %v", r.Rank, memberTotals, wr.totals)
		}
	}

	p, err := w.svc.ProposeAward(ctx, w.officer, v.ID, tender.AwardInput{})
	if err != nil {
		t.Fatalf("ProposeAward() error = %v", err)
	}
	if len(p.Winners) != 1 || p.Winners[0].OrganizationID != b.Scope.OrganizationID {
		t.Fatalf("ProposeAward() winners = %+v, want B", p.Winners)
	}
	wantJSON := mustJSON(t, before)
	viewers := map[string]access.Actor{"officer": w.officer, "bidder A": a, "bidder C": c, "non-bidder": outsider, "district admin": w.actor("demo-district"),
		"platform admin": w.admin}
	for i, e := range w.evaluators {
		viewers["member "+e.Username] = w.evaluators[i]
	}
	for name, by := range viewers {
		table, err := w.svc.ScoreTable(ctx, by, v.ID)
		if err != nil {
			t.Errorf("ScoreTable(%s) error = %v", name, err)
			continue
		}
		if got := mustJSON(t, table); !bytes.Equal(got, wantJSON) {
			t.Errorf("ScoreTable(%s) =\n%s\nwant\n%s", name, got, wantJSON)
		}
	}
	pub, err := w.svc.PublicGet(ctx, v.ID)
	if err != nil {
		t.Fatalf("PublicGet() error = %v", err)
	}
	if pub.Award == nil {
		t.Fatal("PublicGet() award = nil after the proposal")
	}
	if got := mustJSON(t, pub.Award.ScoreTable); !bytes.Equal(got, wantJSON) {
		t.Errorf("PublicGet() award score table =\n%s\nwant\n%s", got, wantJSON)
	}
}

// TestTieBreaks: equal totals rank by technical score, then lower price, then
// earlier receipt (WORKED_EXAMPLES.md §2, bids E and F).
func TestTieBreaks(t *testing.T) {
	t.Parallel()
	type bid struct {
		org   int // 0 is E, 1 is F
		price money.Fen
	}
	tests := []struct {
		name      string
		records   [2]string // final scores of a past contract; "" is a newcomer
		bids      []bid     // in order of submission, a minute apart
		technical [2]int
		want      []int // organizations in rank order
		wantTotal string
	}{
		{"technical decides", [2]string{"80.0", ""}, []bid{{0, 40_000_000}, {1, 40_000_000}}, [2]int{50, 52}, []int{1, 0}, "88.00"},
		{"then lower price", [2]string{"20.0", "80.0"}, []bid{{1, 50_000_000}, {0, 40_000_000}}, [2]int{50, 50}, []int{0, 1}, "82.00"},
		// F bids after E, and E replaces its bid later: the replacement is
		// received last, so F's bid is the earlier one.
		{"then earlier receipt", [2]string{"", ""}, []bid{{0, 40_000_000}, {1, 40_000_000}, {0, 40_000_000}}, [2]int{50, 50}, []int{1, 0}, "86.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.freshOrgs(2)
			for i, r := range tt.records {
				if r != "" {
					w.pastContract(w.orgs[i], r)
				}
			}
			in := w.input(3)
			two := 2
			in.MinBids = &two
			v := w.published(in)
			for _, b := range tt.bids {
				w.bid(w.orgs[b.org], v.ID, b.price)
				w.clock.Advance(time.Minute)
			}
			v = w.advanceTo(v.ID, v.OpensAt)
			rec, err := w.svc.OpeningRecord(context.Background(), w.officer, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			w.evaluate(v.ID, w.evaluators[:3], rec, same(3, tt.technical[0], tt.technical[1]))
			table, err := w.svc.ScoreTable(context.Background(), w.officer, v.ID)
			if err != nil {
				t.Fatalf("ScoreTable() error = %v", err)
			}
			var got []int
			for _, r := range table.Rows {
				got = append(got, slices.IndexFunc(w.orgs, func(o access.Actor) bool { return o.Scope.OrganizationID == r.OrganizationID }))
				if r.Total.String() != tt.wantTotal {
					t.Errorf("%s total = %s, want %s (%+v)", r.OrganizationName, r.Total, tt.wantTotal, r)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("rank order = %v, want %v (0 is E, 1 is F)", got, tt.want)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
