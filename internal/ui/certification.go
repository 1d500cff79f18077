package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/request"
)

// decisionForm is a decision on one certification as typed.
type decisionForm struct {
	Grade, ValidFrom, ValidThrough, SocialWorkers, Reason string
}

// socialWorkers parses the verified number of certified social workers as
// typed: nil when empty, naming the field in bad when it is not a number.
func (f decisionForm) socialWorkers(bad *apperr.Fields) *int {
	if f.SocialWorkers == "" {
		return nil
	}
	n, err := strconv.Atoi(f.SocialWorkers)
	bad.Check(err == nil, "verified_social_workers", "must be a whole number")
	return &n
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
	Verify    decisionForm // the re-verification's values (approved or suspended)
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
var queueDone = []string{"approve", "verify", "reject", "suspend", "revoke"}

// renderQueue shows the district admin's queue; posted is the certification
// whose refused form f (for action) is shown again as typed, 0 for none.
func (h *Handler) renderQueue(c *fiber.Ctx, status int, posted int64, action string, f decisionForm, alert pageAlert) error {
	ctx, a := c.UserContext(), request.Actor(c)
	district, err := h.Places.GetDistrict(ctx, a.Scope.DistrictID)
	if err != nil {
		return err
	}
	list, err := h.Orgs.ListCertifications(ctx, a, org.CertFilter{})
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
		ds, err := h.Orgs.ListDocuments(ctx, a, cert.OrganizationID)
		if err != nil {
			return err
		}
		for _, d := range ds {
			docs[d.ID] = documentRow{Document: d, Href: fmt.Sprintf("/district/documents/%d/%d", d.OrganizationID, d.ID),
				Size: fileSize(d.SizeBytes), Uploaded: showTime(&d.CreatedAt)}
		}
	}
	rows, err := h.certRows(c, list, docs)
	if err != nil {
		return err
	}
	v := queueView{District: district, Grades: grades, Today: civil.ChinaDate(h.clock.Now()).String(), Alert: alert}
	done, doneID := c.Query("done"), c.Query("id")
	decisions := map[org.CertStatus][]string{org.CertPending: {"reject"}, org.CertApproved: {"suspend", "revoke"},
		org.CertSuspended: {"revoke"}}
	for _, r := range rows {
		// The district admin verifies the organization's declared figure
		// unless it types another.
		q := queueRow{certRow: r, Approve: decisionForm{ValidFrom: v.Today, SocialWorkers: strconv.Itoa(r.DeclaredSocialWorkers)}}
		if r.VerifiedSocialWorkers != nil {
			q.Verify.SocialWorkers = strconv.Itoa(*r.VerifiedSocialWorkers)
		}
		switch {
		case r.ID == posted && action == "approve":
			q.Approve = f
		case r.ID == posted && action == "verify":
			q.Verify = f
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
	return h.render(c, status, "district_certifications", v)
}

func (h *Handler) handleQueuePage(c *fiber.Ctx) error {
	return h.renderQueue(c, fiber.StatusOK, 0, "", decisionForm{}, pageAlert{})
}

// decided is where a decision on certification id lands.
func decided(decision string, id int64) string {
	return fmt.Sprintf("/district/certifications?done=%s&id=%d#cert-%d", decision, id, id)
}

// queueCert returns the certification a decision is posted for: apperr.ErrNotFound
// outside the district admin's district, whatever the form holds.
func (h *Handler) queueCert(c *fiber.Ctx) (org.Certification, error) {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return org.Certification{}, err
	}
	return h.Orgs.GetCertification(c.UserContext(), request.Actor(c), id)
}

// refuseDecision shows the queue again with what was wrong with a decision.
func (h *Handler) refuseDecision(c *fiber.Ctx, err error, cert org.Certification, action string, f decisionForm) error {
	lang := language(c)
	status, alert, ok := h.formProblem(c, err, func(field string) (string, string) {
		return fmt.Sprintf("%s-%d-%s", action, cert.ID, field), h.pages.translate(lang, "cert."+field)
	})
	if !ok {
		return err
	}
	context := fmt.Sprintf(h.pages.translate(lang, "queue.alert_"+action), cert.OrganizationName)
	return h.renderQueue(c, status, cert.ID, action, f,
		pageAlert{Context: context, Href: fmt.Sprintf("#cert-%d", cert.ID), formAlert: alert})
}

func (h *Handler) handleApproveSubmit(c *fiber.Ctx) error {
	cert, err := h.queueCert(c)
	if err != nil {
		return err
	}
	form := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	f := decisionForm{Grade: form("grade"), ValidFrom: form("valid_from"), ValidThrough: form("valid_through"),
		SocialWorkers: form("verified_social_workers")}
	var in org.ApproveInput
	var bad apperr.Fields
	if f.Grade != "" {
		g, err := strconv.Atoi(f.Grade)
		bad.Check(err == nil, "grade", "must be 1 to 5")
		in.Grade = g
	}
	if f.ValidFrom != "" {
		d, err := civil.ParseDate(f.ValidFrom)
		bad.Check(err == nil, "valid_from", "must be a date (YYYY-MM-DD)")
		in.ValidFrom = d
	}
	if f.ValidThrough != "" {
		d, err := civil.ParseDate(f.ValidThrough)
		bad.Check(err == nil, "valid_through", "must be a date (YYYY-MM-DD)")
		in.ValidThrough = d
	}
	in.VerifiedSocialWorkers = f.socialWorkers(&bad)
	err = bad.Err()
	if err == nil {
		_, err = h.Orgs.Approve(c.UserContext(), request.Actor(c), cert.ID, in)
	}
	if err != nil {
		return h.refuseDecision(c, err, cert, "approve", f)
	}
	return c.Redirect(decided("approve", cert.ID), fiber.StatusSeeOther)
}

// handleVerifySubmit records a re-verified number of certified social workers.
func (h *Handler) handleVerifySubmit(c *fiber.Ctx) error {
	cert, err := h.queueCert(c)
	if err != nil {
		return err
	}
	f := decisionForm{SocialWorkers: strings.TrimSpace(strings.Clone(c.FormValue("verified_social_workers")))}
	var bad apperr.Fields
	n := f.socialWorkers(&bad)
	err = bad.Err()
	if err == nil {
		_, err = h.Orgs.VerifySocialWorkers(c.UserContext(), request.Actor(c), cert.ID, n)
	}
	if err != nil {
		return h.refuseDecision(c, err, cert, "verify", f)
	}
	return c.Redirect(decided("verify", cert.ID), fiber.StatusSeeOther)
}

// handleDecisionSubmit rejects, suspends or revokes a certification with a reason.
func (h *Handler) handleDecisionSubmit(decision string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cert, err := h.queueCert(c)
		if err != nil {
			return err
		}
		f := decisionForm{Reason: strings.Clone(c.FormValue("reason"))}
		if _, err := h.Orgs.Decide(c.UserContext(), request.Actor(c), cert.ID, decision, f.Reason); err != nil {
			return h.refuseDecision(c, err, cert, decision, f)
		}
		return c.Redirect(decided(decision, cert.ID), fiber.StatusSeeOther)
	}
}

func (h *Handler) handleDistrictDocument(c *fiber.Ctx) error {
	return request.SendDocument(c, "org", h.Orgs.OpenDocument)
}
