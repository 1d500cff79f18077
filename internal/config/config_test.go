package config_test

import (
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
	if cfg.HTTP.Addr != "0.0.0.0:9999" || cfg.Database.URL != "postgres://x@localhost/db" || !cfg.HTTP.SecureCookies {
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
