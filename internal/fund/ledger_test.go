package fund_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
)

// rawPosting inserts a posting row straight into ledger_postings.
func rawPosting(t testing.TB, tx *gorm.DB, fundID int64, key string) int64 {
	t.Helper()
	var id int64
	if err := tx.Raw(`INSERT INTO ledger_postings (fund_account_id, kind, idempotency_key) VALUES (?, 'appropriation', ?) RETURNING id`,
		fundID, key).Scan(&id).Error; err != nil {
		t.Fatalf("insert posting %s: %v", key, err)
	}
	return id
}

// rawLine inserts a line straight into ledger_lines.
func rawLine(tx *gorm.DB, postingID, accountID int64, amount money.Fen) error {
	return tx.Exec(`INSERT INTO ledger_lines (posting_id, account_id, amount) VALUES (?, ?, ?)`, postingID, accountID, amount).Error
}

type rawLineSpec struct {
	account int64
	amount  money.Fen
}

// TestDatabaseRefusesUnbalancedPostings writes postings with SQL, around
// fund.Post: the deferred constraint trigger refuses, at commit, every
// posting that does not balance within its own fund's ledger.
func TestDatabaseRefusesUnbalancedPostings(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	x := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	y := w.account(t, w.financeB, 2026, "fiscal_budget", "朝阳街道预算", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, x.ID, 1_000_000, "x-1")
	w.appropriate(t, w.financeB, y.ID, 1_000_000, "y-1")
	xSource, xAvailable := w.ledgerAccount(t, x.ID, fund.Source), w.ledgerAccount(t, x.ID, fund.Available)
	ySource, yAvailable := w.ledgerAccount(t, y.ID, fund.Source), w.ledgerAccount(t, y.ID, fund.Available)

	for _, tc := range []struct {
		name  string
		lines []rawLineSpec
		want  string
	}{
		{"one line of +100", []rawLineSpec{{xAvailable, 100}}, "(sum 100, 1 lines, 0 outside its fund)"},
		{"no lines", nil, "(sum 0, 0 lines, 0 outside its fund)"},
		{"two lines summing to +50", []rawLineSpec{{xAvailable, 100}, {xSource, -50}}, "(sum 50, 2 lines, 0 outside its fund)"},
		{"a line in another fund's ledger", []rawLineSpec{{xSource, -100}, {yAvailable, 100}}, "(sum 0, 2 lines, 1 outside its fund)"},
		{"every line in another fund's ledger", []rawLineSpec{{ySource, -100}, {yAvailable, 100}}, "(sum 0, 2 lines, 2 outside its fund)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := w.snapshot(t)
			inserted := false
			err := w.db.Transaction(func(tx *gorm.DB) error {
				id := rawPosting(t, tx, x.ID, "raw-"+tc.name)
				for _, l := range tc.lines {
					// Each statement is accepted: the check waits for the commit.
					if err := rawLine(tx, id, l.account, l.amount); err != nil {
						t.Fatalf("insert line %+v: %v", l, err)
					}
				}
				inserted = true
				return nil
			})
			if !inserted || err == nil {
				t.Fatalf("commit of %s: error = %v, want it refused", tc.name, err)
			}
			if sqlState(err) != "23514" || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("commit error = %v (SQLSTATE %s), want check_violation 23514 naming %q", err, sqlState(err), tc.want)
			}
			w.unchanged(t, tc.name, before)
		})
	}

	t.Run("a balanced posting is accepted and moves the cached balances", func(t *testing.T) {
		err := w.db.Transaction(func(tx *gorm.DB) error {
			id := rawPosting(t, tx, x.ID, "raw-balanced")
			if err := rawLine(tx, id, xSource, -100); err != nil {
				return err
			}
			return rawLine(tx, id, xAvailable, 100)
		})
		if err != nil {
			t.Fatalf("balanced raw posting: %v", err)
		}
		if b := w.balances(t, x.ID); b[fund.Available] != 1_000_100 || b[fund.Source] != -1_000_100 {
			t.Errorf("balances = %v, want available 1000100 and source -1000100", b)
		}
	})
}

