package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/place"
)

// catalogPages registers the pages of the public transfer-item catalog and
// service standards, the district admin's standards and guidance catalog, and
// the officers' transfer items. Write routes check the CSRF token first, then
// the role; the services check the scope again.
func (s *Server) catalogPages(pages fiber.Router) {
	pages.Get("/catalog", s.handleCatalogPage)
	pages.Get("/catalog/items/:id", s.handleCatalogItemPage)
	pages.Get("/standards", s.handleStandardsPage)

	standards, guidance := s.pageFor("/district/standards"), s.pageFor("/district/guidance")
	pages.Get("/district/standards", standards, s.handleDistrictStandardsPage)
	pages.Post("/district/standards/metrics", s.checkCSRF, standards, s.handleMetricAddSubmit)
	pages.Post("/district/standards/:code/:metric", s.checkCSRF, standards, s.handleMetricAdjustSubmit)
	pages.Post("/district/standards/:code/:metric/retire", s.checkCSRF, standards, s.handleMetricRetireSubmit)
	pages.Get("/district/guidance", guidance, s.handleGuidancePage)
	pages.Post("/district/guidance", s.checkCSRF, guidance, s.handleGuidanceSubmit)

	// Readers see items; only procurement officers (the roles of /items/new) change them.
	read, write := s.pageFor("/items"), s.pageFor("/items/new")
	pages.Get("/items", read, s.handleItemsPage)
	pages.Get("/items/new", write, s.handleItemNewPage)
	pages.Post("/items", s.checkCSRF, write, s.handleItemCreateSubmit)
	pages.Get("/items/:id", read, s.handleItemPage)
	pages.Get("/items/:id/edit", write, s.handleItemEditPage)
	pages.Post("/items/:id/edit", s.checkCSRF, write, s.handleItemEditSubmit)
	pages.Post("/items/:id/publish", s.checkCSRF, write, s.handleItemPublishSubmit)
	pages.Post("/items/:id/retire", s.checkCSRF, write, s.handleItemRetireSubmit)
	pages.Get("/items/:id/versions", read, s.handleItemVersionsPage)
}

// The choices of the item editor.
var (
	purchaseMethods = []string{"open_tender", "invited_tender", "single_source", "venture_philanthropy"}
	grades          = []int{1, 2, 3, 4, 5}
)

// catalogPerPage is the number of results on one page of the public catalog.
const catalogPerPage = 20

// chinaTime is the zone the pages show times in (China has no daylight saving).
var chinaTime = time.FixedZone("CST", 8*60*60)

func showTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(chinaTime).Format("2006-01-02 15:04")
}

// yuan shows an amount in yuan with thousands separators, e.g. "102,600.00".
func yuan(f money.Fen) string {
	s := f.Yuan()
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i := range len(whole) {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(whole[i])
	}
	return sign + b.String() + "." + frac
}

// number shows a metric target as typed: no exponent, no trailing zeros.
func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// lookup returns the message for key, if the catalog holds one.
func (p *pages) lookup(lang, key string) (string, bool) {
	m, ok := p.messages[lang][key]
	return m, ok
}

// unitName translates the unit of a shipped metric; a district's own unit is
// shown as written.
func (s *Server) unitName(lang, unit string) string {
	if m, ok := s.pages.lookup(lang, "unit."+unit); ok {
		return m
	}
	return unit
}

// pick returns the name in the page's language.
func pick(lang, zh, en string) string {
	if lang == "en" && en != "" {
		return en
	}
	return zh
}

// excerpt cuts text to n characters at most, marking the cut.
func excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)
	return strings.TrimSpace(string(r[:n])) + "…"
}

// ---- form errors ----

// fieldProblem is one bad input of a form, linked to its input.
type fieldProblem struct {
	Anchor  string // the id of the input
	Label   string
	Message string
}

// formAlert is what a re-rendered form says went wrong: a sentence, and the bad
// fields with links to them.
type formAlert struct {
	Message string
	Fields  []fieldProblem
	bad     map[string]bool
}

// Bad reports whether the input with this id is named in the alert.
func (a formAlert) Bad(anchor string) bool { return a.bad[anchor] }

// fieldLabel names a form field for an alert: the input's id and its label.
type fieldLabel func(field string) (anchor, label string)

