package tender

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Sealer seals bids at rest: AES-256-GCM under a key for each tender derived
// with HKDF-SHA256 from the master key (JIEDAO_SEAL_KEY), so no two tenders
// share a key and the master key never encrypts anything itself. The
// additional data binds a sealed body to its Envelope, so a body copied onto
// another bid row, or a row relinked, does not open.
type Sealer struct {
	master []byte
}

// Seal versions: what a sealed body is bound to. A bid records its version,
// and the opening opens each bid with the additional data of its version.
const (
	// SealV1 binds a body to its tender and bidder: the bids sealed before
	// SealV2, which still open.
	SealV1 = 1
	// SealV2 binds a body also to its bid's id, the id of the bid it
	// replaces and its receipt time. SubmitBid seals under it.
	SealV2 = 2
)

// Envelope is what a sealed body is bound to: the seal version and the bid's
// place, as its row records them.
type Envelope struct {
	Version  int
	TenderID int64
	OrgID    int64
	// Under SealV2 only:
	BidID      int64
	ReplacesID int64 // 0 for a bid that replaces none
	ReceivedAt time.Time
}

// additional returns e's additional data. A SealV2 one starts with its own
// label, so no body opens under another version than its own.
func (e Envelope) additional() ([]byte, error) {
	v1 := "tender:" + strconv.FormatInt(e.TenderID, 10) + "|organization:" + strconv.FormatInt(e.OrgID, 10)
	switch e.Version {
	case SealV1:
		return []byte(v1), nil
	case SealV2:
		if e.BidID <= 0 || e.ReplacesID < 0 || e.ReceivedAt.IsZero() {
			return nil, fmt.Errorf("%w: version 2 needs the bid's id and receipt time", ErrSealVersion)
		}
		return []byte("jiedao bid v2|" + v1 + "|bid:" + strconv.FormatInt(e.BidID, 10) + "|replaces:" + strconv.FormatInt(e.ReplacesID, 10) +
			"|received:" + strconv.FormatInt(e.ReceivedAt.UnixMicro(), 10)), nil
	}
	return nil, fmt.Errorf("%w: %d", ErrSealVersion, e.Version)
}

// ErrSealKey is returned for a master key that is not 32 bytes.
var ErrSealKey = errors.New("tender: the seal key must be 32 bytes")

// ErrSealKeyMismatch is returned by the opening when a bid was sealed under
// another master key than the one configured (JIEDAO_SEAL_KEY changed or
// differs between replicas).
var ErrSealKeyMismatch = errors.New("tender: the seal key differs from the one the bids were sealed under")

// ErrUnseal is returned when a sealed body does not open: a wrong key, an
// envelope other than the one it was sealed in, or altered bytes.
var ErrUnseal = errors.New("tender: the sealed bid does not open")

// ErrSealVersion is returned for an envelope of an unknown seal version, or a
// SealV2 one without its bid's id or receipt time.
var ErrSealVersion = errors.New("tender: unknown or incomplete seal envelope")

// NewSealer returns a Sealer with the 32-byte master key.
func NewSealer(master []byte) (*Sealer, error) {
	if len(master) != 32 {
		return nil, ErrSealKey
	}
	return &Sealer{master: append([]byte(nil), master...)}, nil
}

func (s *Sealer) aead(tenderID int64) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, s.master, nil, "jiedao bid seal v1 tender "+strconv.FormatInt(tenderID, 10), 32)
	if err != nil {
		return nil, fmt.Errorf("derive seal key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// KeyID names the master key without revealing it: 16 hex digits derived with
// HKDF. Bids record it, so that an opening under another key is refused
// rather than taken for altered bids.
func (s *Sealer) KeyID() string {
	id, err := hkdf.Key(sha256.New, s.master, nil, "jiedao bid seal v1 key id", 8)
	if err != nil {
		panic(err) // only for lengths HKDF-SHA256 cannot make
	}
	return hex.EncodeToString(id)
}

// Seal encrypts a bid body in the envelope e: a random 12-byte nonce followed
// by the ciphertext and tag. It returns ErrSealVersion for an unknown or
// incomplete envelope.
func (s *Sealer) Seal(e Envelope, body []byte) ([]byte, error) {
	ad, err := e.additional()
	if err != nil {
		return nil, err
	}
	a, err := s.aead(e.TenderID)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, a.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal nonce: %w", err)
	}
	return a.Seal(nonce, nonce, body, ad), nil
}

// Open decrypts what Seal made in the same envelope, or returns ErrUnseal
// (ErrSealVersion for an unknown or incomplete envelope).
func (s *Sealer) Open(e Envelope, sealed []byte) ([]byte, error) {
	ad, err := e.additional()
	if err != nil {
		return nil, err
	}
	a, err := s.aead(e.TenderID)
	if err != nil {
		return nil, err
	}
	if len(sealed) < a.NonceSize()+a.Overhead() {
		return nil, ErrUnseal
	}
	body, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], ad)
	if err != nil {
		return nil, ErrUnseal
	}
	return body, nil
}

// Digest is the receipt's hash of a sealed body: SHA-256, in hex.
func Digest(sealed []byte) string {
	sum := sha256.Sum256(sealed)
	return hex.EncodeToString(sum[:])
}