// TestDatabaseRefusesLinesAddedToCommittedPostings: a committed posting is
// never changed, so no line may be added to it later: not a single line (it
// would unbalance the posting), and not a balanced pair either (it would
// silently change what the posting moved, with no audit entry).
func TestDatabaseRefusesLinesAddedToCommittedPostings(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	x := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	p := w.appropriate(t, w.financeA, x.ID, 1_000_000, "x-1")
	source, available := w.ledgerAccount(t, x.ID, fund.Source), w.ledgerAccount(t, x.ID, fund.Available)
	for _, tc := range []struct {
		name  string
		lines []rawLineSpec
	}{
		{"a single line", []rawLineSpec{{available, 100}}},
		{"a balanced pair", []rawLineSpec{{source, -900_000}, {available, 900_000}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := w.snapshot(t)
			err := w.db.Transaction(func(tx *gorm.DB) error {
				for _, l := range tc.lines {
					if err := rawLine(tx, p.ID, l.account, l.amount); err != nil {
						return err
					}
				}
				return nil
			})
			if err == nil {
				t.Errorf("adding %s to committed posting %d: error = nil, want it refused", tc.name, p.ID)
			}
			w.unchanged(t, tc.name+" added to a committed posting", before)
		})
	}
}

// TestLedgerIsAppendOnly: postings and lines are never updated, deleted or
// truncated, whoever asks.
func TestLedgerIsAppendOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	x := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	p := w.appropriate(t, w.financeA, x.ID, 1_000_000, "x-1")
	for _, tc := range []struct {
		name string
		sql  string
		args []any
	}{
		{"UPDATE ledger_postings", `UPDATE ledger_postings SET memo = 'changed' WHERE id = ?`, []any{p.ID}},
		{"DELETE ledger_postings", `DELETE FROM ledger_postings WHERE id = ?`, []any{p.ID}},
		{"TRUNCATE ledger_postings", `TRUNCATE ledger_postings CASCADE`, nil},
		{"UPDATE ledger_lines", `UPDATE ledger_lines SET amount = amount * 2 WHERE posting_id = ?`, []any{p.ID}},
		{"DELETE ledger_lines", `DELETE FROM ledger_lines WHERE posting_id = ?`, []any{p.ID}},
		{"TRUNCATE ledger_lines", `TRUNCATE ledger_lines`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := w.snapshot(t)
			err := w.db.Exec(tc.sql, tc.args...).Error
			if sqlState(err) != "42501" {
				t.Errorf("%s error = %v (SQLSTATE %q), want insufficient_privilege 42501", tc.name, err, sqlState(err))
			}
			w.unchanged(t, tc.name, before)
		})
	}
}

// TestRestrictedBalancesNeverGoNegative: below fund.Post, the CHECK on
// ledger_accounts refuses a restricted balance under zero, whichever way it
// is written; only the source goes negative.
func TestRestrictedBalancesNeverGoNegative(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	x := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, x.ID, 1_000_000, "x-1")
	source, available, reserved := w.ledgerAccount(t, x.ID, fund.Source), w.ledgerAccount(t, x.ID, fund.Available), w.ledgerAccount(t, x.ID, fund.Reserved)

	for _, tc := range []struct {
		name  string
		lines []rawLineSpec
	}{
		{"available one fen below zero", []rawLineSpec{{source, 1_000_001}, {available, -1_000_001}}},
		{"reserved below zero", []rawLineSpec{{reserved, -1}, {available, 1}}},
		{"paid below zero", []rawLineSpec{{w.ledgerAccount(t, x.ID, fund.Paid), -5}, {available, 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := w.snapshot(t)
			var lineErr error
			err := w.db.Transaction(func(tx *gorm.DB) error {
				id := rawPosting(t, tx, x.ID, "raw-"+tc.name)
				for _, l := range tc.lines {
					if lineErr = rawLine(tx, id, l.account, l.amount); lineErr != nil {
						return lineErr
					}
				}
				return nil
			})
			// The statement itself fails, not the commit: the CHECK is immediate.
			if err == nil || sqlState(lineErr) != "23514" || !errors.Is(lineErr, gorm.ErrCheckConstraintViolated) ||
				!strings.Contains(lineErr.Error(), "ledger_accounts_not_negative") {
				t.Errorf("line error = %v, transaction error = %v; want ledger_accounts_not_negative", lineErr, err)
			}
			w.unchanged(t, tc.name, before)
		})
	}
	t.Run("UPDATE of the cached balance", func(t *testing.T) {
		before := w.snapshot(t)
		err := w.db.Exec(`UPDATE ledger_accounts SET balance = -1 WHERE id = ?`, reserved).Error
		if !errors.Is(err, gorm.ErrCheckConstraintViolated) {
			t.Errorf("UPDATE ledger_accounts SET balance = -1: error = %v, want a check violation", err)
		}
		w.unchanged(t, "UPDATE of the cached balance", before)
	})
}