// formProblem turns a service error into the alert of a re-rendered form and
// its status (400 for bad input, 409 for a conflict). ok is false for any other
// error, which goes to the error page.
func (s *Server) formProblem(c *fiber.Ctx, err error, label fieldLabel) (int, formAlert, bool) {
	e, isApp := apperr.As(err)
	if !isApp || (e.Kind != apperr.Invalid && e.Kind != apperr.Conflict) {
		return 0, formAlert{}, false
	}
	lang := language(c)
	if e.Kind == apperr.Conflict {
		msg, ok := s.pages.lookup(lang, "conflict."+e.Code)
		if !ok {
			msg = e.Message
		}
		return fiber.StatusConflict, formAlert{Message: msg}, true
	}
	a := formAlert{Message: s.pages.translate(lang, "form.invalid"), bad: map[string]bool{}}
	for _, f := range e.Fields {
		anchor, name := label(f.Field)
		msg, ok := s.pages.lookup(lang, "fielderr."+genericField(f.Field))
		if !ok {
			msg = f.Message
		}
		a.Fields = append(a.Fields, fieldProblem{Anchor: anchor, Label: name, Message: msg})
		a.bad[anchor] = true
	}
	return fiber.StatusBadRequest, a, true
}

// genericField names the message of a per-metric input by its kind.
func genericField(field string) string {
	switch {
	case strings.HasPrefix(field, "target_"):
		return "metric_target"
	case strings.HasPrefix(field, "weight_"):
		return "metric_weight"
	}
	return field
}

// ---- shared lookups ----

// categories returns the service categories in display order, and by code.
func (s *Server) categories(ctx context.Context) ([]catalog.Category, map[string]catalog.Category, error) {
	cats, err := s.catalog.ListCategories(ctx)
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
func (s *Server) listed(ctx context.Context, districtID int64) (map[string]bool, error) {
	out := map[string]bool{}
	if districtID == 0 {
		return out, nil
	}
	entries, err := s.catalog.ListGuidance(ctx, districtID)
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

func (s *Server) itemMetricRows(lang string, ms []catalog.ItemMetric) ([]metricRow, int) {
	rows := make([]metricRow, len(ms))
	total := 0
	for i, m := range ms {
		rows[i] = metricRow{Key: m.Code, Code: m.Code, NameZh: m.NameZh, NameEn: m.NameEn, Unit: s.unitName(lang, m.Unit),
			Direction: m.Direction, Source: m.Source, Target: number(m.Target), Weight: strconv.Itoa(m.Weight)}
		total += m.Weight
	}
	return rows, total
}

func (s *Server) templateRows(lang, category string, ms []catalog.MetricTemplate) ([]metricRow, int) {
	rows := make([]metricRow, len(ms))
	active := 0
	for i, m := range ms {
		rows[i] = metricRow{Key: category + "-" + m.Code, Code: m.Code, NameZh: m.NameZh, NameEn: m.NameEn,
			Unit: s.unitName(lang, m.Unit), Direction: m.Direction, Source: m.Source, Status: m.Status,
			Target: number(m.DefaultTarget), Weight: strconv.Itoa(m.DefaultWeight), Local: m.DistrictID != nil}
		if m.Status == "active" {
			active += m.DefaultWeight
		}
	}
	return rows, active
}

// ---- the public catalog ----

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
	Total        int64
	Page, Pages  int
	From, To     int64
	Links        []pageLink
	Prev, Next   string
	Filtered     bool
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
func (s *Server) handleCatalogPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cats, byCode, err := s.categories(ctx)
	if err != nil {
		return err
	}
	subs, err := s.places.ListSubdistricts(ctx, 0)
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

	res, err := s.catalog.PublicItems(ctx, catalog.PublicFilter{Q: v.Q, SubdistrictID: v.Subdistrict, CategoryCode: v.Category,
		Page: v.Page, PerPage: catalogPerPage})
	if err != nil {
		return err
	}
	subByID := map[int64]place.Subdistrict{}
	for _, d := range subs {
		subByID[d.ID] = d
	}
	for _, it := range res.Items {
		v.Results = append(v.Results, catalogResult{View: it, Category: byCode[it.CategoryCode], Subdistrict: subByID[it.SubdistrictID],
			Summary: excerpt(it.Description, 140), Published: showTime(it.PublishedAt), Price: yuan(it.UnitPriceFen)})
	}
	v.Total = res.Total
	v.Pages = int((res.Total + catalogPerPage - 1) / catalogPerPage)
	if len(res.Items) > 0 {
		v.From = int64(v.Page-1)*catalogPerPage + 1
		v.To = v.From + int64(len(res.Items)) - 1
	}
	href := func(n int) string { return listURL("/catalog", v.Q, "subdistrict", v.Subdistrict, v.Category, n) }
	v.Links = pageLinks(v.Page, v.Pages, href)
	if v.Page > 1 && v.Pages > 0 {
		v.Prev = href(min(v.Page-1, v.Pages))
	}
	if v.Page < v.Pages {
		v.Next = href(v.Page + 1)
	}
	return s.render(c, fiber.StatusOK, "catalog", v)
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

func (s *Server) fillDetail(ctx context.Context, lang string, d *itemDetail) error {
	_, byCode, err := s.categories(ctx)
	if err != nil {
		return err
	}
	d.Category = byCode[d.Item.CategoryCode]
	if d.Subdistrict, err = s.places.GetSubdistrict(ctx, d.Item.SubdistrictID); err != nil {
		return err
	}
	if d.Communities, err = s.places.CommunitiesByID(ctx, d.Item.CommunityIDs); err != nil {
		return err
	}
	d.Metrics, d.WeightTotal = s.itemMetricRows(lang, d.Item.Metrics)
	d.Price = yuan(d.Item.UnitPriceFen)
	d.Annual = yuan(money.Fen(int64(d.Item.AnnualQuantity) * int64(d.Item.UnitPriceFen)))
	d.Published = showTime(d.Item.PublishedAt)
	d.Updated = showTime(&d.Item.UpdatedAt)
	return nil
}

func (s *Server) handleCatalogItemPage(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.catalog.PublicItem(c.UserContext(), id)
	if err != nil {
		return err
	}
	d := itemDetail{Public: true, Item: v, Latest: v}
	if err := s.fillDetail(c.UserContext(), language(c), &d); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "item", d)
}

// ---- service standards ----

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

func (s *Server) standardViews(ctx context.Context, lang string, districtID int64) ([]standardView, error) {
	list, err := s.catalog.ListStandards(ctx, districtID)
	if err != nil {
		return nil, err
	}
	out := make([]standardView, len(list))
	for i, st := range list {
		out[i].Category = st.Category
		out[i].Metrics, out[i].ActiveWeight = s.templateRows(lang, st.Code, st.Metrics)
	}
	return out, nil
}

// handleStandardsPage shows the 16 service standards: the shipped ones, or
// those in force in the district chosen (by default the viewer's own).
func (s *Server) handleStandardsPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	districts, err := s.places.ListDistricts(ctx)
	if err != nil {
		return err
	}
	v := standardsView{Districts: districts}
	if c.Query("district_id") != "" {
		if id, err := strconv.ParseInt(c.Query("district_id"), 10, 64); err == nil &&
			slices.ContainsFunc(districts, func(d place.District) bool { return d.ID == id }) {
			v.DistrictID = id
		}
	} else if a := actor(c); a.Role.ScopeKind() == access.ScopeDistrict || a.Role.ScopeKind() == access.ScopeSubdistrict {
		v.DistrictID = a.Scope.DistrictID
	}
	if v.Standards, err = s.standardViews(ctx, language(c), v.DistrictID); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "standards", v)
}

