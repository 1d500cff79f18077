package ui

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/request"
)

// The finance officer's approvals queue: the subdistrict's payment rounds
// accepted by its procurement officer and invoiced by the organization, across
// contracts, each with its invoice to check and the approve button. Approving
// requests the payout, which /payouts then shows.

// approvalRow is a round awaiting approval as the queue lists it.
type approvalRow struct {
	milestone.Awaiting
	Payable, Accepted, Invoiced, InvoiceAmount string
	MilestonesHref, InvoiceHref                string
}

type approvalsView struct {
	Rows  []approvalRow
	Max   int
	Alert rowAlert
	Done  string
	// DoneID is the milestone whose approval the redirect announces.
	DoneID int64
}

func (h *Handler) renderApprovals(c *fiber.Ctx, status int, alert rowAlert) error {
	list, err := h.Milestones.Awaiting(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	v := approvalsView{Max: milestone.MaxAwaiting, Alert: alert}
	for _, it := range list {
		href := contractMilestonesPath(it.ContractID)
		v.Rows = append(v.Rows, approvalRow{Awaiting: it, Payable: it.PayableFen.Grouped(), Accepted: showTime(&it.AcceptedAt),
			Invoiced: showTime(&it.Invoice.InvoicedAt), InvoiceAmount: it.Invoice.AmountFen.Grouped(),
			MilestonesHref: fmt.Sprintf("%s#milestone-%d", href, it.MilestoneID), InvoiceHref: fmt.Sprintf("%s/%d/invoice", href, it.MilestoneID)})
	}
	if status == fiber.StatusOK {
		if v.Done = doneOf(c, "approved"); v.Done != "" {
			v.DoneID, _ = request.QueryInt(c, "milestone")
		}
	}
	return h.render(c, status, "approvals", v)
}

func (h *Handler) handleApprovalsPage(c *fiber.Ctx) error {
	return h.renderApprovals(c, fiber.StatusOK, rowAlert{})
}

// handleApprovalSubmit approves a round of the queue; the same account that
// accepted the work is refused with the queue's alert, as is a round no
// longer awaiting approval.
func (h *Handler) handleApprovalSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.Milestones.Approve(c.UserContext(), request.Actor(c), id); err != nil {
		status, alert, ok := h.paymentProblem(c, err, "approval", id)
		if !ok {
			return err
		}
		return h.renderApprovals(c, status, alert)
	}
	return c.Redirect(fmt.Sprintf("/approvals?done=approved&milestone=%d", id), fiber.StatusSeeOther)
}