// TestCheckInvariantsFindsBrokenLedgers proves the checker every ledger test
// ends with: inside a transaction that is rolled back, a cached balance that
// drifted from its lines and a posting that does not balance are reported.
func TestCheckInvariantsFindsBrokenLedgers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	x := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, x.ID, 1_000_000, "x-1")
	available := w.ledgerAccount(t, x.ID, fund.Available)
	errRollback := errors.New("roll back")
	err := w.db.Transaction(func(tx *gorm.DB) error {
		if v, err := fund.CheckInvariants(tx); err != nil || len(v) != 0 {
			t.Fatalf("CheckInvariants(sound ledger) = %v, %v; want none", v, err)
		}
		if err := tx.Exec(`UPDATE ledger_accounts SET balance = balance + 5 WHERE id = ?`, available).Error; err != nil {
			return err
		}
		id := rawPosting(t, tx, x.ID, "half")
		if err := rawLine(tx, id, w.ledgerAccount(t, x.ID, fund.Payable), 7); err != nil {
			return err
		}
		got, err := fund.CheckInvariants(tx)
		if err != nil {
			return err
		}
		want := []fund.Violation{{What: "posting does not balance", ID: id}, {What: "cached balance differs from its lines", ID: available}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CheckInvariants() mismatch (-want +got):\n%s", diff)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("transaction error = %v, want the rollback", err)
	}
}

// TestPostRefusesMalformedEntries: fund.Post checks an entry before it
// touches the database.
func TestPostRefusesMalformedEntries(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	x := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, x.ID, 1_000_000, "x-1")
	entry := func(key string, lines ...fund.Line) fund.Entry {
		return fund.Entry{FundAccountID: x.ID, Kind: "appropriation", IdempotencyKey: key, Lines: lines}
	}
	for _, tc := range []struct {
		name string
		e    fund.Entry
		want error // nil: any error
	}{
		{"lines summing to +1", entry("a", fund.Line{Account: fund.Source, Amount: -99}, fund.Line{Account: fund.Available, Amount: 100}), fund.ErrUnbalanced},
		{"one line", entry("b", fund.Line{Account: fund.Available, Amount: 100}), fund.ErrUnbalanced},
		{"no lines", entry("c"), fund.ErrUnbalanced},
		{"a zero line", entry("d", fund.Line{Account: fund.Source, Amount: 0}, fund.Line{Account: fund.Available, Amount: 0}), nil},
		{"an unknown account", entry("e", fund.Line{Account: "cash", Amount: -100}, fund.Line{Account: fund.Available, Amount: 100}), nil},
		{"a restricted account below zero", entry("f", fund.Line{Account: fund.Paid, Amount: -1}, fund.Line{Account: fund.Payable, Amount: 1}), fund.ErrInsufficient},
		{"no such fund", fund.Entry{FundAccountID: x.ID + 1000, Kind: "appropriation", IdempotencyKey: "g",
			Lines: []fund.Line{{Account: fund.Source, Amount: -1}, {Account: fund.Available, Amount: 1}}}, apperr.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := w.snapshot(t)
			_, err := w.move(func(tx *gorm.DB) (fund.Posting, error) { return fund.Post(tx, w.financeA, tc.e) })
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Post(%s) error = %v, want %v", tc.name, err, tc.want)
			}
			w.unchanged(t, "Post("+tc.name+")", before)
		})
	}
}
