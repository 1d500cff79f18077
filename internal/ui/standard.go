package ui

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/request"
)

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

func (h *Handler) renderDistrictStandards(c *fiber.Ctx, status int, v districtStandardsView, edited *metricRow) error {
	ctx, lang, a := c.UserContext(), language(c), request.Actor(c)
	var err error
	if v.District, err = h.Places.GetDistrict(ctx, a.Scope.DistrictID); err != nil {
		return err
	}
	if v.Standards, err = h.standardViews(ctx, lang, a.Scope.DistrictID); err != nil {
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
				v.Saved = h.pages.translate(lang, "dstd.saved") + " " + pick(lang, st.NameZh, st.NameEn)
			}
		}
	}
	return h.render(c, status, "district_standards", v)
}

func (h *Handler) handleDistrictStandardsPage(c *fiber.Ctx) error {
	return h.renderDistrictStandards(c, fiber.StatusOK, districtStandardsView{}, nil)
}

// standardsSaved is where a change to category's standard lands.
func standardsSaved(category string) string {
	return "/district/standards?saved=" + url.QueryEscape(category) + "#std-" + url.PathEscape(category)
}

func (h *Handler) handleMetricAdjustSubmit(c *fiber.Ctx) error {
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
		_, err = h.Catalog.AdjustMetric(c.UserContext(), request.Actor(c), category, code, in)
	}
	if err != nil {
		lang := language(c)
		status, alert, ok := h.formProblem(c, err, func(field string) (string, string) {
			if field == "default_weight" {
				return "w-" + row.Key, h.pages.translate(lang, "metric.default_weight")
			}
			return "t-" + row.Key, h.pages.translate(lang, "metric.default_target")
		})
		if !ok {
			return err
		}
		return h.renderDistrictStandards(c, status, districtStandardsView{Alert: alert}, &row)
	}
	return c.Redirect(standardsSaved(category), fiber.StatusSeeOther)
}

func (h *Handler) handleMetricRetireSubmit(c *fiber.Ctx) error {
	category := strings.Clone(c.Params("code"))
	if _, err := h.Catalog.RetireMetric(c.UserContext(), request.Actor(c), category, c.Params("metric")); err != nil {
		status, alert, ok := h.formProblem(c, err, func(field string) (string, string) { return field, field })
		if !ok {
			return err
		}
		return h.renderDistrictStandards(c, status, districtStandardsView{Alert: alert}, nil)
	}
	return c.Redirect(standardsSaved(category), fiber.StatusSeeOther)
}

func (h *Handler) handleMetricAddSubmit(c *fiber.Ctx) error {
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
		_, err = h.Catalog.AddMetric(c.UserContext(), request.Actor(c), m.Category, in)
		if errors.Is(err, apperr.ErrNotFound) {
			err = apperr.InvalidField("category", "is not a service category")
		}
	}
	if err != nil {
		lang := language(c)
		status, alert, ok := h.formProblem(c, err, func(field string) (string, string) {
			return "new-" + field, h.pages.translate(lang, "newmetric."+field)
		})
		if !ok {
			return err
		}
		return h.renderDistrictStandards(c, status, districtStandardsView{New: m, Alert: alert}, nil)
	}
	return c.Redirect(standardsSaved(m.Category), fiber.StatusSeeOther)
}

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

func (h *Handler) renderGuidance(c *fiber.Ctx, status int, v guidanceView) error {
	ctx, lang, a := c.UserContext(), language(c), request.Actor(c)
	var err error
	if v.District, err = h.Places.GetDistrict(ctx, a.Scope.DistrictID); err != nil {
		return err
	}
	cats, byCode, err := h.categories(ctx)
	if err != nil {
		return err
	}
	entries, err := h.Catalog.ListGuidance(ctx, a.Scope.DistrictID)
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	for _, e := range entries {
		listed[e.CategoryCode] = true
		v.Entries = append(v.Entries, guidanceRow{GuidanceEntry: e, Category: byCode[e.CategoryCode], Added: showTime(&e.CreatedAt)})
		if status == fiber.StatusOK && e.CategoryCode == c.Query("added") {
			v.Added = h.pages.translate(lang, "guidance.added") + " " + pick(lang, byCode[e.CategoryCode].NameZh, byCode[e.CategoryCode].NameEn)
		}
	}
	for _, cat := range cats {
		if !listed[cat.Code] {
			v.Available = append(v.Available, cat)
		}
	}
	return h.render(c, status, "district_guidance", v)
}

func (h *Handler) handleGuidancePage(c *fiber.Ctx) error {
	return h.renderGuidance(c, fiber.StatusOK, guidanceView{})
}

func (h *Handler) handleGuidanceSubmit(c *fiber.Ctx) error {
	a := request.Actor(c)
	f := guidanceForm{CategoryCode: strings.Clone(c.FormValue("category_code")),
		CatalogCode: strings.TrimSpace(strings.Clone(c.FormValue("catalog_code"))), Notes: strings.Clone(c.FormValue("notes"))}
	_, err := h.Catalog.AddGuidance(c.UserContext(), a, a.Scope.DistrictID,
		catalog.GuidanceInput{CategoryCode: f.CategoryCode, CatalogCode: f.CatalogCode, Notes: f.Notes})
	if err != nil {
		lang := language(c)
		status, alert, ok := h.formProblem(c, err, func(field string) (string, string) {
			return field, h.pages.translate(lang, "guidance."+field)
		})
		if !ok {
			return err
		}
		return h.renderGuidance(c, status, guidanceView{Form: f, Alert: alert})
	}
	return c.Redirect("/district/guidance?added="+url.QueryEscape(f.CategoryCode), fiber.StatusSeeOther)
}
