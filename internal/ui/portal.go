package ui

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/portal"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/ui/chart"
)

// The public portal (portal.Service): the home page with the live figures
// and charts and the links to the open data, the subdistricts' pages, the
// fund transparency page and the provider directory. The same for everyone;
// bad filter values are ignored, as in the catalog, and an unknown
// subdistrict is the not-found page.

// subdistrictPath is a subdistrict's public page.
func subdistrictPath(id int64) string { return fmt.Sprintf("/subdistricts/%d", id) }

// figuresView is a set of figures as the pages show them.
type figuresView struct {
	portal.Figures
	Committed, Paid string
}

func showFigures(f portal.Figures) figuresView {
	return figuresView{Figures: f, Committed: f.Committed.Grouped(), Paid: f.Paid.Grouped()}
}

type subdistrictRow struct {
	figuresView
	ID   int64
	Name string
	Href string
}

type homeView struct {
	Year          int
	Figures       figuresView
	Subdistricts  []subdistrictRow
	PaidChart     template.HTML
	CommitChart   template.HTML
	RatingMinimum int
}

// chartOf draws a chart in the page's language: its title and description
// are the messages key+"_title" and key+"_desc" (the description formatted
// with args), its points' values in yuan unless count.
func (h *Handler) chartOf(lang, id, key, labelKey string, pts []chart.Point, line, count bool, args ...any) template.HTML {
	tr := func(k string) string { return h.pages.translate(lang, k) }
	c := chart.Chart{ID: id, Title: tr(key + "_title"), Desc: fmt.Sprintf(tr(key+"_desc"), args...), Summary: tr("portal.chart_data"),
		LabelHeader: tr(labelKey), ValueHeader: tr("portal.yuan"), Empty: tr("portal.chart_empty"), Points: pts,
		Format: func(v int64) string { return money.Fen(v).Grouped() }}
	if count {
		c.ValueHeader, c.Format = tr("portal.count"), nil
	}
	if line {
		return chart.Line(c)
	}
	return chart.Bar(c)
}

func yuanPoint(label string, f money.Fen) chart.Point {
	return chart.Point{Label: label, Value: int64(f), Display: f.Grouped()}
}

// monthPoints are the months of the year through the last, with what was
// paid in each.
func monthPoints(lang string, paid [12]money.Fen, through int) []chart.Point {
	out := make([]chart.Point, 0, through)
	for m := 1; m <= through && m <= 12; m++ {
		label := strconv.Itoa(m) + "月"
		if lang == "en" {
			label = time.Month(m).String()[:3]
		}
		out = append(out, yuanPoint(label, paid[m-1]))
	}
	return out
}

// handleHome is the public home page: the live figures, money paid per
// month and committed per subdistrict this year, the subdistricts and the
// links to the open data.
func (h *Handler) handleHome(c *fiber.Ctx) error {
	lang := language(c)
	home, err := h.Portal.Home(c.UserContext())
	if err != nil {
		return err
	}
	v := homeView{Year: home.Year, Figures: showFigures(home.Figures), RatingMinimum: home.RatingMinimum}
	var committed []chart.Point
	for _, s := range home.Subdistricts {
		name := pick(lang, s.NameZh, s.NameEn)
		v.Subdistricts = append(v.Subdistricts, subdistrictRow{figuresView: showFigures(s.Figures), ID: s.ID, Name: name, Href: subdistrictPath(s.ID)})
		committed = append(committed, yuanPoint(name, s.Committed))
	}
	v.PaidChart = h.chartOf(lang, "paid-by-month", "portal.paid_chart", "portal.month", monthPoints(lang, home.PaidByMonth, home.ThroughMonth),
		true, false, home.Year)
	v.CommitChart = h.chartOf(lang, "committed-by-subdistrict", "portal.committed_chart", "fund.subdistrict", committed, false, false, home.Year)
	return h.render(c, fiber.StatusOK, "home", v)
}

// handleSubdistrictsPage lists the subdistricts with their figures.
func (h *Handler) handleSubdistrictsPage(c *fiber.Ctx) error {
	lang := language(c)
	list, err := h.Portal.Subdistricts(c.UserContext())
	if err != nil {
		return err
	}
	var rows []subdistrictRow
	var open []chart.Point
	for _, s := range list {
		name := pick(lang, s.NameZh, s.NameEn)
		rows = append(rows, subdistrictRow{figuresView: showFigures(s.Figures), ID: s.ID, Name: name, Href: subdistrictPath(s.ID)})
		open = append(open, chart.Point{Label: name, Value: s.OpenTenders, Display: strconv.FormatInt(s.OpenTenders, 10)})
	}
	year := civil.ChinaDate(h.clock.Now()).Year
	return h.render(c, fiber.StatusOK, "subdistricts", fiber.Map{"Rows": rows, "Year": year,
		"Chart": h.chartOf(lang, "open-tenders", "portal.open_chart", "fund.subdistrict", open, false, true)})
}

