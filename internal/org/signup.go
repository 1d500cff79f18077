package org

import (
	"context"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
)

// SignupInput is an organization's self-registration: its profile and the
// account of its first administrator.
type SignupInput struct {
	Organization Input
	Admin        MemberInput
	// RequestID and ClientIP identify the visitor's request in the audit trail.
	RequestID string
	ClientIP  string
}

// Signup registers an organization and its first org_admin account for an
// anonymous visitor, in one transaction: afterwards both exist or neither does.
// The profile is checked as Create checks it (the district is required), the
// account as auth.CreateUser checks it, and all bad fields of both are reported
// together in one apperr.Invalid error.
//
// The audit entries (organization.create, then user.create) name as actor the
// account being created: its username and the org_admin role, with the
// request's id and address. The actor carries no user id, because the account
// does not exist yet when the first entry is written; user.create's entity id
// is the new account's id.
//
// It returns ErrDuplicateCode for a credit code already registered and
// auth.ErrDuplicateUsername for a taken username.
func (s *Service) Signup(ctx context.Context, in SignupInput) (Organization, auth.User, error) {
	now := s.clock.Now()
	account := in.Admin.userInput(access.OrgAdmin, 0)
	if err := joinInvalid(in.Organization.validate(now), prefixFields("admin.", auth.ValidateAccount(&account))); err != nil {
		return Organization{}, auth.User{}, err
	}
	hash, err := auth.HashPassword(account.Password, s.opts.Argon2)
	if err != nil {
		return Organization{}, auth.User{}, err
	}
	by := access.Actor{Username: account.Username, Role: access.OrgAdmin, RequestID: in.RequestID, ClientIP: in.ClientIP}
	var (
		o Organization
		u auth.User
	)
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if o, err = CreateTx(tx, by, in.Organization, now); err != nil {
			return err
		}
		account.OrganizationID = &o.ID
		u, err = auth.CreateUserTx(tx, by, account, hash, now)
		return err
	})
	if err != nil {
		return Organization{}, auth.User{}, err
	}
	return o, u, nil
}

// prefixFields names the fields of an Invalid error as parts of an object
// ("admin.username"), so a client knows which part of the body is wrong.
func prefixFields(prefix string, err error) error {
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.Invalid {
		return err
	}
	out := *e
	out.Fields = make([]apperr.FieldError, len(e.Fields))
	for i, fe := range e.Fields {
		out.Fields[i] = apperr.FieldError{Field: prefix + fe.Field, Message: fe.Message}
	}
	return &out
}

// joinInvalid merges validation errors into one apperr.Invalid error listing
// every bad field; any other error is returned as it is.
func joinInvalid(errs ...error) error {
	var f apperr.Fields
	for _, err := range errs {
		if err == nil {
			continue
		}
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.Invalid || len(e.Fields) == 0 {
			return err
		}
		for _, fe := range e.Fields {
			f.Add(fe.Field, fe.Message)
		}
	}
	return f.Err()
}
