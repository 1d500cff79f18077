package auth

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/mail"
)

// Errors of e-mail addresses and password recovery.
var (
	ErrMailOff = apperr.New(apperr.Conflict, "mail.off",
		"e-mail is off on this site (no SMTP server is configured): no link can be sent")
	ErrLinkInvalid = apperr.New(apperr.Invalid, "auth.link_invalid",
		"this link is not valid: it was already used, it has expired, or a newer one replaced it")
	ErrVerifyThrottled = apperr.New(apperr.TooManyRequests, "mail.verify_throttled",
		"too many verification mails were sent to this account; try again later")
)

// Purposes of a one-time link.
const (
	linkVerify = "verify"
	linkReset  = "reset"
)

type emailToken struct {
	ID        int64
	UserID    int64
	Purpose   string
	Email     string
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// UseMail makes the service send its links (address verification, password
// recovery) through m, with the link lifetimes and limits of cfg.
func (s *Service) UseMail(m *mail.Service, cfg config.Mail) {
	s.mail, s.mailCfg = m, cfg
}

// MailEnabled reports whether e-mail is on.
func (s *Service) MailEnabled() bool { return s.mail.Enabled() }

// NormalizeEmail trims addr and checks that it is a bare address
// (name@domain, at most 254 bytes); "" stays "" (no address). It returns an
// apperr.Invalid error naming field.
func NormalizeEmail(field, addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", nil
	}
	a, err := netmail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr || len(addr) > 254 || !strings.Contains(addr[strings.IndexByte(addr, '@'):], ".") {
		return "", apperr.InvalidField(field, "must be an e-mail address such as name@example.cn")
	}
	return addr, nil
}

// EmailState is an account's address and whether its owner verified it.
type EmailState struct {
	Email    string
	Verified bool
	// MailOn tells whether e-mail is on at all (an SMTP server configured).
	MailOn bool
}

// Email returns the signed-in user's address and its state.
func (s *Service) Email(ctx context.Context, by access.Actor) (EmailState, error) {
	u, err := s.GetUser(ctx, by.UserID)
	if err != nil {
		return EmailState{}, err
	}
	st := EmailState{MailOn: s.MailEnabled(), Verified: u.EmailVerifiedAt != nil}
	if u.Email != nil {
		st.Email = *u.Email
	}
	return st, nil
}

// SetEmail sets the signed-in user's address to addr ("" removes it) and,
// with e-mail on, sends a verification link to it: nothing else is sent to
// the address until its owner follows the link. Setting the address it
// already has, verified, changes nothing; unverified, it sends a new link.
// Changing the address cancels every link out (a reset link to the old
// address stops working). Bad addresses return an apperr.Invalid error
// naming "email", too many links ErrVerifyThrottled. Audited as
// user.email_set (without the address).
func (s *Service) SetEmail(ctx context.Context, by access.Actor, addr string) error {
	if !by.Authenticated() {
		return apperr.ErrForbidden
	}
	addr, err := NormalizeEmail("email", addr)
	if err != nil {
		return err
	}
	var queued int64
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := LockUserTx(tx, by.UserID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		same := u.Email != nil && strings.EqualFold(*u.Email, addr)
		if same && u.EmailVerifiedAt != nil {
			return nil
		}
		var email any
		if addr != "" {
			email = addr
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"email": email,
			"email_verified_at": nil, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("set the address of user %d: %w", u.ID, err)
		}
		if err := spendLinks(tx, u.ID, "", now); err != nil {
			return err
		}
		if err := audit.Record(tx, by, "user.email_set", "user", u.ID, map[string]any{"removed": addr == ""}); err != nil {
			return err
		}
		if addr == "" || !s.MailEnabled() {
			return nil
		}
		queued, err = s.verifyLink(tx, u.ID, addr, now)
		return err
	})
	if err != nil {
		return err
	}
	s.mail.Enqueue(ctx, queued)
	return nil
}

