package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

var admin = access.Actor{UserID: 7, Username: "admin", Role: access.PlatformAdmin, RequestID: "req-1"}

// createDistrict inserts a district and records it, in one transaction; abort
// makes the transaction roll back after both writes.
func createDistrict(ctx context.Context, db *gorm.DB, by access.Actor, code string, abort error) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var id int64
		if err := tx.Raw(`INSERT INTO districts (code, name_zh) VALUES (?, ?) RETURNING id`, code, "区"+code).Scan(&id).Error; err != nil {
			return err
		}
		if err := audit.Record(tx, by, "district.create", "district", id, map[string]any{"code": code}); err != nil {
			return err
		}
		return abort
	})
}

// entries returns every entry, pending or not, in the order of insertion.
func entries(t *testing.T, db *gorm.DB) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	if err := db.Order("id").Find(&out).Error; err != nil {
		t.Fatalf("read audit_entries: %v", err)
	}
	return out
}

func count(t *testing.T, db *gorm.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// integrate integrates every pending entry, as the sequencer would.
func integrate(t *testing.T, db *gorm.DB) {
	t.Helper()
	if _, err := audit.IntegrateAll(context.Background(), db); err != nil {
		t.Fatalf("IntegrateAll() error = %v, want nil", err)
	}
}

func wantIntact(t *testing.T, db *gorm.DB, n int64) {
	t.Helper()
	rep, err := audit.Verify(context.Background(), db)
	if err != nil {
		t.Fatalf("Verify() error = %v, want nil", err)
	}
	if rep.Broken != nil || rep.Entries != n || rep.Pending != 0 {
		t.Fatalf("Verify() = {Entries: %d, Broken: %v, Pending: %d}, want {Entries: %d, Broken: nil, Pending: 0}",
			rep.Entries, rep.Broken, rep.Pending, n)
	}
}

func TestRecordCommitsAndRollsBackWithTheChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)

	if err := createDistrict(ctx, db, admin, "330502", nil); err != nil {
		t.Fatalf("Record() in a committed transaction: error = %v, want nil", err)
	}
	abort := errors.New("abort")
	if err := createDistrict(ctx, db, admin, "330503", abort); !errors.Is(err, abort) {
		t.Fatalf("Transaction() error = %v, want %v", err, abort)
	}
	if n := count(t, db, `SELECT count(*) FROM districts WHERE code = '330503'`); n != 0 {
		t.Errorf("rolled-back district rows = %d, want 0", n)
	}
	got := entries(t, db)
	if len(got) != 1 {
		t.Fatalf("after a commit and a rollback: %d audit entries, want 1", len(got))
	}
	if !got[0].Pending() || got[0].Hash != "" || got[0].PrevHash != "" {
		t.Errorf("entry before integration: seq %d, prev %q, hash %q; want pending", got[0].Seq, got[0].PrevHash, got[0].Hash)
	}
	integrate(t, db)
	got = entries(t, db)
	first := got[0]
	var districtID int64
	if err := db.Raw(`SELECT id FROM districts WHERE code = '330502'`).Scan(&districtID).Error; err != nil || districtID == 0 {
		t.Fatalf("committed district: id %d, error %v", districtID, err)
	}
	if first.ActorID == nil || *first.ActorID != admin.UserID {
		t.Errorf("entry 1 ActorID = %v, want %d", first.ActorID, admin.UserID)
	}
	want := audit.Entry{
		Seq: 1, ActorName: "admin", ActorRole: "platform_admin", Action: "district.create",
		EntityType: "district", EntityID: fmt.Sprint(districtID), RequestID: "req-1",
		Data: `{"code":"330502"}`, PrevHash: audit.Genesis,
	}
	ignore := func(e audit.Entry) audit.Entry {
		e.ID, e.OccurredAt, e.ActorID, e.Digest, e.Hash = 0, want.OccurredAt, nil, "", ""
		return e
	}
	if diff := cmp.Diff(want, ignore(first)); diff != "" {
		t.Errorf("entry 1 mismatch (-want +got):\n%s", diff)
	}
	if first.OccurredAt.IsZero() || len(first.Digest) != 64 || len(first.Hash) != 64 {
		t.Errorf("entry 1 OccurredAt, Digest, Hash = %v, %q, %q; want all set", first.OccurredAt, first.Digest, first.Hash)
	}

	// The rolled-back entry took no sequence number: the next one is 2 and links to 1.
	if err := createDistrict(ctx, db, admin, "330504", nil); err != nil {
		t.Fatalf("Record() after a rollback: error = %v, want nil", err)
	}
	integrate(t, db)
	got = entries(t, db)
	if len(got) != 2 || got[1].Seq != 2 || got[1].PrevHash != got[0].Hash {
		t.Fatalf("after the rollback: entries %+v, want seq 2 linked to entry 1", got)
	}
	wantIntact(t, db, 2)
}

