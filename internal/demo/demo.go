// Package demo seeds the demonstration data of `jiedao seed --demo`: 吴兴区 with
// two subdistricts and their communities, four social organizations with valid
// credit codes, one account per role (three evaluators), the district's
// guidance catalog, published transfer items, certified organizations, fund
// accounts with money, and (WithTenders, or SeedTenders later) 爱山街道's
// tenders, one in every state of the lifecycle, with the signed contracts'
// service records, ratings, complaints, service requests, evaluations and
// milestone payments. Running it again changes nothing.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// Login is one demo account.
type Login struct {
	Username string
	Role     access.Role
}

// Result tells what Seed did.
type Result struct {
	Logins       []Login
	CreatedUsers int
	// PasswordWorks tells whether the given password opens every demo account
	// (false when accounts created earlier kept another one).
	PasswordWorks bool
}

type community struct {
	code, zh, en string
	households   int
}

type subdistrict struct {
	code, zh, en string
	communities  []community
}

var subdistricts = []subdistrict{
	{"330502003", "爱山街道", "Aishan Subdistrict", []community{
		{"330502003001", "南街社区", "Nanjie Community", 2350},
		{"330502003002", "衣裳街社区", "Yishangjie Community", 1480},
		{"330502003003", "仁皇山社区", "Renhuangshan Community", 960},
	}},
	{"330502004", "飞英街道", "Feiying Subdistrict", []community{
		{"330502004001", "飞英社区", "Feiying Community", 1820},
		{"330502004002", "塔下社区", "Taxia Community", 2610},
	}},
}

var organizations = []org.Input{
	{CreditCode: "52330502MJ526018XR", LegalName: "湖州市吴兴区康乐居家养老服务中心", OrgType: org.SocialServiceInstitution,
		LegalRepresentative: "王丽", ContactName: "王丽", ContactPhone: "0572-2100001", ContactEmail: "contact@kangle.example.org",
		Address: "吴兴区爱山街道南街 18 号", StaffCount: 42, CertifiedSocialWorkers: 9},
	{CreditCode: "51330502MJ016613XH", LegalName: "湖州市吴兴区社会工作者协会", OrgType: org.SocialGroup,
		LegalRepresentative: "陈明", ContactName: "李娜", ContactPhone: "0572-2100002", ContactEmail: "office@wxsw.example.org",
		Address: "吴兴区飞英街道塔下路 6 号", StaffCount: 18, CertifiedSocialWorkers: 12},
	{CreditCode: "53330502MJ159083XF", LegalName: "湖州市吴兴区慈善基金会", OrgType: org.Foundation,
		LegalRepresentative: "赵刚", ContactName: "周敏", ContactPhone: "0572-2100003", ContactEmail: "info@wxcharity.example.org",
		Address: "吴兴区爱山街道衣裳街 3 号", StaffCount: 7, CertifiedSocialWorkers: 2},
	// The second bidder for elderly home care; its code's check character is
	// computed by GB 32100-2015 (demo_test checks it with org.ValidCreditCode).
	{CreditCode: "52330502MJ7304156W", LegalName: "湖州市吴兴区安馨居家养老服务中心", OrgType: org.SocialServiceInstitution,
		LegalRepresentative: "孙建华", ContactName: "徐静", ContactPhone: "0572-2100004", ContactEmail: "service@anxin.example.org",
		Address: "吴兴区爱山街道仁皇山路 26 号", StaffCount: 26, CertifiedSocialWorkers: 5},
}

// Option changes what Seed creates.
type Option func(*options)

type options struct{ tenders, accountsOnly bool }

// AccountsOnly makes Seed create the places, the organizations and the
// accounts alone: no guidance catalog, transfer items, certifications or
// funds (nor tenders), for tests that need nothing more.
func AccountsOnly() Option { return func(o *options) { o.accountsOnly = true } }

// WithTenders makes Seed create 爱山街道's demo tenders too (SeedTenders).
// They are driven through the whole tender service, which takes a few hundred
// milliseconds: `jiedao seed --demo` asks for them, test environments that do
// not need them go without.
func WithTenders() Option { return func(o *options) { o.tenders = true } }

// Keys are the secrets and the store the demo tenders need (WithTenders):
// the bid-sealing key (JIEDAO_SEAL_KEY), the rating-code key
// (JIEDAO_RATING_KEY) the contracts' service records issue their codes
// under, and where the organizations' invoices for their milestone payments
// are stored (the server's uploads setting, so that it serves them).
type Keys struct {
	Seal, Rating []byte
	Uploads      config.Uploads
	// OCIDPrefix is the ocid prefix of the demo tenders' OCDS releases
	// (config.OCDS.Prefix); empty, the default configuration's.
	OCIDPrefix string
}

