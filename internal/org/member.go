package org

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
)

// MemberInput is the account of an organization's staff member.
type MemberInput struct {
	Username    string
	DisplayName string
	Password    string
	Locale      string // zh-CN (the default) or en
}

func (m MemberInput) userInput(role access.Role, orgID int64) auth.UserInput {
	in := auth.UserInput{Username: m.Username, DisplayName: m.DisplayName, Password: m.Password, Role: role, Locale: m.Locale}
	if orgID != 0 {
		in.OrganizationID = &orgID
	}
	return in
}

// AddMember creates an org_member account in the organization. Only the
// organization's own org_admin may: the admin of another organization gets
// apperr.ErrNotFound, any other role apperr.ErrForbidden. The account is
// checked as auth.CreateUser checks it (apperr.Invalid naming each bad field);
// a taken username returns auth.ErrDuplicateUsername.
func (s *Service) AddMember(ctx context.Context, by access.Actor, orgID int64, in MemberInput) (auth.User, error) {
	if by.Role != access.OrgAdmin {
		return auth.User{}, apperr.ErrForbidden
	}
	if by.Scope.OrganizationID != orgID {
		return auth.User{}, apperr.ErrNotFound
	}
	account := in.userInput(access.OrgMember, orgID)
	if err := auth.ValidateNewUser(&account); err != nil {
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
		var err error
		u, err = auth.CreateUserTx(tx, by, account, hash, s.clock.Now())
		return err
	})
	return u, err
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