// metricForm is the district admin's form for a new metric, as typed.
type metricForm struct {
	Category, Code, NameZh, NameEn, Unit, Direction, Source, Target, Weight string
}

type districtStandardsView struct {
	District   place.District
	Standards  []standardView
	Categories []catalog.Category
	New        metricForm
	Alert      formAlert
	AlertTitle string // which metric the alert is about
	Saved      string
}

func (s *Server) renderDistrictStandards(c *fiber.Ctx, status int, v districtStandardsView, edited *metricRow) error {
	ctx, lang, a := c.UserContext(), language(c), actor(c)
	var err error
	if v.District, err = s.places.GetDistrict(ctx, a.Scope.DistrictID); err != nil {
		return err
	}
	if v.Standards, err = s.standardViews(ctx, lang, a.Scope.DistrictID); err != nil {
		return err
	}
	for _, st := range v.Standards {
		v.Categories = append(v.Categories, st.Category)
		for i, m := range st.Metrics {
			if edited != nil && m.Key == edited.Key {
				st.Metrics[i].Target, st.Metrics[i].Weight = edited.Target, edited.Weight
				v.AlertTitle = pick(lang, st.NameZh, st.NameEn) + " · " + pick(lang, m.NameZh, m.NameEn)
			}
		}
	}
	if v.New.Direction == "" {
		v.New.Direction, v.New.Source = "higher", "evaluator"
	}
	if code := c.Query("saved"); status == fiber.StatusOK && code != "" {
		for _, st := range v.Standards {
			if st.Code == code {
				v.Saved = s.pages.translate(lang, "dstd.saved") + " " + pick(lang, st.NameZh, st.NameEn)
			}
		}
	}
	return s.render(c, status, "district_standards", v)
}

func (s *Server) handleDistrictStandardsPage(c *fiber.Ctx) error {
	return s.renderDistrictStandards(c, fiber.StatusOK, districtStandardsView{}, nil)
}

