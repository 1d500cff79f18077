package server

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/place"
)

// orgPages registers the pages of social organizations: the public sign-up
// and directory of capable organizations, an organization's own page (profile,
// members, evidence documents, certifications) and the district admin's
// certification queue. Write routes check the CSRF token first, then the role;
// the services check the scope again.
func (s *Server) orgPages(pages fiber.Router) {
	pages.Get("/signup", s.handleSignupPage)
	pages.Post("/signup", s.anonymousLimit(), s.checkCSRF, s.handleSignupSubmit)
	pages.Get("/capable", s.handleCapablePage)

	// The organization's staff read its page and upload evidence; its admin
	// alone (the roles of the other paths) edits, invites and applies.
	staff, profile := s.pageFor("/org"), s.pageFor("/org/profile")
	pages.Get("/org", staff, s.handleOrgPage)
	pages.Get("/org/profile", profile, s.handleOrgProfilePage)
	pages.Post("/org/profile", s.checkCSRF, profile, s.handleOrgProfileSubmit)
	pages.Post("/org/members", s.checkCSRF, s.pageFor("/org/members"), s.handleMemberInviteSubmit)
	pages.Post("/org/documents", s.checkCSRF, staff, s.handleDocumentUploadSubmit)
	pages.Get("/org/documents/:id", staff, s.handleOwnDocument)
	pages.Post("/org/certifications", s.checkCSRF, s.pageFor("/org/certifications"), s.handleApplySubmit)

	queue := s.pageFor("/district/certifications")
	pages.Get("/district/certifications", queue, s.handleQueuePage)
	pages.Post("/district/certifications/:id/approve", s.checkCSRF, queue, s.handleApproveSubmit)
	for _, decision := range certDecisions {
		pages.Post("/district/certifications/:id/"+decision, s.checkCSRF, queue, s.handleDecisionSubmit(decision))
	}
	pages.Get("/district/documents/:org/:doc", queue, s.handleDistrictDocument)
}

// The organization types in display order, and the decisions on a
// certification that take a reason.
var (
	orgTypes      = []org.Type{org.SocialServiceInstitution, org.SocialGroup, org.Foundation, org.Enterprise}
	certDecisions = []string{"reject", "suspend", "revoke"}
)

// capablePerPage is the number of organizations on one page of the directory.
const capablePerPage = 20

// pageAlert is a form alert with the part of the page it is about, for pages
// that hold several forms.
type pageAlert struct {
	Context string // e.g. the heading of the form's section
	Href    string // where that form is
	formAlert
}

// fieldAlert is the alert of a form with one bad field.
func (s *Server) fieldAlert(c *fiber.Ctx, anchor, label, messageKey string) formAlert {
	lang := language(c)
	return formAlert{Message: s.pages.translate(lang, "form.invalid"),
		Fields: []fieldProblem{{Anchor: anchor, Label: label, Message: s.pages.translate(lang, messageKey)}},
		bad:    map[string]bool{anchor: true}}
}

// inFormOrder lists the alert's fields in the order their inputs appear on
// the form (the services list them by name); any other field comes last.
func inFormOrder(a formAlert, anchors ...string) formAlert {
	rank := func(anchor string) int {
		if i := slices.Index(anchors, anchor); i >= 0 {
			return i
		}
		return len(anchors)
	}
	slices.SortStableFunc(a.Fields, func(x, y fieldProblem) int { return cmp.Compare(rank(x.Anchor), rank(y.Anchor)) })
	return a
}

// orgFormOrder is the order of the organization form's inputs.
var orgFormOrder = []string{"legal_name", "credit_code", "district_id", "org_type", "registration_date", "legal_representative",
	"contact_name", "contact_phone", "contact_email", "address", "staff_count", "certified_social_workers",
	"admin-username", "admin-display_name", "admin-password", "admin-password_confirm"}

// showDate shows a date, or "" for none.
func showDate(d *org.Date) string {
	if d == nil {
		return ""
	}
	return d.String()
}

// lastDay shows the last day a period ending (exclusively) at until covers:
// the pages speak of "valid through", the service of the first day no longer valid.
func lastDay(until *org.Date) string {
	if until == nil || until.IsZero() {
		return ""
	}
	return until.AddDays(-1).String()
}

