package auth_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

func benchService(b *testing.B, params config.Argon2) *auth.Service {
	gdb := dbtest.New(b)
	cfg := config.Default().Auth
	cfg.Argon2 = params
	seed := make([]byte, 32)
	rand.Read(seed)
	cfg.Keys = []config.SigningKey{{ID: "bench", Seed: seed}}
	svc, err := auth.NewService(gdb, clock.System{}, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CreateUser(context.Background(), access.Actor{Username: "bench", Role: access.PlatformAdmin}, auth.UserInput{
		Username: "bench-user", Password: "bench-password-1", Role: access.Resident}); err != nil {
		b.Fatal(err)
	}
	return svc
}

// BenchmarkLogin measures a whole login with the production argon2id
// parameters: throttle check, hash verification, session and token issue.
func BenchmarkLogin(b *testing.B) {
	svc := benchService(b, config.Default().Auth.Argon2)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := svc.Login(context.Background(), "bench-user", "bench-password-1", auth.Client{IP: "127.0.0.1"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticate measures what every authenticated request pays:
// verifying the access token and reading the session and user.
func BenchmarkAuthenticate(b *testing.B) {
	svc := benchService(b, config.Argon2{MemoryKiB: 8192, Iterations: 1, Parallelism: 1})
	tk, err := svc.Login(context.Background(), "bench-user", "bench-password-1", auth.Client{IP: "127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.Authenticate(context.Background(), tk.AccessToken, auth.Client{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
