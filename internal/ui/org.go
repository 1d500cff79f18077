package ui

import (
	"errors"
	"fmt"
	"mime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/request"
)

// orgTypes are the organization types in display order.
var orgTypes = []org.Type{org.SocialServiceInstitution, org.SocialGroup, org.Foundation, org.Enterprise}

// orgForm is an organization's profile as typed.
type orgForm struct {
	LegalName, CreditCode, OrgType, DistrictID, RegistrationDate, LegalRepresentative string
	ContactName, ContactPhone, ContactEmail, Address, StaffCount, SocialWorkers       string
}

// accountForm is the first admin account of a sign-up as typed; passwords are
// never sent back.
type accountForm struct {
	Username, DisplayName, Email string
}

func readOrgForm(c *fiber.Ctx) orgForm {
	form := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	return orgForm{LegalName: form("legal_name"), CreditCode: form("credit_code"), OrgType: form("org_type"),
		DistrictID: form("district_id"), RegistrationDate: form("registration_date"),
		LegalRepresentative: form("legal_representative"), ContactName: form("contact_name"),
		ContactPhone: form("contact_phone"), ContactEmail: form("contact_email"), Address: form("address"),
		StaffCount: form("staff_count"), SocialWorkers: form("certified_social_workers")}
}

func formOfOrg(o org.Organization) orgForm {
	f := orgForm{LegalName: o.LegalName, CreditCode: o.CreditCode, OrgType: string(o.OrgType),
		DistrictID: strconv.FormatInt(o.DistrictID, 10), LegalRepresentative: o.LegalRepresentative,
		ContactName: o.ContactName, ContactPhone: o.ContactPhone, ContactEmail: o.ContactEmail, Address: o.Address,
		StaffCount: strconv.Itoa(o.StaffCount), SocialWorkers: strconv.Itoa(o.CertifiedSocialWorkers)}
	if o.RegistrationDate != nil {
		f.RegistrationDate = o.RegistrationDate.Format(time.DateOnly)
	}
	return f
}

// input turns the form into the service's input, naming each field that does
// not parse in an Invalid error. Empty counts are 0, an empty date none.
func (f orgForm) input(bad *apperr.Fields) org.Input {
	in := org.Input{CreditCode: f.CreditCode, LegalName: f.LegalName, OrgType: org.Type(f.OrgType),
		LegalRepresentative: f.LegalRepresentative, ContactName: f.ContactName, ContactPhone: f.ContactPhone,
		ContactEmail: f.ContactEmail, Address: f.Address}
	if f.DistrictID != "" {
		id, err := strconv.ParseInt(f.DistrictID, 10, 64)
		bad.Check(err == nil, "district_id", "is not a district")
		in.DistrictID = id
	}
	if f.RegistrationDate != "" {
		d, err := time.Parse(time.DateOnly, f.RegistrationDate)
		bad.Check(err == nil, "registration_date", "must be a date (YYYY-MM-DD)")
		if err == nil {
			in.RegistrationDate = &d
		}
	}
	count := func(field, text string) int {
		if text == "" {
			return 0
		}
		n, err := strconv.Atoi(text)
		bad.Check(err == nil, field, "must be a whole number")
		return n
	}
	in.StaffCount = count("staff_count", f.StaffCount)
	in.CertifiedSocialWorkers = count("certified_social_workers", f.SocialWorkers)
	return in
}

type orgFormView struct {
	Signup    bool // a sign-up (with the account) rather than a profile edit
	SignedIn  bool // a sign-up page seen by someone already signed in
	Form      orgForm
	Account   accountForm
	Types     []org.Type
	Districts []place.District
	District  place.District // the organization's (profile edit)
	Alert     formAlert
}