// standardsSaved is where a change to category's standard lands.
func standardsSaved(category string) string {
	return "/district/standards?saved=" + url.QueryEscape(category) + "#std-" + url.PathEscape(category)
}

// parseTarget reads a metric target as typed: a finite number.
func parseTarget(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

func (s *Server) handleMetricAdjustSubmit(c *fiber.Ctx) error {
	category, code := strings.Clone(c.Params("code")), strings.Clone(c.Params("metric"))
	row := metricRow{Key: category + "-" + code, Target: strings.Clone(c.FormValue("default_target")),
		Weight: strings.Clone(c.FormValue("default_weight"))}
	var in catalog.MetricInput
	var f apperr.Fields
	target, ok := parseTarget(row.Target)
	f.Check(ok, "default_target", "must be a number")
	in.DefaultTarget = &target
	weight, err := strconv.Atoi(strings.TrimSpace(row.Weight))
	f.Check(err == nil, "default_weight", "must be a whole number")
	in.DefaultWeight = &weight
	err = f.Err()
	if err == nil {
		_, err = s.catalog.AdjustMetric(c.UserContext(), actor(c), category, code, in)
	}
	if err != nil {
		lang := language(c)
		status, alert, ok := s.formProblem(c, err, func(field string) (string, string) {
			if field == "default_weight" {
				return "w-" + row.Key, s.pages.translate(lang, "metric.default_weight")
			}
			return "t-" + row.Key, s.pages.translate(lang, "metric.default_target")
		})
		if !ok {
			return err
		}
		return s.renderDistrictStandards(c, status, districtStandardsView{Alert: alert}, &row)
	}
	return c.Redirect(standardsSaved(category), fiber.StatusSeeOther)
}

func (s *Server) handleMetricRetireSubmit(c *fiber.Ctx) error {
	category := strings.Clone(c.Params("code"))
	if _, err := s.catalog.RetireMetric(c.UserContext(), actor(c), category, c.Params("metric")); err != nil {
		status, alert, ok := s.formProblem(c, err, func(field string) (string, string) { return field, field })
		if !ok {
			return err
		}
		return s.renderDistrictStandards(c, status, districtStandardsView{Alert: alert}, nil)
	}
	return c.Redirect(standardsSaved(category), fiber.StatusSeeOther)
}

func (s *Server) handleMetricAddSubmit(c *fiber.Ctx) error {
	form := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	m := metricForm{Category: form("category"), Code: form("code"), NameZh: form("name_zh"), NameEn: form("name_en"),
		Unit: form("unit"), Direction: form("direction"), Source: form("source"), Target: form("default_target"),
		Weight: form("default_weight")}
	in := catalog.MetricInput{Code: m.Code, NameZh: &m.NameZh, NameEn: &m.NameEn, Unit: &m.Unit, Direction: &m.Direction, Source: &m.Source}
	var f apperr.Fields
	target, ok := parseTarget(m.Target)
	f.Check(ok, "default_target", "must be a number")
	in.DefaultTarget = &target
	weight, err := strconv.Atoi(m.Weight)
	f.Check(err == nil, "default_weight", "must be a whole number")
	in.DefaultWeight = &weight
	f.Check(m.Category != "", "category", "is required")
	err = f.Err()
	if err == nil {
		_, err = s.catalog.AddMetric(c.UserContext(), actor(c), m.Category, in)
		if errors.Is(err, apperr.ErrNotFound) {
			err = apperr.InvalidField("category", "is not a service category")
		}
	}
	if err != nil {
		lang := language(c)
		status, alert, ok := s.formProblem(c, err, func(field string) (string, string) {
			return "new-" + field, s.pages.translate(lang, "newmetric."+field)
		})
		if !ok {
			return err
		}
		return s.renderDistrictStandards(c, status, districtStandardsView{New: m, Alert: alert}, nil)
	}
	return c.Redirect(standardsSaved(m.Category), fiber.StatusSeeOther)
}

// ---- guidance catalog ----

type guidanceRow struct {
	catalog.GuidanceEntry
	Category catalog.Category
	Added    string
}

type guidanceForm struct {
	CategoryCode, CatalogCode, Notes string
}

type guidanceView struct {
	District  place.District
	Entries   []guidanceRow
	Available []catalog.Category
	Form      guidanceForm
	Alert     formAlert
	Added     string
}

func (s *Server) renderGuidance(c *fiber.Ctx, status int, v guidanceView) error {
	ctx, lang, a := c.UserContext(), language(c), actor(c)
	var err error
	if v.District, err = s.places.GetDistrict(ctx, a.Scope.DistrictID); err != nil {
		return err
	}
	cats, byCode, err := s.categories(ctx)
	if err != nil {
		return err
	}
	entries, err := s.catalog.ListGuidance(ctx, a.Scope.DistrictID)
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	for _, e := range entries {
		listed[e.CategoryCode] = true
		v.Entries = append(v.Entries, guidanceRow{GuidanceEntry: e, Category: byCode[e.CategoryCode], Added: showTime(&e.CreatedAt)})
		if status == fiber.StatusOK && e.CategoryCode == c.Query("added") {
			v.Added = s.pages.translate(lang, "guidance.added") + " " + pick(lang, byCode[e.CategoryCode].NameZh, byCode[e.CategoryCode].NameEn)
		}
	}
	for _, cat := range cats {
		if !listed[cat.Code] {
			v.Available = append(v.Available, cat)
		}
	}
	return s.render(c, status, "district_guidance", v)
}

func (s *Server) handleGuidancePage(c *fiber.Ctx) error {
	return s.renderGuidance(c, fiber.StatusOK, guidanceView{})
}

func (s *Server) handleGuidanceSubmit(c *fiber.Ctx) error {
	a := actor(c)
	f := guidanceForm{CategoryCode: strings.Clone(c.FormValue("category_code")),
		CatalogCode: strings.TrimSpace(strings.Clone(c.FormValue("catalog_code"))), Notes: strings.Clone(c.FormValue("notes"))}
	_, err := s.catalog.AddGuidance(c.UserContext(), a, a.Scope.DistrictID,
		catalog.GuidanceInput{CategoryCode: f.CategoryCode, CatalogCode: f.CatalogCode, Notes: f.Notes})
	if err != nil {
		lang := language(c)
		status, alert, ok := s.formProblem(c, err, func(field string) (string, string) {
			return field, s.pages.translate(lang, "guidance."+field)
		})
		if !ok {
			return err
		}
		return s.renderGuidance(c, status, guidanceView{Form: f, Alert: alert})
	}
	return c.Redirect("/district/guidance?added="+url.QueryEscape(f.CategoryCode), fiber.StatusSeeOther)
}

// ---- transfer items (staff) ----

type itemRow struct {
	catalog.View
	Category    catalog.Category
	Subdistrict place.Subdistrict
	Updated     string
}

type itemsView struct {
	Items           []itemRow
	CanCreate       bool
	ShowSubdistrict bool
}

func (s *Server) handleItemsPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), actor(c)
	list, err := s.catalog.ListItems(ctx, a)
	if err != nil {
		return err
	}
	_, byCode, err := s.categories(ctx)
	if err != nil {
		return err
	}
	subs, err := s.places.ListSubdistricts(ctx, 0)
	if err != nil {
		return err
	}
	v := itemsView{CanCreate: a.Role == access.ProcurementOfficer, ShowSubdistrict: a.Role.ScopeKind() != access.ScopeSubdistrict}
	for _, it := range list {
		r := itemRow{View: it, Category: byCode[it.CategoryCode], Updated: showTime(&it.UpdatedAt)}
		for _, d := range subs {
			if d.ID == it.SubdistrictID {
				r.Subdistrict = d
			}
		}
		v.Items = append(v.Items, r)
	}
	return s.render(c, fiber.StatusOK, "items", v)
}

