package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/config"
)

func TestMailIsOffWithoutHostAndReadsItsSecretFromTheEnvironment(t *testing.T) {
	cfg, err := config.Load(env(map[string]string{"JIEDAO_CONFIG": "../../configs/jiedao.yaml"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mail.Enabled() {
		t.Error("Mail.Enabled() = true by default, want false (no host)")
	}
	cfg, err = config.Load(env(map[string]string{"JIEDAO_CONFIG": "../../configs/jiedao.yaml",
		"JIEDAO_MAIL_HOST": "smtp.example.cn", "JIEDAO_MAIL_PASSWORD": "s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Mail.Enabled() || cfg.Mail.Host != "smtp.example.cn" || cfg.Mail.Password != "s3cret" {
		t.Errorf("Mail = %+v, want the host and the password from the environment", cfg.Mail)
	}
	p := filepath.Join(t.TempDir(), "password.yaml")
	if err := os.WriteFile(p, []byte("mail:\n  password: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(env(map[string]string{"JIEDAO_CONFIG": p})); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("Load() with mail.password in the file error = %v, want it refused", err)
	}
}

func TestMailRefusals(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ name, yaml, want string }{
		{"unknown tls mode", "mail:\n  tls: ssl\n", "mail.tls"},
		{"port 0", "mail:\n  port: 0\n", "mail.port"},
		{"sender not an address", "mail:\n  from: jiedao\n", "mail.from"},
		{"no attempts", "mail:\n  max_attempts: 0\n", "mail.max_attempts"},
		{"reset link over a day", "mail:\n  reset_ttl: 25h\n", "mail.reset_ttl"},
		{"digest hour 24", "mail:\n  digest_hour: 24\n", "mail.digest_hour"},
		{"reminders checked every second", "mail:\n  remind_interval: 1s\n", "mail.remind_interval"},
		{"reminder a week ahead", "mail:\n  remind_before: 168h\n", "mail.remind_before"},
		{"verify link under 10m", "mail:\n  verify_ttl: 1m\n", "mail.verify_ttl"},
		{"no reset limit", "mail:\n  reset_max_per_address: 0\n", "mail.reset_window"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".yaml")
			if err := os.WriteFile(p, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := config.Load(env(map[string]string{"JIEDAO_CONFIG": p})); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load() error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