func (h *Handler) renderOrgForm(c *fiber.Ctx, status int, v orgFormView) error {
	ctx := c.UserContext()
	var err error
	v.Types = orgTypes
	if v.Signup {
		v.SignedIn = request.Actor(c).Authenticated()
		if v.Districts, err = h.Places.ListDistricts(ctx); err != nil {
			return err
		}
		if v.Form.DistrictID == "" && len(v.Districts) == 1 {
			v.Form.DistrictID = strconv.FormatInt(v.Districts[0].ID, 10)
		}
	} else {
		id, _ := strconv.ParseInt(v.Form.DistrictID, 10, 64)
		if v.District, err = h.Places.GetDistrict(ctx, id); err != nil {
			return err
		}
	}
	return h.render(c, status, "org_form", v)
}

// orgFormLabel names the fields of the organization form for an alert.
func (h *Handler) orgFormLabel(c *fiber.Ctx) fieldLabel {
	lang := language(c)
	return func(field string) (string, string) {
		if name, ok := strings.CutPrefix(field, "admin."); ok {
			return "admin-" + name, h.pages.translate(lang, "account."+name)
		}
		return field, h.pages.translate(lang, "orgf."+field)
	}
}

func (h *Handler) handleSignupPage(c *fiber.Ctx) error {
	return h.renderOrgForm(c, fiber.StatusOK, orgFormView{Signup: true, Form: orgForm{OrgType: string(org.SocialServiceInstitution)}})
}

// handleSignupSubmit registers an organization with its first admin account,
// signs that admin in and opens the organization's page.
func (h *Handler) handleSignupSubmit(c *fiber.Ctx) error {
	if request.Actor(c).Authenticated() {
		return apperr.ErrForbidden
	}
	ctx, lang := c.UserContext(), language(c)
	v := orgFormView{Signup: true, Form: readOrgForm(c), Account: accountForm{
		Username: strings.TrimSpace(strings.Clone(c.FormValue("admin.username"))), DisplayName: strings.TrimSpace(strings.Clone(c.FormValue("admin.display_name"))),
		Email: posted(c, "admin.email")}}
	password := strings.Clone(c.FormValue("admin.password"))
	var bad apperr.Fields
	in := v.Form.input(&bad)
	bad.Check(password == c.FormValue("admin.password_confirm"), "admin.password_confirm", "does not match the password")
	err := bad.Err()
	if err == nil {
		var admin auth.User
		_, admin, err = h.Orgs.Signup(ctx, org.SignupInput{Organization: in, RequestID: request.ID(c), ClientIP: request.ClientIP(c),
			Admin: org.MemberInput{Username: v.Account.Username, DisplayName: v.Account.DisplayName, Password: password, Locale: lang,
				Email: v.Account.Email}})
		if err == nil {
			h.sendVerification(c, admin.ID)
		}
	}
	if err != nil {
		switch {
		case errors.Is(err, org.ErrDuplicateCode):
			v.Alert = h.fieldAlert(c, "credit_code", h.pages.translate(lang, "orgf.credit_code"), "taken.credit_code")
			return h.renderOrgForm(c, fiber.StatusConflict, v)
		case errors.Is(err, auth.ErrDuplicateUsername):
			v.Alert = h.fieldAlert(c, "admin-username", h.pages.translate(lang, "account.username"), "taken.username")
			return h.renderOrgForm(c, fiber.StatusConflict, v)
		}
		status, alert, ok := h.formProblem(c, err, h.orgFormLabel(c))
		if !ok {
			return err
		}
		v.Alert = alert
		return h.renderOrgForm(c, status, v)
	}
	tokens, err := h.Auth.Login(ctx, v.Account.Username, password, request.Client(c))
	if err != nil {
		// The organization exists; the admin can still sign in by hand.
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	h.startSession(c, tokens)
	return c.Redirect("/org?done=registered", fiber.StatusSeeOther)
}

func (h *Handler) handleOrgProfilePage(c *fiber.Ctx) error {
	a := request.Actor(c)
	o, err := h.Orgs.Get(c.UserContext(), a, a.Scope.OrganizationID)
	if err != nil {
		return err
	}
	return h.renderOrgForm(c, fiber.StatusOK, orgFormView{Form: formOfOrg(o)})
}

func (h *Handler) handleOrgProfileSubmit(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), request.Actor(c)
	cur, err := h.Orgs.Get(ctx, a, a.Scope.OrganizationID)
	if err != nil {
		return err
	}
	f := readOrgForm(c)
	// The credit code and the district are identity, shown but not edited.
	f.CreditCode, f.DistrictID = cur.CreditCode, strconv.FormatInt(cur.DistrictID, 10)
	var bad apperr.Fields
	in := f.input(&bad)
	err = bad.Err()
	if err == nil {
		_, err = h.Orgs.Update(ctx, a, cur.ID, in)
	}
	if err != nil {
		status, alert, ok := h.formProblem(c, err, h.orgFormLabel(c))
		if !ok {
			return err
		}
		return h.renderOrgForm(c, status, orgFormView{Form: f, Alert: alert})
	}
	return c.Redirect("/org?done=profile", fiber.StatusSeeOther)
}

