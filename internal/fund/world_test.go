package fund_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

var (
	start    = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	platform = access.Actor{Username: "platform", Role: access.PlatformAdmin, RequestID: "req-platform"}
)

// world is district D (吴兴区) with subdistricts A and B, district E (南浔区)
// with subdistrict C, and a user account for every actor that writes.
type world struct {
	db     *gorm.DB
	clock  *clock.Manual
	svc    *fund.Service
	places *place.Service

	d, e    place.District
	a, b, c place.Subdistrict

	financeA, financeB, financeC, financeA2  access.Actor
	procurementA, adminD, adminE, evaluatorD access.Actor
	orgAdmin, resident                       access.Actor
}

// newWorld builds the world on a fresh database and checks the ledger's
// invariants when the test ends, whatever it did.
func newWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: dbtest.New(t), clock: clock.NewManual(start)}
	w.svc = fund.NewService(w.db, w.clock)
	w.places = place.NewService(w.db, w.clock)
	t.Cleanup(func() { checkLedger(t, w.db) })
	var err error
	must := func(what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	w.d, err = w.places.CreateDistrict(ctx, platform, place.DistrictInput{Code: "330502", NameZh: "吴兴区", NameEn: "Wuxing"})
	must("CreateDistrict D")
	w.e, err = w.places.CreateDistrict(ctx, platform, place.DistrictInput{Code: "330503", NameZh: "南浔区", NameEn: "Nanxun"})
	must("CreateDistrict E")
	w.a, err = w.places.CreateSubdistrict(ctx, platform, place.SubdistrictInput{DistrictID: w.d.ID, Code: "330502001", NameZh: "月河街道"})
	must("CreateSubdistrict A")
	w.b, err = w.places.CreateSubdistrict(ctx, platform, place.SubdistrictInput{DistrictID: w.d.ID, Code: "330502002", NameZh: "朝阳街道"})
	must("CreateSubdistrict B")
	w.c, err = w.places.CreateSubdistrict(ctx, platform, place.SubdistrictInput{DistrictID: w.e.ID, Code: "330503001", NameZh: "南浔镇"})
	must("CreateSubdistrict C")

	w.financeA = w.user(t, "finance-a", access.FinanceOfficer, w.d.ID, w.a.ID)
	w.financeA2 = w.user(t, "finance-a2", access.FinanceOfficer, w.d.ID, w.a.ID)
	w.financeB = w.user(t, "finance-b", access.FinanceOfficer, w.d.ID, w.b.ID)
	w.financeC = w.user(t, "finance-c", access.FinanceOfficer, w.e.ID, w.c.ID)
	w.procurementA = w.user(t, "procurement-a", access.ProcurementOfficer, w.d.ID, w.a.ID)
	w.adminD = w.user(t, "admin-d", access.DistrictAdmin, w.d.ID, 0)
	w.adminE = w.user(t, "admin-e", access.DistrictAdmin, w.e.ID, 0)
	w.evaluatorD = w.user(t, "evaluator-d", access.Evaluator, w.d.ID, 0)
	// No organization exists: an org admin and a resident are only outsiders.
	w.orgAdmin = access.Actor{Username: "org-admin", Role: access.OrgAdmin, Scope: access.Scope{OrganizationID: 1}}
	w.resident = access.Actor{Username: "resident", Role: access.Resident}
	return w
}

// user inserts a user account and returns its actor. A subdistrict officer's
// scope carries its district too, as the session layer sets it.
func (w *world) user(t testing.TB, name string, role access.Role, districtID, subdistrictID int64) access.Actor {
	t.Helper()
	rowDistrict := districtID
	if role.ScopeKind() == access.ScopeSubdistrict {
		rowDistrict = 0
	}
	var id int64
	err := w.db.Raw(`INSERT INTO users (username, password_hash, role, district_id, subdistrict_id)
		VALUES (?, 'x', ?, NULLIF(?::bigint, 0), NULLIF(?::bigint, 0)) RETURNING id`,
		name, string(role), rowDistrict, subdistrictID).Scan(&id).Error
	if err != nil {
		t.Fatalf("insert user %s: %v", name, err)
	}
	return access.Actor{UserID: id, Username: name, Role: role, RequestID: "req-" + name,
		Scope: access.Scope{DistrictID: districtID, SubdistrictID: subdistrictID}}
}

// checkLedger fails the test on any broken ledger invariant.
func checkLedger(t testing.TB, db *gorm.DB) {
	t.Helper()
	violations, err := fund.CheckInvariants(db)
	if err != nil {
		t.Errorf("CheckInvariants() error = %v", err)
		return
	}
	for _, v := range violations {
		t.Errorf("ledger invariant broken: %s (id %d)", v.What, v.ID)
	}
}

