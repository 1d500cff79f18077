package tender_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

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
	v1 := tender.Envelope{Version: tender.SealV1, TenderID: 12, OrgID: 3}
	sealed, err := s.Seal(v1, body)
	if err != nil {
		t.Fatalf("Seal() error = %v", err)
	}
	if bytes.Contains(sealed, []byte("CANARY")) || bytes.Contains(sealed, []byte("48000000")) {
		t.Fatalf("sealed body holds plaintext")
	}
	again, _ := s.Seal(v1, body)
	if bytes.Equal(sealed, again) || tender.Digest(sealed) == tender.Digest(again) {
		t.Errorf("sealing twice gave the same bytes: the nonce must be fresh")
	}
	if got, err := s.Open(v1, sealed); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("Open() = %q, %v; want the body", got, err)
	}
	altered := append([]byte(nil), sealed...)
	altered[len(altered)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"another tender": func() ([]byte, error) {
			return s.Open(tender.Envelope{Version: tender.SealV1, TenderID: 13, OrgID: 3}, sealed)
		},
		"another bidder": func() ([]byte, error) {
			return s.Open(tender.Envelope{Version: tender.SealV1, TenderID: 12, OrgID: 4}, sealed)
		},
		"another master key": func() ([]byte, error) { return sealer(t, 8).Open(v1, sealed) },
		"an altered byte":    func() ([]byte, error) { return s.Open(v1, altered) },
		"a truncated body":   func() ([]byte, error) { return s.Open(v1, sealed[:10]) },
	} {
		if _, err := open(); !errors.Is(err, tender.ErrUnseal) {
			t.Errorf("Open() with %s: error = %v, want %v", name, err, tender.ErrUnseal)
		}
	}
	if d := tender.Digest(sealed); len(d) != 64 || strings.Trim(d, "0123456789abcdef") != "" {
		t.Errorf("Digest() = %q, want 64 hex characters", d)
	}
}

// A body sealed under version 2 opens only in its own envelope: every field
// of it, the version included, altered alone keeps it shut; and a version 1
// body does not open as version 2.
func TestSealV2BindsTheBidItsLinkAndItsTime(t *testing.T) {
	s := sealer(t, 7)
	body := []byte(`{"price_fen":41000000}`)
	at := time.Date(2026, 12, 1, 2, 3, 4, 567_000, time.UTC)
	e := tender.Envelope{Version: tender.SealV2, TenderID: 12, OrgID: 3, BidID: 5_192_991_944_677_564, ReplacesID: 7_100_000_000_000_001, ReceivedAt: at}
	sealed, err := s.Seal(e, body)
	if err != nil {
		t.Fatalf("Seal() error = %v", err)
	}
	if got, err := s.Open(e, sealed); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("Open() = %q, %v; want the body", got, err)
	}
	// The same instant in another zone is the same receipt time.
	inChina := e
	inChina.ReceivedAt = at.In(time.FixedZone("CST", 8*3600))
	if _, err := s.Open(inChina, sealed); err != nil {
		t.Errorf("Open() with the receipt time in another zone: error = %v, want none", err)
	}
	for _, tt := range []struct {
		name string
		edit func(e *tender.Envelope)
	}{
		{"another tender", func(e *tender.Envelope) { e.TenderID++ }},
		{"another bidder", func(e *tender.Envelope) { e.OrgID++ }},
		{"another bid id", func(e *tender.Envelope) { e.BidID++ }},
		{"the replaced bid's id for its own", func(e *tender.Envelope) { e.BidID, e.ReplacesID = e.ReplacesID, e.BidID }},
		{"another replaced bid", func(e *tender.Envelope) { e.ReplacesID-- }},
		{"no replaced bid", func(e *tender.Envelope) { e.ReplacesID = 0 }},
		{"a receipt a microsecond later", func(e *tender.Envelope) { e.ReceivedAt = e.ReceivedAt.Add(time.Microsecond) }},
		{"version 1", func(e *tender.Envelope) { e.Version = tender.SealV1 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			other := e
			tt.edit(&other)
			if _, err := s.Open(other, sealed); !errors.Is(err, tender.ErrUnseal) {
				t.Errorf("Open() error = %v, want %v", err, tender.ErrUnseal)
			}
		})
	}
	first := tender.Envelope{Version: tender.SealV2, TenderID: 12, OrgID: 3, BidID: 4_600_000_000_000_000, ReceivedAt: at}
	sealedFirst, err := s.Seal(first, body)
	if err != nil {
		t.Fatal(err)
	}
	linked := first
	linked.ReplacesID = 4_600_000_000_000_001
	if _, err := s.Open(linked, sealedFirst); !errors.Is(err, tender.ErrUnseal) {
		t.Errorf("Open() of a bid that replaced none, as replacing one: error = %v, want %v", err, tender.ErrUnseal)
	}
	old, err := s.Seal(tender.Envelope{Version: tender.SealV1, TenderID: 12, OrgID: 3}, body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(first, old); !errors.Is(err, tender.ErrUnseal) {
		t.Errorf("Open() of a version 1 body as version 2: error = %v, want %v", err, tender.ErrUnseal)
	}
}

func TestSealRefusesUnknownEnvelopes(t *testing.T) {
	s := sealer(t, 7)
	at := time.Date(2026, 12, 1, 2, 3, 4, 0, time.UTC)
	for name, e := range map[string]tender.Envelope{
		"version 0":                   {TenderID: 12, OrgID: 3},
		"version 3":                   {Version: 3, TenderID: 12, OrgID: 3, BidID: 5_000_000_000_000_000, ReceivedAt: at},
		"version 2 without its bid":   {Version: tender.SealV2, TenderID: 12, OrgID: 3, ReceivedAt: at},
		"version 2 without its time":  {Version: tender.SealV2, TenderID: 12, OrgID: 3, BidID: 5_000_000_000_000_000},
		"version 2 replacing bid < 0": {Version: tender.SealV2, TenderID: 12, OrgID: 3, BidID: 5_000_000_000_000_000, ReplacesID: -1, ReceivedAt: at},
	} {
		if _, err := s.Seal(e, []byte("{}")); !errors.Is(err, tender.ErrSealVersion) {
			t.Errorf("Seal(%s) error = %v, want %v", name, err, tender.ErrSealVersion)
		}
		if _, err := s.Open(e, make([]byte, 64)); !errors.Is(err, tender.ErrSealVersion) {
			t.Errorf("Open(%s) error = %v, want %v", name, err, tender.ErrSealVersion)
		}
	}
}

func TestNewSealerRefusesShortKeys(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := tender.NewSealer(make([]byte, n)); !errors.Is(err, tender.ErrSealKey) {
			t.Errorf("NewSealer(%d bytes) error = %v, want %v", n, err, tender.ErrSealKey)
		}
	}
}
