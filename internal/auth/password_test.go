package auth_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/config"
)

// cheap keeps the tests fast; production parameters come from the config.
var cheap = config.Argon2{MemoryKiB: 8192, Iterations: 1, Parallelism: 1}

func TestPasswordRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		password string
	}{
		{"ascii", "correct horse battery staple"},
		{"chinese", "街道社区服务2026"},
		{"empty", ""},
		{"long", strings.Repeat("p", 1000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hash, err := auth.HashPassword(tt.password, cheap)
			if err != nil {
				t.Fatalf("HashPassword() error = %v, want nil", err)
			}
			if prefix := "$argon2id$v=19$m=8192,t=1,p=1$"; !strings.HasPrefix(hash, prefix) {
				t.Errorf("HashPassword() = %q, want the prefix %q", hash, prefix)
			}
			if strings.Contains(hash, tt.password) && tt.password != "" {
				t.Errorf("HashPassword() = %q contains the password", hash)
			}
			ok, err := auth.CheckPassword(hash, tt.password)
			if err != nil || !ok {
				t.Errorf("CheckPassword(right password) = %v, %v; want true, nil", ok, err)
			}
			for _, wrong := range []string{tt.password + "x", strings.ToUpper(tt.password) + "!", " " + tt.password} {
				ok, err := auth.CheckPassword(hash, wrong)
				if err != nil || ok {
					t.Errorf("CheckPassword(%q) = %v, %v; want false, nil", wrong, ok, err)
				}
			}
		})
	}
}

func TestHashPasswordSalts(t *testing.T) {
	t.Parallel()
	a, err := auth.HashPassword("same", cheap)
	if err != nil {
		t.Fatal(err)
	}
	b, err := auth.HashPassword("same", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("HashPassword() twice = %q both times, want different salts", a)
	}
}

// TestCheckPasswordParameters checks that a hash is verified with the parameters
// it carries, not the current configuration.
func TestCheckPasswordParameters(t *testing.T) {
	t.Parallel()
	other := config.Argon2{MemoryKiB: 4096, Iterations: 2, Parallelism: 2}
	hash, err := auth.HashPassword("s3cret", other)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(hash, "$m=4096,t=2,p=2$") {
		t.Errorf("HashPassword() = %q, want m=4096,t=2,p=2", hash)
	}
	if ok, err := auth.CheckPassword(hash, "s3cret"); err != nil || !ok {
		t.Errorf("CheckPassword() = %v, %v; want true, nil", ok, err)
	}
	// Changing the parameters in the string changes the derived key.
	tampered := strings.Replace(hash, "t=2", "t=1", 1)
	if ok, err := auth.CheckPassword(tampered, "s3cret"); err != nil || ok {
		t.Errorf("CheckPassword(t changed) = %v, %v; want false, nil", ok, err)
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	t.Parallel()
	good, err := auth.HashPassword("s3cret", cheap)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	salt, key := parts[4], parts[5]
	with := func(alg, version, params, salt, key string) string {
		return fmt.Sprintf("$%s$%s$%s$%s$%s", alg, version, params, salt, key)
	}
	tests := []struct {
		name string
		hash string
	}{
		{"empty", ""},
		{"plain text", "s3cret"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", with("argon2i", "v=19", "m=8192,t=1,p=1", salt, key)},
		{"no leading dollar", strings.TrimPrefix(good, "$")},
		{"missing key", strings.Join(parts[:5], "$")},
		{"extra field", good + "$extra"},
		{"old version", with("argon2id", "v=16", "m=8192,t=1,p=1", salt, key)},
		{"no version", with("argon2id", "19", "m=8192,t=1,p=1", salt, key)},
		{"params out of order", with("argon2id", "v=19", "t=1,m=8192,p=1", salt, key)},
		{"zero iterations", with("argon2id", "v=19", "m=8192,t=0,p=1", salt, key)},
		{"zero parallelism", with("argon2id", "v=19", "m=8192,t=1,p=0", salt, key)},
		{"parallelism beyond uint8", with("argon2id", "v=19", "m=8192,t=1,p=256", salt, key)},
		{"memory too large", with("argon2id", "v=19", "m=4194305,t=1,p=1", salt, key)},
		{"negative memory", with("argon2id", "v=19", "m=-1,t=1,p=1", salt, key)},
		{"salt not base64", with("argon2id", "v=19", "m=8192,t=1,p=1", "not*base64", key)},
		{"salt padded", with("argon2id", "v=19", "m=8192,t=1,p=1", salt+"==", key)},
		{"key not base64", with("argon2id", "v=19", "m=8192,t=1,p=1", salt, "%%%")},
		{"empty key", with("argon2id", "v=19", "m=8192,t=1,p=1", salt, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, err := auth.CheckPassword(tt.hash, "s3cret")
			if err == nil || ok {
				t.Errorf("CheckPassword(%q) = %v, %v; want false and an error", tt.hash, ok, err)
			}
		})
	}
}