// itemDone are the outcomes the item page confirms after a redirect.
var itemDone = []string{"created", "saved", "published", "retired"}

// renderItem shows an item to the staff who may see it: the version asked for
// (0: the newest), the item's state and what the viewer may do with it.
func (s *Server) renderItem(c *fiber.Ctx, status int, id int64, version int, alert formAlert) error {
	ctx, a := c.UserContext(), actor(c)
	latest, err := s.catalog.GetItem(ctx, a, id, 0)
	if err != nil {
		return err
	}
	d := itemDetail{Item: latest, Latest: latest, Alert: alert, HasDraft: latest.VersionStatus == "draft"}
	if version != 0 && version != latest.Version {
		if d.Item, err = s.catalog.GetItem(ctx, a, id, version); err != nil {
			return err
		}
	}
	if latest.PublishedVersion != nil {
		d.PublishedVersion = *latest.PublishedVersion
	}
	officer := a.Role == access.ProcurementOfficer
	d.CanEdit = officer && latest.Status != "retired"
	d.CanPublish = officer && d.HasDraft && latest.Status != "retired"
	d.CanRetire = officer && latest.Status == "published"
	if d.CanPublish {
		listed, err := s.listed(ctx, a.Scope.DistrictID)
		if err != nil {
			return err
		}
		d.NotListed = !listed[latest.CategoryCode]
	}
	if done := c.Query("done"); status == fiber.StatusOK && slices.Contains(itemDone, done) {
		d.Done = done
	}
	if err := s.fillDetail(ctx, language(c), &d); err != nil {
		return err
	}
	return s.render(c, status, "item", d)
}

