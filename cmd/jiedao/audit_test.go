package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// TestAuditVerifyAgainstPublishedHeads is the acceptance test of the
// published chain head: a head published yesterday detects a rewritten entry
// today, even when the forger recomputed every later hash so that the chain
// alone verifies.
func TestAuditVerifyAgainstPublishedHeads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	gdb, dbURL := dbtest.NewWithURL(t)
	env := testEnv(dbURL)
	by := access.Actor{UserID: 0, Username: "officer", Role: access.ProcurementOfficer, RequestID: "req-1"}
	record := func(code string) {
		t.Helper()
		if err := gdb.Transaction(func(tx *gorm.DB) error {
			return audit.Record(tx, by, "district.create", "district", code, map[string]any{"code": code})
		}); err != nil {
			t.Fatal(err)
		}
	}
	record("330501")
	record("330502")
	yesterday := time.Now().Add(-24 * time.Hour)
	if _, _, err := audit.PublishHead(ctx, gdb, yesterday); err != nil {
		t.Fatal(err)
	}
	heads, err := audit.Heads(ctx, gdb)
	if err != nil || len(heads) != 1 || heads[0].Seq != 3 {
		t.Fatalf("Heads() = %+v, %v, want yesterday's, at entry 3", heads, err)
	}
	dir := t.TempDir()
	list := filepath.Join(dir, "heads.json")
	writeJSON(t, list, heads)
	single := filepath.Join(dir, "head.json")
	writeJSON(t, single, heads[0])
	record("330503") // today's work
	record("330504")
	if _, err := audit.IntegrateAll(ctx, gdb); err != nil {
		t.Fatal(err)
	}

	for _, file := range []string{list, single} {
		out := mustRun(t, env, "audit", "verify", "--against", file).stdout
		if !strings.Contains(out, "audit chain intact: 5 entries") || !strings.Contains(out, "published heads hold: all 1 in") {
			t.Errorf("audit verify --against %s of an untouched chain = %q, want intact and the head held", filepath.Base(file), out)
		}
	}

	// The forger lifts the table's protection, rewrites entry 2 and
	// recomputes every later hash.
	forge(t, gdb, 2, `{"code":"999999"}`)
	if out := mustRun(t, env, "audit", "verify").stdout; !strings.Contains(out, "audit chain intact: 5 entries") {
		t.Fatalf("audit verify of the forged chain = %q, want intact: the forger recomputed the hashes", out)
	}
	r := runCmd(t, env, "audit", "verify", "--against", list)
	if got := exitStatus(r.err); got != 1 {
		t.Errorf("audit verify --against of the forged chain: exit status %d (error %v), want 1", got, r.err)
	}
	want := "entry 3: no longer has the hash published on " + heads[0].Day.String() + ": history was rewritten"
	if !strings.Contains(r.stdout, "CONTRADICTS a published head: "+want) {
		t.Errorf("audit verify --against of the forged chain = %q, want %q", r.stdout, want)
	}
}

func TestAuditVerifyAgainstBadFiles(t *testing.T) {
	t.Parallel()
	_, dbURL := dbtest.NewWithURL(t)
	env := testEnv(dbURL)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args []string
		text string
	}{
		{"no such file", []string{"audit", "verify", "--against", filepath.Join(dir, "nope.json")}, "no such file"},
		{"not JSON", []string{"audit", "verify", "--against", write("text.json", "hello")}, "not a list of heads"},
		{"head without a hash", []string{"audit", "verify", "--against", write("nohash.json", `[{"day":"2026-12-04","seq":3}]`)}, "head 1 lacks"},
		{"flag without a file", []string{"audit", "verify", "--against"}, "jiedao audit verify [--against FILE]"},
		{"extra argument", []string{"audit", "verify", "now"}, "jiedao audit verify [--against FILE]"},
	}
	for _, tt := range tests {
		r := runCmd(t, env, tt.args...)
		if got := exitStatus(r.err); got != 1 || !strings.Contains(errText(r.err), tt.text) {
			t.Errorf("%s: jiedao %s: exit status %d, error %v, want 1 and %q", tt.name, strings.Join(tt.args, " "), got, r.err, tt.text)
		}
	}
	if out := mustRun(t, nil, "help").stdout; !strings.Contains(out, "[--against FILE]") {
		t.Errorf("help = %q, want audit verify's --against", out)
	}
	// An empty list holds trivially.
	if out := mustRun(t, env, "audit", "verify", "--against", write("empty.json", "[]")).stdout; !strings.Contains(out, "all 0") {
		t.Errorf("audit verify --against an empty list = %q, want it to hold", out)
	}
}

