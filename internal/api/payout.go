package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/request"
)

func (h *Handler) handlePayoutList(c *fiber.Ctx) error {
	state := c.Query("state")
	switch state {
	case "", "requested", "paid", "failed":
	default:
		return apperr.InvalidField("state", "must be requested, paid or failed")
	}
	list, err := h.Payouts.List(c.UserContext(), request.Actor(c), state)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

type manualConfirmationRequest struct {
	Reference string `json:"reference"`
}

func (h *Handler) handleManualConfirmation(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req manualConfirmationRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	p, err := h.Payouts.ConfirmManual(c.UserContext(), request.Actor(c), id, req.Reference)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) handlePayoutOnboarding(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	base := strings.TrimRight(h.cfg.HTTP.PublicURL, "/")
	url, err := h.Payouts.Onboard(c.UserContext(), request.Actor(c), id, base+"/org/payouts?refresh=1", base+"/org/payouts?connected=1")
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"url": url})
}

type donationRequest struct {
	FundAccountID int64     `json:"fund_account_id"`
	AmountFen     money.Fen `json:"amount_fen"`
	DonorName     string    `json:"donor_name"`
}

// handleDonationStart opens a Stripe Checkout Session for a donation and
// answers the page to pay on.
func (h *Handler) handleDonationStart(c *fiber.Ctx) error {
	var req donationRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	base := strings.TrimRight(h.cfg.HTTP.PublicURL, "/")
	d, url, err := h.Payouts.StartDonation(c.UserContext(), payout.DonationInput{FundAccountID: req.FundAccountID,
		Amount: req.AmountFen, DonorName: req.DonorName, SuccessURL: base + "/donate/receipt/{DONATION_ID}",
		CancelURL: base + "/donate?cancelled=1"})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"donation_id": d.ID, "checkout_url": url})
}

func (h *Handler) handleDonationGet(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	d, err := h.Payouts.GetDonation(c.UserContext(), id)
	if err != nil {
		return err
	}
	// A receipt is public by its id: it names no donor.
	return c.JSON(fiber.Map{"id": d.ID, "fund_account_id": d.FundAccountID, "amount_fen": d.AmountFen, "state": d.State,
		"created_at": d.CreatedAt, "completed_at": d.CompletedAt})
}

// handleStripeWebhook verifies the signature on the raw body, stores the event
// once and answers at once; a job applies it.
func (h *Handler) handleStripeWebhook(c *fiber.Ctx) error {
	body := append([]byte(nil), c.Body()...)
	id, err := h.Payouts.ReceiveEvent(c.UserContext(), body, strings.Clone(c.Get("Stripe-Signature")))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"received": true, "id": id})
}
