// Package auth holds user accounts, password hashing (argon2id), login
// throttling, sessions with rotating refresh tokens, and the EdDSA-signed access
// tokens that authenticate API and web requests.
package auth

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/mail"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// Errors returned by the Service.
var (
	ErrInvalidCredentials = apperr.New(apperr.Unauthorized, "auth.invalid_credentials", "the username or password is wrong")
	ErrThrottled          = apperr.New(apperr.TooManyRequests, "auth.throttled", "too many failed logins; try again later")
	ErrInvalidToken       = apperr.New(apperr.Unauthorized, "auth.invalid_token", "the token is invalid or expired")
	ErrRefreshReused      = apperr.New(apperr.Unauthorized, "auth.refresh_reused", "this refresh token was already used; the session has been ended")
	ErrRefreshRaced       = apperr.New(apperr.Unauthorized, "auth.refresh_raced", "this refresh token was just used by another request; use the newer tokens")
)

// Service authenticates users and manages their accounts and sessions.
type Service struct {
	db    *gorm.DB
	clock clock.Clock
	cfg   config.Auth
	keys  *KeySet
	log   *slog.Logger
	// verified remembers the access tokens verified already (parseAccess).
	verified verifiedTokens
	// mail sends verification and reset links (UseMail); nil or off sends none.
	mail    *mail.Service
	mailCfg config.Mail
	// dummyHash is checked when the username is unknown, so that timing does not
	// tell which usernames exist.
	dummyHash string
}

// NewService returns a Service. It needs at least one signing key in cfg.
func NewService(db *gorm.DB, c clock.Clock, cfg config.Auth, log *slog.Logger) (*Service, error) {
	keys, err := NewKeySet(cfg.Keys)
	if err != nil {
		return nil, err
	}
	dummy, err := HashPassword(randomToken(16), cfg.Argon2)
	if err != nil {
		return nil, err
	}
	return &Service{db: db, clock: c, cfg: cfg, keys: keys, log: log, dummyHash: dummy}, nil
}

// Tokens is the answer to a login or a refresh.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

type session struct {
	ID           uuid.UUID
	UserID       int64
	CreatedAt    time.Time
	ExpiresAt    time.Time
	RevokedAt    *time.Time
	RevokeReason string
	ClientIP     string
	UserAgent    string
}

func (session) TableName() string { return "auth_sessions" }

