package api

import (
	"math"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/request"
)

// standardDistrict is the district whose standards a request reads: the
// district_id query parameter, else a district-scoped caller's own, else none.
func standardDistrict(c *fiber.Ctx) (int64, error) {
	id, err := request.QueryInt(c, "district_id")
	if err != nil || id != 0 {
		return id, err
	}
	if a := request.Actor(c); a.Role.ScopeKind() == access.ScopeDistrict || a.Role.ScopeKind() == access.ScopeSubdistrict {
		return a.Scope.DistrictID, nil
	}
	return 0, nil
}

func (h *Handler) handleStandardList(c *fiber.Ctx) error {
	districtID, err := standardDistrict(c)
	if err != nil {
		return err
	}
	list, err := h.Catalog.ListStandards(c.UserContext(), districtID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (h *Handler) handleStandardGet(c *fiber.Ctx) error {
	districtID, err := standardDistrict(c)
	if err != nil {
		return err
	}
	st, err := h.Catalog.GetStandard(c.UserContext(), c.Params("code"), districtID)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

type metricRequest struct {
	Code          string   `json:"code"`
	NameZh        *string  `json:"name_zh"`
	NameEn        *string  `json:"name_en"`
	Unit          *string  `json:"unit"`
	Direction     *string  `json:"direction"`
	Source        *string  `json:"source"`
	DefaultTarget *float64 `json:"default_target"`
	DefaultWeight *int     `json:"default_weight"`
}

func (r metricRequest) input() catalog.MetricInput {
	return catalog.MetricInput{Code: r.Code, NameZh: r.NameZh, NameEn: r.NameEn, Unit: r.Unit, Direction: r.Direction,
		Source: r.Source, DefaultTarget: r.DefaultTarget, DefaultWeight: r.DefaultWeight}
}

func (h *Handler) handleMetricAdd(c *fiber.Ctx) error {
	var req metricRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	m, err := h.Catalog.AddMetric(c.UserContext(), request.Actor(c), c.Params("code"), req.input())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (h *Handler) handleMetricAdjust(c *fiber.Ctx) error {
	var req metricRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	if req.Code != "" {
		return apperr.InvalidField("code", "cannot be changed")
	}
	m, err := h.Catalog.AdjustMetric(c.UserContext(), request.Actor(c), c.Params("code"), c.Params("metric"), req.input())
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (h *Handler) handleMetricRetire(c *fiber.Ctx) error {
	m, err := h.Catalog.RetireMetric(c.UserContext(), request.Actor(c), c.Params("code"), c.Params("metric"))
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (h *Handler) handleGuidanceList(c *fiber.Ctx) error {
	list, err := request.ReadPublic(c, h.Catalog.ListGuidance)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

type guidanceRequest struct {
	CategoryCode string `json:"category_code"`
	CatalogCode  string `json:"catalog_code"`
	Notes        string `json:"notes"`
}

func (h *Handler) handleGuidanceAdd(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req guidanceRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	e, err := h.Catalog.AddGuidance(c.UserContext(), request.Actor(c), id, catalog.GuidanceInput{
		CategoryCode: req.CategoryCode, CatalogCode: req.CatalogCode, Notes: req.Notes})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(e)
}

type metricChoice struct {
	Code   string   `json:"code"`
	Target *float64 `json:"target"`
	Weight *int     `json:"weight"`
}

type itemRequest struct {
	Title            *string         `json:"title"`
	Description      *string         `json:"description"`
	CategoryCode     *string         `json:"category_code"`
	LegalBasis       *string         `json:"legal_basis"`
	TargetPopulation *string         `json:"target_population"`
	CommunityIDs     *[]int64        `json:"community_ids"`
	AnnualQuantity   *int            `json:"annual_quantity"`
	QuantityUnit     *string         `json:"quantity_unit"`
	UnitPriceFen     *money.Fen      `json:"unit_price_fen"`
	PurchaseMethod   *string         `json:"purchase_method"`
	MinGrade         *int            `json:"min_grade"`
	MinSocialWorkers *int            `json:"min_social_workers"`
	Metrics          *[]metricChoice `json:"metrics"`
}

func (r itemRequest) input() catalog.ItemInput {
	in := catalog.ItemInput{Title: r.Title, Description: r.Description, CategoryCode: r.CategoryCode, LegalBasis: r.LegalBasis,
		TargetPopulation: r.TargetPopulation, CommunityIDs: r.CommunityIDs, AnnualQuantity: r.AnnualQuantity,
		QuantityUnit: r.QuantityUnit, UnitPriceFen: r.UnitPriceFen, PurchaseMethod: r.PurchaseMethod,
		MinGrade: r.MinGrade, MinSocialWorkers: r.MinSocialWorkers}
	if r.Metrics != nil {
		list := make([]catalog.MetricChoice, len(*r.Metrics))
		for i, m := range *r.Metrics {
			list[i] = catalog.MetricChoice{Code: m.Code, Target: m.Target, Weight: m.Weight}
		}
		in.Metrics = &list
	}
	return in
}

func (h *Handler) handleItemList(c *fiber.Ctx) error {
	list, err := h.Catalog.ListItems(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (h *Handler) handleItemCreate(c *fiber.Ctx) error {
	var req itemRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Catalog.CreateItem(c.UserContext(), request.Actor(c), req.input())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (h *Handler) handleItemGet(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	version, err := request.QueryInt(c, "version")
	if err != nil {
		return err
	}
	if version > math.MaxInt32 {
		return apperr.InvalidField("version", "is too large")
	}
	v, err := h.Catalog.GetItem(c.UserContext(), request.Actor(c), id, int(version))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleItemUpdate(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req itemRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Catalog.UpdateItem(c.UserContext(), request.Actor(c), id, req.input())
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleItemPublish(c *fiber.Ctx) error {
	v, err := request.Read(c, h.Catalog.PublishItem)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleItemRetire(c *fiber.Ctx) error {
	v, err := request.Read(c, h.Catalog.RetireItem)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleItemVersions(c *fiber.Ctx) error {
	list, err := request.Read(c, h.Catalog.Versions)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

// publicFilter reads the public catalog's query parameters.
func publicFilter(c *fiber.Ctx) (catalog.PublicFilter, error) {
	f := catalog.PublicFilter{Q: c.Query("q"), CategoryCode: c.Query("category")}
	var fields apperr.Fields
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"district_id", &f.DistrictID}, {"subdistrict_id", &f.SubdistrictID}} {
		v, err := request.QueryInt(c, p.name)
		fields.Check(err == nil, p.name, "must be a positive whole number")
		*p.dst = v
	}
	page, err := request.QueryInt(c, "page")
	fields.Check(err == nil && page <= 100000, "page", "must be a whole number from 1")
	per, err := request.QueryInt(c, "per_page")
	fields.Check(err == nil && per <= 100, "per_page", "must be a whole number from 1 to 100")
	fields.Check(len(f.Q) <= 200, "q", "must be at most 200 bytes")
	f.Page, f.PerPage = int(page), int(per)
	return f, fields.Err()
}

func (h *Handler) handlePublicItemList(c *fiber.Ctx) error {
	f, err := publicFilter(c)
	if err != nil {
		return err
	}
	page, err := h.Catalog.PublicItems(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *Handler) handlePublicItemGet(c *fiber.Ctx) error {
	v, err := request.ReadPublic(c, h.Catalog.PublicItem)
	if err != nil {
		return err
	}
	return c.JSON(v)
}
