package servicerequest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// ServiceType is a service a contract delivers: one of its metrics whose
// source is service records.
type ServiceType struct {
	Code   string `json:"code"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	Unit   string `json:"unit"`
}

// MenuItem is an active contract serving a community.
type MenuItem struct {
	ContractID     int64         `json:"contract_id"`
	Title          string        `json:"title"`
	OrganizationID int64         `json:"organization_id"`
	Provider       string        `json:"provider"`
	CategoryCode   string        `json:"category_code"`
	CategoryNameZh string        `json:"category_name_zh"`
	ServiceStart   civil.Date    `json:"service_start"`
	ServiceEnd     civil.Date    `json:"service_end"`
	ServiceTypes   []ServiceType `json:"service_types" gorm:"-"`
}

// Menu is a community's menu of services.
type Menu struct {
	CommunityID int64      `json:"community_id"`
	NameZh      string     `json:"name_zh"`
	Items       []MenuItem `json:"items"`
}

// menuItems returns the contracts on community's menu on day today: active,
// serving the community, within their service period; only contractID's when
// it is not 0.
func menuItems(tx *gorm.DB, communityID, contractID int64, today civil.Date) ([]MenuItem, error) {
	// One statement: the contracts and, as JSON, each one's service types.
	q := tx.Table("contracts c").
		Select(`c.id AS contract_id, c.title, c.organization_id, o.legal_name AS provider, c.category_code, sc.name_zh AS category_name_zh,
			c.service_start, c.service_end,
			coalesce((SELECT json_agg(json_build_object('code', m.code, 'name_zh', m.name_zh, 'name_en', m.name_en, 'unit', m.unit) ORDER BY m.code)
				FROM contract_metrics m WHERE m.contract_id = c.id AND m.source = 'service_records'), '[]') AS service_types`).
		Joins("JOIN contract_communities cc ON cc.contract_id = c.id").
		Joins("JOIN organizations o ON o.id = c.organization_id").
		Joins("JOIN service_categories sc ON sc.code = c.category_code").
		Where("cc.community_id = ? AND c.status = 'active' AND c.service_start <= ? AND c.service_end >= ?", communityID, today, today)
	if contractID != 0 {
		q = q.Where("c.id = ?", contractID)
	}
	var rows []struct {
		ContractID     int64
		Title          string
		OrganizationID int64
		Provider       string
		CategoryCode   string
		CategoryNameZh string
		ServiceStart   civil.Date
		ServiceEnd     civil.Date
		ServiceTypes   []ServiceType `gorm:"serializer:json"`
	}
	if err := q.Order("c.id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read community %d menu: %w", communityID, err)
	}
	items := make([]MenuItem, 0, len(rows))
	for _, r := range rows {
		it := MenuItem{ContractID: r.ContractID, Title: r.Title, OrganizationID: r.OrganizationID, Provider: r.Provider, CategoryCode: r.CategoryCode,
			CategoryNameZh: r.CategoryNameZh, ServiceStart: r.ServiceStart, ServiceEnd: r.ServiceEnd, ServiceTypes: r.ServiceTypes}
		if it.ServiceTypes == nil {
			it.ServiceTypes = []ServiceType{}
		}
		items = append(items, it)
	}
	return items, nil
}

// Menu returns a community's menu, for anyone: the active contracts serving
// it today, with their provider, category, service types and period. An
// unknown community is apperr.ErrNotFound.
func (s *Service) Menu(ctx context.Context, communityID int64) (Menu, error) {
	db := s.db.WithContext(ctx)
	m := Menu{CommunityID: communityID}
	if err := db.Table("communities").Select("name_zh").Where("id = ?", communityID).Take(&m.NameZh).Error; err != nil {
		return Menu{}, notFound(err, fmt.Sprintf("read community %d", communityID))
	}
	items, err := menuItems(db, communityID, 0, civil.ChinaDate(s.clock.Now()))
	m.Items = items
	return m, err
}

// ResidentMenu returns the menu of the community a resident's account is
// bound to, as Menu does: for a resident only (other roles
// apperr.ErrForbidden); an account bound to no community is ErrNoCommunity.
func (s *Service) ResidentMenu(ctx context.Context, by access.Actor) (Menu, error) {
	if by.Role != access.Resident {
		return Menu{}, apperr.ErrForbidden
	}
	community, err := residentCommunity(s.db.WithContext(ctx), by.UserID)
	if err != nil {
		return Menu{}, err
	}
	return s.Menu(ctx, community)
}

// ResidentSignup is a resident's self sign-up.
type ResidentSignup struct {
	Username    string
	Password    string
	DisplayName string
	CommunityID int64
	Locale      string
	// Email is the resident's address ("" for none), stored unverified until
	// the resident follows the link auth.Service.SendVerification sends.
	Email string
	// RequestID and ClientIP identify the visitor's request in the audit trail.
	RequestID string
	ClientIP  string
}

// Resident is a resident's account and its community.
type Resident struct {
	User        auth.User `json:"user"`
	CommunityID int64     `json:"community_id"`
}

// SignupResident makes a resident account bound to a community, for an
// anonymous visitor. The account is checked as every account is
// (auth.ValidateAccount: the same username and password rules), the
// community must exist; all bad fields are reported together in one
// apperr.Invalid error. It returns auth.ErrDuplicateUsername for a taken
// username. The audit entries (user.create, resident.signup) name the account
// being created as the actor, as an organization's sign-up does.
func (s *Service) SignupResident(ctx context.Context, in ResidentSignup) (Resident, error) {
	account := auth.UserInput{Username: in.Username, Password: in.Password, DisplayName: in.DisplayName,
		Role: access.Resident, Locale: in.Locale, Email: in.Email}
	var f apperr.Fields
	if err := auth.ValidateAccount(&account); err != nil {
		e, ok := apperr.As(err)
		if !ok {
			return Resident{}, err
		}
		for _, fe := range e.Fields {
			f.Add(fe.Field, fe.Message)
		}
	}
	db := s.db.WithContext(ctx)
	var n int64
	if in.CommunityID > 0 {
		if err := db.Table("communities").Where("id = ?", in.CommunityID).Count(&n).Error; err != nil {
			return Resident{}, fmt.Errorf("read community %d: %w", in.CommunityID, err)
		}
	}
	f.Check(n == 1, "community_id", "must be a community")
	if err := f.Err(); err != nil {
		return Resident{}, err
	}
	hash, err := auth.HashPassword(account.Password, s.argon2)
	if err != nil {
		return Resident{}, err
	}
	by := access.Actor{Username: account.Username, Role: access.Resident, RequestID: in.RequestID, ClientIP: in.ClientIP}
	r := Resident{CommunityID: in.CommunityID}
	err = db.Transaction(func(tx *gorm.DB) error {
		var err error
		if r.User, err = auth.CreateUserTx(tx, by, account, hash, s.clock.Now()); err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE users SET community_id = ? WHERE id = ?`, in.CommunityID, r.User.ID).Error; err != nil {
			return fmt.Errorf("bind resident %d to community %d: %w", r.User.ID, in.CommunityID, err)
		}
		return audit.Record(tx, by, "resident.signup", "user", r.User.ID, map[string]any{"community_id": in.CommunityID})
	})
	if err != nil {
		return Resident{}, err
	}
	return r, nil
}

// residentCommunity returns the community a resident account is bound to
// (ErrNoCommunity when none).
func residentCommunity(tx *gorm.DB, userID int64) (int64, error) {
	var u struct{ CommunityID *int64 }
	err := tx.Table("users").Select("community_id").Where("id = ? AND role = 'resident'", userID).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && u.CommunityID == nil) {
		return 0, ErrNoCommunity
	}
	if err != nil {
		return 0, fmt.Errorf("read resident %d: %w", userID, err)
	}
	return *u.CommunityID, nil
}

// trimmed returns s without surrounding white space.
func trimmed(s string) string { return strings.TrimSpace(s) }