type documentRow struct {
	org.Document
	Href     string
	Size     string
	Uploaded string
}

type certRow struct {
	org.Certification
	District     place.District
	CategoryList []catalog.Category
	Documents    []documentRow
	Applied      string
	Decided      string
	ValidFrom    string
	ValidThrough string
}

// certRows shows certifications; docs are the documents they may link to, by id.
func (h *Handler) certRows(c *fiber.Ctx, list []org.Certification, docs map[int64]documentRow) ([]certRow, error) {
	ctx := c.UserContext()
	_, byCode, err := h.categories(ctx)
	if err != nil {
		return nil, err
	}
	districts, err := h.Places.ListDistricts(ctx)
	if err != nil {
		return nil, err
	}
	byID := districtsByID(districts)
	out := make([]certRow, len(list))
	for i, cert := range list {
		r := certRow{Certification: cert, District: byID[cert.DistrictID], CategoryList: categoryList(cert.Categories, byCode),
			Applied: showTime(&cert.CreatedAt), Decided: showTime(cert.DecidedAt), ValidFrom: showDate(cert.ValidFrom),
			ValidThrough: showDate(cert.ValidThrough)}
		for _, id := range cert.DocumentIDs {
			if d, ok := docs[id]; ok {
				r.Documents = append(r.Documents, d)
			}
		}
		out[i] = r
	}
	return out, nil
}

// memberForm is the invitation of a member as typed (without the password).
type memberForm struct {
	Username, DisplayName string
	Role                  string // org_member or org_admin
	Email                 string
}

// applyForm is an application for certification as typed.
type applyForm struct {
	DistrictID string
	Categories map[string]bool
	Documents  map[int64]bool
	Statement  string
}

type orgView struct {
	Org        org.Organization
	District   place.District
	IsAdmin    bool
	Members    []auth.User
	SelfID     int64 // the viewer's account, which has no password form
	OneAdmin   bool  // the organization has fewer than two active admins
	Documents  []documentRow
	Certs      []certRow
	Districts  []place.District
	Categories []catalog.Category // of the organization's district's guidance catalog
	Pending    bool               // an application waits in the organization's district
	MaxUpload  string
	Invite     memberForm
	Apply      applyForm
	Alert      pageAlert
	Done       string
}

// orgDone are the outcomes the organization's page confirms after a redirect.
var orgDone = []string{"registered", "profile", "invited", "password", "uploaded", "applied"}

