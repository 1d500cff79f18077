package ui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/request"
)

type providerRatingsView struct {
	Name string
	rating.ProviderRatings
}

// handleProviderRatingsPage is a provider's public ratings: the summaries
// from the public minimum (below it, how many more ratings are needed) and
// the latest ratings with the provider's replies. Hidden comments are never
// in the service's views, so never here.
func (h *Handler) handleProviderRatingsPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	p, err := h.Ratings.Provider(ctx, id)
	if err != nil {
		return err
	}
	names, err := h.Orgs.LegalNames(ctx, []int64{id})
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "provider_ratings", providerRatingsView{Name: names[id], ProviderRatings: p})
}