func (s *Server) handleItemPage(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	version := 0
	if q := c.Query("version"); q != "" {
		if version, err = strconv.Atoi(q); err != nil || version < 1 {
			return apperr.ErrNotFound
		}
	}
	return s.renderItem(c, fiber.StatusOK, id, version, formAlert{})
}

type versionRow struct {
	catalog.View
	Published string
	Updated   string
}

type versionsView struct {
	Item     catalog.View
	Versions []versionRow
}

func (s *Server) handleItemVersionsPage(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	list, err := s.catalog.Versions(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	v := versionsView{}
	for i, it := range list {
		if i == 0 {
			v.Item = it
		}
		v.Versions = append(v.Versions, versionRow{View: it, Published: showTime(it.PublishedAt), Updated: showTime(&it.UpdatedAt)})
	}
	return s.render(c, fiber.StatusOK, "item_versions", v)
}

func (s *Server) itemAction(c *fiber.Ctx, act func(context.Context, access.Actor, int64) (catalog.View, error), done string) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if _, err := act(c.UserContext(), actor(c), id); err != nil {
		status, alert, ok := s.formProblem(c, err, func(field string) (string, string) { return field, field })
		if !ok {
			return err
		}
		if errors.Is(err, catalog.ErrNotInCatalog) {
			if cur, gerr := s.catalog.GetItem(c.UserContext(), actor(c), id, 0); gerr == nil {
				_, byCode, cerr := s.categories(c.UserContext())
				if cerr != nil {
					return cerr
				}
				cat := byCode[cur.CategoryCode]
				alert.Message = fmt.Sprintf(s.pages.translate(language(c), "item.not_in_catalog"), pick(language(c), cat.NameZh, cat.NameEn))
			}
		}
		return s.renderItem(c, status, id, 0, alert)
	}
	return c.Redirect("/items/"+strconv.FormatInt(id, 10)+"?done="+done, fiber.StatusSeeOther)
}

func (s *Server) handleItemPublishSubmit(c *fiber.Ctx) error {
	return s.itemAction(c, s.catalog.PublishItem, "published")
}

func (s *Server) handleItemRetireSubmit(c *fiber.Ctx) error {
	return s.itemAction(c, s.catalog.RetireItem, "retired")
}

// ---- the item editor ----

// itemForm is the editor's content as typed, so that a refused form comes
// back as the officer left it.
type itemForm struct {
	Title, Description, CategoryCode, LegalBasis, TargetPopulation string
	Communities                                                    map[int64]bool
	BadCommunity                                                   bool // a posted community id is not a number
	AnnualQuantity, QuantityUnit, UnitPrice, PurchaseMethod        string
	MinGrade, MinSocialWorkers                                     string
	// MetricsCategory is the category whose standard the metric table was
	// drawn from; a form whose category differs takes the new standard's defaults.
	MetricsCategory string
	Included        map[string]bool
	Targets         map[string]string
	Weights         map[string]string
}

func newItemForm() itemForm {
	return itemForm{Communities: map[int64]bool{}, Included: map[string]bool{}, Targets: map[string]string{},
		Weights: map[string]string{}, PurchaseMethod: "open_tender", MinGrade: "1", MinSocialWorkers: "0"}
}

func formOfItem(v catalog.View) itemForm {
	f := newItemForm()
	f.Title, f.Description, f.CategoryCode, f.LegalBasis, f.TargetPopulation = v.Title, v.Description, v.CategoryCode, v.LegalBasis, v.TargetPopulation
	for _, id := range v.CommunityIDs {
		f.Communities[id] = true
	}
	f.AnnualQuantity, f.QuantityUnit, f.UnitPrice = strconv.Itoa(v.AnnualQuantity), v.QuantityUnit, v.UnitPriceFen.Yuan()
	f.PurchaseMethod, f.MinGrade, f.MinSocialWorkers = v.PurchaseMethod, strconv.Itoa(v.MinGrade), strconv.Itoa(v.MinSocialWorkers)
	f.MetricsCategory = v.CategoryCode
	for _, m := range v.Metrics {
		f.Included[m.Code] = true
		f.Targets[m.Code], f.Weights[m.Code] = number(m.Target), strconv.Itoa(m.Weight)
	}
	return f
}