// account opens a fund account as by, failing the test on error.
func (w *world) account(t testing.TB, by access.Actor, year int, source, name string, categories ...string) fund.View {
	t.Helper()
	v, err := w.svc.CreateAccount(context.Background(), by, fund.AccountInput{FiscalYear: year, Source: source, Name: name, Categories: categories})
	if err != nil {
		t.Fatalf("CreateAccount(%q) error = %v", name, err)
	}
	return v
}

// appropriate credits amount to a fund account as by, failing the test on error.
func (w *world) appropriate(t testing.TB, by access.Actor, fundID int64, amount money.Fen, key string) fund.Posting {
	t.Helper()
	p, err := w.svc.Appropriate(context.Background(), by, fundID, fund.AppropriationInput{Amount: amount, DocumentRef: "湖财预〔2026〕" + key + "号", IdempotencyKey: key})
	if err != nil {
		t.Fatalf("Appropriate(%d, %s) error = %v", amount, key, err)
	}
	return p
}

// move runs one ledger movement in its own transaction, as the domain
// services do: an error rolls everything back.
func (w *world) move(f func(tx *gorm.DB) (fund.Posting, error)) (fund.Posting, error) {
	var p fund.Posting
	err := w.db.Transaction(func(tx *gorm.DB) error {
		var err error
		p, err = f(tx)
		return err
	})
	return p, err
}

// mustMove is move failing the test on error.
func (w *world) mustMove(t testing.TB, what string, f func(tx *gorm.DB) (fund.Posting, error)) fund.Posting {
	t.Helper()
	p, err := w.move(f)
	if err != nil {
		t.Fatalf("%s error = %v", what, err)
	}
	return p
}

// balances reads a fund account's sub-account balances, source included,
// straight from ledger_accounts.
func (w *world) balances(t testing.TB, fundID int64) map[string]money.Fen {
	t.Helper()
	var rows []fund.LedgerAccount
	if err := w.db.Where("fund_account_id = ?", fundID).Find(&rows).Error; err != nil {
		t.Fatalf("read ledger accounts of %d: %v", fundID, err)
	}
	out := map[string]money.Fen{}
	for _, r := range rows {
		out[r.Kind] = r.Balance
	}
	return out
}

// ledgerAccount returns the id of a fund account's sub-account of kind.
func (w *world) ledgerAccount(t testing.TB, fundID int64, kind string) int64 {
	t.Helper()
	var id int64
	if err := w.db.Raw(`SELECT id FROM ledger_accounts WHERE fund_account_id = ? AND kind = ?`, fundID, kind).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("ledger account %s of %d: id %d, %v", kind, fundID, id, err)
	}
	return id
}

func (w *world) count(t testing.TB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := w.db.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// postings counts a fund account's postings.
func (w *world) postings(t testing.TB, fundID int64) int64 {
	t.Helper()
	return w.count(t, `SELECT count(*) FROM ledger_postings WHERE fund_account_id = ?`, fundID)
}

// audited counts the audit entries of action.
func (w *world) audited(t testing.TB, action string) int64 {
	t.Helper()
	return w.count(t, `SELECT count(*) FROM audit_entries WHERE action = ?`, action)
}

// snapshot is what a refused operation must leave as it was.
type snapshot struct {
	funds, categories, ledgerAccounts, postings, lines, audit int64
	balances                                                  string
}

func (w *world) snapshot(t testing.TB) snapshot {
	t.Helper()
	var s snapshot
	s.funds = w.count(t, `SELECT count(*) FROM fund_accounts`)
	s.categories = w.count(t, `SELECT count(*) FROM fund_account_categories`)
	s.ledgerAccounts = w.count(t, `SELECT count(*) FROM ledger_accounts`)
	s.postings = w.count(t, `SELECT count(*) FROM ledger_postings`)
	s.lines = w.count(t, `SELECT count(*) FROM ledger_lines`)
	s.audit = w.count(t, `SELECT count(*) FROM audit_entries`)
	if err := w.db.Raw(`SELECT coalesce(string_agg(id || '=' || balance, ',' ORDER BY id), '') FROM ledger_accounts`).Scan(&s.balances).Error; err != nil {
		t.Fatalf("read balances: %v", err)
	}
	return s
}

// unchanged fails the test unless nothing was written since before.
func (w *world) unchanged(t testing.TB, what string, before snapshot) {
	t.Helper()
	if after := w.snapshot(t); after != before {
		t.Errorf("%s wrote something: before %+v, after %+v", what, before, after)
	}
}

// sqlState returns the SQLSTATE of a PostgreSQL error, "" for anything else.
func sqlState(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code
	}
	return ""
}
