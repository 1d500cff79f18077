package ui

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/place"
)

// capablePerPage is the number of organizations on one page of the directory.
const capablePerPage = 20

type capableCert struct {
	Categories   []catalog.Category
	Grade        int
	Verified     *int // the social workers the district verified
	District     place.District
	ValidFrom    string
	ValidThrough string
}

type capableRow struct {
	org.CapableOrg
	District place.District
	Certs    []capableCert
}

type capableView struct {
	Q          string
	District   int64
	Category   string
	Districts  []place.District
	Categories []catalog.Category
	Results    []capableRow
	pager
	Filtered bool
}

// handleCapablePage is the public directory of capable organizations (有承接能力
// 的社会组织目录): each with its certifications active today. Bad filter values
// are ignored rather than refused, as in the transfer-item catalog.
func (h *Handler) handleCapablePage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cats, byCode, err := h.categories(ctx)
	if err != nil {
		return err
	}
	districts, err := h.Places.ListDistricts(ctx)
	if err != nil {
		return err
	}
	byDistrict := districtsByID(districts)
	v := capableView{Q: cutRunes(strings.TrimSpace(strings.Clone(c.Query("q"))), 100), Districts: districts, Categories: cats}
	if id, err := strconv.ParseInt(c.Query("district"), 10, 64); err == nil {
		if _, ok := byDistrict[id]; ok {
			v.District = id
		}
	}
	if _, ok := byCode[c.Query("category")]; ok {
		v.Category = strings.Clone(c.Query("category"))
	}
	v.Page, _ = strconv.Atoi(c.Query("page"))
	v.Page = min(max(v.Page, 1), 100000)
	v.Filtered = v.Q != "" || v.District != 0 || v.Category != ""

	res, err := h.Orgs.PublicCapable(ctx, org.CapableFilter{DistrictID: v.District, Category: v.Category, Q: v.Q,
		Page: v.Page, PerPage: capablePerPage})
	if err != nil {
		return err
	}
	for _, o := range res.Items {
		r := capableRow{CapableOrg: o, District: byDistrict[o.DistrictID]}
		for _, cert := range o.Certifications {
			r.Certs = append(r.Certs, capableCert{Categories: categoryList(cert.Categories, byCode), Grade: cert.Grade,
				Verified: cert.VerifiedSocialWorkers, District: byDistrict[cert.DistrictID], ValidFrom: cert.ValidFrom.String(), ValidThrough: cert.ValidThrough.String()})
		}
		v.Results = append(v.Results, r)
	}
	v.paginate(res.Total, capablePerPage, len(res.Items), func(n int) string {
		return listURL("/capable", v.Q, "district", v.District, v.Category, n)
	})
	return h.render(c, fiber.StatusOK, "capable", v)
}