// fileSize shows a size in bytes for people: 812 B, 35.2 KB, 4.8 MB.
func fileSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB"
	}
	return strconv.FormatFloat(float64(n)/(1024*1024), 'f', 1, 64) + " MB"
}

// cutRunes cuts text to at most n characters.
func cutRunes(text string, n int) string {
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	return string([]rune(text)[:n])
}

// districtsByID returns the districts by id.
func districtsByID(list []place.District) map[int64]place.District {
	out := make(map[int64]place.District, len(list))
	for _, d := range list {
		out[d.ID] = d
	}
	return out
}

// categoryList returns the categories of codes, in the order given; an unknown
// code is shown as its code.
func categoryList(codes []string, byCode map[string]catalog.Category) []catalog.Category {
	out := make([]catalog.Category, len(codes))
	for i, code := range codes {
		if cat, ok := byCode[code]; ok {
			out[i] = cat
		} else {
			out[i] = catalog.Category{Code: code, NameZh: code}
		}
	}
	return out
}

// formValues returns every value posted for key, url-encoded or multipart.
func formValues(c *fiber.Ctx, key string) []string {
	var out []string
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		if form, err := c.MultipartForm(); err == nil {
			for _, v := range form.Value[key] {
				out = append(out, strings.Clone(v))
			}
		}
		return out
	}
	for _, v := range c.Request().PostArgs().PeekMulti(key) {
		out = append(out, string(v))
	}
	return out
}

// sendDocument sends a stored document as an attachment with its checked
// content type, with the headers of the API's download: never for the browser
// to render inline.
func sendDocument(c *fiber.Ctx, doc org.Document, rc io.ReadCloser) error {
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("read document %d: %w", doc.ID, err)
	}
	c.Set(fiber.HeaderContentType, doc.ContentType)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(doc.OriginalName))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	return c.Send(body)
}

// ---- the organization form (sign-up and profile) ----

// orgForm is an organization's profile as typed.
type orgForm struct {
	LegalName, CreditCode, OrgType, DistrictID, RegistrationDate, LegalRepresentative string
	ContactName, ContactPhone, ContactEmail, Address, StaffCount, SocialWorkers       string
}

