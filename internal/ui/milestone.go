package ui

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/request"
)

// A contract's milestones page: its readers (access.ContractReaders, each in
// its tenant, as the milestone service admits them) see each payment
// milestone with its rounds — amount, trigger, state, the evaluation's score
// and payment factor, payable, paid and withheld, the invoice and the payout
// — and, while the contract is in force, the form of the step that is
// theirs on a milestone's open round: the subdistrict's procurement officer
// accepts the work (验收), the organization's staff attach the invoice or
// receipt, a finance officer of the subdistrict who did not accept approves
// the payment. The organization's milestones page (org_milestones.go) and
// the finance officers' approvals queue (approvals.go) use the same forms.

// milestonePageRoles open a contract's milestones page and its invoices.
var milestonePageRoles = access.ContractReaders

// contractMilestonesPath is the milestones page of a contract, the address
// the contract's page links to.
func contractMilestonesPath(contractID int64) string {
	return fmt.Sprintf("/contracts/%d/milestones", contractID)
}

// milestoneDone are the outcomes the milestone pages confirm after a redirect.
var milestoneDone = []string{"accepted", "invoiced", "approved"}

// payRound is a payment round as the pages show it.
type payRound struct {
	milestone.Payment
	Payable, Earlier, Due, Accepted, Approved, Paid string
	Note                                            string
	InvoiceAmount, Invoiced                         string
}

// payMilestone is a milestone with its rounds and what the reader may do on
// its open round (the one awaiting acceptance or approval).
type payMilestone struct {
	milestone.Milestone
	Amount, Payable, PaidAmount, Withheld, DueAt string
	Rounds                                       []payRound
	Open                                         *payRound
	// Where the reader's forms for the open round post ("" for none).
	payActions
	WaitingInvoice bool   // accepted: the approval waits for the invoice
	PayableYuan    string // the open round's payable amount, as the invoice form offers it
	InvoiceHref    string // the latest invoice or receipt
}

// payActions are where the forms of a milestone's steps post.
type payActions struct {
	AcceptAction, InvoiceAction, ApproveAction string
}

// paySchedule is a contract's milestones as the pages show them.
type paySchedule struct {
	ContractID                                  int64
	Title, Organization, Status                 string
	ContractHref                                string
	Amount, Payable, Paid, Withheld, Encumbered string
	Items                                       []payMilestone
}

// payTyped is what a refused form of a milestone held, to show it again.
type payTyped struct {
	Form   string
	ID     int64 // the milestone
	Values map[string]string
}

// TypedFor returns what was typed into field of form on milestone id, when
// that form was refused.
func (t payTyped) TypedFor(form string, id int64, field string) string {
	if t.Form != form || t.ID != id {
		return ""
	}
	return t.Values[field]
}

// roundOf shows a payment round.
func roundOf(p milestone.Payment) payRound {
	r := payRound{Payment: p, Payable: p.PayableFen.Grouped(), Earlier: p.EarlierFen.Grouped(), Due: showTime(&p.DueAt),
		Accepted: showTime(p.AcceptedAt), Approved: showTime(p.ApprovedAt), Paid: showTime(p.PaidAt)}
	if p.AcceptNote != nil {
		r.Note = *p.AcceptNote
	}
	if p.Invoice != nil {
		r.InvoiceAmount, r.Invoiced = p.Invoice.AmountFen.Grouped(), showTime(&p.Invoice.InvoicedAt)
	}
	return r
}

// scheduleOf shows the schedule of contract id (its title and organization
// given) to a; actions says where the forms of a milestone post for a (nil:
// the page shows none). A form is shown on the open round of a contract in
// force, when the round's state is its step's.
func scheduleOf(a access.Actor, id int64, title, organization string, s milestone.Schedule, actions func(m milestone.Milestone) payActions) paySchedule {
	out := paySchedule{ContractID: id, Title: title, Organization: organization, Status: s.ContractStatus,
		Amount: s.AmountFen.Grouped(), Payable: s.PayableFen.Grouped(), Paid: s.PaidFen.Grouped(), Withheld: s.WithheldFen.Grouped(),
		Encumbered: s.EncumberedFen.Grouped()}
	if a.Is(contractPageRoles...) {
		out.ContractHref = fmt.Sprintf("/contracts/%d", id)
	}
	inForce := s.ContractStatus == contract.StatusSigned || s.ContractStatus == contract.StatusActive
	for _, m := range s.Items {
		pm := payMilestone{Milestone: m, Amount: m.AmountFen.Grouped(), Payable: m.PayableFen.Grouped(), PaidAmount: m.PaidFen.Grouped(),
			Withheld: m.WithheldFen.Grouped(), DueAt: showTime(m.DueAt)}
		for _, p := range m.Payments {
			r := roundOf(p)
			pm.Rounds = append(pm.Rounds, r)
			if (p.State == milestone.StateDue || p.State == milestone.StateAccepted) && pm.Open == nil {
				pm.Open = &r
			}
			if p.Invoice != nil {
				pm.InvoiceHref = fmt.Sprintf("%s/%d/invoice", contractMilestonesPath(id), m.ID)
			}
		}
		if pm.Open != nil && inForce && actions != nil {
			act, open := actions(m), pm.Open
			pm.PayableYuan = open.PayableFen.Yuan()
			pm.InvoiceAction = act.InvoiceAction
			if open.State == milestone.StateDue {
				pm.AcceptAction = act.AcceptAction
			}
			if open.State == milestone.StateAccepted && act.ApproveAction != "" {
				if open.Invoice != nil && open.Invoice.AmountFen == open.PayableFen {
					pm.ApproveAction = act.ApproveAction
				} else {
					pm.WaitingInvoice = true
				}
			}
		}
		out.Items = append(out.Items, pm)
	}
	return out
}