// readItemForm reads the posted editor.
func readItemForm(c *fiber.Ctx) itemForm {
	form := func(k string) string { return strings.Clone(c.FormValue(k)) }
	f := newItemForm()
	f.Title, f.Description, f.CategoryCode = form("title"), form("description"), form("category_code")
	f.LegalBasis, f.TargetPopulation = form("legal_basis"), form("target_population")
	f.AnnualQuantity, f.QuantityUnit, f.UnitPrice = form("annual_quantity"), form("quantity_unit"), form("unit_price")
	f.PurchaseMethod, f.MinGrade, f.MinSocialWorkers = form("purchase_method"), form("min_grade"), form("min_social_workers")
	f.MetricsCategory = form("metrics_category")
	args := c.Request().PostArgs()
	for _, raw := range args.PeekMulti("community_ids") {
		if id, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			f.Communities[id] = true
		} else {
			f.BadCommunity = true
		}
	}
	for _, raw := range args.PeekMulti("metric") {
		code := string(raw)
		f.Included[code] = true
	}
	args.VisitAll(func(k, v []byte) {
		key := string(k)
		if code, ok := strings.CutPrefix(key, "target_"); ok {
			f.Targets[code] = string(v)
		} else if code, ok := strings.CutPrefix(key, "weight_"); ok {
			f.Weights[code] = string(v)
		}
	})
	return f
}

