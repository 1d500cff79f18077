package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
)

// payoutReaders read payouts (each within its scope).
var payoutReaders = []access.Role{access.PlatformAdmin, access.DistrictAdmin, access.ProcurementOfficer, access.FinanceOfficer,
	access.OrgAdmin, access.OrgMember}

func (s *Server) payoutRoutes(api fiber.Router) {
	api.Get("/payouts", allow(payoutReaders...), s.handlePayoutList)
	api.Post("/payouts/:id/manual-confirmation", allow(access.FinanceOfficer), s.handleManualConfirmation)
	api.Post("/organizations/:id/payout-onboarding", allow(access.OrgAdmin), s.handlePayoutOnboarding)
	api.Post("/public/donations", s.anonymousLimit(), s.handleDonationStart)
	api.Get("/public/donations/:id", s.handleDonationGet)
	api.Post("/stripe/webhook", s.handleStripeWebhook)
}

func (s *Server) handlePayoutList(c *fiber.Ctx) error {
	state := c.Query("state")
	switch state {
	case "", "requested", "paid", "failed":
	default:
		return apperr.InvalidField("state", "must be requested, paid or failed")
	}
	list, err := s.payouts.List(c.UserContext(), actor(c), state)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

type manualConfirmationRequest struct {
	Reference string `json:"reference"`
}

func (s *Server) handleManualConfirmation(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req manualConfirmationRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	p, err := s.payouts.ConfirmManual(c.UserContext(), actor(c), id, req.Reference)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) handlePayoutOnboarding(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	base := strings.TrimRight(s.cfg.HTTP.PublicURL, "/")
	url, err := s.payouts.Onboard(c.UserContext(), actor(c), id, base+"/org/payouts?refresh=1", base+"/org/payouts?connected=1")
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
func (s *Server) handleDonationStart(c *fiber.Ctx) error {
	var req donationRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	base := strings.TrimRight(s.cfg.HTTP.PublicURL, "/")
	d, url, err := s.payouts.StartDonation(c.UserContext(), payout.DonationInput{FundAccountID: req.FundAccountID,
		Amount: req.AmountFen, DonorName: req.DonorName, SuccessURL: base + "/donate/receipt/{DONATION_ID}",
		CancelURL: base + "/donate?cancelled=1"})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"donation_id": d.ID, "checkout_url": url})
}

func (s *Server) handleDonationGet(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.payouts.GetDonation(c.UserContext(), id)
	if err != nil {
		return err
	}
	// A receipt is public by its id: it names no donor.
	return c.JSON(fiber.Map{"id": d.ID, "fund_account_id": d.FundAccountID, "amount_fen": d.AmountFen, "state": d.State,
		"created_at": d.CreatedAt, "completed_at": d.CompletedAt})
}

// handleStripeWebhook verifies the signature on the raw body, stores the event
// once and answers at once; a job applies it.
func (s *Server) handleStripeWebhook(c *fiber.Ctx) error {
	body := append([]byte(nil), c.Body()...)
	id, err := s.payouts.ReceiveEvent(c.UserContext(), body, strings.Clone(c.Get("Stripe-Signature")))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"received": true, "id": id})
}