// contractActions are the forms of a contract's milestones page the reader
// may use: each role its own step.
func contractActions(a access.Actor, contractID int64) func(m milestone.Milestone) payActions {
	return func(m milestone.Milestone) payActions {
		base := fmt.Sprintf("%s/%d/", contractMilestonesPath(contractID), m.ID)
		switch {
		case a.Role == access.ProcurementOfficer:
			return payActions{AcceptAction: base + "accept"}
		case a.Role == access.FinanceOfficer:
			return payActions{ApproveAction: base + "approve"}
		case a.Is(access.OrgStaff...):
			return payActions{InvoiceAction: base + "invoice"}
		}
		return payActions{}
	}
}

// milestonesView is the page of a contract's milestones (Mode contract) or
// of the organization's (Mode org): one template shows both.
type milestonesView struct {
	Mode      string
	Schedules []paySchedule
	More      bool // the organization has more contracts than the page lists
	Kinds     []string
	Alert     rowAlert
	Typed     payTyped
	Done      string
}

func (h *Handler) renderContractMilestones(c *fiber.Ctx, status int, id int64, alert rowAlert, typed payTyped) error {
	ctx, a := c.UserContext(), request.Actor(c)
	s, err := h.Milestones.List(ctx, a, id)
	if err != nil {
		return err
	}
	cv, err := h.Contracts.Get(ctx, a, id)
	if err != nil {
		return err
	}
	v := milestonesView{Mode: "contract", Schedules: []paySchedule{scheduleOf(a, id, cv.Title, cv.OrganizationName, s, contractActions(a, id))},
		Kinds: invoiceKinds, Alert: alert, Typed: typed}
	if status == fiber.StatusOK {
		v.Done = doneOf(c, milestoneDone...)
	}
	return h.render(c, status, "milestones", v)
}

func (h *Handler) handleContractMilestonesPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderContractMilestones(c, fiber.StatusOK, id, rowAlert{}, payTyped{})
}

// contractMilestone reads the path's contract and milestone as the caller
// may: a milestone of another contract is not found.
func (h *Handler) contractMilestone(c *fiber.Ctx) (contractID int64, m milestone.Milestone, err error) {
	ids, err := request.ParamIDs(c, "id", "mid")
	if err != nil {
		return 0, m, err
	}
	if m, err = h.Milestones.Get(c.UserContext(), request.Actor(c), ids[1]); err != nil {
		return 0, m, err
	}
	if m.ContractID != ids[0] {
		return 0, m, apperr.ErrNotFound
	}
	return ids[0], m, nil
}

// milestoneStep runs a form of a milestone of the contract's page: done on
// success, else the page again with the milestone's alert.
func (h *Handler) milestoneStep(c *fiber.Ctx, form, done string, step func(m milestone.Milestone) (payTyped, error)) error {
	contractID, m, err := h.contractMilestone(c)
	if err != nil {
		return err
	}
	typed, err := step(m)
	if err != nil {
		status, alert, ok := h.paymentProblem(c, err, form, m.ID)
		if !ok {
			return err
		}
		return h.renderContractMilestones(c, status, contractID, alert, typed)
	}
	return c.Redirect(fmt.Sprintf("%s?done=%s#milestone-%d", contractMilestonesPath(contractID), done, m.ID), fiber.StatusSeeOther)
}

func (h *Handler) handleMilestoneAcceptSubmit(c *fiber.Ctx) error {
	return h.milestoneStep(c, "acceptance", "accepted", func(m milestone.Milestone) (payTyped, error) {
		note := posted(c, "note")
		_, err := h.Milestones.Accept(c.UserContext(), request.Actor(c), m.ID, note)
		return payTyped{Form: "acceptance", ID: m.ID, Values: map[string]string{"note": note}}, err
	})
}

func (h *Handler) handleMilestoneInvoiceSubmit(c *fiber.Ctx) error {
	return h.milestoneStep(c, "invoice", "invoiced", func(m milestone.Milestone) (payTyped, error) {
		return h.attachInvoice(c, m.ID)
	})
}