// accountForm is the first admin account of a sign-up as typed; passwords are
// never sent back.
type accountForm struct {
	Username, DisplayName string
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

func (s *Server) renderOrgForm(c *fiber.Ctx, status int, v orgFormView) error {
	ctx := c.UserContext()
	var err error
	v.Types = orgTypes
	if v.Signup {
		v.SignedIn = actor(c).Authenticated()
		if v.Districts, err = s.places.ListDistricts(ctx); err != nil {
			return err
		}
		if v.Form.DistrictID == "" && len(v.Districts) == 1 {
			v.Form.DistrictID = strconv.FormatInt(v.Districts[0].ID, 10)
		}
	} else {
		id, _ := strconv.ParseInt(v.Form.DistrictID, 10, 64)
		if v.District, err = s.places.GetDistrict(ctx, id); err != nil {
			return err
		}
	}
	return s.render(c, status, "org_form", v)
}

// orgFormLabel names the fields of the organization form for an alert.
func (s *Server) orgFormLabel(c *fiber.Ctx) fieldLabel {
	lang := language(c)
	return func(field string) (string, string) {
		if name, ok := strings.CutPrefix(field, "admin."); ok {
			return "admin-" + name, s.pages.translate(lang, "account."+name)
		}
		return field, s.pages.translate(lang, "orgf."+field)
	}
}

func (s *Server) handleSignupPage(c *fiber.Ctx) error {
	return s.renderOrgForm(c, fiber.StatusOK, orgFormView{Signup: true, Form: orgForm{OrgType: string(org.SocialServiceInstitution)}})
}

// handleSignupSubmit registers an organization with its first admin account,
// signs that admin in and opens the organization's page.
func (s *Server) handleSignupSubmit(c *fiber.Ctx) error {
	if actor(c).Authenticated() {
		return apperr.ErrForbidden
	}
	ctx, lang := c.UserContext(), language(c)
	v := orgFormView{Signup: true, Form: readOrgForm(c), Account: accountForm{
		Username: strings.TrimSpace(strings.Clone(c.FormValue("admin.username"))), DisplayName: strings.TrimSpace(strings.Clone(c.FormValue("admin.display_name")))}}
	password := strings.Clone(c.FormValue("admin.password"))
	var bad apperr.Fields
	in := v.Form.input(&bad)
	bad.Check(password == c.FormValue("admin.password_confirm"), "admin.password_confirm", "does not match the password")
	err := bad.Err()
	if err == nil {
		_, _, err = s.orgs.Signup(ctx, org.SignupInput{Organization: in, RequestID: requestID(c), ClientIP: c.IP(),
			Admin: org.MemberInput{Username: v.Account.Username, DisplayName: v.Account.DisplayName, Password: password, Locale: lang}})
	}
	if err != nil {
		switch {
		case errors.Is(err, org.ErrDuplicateCode):
			v.Alert = s.fieldAlert(c, "credit_code", s.pages.translate(lang, "orgf.credit_code"), "taken.credit_code")
			return s.renderOrgForm(c, fiber.StatusConflict, v)
		case errors.Is(err, auth.ErrDuplicateUsername):
			v.Alert = s.fieldAlert(c, "admin-username", s.pages.translate(lang, "account.username"), "taken.username")
			return s.renderOrgForm(c, fiber.StatusConflict, v)
		}
		status, alert, ok := s.formProblem(c, err, s.orgFormLabel(c))
		if !ok {
			return err
		}
		v.Alert = inFormOrder(alert, orgFormOrder...)
		return s.renderOrgForm(c, status, v)
	}
	tokens, err := s.auth.Login(ctx, v.Account.Username, password, s.client(c))
	if err != nil {
		// The organization exists; the admin can still sign in by hand.
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	s.setTokenCookies(c, tokens)
	return c.Redirect("/org?done=registered", fiber.StatusSeeOther)
}

func (s *Server) handleOrgProfilePage(c *fiber.Ctx) error {
	a := actor(c)
	o, err := s.orgs.Get(c.UserContext(), a, a.Scope.OrganizationID)
	if err != nil {
		return err
	}
	return s.renderOrgForm(c, fiber.StatusOK, orgFormView{Form: formOfOrg(o)})
}

func (s *Server) handleOrgProfileSubmit(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), actor(c)
	cur, err := s.orgs.Get(ctx, a, a.Scope.OrganizationID)
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
		_, err = s.orgs.Update(ctx, a, cur.ID, in)
	}
	if err != nil {
		status, alert, ok := s.formProblem(c, err, s.orgFormLabel(c))
		if !ok {
			return err
		}
		return s.renderOrgForm(c, status, orgFormView{Form: f, Alert: inFormOrder(alert, orgFormOrder...)})
	}
	return c.Redirect("/org?done=profile", fiber.StatusSeeOther)
}

