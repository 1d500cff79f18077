package config_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jiedao-market/jiedao/internal/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func seed(b byte) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(b), 32)))
}

// The committed example must load as it is and equal the built-in defaults, so
// the file documents the real values.
func TestExampleFileMatchesDefaults(t *testing.T) {
	cfg, err := config.Load(env(map[string]string{"JIEDAO_CONFIG": "../../configs/jiedao.yaml"}))
	if err != nil {
		t.Fatalf("Load(configs/jiedao.yaml) error = %v", err)
	}
	if diff := cmp.Diff(config.Default(), cfg, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("configs/jiedao.yaml differs from the defaults (-default +file):\n%s", diff)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	cfg, err := config.Load(env(map[string]string{
		"JIEDAO_CONFIG":         "../../configs/jiedao.yaml",
		"JIEDAO_HTTP_ADDR":      "0.0.0.0:9999",
		"JIEDAO_DATABASE_URL":   "postgres://x@localhost/db",
		"JIEDAO_SECURE_COOKIES": "true",
		"JIEDAO_AUTH_KEYS":      "new:" + seed('a') + ", old:" + seed('b'),
		"JIEDAO_CSRF_SECRET":    seed('c'),
	}))
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if cfg.HTTP.Addr != "0.0.0.0:9999" || cfg.Database.URL != "postgres://x@localhost/db" || cfg.HTTP.SecureCookies == nil || !*cfg.HTTP.SecureCookies {
		t.Errorf("Load() = %+v, want the environment's values", cfg.HTTP)
	}
	if len(cfg.Auth.Keys) != 2 || cfg.Auth.Keys[0].ID != "new" || cfg.Auth.Keys[1].ID != "old" {
		t.Errorf("Keys = %+v, want new then old", cfg.Auth.Keys)
	}
	if err := cfg.RequireSecrets(); err != nil {
		t.Errorf("RequireSecrets() error = %v, want nil", err)
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"missing named file", map[string]string{"JIEDAO_CONFIG": filepath.Join(dir, "nope.yaml")}, "no such file"},
		{"unknown key", map[string]string{"JIEDAO_CONFIG": write("unknown.yaml", "http:\n  adress: x\n")}, "adress"},
		{"access ttl over 15m", map[string]string{"JIEDAO_CONFIG": write("ttl.yaml", "auth:\n  access_ttl: 16m\n")}, "access_ttl"},
		{"weak argon2", map[string]string{"JIEDAO_CONFIG": write("argon.yaml", "auth:\n  argon2:\n    memory_kib: 1024\n")}, "argon2"},
		{"key without id", map[string]string{"JIEDAO_AUTH_KEYS": seed('a')}, "JIEDAO_AUTH_KEYS"},
		{"short key", map[string]string{"JIEDAO_AUTH_KEYS": "k:" + base64.StdEncoding.EncodeToString([]byte("short"))}, "32 bytes"},
		{"duplicate kid", map[string]string{"JIEDAO_AUTH_KEYS": "k:" + seed('a') + ",k:" + seed('b')}, "twice"},
		{"short csrf secret", map[string]string{"JIEDAO_CSRF_SECRET": base64.StdEncoding.EncodeToString([]byte("short"))}, "JIEDAO_CSRF_SECRET"},
		{"bad bool", map[string]string{"JIEDAO_SECURE_COOKIES": "maybe"}, "JIEDAO_SECURE_COOKIES"},
		{"amendment days over 60", map[string]string{"JIEDAO_CONFIG": write("amend.yaml", "tender:\n  amendment_min_days: 61\n")}, "tender.amendment_min_days"},
		{"audit head hour 24", map[string]string{"JIEDAO_CONFIG": write("audithead.yaml", "audit:\n  head_publish_hour: 24\n")}, "audit.head_publish_hour"},
		{"audit sequence interval 1ms", map[string]string{"JIEDAO_CONFIG": write("auditseq.yaml", "audit:\n  sequence_interval: 1ms\n")}, "audit.sequence_interval"},
		{"audit sequence batch 0", map[string]string{"JIEDAO_CONFIG": write("auditbatch.yaml", "audit:\n  sequence_batch: 0\n")}, "audit.sequence_batch"},
		{"negative amendment days", map[string]string{"JIEDAO_CONFIG": write("amendneg.yaml", "tender:\n  amendment_min_days: -1\n")}, "tender.amendment_min_days"},
		{"bidding window over 90", map[string]string{"JIEDAO_CONFIG": write("window.yaml", "tender:\n  min_bidding_days:\n    open_tender: 91\n")}, "tender.min_bidding_days.open_tender"},
		{"negative bidding window", map[string]string{"JIEDAO_CONFIG": write("windowneg.yaml", "tender:\n  min_bidding_days:\n    single_source: -1\n")}, "tender.min_bidding_days.single_source"},
		{"bidding window of an unknown method", map[string]string{"JIEDAO_CONFIG": write("windowkey.yaml", "tender:\n  min_bidding_days:\n    auction: 3\n")}, "tender.min_bidding_days has an unknown purchase method \"auction\""},
		{"ocds prefix not 6 characters", map[string]string{"JIEDAO_CONFIG": write("ocds.yaml", "ocds:\n  prefix: Jie-01\n")}, "ocds.prefix"},
		{"no challenge period", map[string]string{"JIEDAO_CONFIG": write("challenge.yaml", "tender:\n  challenge_days: 0\n")}, "tender.challenge_days"},
		{"sweep under 1s", map[string]string{"JIEDAO_CONFIG": write("sweepfast.yaml", "tender:\n  sweep_interval: 500ms\n")}, "tender.sweep_interval"},
		{"sweep over 1h", map[string]string{"JIEDAO_CONFIG": write("sweepslow.yaml", "tender:\n  sweep_interval: 2h\n")}, "tender.sweep_interval"},
		{"no read timeout", map[string]string{"JIEDAO_CONFIG": write("read0.yaml", "http:\n  read_timeout: 0s\n")}, "http.read_timeout"},
		{"read timeout over 10m", map[string]string{"JIEDAO_CONFIG": write("readslow.yaml", "http:\n  read_timeout: 11m\n")}, "http.read_timeout"},
		{"read buffer under 4 KiB", map[string]string{"JIEDAO_CONFIG": write("bufsmall.yaml", "http:\n  read_buffer_bytes: 1024\n")}, "http.read_buffer_bytes"},
		{"public max age over 1h", map[string]string{"JIEDAO_CONFIG": write("maxage.yaml", "http:\n  public_max_age: 2h\n")}, "http.public_max_age"},
		{"public cache over 1m", map[string]string{"JIEDAO_CONFIG": write("micro.yaml", "http:\n  public_cache: 2m\n")}, "http.public_cache"},
		{"pprof without metrics", map[string]string{"JIEDAO_PPROF": "true", "JIEDAO_METRICS_ADDR": "off"}, "http.pprof"},
		{"bad pprof bool", map[string]string{"JIEDAO_PPROF": "maybe"}, "JIEDAO_PPROF"},
		{"no public minimum", map[string]string{"JIEDAO_CONFIG": write("ratemin.yaml", "rating:\n  public_minimum: 0\n")}, "public_minimum"},
		{"negative prior weight", map[string]string{"JIEDAO_CONFIG": write("rateprior.yaml", "rating:\n  prior_weight: -1\n")}, "prior_weight"},
		{"no wrong codes", map[string]string{"JIEDAO_CONFIG": write("ratewrong.yaml", "rating:\n  wrong_codes_per_minute: 0\n")}, "wrong_codes_per_minute"},
		{"gap over 4 stars", map[string]string{"JIEDAO_CONFIG": write("rategap.yaml", "rating:\n  gap_stars: 4.5\n")}, "gap_stars"},
		{"read buffer over 1 MiB", map[string]string{"JIEDAO_CONFIG": write("bufbig.yaml", "http:\n  read_buffer_bytes: 2097152\n")}, "http.read_buffer_bytes"},
		{"red flags at hour 24", map[string]string{"JIEDAO_CONFIG": write("flaghour.yaml", "redflags:\n  hour: 24\n")}, "redflags"},
		{"repeat winner share over 100", map[string]string{"JIEDAO_CONFIG": write("flagshare.yaml", "redflags:\n  repeat_winner_percent: 101\n")}, "redflags"},
		{"red flag check under 1m", map[string]string{"JIEDAO_CONFIG": write("flagcheck.yaml", "redflags:\n  check_interval: 30s\n")}, "redflags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env["JIEDAO_CONFIG"] == "" {
				tt.env["JIEDAO_CONFIG"] = "../../configs/jiedao.yaml"
			}
			_, err := config.Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load() error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestRequireSecretsNamesWhatIsMissing(t *testing.T) {
	err := config.Default().RequireSecrets()
	for _, name := range []string{"JIEDAO_DATABASE_URL", "JIEDAO_AUTH_KEYS", "JIEDAO_CSRF_SECRET"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("RequireSecrets() error = %v, want it to name %s", err, name)
		}
	}
}

func TestDurationsParse(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte("auth:\n  access_ttl: 5m\n  login_throttle:\n    window: 1h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(env(map[string]string{"JIEDAO_CONFIG": p}))
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if cfg.Auth.AccessTTL != 5*time.Minute || cfg.Auth.Throttle.Window != time.Hour {
		t.Errorf("AccessTTL, Window = %v, %v; want 5m, 1h", cfg.Auth.AccessTTL, cfg.Auth.Throttle.Window)
	}
}

func TestSealKey(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	cfg, err := config.Load(env(map[string]string{
		"JIEDAO_CONFIG":   "../../configs/jiedao.yaml",
		"JIEDAO_SEAL_KEY": base64.StdEncoding.EncodeToString(key),
	}))
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if string(cfg.Tender.SealKey) != string(key) {
		t.Errorf("SealKey = %x, want %x", cfg.Tender.SealKey, key)
	}
	if err := cfg.Tender.RequireSealKey(); err != nil {
		t.Errorf("RequireSealKey() error = %v, want nil", err)
	}
}

func TestSealKeyRefusals(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"not base64", "this-is-not-base64!secret-value"},
		{"URL encoding", base64.URLEncoding.EncodeToString(bytes32(0xfb))},
		{"31 bytes", base64.StdEncoding.EncodeToString(bytes32(1)[:31])},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(bytes32(1), 1))},
		{"16 bytes", base64.StdEncoding.EncodeToString(bytes32(1)[:16])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(map[string]string{
				"JIEDAO_CONFIG":   "../../configs/jiedao.yaml",
				"JIEDAO_SEAL_KEY": tt.value,
			}))
			const want = "config: JIEDAO_SEAL_KEY must be base64 of 32 bytes"
			if err == nil || err.Error() != want {
				t.Fatalf("Load() error = %v, want %q", err, want)
			}
			if strings.Contains(err.Error(), tt.value) {
				t.Errorf("Load() error = %q, want it not to contain the value", err)
			}
		})
	}
}