// SendVerification sends a verification link to the unverified address of
// account userID, just made with one (a sign-up, an invitation); an account
// without an address, or with e-mail off, gets none. Too many links return
// ErrVerifyThrottled. Audited as user.email_link.
func (s *Service) SendVerification(ctx context.Context, userID int64, cl Client) error {
	if !s.MailEnabled() {
		return nil
	}
	var queued int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := LockUserTx(tx, userID)
		if err != nil || u.Email == nil || u.EmailVerifiedAt != nil {
			return err
		}
		if queued, err = s.verifyLink(tx, u.ID, *u.Email, s.clock.Now()); err != nil {
			return err
		}
		return audit.Record(tx, u.actor(cl), "user.email_link", "user", u.ID, nil)
	})
	if err != nil {
		return err
	}
	s.mail.Enqueue(ctx, queued)
	return nil
}

// verifyLink issues a verification link to addr for account userID and
// queues its mail, unless the account had too many (ErrVerifyThrottled).
func (s *Service) verifyLink(tx *gorm.DB, userID int64, addr string, now time.Time) (int64, error) {
	if n, err := s.linksSince(tx, "user_id = ?", userID, linkVerify, now); err != nil {
		return 0, err
	} else if n >= s.mailCfg.ResetMaxPerAccount {
		return 0, ErrVerifyThrottled
	}
	raw, err := s.newLink(tx, userID, linkVerify, addr, now, s.mailCfg.VerifyTTL)
	if err != nil {
		return 0, err
	}
	return s.mail.Queue(tx, mail.Message{UserID: userID, Kind: "email.verify", To: addr,
		SubjectZh: "请验证您的电子邮箱", SubjectEn: "Please verify your e-mail address",
		BodyZh: "请打开下面的链接，确认这是您在街道服务平台（JieDao）使用的邮箱。链接 " + hours(s.mailCfg.VerifyTTL, "zh") + "内有效，只能使用一次。如果不是您本人操作，请忽略此邮件。",
		BodyEn: "Open the link below to confirm that this is your address on JieDao. The link works once, for " + hours(s.mailCfg.VerifyTTL, "en") + ". If you did not ask for it, ignore this mail.",
		Link:   "/email/verify?token=" + url.QueryEscape(raw)})
}

// VerifyEmail follows a verification link: the address the link was sent to
// becomes the account's verified address. A used, expired or unknown link,
// or one to an address the account no longer has, returns ErrLinkInvalid.
// Audited as user.email_verify.
func (s *Service) VerifyEmail(ctx context.Context, raw string, cl Client) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.clock.Now()
		t, u, err := takeLink(tx, raw, linkVerify, now)
		if err != nil {
			return err
		}
		if u.Email == nil || !strings.EqualFold(*u.Email, t.Email) {
			return ErrLinkInvalid
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"email_verified_at": now, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("verify the address of user %d: %w", u.ID, err)
		}
		if err := spendLinks(tx, u.ID, linkVerify, now); err != nil {
			return err
		}
		return audit.Record(tx, u.actor(cl), "user.email_verify", "user", u.ID, nil)
	})
}

