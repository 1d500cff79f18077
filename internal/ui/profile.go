package ui

import (
	"fmt"
	"html/template"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/track"
	"github.com/jiedao-market/jiedao/internal/ui/chart"
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
	// ScoreChart draws the final scores of the completed contracts that
	// have one, oldest first ("" when none has).
	ScoreChart template.HTML
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
	v.ScoreChart = h.scoreChart(lang, p.Record.Completed)
	if b := p.Record.Performance; !b.Newcomer && b.Since != nil {
		v.Since = dayOf(*b.Since)
	}
	return h.render(c, fiber.StatusOK, "organization_profile", v)
}

// scoreChart is the bar chart of the final scores (one decimal, drawn in
// tenths) of the completed contracts that have one, oldest first.
func (h *Handler) scoreChart(lang string, completed []track.CompletedContract) template.HTML {
	var pts []chart.Point
	for i := len(completed) - 1; i >= 0; i-- {
		cc := completed[i]
		if cc.FinalScore == nil {
			continue
		}
		var whole, tenth int64
		if n, err := fmt.Sscanf(cc.FinalScore.Score, "%d.%1d", &whole, &tenth); err != nil || n != 2 {
			continue
		}
		pts = append(pts, chart.Point{Label: cc.Title, Value: whole*10 + tenth, Display: cc.FinalScore.Score})
	}
	if len(pts) == 0 {
		return ""
	}
	tr := func(k string) string { return h.pages.translate(lang, k) }
	return chart.Bar(chart.Chart{ID: "final-scores", Title: tr("portal.scores_chart_title"), Desc: tr("portal.scores_chart_desc"),
		Summary: tr("portal.chart_data"), LabelHeader: tr("provider_profile.contract"), ValueHeader: tr("provider_profile.final_score"),
		Empty: tr("portal.chart_empty"), Points: pts, Format: func(v int64) string { return fmt.Sprintf("%d.%d", v/10, v%10) }})
}