// input turns the form into the service's input; standard is the metric set
// in force for the form's category. Fields that do not parse are returned as
// an Invalid error naming them.
func (f itemForm) input(standard []catalog.MetricTemplate) (catalog.ItemInput, error) {
	var bad apperr.Fields
	in := catalog.ItemInput{Title: &f.Title, Description: &f.Description, CategoryCode: &f.CategoryCode,
		LegalBasis: &f.LegalBasis, TargetPopulation: &f.TargetPopulation, QuantityUnit: &f.QuantityUnit,
		PurchaseMethod: &f.PurchaseMethod}
	ids := []int64{}
	for id := range f.Communities {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	bad.Check(!f.BadCommunity, "community_ids", "must be communities of your subdistrict")
	in.CommunityIDs = &ids
	whole := func(field, text string, empty *int) *int {
		text = strings.TrimSpace(text)
		if text == "" && empty != nil {
			return empty
		}
		n, err := strconv.Atoi(text)
		bad.Check(err == nil, field, "must be a whole number")
		return &n
	}
	zero := 0
	in.AnnualQuantity = whole("annual_quantity", f.AnnualQuantity, nil)
	in.MinGrade = whole("min_grade", f.MinGrade, nil)
	in.MinSocialWorkers = whole("min_social_workers", f.MinSocialWorkers, &zero)
	price, err := money.ParseYuan(f.UnitPrice)
	bad.Check(err == nil, "unit_price_fen", "must be an amount of yuan with at most two decimals")
	in.UnitPriceFen = &price
	if f.MetricsCategory != "" && f.MetricsCategory == f.CategoryCode {
		choices := []catalog.MetricChoice{}
		for _, m := range standard {
			if !f.Included[m.Code] || m.Status != "active" {
				continue
			}
			ch := catalog.MetricChoice{Code: m.Code}
			if t, ok := parseTarget(f.Targets[m.Code]); ok {
				ch.Target = &t
			} else {
				bad.Add("target_"+m.Code, "must be a number")
			}
			w, err := strconv.Atoi(strings.TrimSpace(f.Weights[m.Code]))
			bad.Check(err == nil, "weight_"+m.Code, "must be a whole number")
			ch.Weight = &w
			choices = append(choices, ch)
		}
		in.Metrics = &choices
	}
	return in, bad.Err()
}

type categoryOption struct {
	catalog.Category
	Listed bool
}

type communityOption struct {
	place.Community
	Checked bool
}

type itemEditorView struct {
	ID            int64 // 0 for a new item
	Published     bool  // editing starts a new version
	NextVersion   int
	Form          itemForm
	Categories    []categoryOption
	Communities   []communityOption
	Methods       []string
	Grades        []int
	Metrics       []metricRow
	MetricsFor    catalog.Category
	Dropped       []metricRow // the item's metrics its standard no longer offers
	CategoryMoved bool        // the form's category differs from the metric table's
	Alert         formAlert
}

// renderEditor shows the item editor with form; cur is the item edited (nil
// for a new one).
func (s *Server) renderEditor(c *fiber.Ctx, status int, cur *catalog.View, f itemForm, alert formAlert) error {
	ctx, lang, a := c.UserContext(), language(c), actor(c)
	standards, err := s.catalog.ListStandards(ctx, a.Scope.DistrictID)
	if err != nil {
		return err
	}
	listed, err := s.listed(ctx, a.Scope.DistrictID)
	if err != nil {
		return err
	}
	comms, err := s.places.ListCommunities(ctx, a)
	if err != nil {
		return err
	}
	v := itemEditorView{Form: f, Methods: purchaseMethods, Grades: grades, Alert: alert}
	if cur != nil {
		v.ID = cur.ID
		v.Published = cur.VersionStatus != "draft"
		v.NextVersion = cur.Version + 1
	}
	for _, st := range standards {
		v.Categories = append(v.Categories, categoryOption{Category: st.Category, Listed: listed[st.Code]})
		if st.Code != f.MetricsCategory {
			continue
		}
		v.MetricsFor = st.Category
		offered := map[string]bool{}
		for _, m := range st.Metrics {
			if m.Status != "active" {
				continue
			}
			offered[m.Code] = true
			row, _ := s.templateRows(lang, st.Code, []catalog.MetricTemplate{m})
			r := row[0]
			r.Key, r.Include = m.Code, f.Included[m.Code]
			if t, ok := f.Targets[m.Code]; ok {
				r.Target = t
			}
			if w, ok := f.Weights[m.Code]; ok {
				r.Weight = w
			}
			v.Metrics = append(v.Metrics, r)
		}
		if cur != nil && cur.CategoryCode == st.Code {
			for _, m := range cur.Metrics {
				if !offered[m.Code] {
					rows, _ := s.itemMetricRows(lang, []catalog.ItemMetric{m})
					v.Dropped = append(v.Dropped, rows[0])
				}
			}
		}
	}
	v.CategoryMoved = f.MetricsCategory != "" && f.CategoryCode != f.MetricsCategory
	for _, cm := range comms {
		v.Communities = append(v.Communities, communityOption{Community: cm, Checked: f.Communities[cm.ID]})
	}
	return s.render(c, status, "item_edit", v)
}

func (s *Server) handleItemNewPage(c *fiber.Ctx) error {
	return s.renderEditor(c, fiber.StatusOK, nil, newItemForm(), formAlert{})
}

func (s *Server) handleItemEditPage(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	cur, err := s.catalog.GetItem(c.UserContext(), actor(c), id, 0)
	if err != nil {
		return err
	}
	if cur.Status == "retired" {
		_, alert, _ := s.formProblem(c, catalog.ErrRetired, nil)
		return s.renderItem(c, fiber.StatusConflict, id, 0, alert)
	}
	return s.renderEditor(c, fiber.StatusOK, &cur, formOfItem(cur), formAlert{})
}

// editorLabel names the editor's fields for an alert.
func (s *Server) editorLabel(c *fiber.Ctx, metrics []catalog.MetricTemplate) fieldLabel {
	lang := language(c)
	return func(field string) (string, string) {
		for _, prefix := range []string{"target_", "weight_"} {
			if code, ok := strings.CutPrefix(field, prefix); ok {
				for _, m := range metrics {
					if m.Code == code {
						return field, pick(lang, m.NameZh, m.NameEn) + " · " + s.pages.translate(lang, "metric."+strings.TrimSuffix(prefix, "_"))
					}
				}
			}
		}
		if field == "unit_price_fen" {
			field = "unit_price"
		}
		return field, s.pages.translate(lang, "item."+field)
	}
}

// submitItem saves the posted editor through save, or shows it again with
// what was wrong.
func (s *Server) submitItem(c *fiber.Ctx, cur *catalog.View, save func(catalog.ItemInput) (catalog.View, error), done string) error {
	ctx, a := c.UserContext(), actor(c)
	f := readItemForm(c)
	var metrics []catalog.MetricTemplate
	if f.MetricsCategory != "" {
		st, err := s.catalog.GetStandard(ctx, f.MetricsCategory, a.Scope.DistrictID)
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		metrics = st.Metrics
	}
	in, err := f.input(metrics)
	var saved catalog.View
	if err == nil {
		saved, err = save(in)
	}
	if err != nil {
		status, alert, ok := s.formProblem(c, err, s.editorLabel(c, metrics))
		if !ok {
			return err
		}
		return s.renderEditor(c, status, cur, f, alert)
	}
	return c.Redirect("/items/"+strconv.FormatInt(saved.ID, 10)+"?done="+done, fiber.StatusSeeOther)
}

func (s *Server) handleItemCreateSubmit(c *fiber.Ctx) error {
	return s.submitItem(c, nil, func(in catalog.ItemInput) (catalog.View, error) {
		return s.catalog.CreateItem(c.UserContext(), actor(c), in)
	}, "created")
}

func (s *Server) handleItemEditSubmit(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	cur, err := s.catalog.GetItem(c.UserContext(), actor(c), id, 0)
	if err != nil {
		return err
	}
	return s.submitItem(c, &cur, func(in catalog.ItemInput) (catalog.View, error) {
		return s.catalog.UpdateItem(c.UserContext(), actor(c), id, in)
	}, "saved")
}