// RequestPasswordReset sends a one-time reset link to the verified address of
// the active account named by login (its username or its address). It
// returns nil whether or not anything was sent, so that the answer tells
// nothing about accounts: an unknown name, an unverified address and a
// throttled account or address alike send nothing. At most
// ResetMaxPerAccount links go to one account and ResetMaxPerAddress to one
// address within ResetWindow. With e-mail off it returns ErrMailOff; an empty
// login an apperr.Invalid error naming "login". Audited as
// user.password_reset_request.
func (s *Service) RequestPasswordReset(ctx context.Context, login string, cl Client) error {
	login = strings.TrimSpace(login)
	if login == "" || len(login) > 254 {
		return apperr.InvalidField("login", "must be a username or an e-mail address")
	}
	if !s.MailEnabled() {
		return ErrMailOff
	}
	var queued []int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ids []int64
		if err := tx.Raw(`SELECT id FROM users WHERE status = 'active' AND email_verified_at IS NOT NULL
			AND (username = lower(?) OR lower(email) = lower(?)) ORDER BY id`, login, login).Scan(&ids).Error; err != nil {
			return fmt.Errorf("find accounts for a reset: %w", err)
		}
		for _, id := range ids {
			id, err := s.resetLink(tx, id, cl)
			if err != nil {
				return err
			}
			if id != 0 {
				queued = append(queued, id)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("request a password reset: %w", err)
	}
	s.mail.Enqueue(ctx, queued...)
	return nil
}

// resetLink issues and queues the reset link of account id unless its
// account or its address is throttled; it returns the queued mail's id.
func (s *Service) resetLink(tx *gorm.DB, id int64, cl Client) (int64, error) {
	u, err := LockUserTx(tx, id)
	if err != nil {
		return 0, err
	}
	addr := strings.ToLower(*u.Email)
	// Accounts sharing an address are counted together: serialize on it.
	if err := tx.Exec(`SELECT pg_advisory_xact_lock(?, ?)`, int32(0x727374), lockKey(addr)).Error; err != nil {
		return 0, fmt.Errorf("lock address: %w", err)
	}
	now := s.clock.Now()
	perAccount, err := s.linksSince(tx, "user_id = ?", u.ID, linkReset, now)
	if err != nil {
		return 0, err
	}
	perAddress, err := s.linksSince(tx, "lower(email) = ?", addr, linkReset, now)
	if err != nil {
		return 0, err
	}
	if perAccount >= s.mailCfg.ResetMaxPerAccount || perAddress >= s.mailCfg.ResetMaxPerAddress {
		s.log.Warn("password reset throttled", "user_id", u.ID, "client_ip", cl.IP, "request_id", cl.RequestID)
		return 0, nil
	}
	raw, err := s.newLink(tx, u.ID, linkReset, *u.Email, now, s.mailCfg.ResetTTL)
	if err != nil {
		return 0, err
	}
	if err := audit.Record(tx, u.actor(cl), "user.password_reset_request", "user", u.ID, map[string]any{"client_ip": cl.IP}); err != nil {
		return 0, err
	}
	return s.mail.Queue(tx, mail.Message{UserID: u.ID, Kind: "password.reset",
		SubjectZh: "重置您的密码", SubjectEn: "Reset your password",
		BodyZh: "有人（希望是您）请求重置街道服务平台（JieDao）账号 " + u.Username + " 的密码。请打开下面的链接设置新密码；链接 " + hours(s.mailCfg.ResetTTL, "zh") + "内有效，只能使用一次，设置后您的所有登录会话都会退出。如果不是您本人操作，请忽略此邮件，密码不会改变。",
		BodyEn: "Someone (we hope you) asked to reset the password of the JieDao account " + u.Username + ". Open the link below to set a new one; it works once, for " + hours(s.mailCfg.ResetTTL, "en") + ", and signs you out everywhere. If it was not you, ignore this mail: your password stays as it is.",
		Link:   "/password/reset?token=" + url.QueryEscape(raw)})
}

// CheckResetLink reports whether raw is a reset link that still works, for
// the page that asks for the new password: ErrLinkInvalid when not.
func (s *Service) CheckResetLink(ctx context.Context, raw string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, u, err := takeLink(tx, raw, linkReset, s.clock.Now())
		if err != nil {
			return err
		}
		return resetStillValid(t, u)
	})
}

func resetStillValid(t emailToken, u User) error {
	if u.Status != "active" || u.Email == nil || u.EmailVerifiedAt == nil || !strings.EqualFold(*u.Email, t.Email) {
		return ErrLinkInvalid
	}
	return nil
}