func (h *Handler) renderOrg(c *fiber.Ctx, status int, v orgView) error {
	ctx, a := c.UserContext(), request.Actor(c)
	orgID := a.Scope.OrganizationID
	var err error
	if v.Org, err = h.Orgs.Get(ctx, a, orgID); err != nil {
		return err
	}
	if v.District, err = h.Places.GetDistrict(ctx, v.Org.DistrictID); err != nil {
		return err
	}
	if v.Members, err = h.Orgs.ListMembers(ctx, a, orgID); err != nil {
		return err
	}
	v.SelfID, v.OneAdmin = a.UserID, org.NeedsSecondAdmin(v.Members)
	if v.Invite.Role == "" {
		v.Invite.Role = string(access.OrgMember)
	}
	docs, err := h.Orgs.ListDocuments(ctx, a, orgID)
	if err != nil {
		return err
	}
	byDoc := map[int64]documentRow{}
	for _, d := range docs {
		r := documentRow{Document: d, Href: "/org/documents/" + strconv.FormatInt(d.ID, 10), Size: fileSize(d.SizeBytes),
			Uploaded: showTime(&d.CreatedAt)}
		v.Documents = append(v.Documents, r)
		byDoc[d.ID] = r
	}
	certs, err := h.Orgs.ListCertifications(ctx, a, org.CertFilter{})
	if err != nil {
		return err
	}
	slices.Reverse(certs) // newest first
	if v.Certs, err = h.certRows(c, certs, byDoc); err != nil {
		return err
	}
	for _, cert := range certs {
		if cert.Status == org.CertPending && cert.DistrictID == v.Org.DistrictID {
			v.Pending = true
		}
	}
	if v.Districts, err = h.Places.ListDistricts(ctx); err != nil {
		return err
	}
	cats, _, err := h.categories(ctx)
	if err != nil {
		return err
	}
	listed, err := h.listed(ctx, v.Org.DistrictID)
	if err != nil {
		return err
	}
	for _, cat := range cats {
		if listed[cat.Code] {
			v.Categories = append(v.Categories, cat)
		}
	}
	v.IsAdmin = a.Role == access.OrgAdmin
	v.MaxUpload = fileSize(int64(h.cfg.Uploads.MaxBytes))
	if v.Apply.DistrictID == "" {
		v.Apply.DistrictID = strconv.FormatInt(v.Org.DistrictID, 10)
	}
	if done := c.Query("done"); status == fiber.StatusOK && slices.Contains(orgDone, done) {
		v.Done = done
	}
	return h.render(c, status, "org", v)
}

func (h *Handler) handleOrgPage(c *fiber.Ctx) error {
	return h.renderOrg(c, fiber.StatusOK, orgView{})
}

// sectionAlert places an alert in a section of the organization's page.
func (h *Handler) sectionAlert(c *fiber.Ctx, section string, alert formAlert) pageAlert {
	return pageAlert{Context: h.pages.translate(language(c), "org."+section+"_heading"), Href: "#" + section, formAlert: alert}
}

func (h *Handler) handleMemberInviteSubmit(c *fiber.Ctx) error {
	a, lang := request.Actor(c), language(c)
	f := memberForm{Username: strings.TrimSpace(strings.Clone(c.FormValue("username"))),
		DisplayName: strings.TrimSpace(strings.Clone(c.FormValue("display_name"))), Role: strings.Clone(c.FormValue("role")),
		Email: posted(c, "email")}
	member, err := h.Orgs.AddMember(c.UserContext(), a, a.Scope.OrganizationID,
		org.MemberInput{Username: f.Username, DisplayName: f.DisplayName, Password: c.FormValue("password"), Role: access.Role(f.Role),
			Email: f.Email})
	if err == nil {
		h.sendVerification(c, member.ID)
	}
	if err != nil {
		var alert formAlert
		status := fiber.StatusConflict
		if errors.Is(err, auth.ErrDuplicateUsername) {
			alert = h.fieldAlert(c, "member-username", h.pages.translate(lang, "account.username"), "taken.username")
		} else {
			var ok bool
			status, alert, ok = h.formProblem(c, err, func(field string) (string, string) {
				return "member-" + field, h.pages.translate(lang, "account."+field)
			})
			if !ok {
				return err
			}
		}
		return h.renderOrg(c, status, orgView{Invite: f, Alert: h.sectionAlert(c, "members", alert)})
	}
	return c.Redirect("/org?done=invited#members", fiber.StatusSeeOther)
}

