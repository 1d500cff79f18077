package org

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// MemberInput is the account of an organization's staff member.
type MemberInput struct {
	Username    string
	DisplayName string
	Password    string
	Locale      string // zh-CN (the default) or en
	// Role is what AddMember makes: org_member (the default), org_admin, or
	// evaluator for a third-party evaluation agency. A
	// sign-up's account is always the organization's org_admin.
	Role access.Role
	// Email is the account's address ("" for none), stored unverified until
	// its owner follows the link auth.Service.SendVerification sends.
	Email string
}

// ErrOwnPassword refuses an admin's reset of its own password: another admin
// of the organization resets it, which is why an organization keeps two.
var ErrOwnPassword = apperr.New(apperr.Forbidden, "organization.own_password",
	"an administrator's own password is reset by another administrator of the organization")

func (m MemberInput) userInput(role access.Role, orgID int64) auth.UserInput {
	in := auth.UserInput{Username: m.Username, DisplayName: m.DisplayName, Password: m.Password, Role: role, Locale: m.Locale,
		Email: m.Email}
	if orgID != 0 {
		in.OrganizationID = &orgID
	}
	return in
}

// ErrNotEvaluationAgency refuses an evaluator account to an organization
// that is not a third-party evaluation agency today.
var ErrNotEvaluationAgency = apperr.New(apperr.Conflict, "organization.not_evaluation_agency",
	"only an organization with an active certification for third-party evaluation (第三方评估) has evaluator accounts")