// ResetPassword follows a reset link: the account's password becomes
// password (checked like every password: an apperr.Invalid error naming
// "password"), the link and every other link out to the account stop
// working, and every session of the account ends. A used, expired or unknown
// link returns ErrLinkInvalid. Audited as user.password_reset.
func (s *Service) ResetPassword(ctx context.Context, raw, password string, cl Client) error {
	if err := ValidatePassword("password", password); err != nil {
		return err
	}
	if err := s.CheckResetLink(ctx, raw); err != nil {
		return err // before hashing: a wrong link costs no argon2 work
	}
	hash, err := HashPassword(password, s.cfg.Argon2)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.clock.Now()
		t, u, err := takeLink(tx, raw, linkReset, now)
		if err != nil {
			return err
		}
		if err := resetStillValid(t, u); err != nil {
			return err
		}
		if err := spendLinks(tx, u.ID, linkReset, now); err != nil {
			return err
		}
		return ResetPasswordTx(tx, u.actor(cl), u, hash, now)
	})
}

// takeLink reads and locks the unused, unexpired link raw of purpose, with
// its account locked; anything else is ErrLinkInvalid.
func takeLink(tx *gorm.DB, raw, purpose string, now time.Time) (emailToken, User, error) {
	var t emailToken
	if raw == "" || len(raw) > 100 {
		return t, User{}, ErrLinkInvalid
	}
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("token_hash = ? AND purpose = ?", hashToken(raw), purpose).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return t, User{}, ErrLinkInvalid
	} else if err != nil {
		return t, User{}, fmt.Errorf("read link: %w", err)
	}
	if t.UsedAt != nil || !now.Before(t.ExpiresAt) {
		return t, User{}, ErrLinkInvalid
	}
	u, err := LockUserTx(tx, t.UserID)
	return t, u, err
}

// newLink stores the hash of a fresh random token and returns the token.
func (s *Service) newLink(tx *gorm.DB, userID int64, purpose, addr string, now time.Time, ttl time.Duration) (string, error) {
	raw := randomToken(32)
	t := emailToken{UserID: userID, Purpose: purpose, Email: addr, TokenHash: hashToken(raw), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := tx.Create(&t).Error; err != nil {
		return "", fmt.Errorf("store %s link: %w", purpose, err)
	}
	return raw, nil
}

// spendLinks marks every unused link of the account used: of purpose, or of
// both purposes when purpose is "".
func spendLinks(tx *gorm.DB, userID int64, purpose string, now time.Time) error {
	q := tx.Model(&emailToken{}).Where("user_id = ? AND used_at IS NULL", userID)
	if purpose != "" {
		q = q.Where("purpose = ?", purpose)
	}
	if err := q.Update("used_at", now).Error; err != nil {
		return fmt.Errorf("spend the links of user %d: %w", userID, err)
	}
	return nil
}

// linksSince counts the links of purpose issued within the reset window to
// the accounts or addresses where matches.
func (s *Service) linksSince(tx *gorm.DB, where string, arg any, purpose string, now time.Time) (int, error) {
	var n int64
	err := tx.Model(&emailToken{}).Where(where, arg).Where("purpose = ? AND created_at > ?", purpose, now.Add(-s.mailCfg.ResetWindow)).
		Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count %s links: %w", purpose, err)
	}
	return int(n), nil
}

func (emailToken) TableName() string { return "email_tokens" }

// hours writes d for a mail: "30 分钟" / "30 minutes", "24 小时" / "24 hours".
func hours(d time.Duration, lang string) string {
	if d%time.Hour != 0 || d < time.Hour {
		if lang == "zh" {
			return fmt.Sprintf("%d 分钟", int(d.Minutes()))
		}
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	if lang == "zh" {
		return fmt.Sprintf("%d 小时", int(d.Hours()))
	}
	return fmt.Sprintf("%d hours", int(d.Hours()))
}
