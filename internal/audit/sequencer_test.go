package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/platform/db"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// TestRecordDoesNotWaitForAnotherWriter: a transaction that has recorded an
// entry and stays open does not hold up another writer's Record and commit
// (with the old chain lock the second waited for the first's commit), nor
// the sequencer, which integrates what is committed and takes the open
// transaction's entry once it commits.
func TestRecordDoesNotWaitForAnotherWriter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	first := db.Begin()
	t.Cleanup(func() { first.Rollback() })
	if err := audit.Record(first, admin, "district.touch", "district", 1, nil); err != nil {
		t.Fatalf("Record() in the open transaction: %v", err)
	}
	// The deadline only bounds a failure: the second writer must not wait.
	bounded, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	other := admin
	other.UserID = 8
	if err := createDistrict(bounded, db, other, "330601", nil); err != nil {
		t.Fatalf("Record() and commit beside an open audited transaction: error = %v, want nil (it waited for the other)", err)
	}
	if n, err := audit.Integrate(bounded, db, 100); err != nil || n != 1 {
		t.Fatalf("Integrate() beside an open audited transaction = %d, %v; want the committed entry only", n, err)
	}
	if err := first.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if n, err := audit.Integrate(ctx, db, 100); err != nil || n != 1 {
		t.Fatalf("Integrate() after the commit = %d, %v; want the late entry", n, err)
	}
	got := entries(t, db)
	// The chain's order is the order of integration, not of insertion.
	if len(got) != 2 || got[0].Seq != 2 || got[1].Seq != 1 {
		t.Errorf("entries by id have seqs %d, want [2 1]", seqs(got))
	}
	wantIntact(t, db, 2)
}

