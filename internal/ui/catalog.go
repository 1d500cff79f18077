package ui

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/request"
)

// grades are the certification grades a form offers, 1A to 5A.
var grades = []int{1, 2, 3, 4, 5}

// catalogPerPage is the number of results on one page of the public catalog.
const catalogPerPage = 20

// unitName translates the unit of a shipped metric; a district's own unit is
// shown as written.
func (h *Handler) unitName(lang, unit string) string {
	if m, ok := h.pages.lookup(lang, "unit."+unit); ok {
		return m
	}
	return unit
}

// categories returns the service categories in display order, and by code.
func (h *Handler) categories(ctx context.Context) ([]catalog.Category, map[string]catalog.Category, error) {
	cats, err := h.Catalog.ListCategories(ctx)
	if err != nil {
		return nil, nil, err
	}
	byCode := make(map[string]catalog.Category, len(cats))
	for _, c := range cats {
		byCode[c.Code] = c
	}
	return cats, byCode, nil
}

// listed returns the categories in a district's guidance catalog.
func (h *Handler) listed(ctx context.Context, districtID int64) (map[string]bool, error) {
	out := map[string]bool{}
	if districtID == 0 {
		return out, nil
	}
	entries, err := h.Catalog.ListGuidance(ctx, districtID)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		out[e.CategoryCode] = true
	}
	return out, nil
}

// metricRow is a metric as the pages show it (and, in forms, as typed).
type metricRow struct {
	Key       string // unique on the page: category-code
	Code      string
	NameZh    string
	NameEn    string
	Unit      string
	Direction string
	Source    string
	Status    string
	Target    string
	Weight    string
	Local     bool // the district's own template
	Include   bool // chosen for the item (editor)
}

func (h *Handler) itemMetricRows(lang string, ms []catalog.ItemMetric) ([]metricRow, int) {
	rows := make([]metricRow, len(ms))
	total := 0
	for i, m := range ms {
		rows[i] = metricRow{Key: m.Code, Code: m.Code, NameZh: m.NameZh, NameEn: m.NameEn, Unit: h.unitName(lang, m.Unit),
			Direction: m.Direction, Source: m.Source, Target: number(m.Target), Weight: strconv.Itoa(m.Weight)}
		total += m.Weight
	}
	return rows, total
}

func (h *Handler) templateRows(lang, category string, ms []catalog.MetricTemplate) ([]metricRow, int) {
	rows := make([]metricRow, len(ms))
	active := 0
	for i, m := range ms {
		rows[i] = metricRow{Key: category + "-" + m.Code, Code: m.Code, NameZh: m.NameZh, NameEn: m.NameEn,
			Unit: h.unitName(lang, m.Unit), Direction: m.Direction, Source: m.Source, Status: m.Status,
			Target: number(m.DefaultTarget), Weight: strconv.Itoa(m.DefaultWeight), Local: m.DistrictID != nil}
		if m.Status == "active" {
			active += m.DefaultWeight
		}
	}
	return rows, active
}

type pageLink struct {
	Number  int
	Href    string
	Current bool
	Gap     bool // an ellipsis before this link
}

type catalogResult struct {
	catalog.View
	Category    catalog.Category
	Subdistrict place.Subdistrict
	Summary     string
	Published   string
	Price       string
}

type catalogView struct {
	Q            string
	Subdistrict  int64
	Category     string
	Subdistricts []place.Subdistrict
	Categories   []catalog.Category
	Results      []catalogResult
	pager
	Filtered bool
}

// listURL is a public list page (the catalog, the capable directory) with its
// search, place and category filters, at page; empty filters are left out.
func listURL(base, q, placeParam string, placeID int64, category string, page int) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if placeID != 0 {
		v.Set(placeParam, strconv.FormatInt(placeID, 10))
	}
	if category != "" {
		v.Set("category", category)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// pager is the paging of a list page: the page shown (from 1), the number of
// pages, the items shown (From–To of Total) and the links to other pages.
type pager struct {
	Total       int64
	Page, Pages int
	From, To    int64
	Links       []pageLink
	Prev, Next  string
}

// paginate fills p, whose Page is set, for a list of total items, perPage to
// a page, shown of them on this one; href is the address of page n.
func (p *pager) paginate(total int64, perPage, shown int, href func(n int) string) {
	p.Total = total
	p.Pages = int((total + int64(perPage) - 1) / int64(perPage))
	if shown > 0 {
		p.From = int64(p.Page-1)*int64(perPage) + 1
		p.To = p.From + int64(shown) - 1
	}
	p.Links = pageLinks(p.Page, p.Pages, href)
	if p.Page > 1 && p.Pages > 0 {
		p.Prev = href(min(p.Page-1, p.Pages))
	}
	if p.Page < p.Pages {
		p.Next = href(p.Page + 1)
	}
}

// pageLinks lists the first, last and nearby pages, with gaps between.
func pageLinks(current, pages int, href func(int) string) []pageLink {
	var out []pageLink
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < current-2 || n > current+2) {
			continue
		}
		out = append(out, pageLink{Number: n, Href: href(n), Current: n == current, Gap: last != 0 && n != last+1})
		last = n
	}
	return out
}

