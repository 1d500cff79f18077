package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// A token verified once is still judged by its times, and a token differing
// from it in one byte is verified afresh (and refused).
func TestVerifiedTokensKeepTheChecks(t *testing.T) {
	cfg := config.Default().Auth
	seed := make([]byte, 32)
	rand.Read(seed)
	cfg.Keys = []config.SigningKey{{ID: "k1", Seed: seed}}
	clk := clock.NewManual(time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC))
	s, err := NewService(nil, clk, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.signAccess(42, "0b7d8f8e-1a2b-4c3d-8e9f-0a1b2c3d4e5f", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the second from the cache
		if id, sid, err := s.parseAccess(raw); err != nil || id != 42 || sid == "" {
			t.Fatalf("parseAccess() #%d = %d, %q, %v; want 42", i+1, id, sid, err)
		}
	}
	if _, ok := s.verified.get(sha256.Sum256([]byte(raw))); !ok {
		t.Fatal("a verified token was not remembered")
	}
	tampered := []byte(raw)
	tampered[len(tampered)-3] ^= 1
	if _, _, err := s.parseAccess(string(tampered)); err == nil {
		t.Error("a token with a changed signature was accepted after the genuine one")
	}
	clk.Advance(-time.Second)
	if _, _, err := s.parseAccess(raw); err == nil {
		t.Error("a remembered token was accepted before its iat/nbf")
	}
	clk.Advance(time.Second + cfg.AccessTTL)
	if _, _, err := s.parseAccess(raw); err == nil {
		t.Error("a remembered token was accepted at its exp")
	}
	clk.Advance(-time.Second)
	if _, _, err := s.parseAccess(raw); err != nil {
		t.Errorf("a remembered token was refused a second before its exp: %v", err)
	}
}

// The cache forgets everything when full rather than grow.
func TestVerifiedTokensBounded(t *testing.T) {
	var c verifiedTokens
	for i := range maxVerifiedTokens + 10 {
		c.put(sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)}), verifiedToken{userID: int64(i)})
	}
	if n := len(c.m); n > maxVerifiedTokens {
		t.Errorf("%d entries, more than %d", n, maxVerifiedTokens)
	}
}
