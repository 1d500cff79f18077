package tender_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/tender"
)

func sealer(t *testing.T, b byte) *tender.Sealer {
	t.Helper()
	s, err := tender.NewSealer(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpensOnlyForItsTenderAndBidder(t *testing.T) {
	s := sealer(t, 7)
	body := []byte(`{"price_fen":48000000,"proposal":"CANARY-报价-480000"}`)
	sealed, err := s.Seal(12, 3, body)
	if err != nil {
		t.Fatalf("Seal() error = %v", err)
	}
	if bytes.Contains(sealed, []byte("CANARY")) || bytes.Contains(sealed, []byte("48000000")) {
		t.Fatalf("sealed body holds plaintext")
	}
	again, _ := s.Seal(12, 3, body)
	if bytes.Equal(sealed, again) || tender.Digest(sealed) == tender.Digest(again) {
		t.Errorf("sealing twice gave the same bytes: the nonce must be fresh")
	}
	if got, err := s.Open(12, 3, sealed); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("Open() = %q, %v; want the body", got, err)
	}
	altered := append([]byte(nil), sealed...)
	altered[len(altered)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"another tender":     func() ([]byte, error) { return s.Open(13, 3, sealed) },
		"another bidder":     func() ([]byte, error) { return s.Open(12, 4, sealed) },
		"another master key": func() ([]byte, error) { return sealer(t, 8).Open(12, 3, sealed) },
		"an altered byte":    func() ([]byte, error) { return s.Open(12, 3, altered) },
		"a truncated body":   func() ([]byte, error) { return s.Open(12, 3, sealed[:10]) },
	} {
		if _, err := open(); !errors.Is(err, tender.ErrUnseal) {
			t.Errorf("Open() with %s: error = %v, want %v", name, err, tender.ErrUnseal)
		}
	}
	if d := tender.Digest(sealed); len(d) != 64 || strings.Trim(d, "0123456789abcdef") != "" {
		t.Errorf("Digest() = %q, want 64 hex characters", d)
	}
}

func TestNewSealerRefusesShortKeys(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := tender.NewSealer(make([]byte, n)); !errors.Is(err, tender.ErrSealKey) {
			t.Errorf("NewSealer(%d bytes) error = %v, want %v", n, err, tender.ErrSealKey)
		}
	}
}