func (h *Handler) handleMilestoneApproveSubmit(c *fiber.Ctx) error {
	return h.milestoneStep(c, "approval", "approved", func(m milestone.Milestone) (payTyped, error) {
		_, err := h.Milestones.Approve(c.UserContext(), request.Actor(c), m.ID)
		return payTyped{Form: "approval", ID: m.ID}, err
	})
}

// handleMilestoneInvoice sends the invoice or receipt attached to a
// milestone's latest invoiced round.
func (h *Handler) handleMilestoneInvoice(c *fiber.Ctx) error {
	_, m, err := h.contractMilestone(c)
	if err != nil {
		return err
	}
	doc, rc, err := h.Milestones.InvoiceDocument(c.UserContext(), request.Actor(c), m.ID)
	if err != nil {
		return err
	}
	return request.SendStored(c, doc, rc)
}

// paymentRefusals are the refusals (403) the milestone forms show in the
// page: the account that accepted the work may not approve its payment.
var paymentRefusals = map[string]bool{milestone.ErrSameAccount.Code: true}

// paymentProblem turns a service error of form on milestone id into the
// page's alert and status; ok is false for errors that go to the error page.
// A field's input is form-field-id, its label the message form.field.
func (h *Handler) paymentProblem(c *fiber.Ctx, err error, form string, id int64) (int, rowAlert, bool) {
	lang := language(c)
	context, href := fmt.Sprintf(h.pages.translate(lang, "milestones.alert_context"), id), fmt.Sprintf("#milestone-%d", id)
	if e, ok := apperr.As(err); ok && form == "invoice" {
		if key, known := uploadProblem[e.Code]; known {
			fa := h.fieldAlert(c, fmt.Sprintf("invoice-file-%d", id), h.pages.translate(lang, "invoice.file"), key)
			if key == "docerr.too_large" {
				fa.Fields[0].Message = fmt.Sprintf(fa.Fields[0].Message, fileSize(int64(h.cfg.Uploads.MaxBytes)))
			}
			return e.Kind.Status(), rowAlert{For: id, Alert: pageAlert{Context: context, Href: href, formAlert: fa}}, true
		}
	}
	status, fa, ok := h.serviceProblem(c, err, form, paymentRefusals, func(field string) (string, string) {
		return fmt.Sprintf("%s-%s-%d", form, field, id), h.pages.translate(lang, form+"."+field)
	}, func(generic string) string { return generic })
	if !ok {
		return 0, rowAlert{}, false
	}
	return status, rowAlert{For: id, Alert: pageAlert{Context: context, Href: href, formAlert: fa}}, true
}

// invoiceKinds are the kinds of invoice the form offers.
var invoiceKinds = []string{milestone.InvoiceKindInvoice, milestone.InvoiceKindReceipt}

// attachInvoice reads the multipart invoice form of milestone id and attaches
// it; it returns what was typed, for the page shown again on an error.
func (h *Handler) attachInvoice(c *fiber.Ctx, id int64) (payTyped, error) {
	typed := payTyped{Form: "invoice", ID: id, Values: map[string]string{"kind": posted(c, "kind"), "number": posted(c, "number"),
		"amount": posted(c, "amount")}}
	in := milestone.InvoiceInput{Kind: typed.Values["kind"], Number: typed.Values["number"]}
	var f apperr.Fields
	amount, err := money.ParseYuan(typed.Values["amount"])
	f.Check(err == nil, "amount_fen", "must be an amount of yuan with at most two decimals")
	in.AmountFen = amount
	fh, ferr := c.FormFile("file")
	// A browser sends an empty, nameless part when no file was chosen.
	f.Check(ferr == nil && (fh.Filename != "" || fh.Size > 0), "file", "is required: the invoice or receipt as a PDF, PNG or JPEG file")
	if err := f.Err(); err != nil {
		return typed, err
	}
	file, err := fh.Open()
	if err != nil {
		return typed, fmt.Errorf("open upload: %w", err)
	}
	defer file.Close()
	_, err = h.Milestones.AttachInvoice(c.UserContext(), request.Actor(c), id, in, strings.Clone(fh.Filename), file)
	return typed, err
}

// paymentNoticeHref is where a notification about a milestone payment, a
// payout or a certification leads its reader: the contract's milestones
// page, the payouts, the organization's or the district's certifications;
// "" for other notifications, or when the reader may not open that page.
func paymentNoticeHref(a access.Actor, kind string, contractID *int64) string {
	switch {
	case strings.HasPrefix(kind, "milestone_") && contractID != nil && a.Is(milestonePageRoles...):
		return contractMilestonesPath(*contractID)
	case kind == payout.KindFailed && a.Is(access.OrgStaff...):
		return "/org/payouts"
	case kind == payout.KindFailed && a.Is(access.SubdistrictStaff...):
		return "/payouts"
	case kind == org.KindCertApplied && a.Role == access.DistrictAdmin:
		return "/district/certifications"
	case strings.HasPrefix(kind, "certification_") && a.Is(access.OrgStaff...):
		return "/org#certifications"
	}
	return ""
}