type subdistrictView struct {
	portal.Subdistrict
	Name      string
	Shown     figuresView
	PaidChart template.HTML
	Tenders   []portalTender
	Contracts []portalContract
	Funds     []utilisationRow
	Kinds     []string
}

type portalTender struct {
	portal.OpenTender
	Category catalog.Category
	Ceiling  string
	Closes   string
}

type portalContract struct {
	portal.ActiveContract
	Category catalog.Category
	Amount   string
}

// handleSubdistrictPage is a subdistrict's public page.
func (h *Handler) handleSubdistrictPage(c *fiber.Ctx) error {
	ctx, lang := c.UserContext(), language(c)
	s, err := request.ReadPublic(c, h.Portal.Subdistrict)
	if err != nil {
		return err
	}
	_, byCode, err := h.categories(ctx)
	if err != nil {
		return err
	}
	v := subdistrictView{Subdistrict: s, Name: pick(lang, s.NameZh, s.NameEn), Shown: showFigures(s.SubdistrictFigures.Figures), Kinds: balanceKinds}
	v.PaidChart = h.chartOf(lang, "paid-by-month", "portal.paid_chart", "portal.month", monthPoints(lang, s.PaidByMonth, s.ThroughMonth),
		true, false, s.Year)
	for _, t := range s.OpenTenders {
		v.Tenders = append(v.Tenders, portalTender{OpenTender: t, Category: categoryOf(byCode, t.CategoryCode), Ceiling: t.CeilingFen.Grouped(),
			Closes: showTime(&t.ClosesAt)})
	}
	for _, k := range s.ActiveContracts {
		v.Contracts = append(v.Contracts, portalContract{ActiveContract: k, Category: categoryOf(byCode, k.CategoryCode), Amount: k.AmountFen.Grouped()})
	}
	for _, u := range s.Funds {
		cells := balanceCells(u.Balances)
		cells[len(cells)-1] = amountCell{Kind: "received", Amount: u.Received.Grouped(), Zero: u.Received == 0}
		v.Funds = append(v.Funds, utilisationRow{UtilisationRow: u, CategoryList: categoryList(u.Categories, byCode), Amounts: cells,
			Used: usedShare(u.Balances, u.Received)})
	}
	return h.render(c, fiber.StatusOK, "subdistrict", v)
}

func categoryOf(byCode map[string]catalog.Category, code string) catalog.Category {
	if cat, ok := byCode[code]; ok {
		return cat
	}
	return catalog.Category{Code: code, NameZh: code}
}

// subdistrictFilter reads the query's subdistrict among subs: 0 for none, a
// malformed or unknown one.
func subdistrictFilter(c *fiber.Ctx, subs []place.Subdistrict) int64 {
	id, err := strconv.ParseInt(c.Query("subdistrict"), 10, 64)
	if err != nil {
		return 0
	}
	for _, s := range subs {
		if s.ID == id {
			return id
		}
	}
	return 0
}

type sourceRow struct {
	portal.SourceRow
	Amounts []amountCell
}

type portalCategoryRow struct {
	portal.CategoryRow
	Category catalog.Category
	Amounts  []amountCell
}

type portalFloorRow struct {
	Name                             string
	Households                       int
	Floor, Contracted, Paid, Missing string
	Below                            bool
}

type transparencyView struct {
	portal.Funds
	Subdistricts []place.Subdistrict
	Kinds        []string
	Sources      []sourceRow
	Categories   []portalCategoryRow
	Floors       []portalFloorRow
	SourceChart  template.HTML
	FloorChart   template.HTML
	Filtered     bool
}

