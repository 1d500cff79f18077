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
)

// Sealer seals bids at rest: AES-256-GCM under a key for each tender derived
// with HKDF-SHA256 from the master key (JIEDAO_SEAL_KEY), so no two tenders
// share a key and the master key never encrypts anything itself. The
// additional data binds a sealed body to its tender and bidder, so a body
// copied onto another bid does not open.
type Sealer struct {
	master []byte
}

// ErrSealKey is returned for a master key that is not 32 bytes.
var ErrSealKey = errors.New("tender: the seal key must be 32 bytes")

// ErrSealKeyMismatch is returned by the opening when a bid was sealed under
// another master key than the one configured (JIEDAO_SEAL_KEY changed or
// differs between replicas).
var ErrSealKeyMismatch = errors.New("tender: the seal key differs from the one the bids were sealed under")

// ErrUnseal is returned when a sealed body does not open: a wrong key, tender
// or bidder, or altered bytes.
var ErrUnseal = errors.New("tender: the sealed bid does not open")

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

func additional(tenderID, orgID int64) []byte {
	return []byte("tender:" + strconv.FormatInt(tenderID, 10) + "|organization:" + strconv.FormatInt(orgID, 10))
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

// Seal encrypts a bid body of orgID for tenderID: a random 12-byte nonce
// followed by the ciphertext and tag.
func (s *Sealer) Seal(tenderID, orgID int64, body []byte) ([]byte, error) {
	a, err := s.aead(tenderID)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, a.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal nonce: %w", err)
	}
	return a.Seal(nonce, nonce, body, additional(tenderID, orgID)), nil
}

// Open decrypts what Seal made for the same tender and organization, or
// returns ErrUnseal.
func (s *Sealer) Open(tenderID, orgID int64, sealed []byte) ([]byte, error) {
	a, err := s.aead(tenderID)
	if err != nil {
		return nil, err
	}
	if len(sealed) < a.NonceSize()+a.Overhead() {
		return nil, ErrUnseal
	}
	body, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], additional(tenderID, orgID))
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
