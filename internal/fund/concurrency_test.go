package fund_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
)

// poolSize caps the test database's pool (dbtest opens up to 30): goroutines
// beyond it queue for a connection, as requests do in production. Ten
// transactions at once keep every lock contended, yet on two cores run
// faster than thirty backends waking each other on the same rows, and
// parallel tests stay well under the server's max_connections (100).
func poolSize(t testing.TB, db *gorm.DB, n int) {
	t.Helper()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(n)
	sqlDB.SetMaxIdleConns(n)
}

// watcher reads a fund's available and reserved balances in one statement
// each time a movement finishes (and once more at the end), and keeps the
// first reading where either is negative or where they do not add up to total.
type watcher struct {
	tick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	samples int
	err     error
}

func watch(t testing.TB, w *world, fundID int64, total money.Fen) *watcher {
	t.Helper()
	wt := &watcher{tick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	read := func(c *gorm.DB) bool {
		var b struct{ Available, Reserved money.Fen }
		err := c.Raw(`SELECT sum(balance) FILTER (WHERE kind = 'available') AS available,
			sum(balance) FILTER (WHERE kind = 'reserved') AS reserved FROM ledger_accounts WHERE fund_account_id = ?`, fundID).Scan(&b).Error
		switch {
		case err != nil:
			wt.err = err
		case b.Available < 0 || b.Reserved < 0 || b.Available+b.Reserved != total:
			wt.err = fmt.Errorf("reading %d: available %d, reserved %d, want both >= 0 summing to %d", wt.samples, b.Available, b.Reserved, total)
		}
		wt.samples++
		return wt.err == nil
	}
	ready := make(chan struct{})
	go func() {
		defer close(wt.done)
		// Its own connection, held throughout, so that a reading never
		// queues behind the movements for one.
		err := w.db.Connection(func(c *gorm.DB) error {
			close(ready)
			for {
				select {
				case <-wt.stop:
					read(c)
					return nil
				case <-wt.tick:
					if !read(c) {
						return nil
					}
				}
			}
		})
		if err != nil {
			wt.err = err
			close(ready)
		}
	}()
	<-ready
	return wt
}

// poke asks for a reading; it never blocks.
func (wt *watcher) poke() {
	select {
	case wt.tick <- struct{}{}:
	default:
	}
}

// finish stops the watcher and fails the test on a bad reading.
func (wt *watcher) finish(t testing.TB) {
	t.Helper()
	close(wt.stop)
	<-wt.done
	if wt.err != nil {
		t.Errorf("watcher: %v", wt.err)
	}
	t.Logf("watcher took %d readings", wt.samples)
}

// TestConcurrentReservationsNeverOverdraw: 200 tenders reserve 1,000.00 each,
// at once, from a fund holding 100,000.00: exactly 100 get their money.
func TestConcurrentReservationsNeverOverdraw(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	poolSize(t, w.db, 10)
	f := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, f.ID, 10_000_000, "budget")

	const n = 200
	wt := watch(t, w, f.ID, 10_000_000)
	gate := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-gate
			_, errs[i] = w.move(func(tx *gorm.DB) (fund.Posting, error) {
				return fund.Reserve(tx, w.procurementA, f.ID, "ELDERLY_HOME_CARE", 100_000, fund.Ref{Type: "tender", ID: fmt.Sprint(i)})
			})
			wt.poke()
		})
	}
	close(gate)
	wg.Wait()
	wt.finish(t)

	var ok, insufficient int
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, fund.ErrInsufficient):
			insufficient++
		default:
			t.Errorf("reservation %d error = %v, want nil or ErrInsufficient", i, err)
		}
	}
	if ok != 100 || insufficient != 100 {
		t.Errorf("reservations: %d succeeded, %d insufficient; want 100 and 100", ok, insufficient)
	}
	if b := w.balances(t, f.ID); b[fund.Available] != 0 || b[fund.Reserved] != 10_000_000 || b[fund.Source] != -10_000_000 {
		t.Errorf("balances = %v, want available 0, reserved 10000000", b)
	}
	if got := w.count(t, `SELECT count(*) FROM ledger_postings WHERE fund_account_id = ? AND kind = 'reserve'`, f.ID); got != 100 {
		t.Errorf("reserve postings = %d, want 100", got)
	}
	if got := w.audited(t, "ledger.reserve"); got != 100 {
		t.Errorf("ledger.reserve audit entries = %d, want 100", got)
	}
}