// ---- the organization's page ----

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
func (s *Server) certRows(c *fiber.Ctx, list []org.Certification, docs map[int64]documentRow) ([]certRow, error) {
	ctx := c.UserContext()
	_, byCode, err := s.categories(ctx)
	if err != nil {
		return nil, err
	}
	districts, err := s.places.ListDistricts(ctx)
	if err != nil {
		return nil, err
	}
	byID := districtsByID(districts)
	out := make([]certRow, len(list))
	for i, cert := range list {
		r := certRow{Certification: cert, District: byID[cert.DistrictID], CategoryList: categoryList(cert.Categories, byCode),
			Applied: showTime(&cert.CreatedAt), Decided: showTime(cert.DecidedAt), ValidFrom: showDate(cert.ValidFrom),
			ValidThrough: lastDay(cert.ValidUntil)}
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
var orgDone = []string{"registered", "profile", "invited", "uploaded", "applied"}

func (s *Server) renderOrg(c *fiber.Ctx, status int, v orgView) error {
	ctx, a := c.UserContext(), actor(c)
	orgID := a.Scope.OrganizationID
	var err error
	if v.Org, err = s.orgs.Get(ctx, a, orgID); err != nil {
		return err
	}
	if v.District, err = s.places.GetDistrict(ctx, v.Org.DistrictID); err != nil {
		return err
	}
	if v.Members, err = s.orgs.ListMembers(ctx, a, orgID); err != nil {
		return err
	}
	docs, err := s.orgs.ListDocuments(ctx, a, orgID)
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
	certs, err := s.orgs.ListCertifications(ctx, a, org.CertFilter{})
	if err != nil {
		return err
	}
	slices.Reverse(certs) // newest first
	if v.Certs, err = s.certRows(c, certs, byDoc); err != nil {
		return err
	}
	for _, cert := range certs {
		if cert.Status == org.CertPending && cert.DistrictID == v.Org.DistrictID {
			v.Pending = true
		}
	}
	if v.Districts, err = s.places.ListDistricts(ctx); err != nil {
		return err
	}
	cats, _, err := s.categories(ctx)
	if err != nil {
		return err
	}
	listed, err := s.listed(ctx, v.Org.DistrictID)
	if err != nil {
		return err
	}
	for _, cat := range cats {
		if listed[cat.Code] {
			v.Categories = append(v.Categories, cat)
		}
	}
	v.IsAdmin = a.Role == access.OrgAdmin
	v.MaxUpload = fileSize(int64(s.cfg.Uploads.MaxBytes))
	if v.Apply.DistrictID == "" {
		v.Apply.DistrictID = strconv.FormatInt(v.Org.DistrictID, 10)
	}
	if done := c.Query("done"); status == fiber.StatusOK && slices.Contains(orgDone, done) {
		v.Done = done
	}
	return s.render(c, status, "org", v)
}

func (s *Server) handleOrgPage(c *fiber.Ctx) error {
	return s.renderOrg(c, fiber.StatusOK, orgView{})
}

// sectionAlert places an alert in a section of the organization's page.
func (s *Server) sectionAlert(c *fiber.Ctx, section string, alert formAlert) pageAlert {
	return pageAlert{Context: s.pages.translate(language(c), "org."+section+"_heading"), Href: "#" + section, formAlert: alert}
}

func (s *Server) handleMemberInviteSubmit(c *fiber.Ctx) error {
	a, lang := actor(c), language(c)
	f := memberForm{Username: strings.TrimSpace(strings.Clone(c.FormValue("username"))),
		DisplayName: strings.TrimSpace(strings.Clone(c.FormValue("display_name")))}
	_, err := s.orgs.AddMember(c.UserContext(), a, a.Scope.OrganizationID,
		org.MemberInput{Username: f.Username, DisplayName: f.DisplayName, Password: c.FormValue("password")})
	if err != nil {
		var alert formAlert
		status := fiber.StatusConflict
		if errors.Is(err, auth.ErrDuplicateUsername) {
			alert = s.fieldAlert(c, "member-username", s.pages.translate(lang, "account.username"), "taken.username")
		} else {
			var ok bool
			status, alert, ok = s.formProblem(c, err, func(field string) (string, string) {
				return "member-" + field, s.pages.translate(lang, "account."+field)
			})
			if !ok {
				return err
			}
			alert = inFormOrder(alert, "member-username", "member-display_name", "member-password")
		}
		return s.renderOrg(c, status, orgView{Invite: f, Alert: s.sectionAlert(c, "members", alert)})
	}
	return c.Redirect("/org?done=invited#members", fiber.StatusSeeOther)
}

// uploadProblem is what a refused upload says, by the service's error code.
var uploadProblem = map[string]string{
	"document.type":      "docerr.type",
	"document.empty":     "docerr.empty",
	"document.too_large": "docerr.too_large",
}

func (s *Server) handleDocumentUploadSubmit(c *fiber.Ctx) error {
	a, lang := actor(c), language(c)
	refuse := func(status int, key string) error {
		alert := s.fieldAlert(c, "document-file", s.pages.translate(lang, "doc.file"), key)
		if key == "docerr.too_large" {
			alert.Fields[0].Message = fmt.Sprintf(alert.Fields[0].Message, fileSize(int64(s.cfg.Uploads.MaxBytes)))
		}
		return s.renderOrg(c, status, orgView{Alert: s.sectionAlert(c, "documents", alert)})
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
	if _, err := s.orgs.SaveDocument(c.UserContext(), a, a.Scope.OrganizationID, fh.Filename, f); err != nil {
		if e, ok := apperr.As(err); ok {
			if key, known := uploadProblem[e.Code]; known {
				return refuse(e.Kind.Status(), key)
			}
		}
		return err
	}
	return c.Redirect("/org?done=uploaded#documents", fiber.StatusSeeOther)
}

func (s *Server) handleOwnDocument(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	a := actor(c)
	doc, rc, err := s.orgs.OpenDocument(c.UserContext(), a, a.Scope.OrganizationID, id)
	if err != nil {
		return err
	}
	return sendDocument(c, doc, rc)
}

func (s *Server) handleApplySubmit(c *fiber.Ctx) error {
	a, lang := actor(c), language(c)
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
		_, err = s.orgs.Apply(c.UserContext(), a, in)
	}
	if err != nil {
		status, alert, ok := s.formProblem(c, err, func(field string) (string, string) {
			return "apply-" + field, s.pages.translate(lang, "apply."+field)
		})
		if !ok {
			return err
		}
		alert = inFormOrder(alert, "apply-district_id", "apply-categories", "apply-statement", "apply-document_ids")
		return s.renderOrg(c, status, orgView{Apply: f, Alert: s.sectionAlert(c, "certifications", alert)})
	}
	return c.Redirect("/org?done=applied#certifications", fiber.StatusSeeOther)
}

// ---- the district admin's certification queue ----

// decisionForm is a decision on one certification as typed.
type decisionForm struct {
	Grade, ValidFrom, ValidThrough, Reason string
}

// reasonForm is the form of a decision that takes a reason: reject, suspend, revoke.
type reasonForm struct {
	Action string
	Anchor string // the id of the reason's input
	Reason string // as typed, when this form was refused
	Bad    bool
}

type queueRow struct {
	certRow
	Approve   decisionForm // the approval form's values
	Decisions []reasonForm
}

type queueView struct {
	District place.District
	Pending  []queueRow // waiting for a decision, oldest first
	Current  []queueRow // approved or suspended
	History  []queueRow // rejected or revoked, newest first
	Grades   []int
	Today    string
	Alert    pageAlert
	Done     string
	DoneOrg  string
}

// queueDone are the decisions the queue confirms after a redirect.
var queueDone = []string{"approve", "reject", "suspend", "revoke"}

// renderQueue shows the district admin's queue; posted is the certification
// whose refused form f (for action) is shown again as typed, 0 for none.
func (s *Server) renderQueue(c *fiber.Ctx, status int, posted int64, action string, f decisionForm, alert pageAlert) error {
	ctx, a := c.UserContext(), actor(c)
	district, err := s.places.GetDistrict(ctx, a.Scope.DistrictID)
	if err != nil {
		return err
	}
	list, err := s.orgs.ListCertifications(ctx, a, org.CertFilter{})
	if err != nil {
		return err
	}
	// The evidence of pending applications, as links the district admin may open.
	docs, seen := map[int64]documentRow{}, map[int64]bool{}
	for _, cert := range list {
		if cert.Status != org.CertPending || seen[cert.OrganizationID] {
			continue
		}
		seen[cert.OrganizationID] = true
		ds, err := s.orgs.ListDocuments(ctx, a, cert.OrganizationID)
		if err != nil {
			return err
		}
		for _, d := range ds {
			docs[d.ID] = documentRow{Document: d, Href: fmt.Sprintf("/district/documents/%d/%d", d.OrganizationID, d.ID),
				Size: fileSize(d.SizeBytes), Uploaded: showTime(&d.CreatedAt)}
		}
	}
	rows, err := s.certRows(c, list, docs)
	if err != nil {
		return err
	}
	v := queueView{District: district, Grades: grades, Today: org.ChinaDate(s.clock.Now()).String(), Alert: alert}
	done, doneID := c.Query("done"), c.Query("id")
	decisions := map[org.CertStatus][]string{org.CertPending: {"reject"}, org.CertApproved: {"suspend", "revoke"},
		org.CertSuspended: {"revoke"}}
	for _, r := range rows {
		q := queueRow{certRow: r, Approve: decisionForm{ValidFrom: v.Today}}
		if r.ID == posted && action == "approve" {
			q.Approve = f
		}
		for _, d := range decisions[r.Status] {
			rf := reasonForm{Action: d, Anchor: fmt.Sprintf("%s-%d-reason", d, r.ID)}
			if r.ID == posted && action == d {
				rf.Reason = f.Reason
			}
			rf.Bad = alert.Bad(rf.Anchor)
			q.Decisions = append(q.Decisions, rf)
		}
		if status == fiber.StatusOK && slices.Contains(queueDone, done) && strconv.FormatInt(r.ID, 10) == doneID {
			v.Done, v.DoneOrg = done, r.OrganizationName
		}
		switch r.Status {
		case org.CertPending:
			v.Pending = append(v.Pending, q)
		case org.CertApproved, org.CertSuspended:
			v.Current = append(v.Current, q)
		default:
			v.History = append(v.History, q)
		}
	}
	slices.Reverse(v.History)
	return s.render(c, status, "district_certifications", v)
}

func (s *Server) handleQueuePage(c *fiber.Ctx) error {
	return s.renderQueue(c, fiber.StatusOK, 0, "", decisionForm{}, pageAlert{})
}

// decided is where a decision on certification id lands.
func decided(decision string, id int64) string {
	return fmt.Sprintf("/district/certifications?done=%s&id=%d#cert-%d", decision, id, id)
}

// queueCert returns the certification a decision is posted for: apperr.ErrNotFound
// outside the district admin's district, whatever the form holds.
func (s *Server) queueCert(c *fiber.Ctx) (org.Certification, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return org.Certification{}, err
	}
	return s.orgs.GetCertification(c.UserContext(), actor(c), id)
}

// refuseDecision shows the queue again with what was wrong with a decision.
func (s *Server) refuseDecision(c *fiber.Ctx, err error, cert org.Certification, action string, f decisionForm) error {
	lang := language(c)
	status, alert, ok := s.formProblem(c, err, func(field string) (string, string) {
		if field == "valid_until" {
			field = "valid_through"
		}
		return fmt.Sprintf("%s-%d-%s", action, cert.ID, field), s.pages.translate(lang, "cert."+field)
	})
	if !ok {
		return err
	}
	alert = inFormOrder(alert, fmt.Sprintf("approve-%d-grade", cert.ID), fmt.Sprintf("approve-%d-valid_from", cert.ID),
		fmt.Sprintf("approve-%d-valid_through", cert.ID))
	context := fmt.Sprintf(s.pages.translate(lang, "queue.alert_"+action), cert.OrganizationName)
	return s.renderQueue(c, status, cert.ID, action, f,
		pageAlert{Context: context, Href: fmt.Sprintf("#cert-%d", cert.ID), formAlert: alert})
}

func (s *Server) handleApproveSubmit(c *fiber.Ctx) error {
	cert, err := s.queueCert(c)
	if err != nil {
		return err
	}
	form := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	f := decisionForm{Grade: form("grade"), ValidFrom: form("valid_from"), ValidThrough: form("valid_through")}
	var in org.ApproveInput
	var bad apperr.Fields
	if f.Grade != "" {
		g, err := strconv.Atoi(f.Grade)
		bad.Check(err == nil, "grade", "must be 1 to 5")
		in.Grade = g
	}
	if f.ValidFrom != "" {
		d, err := org.ParseDate(f.ValidFrom)
		bad.Check(err == nil, "valid_from", "must be a date (YYYY-MM-DD)")
		in.ValidFrom = d
	}
	if f.ValidThrough != "" {
		d, err := org.ParseDate(f.ValidThrough)
		bad.Check(err == nil, "valid_until", "must be a date (YYYY-MM-DD)")
		if err == nil {
			// The page asks for the last valid day; the service wants the first one no longer valid.
			in.ValidUntil = d.AddDays(1)
		}
	}
	err = bad.Err()
	if err == nil {
		_, err = s.orgs.Approve(c.UserContext(), actor(c), cert.ID, in)
	}
	if err != nil {
		return s.refuseDecision(c, err, cert, "approve", f)
	}
	return c.Redirect(decided("approve", cert.ID), fiber.StatusSeeOther)
}

// handleDecisionSubmit rejects, suspends or revokes a certification with a reason.
func (s *Server) handleDecisionSubmit(decision string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cert, err := s.queueCert(c)
		if err != nil {
			return err
		}
		f := decisionForm{Reason: strings.Clone(c.FormValue("reason"))}
		ctx, a := c.UserContext(), actor(c)
		switch decision {
		case "reject":
			_, err = s.orgs.Reject(ctx, a, cert.ID, f.Reason)
		case "suspend":
			_, err = s.orgs.Suspend(ctx, a, cert.ID, f.Reason)
		default:
			_, err = s.orgs.Revoke(ctx, a, cert.ID, f.Reason)
		}
		if err != nil {
			return s.refuseDecision(c, err, cert, decision, f)
		}
		return c.Redirect(decided(decision, cert.ID), fiber.StatusSeeOther)
	}
}