// evaluationAgency reports whether the organization holds, at the instant at,
// an approved and valid certification for EvaluationCategory in any district.
func evaluationAgency(tx *gorm.DB, orgID int64, at time.Time) (bool, error) {
	day := civil.ChinaDate(at)
	var ok bool
	err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM certifications c JOIN certification_categories cc ON cc.certification_id = c.id
		WHERE c.organization_id = ? AND cc.category_code = ? AND c.status = ? AND c.valid_from <= ? AND c.valid_until > ?)`,
		orgID, EvaluationCategory, CertApproved, day, day).Scan(&ok).Error
	if err != nil {
		return false, fmt.Errorf("evaluation certification of organization %d: %w", orgID, err)
	}
	return ok, nil
}

// AddMember creates an account in the organization: an org_member, a
// further org_admin when in.Role says so, or — for a third-party evaluation
// agency, an organization with an active certification for
// EvaluationCategory (else ErrNotEvaluationAgency) — an evaluator, who
// evaluates contracts of the districts where the agency is certified. Only the organization's own
// org_admin may: the admin of another organization gets apperr.ErrNotFound,
// any other role apperr.ErrForbidden. The account is checked as
// auth.CreateUser checks it, and a role other than org_member, org_admin or
// evaluator is refused (apperr.Invalid naming each bad field); a taken username returns
// auth.ErrDuplicateUsername.
func (s *Service) AddMember(ctx context.Context, by access.Actor, orgID int64, in MemberInput) (auth.User, error) {
	if by.Role != access.OrgAdmin {
		return auth.User{}, apperr.ErrForbidden
	}
	if by.Scope.OrganizationID != orgID {
		return auth.User{}, apperr.ErrNotFound
	}
	role, roleErr := in.Role, error(nil)
	switch role {
	case "":
		role = access.OrgMember
	case access.OrgMember, access.OrgAdmin, access.Evaluator:
	default:
		roleErr = apperr.InvalidField("role", "must be org_member, org_admin or evaluator")
		role = access.OrgMember // the rest is checked as a member's
	}
	account := in.userInput(role, orgID)
	check := auth.ValidateNewUser
	if role == access.Evaluator {
		// An agency's evaluator works for the organization, not a district:
		// the account alone is checked here, its scope is the organization.
		check = auth.ValidateAccount
	}
	if err := joinInvalid(check(&account), roleErr); err != nil {
		return auth.User{}, err
	}
	hash, err := auth.HashPassword(account.Password, s.opts.Argon2)
	if err != nil {
		return auth.User{}, err
	}
	var u auth.User
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A shared lock keeps the organization in place while its member is added.
		var o Organization
		if err := tx.Clauses(clause.Locking{Strength: "SHARE"}).Take(&o, orgID).Error; err != nil {
			return notFound(err)
		}
		if role == access.Evaluator {
			ok, err := evaluationAgency(tx, orgID, s.clock.Now())
			if err != nil {
				return err
			}
			if !ok {
				return ErrNotEvaluationAgency
			}
		}
		var err error
		u, err = auth.CreateUserTx(tx, by, account, hash, s.clock.Now())
		return err
	})
	return u, err
}

// ResetMemberPassword sets the password of account userID of organization
// orgID, for an account that lost it. Only the organization's own org_admin
// may, for any other account of the organization (a member, or another
// admin): the admin of another organization, or an account outside the
// organization, gets apperr.ErrNotFound, any other role apperr.ErrForbidden,
// and the admin's own account ErrOwnPassword. Every session of the account
// ends, so its old access and refresh tokens stop working at once; the reset
// is audited (user.password_reset) without the password. A password of fewer
// than 10 or more than 256 characters returns an apperr.Invalid error naming
// "password".
func (s *Service) ResetMemberPassword(ctx context.Context, by access.Actor, orgID, userID int64, password string) error {
	if by.Role != access.OrgAdmin {
		return apperr.ErrForbidden
	}
	if by.Scope.OrganizationID != orgID {
		return apperr.ErrNotFound
	}
	if userID == by.UserID {
		return ErrOwnPassword
	}
	if err := auth.ValidatePassword("password", password); err != nil {
		return err
	}
	hash, err := auth.HashPassword(password, s.opts.Argon2)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := auth.LockUserTx(tx, userID)
		if err != nil {
			return err
		}
		if u.OrganizationID == nil || *u.OrganizationID != orgID {
			return apperr.ErrNotFound
		}
		return auth.ResetPasswordTx(tx, by, u, hash, s.clock.Now())
	})
}

// NeedsSecondAdmin reports whether an organization with these accounts has
// fewer than two active admins: an admin's lost password is reset by another
// admin, so an organization with one has no way back into that account.
func NeedsSecondAdmin(members []auth.User) bool {
	admins := 0
	for _, u := range members {
		if u.Role == access.OrgAdmin && u.Status == "active" {
			admins++
		}
	}
	return admins < 2
}

// ListMembers returns the accounts of an organization, by username. Its own
// staff, the district admins of its district and platform admins may read
// them; anyone else gets apperr.ErrNotFound.
func (s *Service) ListMembers(ctx context.Context, by access.Actor, orgID int64) ([]auth.User, error) {
	db := s.db.WithContext(ctx)
	if _, err := visibleOrg(db, by, orgID); err != nil {
		return nil, err
	}
	var out []auth.User
	if err := db.Where("organization_id = ?", orgID).Order("username").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list members of organization %d: %w", orgID, err)
	}
	return out, nil
}

// visibleOrg returns the organization when by may read its internal records
// (members, documents): its own staff, the district admins of its district and
// platform admins. Anyone else gets apperr.ErrNotFound, as for a missing one.
func visibleOrg(tx *gorm.DB, by access.Actor, orgID int64) (Organization, error) {
	var o Organization
	switch by.Role {
	case access.PlatformAdmin, access.DistrictAdmin, access.OrgAdmin, access.OrgMember:
	default:
		return o, apperr.ErrNotFound
	}
	if err := tx.Take(&o, orgID).Error; err != nil {
		return o, notFound(err)
	}
	switch by.Role {
	case access.PlatformAdmin:
		return o, nil
	case access.DistrictAdmin:
		if by.Scope.DistrictID == o.DistrictID {
			return o, nil
		}
	default:
		if by.Scope.OrganizationID == o.ID {
			return o, nil
		}
	}
	return Organization{}, apperr.ErrNotFound
}
