package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
)

// User is an account. Its role decides which scope field is set (see
// access.Role.ScopeKind); the database refuses any other combination.
type User struct {
	ID             int64       `json:"id"`
	Username       string      `json:"username"`
	DisplayName    string      `json:"display_name"`
	PasswordHash   string      `json:"-"`
	Role           access.Role `json:"role"`
	DistrictID     *int64      `json:"district_id"`
	SubdistrictID  *int64      `json:"subdistrict_id"`
	OrganizationID *int64      `json:"organization_id"`
	Status         string      `json:"status"`
	Locale         string      `json:"locale"`
	// Email is the account's address; nothing but its verification link is
	// sent to it before EmailVerifiedAt is set.
	Email           *string    `json:"-"`
	EmailVerifiedAt *time.Time `json:"-"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

func (u User) actor(cl Client) access.Actor {
	a := access.Actor{UserID: u.ID, Username: u.Username, Role: u.Role, RequestID: cl.RequestID, ClientIP: cl.IP}
	if u.DistrictID != nil {
		a.Scope.DistrictID = *u.DistrictID
	}
	if u.SubdistrictID != nil {
		a.Scope.SubdistrictID = *u.SubdistrictID
	}
	if u.OrganizationID != nil {
		a.Scope.OrganizationID = *u.OrganizationID
	}
	return a
}

// Errors of account management.
var (
	ErrDuplicateUsername = apperr.New(apperr.Conflict, "user.duplicate_username", "this username is taken")
	// ErrOrganizationRole refuses to give an account an organization role or an
	// organization through the platform's user management: an organization's
	// accounts are made by the organization alone.
	ErrOrganizationRole = apperr.New(apperr.Forbidden, "user.organization_role",
		"an organization's accounts are made only by the organization (its sign-up, its admin's invitations): no account is given an organization role or an organization here")
	// ErrOrganizationAccount refuses every change to an organization's account
	// but its status.
	ErrOrganizationAccount = apperr.New(apperr.Forbidden, "user.organization_account",
		"an organization's account is changed only by the organization; a platform admin may only disable or enable it")
)

// organizational reports whether an account with role and organization belongs
// to an organization: such an account reads the organization's own records,
// its sealed bids included, so only the organization may make or change it.
func organizational(role access.Role, organization *int64) bool {
	return role.ScopeKind() == access.ScopeOrganization || organization != nil
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// UserInput creates an account.
type UserInput struct {
	Username       string
	DisplayName    string
	Password       string
	Role           access.Role
	DistrictID     *int64
	SubdistrictID  *int64
	OrganizationID *int64
	Locale         string
	// Email is the account's address ("" for none), stored unverified: the
	// caller sends its link with SendVerification once the account exists.
	Email string
}

// UserPatch changes an account; nil fields stay as they are. Changing the role
// replaces the scope with the one given.
type UserPatch struct {
	DisplayName    *string
	Password       *string
	Role           *access.Role
	DistrictID     *int64
	SubdistrictID  *int64
	OrganizationID *int64
	Status         *string
	Locale         *string
}

func checkPassword(f *apperr.Fields, field, password string) {
	n := utf8.RuneCountInString(password)
	f.Check(n >= 10 && len(password) <= 256, field, "must be 10 to 256 characters")
}

// checkScope validates that exactly the scope the role needs is given.
func checkScope(f *apperr.Fields, role access.Role, district, subdistrict, organization *int64) {
	want := role.ScopeKind()
	for _, s := range []struct {
		field string
		kind  access.ScopeKind
		id    *int64
	}{
		{"district_id", access.ScopeDistrict, district},
		{"subdistrict_id", access.ScopeSubdistrict, subdistrict},
		{"organization_id", access.ScopeOrganization, organization},
	} {
		switch {
		case s.kind == want && (s.id == nil || *s.id <= 0):
			f.Add(s.field, "is required for role "+string(role))
		case s.kind != want && s.id != nil:
			f.Add(s.field, "must be empty for role "+string(role))
		}
	}
}

func validLocale(l string) bool { return l == "zh-CN" || l == "en" }

// CreateUser adds an account for a platform admin (anyone else gets
// apperr.ErrForbidden). It makes no account of an organization: an
// organization role (org_admin, org_member) or any organization_id returns
// ErrOrganizationRole, for the organization makes its own accounts (its
// sign-up, its admin's invitations) and an account made here would read the
// organization's sealed bids. It returns an apperr.Invalid error naming each
// bad field, and ErrDuplicateUsername for a taken name.
func (s *Service) CreateUser(ctx context.Context, by access.Actor, in UserInput) (User, error) {
	if by.Role != access.PlatformAdmin {
		return User{}, apperr.ErrForbidden
	}
	if organizational(in.Role, in.OrganizationID) {
		return User{}, ErrOrganizationRole
	}
	if err := ValidateNewUser(&in); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(in.Password, s.cfg.Argon2)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err = CreateUserTx(tx, by, in, hash, s.clock.Now())
		return err
	})
	return u, err
}

// CreateUserTx inserts a validated account with its password hash inside tx.
func CreateUserTx(tx *gorm.DB, by access.Actor, in UserInput, hash string, now time.Time) (User, error) {
	u := User{Username: in.Username, DisplayName: in.DisplayName, PasswordHash: hash, Role: in.Role,
		DistrictID: in.DistrictID, SubdistrictID: in.SubdistrictID, OrganizationID: in.OrganizationID,
		Status: "active", Locale: in.Locale, CreatedAt: now, UpdatedAt: now}
	if in.Email != "" {
		u.Email = &in.Email
	}
	if err := tx.Create(&u).Error; err != nil {
		return u, userWriteError(err)
	}
	return u, audit.Record(tx, by, "user.create", "user", u.ID, map[string]any{
		"username": u.Username, "role": u.Role, "district_id": u.DistrictID,
		"subdistrict_id": u.SubdistrictID, "organization_id": u.OrganizationID})
}

func userWriteError(err error) error {
	switch {
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return ErrDuplicateUsername
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return apperr.InvalidField("scope", "the district, subdistrict or organization does not exist")
	case errors.Is(err, gorm.ErrCheckConstraintViolated):
		return apperr.InvalidField("role", "does not match the scope given")
	}
	return fmt.Errorf("write user: %w", err)
}

// ListUsers returns every account, by username.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	var out []User
	return out, s.db.WithContext(ctx).Order("username").Find(&out).Error
}

// GetUser returns one account or apperr.ErrNotFound.
func (s *Service) GetUser(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.db.WithContext(ctx).Take(&u, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, apperr.ErrNotFound
	}
	return u, err
}

// onlyStatus reports whether the patch changes the status and nothing else.
func (p UserPatch) onlyStatus() bool {
	return p.Status != nil && p.DisplayName == nil && p.Password == nil && p.Role == nil && p.DistrictID == nil &&
		p.SubdistrictID == nil && p.OrganizationID == nil && p.Locale == nil
}

// UpdateUser applies a platform admin's patch (anyone else gets
// apperr.ErrForbidden). A role or scope change, a password change and a status
// change each end the user's open sessions, and each is audited
// (user.role_change, user.status_change, and user.update for every patch).
//
// An organization's account (org_admin, org_member) takes a status change
// alone, disabling or enabling it: any other field returns
// ErrOrganizationAccount, for its password, name, role and organization are
// the organization's to change. No account is moved into an organization or
// an organization role: ErrOrganizationRole. A missing account is
// apperr.ErrNotFound; bad fields return an apperr.Invalid error naming each.
func (s *Service) UpdateUser(ctx context.Context, by access.Actor, id int64, p UserPatch) (User, error) {
	if by.Role != access.PlatformAdmin {
		return User{}, apperr.ErrForbidden
	}
	var u User
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if u, err = LockUserTx(tx, id); err != nil {
			return err
		}
		switch {
		case organizational(u.Role, u.OrganizationID):
			if !p.onlyStatus() {
				return ErrOrganizationAccount
			}
		case (p.Role != nil && organizational(*p.Role, nil)) || p.OrganizationID != nil:
			return ErrOrganizationRole
		}
		before := u
		var f apperr.Fields
		if p.DisplayName != nil {
			u.DisplayName = strings.TrimSpace(*p.DisplayName)
			f.Check(len(u.DisplayName) <= 100, "display_name", "must be at most 100 bytes")
		}
		scopeGiven := p.DistrictID != nil || p.SubdistrictID != nil || p.OrganizationID != nil
		if p.Role != nil || scopeGiven {
			role := u.Role
			if p.Role != nil {
				role = *p.Role
			}
			if role.Valid() {
				checkScope(&f, role, p.DistrictID, p.SubdistrictID, p.OrganizationID)
			} else {
				f.Add("role", "is not a role")
			}
			u.Role, u.DistrictID, u.SubdistrictID, u.OrganizationID = role, p.DistrictID, p.SubdistrictID, p.OrganizationID
		}
		if p.Status != nil {
			u.Status = *p.Status
			f.Check(u.Status == "active" || u.Status == "disabled", "status", "must be active or disabled")
		}
		if p.Locale != nil {
			u.Locale = *p.Locale
			f.Check(validLocale(u.Locale), "locale", "must be zh-CN or en")
		}
		if p.Password != nil {
			checkPassword(&f, "password", *p.Password)
		}
		if err := f.Err(); err != nil {
			return err
		}
		if p.Password != nil {
			hash, err := HashPassword(*p.Password, s.cfg.Argon2)
			if err != nil {
				return err
			}
			u.PasswordHash = hash
		}
		u.UpdatedAt = s.clock.Now()
		if err := tx.Model(&u).Select("display_name", "password_hash", "role", "district_id", "subdistrict_id",
			"organization_id", "status", "locale", "updated_at").UpdateColumns(&u).Error; err != nil {
			return userWriteError(err)
		}
		roleChanged := u.Role != before.Role || !sameID(u.DistrictID, before.DistrictID) ||
			!sameID(u.SubdistrictID, before.SubdistrictID) || !sameID(u.OrganizationID, before.OrganizationID)
		if roleChanged || p.Password != nil || u.Status != before.Status {
			if _, err := endSessions(tx, u.ID, "account changed", u.UpdatedAt); err != nil {
				return err
			}
		}
		if u.Status != before.Status {
			if err := audit.Record(tx, by, "user.status_change", "user", u.ID, map[string]any{
				"from": before.Status, "to": u.Status}); err != nil {
				return err
			}
		}
		if roleChanged {
			if err := audit.Record(tx, by, "user.role_change", "user", u.ID, map[string]any{
				"from": map[string]any{"role": before.Role, "district_id": before.DistrictID, "subdistrict_id": before.SubdistrictID, "organization_id": before.OrganizationID},
				"to":   map[string]any{"role": u.Role, "district_id": u.DistrictID, "subdistrict_id": u.SubdistrictID, "organization_id": u.OrganizationID},
			}); err != nil {
				return err
			}
		}
		return audit.Record(tx, by, "user.update", "user", u.ID, map[string]any{
			"display_name": u.DisplayName, "status": u.Status, "locale": u.Locale, "password_changed": p.Password != nil})
	})
	return u, err
}

// LockUserTx reads account id inside tx and locks its row against other
// changes until tx ends; a missing account is apperr.ErrNotFound.
func LockUserTx(tx *gorm.DB, id int64) (User, error) {
	var u User
	err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Take(&u, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, apperr.ErrNotFound
	} else if err != nil {
		return u, fmt.Errorf("lock user %d: %w", id, err)
	}
	return u, nil
}

// endSessions revokes every open session of user userID (so each access and
// refresh token of the user stops working) and returns how many it ended.
func endSessions(tx *gorm.DB, userID int64, reason string, now time.Time) (int64, error) {
	res := tx.Model(&session{}).Where("user_id = ? AND revoked_at IS NULL", userID).
		Updates(map[string]any{"revoked_at": now, "revoke_reason": reason})
	if res.Error != nil {
		return 0, fmt.Errorf("end the sessions of user %d: %w", userID, res.Error)
	}
	return res.RowsAffected, nil
}

// ResetPasswordTx sets the password of account u, read with LockUserTx in
// tx, to the one hash was made from (HashPassword), and ends every session of
// the account: each of its access and refresh tokens stops working at once.
// It writes the audit entry user.password_reset naming the account and how
// many sessions ended, never the password. The caller decides who may.
func ResetPasswordTx(tx *gorm.DB, by access.Actor, u User, hash string, now time.Time) error {
	res := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"password_hash": hash, "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("reset the password of user %d: %w", u.ID, res.Error)
	}
	if res.RowsAffected != 1 {
		return apperr.ErrNotFound
	}
	ended, err := endSessions(tx, u.ID, "password reset", now)
	if err != nil {
		return err
	}
	return audit.Record(tx, by, "user.password_reset", "user", u.ID, map[string]any{
		"username": u.Username, "organization_id": u.OrganizationID, "sessions_ended": ended})
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// Profile is what GET /me returns.
type Profile struct {
	ID          int64         `json:"id"`
	Username    string        `json:"username"`
	DisplayName string        `json:"display_name"`
	Roles       []access.Role `json:"roles"`
	Scope       access.Scope  `json:"scope"`
	Locale      string        `json:"locale"`
}

// Me returns the signed-in user's profile.
func (s *Service) Me(ctx context.Context, by access.Actor) (Profile, error) {
	u, err := s.GetUser(ctx, by.UserID)
	if err != nil {
		return Profile{}, err
	}
	return Profile{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Roles: []access.Role{u.Role},
		Scope: by.Scope, Locale: u.Locale}, nil
}

// SetLocale stores the user's preferred language.
func (s *Service) SetLocale(ctx context.Context, by access.Actor, locale string) error {
	if !validLocale(locale) {
		return apperr.InvalidField("locale", "must be zh-CN or en")
	}
	return s.db.WithContext(ctx).Model(&User{}).Where("id = ?", by.UserID).
		Updates(map[string]any{"locale": locale, "updated_at": s.clock.Now()}).Error
}
