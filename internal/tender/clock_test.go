package tender_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestBidAtClose: the close time itself is the first instant bids are refused.
func TestBidAtClose(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.published(w.input(3))
	tests := []struct {
		name    string
		at      time.Time
		wantErr error
	}{
		{"one second before close", v.ClosesAt.Add(-time.Second), nil},
		{"at close", v.ClosesAt, tender.ErrClosed},
		{"one second after close", v.ClosesAt.Add(time.Second), tender.ErrClosed},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.clock.Set(tt.at)
			r, err := w.svc.SubmitBid(context.Background(), w.orgs[i], v.ID, w.body(45_000_000, "方案"))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("SubmitBid() error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !r.ReceivedAt.Equal(tt.at) {
				t.Errorf("SubmitBid() received_at = %v, want %v", r.ReceivedAt, tt.at)
			}
		})
	}
	if n := w.count(`SELECT count(*) FROM bids WHERE tender_id = ?`, v.ID); n != 1 {
		t.Errorf("bids stored = %d, want 1 (the one before close)", n)
	}
}

// TestStatusFollowsClock: readers see a published tender as closed from its
// close time, before any job has recorded the close.
func TestStatusFollowsClock(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v := w.published(w.input(3))
	listed := func(status string) bool {
		t.Helper()
		p, err := w.svc.List(ctx, w.officer, tender.Filter{Status: status, PerPage: 100})
		if err != nil {
			t.Fatalf("List(%s) error = %v", status, err)
		}
		return slices.ContainsFunc(p.Items, func(s tender.Summary) bool { return s.ID == v.ID && s.Status == status })
	}
	for _, tt := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"before close", v.ClosesAt.Add(-time.Second), tender.StatusPublished},
		{"at close", v.ClosesAt, tender.StatusClosed},
		{"after close", v.ClosesAt.Add(30 * time.Minute), tender.StatusClosed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w.clock.Set(tt.at)
			if got := w.get(v.ID).Status; got != tt.want {
				t.Errorf("Get() status = %s, want %s", got, tt.want)
			}
			for _, viewer := range []string{"org", "public"} {
				var got string
				if viewer == "org" {
					g, err := w.svc.Get(ctx, w.orgs[0], v.ID)
					if err != nil {
						t.Fatalf("Get(org) error = %v", err)
					}
					got = g.Status
				} else {
					p, err := w.svc.PublicGet(ctx, v.ID)
					if err != nil {
						t.Fatalf("PublicGet() error = %v", err)
					}
					got = p.Status
				}
				if got != tt.want {
					t.Errorf("%s sees status %s, want %s", viewer, got, tt.want)
				}
			}
			for _, status := range []string{tender.StatusPublished, tender.StatusClosed} {
				if got, want := listed(status), status == tt.want; got != want {
					t.Errorf("List(status=%s) holds the tender = %v, want %v", status, got, want)
				}
			}
		})
	}
	var stored string
	if err := w.db.Raw(`SELECT status FROM tenders WHERE id = ?`, v.ID).Scan(&stored).Error; err != nil || stored != tender.StatusPublished {
		t.Errorf("stored status = %q, %v; want published: no Advance has run, the reader's state comes from the clock", stored, err)
	}
}

