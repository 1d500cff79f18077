package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jiedao-market/jiedao/internal/config"
)

// KeySet holds the Ed25519 keys for access tokens: the first signs, every key
// verifies, each named by its kid, so a key can be rotated in before the old
// one is retired.
type KeySet struct {
	signID  string
	signKey ed25519.PrivateKey
	verify  map[string]ed25519.PublicKey
}

// NewKeySet builds the key set from configuration; it needs at least one key.
func NewKeySet(keys []config.SigningKey) (*KeySet, error) {
	if len(keys) == 0 {
		return nil, errors.New("auth: no signing key configured (JIEDAO_AUTH_KEYS)")
	}
	ks := &KeySet{verify: make(map[string]ed25519.PublicKey, len(keys))}
	for i, k := range keys {
		priv := ed25519.NewKeyFromSeed(k.Seed)
		if i == 0 {
			ks.signID, ks.signKey = k.ID, priv
		}
		ks.verify[k.ID] = priv.Public().(ed25519.PublicKey)
	}
	return ks, nil
}

// claims are an access token's claims: the registered ones plus the session.
type claims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
}

func (s *Service) signAccess(userID int64, sessionID string, now time.Time) (string, error) {
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.cfg.Issuer,
			Audience:  jwt.ClaimStrings{s.cfg.Audience},
			Subject:   strconv.FormatInt(userID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.AccessTTL)),
			ID:        randomToken(12),
		},
		SessionID: sessionID,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = s.keys.signID
	signed, err := t.SignedString(s.keys.signKey)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return signed, nil
}

// parseAccess verifies an access token: EdDSA only, a known kid, the signature,
// and the exp, iss and aud claims, all required. A token verified before
// (s.verified) has only its times checked again.
func (s *Service) parseAccess(raw string) (userID int64, sessionID string, err error) {
	key := sha256.Sum256([]byte(raw))
	now := s.clock.Now()
	if v, ok := s.verified.get(key); ok {
		if !v.valid(now) {
			return 0, "", errors.New("token is not valid at this time")
		}
		return v.userID, v.sessionID, nil
	}
	var c claims
	_, err = jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := s.keys.verify[kid]
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return key, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(s.cfg.Issuer),
		jwt.WithAudience(s.cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		return 0, "", err
	}
	userID, err = strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || userID <= 0 || c.SessionID == "" {
		return 0, "", errors.New("token lacks subject or session")
	}
	v := verifiedToken{userID: userID, sessionID: c.SessionID, until: c.ExpiresAt.Time}
	for _, d := range []*jwt.NumericDate{c.NotBefore, c.IssuedAt} {
		if d != nil && d.After(v.from) {
			v.from = d.Time
		}
	}
	s.verified.put(key, v)
	return userID, c.SessionID, nil
}

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is how refresh tokens are stored: they are random, so a plain
// SHA-256 suffices and lets the token be looked up.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
