package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/platform/jobs/jobstest"
)

// TestPublishHeadOncePerDay: the day's head is the entry announcing it, a
// second publication the same day changes nothing, the next day adds one,
// and the table refuses edits.
func TestPublishHeadOncePerDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	if _, ok, err := audit.LatestHead(ctx, db); err != nil || ok {
		t.Fatalf("LatestHead() on an empty list = %v, %v, want none", ok, err)
	}
	for _, code := range []string{"330502", "330503"} {
		if err := createDistrict(ctx, db, admin, code, nil); err != nil {
			t.Fatal(err)
		}
	}
	// 23:30 on Dec 4 in UTC is Dec 5 in China.
	now := time.Date(2026, 12, 4, 23, 30, 0, 0, time.UTC)
	h, published, err := audit.PublishHead(ctx, db, now)
	if err != nil || !published {
		t.Fatalf("PublishHead() = %v, %v, want a new head", published, err)
	}
	all := entries(t, db)
	last := all[len(all)-1]
	if h.Day != civil.NewDate(2026, 12, 5) || h.Seq != 3 || h.Hash != last.Hash || last.Action != audit.ActionHeadPublish {
		t.Errorf("PublishHead() = %+v, want day 2026-12-05 at entry 3 (%s, %s)", h, last.Action, last.Hash)
	}
	again, published, err := audit.PublishHead(ctx, db, now.Add(time.Hour))
	if err != nil || published || again.Seq != h.Seq || again.Hash != h.Hash {
		t.Errorf("PublishHead() again the same day = %+v, %v, %v, want the first head, not published", again, published, err)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_entries`); n != 3 {
		t.Errorf("%d entries after publishing twice the same day, want 3", n)
	}
	if err := createDistrict(ctx, db, admin, "330504", nil); err != nil {
		t.Fatal(err)
	}
	next, published, err := audit.PublishHead(ctx, db, now.Add(24*time.Hour))
	if err != nil || !published || next.Seq != 5 || next.Day != civil.NewDate(2026, 12, 6) {
		t.Fatalf("PublishHead() the next day = %+v, %v, %v, want day 2026-12-06 at entry 5", next, published, err)
	}
	heads, err := audit.Heads(ctx, db)
	if err != nil || len(heads) != 2 || heads[0].Seq != 3 || heads[1].Seq != 5 {
		t.Errorf("Heads() = %+v, %v, want entries 3 and 5, oldest first", heads, err)
	}
	latest, ok, err := audit.LatestHead(ctx, db)
	if err != nil || !ok || latest != next {
		t.Errorf("LatestHead() = %+v, %v, %v, want %+v", latest, ok, err, next)
	}
	wantIntact(t, db, 5)
	if brk, err := audit.CheckHeads(ctx, db, heads); err != nil || brk != nil {
		t.Errorf("CheckHeads() of an untouched chain = %v, %v, want nil", brk, err)
	}
	if err := db.Exec(`UPDATE audit_heads SET seq = 1`).Error; err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("UPDATE audit_heads: error = %v, want the append-only refusal", err)
	}
	if err := db.Exec(`DELETE FROM audit_heads`).Error; err == nil {
		t.Errorf("DELETE FROM audit_heads: error = nil, want the append-only refusal")
	}
}

// TestPublishDueWaitsForTheHour: before the hour nothing is published; at
// or after it, once.
func TestPublishDueWaitsForTheHour(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	early := time.Date(2026, 12, 5, 1, 59, 0, 0, civil.China)
	if ok, err := audit.PublishDue(ctx, db, early, 2); err != nil || ok {
		t.Fatalf("PublishDue() at 01:59 for hour 2 = %v, %v, want nothing published", ok, err)
	}
	for i, want := range []bool{true, false} {
		if ok, err := audit.PublishDue(ctx, db, early.Add(time.Minute+time.Duration(i)*time.Hour), 2); err != nil || ok != want {
			t.Fatalf("PublishDue() run %d at or after the hour = %v, %v, want %v", i+1, ok, err, want)
		}
	}
}

// TestHeadJobPublishesOncePerDay: River's head job, run twice (at start and
// at its hour) publishes the day's head once; run on a day whose hour has
// passed with no head (the job did not run), it catches up.
func TestHeadJobPublishesOncePerDay(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	db, url := dbtest.NewWithURL(t)
	clk := clock.NewManual(time.Date(2026, 12, 5, 9, 0, 0, 0, civil.China))
	client := jobstest.Client(t, ctx, url, func(w *river.Workers) { audit.RegisterHeads(w, db, clk, 1) })
	events, unsubscribe := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer unsubscribe()
	if err := client.Start(ctx); err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := client.Stop(stop); err != nil {
			t.Errorf("Stop() error = %v", err)
		}
	})
	runJob := func() {
		t.Helper()
		res, err := client.Insert(ctx, audit.HeadArgs{}, nil)
		if err != nil {
			t.Fatalf("Insert(HeadArgs) error = %v", err)
		}
		for {
			select {
			case ev := <-events:
				if ev.Job.ID != res.Job.ID {
					continue
				}
				if ev.Kind != river.EventKindJobCompleted {
					t.Fatalf("head job %s: %v", ev.Kind, ev.Job.Errors)
				}
				return
			case <-ctx.Done():
				t.Fatalf("the head job did not finish")
			}
		}
	}
	heads := func() []audit.Head {
		t.Helper()
		hs, err := audit.Heads(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return hs
	}

	runJob()
	runJob()
	if hs := heads(); len(hs) != 1 || hs[0].Day != civil.NewDate(2026, 12, 5) {
		t.Fatalf("heads after two runs on Dec 5 = %+v, want one, of Dec 5", hs)
	}
	clk.Advance(48 * time.Hour) // Dec 6 passed without a run
	runJob()
	if hs := heads(); len(hs) != 2 || hs[1].Day != civil.NewDate(2026, 12, 7) || hs[1].Seq != 2 {
		t.Fatalf("heads after catching up on Dec 7 = %+v, want Dec 5 and Dec 7 (entry 2)", hs)
	}
	wantIntact(t, db, 2)
}

// TestCheckHeadsNamesTheRewrittenEntry: a head whose entry has another hash,
// or none, is named; an error from the database is returned as one.
func TestCheckHeadsNamesTheRewrittenEntry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	if err := createDistrict(ctx, db, admin, "330502", nil); err != nil {
		t.Fatal(err)
	}
	h, _, err := audit.PublishHead(ctx, db, time.Date(2026, 12, 4, 12, 0, 0, 0, civil.China))
	if err != nil {
		t.Fatal(err)
	}
	forged := h
	forged.Hash = strings.Repeat("a", 64)
	tests := []struct {
		name  string
		heads []audit.Head
		want  string
	}{
		{"kept head holds", []audit.Head{h}, ""},
		{"hash differs", []audit.Head{h, forged}, "entry 2: no longer has the hash published on 2026-12-04: history was rewritten"},
		{"entry gone", []audit.Head{{Day: h.Day, Seq: 9, Hash: h.Hash}, forged}, "entry 2: no longer"},
		{"beyond the chain", []audit.Head{{Day: h.Day, Seq: 9, Hash: h.Hash}}, "entry 9: missing, yet its hash was published on 2026-12-04"},
	}
	for _, tt := range tests {
		brk, err := audit.CheckHeads(ctx, db, tt.heads)
		if err != nil {
			t.Fatalf("%s: CheckHeads() error = %v", tt.name, err)
		}
		switch {
		case tt.want == "" && brk != nil:
			t.Errorf("%s: CheckHeads() = %v, want nil", tt.name, brk)
		case tt.want != "" && (brk == nil || !strings.Contains(brk.String(), tt.want)):
			t.Errorf("%s: CheckHeads() = %v, want %q", tt.name, brk, tt.want)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := audit.CheckHeads(cancelled, db, []audit.Head{h}); !errors.Is(err, context.Canceled) {
		t.Errorf("CheckHeads() with a cancelled context: error = %v, want context.Canceled", err)
	}
}
