package api

import (
	"fmt"
	"mime"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/request"
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

func (h *Handler) handleOrganizationList(c *fiber.Ctx) error {
	list, err := h.Orgs.List(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (h *Handler) handleOrganizationGet(c *fiber.Ctx) error {
	o, err := request.Read(c, h.Orgs.Get)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

// handleOrganizationCreate registers an organization: an anonymous visitor
// signs up with the organization's first admin account; a platform or district
// admin registers one without an account. Other roles are refused.
func (h *Handler) handleOrganizationCreate(c *fiber.Ctx) error {
	a := request.Actor(c)
	if a.Authenticated() && !a.Is(access.PlatformAdmin, access.DistrictAdmin) {
		return apperr.ErrForbidden
	}
	var req organizationRequest
	if err := request.DecodeStrict(c, &req); err != nil {
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
		o, err := h.Orgs.Create(c.UserContext(), a, in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(o)
	}
	if req.Admin == nil {
		return apperr.InvalidField("admin", "is required: the organization's first administrator account")
	}
	o, u, err := h.Orgs.Signup(c.UserContext(), org.SignupInput{Organization: in, Admin: req.Admin.input(),
		RequestID: request.ID(c), ClientIP: request.ClientIP(c)})
	if err != nil {
		return err
	}
	h.sendVerification(c, u.ID)
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"organization": o, "admin": u})
}

func (h *Handler) handleOrganizationUpdate(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req organizationRequest
	if err := request.DecodeStrict(c, &req); err != nil {
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
	o, err := h.Orgs.Edit(c.UserContext(), request.Actor(c), id, func(in *org.Input) {
		_ = req.apply(in) // cannot fail: the date parsed above
	})
	if err != nil {
		return err
	}
	return c.JSON(o)
}

type memberRequest struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Password    string `json:"password"`
	Locale      string `json:"locale"`
	Email       string `json:"email"`
}

func (r memberRequest) input() org.MemberInput {
	return org.MemberInput{Username: r.Username, DisplayName: r.DisplayName, Password: r.Password, Locale: r.Locale,
		Email: r.Email}
}

// memberInviteRequest is an admin's invitation: an account of the
// organization, a member unless role says org_admin.
type memberInviteRequest struct {
	Username    string      `json:"username"`
	DisplayName string      `json:"display_name"`
	Password    string      `json:"password"`
	Locale      string      `json:"locale"`
	Role        access.Role `json:"role"`
	Email       string      `json:"email"`
}

type passwordResetRequest struct {
	Password string `json:"password"`
}

func (h *Handler) handleMemberList(c *fiber.Ctx) error {
	list, err := request.Read(c, h.Orgs.ListMembers)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (h *Handler) handleMemberAdd(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req memberInviteRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	u, err := h.Orgs.AddMember(c.UserContext(), request.Actor(c), id, org.MemberInput{Username: req.Username,
		DisplayName: req.DisplayName, Password: req.Password, Locale: req.Locale, Role: req.Role, Email: req.Email})
	if err != nil {
		return err
	}
	h.sendVerification(c, u.ID)
	return c.Status(fiber.StatusCreated).JSON(u)
}

func (h *Handler) handleMemberPassword(c *fiber.Ctx) error {
	ids, err := request.ParamIDs(c, "id", "uid")
	if err != nil {
		return err
	}
	var req passwordResetRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	if err := h.Orgs.ResetMemberPassword(c.UserContext(), request.Actor(c), ids[0], ids[1], req.Password); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) handleDocumentList(c *fiber.Ctx) error {
	list, err := request.Read(c, h.Orgs.ListDocuments)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

var errMultipart = apperr.New(apperr.UnsupportedMediaType, "unsupported_media_type", "send the file as multipart/form-data in the field \"file\"")

func (h *Handler) handleDocumentUpload(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != fiber.MIMEMultipartForm {
		return errMultipart
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.InvalidField("file", "is required")
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	doc, err := h.Orgs.SaveDocument(c.UserContext(), request.Actor(c), id, fh.Filename, f)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(doc)
}

// handleDocumentDownload sends a stored document as an attachment with its
// checked content type, never for the browser to render inline.
func (h *Handler) handleDocumentDownload(c *fiber.Ctx) error {
	return request.SendDocument(c, "id", h.Orgs.OpenDocument)
}