// Seed creates whatever demo data is missing. Accounts that already exist keep
// their password; new ones get password. keys seal the demo tenders' bids and
// issue their service records' rating codes (WithTenders).
func Seed(ctx context.Context, db *gorm.DB, clk clock.Clock, password string, params config.Argon2, keys Keys, opts ...Option) (Result, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var res Result
	by := access.SystemActor("seed", "seed")
	now := clk.Now()
	hash, err := auth.HashPassword(password, params)
	if err != nil {
		return res, err
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		district, err := firstOrCreate(tx, by, "district", "code = ?", "330502",
			&place.District{Code: "330502", NameZh: "吴兴区", NameEn: "Wuxing District", CreatedAt: now, UpdatedAt: now})
		if err != nil {
			return err
		}
		var subIDs []int64
		for _, sd := range subdistricts {
			s, err := firstOrCreate(tx, by, "subdistrict", "code = ?", sd.code,
				&place.Subdistrict{DistrictID: district.ID, Code: sd.code, NameZh: sd.zh, NameEn: sd.en, CreatedAt: now, UpdatedAt: now})
			if err != nil {
				return err
			}
			subIDs = append(subIDs, s.ID)
			for _, c := range sd.communities {
				if _, err := firstOrCreate(tx, by, "community", "code = ?", c.code,
					&place.Community{SubdistrictID: s.ID, Code: c.code, NameZh: c.zh, NameEn: c.en, Households: c.households, CreatedAt: now, UpdatedAt: now}); err != nil {
					return err
				}
			}
		}
		var orgIDs []int64
		for _, in := range organizations {
			var o org.Organization
			err := tx.Where("credit_code = ?", in.CreditCode).Take(&o).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				in.DistrictID = district.ID
				reg := time.Date(2016, 3, 18, 0, 0, 0, 0, time.UTC)
				in.RegistrationDate = &reg
				o, err = org.CreateTx(tx, by, in, now)
			}
			if err != nil {
				return fmt.Errorf("seed organization %s: %w", in.CreditCode, err)
			}
			orgIDs = append(orgIDs, o.ID)
		}
		ptr := func(v int64) *int64 { return &v }
		users := []auth.UserInput{
			{Username: "demo-admin", DisplayName: "平台管理员", Role: access.PlatformAdmin},
			{Username: "demo-district", DisplayName: "吴兴区民政局", Role: access.DistrictAdmin, DistrictID: ptr(district.ID)},
			{Username: "demo-officer", DisplayName: "爱山街道采购专员", Role: access.ProcurementOfficer, SubdistrictID: ptr(subIDs[0])},
			{Username: "demo-finance", DisplayName: "爱山街道财务专员", Role: access.FinanceOfficer, SubdistrictID: ptr(subIDs[0])},
			{Username: "demo-evaluator", DisplayName: "评审专家", Role: access.Evaluator, DistrictID: ptr(district.ID)},
			{Username: "demo-evaluator2", DisplayName: "评审专家二", Role: access.Evaluator, DistrictID: ptr(district.ID)},
			{Username: "demo-evaluator3", DisplayName: "评审专家三", Role: access.Evaluator, DistrictID: ptr(district.ID)},
			{Username: "demo-org", DisplayName: "康乐居家养老", Role: access.OrgAdmin, OrganizationID: ptr(orgIDs[0])},
			{Username: "demo-officer2", DisplayName: "飞英街道采购专员", Role: access.ProcurementOfficer, SubdistrictID: ptr(subIDs[1])},
			{Username: "demo-org2", DisplayName: "社会工作者协会", Role: access.OrgAdmin, OrganizationID: ptr(orgIDs[1])},
			{Username: "demo-org3", DisplayName: "安馨居家养老", Role: access.OrgAdmin, OrganizationID: ptr(orgIDs[3])},
			{Username: "demo-member", DisplayName: "康乐居家养老社工", Role: access.OrgMember, OrganizationID: ptr(orgIDs[0])},
			{Username: "demo-resident", DisplayName: "居民", Role: access.Resident},
		}
		res.PasswordWorks = true
		for _, in := range users {
			in.Locale = "zh-CN"
			var existing auth.User
			err := tx.Where("username = ?", in.Username).Take(&existing).Error
			switch {
			case errors.Is(err, gorm.ErrRecordNotFound):
				if _, err := auth.CreateUserTx(tx, by, in, hash, now); err != nil {
					return fmt.Errorf("seed user %s: %w", in.Username, err)
				}
				res.CreatedUsers++
			case err != nil:
				return err
			default:
				if ok, _ := auth.CheckPassword(existing.PasswordHash, password); !ok {
					res.PasswordWorks = false
				}
			}
			res.Logins = append(res.Logins, Login{Username: in.Username, Role: in.Role})
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	if o.accountsOnly {
		return res, nil
	}
	if err := seedCatalog(ctx, db, clk, params); err != nil {
		return res, err
	}
	if o.tenders {
		return res, SeedTenders(ctx, db, clk, keys)
	}
	return res, nil
}

// firstOrCreate returns the row matching where, creating it (with an audit
// entry) when absent.
func firstOrCreate[T any](tx *gorm.DB, by access.Actor, entity, where string, key any, row *T) (*T, error) {
	var found T
	err := tx.Where(where, key).Take(&found).Error
	if err == nil {
		return &found, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	if err := tx.Create(row).Error; err != nil {
		return nil, fmt.Errorf("seed %s %v: %w", entity, key, err)
	}
	if err := audit.Record(tx, by, entity+".create", entity, key, row); err != nil {
		return nil, err
	}
	return row, nil
}
