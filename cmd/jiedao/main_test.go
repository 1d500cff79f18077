package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// testEnv is the environment of one run: the repository's configuration file
// and the test's database.
func testEnv(dbURL string) map[string]string {
	return map[string]string{
		"JIEDAO_CONFIG":        "../../configs/jiedao.yaml",
		"JIEDAO_DATABASE_URL":  dbURL,
		"JIEDAO_DEMO_PASSWORD": "demo-password-for-cli-tests",
		"JIEDAO_LOG_LEVEL":     "error",
		"JIEDAO_HTTP_ADDR":     "127.0.0.1:0", // should serve ever start
		"JIEDAO_SEAL_KEY":      testKey(9),
		"JIEDAO_RATING_KEY":    testKey(10),
	}
}

// testKey is base64 of 32 bytes of b, the form of JIEDAO_CSRF_SECRET and JIEDAO_SEAL_KEY.
func testKey(b byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
}

// result is what one run of the command did.
type result struct {
	stdout, stderr string
	err            error
}

// runCmd runs the command with args and the environment env.
func runCmd(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, args, func(k string) string { return env[k] }, &stdout, &stderr)
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustRun runs the command and fails the test when it returns an error.
func mustRun(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	r := runCmd(t, env, args...)
	if r.err != nil {
		t.Fatalf("jiedao %s: error = %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r
}

// exitStatus returns the exit status main gives err.
func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	var ec exitCode
	if errors.As(err, &ec) {
		return int(ec)
	}
	return 1
}

func count(t *testing.T, gdb *gorm.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := gdb.Table(table).Count(&n).Error; err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestMigrateStatus(t *testing.T) {
	t.Parallel()
	_, dbURL := dbtest.NewWithURL(t)
	env := testEnv(dbURL)
	out := mustRun(t, env, "migrate", "status").stdout
	if !strings.Contains(out, "00001_foundation.sql") {
		t.Errorf("migrate status = %q, want it to list 00001_foundation.sql", out)
	}
	if strings.Contains(out, "pending") {
		t.Errorf("migrate status = %q, want every migration applied", out)
	}
	if out := mustRun(t, env, "migrate", "up").stdout; !strings.Contains(out, "applied 0 migration(s)") {
		t.Errorf("migrate up on a migrated database = %q, want 0 applied", out)
	}
	if r := runCmd(t, env, "migrate", "sideways"); r.err == nil {
		t.Errorf("migrate sideways: error = nil, want an unknown-command error")
	}
}

func TestSeedAndAuditVerify(t *testing.T) {
	t.Parallel()
	gdb, dbURL := dbtest.NewWithURL(t)
	env := testEnv(dbURL)
	env["JIEDAO_UPLOADS_DIR"] = t.TempDir() // the demo organizations' invoices

	first := mustRun(t, env, "seed", "--demo").stdout
	if !strings.Contains(first, "demo data ready (13 new account(s))") || !strings.Contains(first, "demo-officer") ||
		!strings.Contains(first, "demo-evaluator3") || !strings.Contains(first, "demo-org3") || !strings.Contains(first, env["JIEDAO_DEMO_PASSWORD"]) {
		t.Errorf("first seed --demo = %q, want 13 new accounts, the logins and the password", first)
	}
	tables := []string{"users", "communities", "subdistricts", "organizations", "tenders", "audit_entries"}
	before := map[string]int64{}
	for _, table := range tables {
		before[table] = count(t, gdb, table)
	}
	if before["users"] != 13 || before["communities"] != 5 || before["tenders"] != 13 {
		t.Errorf("after seeding: %d users, %d communities, %d tenders, want 13, 5 and 13", before["users"], before["communities"], before["tenders"])
	}
	if n := count(t, gdb, "organization_documents"); n == 0 {
		t.Errorf("after seeding: no organization documents, want the demo's invoices")
	}

	second := mustRun(t, env, "seed", "--demo").stdout
	if !strings.Contains(second, "demo data ready (0 new account(s))") {
		t.Errorf("second seed --demo = %q, want 0 new accounts", second)
	}
	for _, table := range tables {
		if n := count(t, gdb, table); n != before[table] {
			t.Errorf("%s rows after the second seed = %d, want %d", table, n, before[table])
		}
	}
	if !strings.Contains(second, "E-mail: off") {
		t.Errorf("seed --demo without mail.host = %q, want it to say e-mail is off", second)
	}
	if !strings.Contains(second, "Password (JIEDAO_DEMO_PASSWORD): "+env["JIEDAO_DEMO_PASSWORD"]) {
		t.Errorf("second seed --demo = %q, want the password, which still opens the accounts", second)
	}
	// Another password cannot be announced: the accounts keep theirs.
	other := map[string]string{}
	for k, v := range env {
		other[k] = v
	}
	other["JIEDAO_DEMO_PASSWORD"] = "another-password-123"
	if third := mustRun(t, other, "seed", "--demo").stdout; strings.Contains(third, "another-password-123") ||
		!strings.Contains(third, "keep the password they were created with") {
		t.Errorf("seed --demo with another password = %q, want it to say the accounts keep theirs", third)
	}
	if r := runCmd(t, env, "seed"); r.err == nil {
		t.Errorf("seed without --demo: error = nil, want one")
	}

	if out := mustRun(t, env, "audit", "verify").stdout; !strings.Contains(out, "intact") {
		t.Errorf("audit verify = %q, want intact", out)
	}

	// The table refuses edits by itself.
	err := gdb.Exec(`UPDATE audit_entries SET actor_name = 'mallory' WHERE seq = 3`).Error
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("UPDATE audit_entries: error = %v, want the append-only refusal", err)
	}
	if err := gdb.Exec(`DELETE FROM audit_entries WHERE seq = 3`).Error; err == nil {
		t.Fatalf("DELETE FROM audit_entries: error = nil, want the append-only refusal")
	}
	if out := mustRun(t, env, "audit", "verify").stdout; !strings.Contains(out, "intact") {
		t.Errorf("audit verify after refused edits = %q, want intact", out)
	}

	// The owner can disable the trigger; the chain still shows the edit.
	if err := gdb.Exec(`ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete`).Error; err != nil {
		t.Fatal(err)
	}
	if err := gdb.Exec(`UPDATE audit_entries SET actor_name = 'mallory' WHERE seq = 3`).Error; err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, env, "audit", "verify")
	if got := exitStatus(r.err); got != 1 {
		t.Errorf("audit verify of an edited chain: exit status %d (error %v), want 1", got, r.err)
	}
	if !strings.Contains(r.stdout, "BROKEN at entry 3:") || !strings.Contains(r.stdout, "2 entries verified before it") {
		t.Errorf("audit verify of an edited chain = %q, want it to name entry 3", r.stdout)
	}
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
	_, dbURL := dbtest.NewWithURL(t)
	env := testEnv(dbURL)

	if out := mustRun(t, nil, "version").stdout; !strings.HasPrefix(out, "jiedao") {
		t.Errorf("version = %q, want it to start with jiedao", out)
	}
	if out := mustRun(t, nil, "help").stdout; !strings.Contains(out, "usage: jiedao") {
		t.Errorf("help = %q, want the usage", out)
	}

	tests := []struct {
		name string
		args []string
		env  map[string]string
		want int    // exit status
		text string // in the error or on stderr
		not  string // not in the error
	}{
		{name: "no command", env: env, want: 2, text: "usage: jiedao"},
		{name: "unknown command", args: []string{"frobnicate"}, env: env, want: 2, text: "usage: jiedao"},
		{name: "serve without signing keys", args: []string{"serve"}, env: withEnv(env, "JIEDAO_CSRF_SECRET", testKey(7)), want: 1, text: "JIEDAO_AUTH_KEYS", not: "JIEDAO_CSRF_SECRET"},
		{name: "serve without any secret", args: []string{"serve"}, env: env, want: 1, text: "JIEDAO_CSRF_SECRET"},
		{name: "serve without a seal key", args: []string{"serve"}, env: withEnv(withEnv(withEnv(env, "JIEDAO_SEAL_KEY", ""), "JIEDAO_CSRF_SECRET", testKey(7)), "JIEDAO_AUTH_KEYS", "k:"+testKey(8)), want: 1, text: "JIEDAO_SEAL_KEY is not set"},
		{name: "serve without a rating key", args: []string{"serve"}, env: withEnv(withEnv(withEnv(env, "JIEDAO_RATING_KEY", ""), "JIEDAO_CSRF_SECRET", testKey(7)), "JIEDAO_AUTH_KEYS", "k:"+testKey(8)), want: 1, text: "JIEDAO_RATING_KEY is not set"},
		{name: "seed without a seal key", args: []string{"seed", "--demo"}, env: withEnv(env, "JIEDAO_SEAL_KEY", ""), want: 1, text: "JIEDAO_SEAL_KEY is not set"},
		{name: "bad seal key", args: []string{"serve"}, env: withEnv(env, "JIEDAO_SEAL_KEY", "c2hvcnQ="), want: 1, text: "JIEDAO_SEAL_KEY must be base64 of 32 bytes", not: "c2hvcnQ="},
		{name: "migrate without a database", args: []string{"migrate", "status"}, env: withEnv(env, "JIEDAO_DATABASE_URL", ""), want: 1, text: "JIEDAO_DATABASE_URL"},
		{name: "audit without verify", args: []string{"audit"}, env: env, want: 1, text: "audit verify"},
		{name: "bench without a subcommand", args: []string{"bench"}, env: env, want: 1, text: "usage: jiedao bench"},
		{name: "bench run without a scale", args: []string{"bench", "run"}, env: env, want: 2, text: "usage: jiedao bench run"},
		{name: "bench run with a bad duration", args: []string{"bench", "run", "--scale", "1", "--duration", "0s"}, env: env, want: 2, text: "--duration at least 1s"},
		{name: "missing configuration file", args: []string{"migrate", "status"}, env: withEnv(env, "JIEDAO_CONFIG", "no-such-file.yaml"), want: 1, text: "no-such-file.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, tt.env, tt.args...)
			if got := exitStatus(r.err); got != tt.want {
				t.Errorf("jiedao %s: exit status %d (error %v), want %d", strings.Join(tt.args, " "), got, r.err, tt.want)
			}
			if msg := r.stderr + errText(r.err); !strings.Contains(msg, tt.text) {
				t.Errorf("jiedao %s: error %q, stderr %q, want them to mention %q", strings.Join(tt.args, " "), errText(r.err), r.stderr, tt.text)
			}
			if tt.not != "" && strings.Contains(errText(r.err), tt.not) {
				t.Errorf("jiedao %s: error %q, want it not to mention %q", strings.Join(tt.args, " "), errText(r.err), tt.not)
			}
		})
	}
}

// withEnv returns a copy of env with key set to value.
func withEnv(env map[string]string, key, value string) map[string]string {
	out := make(map[string]string, len(env)+1)
	for k, v := range env {
		out[k] = v
	}
	out[key] = value
	return out
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
