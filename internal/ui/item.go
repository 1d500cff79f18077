package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/request"
)

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

func (h *Handler) handleItemsPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), request.Actor(c)
	list, err := h.Catalog.ListItems(ctx, a)
	if err != nil {
		return err
	}
	_, byCode, err := h.categories(ctx)
	if err != nil {
		return err
	}
	subs, err := h.Places.ListSubdistricts(ctx, 0)
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
	return h.render(c, fiber.StatusOK, "items", v)
}

// itemDone are the outcomes the item page confirms after a redirect.
var itemDone = []string{"created", "saved", "published", "retired"}

// renderItem shows an item to the staff who may see it: the version asked for
// (0: the newest), the item's state and what the viewer may do with it.
func (h *Handler) renderItem(c *fiber.Ctx, status int, id int64, version int, alert formAlert) error {
	ctx, a := c.UserContext(), request.Actor(c)
	latest, err := h.Catalog.GetItem(ctx, a, id, 0)
	if err != nil {
		return err
	}
	d := itemDetail{Item: latest, Latest: latest, Alert: alert, HasDraft: latest.VersionStatus == "draft"}
	if version != 0 && version != latest.Version {
		if d.Item, err = h.Catalog.GetItem(ctx, a, id, version); err != nil {
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
		listed, err := h.listed(ctx, a.Scope.DistrictID)
		if err != nil {
			return err
		}
		d.NotListed = !listed[latest.CategoryCode]
	}
	if done := c.Query("done"); status == fiber.StatusOK && slices.Contains(itemDone, done) {
		d.Done = done
	}
	if err := h.fillDetail(ctx, language(c), &d); err != nil {
		return err
	}
	return h.render(c, status, "item", d)
}

func (h *Handler) handleItemPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	version := 0
	if q := c.Query("version"); q != "" {
		if version, err = strconv.Atoi(q); err != nil || version < 1 {
			return apperr.ErrNotFound
		}
	}
	return h.renderItem(c, fiber.StatusOK, id, version, formAlert{})
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

func (h *Handler) handleItemVersionsPage(c *fiber.Ctx) error {
	list, err := request.Read(c, h.Catalog.Versions)
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
	return h.render(c, fiber.StatusOK, "item_versions", v)
}

func (h *Handler) itemAction(c *fiber.Ctx, act func(context.Context, access.Actor, int64) (catalog.View, error), done string) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := act(c.UserContext(), request.Actor(c), id); err != nil {
		status, alert, ok := h.formProblem(c, err, func(field string) (string, string) { return field, field })
		if !ok {
			return err
		}
		if errors.Is(err, catalog.ErrNotInCatalog) {
			if cur, gerr := h.Catalog.GetItem(c.UserContext(), request.Actor(c), id, 0); gerr == nil {
				_, byCode, cerr := h.categories(c.UserContext())
				if cerr != nil {
					return cerr
				}
				cat := byCode[cur.CategoryCode]
				alert.Message = fmt.Sprintf(h.pages.translate(language(c), "item.not_in_catalog"), pick(language(c), cat.NameZh, cat.NameEn))
			}
		}
		return h.renderItem(c, status, id, 0, alert)
	}
	return c.Redirect("/items/"+strconv.FormatInt(id, 10)+"?done="+done, fiber.StatusSeeOther)
}

func (h *Handler) handleItemPublishSubmit(c *fiber.Ctx) error {
	return h.itemAction(c, h.Catalog.PublishItem, "published")
}

