package tender_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/tender"
)

// fuzzEnvelope is the envelope every fuzzed body is sealed in: a version 2
// bid of tender 12 by organization 3 that replaces another.
var fuzzEnvelope = tender.Envelope{Version: tender.SealV2, TenderID: 12, OrgID: 3, BidID: 1<<52 + 12345,
	ReplacesID: 1<<52 + 99, ReceivedAt: time.Date(2026, time.December, 4, 9, 30, 0, 123000, time.UTC)}

// sealFor and openFor are the only calls on the sealing API here, so that a
// change of its signature touches two lines.
func sealFor(s *tender.Sealer, body []byte) ([]byte, error) {
	return s.Seal(fuzzEnvelope, body)
}

func openFor(s *tender.Sealer, sealed []byte) ([]byte, error) {
	return s.Open(fuzzEnvelope, sealed)
}

// A sealed bid opens to its body, and any change to its bytes (a flipped bit,
// a cut, an addition) makes it refuse to open with ErrUnseal, never a panic.
// Bytes that Seal did not make never open either.
func FuzzSealedBidAltered(f *testing.F) {
	f.Add([]byte(`{"price_fen":48000000,"technical_proposal":"CANARY"}`), uint16(0), byte(1), uint8(0), []byte{})
	f.Add([]byte{}, uint16(5), byte(0x80), uint8(1), []byte("x"))
	f.Add(bytes.Repeat([]byte(" "), 4096), uint16(4100), byte(0xff), uint8(2), []byte("tail"))
	f.Add([]byte("body"), uint16(11), byte(0), uint8(3), bytes.Repeat([]byte{0}, 28))
	s, err := tender.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, at uint16, mask byte, how uint8, extra []byte) {
		sealed, err := sealFor(s, body)
		if err != nil {
			t.Fatalf("Seal() error = %v", err)
		}
		if got, err := openFor(s, sealed); err != nil || !bytes.Equal(got, body) {
			t.Fatalf("Open(Seal(%q)) = %q, %v; want the body", body, got, err)
		}
		altered := append([]byte(nil), sealed...)
		i := int(at) % len(altered)
		switch how % 4 {
		case 0: // flip bits of one byte
			if mask == 0 {
				mask = 1
			}
			altered[i] ^= mask
		case 1: // cut
			altered = altered[:i]
		case 2: // add
			if len(extra) == 0 {
				extra = []byte{0}
			}
			altered = append(altered, extra...)
		case 3: // bytes Seal did not make
			altered = extra
		}
		if got, err := openFor(s, altered); !errors.Is(err, tender.ErrUnseal) || got != nil {
			t.Fatalf("Open() of an altered sealed bid = %q, %v; want %v", got, err, tender.ErrUnseal)
		}
	})
}