// handleFundTransparencyPage is the public fund report: money by source and
// by category, each community against its funding floor, for one year and
// all subdistricts or one.
func (h *Handler) handleFundTransparencyPage(c *fiber.Ctx) error {
	ctx, lang := c.UserContext(), language(c)
	subs, err := h.Places.ListSubdistricts(ctx, 0)
	if err != nil {
		return err
	}
	f := portal.FundFilter{SubdistrictID: subdistrictFilter(c, subs)}
	if y, err := strconv.Atoi(c.Query("year")); err == nil && y >= 2000 && y <= 2100 {
		f.Year = y
	}
	report, err := h.Portal.Funds(ctx, f)
	if err != nil {
		return err
	}
	_, byCode, err := h.categories(ctx)
	if err != nil {
		return err
	}
	v := transparencyView{Funds: report, Subdistricts: subs, Kinds: balanceKinds, Filtered: c.Query("subdistrict") != "" || c.Query("year") != ""}
	tr := func(k string) string { return h.pages.translate(lang, k) }
	var bySource, byCommunity []chart.Point
	for _, r := range report.BySource {
		cells := balanceCells(r.Balances)
		cells[len(cells)-1] = amountCell{Kind: "received", Amount: r.Received.Grouped(), Zero: r.Received == 0}
		v.Sources = append(v.Sources, sourceRow{SourceRow: r, Amounts: cells})
		bySource = append(bySource, yuanPoint(tr("fund_source."+r.Source), r.Received))
	}
	for _, r := range report.ByCategory {
		cells := balanceCells(r.Balances)
		cells[len(cells)-1] = amountCell{Kind: "received", Amount: r.Received.Grouped(), Zero: r.Received == 0}
		v.Categories = append(v.Categories, portalCategoryRow{CategoryRow: r, Category: categoryOf(byCode, r.Category), Amounts: cells})
	}
	for _, r := range report.Floors {
		row := portalFloorRow{Name: pick(lang, r.NameZh, r.NameEn), Households: r.Households, Floor: r.Floor.Grouped(),
			Contracted: r.Contracted.Grouped(), Paid: r.Paid.Grouped(), Below: r.BelowFloor}
		if r.BelowFloor {
			row.Missing = (r.Floor - r.Contracted).Grouped()
		}
		v.Floors = append(v.Floors, row)
		byCommunity = append(byCommunity, yuanPoint(row.Name, r.Contracted))
	}
	v.SourceChart = h.chartOf(lang, "received-by-source", "portal.source_chart", "fund.source", bySource, false, false, report.Year)
	v.FloorChart = h.chartOf(lang, "contracted-by-community", "portal.floor_chart", "portal.community", byCommunity, false, false, report.Year)
	return h.render(c, fiber.StatusOK, "transparency_funds", v)
}

// providersPerPage is the number of organizations on a page of the
// provider directory.
const providersPerPage = 20

type providerRow struct {
	portal.Provider
	Href  string
	Certs []capableCert
}

type providersView struct {
	Category     string
	Subdistrict  int64
	Categories   []catalog.Category
	Subdistricts []place.Subdistrict
	Results      []providerRow
	Minimum      int
	pager
	Filtered bool
}

// handleProvidersPage is the public provider directory: the certified
// organizations with their grade, categories, completed contracts and
// residents' rating, by category and subdistrict served.
func (h *Handler) handleProvidersPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cats, byCode, err := h.categories(ctx)
	if err != nil {
		return err
	}
	subs, err := h.Places.ListSubdistricts(ctx, 0)
	if err != nil {
		return err
	}
	districts, err := h.Places.ListDistricts(ctx)
	if err != nil {
		return err
	}
	byDistrict := districtsByID(districts)
	v := providersView{Categories: cats, Subdistricts: subs, Subdistrict: subdistrictFilter(c, subs), Minimum: h.cfg.Rating.PublicMinimum}
	if _, ok := byCode[c.Query("category")]; ok {
		v.Category = strings.Clone(c.Query("category"))
	}
	v.Page, _ = strconv.Atoi(c.Query("page"))
	v.Page = min(max(v.Page, 1), 100000)
	v.Filtered = v.Subdistrict != 0 || v.Category != ""
	res, err := h.Portal.Providers(ctx, portal.ProviderFilter{Category: v.Category, SubdistrictID: v.Subdistrict, Page: v.Page, PerPage: providersPerPage})
	if err != nil {
		return err
	}
	for _, p := range res.Items {
		r := providerRow{Provider: p, Href: providerProfilePath(p.ID)}
		for _, cert := range p.Certifications {
			r.Certs = append(r.Certs, capableCert{Categories: categoryList(cert.Categories, byCode), Grade: cert.Grade,
				Verified: cert.VerifiedSocialWorkers, District: byDistrict[cert.DistrictID], ValidFrom: cert.ValidFrom.String(),
				ValidThrough: cert.ValidThrough.String()})
		}
		v.Results = append(v.Results, r)
	}
	v.paginate(res.Total, providersPerPage, len(res.Items), func(n int) string {
		return listURL("/providers", "", "subdistrict", v.Subdistrict, v.Category, n)
	})
	return h.render(c, fiber.StatusOK, "providers", v)
}
