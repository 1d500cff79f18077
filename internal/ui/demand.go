package ui

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

// The demand report: residents' unmet service requests (declined, overdue,
// or matching no contract) by category and community, for the officers who
// plan next year's transfer items, as a page and as a CSV download.

// demandRoles open the report: servicerequest.DemandReaders.
var demandRoles = servicerequest.DemandReaders

// demandCounts are the unmet requests of a row, a category or the report.
type demandCounts struct {
	Declined, Overdue, Unmatched, Total int
}

func (d *demandCounts) add(r servicerequest.DemandRow) {
	d.Declined += r.Declined
	d.Overdue += r.Overdue
	d.Unmatched += r.Unmatched
	d.Total += r.Total
}

// demandLine is one community's row of the report.
type demandLine struct {
	servicerequest.DemandRow
	Community   string
	Subdistrict place.Subdistrict
}

// demandGroup is a category's rows: Category is zero for needs no category
// names (私人定制).
type demandGroup struct {
	Code     string
	Key      string // the code, or "custom"
	Category catalog.Category
	Lines    []demandLine
	Span     int // the rows the category's cell spans: its lines and subtotal
	demandCounts
}

type demandView struct {
	From, Until     string // as typed
	Alert           formAlert
	Groups          []demandGroup
	Totals          demandCounts
	OverdueHours    int
	AsOf            string
	ShowSubdistrict bool
	CSV             string // the download's link, with the filter
}

// readDemandFilter reads ?from= and ?until= (YYYY-MM-DD, both optional);
// it returns an apperr.Invalid naming each bad one.
func readDemandFilter(c *fiber.Ctx) (servicerequest.DemandFilter, error) {
	var fields apperr.Fields
	date := func(name string) civil.Date {
		v := c.Query(name)
		if v == "" {
			return civil.Date{}
		}
		d, err := civil.ParseDate(v)
		fields.Check(err == nil, name, "must be a date (YYYY-MM-DD)")
		return d
	}
	f := servicerequest.DemandFilter{From: date("from"), Until: date("until")}
	fields.Check(f.From.IsZero() || f.Until.IsZero() || !f.Until.Before(f.From), "until", "must not be before from")
	return f, fields.Err()
}

// demandGroups groups the report's rows (ordered by category) by category,
// naming categories, communities and, for readers of several, subdistricts.
func (h *Handler) demandGroups(c *fiber.Ctx, rows []servicerequest.DemandRow) ([]demandGroup, demandCounts, error) {
	ctx, lang := c.UserContext(), language(c)
	_, byCode, err := h.categories(ctx)
	if err != nil {
		return nil, demandCounts{}, err
	}
	subs, err := h.subdistrictsByID(ctx)
	if err != nil {
		return nil, demandCounts{}, err
	}
	var ids []int64
	for _, r := range rows {
		ids = append(ids, r.CommunityID)
	}
	comms, err := h.Places.CommunitiesByID(ctx, ids)
	if err != nil {
		return nil, demandCounts{}, err
	}
	names := map[int64]string{}
	for _, m := range comms {
		names[m.ID] = pick(lang, m.NameZh, m.NameEn)
	}
	var out []demandGroup
	var totals demandCounts
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Code != r.CategoryCode {
			g := demandGroup{Code: r.CategoryCode, Key: r.CategoryCode, Category: byCode[r.CategoryCode], Span: 1}
			if g.Key == "" {
				g.Key = "custom"
			}
			out = append(out, g)
		}
		g := &out[len(out)-1]
		name := names[r.CommunityID]
		if name == "" {
			name = r.CommunityName
		}
		g.Lines = append(g.Lines, demandLine{DemandRow: r, Community: name, Subdistrict: subs[r.SubdistrictID]})
		g.Span++
		g.add(r)
		totals.add(r)
	}
	return out, totals, nil
}

func (h *Handler) handleDemandPage(c *fiber.Ctx) error {
	a := request.Actor(c)
	v := demandView{From: c.Query("from"), Until: c.Query("until"), ShowSubdistrict: a.Role.ScopeKind() != access.ScopeSubdistrict}
	f, err := readDemandFilter(c)
	if err != nil {
		status, alert, ok := h.formProblem(c, inForm(err, "demand."), h.dottedLabel(c))
		if !ok {
			return err
		}
		v.Alert = alert
		return h.render(c, status, "demand", v)
	}
	d, err := h.ServiceRequests.Demand(c.UserContext(), a, f)
	if err != nil {
		return err
	}
	if v.Groups, v.Totals, err = h.demandGroups(c, d.Rows); err != nil {
		return err
	}
	v.OverdueHours, v.AsOf = d.OverdueHours, showTime(&d.AsOf)
	v.CSV = "/reports/demand.csv"
	if q := string(c.Request().URI().QueryString()); q != "" {
		v.CSV += "?" + q
	}
	return h.render(c, fiber.StatusOK, "demand", v)
}

// handleDemandCSV downloads the report the page shows, with its filter, a
// row per category and community.
func (h *Handler) handleDemandCSV(c *fiber.Ctx) error {
	f, err := readDemandFilter(c)
	if err != nil {
		return err
	}
	d, err := h.ServiceRequests.Demand(c.UserContext(), request.Actor(c), f)
	if err != nil {
		return err
	}
	groups, _, err := h.demandGroups(c, d.Rows)
	if err != nil {
		return err
	}
	header := []string{"category_code", "category", "subdistrict_id", "subdistrict", "community_id", "community",
		"declined", "overdue", "unmatched", "total"}
	var rows [][]string
	itoa := strconv.Itoa
	for _, g := range groups {
		category := g.Category.NameZh
		if g.Code == "" {
			category = h.pages.translate("zh-CN", "demand.custom")
		}
		for _, l := range g.Lines {
			rows = append(rows, []string{g.Code, category, strconv.FormatInt(l.SubdistrictID, 10), l.Subdistrict.NameZh,
				strconv.FormatInt(l.CommunityID, 10), l.CommunityName, itoa(l.Declined), itoa(l.Overdue), itoa(l.Unmatched), itoa(l.Total)})
		}
	}
	return request.SendCSV(c, "demand-"+civil.ChinaDate(d.AsOf).String()+".csv", header, rows)
}
