package server

import (
	"fmt"
	"io"
	"mime"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/org"
)

// certReaders read certifications (each within its scope).
var certReaders = []access.Role{access.PlatformAdmin, access.DistrictAdmin, access.OrgAdmin, access.OrgMember}

// orgRoutes are the organizations' self-service and certification routes.
func (s *Server) orgRoutes(api fiber.Router) {
	api.Get("/organizations/:id/members", allow(access.PlatformAdmin, access.DistrictAdmin, access.OrgAdmin, access.OrgMember), s.handleMemberList)
	api.Post("/organizations/:id/members", allow(access.OrgAdmin), s.handleMemberAdd)
	api.Get("/organizations/:id/documents", allow(orgReaders...), s.handleDocumentList)
	api.Post("/organizations/:id/documents", allow(access.OrgAdmin, access.OrgMember), s.handleDocumentUpload)
	api.Get("/organizations/:id/documents/:doc", allow(orgReaders...), s.handleDocumentDownload)

	api.Get("/certifications", allow(certReaders...), s.handleCertificationList)
	api.Post("/certifications", allow(access.OrgAdmin), s.handleCertificationApply)
	api.Get("/certifications/:id", allow(certReaders...), s.handleCertificationGet)
	api.Post("/certifications/:id/approve", allow(access.DistrictAdmin), s.handleCertificationApprove)
	api.Post("/certifications/:id/reject", allow(access.DistrictAdmin), s.handleCertificationDecide("reject"))
	api.Post("/certifications/:id/suspend", allow(access.DistrictAdmin), s.handleCertificationDecide("suspend"))
	api.Post("/certifications/:id/revoke", allow(access.DistrictAdmin), s.handleCertificationDecide("revoke"))

	api.Get("/public/organizations", s.handlePublicOrganizations)
}

type memberRequest struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Password    string `json:"password"`
	Locale      string `json:"locale"`
}

func (r memberRequest) input() org.MemberInput {
	return org.MemberInput{Username: r.Username, DisplayName: r.DisplayName, Password: r.Password, Locale: r.Locale}
}

func (s *Server) handleMemberList(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	list, err := s.orgs.ListMembers(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) handleMemberAdd(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req memberRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	u, err := s.orgs.AddMember(c.UserContext(), actor(c), id, req.input())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(u)
}

func (s *Server) handleDocumentList(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	list, err := s.orgs.ListDocuments(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

var errMultipart = apperr.New(apperr.UnsupportedMediaType, "unsupported_media_type", "send the file as multipart/form-data in the field \"file\"")

func (s *Server) handleDocumentUpload(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
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
	doc, err := s.orgs.SaveDocument(c.UserContext(), actor(c), id, fh.Filename, f)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(doc)
}

// handleDocumentDownload sends a stored document as an attachment with its
// checked content type, never for the browser to render inline.
func (s *Server) handleDocumentDownload(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	docID, err := paramID(c, "doc")
	if err != nil {
		return err
	}
	doc, rc, err := s.orgs.OpenDocument(c.UserContext(), actor(c), id, docID)
	if err != nil {
		return err
	}
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("read document %d: %w", docID, err)
	}
	c.Set(fiber.HeaderContentType, doc.ContentType)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(doc.OriginalName))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	return c.Send(body)
}

// contentDisposition names the download with an ASCII fallback and the UTF-8
// name (RFC 6266, RFC 5987).
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name))
}

func (s *Server) handleCertificationList(c *fiber.Ctx) error {
	districtID, err := queryInt(c, "district_id")
	if err != nil {
		return err
	}
	status := c.Query("status")
	switch status {
	case "", "pending", "approved", "rejected", "suspended", "revoked", "active", "expired", "not_yet_valid":
	default:
		return apperr.InvalidField("status", "must be pending, approved, rejected, suspended, revoked, active, expired or not_yet_valid")
	}
	list, err := s.orgs.ListCertifications(c.UserContext(), actor(c), org.CertFilter{Status: status, DistrictID: districtID})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) handleCertificationGet(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	cert, err := s.orgs.GetCertification(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(cert)
}

type applyRequest struct {
	DistrictID  int64    `json:"district_id"`
	Categories  []string `json:"categories"`
	Statement   string   `json:"statement"`
	DocumentIDs []int64  `json:"document_ids"`
}

func (s *Server) handleCertificationApply(c *fiber.Ctx) error {
	var req applyRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	cert, err := s.orgs.Apply(c.UserContext(), actor(c), org.ApplyInput{
		DistrictID: req.DistrictID, Categories: req.Categories, Statement: req.Statement, DocumentIDs: req.DocumentIDs})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(cert)
}

type approveRequest struct {
	Grade      int    `json:"grade"`
	ValidFrom  string `json:"valid_from"`
	ValidUntil string `json:"valid_until"`
}

// dates parses the validity period, naming each malformed date.
func (r approveRequest) dates() (from, until org.Date, err error) {
	var f apperr.Fields
	if r.ValidFrom != "" {
		from, err = org.ParseDate(r.ValidFrom)
		f.Check(err == nil, "valid_from", "must be a date (YYYY-MM-DD)")
	}
	if r.ValidUntil != "" {
		until, err = org.ParseDate(r.ValidUntil)
		f.Check(err == nil, "valid_until", "must be a date (YYYY-MM-DD)")
	}
	return from, until, f.Err()
}

func (s *Server) handleCertificationApprove(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req approveRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	from, until, err := req.dates()
	if err != nil {
		return err
	}
	cert, err := s.orgs.Approve(c.UserContext(), actor(c), id, org.ApproveInput{Grade: req.Grade, ValidFrom: from, ValidUntil: until})
	if err != nil {
		return err
	}
	return c.JSON(cert)
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

// handleCertificationDecide rejects, suspends or revokes, each with a reason.
func (s *Server) handleCertificationDecide(decision string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		var req reasonRequest
		if err := s.decodeStrict(c, &req); err != nil {
			return err
		}
		ctx, by := c.UserContext(), actor(c)
		var cert org.Certification
		switch decision {
		case "reject":
			cert, err = s.orgs.Reject(ctx, by, id, req.Reason)
		case "suspend":
			cert, err = s.orgs.Suspend(ctx, by, id, req.Reason)
		default:
			cert, err = s.orgs.Revoke(ctx, by, id, req.Reason)
		}
		if err != nil {
			return err
		}
		return c.JSON(cert)
	}
}

func (s *Server) handlePublicOrganizations(c *fiber.Ctx) error {
	var fields apperr.Fields
	districtID, err := queryInt(c, "district_id")
	fields.Check(err == nil, "district_id", "must be a positive whole number")
	page, err := queryInt(c, "page")
	fields.Check(err == nil && page <= 100000, "page", "must be a whole number from 1")
	per, err := queryInt(c, "per_page")
	fields.Check(err == nil && per <= 100, "per_page", "must be a whole number from 1 to 100")
	q := c.Query("q")
	fields.Check(len(q) <= 200, "q", "must be at most 200 bytes")
	if err := fields.Err(); err != nil {
		return err
	}
	res, err := s.orgs.PublicCapable(c.UserContext(), org.CapableFilter{DistrictID: districtID, Category: c.Query("category"),
		Q: q, Page: int(page), PerPage: int(per)})
	if err != nil {
		return err
	}
	return c.JSON(res)
}