func (s *Server) handleDistrictDocument(c *fiber.Ctx) error {
	orgID, err := paramID(c, "org")
	if err != nil {
		return err
	}
	docID, err := paramID(c, "doc")
	if err != nil {
		return err
	}
	doc, rc, err := s.orgs.OpenDocument(c.UserContext(), actor(c), orgID, docID)
	if err != nil {
		return err
	}
	return sendDocument(c, doc, rc)
}

// ---- the public directory of capable organizations ----

type capableCert struct {
	Categories   []catalog.Category
	Grade        int
	District     place.District
	ValidFrom    string
	ValidThrough string
}

type capableRow struct {
	org.CapableOrg
	District place.District
	Certs    []capableCert
}

type capableView struct {
	Q           string
	District    int64
	Category    string
	Districts   []place.District
	Categories  []catalog.Category
	Results     []capableRow
	Total       int64
	Page, Pages int
	From, To    int64
	Links       []pageLink
	Prev, Next  string
	Filtered    bool
}

// handleCapablePage is the public directory of capable organizations (有承接能力
// 的社会组织目录): each with its certifications active today. Bad filter values
// are ignored rather than refused, as in the transfer-item catalog.
func (s *Server) handleCapablePage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cats, byCode, err := s.categories(ctx)
	if err != nil {
		return err
	}
	districts, err := s.places.ListDistricts(ctx)
	if err != nil {
		return err
	}
	byDistrict := districtsByID(districts)
	v := capableView{Q: cutRunes(strings.TrimSpace(strings.Clone(c.Query("q"))), 100), Districts: districts, Categories: cats}
	if id, err := strconv.ParseInt(c.Query("district"), 10, 64); err == nil {
		if _, ok := byDistrict[id]; ok {
			v.District = id
		}
	}
	if _, ok := byCode[c.Query("category")]; ok {
		v.Category = strings.Clone(c.Query("category"))
	}
	v.Page, _ = strconv.Atoi(c.Query("page"))
	v.Page = min(max(v.Page, 1), 100000)
	v.Filtered = v.Q != "" || v.District != 0 || v.Category != ""

	res, err := s.orgs.PublicCapable(ctx, org.CapableFilter{DistrictID: v.District, Category: v.Category, Q: v.Q,
		Page: v.Page, PerPage: capablePerPage})
	if err != nil {
		return err
	}
	for _, o := range res.Items {
		r := capableRow{CapableOrg: o, District: byDistrict[o.DistrictID]}
		for _, cert := range o.Certifications {
			r.Certs = append(r.Certs, capableCert{Categories: categoryList(cert.Categories, byCode), Grade: cert.Grade,
				District: byDistrict[cert.DistrictID], ValidFrom: cert.ValidFrom.String(), ValidThrough: lastDay(&cert.ValidUntil)})
		}
		v.Results = append(v.Results, r)
	}
	v.Total = res.Total
	v.Pages = int((res.Total + capablePerPage - 1) / capablePerPage)
	if len(res.Items) > 0 {
		v.From = int64(v.Page-1)*capablePerPage + 1
		v.To = v.From + int64(len(res.Items)) - 1
	}
	href := func(n int) string { return listURL("/capable", v.Q, "district", v.District, v.Category, n) }
	v.Links = pageLinks(v.Page, v.Pages, href)
	if v.Page > 1 && v.Pages > 0 {
		v.Prev = href(min(v.Page-1, v.Pages))
	}
	if v.Page < v.Pages {
		v.Next = href(v.Page + 1)
	}
	return s.render(c, fiber.StatusOK, "capable", v)
}