func (h *Handler) handleItemRetireSubmit(c *fiber.Ctx) error {
	return h.itemAction(c, h.Catalog.RetireItem, "retired")
}

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
		Weights: map[string]string{}, PurchaseMethod: catalog.MethodOpenTender, MinGrade: "1", MinSocialWorkers: "0"}
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
func (h *Handler) renderEditor(c *fiber.Ctx, status int, cur *catalog.View, f itemForm, alert formAlert) error {
	ctx, lang, a := c.UserContext(), language(c), request.Actor(c)
	standards, err := h.Catalog.ListStandards(ctx, a.Scope.DistrictID)
	if err != nil {
		return err
	}
	listed, err := h.listed(ctx, a.Scope.DistrictID)
	if err != nil {
		return err
	}
	comms, err := h.Places.ListCommunities(ctx, a)
	if err != nil {
		return err
	}
	v := itemEditorView{Form: f, Methods: catalog.PurchaseMethods, Grades: grades, Alert: alert}
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
			row, _ := h.templateRows(lang, st.Code, []catalog.MetricTemplate{m})
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
					rows, _ := h.itemMetricRows(lang, []catalog.ItemMetric{m})
					v.Dropped = append(v.Dropped, rows[0])
				}
			}
		}
	}
	v.CategoryMoved = f.MetricsCategory != "" && f.CategoryCode != f.MetricsCategory
	for _, cm := range comms {
		v.Communities = append(v.Communities, communityOption{Community: cm, Checked: f.Communities[cm.ID]})
	}
	return h.render(c, status, "item_edit", v)
}

func (h *Handler) handleItemNewPage(c *fiber.Ctx) error {
	return h.renderEditor(c, fiber.StatusOK, nil, newItemForm(), formAlert{})
}

func (h *Handler) handleItemEditPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	cur, err := h.Catalog.GetItem(c.UserContext(), request.Actor(c), id, 0)
	if err != nil {
		return err
	}
	if cur.Status == "retired" {
		_, alert, _ := h.formProblem(c, catalog.ErrRetired, nil)
		return h.renderItem(c, fiber.StatusConflict, id, 0, alert)
	}
	return h.renderEditor(c, fiber.StatusOK, &cur, formOfItem(cur), formAlert{})
}

// editorLabel names the editor's fields for an alert.
func (h *Handler) editorLabel(c *fiber.Ctx, metrics []catalog.MetricTemplate) fieldLabel {
	lang := language(c)
	return func(field string) (string, string) {
		for _, prefix := range []string{"target_", "weight_"} {
			if code, ok := strings.CutPrefix(field, prefix); ok {
				for _, m := range metrics {
					if m.Code == code {
						return field, pick(lang, m.NameZh, m.NameEn) + " · " + h.pages.translate(lang, "metric."+strings.TrimSuffix(prefix, "_"))
					}
				}
			}
		}
		return field, h.pages.translate(lang, "item."+field)
	}
}

// submitItem saves the posted editor through save, or shows it again with
// what was wrong.
func (h *Handler) submitItem(c *fiber.Ctx, cur *catalog.View, save func(catalog.ItemInput) (catalog.View, error), done string) error {
	ctx, a := c.UserContext(), request.Actor(c)
	f := readItemForm(c)
	var metrics []catalog.MetricTemplate
	if f.MetricsCategory != "" {
		st, err := h.Catalog.GetStandard(ctx, f.MetricsCategory, a.Scope.DistrictID)
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
		status, alert, ok := h.formProblem(c, err, h.editorLabel(c, metrics))
		if !ok {
			return err
		}
		return h.renderEditor(c, status, cur, f, alert)
	}
	return c.Redirect("/items/"+strconv.FormatInt(saved.ID, 10)+"?done="+done, fiber.StatusSeeOther)
}

func (h *Handler) handleItemCreateSubmit(c *fiber.Ctx) error {
	return h.submitItem(c, nil, func(in catalog.ItemInput) (catalog.View, error) {
		return h.Catalog.CreateItem(c.UserContext(), request.Actor(c), in)
	}, "created")
}

func (h *Handler) handleItemEditSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	cur, err := h.Catalog.GetItem(c.UserContext(), request.Actor(c), id, 0)
	if err != nil {
		return err
	}
	return h.submitItem(c, &cur, func(in catalog.ItemInput) (catalog.View, error) {
		return h.Catalog.UpdateItem(c.UserContext(), request.Actor(c), id, in)
	}, "saved")
}