// TestAuditVerifyStalled: an entry left pending longer than --max-pending
// (a minute by default) means no sequencer runs, and verify fails saying so;
// a fresh pending entry is only counted.
func TestAuditVerifyStalled(t *testing.T) {
	t.Parallel()
	gdb, dbURL := dbtest.NewWithURL(t)
	env := testEnv(dbURL)
	by := access.SystemActor("test", "")
	if err := gdb.Transaction(func(tx *gorm.DB) error {
		return audit.Record(tx, by, "district.create", "district", 1, nil)
	}); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, env, "audit", "verify").stdout; !strings.Contains(out, "audit chain intact: 0 entries") ||
		!strings.Contains(out, "1 entries pending integration") {
		t.Errorf("audit verify with a fresh pending entry = %q, want intact and 1 pending", out)
	}
	// An entry recorded two minutes ago and never integrated.
	if err := gdb.Exec(`INSERT INTO audit_entries (occurred_at, actor_name, actor_role, action, entity_type, entity_id, data, digest)
		SELECT now() - interval '2 minutes', actor_name, actor_role, action, entity_type, '2', data, digest FROM audit_entries`).Error; err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, env, "audit", "verify")
	if got := exitStatus(r.err); got != 1 || !strings.Contains(r.stdout, "STALLED") || !strings.Contains(r.stdout, "no sequencer is running") {
		t.Errorf("audit verify with a 2-minute-old pending entry: exit status %d, output %q; want 1 and STALLED", got, r.stdout)
	}
	if out := mustRun(t, env, "audit", "verify", "--max-pending", "1h").stdout; !strings.Contains(out, "2 entries pending integration") {
		t.Errorf("audit verify --max-pending 1h = %q, want it to pass and count 2 pending", out)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// forge rewrites entry seq's data as the owner of the database can, and
// recomputes the digest and every hash from it on, with the published
// algorithm (SHA-256 of the previous hash and the canonical entry).
func forge(t *testing.T, gdb *gorm.DB, seq int64, data string) {
	t.Helper()
	if err := gdb.Exec(`ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete`).Error; err != nil {
		t.Fatal(err)
	}
	var rows []audit.Entry
	if err := gdb.Order("seq").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	prev := rows[seq-2].Hash
	for _, e := range rows[seq-1:] {
		if e.Seq == seq {
			sum := sha256.Sum256([]byte(data))
			e.Data, e.Digest = data, hex.EncodeToString(sum[:])
		}
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
		}{e.Seq, e.OccurredAt.UTC().Format(time.RFC3339Nano), e.ActorID, e.ActorName, e.ActorRole,
			e.Action, e.EntityType, e.EntityID, e.RequestID, e.Digest})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := hex.DecodeString(prev)
		h := sha256.New()
		h.Write(p)
		h.Write(canonical)
		e.PrevHash, e.Hash = prev, hex.EncodeToString(h.Sum(nil))
		if err := gdb.Exec(`UPDATE audit_entries SET data = ?, digest = ?, prev_hash = ?, hash = ? WHERE seq = ?`,
			e.Data, e.Digest, e.PrevHash, e.Hash, e.Seq).Error; err != nil {
			t.Fatal(err)
		}
		prev = e.Hash
	}
}

// TestServePublishesTheDaysHead: serve's head job runs at start and, the
// hour (0 here) being past, publishes the day's head.
func TestServePublishesTheDaysHead(t *testing.T) {
	t.Parallel()
	gdb, dbURL := dbtest.NewWithURL(t)
	yaml, err := os.ReadFile("../../configs/jiedao.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(yaml), "head_publish_hour: 1\n") {
		t.Fatal("configs/jiedao.yaml has no head_publish_hour: 1")
	}
	cfgFile := filepath.Join(t.TempDir(), "jiedao.yaml")
	if err := os.WriteFile(cfgFile, []byte(strings.Replace(string(yaml), "head_publish_hour: 1\n", "head_publish_hour: 0\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := serveEnv(t, dbURL, cfgFile)
	stderr, stop := startServe(t, env)
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	deadline := time.After(30 * time.Second)
	for count(t, gdb, "audit_heads") != 1 {
		select {
		case <-poll.C:
		case <-deadline:
			t.Fatalf("no head published within 30 s of serving; log:\n%s", stderr.String())
		}
	}
	stop()
	// Serving also ran the other jobs' catch-up (the red flags' run is
	// audited too): the chain holds the head's entry among them, intact.
	var heads int64
	if err := gdb.Raw(`SELECT count(*) FROM audit_entries WHERE action = 'audit.head_publish'`).Scan(&heads).Error; err != nil || heads != 1 {
		t.Errorf("audit.head_publish entries = %d (%v), want 1", heads, err)
	}
	// An entry a job committed after the sequencer's last round is still
	// pending; verify counts the integrated ones.
	var integrated int64
	if err := gdb.Raw(`SELECT count(*) FROM audit_entries WHERE seq IS NOT NULL`).Scan(&integrated).Error; err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("audit chain intact: %d entries", integrated)
	if out := mustRun(t, env, "audit", "verify").stdout; !strings.Contains(out, want) {
		t.Errorf("audit verify after the head job = %q, want %q", out, want)
	}
}