// TestWithdrawReplaceUntilClose: a bid is withdrawn or replaced only before
// the close.
func TestWithdrawReplaceUntilClose(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v := w.published(w.input(3))
	first := w.bid(w.orgs[0], v.ID, 48_000_000)
	w.clock.Set(v.ClosesAt.Add(-time.Second))
	second, err := w.svc.SubmitBid(ctx, w.orgs[0], v.ID, w.body(47_000_000, "替换方案"))
	if err != nil {
		t.Fatalf("SubmitBid() (replace before close) error = %v", err)
	}
	if second.ReplacesID == nil || *second.ReplacesID != first.BidID {
		t.Errorf("replacement replaces_id = %v, want %d", second.ReplacesID, first.BidID)
	}
	other := w.bid(w.orgs[1], v.ID, 46_000_000)
	// Named with another tender, the bid is not found and stays active.
	if _, err := w.svc.WithdrawTenderBid(ctx, w.orgs[1], v.ID+1000, other.BidID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("WithdrawTenderBid(another tender) error = %v, want %v", err, apperr.ErrNotFound)
	}
	if _, err := w.svc.WithdrawTenderBid(ctx, w.orgs[1], v.ID, other.BidID); err != nil {
		t.Fatalf("WithdrawTenderBid() before close error = %v", err)
	}
	w.clock.Set(v.ClosesAt)
	if _, err := w.svc.SubmitBid(ctx, w.orgs[0], v.ID, w.body(46_000_000, "再次替换")); !errors.Is(err, tender.ErrClosed) {
		t.Errorf("SubmitBid() (replace at close) error = %v, want %v", err, tender.ErrClosed)
	}
	if _, err := w.svc.WithdrawBid(ctx, w.orgs[0], second.BidID); !errors.Is(err, tender.ErrClosed) {
		t.Errorf("WithdrawBid() at close error = %v, want %v", err, tender.ErrClosed)
	}
	bids, err := w.svc.Bids(ctx, w.orgs[0], v.ID)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, b := range bids {
		states = append(states, b.Status)
	}
	if want := []string{"active", "replaced"}; !slices.Equal(states, want) {
		t.Errorf("own bids after close = %v, want %v", states, want)
	}
}

// TestAdvanceOnTime: Advance does nothing before its step is due, closes at
// the close, opens at the opening, and opens once.
func TestAdvanceOnTime(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v := w.published(w.input(3))
	for i, p := range []money.Fen{48_000_000, 45_000_000, 47_000_000} {
		w.bid(w.orgs[i], v.ID, p)
	}
	notes := func() int64 {
		return w.count(`SELECT count(*) FROM notifications WHERE tender_id = ? AND kind = ?`, v.ID, tender.KindOpeningDone)
	}
	steps := []struct {
		name       string
		at         time.Time
		wantStored string
		wantOpen   int64 // tender.open audit entries
		wantClose  int64
	}{
		{"before close", v.ClosesAt.Add(-time.Second), tender.StatusPublished, 0, 0},
		{"at close, before opening", v.ClosesAt, tender.StatusClosed, 0, 1},
		{"a second before opening", v.OpensAt.Add(-time.Second), tender.StatusClosed, 0, 1},
		{"at opening", v.OpensAt, tender.StatusOpened, 1, 1},
		{"again at opening", v.OpensAt, tender.StatusOpened, 1, 1},
		{"a day later", v.OpensAt.Add(24 * time.Hour), tender.StatusOpened, 1, 1},
	}
	var openedAt *time.Time
	for _, st := range steps {
		w.clock.Set(st.at)
		next, err := w.svc.Advance(ctx, v.ID)
		if err != nil {
			t.Fatalf("%s: Advance() error = %v", st.name, err)
		}
		var stored string
		if err := w.db.Raw(`SELECT status FROM tenders WHERE id = ?`, v.ID).Scan(&stored).Error; err != nil {
			t.Fatal(err)
		}
		if stored != st.wantStored {
			t.Errorf("%s: stored status = %s, want %s", st.name, stored, st.wantStored)
		}
		if n := w.audits(v.ID, "tender.open"); n != st.wantOpen {
			t.Errorf("%s: tender.open audit entries = %d, want %d", st.name, n, st.wantOpen)
		}
		if n := w.audits(v.ID, "tender.close"); n != st.wantClose {
			t.Errorf("%s: tender.close audit entries = %d, want %d", st.name, n, st.wantClose)
		}
		opened := w.count(`SELECT count(*) FROM bids WHERE tender_id = ? AND opened_at IS NOT NULL`, v.ID)
		if want := int64(3) * st.wantOpen; opened != want {
			t.Errorf("%s: opened bids = %d, want %d", st.name, opened, want)
		}
		if n := notes(); n != 3*st.wantOpen {
			t.Errorf("%s: opening notifications = %d, want %d", st.name, n, 3*st.wantOpen)
		}
		switch st.wantStored {
		case tender.StatusPublished:
			if next == nil || !next.Equal(v.ClosesAt) {
				t.Errorf("%s: Advance() next = %v, want the close %v", st.name, next, v.ClosesAt)
			}
		case tender.StatusClosed:
			if next == nil || !next.Equal(v.OpensAt) {
				t.Errorf("%s: Advance() next = %v, want the opening %v", st.name, next, v.OpensAt)
			}
			if _, err := w.svc.Bids(ctx, w.officer, v.ID); !errors.Is(err, tender.ErrSealed) {
				t.Errorf("%s: Bids(officer) error = %v, want %v", st.name, err, tender.ErrSealed)
			}
		case tender.StatusOpened:
			if next != nil {
				t.Errorf("%s: Advance() next = %v, want none", st.name, next)
			}
			got := w.get(v.ID).OpenedAt
			if openedAt == nil {
				openedAt = got
			} else if got == nil || !got.Equal(*openedAt) {
				t.Errorf("%s: opened_at = %v, want unchanged %v", st.name, got, openedAt)
			}
		}
	}
}

