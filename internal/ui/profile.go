package ui

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/track"
)

// The public provider profile (/organizations/{id}): the same for everyone,
// from track.Service.Profile — the organization's public face and
// certifications active today, its rating summaries from the public minimum
// (the latest ratings are on its ratings page), its track record (contracts
// by state, evaluation grades, the final scores of its completed contracts,
// complaints upheld, terminations, challenges upheld) and the performance
// percentage P a tender opening now would take. The directory of capable
// organizations and the ratings page link to it.

// providerProfilePath is the public profile of an organization.
func providerProfilePath(orgID int64) string { return fmt.Sprintf("/organizations/%d", orgID) }

// profileContract is a completed contract of the track record as shown.
type profileContract struct {
	track.CompletedContract
	Category      catalog.Category
	Amount        string
	Period, Ended string
}

type profileView struct {
	track.Profile
	District    string
	Certs       []capableCert
	Completed   []profileContract
	RatingsHref string
	Since       string // the start of P's window, "" for a newcomer
}

// handleProviderProfilePage is an organization's public provider profile;
// an unknown organization is the not-found page.
func (h *Handler) handleProviderProfilePage(c *fiber.Ctx) error {
	ctx, lang := c.UserContext(), language(c)
	p, err := request.ReadPublic(c, h.Track.Profile)
	if err != nil {
		return err
	}
	_, byCode, err := h.categories(ctx)
	if err != nil {
		return err
	}
	districts, err := h.Places.ListDistricts(ctx)
	if err != nil {
		return err
	}
	byDistrict := districtsByID(districts)
	d := byDistrict[p.DistrictID]
	v := profileView{Profile: p, District: pick(lang, d.NameZh, d.NameEn), RatingsHref: providerProfilePath(p.ID) + "/ratings"}
	for _, cert := range p.Certifications {
		v.Certs = append(v.Certs, capableCert{Categories: categoryList(cert.Categories, byCode), Grade: cert.Grade,
			Verified: cert.VerifiedSocialWorkers, District: byDistrict[cert.DistrictID], ValidFrom: cert.ValidFrom.String(),
			ValidThrough: cert.ValidThrough.String()})
	}
	for _, cc := range p.Record.Completed {
		cat, ok := byCode[cc.CategoryCode]
		if !ok {
			cat = catalog.Category{Code: cc.CategoryCode, NameZh: cc.CategoryCode}
		}
		v.Completed = append(v.Completed, profileContract{CompletedContract: cc, Category: cat, Amount: cc.AmountFen.Grouped(),
			Period: cc.ServiceStart.String() + " – " + cc.ServiceEnd.String(), Ended: dayOf(cc.EndedAt)})
	}
	if b := p.Record.Performance; !b.Newcomer && b.Since != nil {
		v.Since = dayOf(*b.Since)
	}
	return h.render(c, fiber.StatusOK, "organization_profile", v)
}
