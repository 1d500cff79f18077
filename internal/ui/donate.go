package ui

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/request"
)

// donateForm is a donation as typed.
type donateForm struct {
	Fund, Amount, DonorName string
}

type donationFund struct {
	fund.Account
	Subdistrict place.Subdistrict
}

type donateView struct {
	Open      bool // Stripe is configured
	Funds     []donationFund
	Form      donateForm
	Alert     formAlert
	Cancelled bool
	Min, Max  string
}

func (h *Handler) renderDonate(c *fiber.Ctx, status int, f donateForm, alert formAlert) error {
	ctx := c.UserContext()
	v := donateView{Open: h.Payouts.StripeEnabled(), Form: f, Alert: alert, Cancelled: c.Query("cancelled") != "",
		Min: payout.MinDonation.Grouped(), Max: payout.MaxDonation.Grouped()}
	if v.Open {
		list, err := h.Funds.DonationFunds(ctx)
		if err != nil {
			return err
		}
		subs, err := h.subdistrictsByID(ctx)
		if err != nil {
			return err
		}
		for _, a := range list {
			v.Funds = append(v.Funds, donationFund{Account: a, Subdistrict: subs[a.SubdistrictID]})
		}
		if len(v.Funds) == 1 && v.Form.Fund == "" {
			v.Form.Fund = strconv.FormatInt(v.Funds[0].ID, 10)
		}
		allowFormTarget(c, stripeCheckoutOrigin)
	}
	return h.render(c, status, "donate", v)
}

func (h *Handler) handleDonatePage(c *fiber.Ctx) error {
	return h.renderDonate(c, fiber.StatusOK, donateForm{}, formAlert{})
}

// handleDonateSubmit records the donation and sends the donor to Stripe
// Checkout to pay; Stripe brings the donor back to the receipt.
func (h *Handler) handleDonateSubmit(c *fiber.Ctx) error {
	if !h.Payouts.StripeEnabled() {
		return h.renderDonate(c, fiber.StatusConflict, donateForm{}, formAlert{})
	}
	lang := language(c)
	form := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	f := donateForm{Fund: form("fund_account_id"), Amount: form("amount"), DonorName: form("donor_name")}
	// What does not parse goes to the service as 0, which it names with the rest.
	fundID, _ := strconv.ParseInt(f.Fund, 10, 64)
	amount, err := money.ParseYuan(f.Amount)
	if err != nil {
		amount = 0
	}
	base := strings.TrimRight(h.cfg.HTTP.PublicURL, "/")
	_, checkout, err := h.Payouts.StartDonation(c.UserContext(), payout.DonationInput{FundAccountID: fundID, Amount: amount,
		DonorName: f.DonorName, SuccessURL: base + "/donate/receipt/{DONATION_ID}", CancelURL: base + "/donate?cancelled=1"})
	if err != nil {
		if errors.Is(err, payout.ErrNoDonations) {
			return h.renderDonate(c, fiber.StatusBadRequest, f,
				h.fieldAlert(c, "donate-fund_account_id", h.pages.translate(lang, "donate.fund_account_id"), "fielderr.donate.fund_account_id"))
		}
		status, alert, ok := h.formProblem(c, inForm(err, "donate."),
			h.dottedLabel(c))
		if !ok {
			return err
		}
		return h.renderDonate(c, status, f, alert)
	}
	return c.Redirect(checkout, fiber.StatusSeeOther)
}

type receiptView struct {
	payout.Donation
	Fund        fund.Account
	Subdistrict place.Subdistrict
	Amount      string
	Created     string
	Completed   string
}

// handleReceiptPage is a donation's public receipt, where Stripe brings the
// donor back. Like the API's, it names no donor.
func (h *Handler) handleReceiptPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	d, err := h.Payouts.GetDonation(ctx, id)
	if err != nil {
		return err
	}
	acct, err := h.Funds.DonatedFund(ctx, d.FundAccountID)
	if err != nil {
		return err
	}
	sub, err := h.Places.GetSubdistrict(ctx, acct.SubdistrictID)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "donate_receipt", receiptView{Donation: d, Fund: acct, Subdistrict: sub,
		Amount: d.AmountFen.Grouped(), Created: showTime(&d.CreatedAt), Completed: showTime(d.CompletedAt)})
}