// handleCatalogPage is the public transfer-item catalog (转移事项目录). Bad
// filter values are ignored rather than refused: this is a page people type into.
func (h *Handler) handleCatalogPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cats, byCode, err := h.categories(ctx)
	if err != nil {
		return err
	}
	subs, err := h.Places.ListSubdistricts(ctx, 0)
	if err != nil {
		return err
	}
	v := catalogView{Q: strings.TrimSpace(strings.Clone(c.Query("q"))), Categories: cats, Subdistricts: subs}
	for len(v.Q) > 200 {
		_, size := utf8.DecodeLastRuneInString(v.Q)
		v.Q = v.Q[:len(v.Q)-size]
	}
	if id, err := strconv.ParseInt(c.Query("subdistrict"), 10, 64); err == nil &&
		slices.ContainsFunc(subs, func(d place.Subdistrict) bool { return d.ID == id }) {
		v.Subdistrict = id
	}
	if _, ok := byCode[c.Query("category")]; ok {
		v.Category = strings.Clone(c.Query("category"))
	}
	v.Page, _ = strconv.Atoi(c.Query("page"))
	v.Page = min(max(v.Page, 1), 100000)
	v.Filtered = v.Q != "" || v.Subdistrict != 0 || v.Category != ""

	res, err := h.Catalog.PublicItems(ctx, catalog.PublicFilter{Q: v.Q, SubdistrictID: v.Subdistrict, CategoryCode: v.Category,
		Page: v.Page, PerPage: catalogPerPage, Brief: true})
	if err != nil {
		return err
	}
	subByID := map[int64]place.Subdistrict{}
	for _, d := range subs {
		subByID[d.ID] = d
	}
	for _, it := range res.Items {
		v.Results = append(v.Results, catalogResult{View: it, Category: byCode[it.CategoryCode], Subdistrict: subByID[it.SubdistrictID],
			Summary: excerpt(it.Description, 140), Published: showTime(it.PublishedAt), Price: it.UnitPriceFen.Grouped()})
	}
	v.paginate(res.Total, catalogPerPage, len(res.Items), func(n int) string {
		return listURL("/catalog", v.Q, "subdistrict", v.Subdistrict, v.Category, n)
	})
	return h.render(c, fiber.StatusOK, "catalog", v)
}

// itemDetail is a transfer item as the item page shows it, publicly or to
// the staff who may see it.
type itemDetail struct {
	Public           bool
	Item             catalog.View // the version shown
	Latest           catalog.View // the newest version (staff only)
	PublishedVersion int          // 0: never published
	HasDraft         bool
	Category         catalog.Category
	Subdistrict      place.Subdistrict
	Communities      []place.Community
	Metrics          []metricRow
	WeightTotal      int
	Price            string
	Annual           string
	Published        string
	Updated          string
	CanEdit          bool
	CanPublish       bool
	CanRetire        bool
	NotListed        bool // the draft's category is not in the guidance catalog
	Alert            formAlert
	Done             string
}

func (h *Handler) fillDetail(ctx context.Context, lang string, d *itemDetail) error {
	_, byCode, err := h.categories(ctx)
	if err != nil {
		return err
	}
	d.Category = byCode[d.Item.CategoryCode]
	if d.Subdistrict, err = h.Places.GetSubdistrict(ctx, d.Item.SubdistrictID); err != nil {
		return err
	}
	if d.Communities, err = h.Places.CommunitiesByID(ctx, d.Item.CommunityIDs); err != nil {
		return err
	}
	d.Metrics, d.WeightTotal = h.itemMetricRows(lang, d.Item.Metrics)
	d.Price = d.Item.UnitPriceFen.Grouped()
	d.Annual = money.Fen(int64(d.Item.AnnualQuantity) * int64(d.Item.UnitPriceFen)).Grouped()
	d.Published = showTime(d.Item.PublishedAt)
	d.Updated = showTime(&d.Item.UpdatedAt)
	return nil
}

func (h *Handler) handleCatalogItemPage(c *fiber.Ctx) error {
	v, err := request.ReadPublic(c, h.Catalog.PublicItem)
	if err != nil {
		return err
	}
	d := itemDetail{Public: true, Item: v, Latest: v}
	if err := h.fillDetail(c.UserContext(), language(c), &d); err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "item", d)
}

type standardView struct {
	catalog.Category
	Metrics      []metricRow
	ActiveWeight int
}

type standardsView struct {
	Districts  []place.District
	DistrictID int64
	Standards  []standardView
}

func (h *Handler) standardViews(ctx context.Context, lang string, districtID int64) ([]standardView, error) {
	list, err := h.Catalog.ListStandards(ctx, districtID)
	if err != nil {
		return nil, err
	}
	out := make([]standardView, len(list))
	for i, st := range list {
		out[i].Category = st.Category
		out[i].Metrics, out[i].ActiveWeight = h.templateRows(lang, st.Code, st.Metrics)
	}
	return out, nil
}

// handleStandardsPage shows the 16 service standards: the shipped ones, or
// those in force in the district chosen (by default the viewer's own).
func (h *Handler) handleStandardsPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	districts, err := h.Places.ListDistricts(ctx)
	if err != nil {
		return err
	}
	v := standardsView{Districts: districts}
	if c.Query("district_id") != "" {
		if id, err := strconv.ParseInt(c.Query("district_id"), 10, 64); err == nil &&
			slices.ContainsFunc(districts, func(d place.District) bool { return d.ID == id }) {
			v.DistrictID = id
		}
	} else if a := request.Actor(c); a.Role.ScopeKind() == access.ScopeDistrict || a.Role.ScopeKind() == access.ScopeSubdistrict {
		v.DistrictID = a.Scope.DistrictID
	}
	if v.Standards, err = h.standardViews(ctx, language(c), v.DistrictID); err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "standards", v)
}
