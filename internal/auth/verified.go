package auth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// verifiedTokens remembers the access tokens this process has verified:
// the same bytes under the same keys verify the same way, so a token seen
// again skips the Ed25519 signature check (about 50 µs, the largest cost of
// authenticating an API request beside its session read) and has only its
// times checked again. The session is still read on every request, so a
// logout or a revoked session takes effect at once. It keys on the token's
// SHA-256, never the token, and forgets everything when full.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]verifiedToken
}

// maxVerifiedTokens bounds the memory: 8,192 entries of ~100 bytes; a busy
// server's active access tokens (15 minutes each) fit, and a flood of new
// ones costs a verification each, as without the cache.
const maxVerifiedTokens = 8192

type verifiedToken struct {
	userID    int64
	sessionID string
	// from is the later of the token's nbf and iat; until its exp.
	from, until time.Time
}

// valid reports whether the token may be used at now, as jwt's validator
// judges it (no leeway): from at or before now, now before until.
func (v verifiedToken) valid(now time.Time) bool {
	return !now.Before(v.from) && now.Before(v.until)
}

func (c *verifiedTokens) get(key [sha256.Size]byte) (verifiedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

func (c *verifiedTokens) put(key [sha256.Size]byte, v verifiedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxVerifiedTokens {
		c.m = make(map[[sha256.Size]byte]verifiedToken, 256)
	}
	c.m[key] = v
}