// holdTender locks the tender's row FOR NO KEY UPDATE in a transaction of its
// own, as another request working on the tender would, and returns that
// transaction and its backend's pid. The test commits or rolls it back.
func (w *world) holdTender(t *testing.T, id int64) (*gorm.DB, int) {
	t.Helper()
	hold := w.db.Begin()
	t.Cleanup(func() { hold.Rollback() })
	var pid int
	if err := hold.Raw(`SELECT pg_backend_pid()`).Scan(&pid).Error; err != nil {
		t.Fatal(err)
	}
	var got int64
	if err := hold.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Table("tenders").Select("id").Where("id = ?", id).Scan(&got).Error; err != nil || got != id {
		t.Fatalf("lock tender %d: %d, %v", id, got, err)
	}
	return hold, pid
}

// waitBlockedBy returns once a backend waits for a lock the backend pid
// holds; it fails the test if the call reporting on done ends first.
func (w *world) waitBlockedBy(t *testing.T, pid int, done chan error) {
	t.Helper()
	for {
		select {
		case err := <-done:
			t.Fatalf("the call ended (error %v) without waiting for the tender's lock", err)
		default:
		}
		if w.count(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND ?::int = ANY(pg_blocking_pids(pid))`, pid) > 0 {
			return
		}
	}
}

// TestCloseJudgedAfterTheLock: a bid or a withdrawal that waits for the
// tender's row lock is judged by the clock when it gets the lock, not when it
// arrived, and a bid is stamped with that time.
func TestCloseJudgedAfterTheLock(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v := w.published(w.input(3))
	// Each case has its own organization: with a bid to withdraw or
	// replace, or none yet.
	toWithdraw := w.bid(w.orgs[1], v.ID, 47_000_000)
	toReplace := w.bid(w.orgs[3], v.ID, 46_000_000)
	tests := []struct {
		name    string
		call    func() (tender.Receipt, error)
		arrive  time.Time // the clock when the call starts
		granted time.Time // the clock when the lock is released
		wantErr error
	}{
		{"bid arriving before the close, lock granted after it", func() (tender.Receipt, error) {
			return w.svc.SubmitBid(ctx, w.orgs[0], v.ID, w.body(45_000_000, "方案"))
		}, v.ClosesAt.Add(-time.Minute), v.ClosesAt.Add(time.Second), tender.ErrClosed},
		{"withdrawal arriving before the close, lock granted at it", func() (tender.Receipt, error) {
			return w.svc.WithdrawBid(ctx, w.orgs[1], toWithdraw.BidID)
		}, v.ClosesAt.Add(-time.Minute), v.ClosesAt, tender.ErrClosed},
		{"bid whose lock is granted before the close", func() (tender.Receipt, error) {
			return w.svc.SubmitBid(ctx, w.orgs[2], v.ID, w.body(44_000_000, "方案"))
		}, v.ClosesAt.Add(-time.Hour), v.ClosesAt.Add(-time.Second), nil},
		{"replacement whose lock is granted before the close", func() (tender.Receipt, error) {
			return w.svc.SubmitBid(ctx, w.orgs[3], v.ID, w.body(43_000_000, "替换方案"))
		}, v.ClosesAt.Add(-2 * time.Hour), v.ClosesAt.Add(-time.Minute), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.clock.Set(tt.arrive)
			hold, pid := w.holdTender(t, v.ID)
			done := make(chan error, 1)
			var r tender.Receipt
			go func() {
				var err error
				r, err = tt.call()
				done <- err
			}()
			w.waitBlockedBy(t, pid, done)
			w.clock.Set(tt.granted)
			if err := hold.Commit().Error; err != nil {
				t.Fatal(err)
			}
			if err := <-done; !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if !r.ReceivedAt.Equal(tt.granted) {
				t.Errorf("SubmitBid() received_at = %v, want %v: the time the close was judged against", r.ReceivedAt, tt.granted)
			}
			var stored time.Time
			if err := w.db.Raw(`SELECT received_at FROM bids WHERE id = ?`, r.BidID).Scan(&stored).Error; err != nil || !stored.Equal(tt.granted) {
				t.Errorf("stored received_at = %v, %v; want %v", stored, err, tt.granted)
			}
		})
	}
	if n := w.count(`SELECT count(*) FROM bids WHERE tender_id = ? AND organization_id = ?`, v.ID, w.orgs[0].Scope.OrganizationID); n != 0 {
		t.Errorf("bids of the refused bidder = %d, want 0", n)
	}
	if n := w.count(`SELECT count(*) FROM bids WHERE id = ? AND status = 'active'`, toWithdraw.BidID); n != 1 {
		t.Errorf("the bid whose withdrawal was refused is no longer active")
	}
	var ended time.Time
	if err := w.db.Raw(`SELECT ended_at FROM bids WHERE id = ?`, toReplace.BidID).Scan(&ended).Error; err != nil || !ended.Equal(v.ClosesAt.Add(-time.Minute)) {
		t.Errorf("replaced bid's ended_at = %v, %v; want %v, its replacement's receipt", ended, err, v.ClosesAt.Add(-time.Minute))
	}
}

// TestCloseJudgedByTheDatabaseClock: on the system clock a bid or a
// withdrawal is judged by the database's clock once it holds the tender's
// lock: a close that the transaction it waited for moved to the database's
// present refuses it.
func TestCloseJudgedByTheDatabaseClock(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	sealer, err := tender.NewSealer(w.sealKey)
	if err != nil {
		t.Fatal(err)
	}
	system := tender.NewService(w.db, clock.System{}, sealer, tender.Options{AmendmentMinDays: 3, ChallengeDays: 5})
	for _, tt := range []struct {
		name string
		// call returns the call to make on the tender, made ready first.
		call func(tenderID int64) func() error
	}{
		{"bid", func(id int64) func() error {
			return func() error {
				_, err := system.SubmitBid(ctx, w.orgs[0], id, w.body(45_000_000, "方案"))
				return err
			}
		}},
		{"withdrawal", func(id int64) func() error {
			r := w.bid(w.orgs[1], id, 46_000_000)
			return func() error {
				_, err := system.WithdrawBid(ctx, w.orgs[1], r.BidID)
				return err
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := w.published(w.input(3))
			call := tt.call(v.ID)
			hold, pid := w.holdTender(t, v.ID)
			done := make(chan error, 1)
			go func() { done <- call() }()
			w.waitBlockedBy(t, pid, done)
			// The close becomes the database's present, after the call arrived.
			if err := hold.Exec(`UPDATE tenders SET questions_close_at = least(questions_close_at, clock_timestamp()),
				closes_at = clock_timestamp(), opens_at = greatest(opens_at, clock_timestamp()) WHERE id = ?`, v.ID).Error; err != nil {
				t.Fatal(err)
			}
			if err := hold.Commit().Error; err != nil {
				t.Fatal(err)
			}
			if err := <-done; !errors.Is(err, tender.ErrClosed) {
				t.Fatalf("error = %v, want %v", err, tender.ErrClosed)
			}
		})
	}
}