func TestRecordData(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	type change struct {
		Zeta  int    `json:"zeta"`
		Alpha string `json:"alpha"`
	}
	tests := []struct {
		name   string
		by     access.Actor
		action string
		change any
		want   string // stored data; empty when Record must fail
	}{
		{"nil is an empty object", admin, "place.touch", nil, `{}`},
		{"struct keys are sorted", admin, "place.touch", change{Zeta: 1, Alpha: "a"}, `{"alpha":"a","zeta":1}`},
		{"nested map keys are sorted", admin, "place.touch", map[string]any{"b": map[string]int{"y": 2, "x": 1}, "a": []int{3, 1}}, `{"a":[3,1],"b":{"x":1,"y":2}}`},
		{"large numbers are kept as written", admin, "place.touch", map[string]int64{"n": 9007199254740993}, `{"n":9007199254740993}`},
		{"system actor has no actor id", access.SystemActor("seed", "job-1"), "place.touch", nil, `{}`},
		{"unmarshalable change", admin, "place.touch", map[string]any{"c": make(chan int)}, ""},
		{"action outside the naming rule", admin, "Place.Touch", nil, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := count(t, db, `SELECT count(*) FROM audit_entries`)
			err := db.Transaction(func(tx *gorm.DB) error {
				return audit.Record(tx, tt.by, tt.action, "place", i, tt.change)
			})
			after := count(t, db, `SELECT count(*) FROM audit_entries`)
			if tt.want == "" {
				if err == nil || after != before {
					t.Fatalf("Record() error = %v, entries %d → %d; want an error and no entry", err, before, after)
				}
				return
			}
			if err != nil {
				t.Fatalf("Record() error = %v, want nil", err)
			}
			var e audit.Entry
			if err := db.Order("id DESC").Take(&e).Error; err != nil {
				t.Fatal(err)
			}
			if e.Data != tt.want {
				t.Errorf("Record() data = %s, want %s", e.Data, tt.want)
			}
			if tt.by.UserID == 0 && e.ActorID != nil {
				t.Errorf("Record() actor_id = %d, want NULL for an actor without a user", *e.ActorID)
			}
			if e.ActorName != tt.by.Username || e.ActorRole != string(tt.by.Role) || e.RequestID != tt.by.RequestID {
				t.Errorf("Record() actor = %q/%q/%q, want %q/%q/%q", e.ActorName, e.ActorRole, e.RequestID,
					tt.by.Username, tt.by.Role, tt.by.RequestID)
			}
		})
	}
	integrate(t, db)
	wantIntact(t, db, 5)
}

func TestRecordConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			by := admin
			by.UserID, by.RequestID = int64(i+1), fmt.Sprintf("req-%d", i)
			errs <- createDistrict(ctx, db, by, fmt.Sprintf("%06d", 100000+i), nil)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Record() error = %v, want nil", err)
		}
	}
	integrate(t, db)
	got := entries(t, db)
	if len(got) != n {
		t.Fatalf("concurrent Record(): %d entries, want %d", len(got), n)
	}
	entities := map[string]bool{}
	for i, e := range got {
		if e.Seq != int64(i+1) {
			t.Fatalf("entry %d has seq %d, want %d", i, e.Seq, i+1)
		}
		entities[e.EntityID] = true
	}
	if len(entities) != n {
		t.Errorf("concurrent Record(): %d distinct entities, want %d", len(entities), n)
	}
	wantIntact(t, db, n)
}

// seed records n entries, one district each, and integrates them.
func seed(t *testing.T, db *gorm.DB, n int) {
	t.Helper()
	for i := range n {
		if err := createDistrict(context.Background(), db, admin, fmt.Sprintf("%06d", 200000+i), nil); err != nil {
			t.Fatalf("seed entry %d: %v", i+1, err)
		}
	}
	integrate(t, db)
}

func TestAppendOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		stmt string
	}{
		{"update data", `UPDATE audit_entries SET data = '{"code":"999999"}' WHERE seq = 2`},
		{"update actor", `UPDATE audit_entries SET actor_name = 'mallory'`},
		{"update hash", `UPDATE audit_entries SET hash = repeat('f', 64) WHERE seq = 3`},
		{"delete one", `DELETE FROM audit_entries WHERE seq = 2`},
		{"delete all", `DELETE FROM audit_entries`},
		{"truncate", `TRUNCATE audit_entries`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := dbtest.New(t)
			seed(t, db, 3)
			before := entries(t, db)
			err := db.Exec(tt.stmt).Error
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "42501" || !strings.Contains(pgErr.Message, "append-only") {
				t.Fatalf("Exec(%q) error = %v, want the append-only trigger's insufficient_privilege (42501)", tt.stmt, err)
			}
			if diff := cmp.Diff(before, entries(t, db)); diff != "" {
				t.Errorf("Exec(%q) changed audit_entries (-before +after):\n%s", tt.stmt, diff)
			}
			wantIntact(t, db, 3)
		})
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		tamper      []string
		wantSeq     int64
		wantReason  string
		wantEntries int64 // entries checked before the break
	}{
		{"data edited", []string{`UPDATE audit_entries SET data = '{"code":"999999"}' WHERE seq = 3`}, 3, "digest", 2},
		{"actor name edited", []string{`UPDATE audit_entries SET actor_name = 'mallory' WHERE seq = 3`}, 3, "hash does not match", 2},
		{"data and digest edited together",
			[]string{`UPDATE audit_entries SET data = '{"code":"999999"}', digest = encode(sha256('{"code":"999999"}'::bytea), 'hex') WHERE seq = 3`},
			3, "hash does not match", 2},
		{"time edited", []string{`UPDATE audit_entries SET occurred_at = occurred_at - interval '1 day' WHERE seq = 3`}, 3, "hash does not match", 2},
		{"action edited", []string{`UPDATE audit_entries SET action = 'district.delete' WHERE seq = 3`}, 3, "hash does not match", 2},
		{"hash replaced", []string{`UPDATE audit_entries SET hash = repeat('f', 64) WHERE seq = 3`}, 3, "hash does not match", 2},
		{"hash and next link replaced",
			[]string{`UPDATE audit_entries SET hash = repeat('f', 64) WHERE seq = 3`, `UPDATE audit_entries SET prev_hash = repeat('f', 64) WHERE seq = 4`},
			3, "hash does not match", 2},
		{"link rewired", []string{`UPDATE audit_entries SET prev_hash = (SELECT hash FROM audit_entries WHERE seq = 1) WHERE seq = 3`}, 3, "previous hash", 2},
		{"entry 2 deleted", []string{`DELETE FROM audit_entries WHERE seq = 2`}, 2, "missing", 1},
		{"first entry deleted", []string{`DELETE FROM audit_entries WHERE seq = 1`}, 1, "missing", 0},
		{"entries 2 and 3 swapped", []string{`UPDATE audit_entries SET seq = 100 WHERE seq = 2`,
			`UPDATE audit_entries SET seq = 2 WHERE seq = 3`, `UPDATE audit_entries SET seq = 3 WHERE seq = 100`}, 2, "previous hash", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := dbtest.New(t)
			seed(t, db, 5)
			wantIntact(t, db, 5)
			err := db.Transaction(func(tx *gorm.DB) error {
				stmts := append([]string{`ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete`}, tt.tamper...)
				stmts = append(stmts, `ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update_delete`)
				for _, stmt := range stmts {
					if err := tx.Exec(stmt).Error; err != nil {
						return fmt.Errorf("%s: %w", stmt, err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("tamper: %v", err)
			}
			rep, err := audit.Verify(context.Background(), db)
			if err != nil {
				t.Fatalf("Verify() error = %v, want nil", err)
			}
			if rep.Broken == nil {
				t.Fatalf("Verify() = {Entries: %d, Broken: nil}, want a break at entry %d", rep.Entries, tt.wantSeq)
			}
			if rep.Broken.Seq != tt.wantSeq || !strings.Contains(rep.Broken.Reason, tt.wantReason) {
				t.Errorf("Verify() Broken = %v, want entry %d with a reason naming %q", rep.Broken, tt.wantSeq, tt.wantReason)
			}
			if rep.Entries != tt.wantEntries {
				t.Errorf("Verify() Entries = %d, want %d", rep.Entries, tt.wantEntries)
			}
		})
	}
}

func TestVerifyEmpty(t *testing.T) {
	t.Parallel()
	wantIntact(t, dbtest.New(t), 0)
}

// RecordAlong writes the change and its entry in one statement: an entry
// when the change touched a row, none when it did not, none when the
// transaction rolls back; the entry is Record's, and the chain verifies.
func TestRecordAlong(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	insert := func(tx *gorm.DB, code string) (bool, error) {
		return audit.RecordAlong(tx, `INSERT INTO districts (code, name_zh) VALUES (?, ?) ON CONFLICT (code) DO NOTHING`, []any{code, "区" + code},
			admin, "district.create", "district", code, map[string]any{"code": code})
	}
	for i, want := range []bool{true, false} { // the second insert conflicts
		var got bool
		if err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) (err error) {
			got, err = insert(tx, "330510")
			return err
		}); err != nil || got != want {
			t.Fatalf("RecordAlong() #%d = %v, %v; want %v, nil", i+1, got, err, want)
		}
	}
	abort := errors.New("abort")
	if err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if ok, err := insert(tx, "330511"); !ok || err != nil {
			t.Fatalf("RecordAlong() = %v, %v", ok, err)
		}
		return abort
	}); !errors.Is(err, abort) {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM districts WHERE code IN ('330510', '330511')`); n != 1 {
		t.Errorf("districts = %d, want 1", n)
	}
	got := entries(t, db)
	if len(got) != 1 {
		t.Fatalf("entries = %d, want 1: one for the change made, none for the conflict or the rollback", len(got))
	}
	if e := got[0]; e.Action != "district.create" || e.EntityID != "330510" || e.Data != `{"code":"330510"}` || e.ActorID == nil || *e.ActorID != admin.UserID ||
		e.RequestID != "req-1" || len(e.Digest) != 64 || e.OccurredAt.IsZero() {
		t.Errorf("entry = %+v", e)
	}
	integrate(t, db)
	wantIntact(t, db, 1)
}