type refreshToken struct {
	ID        int64
	SessionID uuid.UUID
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

type loginFailure struct {
	ID       int64
	Username string
	ClientIP string
	FailedAt time.Time
}

// Client describes where a login or refresh comes from.
type Client struct {
	IP        string
	UserAgent string
	RequestID string
}

// Login checks username and password and opens a session. Failed attempts
// are counted per account and client address (past the limit within the
// window that address is refused that account with ErrThrottled, even for the
// right password), per client address (likewise, for every account), and per
// account from anywhere: past that limit each attempt waits, longer with each
// failure (slowed, logged), so that nobody can lock an owner out of its
// account, and guessing it from many addresses stays slow.
func (s *Service) Login(ctx context.Context, username, password string, cl Client) (Tokens, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if len(username) > 64 || len(password) > 1024 {
		return Tokens{}, ErrInvalidCredentials
	}
	for {
		tokens, wait, err := s.attempt(ctx, username, password, cl)
		if wait <= 0 {
			return tokens, err
		}
		s.log.WarnContext(ctx, "login slowed", "username", username, "client_ip", cl.IP, "request_id", cl.RequestID,
			"wait_ms", wait.Milliseconds())
		if err := clock.Sleep(ctx, s.clock, wait); err != nil {
			// The request's deadline comes first: answer when to come back.
			e := *ErrThrottled
			e.RetryAfter = int(wait.Seconds()) + 1
			return Tokens{}, &e
		}
	}
}

// attempt makes one login attempt under the account's lock, or, while the
// account is slowed, returns how long to wait before the next.
func (s *Service) attempt(ctx context.Context, username, password string, cl Client) (Tokens, time.Duration, error) {
	now := s.clock.Now()
	var (
		tokens Tokens
		failed bool
		wait   time.Duration
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Serialize attempts on one account so that concurrent guesses cannot all
		// pass the throttle check before any failure is counted.
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(?, ?)`, int32(0x6c6f67), lockKey(username)).Error; err != nil {
			return fmt.Errorf("lock account %s: %w", username, err)
		}
		if err := s.checkThrottle(tx, username, cl.IP, now); err != nil {
			return err
		}
		var err error
		if wait, err = s.slowedFor(tx, username, now); err != nil || wait > 0 {
			return err
		}
		var u User
		err = tx.Where("username = ? AND status = 'active'", username).Take(&u).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("read user %s: %w", username, err)
		}
		hash := u.PasswordHash
		if u.ID == 0 {
			hash = s.dummyHash
		}
		ok, err := CheckPassword(hash, password)
		if err != nil {
			return fmt.Errorf("check password of user %d: %w", u.ID, err)
		}
		if !ok || u.ID == 0 {
			failed = true
			return tx.Create(&loginFailure{Username: username, ClientIP: cl.IP, FailedAt: now}).Error
		}
		// The owner's own mistakes are forgotten; what others tried from
		// elsewhere still counts against them.
		if err := tx.Where("username = ? AND client_ip = ?", username, cl.IP).Delete(&loginFailure{}).Error; err != nil {
			return fmt.Errorf("forget the login failures of %s: %w", username, err)
		}
		tokens, err = s.openSession(tx, u, cl, now)
		if err != nil {
			return err
		}
		return audit.Record(tx, u.actor(cl), "auth.login", "user", u.ID, map[string]any{"client_ip": cl.IP})
	})
	switch {
	case err != nil && apperr.KindOf(err) == apperr.TooManyRequests:
		s.log.WarnContext(ctx, "login throttled", "username", username, "client_ip", cl.IP, "request_id", cl.RequestID)
		return Tokens{}, 0, err
	case err != nil:
		return Tokens{}, 0, fmt.Errorf("login: %w", err)
	case wait > 0:
		return Tokens{}, wait, nil
	case failed:
		s.log.WarnContext(ctx, "login failed", "username", username, "client_ip", cl.IP, "request_id", cl.RequestID)
		return Tokens{}, 0, ErrInvalidCredentials
	}
	return tokens, 0, nil
}

// slowedFor returns how long an attempt on username must still wait: past
// SlowAfter failures of the account within the window, SlowBase doubled per
// further failure, at most SlowMax, after the last failure.
func (s *Service) slowedFor(tx *gorm.DB, username string, now time.Time) (time.Duration, error) {
	th := s.cfg.Throttle
	var row struct {
		N    int
		Last *time.Time
	}
	if err := tx.Raw(`SELECT count(*) AS n, max(failed_at) AS last FROM login_failures WHERE username = ? AND failed_at > ?`,
		username, now.Add(-th.Window)).Scan(&row).Error; err != nil {
		return 0, fmt.Errorf("count the login failures of %s: %w", username, err)
	}
	if row.N < th.SlowAfter || row.Last == nil {
		return 0, nil
	}
	delay := th.SlowMax
	if shift := row.N - th.SlowAfter; shift < 16 {
		delay = min(th.SlowBase<<shift, th.SlowMax)
	}
	return row.Last.Add(delay).Sub(now), nil
}

func lockKey(username string) int32 {
	h := fnv.New32a()
	h.Write([]byte(username))
	return int32(h.Sum32())
}

func (s *Service) checkThrottle(tx *gorm.DB, username, ip string, now time.Time) error {
	since := now.Add(-s.cfg.Throttle.Window)
	var wait time.Duration
	for _, limit := range []struct {
		where string
		args  []any
		max   int
	}{
		{"username = ? AND client_ip = ?", []any{username, ip}, s.cfg.Throttle.MaxPerAccountAddress},
		{"client_ip = ?", []any{ip}, s.cfg.Throttle.MaxPerIP},
	} {
		// The limit holds until the failure that pushed the count to the limit
		// leaves the window: the (count-max+1)th oldest in it.
		var at []time.Time
		args := append(limit.args, since, limit.max-1)
		err := tx.Raw(`SELECT failed_at FROM login_failures WHERE `+limit.where+` AND failed_at > ?
			ORDER BY failed_at DESC OFFSET ? LIMIT 1`, args...).Scan(&at).Error
		if err != nil {
			return fmt.Errorf("count login failures: %w", err)
		}
		if len(at) == 1 {
			wait = max(wait, at[0].Add(s.cfg.Throttle.Window).Sub(now))
		}
	}
	if wait <= 0 {
		return nil
	}
	e := *ErrThrottled
	e.RetryAfter = int(wait.Seconds()) + 1
	return &e
}

func (s *Service) openSession(tx *gorm.DB, u User, cl Client, now time.Time) (Tokens, error) {
	sess := session{ID: uuid.New(), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionMaxAge),
		ClientIP: cl.IP, UserAgent: truncate(cl.UserAgent, 300)}
	if err := tx.Create(&sess).Error; err != nil {
		return Tokens{}, fmt.Errorf("create session: %w", err)
	}
	return s.issue(tx, u.ID, sess, now)
}

// issue creates a refresh token in the session and signs an access token.
func (s *Service) issue(tx *gorm.DB, userID int64, sess session, now time.Time) (Tokens, error) {
	raw := randomToken(32)
	exp := now.Add(s.cfg.RefreshTTL)
	if exp.After(sess.ExpiresAt) {
		exp = sess.ExpiresAt
	}
	rt := refreshToken{SessionID: sess.ID, TokenHash: hashToken(raw), CreatedAt: now, ExpiresAt: exp}
	if err := tx.Create(&rt).Error; err != nil {
		return Tokens{}, fmt.Errorf("create refresh token: %w", err)
	}
	access, err := s.signAccess(userID, sess.ID.String(), now)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, RefreshToken: raw, TokenType: "Bearer", ExpiresIn: int(s.cfg.AccessTTL.Seconds())}, nil
}

// Refresh spends a refresh token and returns a new pair in the same session.
// A token that was already spent means it leaked: the whole session (every token
// rotated from the same login) is revoked and ErrRefreshReused returned.
func (s *Service) Refresh(ctx context.Context, raw string, cl Client) (Tokens, error) {
	now := s.clock.Now()
	var (
		tokens Tokens
		reused bool
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rt refreshToken
		err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("token_hash = ?", hashToken(raw)).Take(&rt).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrInvalidToken
		} else if err != nil {
			return err
		}
		var sess session
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Take(&sess, "id = ?", rt.SessionID).Error; err != nil {
			return err
		}
		var u User
		if err := tx.Take(&u, sess.UserID).Error; err != nil {
			return err
		}
		if sess.RevokedAt != nil || !now.Before(sess.ExpiresAt) || u.Status != "active" {
			return ErrInvalidToken
		}
		if rt.UsedAt != nil && now.Sub(*rt.UsedAt) < s.cfg.RefreshReuseGrace {
			return ErrRefreshRaced
		}
		if rt.UsedAt != nil {
			reused = true
			if err := revoke(tx, sess.ID, "refresh token reused", now); err != nil {
				return err
			}
			return audit.Record(tx, u.actor(cl), "auth.refresh_reuse", "session", sess.ID, map[string]any{"client_ip": cl.IP})
		}
		if !now.Before(rt.ExpiresAt) {
			return ErrInvalidToken
		}
		if err := tx.Model(&rt).Update("used_at", now).Error; err != nil {
			return err
		}
		tokens, err = s.issue(tx, u.ID, sess, now)
		return err
	})
	switch {
	case err != nil:
		if apperr.KindOf(err) == apperr.Internal {
			return Tokens{}, fmt.Errorf("refresh: %w", err)
		}
		return Tokens{}, err
	case reused:
		s.log.WarnContext(ctx, "refresh token reused; session revoked", "client_ip", cl.IP, "request_id", cl.RequestID)
		return Tokens{}, ErrRefreshReused
	}
	return tokens, nil
}

func revoke(tx *gorm.DB, id uuid.UUID, reason string, now time.Time) error {
	return tx.Model(&session{}).Where("id = ? AND revoked_at IS NULL", id).
		Updates(map[string]any{"revoked_at": now, "revoke_reason": reason}).Error
}

// Logout ends the actor's session: its access token and every refresh token of
// the session stop working at once.
func (s *Service) Logout(ctx context.Context, by access.Actor) error {
	id, err := uuid.Parse(by.SessionID)
	if err != nil {
		return ErrInvalidToken
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := revoke(tx, id, "logout", s.clock.Now()); err != nil {
			return fmt.Errorf("logout: %w", err)
		}
		return audit.Record(tx, by, "auth.logout", "session", id, nil)
	})
}

// Authenticate verifies an access token and returns the actor it stands for,
// read fresh from the database: a revoked session, an expired one or a disabled
// user is refused with ErrInvalidToken, and a role change applies at once.
func (s *Service) Authenticate(ctx context.Context, raw string, cl Client) (access.Actor, error) {
	userID, sid, err := s.parseAccess(raw)
	if err != nil {
		return access.Actor{}, ErrInvalidToken
	}
	sessID, err := uuid.Parse(sid)
	if err != nil {
		return access.Actor{}, ErrInvalidToken
	}
	var row struct {
		User
		SubdistrictDistrictID *int64
	}
	// The columns an actor is made of (User.actor), not the password hash,
	// which no request needs after its login.
	err = s.db.WithContext(ctx).Raw(`SELECT u.id, u.username, u.role, u.district_id, u.subdistrict_id, u.organization_id,
		  sd.district_id AS subdistrict_district_id
		FROM auth_sessions s JOIN users u ON u.id = s.user_id
		LEFT JOIN subdistricts sd ON sd.id = u.subdistrict_id
		WHERE s.id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND u.status = 'active'`,
		sessID, userID, s.clock.Now()).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return access.Actor{}, ErrInvalidToken
	} else if err != nil {
		return access.Actor{}, fmt.Errorf("authenticate: %w", err)
	}
	a := row.User.actor(cl)
	a.SessionID = sid
	if row.SubdistrictDistrictID != nil {
		a.Scope.DistrictID = *row.SubdistrictDistrictID
	}
	return a, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