func seqs(es []audit.Entry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

// TestSequencerWithConcurrentWriters: writers in parallel, a third of them
// rolling back, while two sequencers run (as two replicas would): every
// committed entry is in the chain exactly once, no rolled-back one is, and
// the chain verifies.
func TestSequencerWithConcurrentWriters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	seqCtx, stop := context.WithCancel(ctx)
	var running sync.WaitGroup
	for range 2 {
		running.Add(1)
		go func() {
			defer running.Done()
			audit.NewSequencer(db, time.Millisecond, 7, log).Run(seqCtx)
		}()
	}
	const writers, writes = 20, 15
	abort := errors.New("abort")
	var wg sync.WaitGroup
	errs := make(chan error, writers*writes)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			by := admin
			by.UserID = int64(100 + w)
			for i := range writes {
				var undo error
				if i%3 == 2 {
					undo = abort
				}
				if err := createDistrict(ctx, db, by, fmt.Sprintf("%03d%03d", w, i), undo); !errors.Is(err, undo) {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	stop()
	running.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("createDistrict() error = %v", err)
	}
	integrate(t, db)
	committed := int64(writers * (writes - writes/3))
	if n := count(t, db, `SELECT count(*) FROM districts`); n != committed {
		t.Fatalf("%d districts committed, want %d", n, committed)
	}
	// Each committed district has one entry, integrated; nothing else is there.
	if n := count(t, db, `SELECT count(*) FROM districts d JOIN audit_entries a
		ON a.entity_type = 'district' AND a.entity_id = d.id::text AND a.seq IS NOT NULL`); n != committed {
		t.Errorf("%d integrated entries of committed districts, want %d", n, committed)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_entries`); n != committed {
		t.Errorf("%d entries, want %d (one per committed district, none of a rollback)", n, committed)
	}
	if n := count(t, db, `SELECT max(seq) FROM audit_entries`); n != committed {
		t.Errorf("highest seq %d, want %d", n, committed)
	}
	wantIntact(t, db, committed)
}

// TestPendingEntriesAreGuarded: the trigger lets a pending entry be
// integrated and nothing else; a forged integration is found by Verify.
func TestPendingEntriesAreGuarded(t *testing.T) {
	t.Parallel()
	forged := `UPDATE audit_entries SET seq = 4, prev_hash = (SELECT hash FROM audit_entries WHERE seq = 3), hash = repeat('a', 64)`
	tests := []struct {
		name string
		stmt string
		code string // the SQLSTATE refusing it; empty when allowed (and Verify must find it)
	}{
		{"edit a pending entry's data", `UPDATE audit_entries SET data = '{"code":"999999"}' WHERE seq IS NULL`, "42501"},
		{"integrate with its content changed", forged + `, actor_name = 'mallory' WHERE seq IS NULL`, "42501"},
		{"integrate only its seq", `UPDATE audit_entries SET seq = 4 WHERE seq IS NULL`, "23514"},
		{"integrate an integrated entry again", `UPDATE audit_entries SET seq = 9 WHERE seq = 3`, "42501"},
		{"pending again", `UPDATE audit_entries SET seq = NULL, prev_hash = NULL, hash = NULL WHERE seq = 3`, "42501"},
		{"delete a pending entry", `DELETE FROM audit_entries WHERE seq IS NULL`, "42501"},
		{"integrate with a forged hash", forged + ` WHERE seq IS NULL`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := dbtest.New(t)
			seed(t, db, 3)
			if err := createDistrict(context.Background(), db, admin, "330700", nil); err != nil {
				t.Fatal(err)
			}
			before := entries(t, db)
			err := db.Exec(tt.stmt).Error
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Exec(%q) error = %v, want nil", tt.stmt, err)
				}
				rep, err := audit.Verify(context.Background(), db)
				if err != nil || rep.Broken == nil || rep.Broken.Seq != 4 || !strings.Contains(rep.Broken.Reason, "hash does not match") {
					t.Errorf("Verify() after %s = %+v, %v; want entry 4 broken", tt.name, rep, err)
				}
				return
			}
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != tt.code {
				t.Fatalf("Exec(%q) error = %v, want SQLSTATE %s", tt.stmt, err, tt.code)
			}
			if diff := cmp.Diff(before, entries(t, db)); diff != "" {
				t.Errorf("Exec(%q) changed audit_entries:\n%s", tt.stmt, diff)
			}
			integrate(t, db)
			wantIntact(t, db, 4)
		})
	}
}

// TestHistoryBeforeTheSequencer: a chain written and a head published by the
// code before the sequencer (entries hashed with the formula spelled out
// here, as it was) verifies after the migration, against that head, and
// the chain continues from it.
func TestHistoryBeforeTheSequencer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	gdb, url := dbtest.NewWithURL(t)
	for applied27(t, ctx, url) {
		if err := db.MigrateDown(ctx, url, nil); err != nil {
			t.Fatalf("MigrateDown() error = %v", err)
		}
	}
	prev := audit.Genesis
	for seq := int64(1); seq <= 3; seq++ {
		data := fmt.Sprintf(`{"n":%d}`, seq)
		at := time.Date(2026, 12, 1, 8, 0, 0, int(seq)*1000, time.UTC)
		dig := sha256.Sum256([]byte(data))
		digest := hex.EncodeToString(dig[:])
		actor := int64(7)
		// The old formula, spelled out: SHA-256(previous hash ‖ these fields as JSON).
		canonical, err := json.Marshal(struct {
			Seq        int64  `json:"seq"`
			OccurredAt string `json:"occurred_at"`
			ActorID    *int64 `json:"actor_id"`
			ActorName  string `json:"actor_name"`
			ActorRole  string `json:"actor_role"`
			Action     string `json:"action"`
			EntityType string `json:"entity_type"`
			EntityID   string `json:"entity_id"`
			RequestID  string `json:"request_id"`
			Digest     string `json:"digest"`
		}{seq, at.Format(time.RFC3339Nano), &actor, "admin", "platform_admin", "district.create", "district",
			fmt.Sprint(seq), "req-old", digest})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := hex.DecodeString(prev)
		sum := sha256.Sum256(append(p, canonical...))
		hash := hex.EncodeToString(sum[:])
		if err := gdb.Exec(`INSERT INTO audit_entries (seq, occurred_at, actor_id, actor_name, actor_role, action, entity_type,
			entity_id, request_id, data, digest, prev_hash, hash) VALUES (?, ?, 7, 'admin', 'platform_admin', 'district.create',
			'district', ?, 'req-old', ?, ?, ?, ?)`, seq, at, fmt.Sprint(seq), data, digest, prev, hash).Error; err != nil {
			t.Fatalf("insert old entry %d: %v", seq, err)
		}
		prev = hash
	}
	old := audit.Head{Day: civil.NewDate(2026, 12, 1), Seq: 3, Hash: prev, PublishedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	if err := gdb.Exec(`INSERT INTO audit_heads (day, seq, hash, published_at) VALUES (?, ?, ?, ?)`,
		old.Day, old.Seq, old.Hash, old.PublishedAt).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx, url, nil); err != nil {
		t.Fatalf("Migrate() over the old chain: %v", err)
	}
	if brk, err := audit.CheckHeads(ctx, gdb, []audit.Head{old}); err != nil || brk != nil {
		t.Fatalf("CheckHeads(the head published before) = %v, %v; want it to hold", brk, err)
	}
	wantIntact(t, gdb, 3)
	// The chain goes on from the old head; the old ids are the old seqs.
	if err := createDistrict(ctx, gdb, admin, "330800", nil); err != nil {
		t.Fatal(err)
	}
	integrate(t, gdb)
	got := entries(t, gdb)
	if len(got) != 4 || got[3].ID != 4 || got[3].Seq != 4 || got[3].PrevHash != old.Hash || got[2].ID != 3 {
		t.Errorf("entries after the migration: %+v, want ids and seqs 1 to 4, entry 4 linked to the old head", got)
	}
	wantIntact(t, gdb, 4)
	if brk, err := audit.CheckHeads(ctx, gdb, []audit.Head{old}); err != nil || brk != nil {
		t.Errorf("CheckHeads(the head published before) after new entries = %v, %v; want it to hold", brk, err)
	}
}

// applied27 reports whether the sequencer's migration is applied at url.
func applied27(t *testing.T, ctx context.Context, url string) bool {
	t.Helper()
	status, err := db.Status(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range status {
		if m.Version == 27 {
			return m.Applied
		}
	}
	t.Fatal("migration 27 not found")
	return false
}

// TestMigrationDownRefusesPendingEntries: rolling the sequencer's migration
// back would lose the order of pending entries, so it refuses.
func TestMigrationDownRefusesPendingEntries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	gdb, url := dbtest.NewWithURL(t)
	if err := createDistrict(ctx, gdb, admin, "330900", nil); err != nil {
		t.Fatal(err)
	}
	for applied27(t, ctx, url) {
		if err := db.MigrateDown(ctx, url, nil); err != nil {
			if !strings.Contains(err.Error(), "pending") {
				t.Fatalf("MigrateDown() error = %v, want a refusal naming the pending entries", err)
			}
			if n := count(t, gdb, `SELECT count(*) FROM audit_entries WHERE seq IS NULL`); n != 1 {
				t.Errorf("after the refusal %d pending entries, want 1", n)
			}
			return
		}
	}
	t.Fatal("MigrateDown() rolled the sequencer's migration back over a pending entry")
}

// TestSequencerRetriesQuietly: while its rounds fail (here the table is
// away) the sequencer logs the failure once, not every interval, and when
// they succeed again it says so and integrates what waited.
func TestSequencerRetriesQuietly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	if err := createDistrict(ctx, db, admin, "331000", nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`ALTER TABLE audit_entries RENAME TO audit_entries_away`).Error; err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	run, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		audit.NewSequencer(db, 10*time.Millisecond, 100, slog.New(slog.NewTextHandler(&logs, nil))).Run(run)
	}()
	defer func() { stop(); <-done }()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(30 * time.Second)
		for !ok() {
			select {
			case <-tick.C:
			case <-deadline:
				t.Fatalf("no %s within 30 s; log:\n%s", what, logs.String())
			}
		}
	}
	// Several failed rounds (each a rolled-back transaction): the first is
	// logged, and only it.
	rollbacks := func() int64 {
		return count(t, db, `SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()`)
	}
	before := rollbacks()
	waitFor("failed rounds", func() bool { return logs.writes() >= 1 && rollbacks() >= before+5 })
	if err := db.Exec(`ALTER TABLE audit_entries_away RENAME TO audit_entries`).Error; err != nil {
		t.Fatal(err)
	}
	waitFor("recovery", func() bool { return strings.Contains(logs.String(), "audit sequencer resumed") })
	if n := strings.Count(logs.String(), "audit sequencer: retrying"); n != 1 {
		t.Errorf("the failure was logged %d times, want once; log:\n%s", n, logs.String())
	}
	waitFor("the waiting entry integrated", func() bool {
		return count(t, db, `SELECT count(*) FROM audit_entries WHERE seq IS NULL`) == 0
	})
	wantIntact(t, db, 1)
}

// syncBuffer is a log destination safe for the sequencer's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
	n  int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}