// handleMemberPasswordSubmit sets the password of another account of the
// admin's organization; the service ends that account's sessions.
func (h *Handler) handleMemberPasswordSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	a, lang := request.Actor(c), language(c)
	err = h.Orgs.ResetMemberPassword(c.UserContext(), a, a.Scope.OrganizationID, id, c.FormValue("password"))
	if err != nil {
		status, alert, ok := h.formProblem(c, err, func(field string) (string, string) {
			return fmt.Sprintf("password-%d", id), h.pages.translate(lang, "org.new_password")
		})
		if !ok {
			return err
		}
		return h.renderOrg(c, status, orgView{Alert: h.sectionAlert(c, "members", alert)})
	}
	return c.Redirect("/org?done=password#members", fiber.StatusSeeOther)
}

// uploadProblem is what a refused upload says, by the service's error code.
var uploadProblem = map[string]string{
	"document.type":      "docerr.type",
	"document.empty":     "docerr.empty",
	"document.too_large": "docerr.too_large",
}

func (h *Handler) handleDocumentUploadSubmit(c *fiber.Ctx) error {
	a, lang := request.Actor(c), language(c)
	refuse := func(status int, key string) error {
		alert := h.fieldAlert(c, "document-file", h.pages.translate(lang, "doc.file"), key)
		if key == "docerr.too_large" {
			alert.Fields[0].Message = fmt.Sprintf(alert.Fields[0].Message, fileSize(int64(h.cfg.Uploads.MaxBytes)))
		}
		return h.renderOrg(c, status, orgView{Alert: h.sectionAlert(c, "documents", alert)})
	}
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != fiber.MIMEMultipartForm {
		return refuse(fiber.StatusBadRequest, "docerr.missing")
	}
	fh, err := c.FormFile("file")
	if err != nil || (fh.Filename == "" && fh.Size == 0) {
		// A browser sends an empty, nameless part when no file was chosen.
		return refuse(fiber.StatusBadRequest, "docerr.missing")
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	if _, err := h.Orgs.SaveDocument(c.UserContext(), a, a.Scope.OrganizationID, fh.Filename, f); err != nil {
		if e, ok := apperr.As(err); ok {
			if key, known := uploadProblem[e.Code]; known {
				return refuse(e.Kind.Status(), key)
			}
		}
		return err
	}
	return c.Redirect("/org?done=uploaded#documents", fiber.StatusSeeOther)
}

func (h *Handler) handleOwnDocument(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	a := request.Actor(c)
	doc, rc, err := h.Orgs.OpenDocument(c.UserContext(), a, a.Scope.OrganizationID, id)
	if err != nil {
		return err
	}
	return request.SendStored(c, doc, rc)
}

func (h *Handler) handleApplySubmit(c *fiber.Ctx) error {
	a, lang := request.Actor(c), language(c)
	f := applyForm{DistrictID: strings.TrimSpace(strings.Clone(c.FormValue("district_id"))), Categories: map[string]bool{},
		Documents: map[int64]bool{}, Statement: strings.Clone(c.FormValue("statement"))}
	in := org.ApplyInput{Statement: f.Statement, DocumentIDs: []int64{}}
	var bad apperr.Fields
	if f.DistrictID != "" {
		id, err := strconv.ParseInt(f.DistrictID, 10, 64)
		bad.Check(err == nil, "district_id", "is not a district")
		in.DistrictID = id
	}
	for _, code := range formValues(c, "categories") {
		if !f.Categories[code] {
			f.Categories[code] = true
			in.Categories = append(in.Categories, code)
		}
	}
	for _, raw := range formValues(c, "document_ids") {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			bad.Add("document_ids", "are not documents of this organization")
			continue
		}
		if !f.Documents[id] {
			f.Documents[id] = true
			in.DocumentIDs = append(in.DocumentIDs, id)
		}
	}
	err := bad.Err()
	if err == nil {
		_, err = h.Orgs.Apply(c.UserContext(), a, in)
	}
	if err != nil {
		status, alert, ok := h.formProblem(c, err, func(field string) (string, string) {
			return "apply-" + field, h.pages.translate(lang, "apply."+field)
		})
		if !ok {
			return err
		}
		return h.renderOrg(c, status, orgView{Apply: f, Alert: h.sectionAlert(c, "certifications", alert)})
	}
	return c.Redirect("/org?done=applied#certifications", fiber.StatusSeeOther)
}
