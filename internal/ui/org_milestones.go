package ui

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/request"
)

// The organization's milestones and payments: the payment milestones of
// each of its signed contracts with their rounds, the invoice or receipt
// form on a round awaiting acceptance or approval and each payout's state;
// where its payments go (Stripe or bank transfer) is set on /org/payouts.

// orgMilestoneContracts bounds the contracts the page lists, newest first.
const orgMilestoneContracts = 50

// orgActions are the forms of the organization's milestones page: the
// invoice of each open round.
func orgActions(m milestone.Milestone) payActions {
	return payActions{InvoiceAction: fmt.Sprintf("/org/milestones/%d/invoice", m.ID)}
}

func (h *Handler) renderOrgMilestones(c *fiber.Ctx, status int, alert rowAlert, typed payTyped) error {
	ctx, a := c.UserContext(), request.Actor(c)
	list, total, err := h.Contracts.List(ctx, a, contract.Filter{Limit: orgMilestoneContracts})
	if err != nil {
		return err
	}
	v := milestonesView{Mode: "org", Schedules: []paySchedule{}, More: total > int64(len(list)), Kinds: invoiceKinds, Alert: alert, Typed: typed}
	for _, sum := range list {
		if sum.SignedAt == nil {
			continue // a draft has no payments yet
		}
		s, err := h.Milestones.List(ctx, a, sum.ID)
		if err != nil {
			return err
		}
		v.Schedules = append(v.Schedules, scheduleOf(a, sum.ID, sum.Title, sum.OrganizationName, s, orgActions))
	}
	if status == fiber.StatusOK {
		v.Done = doneOf(c, "invoiced")
	}
	return h.render(c, status, "milestones", v)
}

func (h *Handler) handleOrgMilestonesPage(c *fiber.Ctx) error {
	return h.renderOrgMilestones(c, fiber.StatusOK, rowAlert{}, payTyped{})
}

// handleOrgInvoiceSubmit attaches the organization's invoice or receipt to
// a milestone's open round from its milestones page.
func (h *Handler) handleOrgInvoiceSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	// The milestone as the caller may read it first: another organization's
	// is not found, whatever the form holds.
	if _, err := h.Milestones.Get(c.UserContext(), request.Actor(c), id); err != nil {
		return err
	}
	typed, err := h.attachInvoice(c, id)
	if err != nil {
		status, alert, ok := h.paymentProblem(c, err, "invoice", id)
		if !ok {
			return err
		}
		return h.renderOrgMilestones(c, status, alert, typed)
	}
	return c.Redirect(fmt.Sprintf("/org/milestones?done=invoiced#milestone-%d", id), fiber.StatusSeeOther)
}