// TestConcurrentOppositeMovements: 500 reservations and 500 releases of 10.00
// each run at once on one fund. They lock the same rows in the same order, so
// every one of them succeeds: no deadlock, no serialization failure.
func TestConcurrentOppositeMovements(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	poolSize(t, w.db, 10)
	f := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, f.ID, 1_000_000, "budget")
	// Reserved 500,000 covers every release, available 500,000 every
	// reservation, in whatever order they come.
	w.mustMove(t, "Reserve(preload)", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.Reserve(tx, w.procurementA, f.ID, "ELDERLY_HOME_CARE", 500_000, fund.Ref{Type: "tender", ID: "preload"})
	})

	const n = 500
	wt := watch(t, w, f.ID, 1_000_000)
	gate := make(chan struct{})
	var failed atomic.Int64
	var wg sync.WaitGroup
	for i := range 2 * n {
		wg.Go(func() {
			<-gate
			ref := fund.Ref{Type: "tender", ID: fmt.Sprint(i)}
			_, err := w.move(func(tx *gorm.DB) (fund.Posting, error) {
				if i%2 == 0 {
					return fund.Reserve(tx, w.procurementA, f.ID, "ELDERLY_HOME_CARE", 1_000, ref)
				}
				return fund.Release(tx, w.procurementA, f.ID, 1_000, ref)
			})
			wt.poke()
			if err != nil {
				failed.Add(1)
				t.Errorf("movement %d error = %v, want nil", i, err)
			}
		})
	}
	close(gate)
	wg.Wait()
	wt.finish(t)

	if failed.Load() != 0 {
		t.Errorf("%d of %d movements failed", failed.Load(), 2*n)
	}
	if b := w.balances(t, f.ID); b[fund.Available] != 500_000 || b[fund.Reserved] != 500_000 || b[fund.Source] != -1_000_000 {
		t.Errorf("balances = %v, want available 500000, reserved 500000, source -1000000", b)
	}
	for kind, want := range map[string]int64{"reserve": n + 1, "release": n} {
		if got := w.count(t, `SELECT count(*) FROM ledger_postings WHERE fund_account_id = ? AND kind = ?`, f.ID, kind); got != want {
			t.Errorf("%s postings = %d, want %d", kind, got, want)
		}
	}
}

// TestConcurrentRetriesPostOnce: the same movement sent 30 times at once (a
// client retrying, two replicas handling one event) posts once, and every
// caller gets that posting.
func TestConcurrentRetriesPostOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	poolSize(t, w.db, 10)
	ctx := context.Background()
	f := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")

	const n = 30
	run := func(what string, do func() (fund.Posting, error)) {
		t.Helper()
		gate := make(chan struct{})
		ids := make([]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-gate
				var p fund.Posting
				p, errs[i] = do()
				ids[i] = p.ID
			})
		}
		close(gate)
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] == 0 || ids[i] != ids[0] {
				t.Errorf("%s #%d = posting %d, %v; want posting %d", what, i, ids[i], errs[i], ids[0])
			}
		}
	}
	run("Appropriate()", func() (fund.Posting, error) {
		return w.svc.Appropriate(ctx, w.financeA, f.ID, fund.AppropriationInput{Amount: 2_000_000, DocumentRef: "湖财预〔2026〕3号", IdempotencyKey: "retry"})
	})
	run("Reserve()", func() (fund.Posting, error) {
		return w.move(func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Reserve(tx, w.procurementA, f.ID, "ELDERLY_HOME_CARE", 700_000, fund.Ref{Type: "tender", ID: "42"})
		})
	})
	if b := w.balances(t, f.ID); b[fund.Available] != 1_300_000 || b[fund.Reserved] != 700_000 {
		t.Errorf("balances = %v, want available 1300000, reserved 700000", b)
	}
	if got := w.postings(t, f.ID); got != 2 {
		t.Errorf("postings = %d, want 2", got)
	}
}

