package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/request"
)

// Where the fund pages' forms may lead besides this site: the browser applies
// form-action to the redirect that ends a form's submission.
const (
	stripeCheckoutOrigin = "https://checkout.stripe.com"
	stripeConnectOrigin  = "https://connect.stripe.com"
)

// allowFormTarget lets the page's forms end on origin as well as on this site.
func allowFormTarget(c *fiber.Ctx, origin string) {
	csp := string(c.Response().Header.Peek("Content-Security-Policy"))
	c.Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+origin, 1))
}

// payoutRow is a payout as the pages show it.
type payoutRow struct {
	payout.Payout
	Organization string
	Fund         string
	FundHref     string
	Amount       string
	Requested    string
	PaidAt       string
	CanConfirm   bool
	Anchor       string
	Reference    string // as typed, when its confirmation was refused
	Bad          bool
	// The milestone payment round it pays, if it pays one, and that
	// contract's milestones page for those who may open it.
	Round          *milestone.RoundRef
	MilestonesHref string
}

func (h *Handler) payoutRows(ctx context.Context, a access.Actor, list []payout.Payout) ([]payoutRow, error) {
	var orgIDs, fundIDs []int64
	for _, p := range list {
		orgIDs = append(orgIDs, p.OrganizationID)
		fundIDs = append(fundIDs, p.FundAccountID)
	}
	orgs, err := h.Orgs.LegalNames(ctx, orgIDs)
	if err != nil {
		return nil, err
	}
	funds, err := h.Funds.Names(ctx, fundIDs)
	if err != nil {
		return nil, err
	}
	staff := a.Is(access.SubdistrictStaff...)
	out := make([]payoutRow, len(list))
	for i, p := range list {
		r := payoutRow{Payout: p, Organization: orgs[p.OrganizationID], Fund: funds[p.FundAccountID], Amount: p.AmountFen.Grouped(),
			Requested: showTime(&p.CreatedAt), PaidAt: showTime(p.PaidAt), Anchor: fmt.Sprintf("confirm-%d-reference", p.ID)}
		if staff {
			r.FundHref = fmt.Sprintf("/funds/%d", p.FundAccountID)
		}
		r.CanConfirm = a.Role == access.FinanceOfficer && p.Provider == "manual" && p.State == "requested"
		if ref, ok := milestone.RefOf(p.ReferenceType, p.ReferenceID); ok {
			r.Round = &ref
			if a.Is(milestonePageRoles...) {
				r.MilestonesHref = contractMilestonesPath(ref.ContractID)
			}
		}
		out[i] = r
	}
	return out, nil
}

type payoutsView struct {
	Payouts    []payoutRow
	Waiting    int
	CanConfirm bool
	Alert      pageAlert
	DoneID     int64
}

func (h *Handler) renderPayouts(c *fiber.Ctx, status int, posted int64, reference string, alert pageAlert) error {
	ctx, a := c.UserContext(), request.Actor(c)
	list, err := h.Payouts.List(ctx, a, "")
	if err != nil {
		return err
	}
	v := payoutsView{CanConfirm: a.Role == access.FinanceOfficer, Alert: alert}
	if v.Payouts, err = h.payoutRows(ctx, a, list); err != nil {
		return err
	}
	for i := range v.Payouts {
		r := &v.Payouts[i]
		if r.State == "requested" {
			v.Waiting++
		}
		if r.ID == posted {
			r.Reference, r.Bad = reference, alert.Bad(r.Anchor)
		}
	}
	if status == fiber.StatusOK && c.Query("done") == "confirmed" {
		v.DoneID, _ = strconv.ParseInt(c.Query("id"), 10, 64)
	}
	return h.render(c, status, "payouts", v)
}

func (h *Handler) handlePayoutsPage(c *fiber.Ctx) error {
	return h.renderPayouts(c, fiber.StatusOK, 0, "", pageAlert{})
}

func (h *Handler) handlePayoutConfirmSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	lang := language(c)
	reference := strings.TrimSpace(strings.Clone(c.FormValue("reference")))
	if _, err := h.Payouts.ConfirmManual(c.UserContext(), request.Actor(c), id, reference); err != nil {
		anchor := fmt.Sprintf("confirm-%d-reference", id)
		status, alert, ok := h.formProblem(c, inForm(err, "confirm."), func(field string) (string, string) {
			return anchor, h.pages.translate(lang, field)
		})
		if !ok {
			return err
		}
		page := pageAlert{Context: fmt.Sprintf(h.pages.translate(lang, "payouts.confirm_alert"), id),
			Href: fmt.Sprintf("#payout-%d", id), formAlert: alert}
		return h.renderPayouts(c, status, id, reference, page)
	}
	return c.Redirect(fmt.Sprintf("/payouts?done=confirmed&id=%d#payout-%d", id, id), fiber.StatusSeeOther)
}

type orgPayoutsView struct {
	Payouts        []payoutRow
	Received       string
	Stripe         bool
	IsAdmin        bool
	Connected      bool // a connected Stripe account exists
	PayoutsEnabled bool // Stripe says it can receive transfers
	Returned       bool // back from Stripe's onboarding
	Refresh        bool // Stripe's link expired: start again
}

func (h *Handler) handleOrgPayoutsPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), request.Actor(c)
	list, err := h.Payouts.List(ctx, a, "")
	if err != nil {
		return err
	}
	v := orgPayoutsView{Stripe: h.Payouts.StripeEnabled(), IsAdmin: a.Role == access.OrgAdmin}
	if v.Payouts, err = h.payoutRows(ctx, a, list); err != nil {
		return err
	}
	var received money.Fen
	for _, p := range list {
		if p.State == "paid" {
			received += p.AmountFen
		}
	}
	v.Received = received.Grouped()
	if v.Stripe {
		conn, err := h.Payouts.ConnectionOf(ctx, a)
		if err != nil {
			return err
		}
		v.Connected, v.PayoutsEnabled = conn.Connected, conn.PayoutsEnabled
		v.Returned, v.Refresh = c.Query("connected") != "", c.Query("refresh") != ""
		if v.IsAdmin {
			allowFormTarget(c, stripeConnectOrigin)
		}
	}
	return h.render(c, fiber.StatusOK, "org_payouts", v)
}

// handleOnboardSubmit sends the organization's admin to Stripe to connect
// (or finish connecting) the account its payments go to.
func (h *Handler) handleOnboardSubmit(c *fiber.Ctx) error {
	a := request.Actor(c)
	base := strings.TrimRight(h.cfg.HTTP.PublicURL, "/")
	link, err := h.Payouts.Onboard(c.UserContext(), a, a.Scope.OrganizationID, base+"/org/payouts?refresh=1", base+"/org/payouts?connected=1")
	if err != nil {
		return err
	}
	return c.Redirect(link, fiber.StatusSeeOther)
}