// bytes32 returns 32 bytes of b.
func bytes32(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestRequireSealKey(t *testing.T) {
	err := config.Default().Tender.RequireSealKey()
	if err == nil || !strings.Contains(err.Error(), "JIEDAO_SEAL_KEY") || !strings.Contains(err.Error(), ".data/jiedao.env") {
		t.Errorf("RequireSealKey() without a key: error = %v, want one naming JIEDAO_SEAL_KEY and .data/jiedao.env", err)
	}
}

func TestTenderDefaults(t *testing.T) {
	got := config.Default().Tender
	want := config.Tender{AmendmentMinDays: 3, ChallengeDays: 5, SweepInterval: time.Minute,
		MinBiddingDays: map[string]int{"open_tender": 20, "invited_tender": 20, "single_source": 7, "venture_philanthropy": 10}}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Default().Tender differs (-want +got):\n%s", diff)
	}
}

func TestTenderYAMLKeys(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	body := "tender:\n  amendment_min_days: 0\n  challenge_days: 10\n  sweep_interval: 30s\n  min_bidding_days:\n    single_source: 5\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(env(map[string]string{"JIEDAO_CONFIG": p}))
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	// A method the file leaves out keeps its default.
	want := config.Tender{AmendmentMinDays: 0, ChallengeDays: 10, SweepInterval: 30 * time.Second,
		MinBiddingDays: map[string]int{"open_tender": 20, "invited_tender": 20, "single_source": 5, "venture_philanthropy": 10}}
	if diff := cmp.Diff(want, cfg.Tender, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Tender from YAML differs (-want +got):\n%s", diff)
	}
	// The key is never read from the file.
	p2 := filepath.Join(t.TempDir(), "key.yaml")
	if err := os.WriteFile(p2, []byte("tender:\n  seal_key: "+seed('k')+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(env(map[string]string{"JIEDAO_CONFIG": p2})); err == nil || !strings.Contains(err.Error(), "seal_key") {
		t.Errorf("Load() of a file with tender.seal_key: error = %v, want one naming seal_key", err)
	}
}

// Cookies are Secure when secure_cookies says so, and, when it is unset, when
// the site is served over HTTPS.
func TestSecureCookiesFollowPublicURL(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	for _, tt := range []struct {
		url    string
		secure *bool
		want   bool
	}{{"https://jiedao.example", nil, true}, {"HTTPS://JIEDAO.EXAMPLE", nil, true}, {"http://127.0.0.1:8080", nil, false},
		{"https://jiedao.example", &no, false}, {"http://127.0.0.1:8080", &yes, true}} {
		h := config.HTTP{PublicURL: tt.url, SecureCookies: tt.secure}
		if got := h.Secure(); got != tt.want {
			t.Errorf("HTTP{PublicURL: %q, SecureCookies: %v}.Secure() = %v, want %v", tt.url, tt.secure, got, tt.want)
		}
	}
}

func TestRatingKey(t *testing.T) {
	key := bytes32(7)
	cfg, err := config.Load(env(map[string]string{
		"JIEDAO_CONFIG":     "../../configs/jiedao.yaml",
		"JIEDAO_RATING_KEY": base64.StdEncoding.EncodeToString(key),
	}))
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if !bytes.Equal(cfg.Rating.CodeKey, key) {
		t.Errorf("Rating.CodeKey = %x, want %x", cfg.Rating.CodeKey, key)
	}
	if err := cfg.Rating.RequireCodeKey(); err != nil {
		t.Errorf("RequireCodeKey() error = %v, want nil", err)
	}
	for _, bad := range []string{"not base64!", base64.StdEncoding.EncodeToString(key[:31])} {
		_, err := config.Load(env(map[string]string{"JIEDAO_CONFIG": "../../configs/jiedao.yaml", "JIEDAO_RATING_KEY": bad}))
		const want = "config: JIEDAO_RATING_KEY must be base64 of 32 bytes"
		if err == nil || err.Error() != want {
			t.Errorf("Load() with JIEDAO_RATING_KEY %q: error = %v, want %q", bad, err, want)
		}
	}
	err = config.Default().Rating.RequireCodeKey()
	if err == nil || !strings.Contains(err.Error(), "JIEDAO_RATING_KEY") || !strings.Contains(err.Error(), ".data/jiedao.env") {
		t.Errorf("RequireCodeKey() without a key: error = %v, want one naming JIEDAO_RATING_KEY and .data/jiedao.env", err)
	}
}

func TestServiceRequestOverdueHours(t *testing.T) {
	if got := config.Default().ServiceRequest.OverdueHours; got != 72 {
		t.Errorf("Default().ServiceRequest.OverdueHours = %d, want 72", got)
	}
	for _, tt := range []struct {
		hours string
		want  int
		ok    bool
	}{{"24", 24, true}, {"720", 720, true}, {"0", 0, false}, {"721", 0, false}} {
		p := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(p, []byte("service_request:\n  overdue_hours: "+tt.hours+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(env(map[string]string{"JIEDAO_CONFIG": p}))
		switch {
		case tt.ok && err != nil:
			t.Errorf("Load(overdue_hours: %s) error = %v, want nil", tt.hours, err)
		case tt.ok && cfg.ServiceRequest.OverdueHours != tt.want:
			t.Errorf("Load(overdue_hours: %s) = %d, want %d", tt.hours, cfg.ServiceRequest.OverdueHours, tt.want)
		case !tt.ok && (err == nil || !strings.Contains(err.Error(), "service_request.overdue_hours")):
			t.Errorf("Load(overdue_hours: %s) error = %v, want one naming service_request.overdue_hours", tt.hours, err)
		}
	}
}

func TestComplaintTimeLimits(t *testing.T) {
	if got, want := config.Default().Complaint, (config.Complaint{FirstResponse: 24 * time.Hour, Decision: 7 * 24 * time.Hour}); got != want {
		t.Errorf("Default().Complaint = %+v, want %+v", got, want)
	}
	for _, tc := range []struct {
		name, body string
		want       config.Complaint
		wantErr    string
	}{
		{name: "set", body: "complaint:\n  first_response: 12h\n  decision: 240h\n", want: config.Complaint{FirstResponse: 12 * time.Hour, Decision: 240 * time.Hour}},
		{name: "first response too short", body: "complaint:\n  first_response: 30m\n", wantErr: "complaint.first_response"},
		{name: "decision before first response", body: "complaint:\n  first_response: 48h\n  decision: 24h\n", wantErr: "complaint.decision"},
		{name: "decision too long", body: "complaint:\n  decision: 2400h\n", wantErr: "complaint.decision"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(env(map[string]string{"JIEDAO_CONFIG": p}))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Load() error = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			if cfg.Complaint != tc.want {
				t.Errorf("Complaint from YAML = %+v, want %+v", cfg.Complaint, tc.want)
			}
		})
	}
}

// The read replica comes from the environment and is off by default.
func TestReplicaURLFromEnvironment(t *testing.T) {
	cfg, err := config.Load(env(map[string]string{"JIEDAO_CONFIG": "../../configs/jiedao.yaml"}))
	if err != nil || cfg.Database.ReplicaURL != "" {
		t.Fatalf("Load() replica_url = %q, %v, want empty (no replica)", cfg.Database.ReplicaURL, err)
	}
	cfg, err = config.Load(env(map[string]string{"JIEDAO_CONFIG": "../../configs/jiedao.yaml",
		"JIEDAO_DATABASE_REPLICA_URL": "postgres://x@replica/db"}))
	if err != nil || cfg.Database.ReplicaURL != "postgres://x@replica/db" {
		t.Errorf("Load() replica_url = %q, %v, want the environment's", cfg.Database.ReplicaURL, err)
	}
}