// TestAppropriateWhileReserving: a finance officer appropriates to a fund at
// the moment a tender's reservation on it holds the fund's ledger accounts and
// is about to write its posting. Both must succeed, one after the other.
//
// The reservation is paused, by a GORM callback on the test's own pool, just
// before it inserts its posting; the appropriation then starts and is let to
// block; then the reservation goes on.
func TestAppropriateWhileReserving(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	f := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, f.ID, 1_000_000, "budget")

	type pauseKey struct{}
	reached, resume := make(chan struct{}), make(chan struct{})
	var once sync.Once
	if err := w.db.Callback().Create().Before("gorm:create").Register("fund_test:pause", func(tx *gorm.DB) {
		if _, ok := tx.Statement.Model.(*fund.Posting); ok && tx.Statement.Context.Value(pauseKey{}) != nil {
			once.Do(func() {
				close(reached)
				<-resume
			})
		}
	}); err != nil {
		t.Fatal(err)
	}

	reserved := make(chan error, 1)
	go func() {
		pause := context.WithValue(ctx, pauseKey{}, true)
		reserved <- w.db.WithContext(pause).Transaction(func(tx *gorm.DB) error {
			_, err := fund.Reserve(tx, w.procurementA, f.ID, "ELDERLY_HOME_CARE", 400_000, fund.Ref{Type: "tender", ID: "1"})
			return err
		})
	}()
	<-reached
	appropriated := make(chan error, 1)
	go func() {
		_, err := w.svc.Appropriate(ctx, w.financeA, f.ID, fund.AppropriationInput{Amount: 500_000, DocumentRef: "湖财预〔2026〕9号", IdempotencyKey: "second"})
		appropriated <- err
	}()
	// Wait until the appropriation waits for a lock (or is already done).
	for waiting := false; !waiting; {
		select {
		case err := <-appropriated:
			appropriated <- err
			waiting = true
		default:
			waiting = w.count(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`) > 0
		}
	}
	close(resume)
	if err := <-reserved; err != nil {
		t.Errorf("Reserve() error = %v, want nil", err)
	}
	if err := <-appropriated; err != nil {
		t.Errorf("Appropriate() error = %v, want nil", err)
	}
	if b := w.balances(t, f.ID); b[fund.Available] != 1_100_000 || b[fund.Reserved] != 400_000 {
		t.Errorf("balances = %v, want available 1100000, reserved 400000", b)
	}
}

// TestConcurrentCorrectionsReverseOnce: ten finance officers' clicks correct
// the same appropriation at once. It is reversed once: every call answers
// that one correction or ErrNotCorrectable.
func TestConcurrentCorrectionsReverseOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	poolSize(t, w.db, 10)
	ctx := context.Background()
	f := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, f.ID, 300_000, "kept")
	wrong := w.appropriate(t, w.financeA, f.ID, 1_000_000, "wrong")

	const n = 10
	gate := make(chan struct{})
	ids := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-gate
			var p fund.Posting
			p, errs[i] = w.svc.Correct(ctx, w.financeA, f.ID, wrong.ID, "重复录入")
			ids[i] = p.ID
		})
	}
	close(gate)
	wg.Wait()

	var correction int64
	if err := w.db.Raw(`SELECT id FROM ledger_postings WHERE reverses_id = ?`, wrong.ID).Scan(&correction).Error; err != nil || correction == 0 {
		t.Fatalf("correction of %d: %d, %v", wrong.ID, correction, err)
	}
	for i := range n {
		if !(errs[i] == nil && ids[i] == correction) && !errors.Is(errs[i], fund.ErrNotCorrectable) {
			t.Errorf("Correct() #%d = posting %d, %v; want posting %d or ErrNotCorrectable", i, ids[i], errs[i], correction)
		}
	}
	if got := w.count(t, `SELECT count(*) FROM ledger_postings WHERE fund_account_id = ? AND kind = 'correction'`, f.ID); got != 1 {
		t.Errorf("corrections = %d, want 1", got)
	}
	if b := w.balances(t, f.ID); b[fund.Available] != 300_000 || b[fund.Source] != -300_000 {
		t.Errorf("balances = %v, want available 300000", b)
	}
}
