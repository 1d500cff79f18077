package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/org"
)

type organizationRequest struct {
	CreditCode             *string   `json:"credit_code"`
	LegalName              *string   `json:"legal_name"`
	OrgType                *org.Type `json:"org_type"`
	DistrictID             *int64    `json:"district_id"`
	RegistrationDate       *string   `json:"registration_date"`
	LegalRepresentative    *string   `json:"legal_representative"`
	ContactName            *string   `json:"contact_name"`
	ContactPhone           *string   `json:"contact_phone"`
	ContactEmail           *string   `json:"contact_email"`
	Address                *string   `json:"address"`
	StaffCount             *int      `json:"staff_count"`
	CertifiedSocialWorkers *int      `json:"certified_social_workers"`
	// Admin is the first account of a self-registering organization; only an
	// anonymous sign-up carries it.
	Admin *memberRequest `json:"admin"`
}

func (r organizationRequest) apply(in *org.Input) error {
	set(&in.CreditCode, r.CreditCode)
	set(&in.LegalName, r.LegalName)
	set(&in.OrgType, r.OrgType)
	set(&in.DistrictID, r.DistrictID)
	set(&in.LegalRepresentative, r.LegalRepresentative)
	set(&in.ContactName, r.ContactName)
	set(&in.ContactPhone, r.ContactPhone)
	set(&in.ContactEmail, r.ContactEmail)
	set(&in.Address, r.Address)
	set(&in.StaffCount, r.StaffCount)
	set(&in.CertifiedSocialWorkers, r.CertifiedSocialWorkers)
	if r.RegistrationDate != nil {
		d, err := time.Parse(time.DateOnly, *r.RegistrationDate)
		if err != nil {
			return apperr.InvalidField("registration_date", "must be a date (YYYY-MM-DD)")
		}
		in.RegistrationDate = &d
	}
	return nil
}

func (s *Server) handleOrganizationList(c *fiber.Ctx) error {
	list, err := s.orgs.List(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) handleOrganizationGet(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	o, err := s.orgs.Get(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

// handleOrganizationCreate registers an organization: an anonymous visitor
// signs up with the organization's first admin account; a platform or district
// admin registers one without an account. Other roles are refused.
func (s *Server) handleOrganizationCreate(c *fiber.Ctx) error {
	a := actor(c)
	if a.Authenticated() && !a.Is(access.PlatformAdmin, access.DistrictAdmin) {
		return apperr.ErrForbidden
	}
	var req organizationRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	var in org.Input
	if err := req.apply(&in); err != nil {
		return err
	}
	if a.Authenticated() {
		if req.Admin != nil {
			return apperr.InvalidField("admin", "is only for a self-registration")
		}
		o, err := s.orgs.Create(c.UserContext(), a, in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(o)
	}
	if req.Admin == nil {
		return apperr.InvalidField("admin", "is required: the organization's first administrator account")
	}
	o, u, err := s.orgs.Signup(c.UserContext(), org.SignupInput{Organization: in, Admin: req.Admin.input(),
		RequestID: requestID(c), ClientIP: c.IP()})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"organization": o, "admin": u})
}

func (s *Server) handleOrganizationUpdate(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req organizationRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	var f apperr.Fields
	f.Check(req.CreditCode == nil, "credit_code", "cannot be changed")
	f.Check(req.DistrictID == nil, "district_id", "cannot be changed")
	if err := f.Err(); err != nil {
		return err
	}
	// The registration date is parsed before the row is locked; the rest of
	// the request is applied to the current profile under the lock.
	var parsed org.Input
	if err := req.apply(&parsed); err != nil {
		return err
	}
	o, err := s.orgs.Edit(c.UserContext(), actor(c), id, func(in *org.Input) {
		_ = req.apply(in) // cannot fail: the date parsed above
	})
	if err != nil {
		return err
	}
	return c.JSON(o)
}
