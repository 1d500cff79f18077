package server

import (
	"math"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Roles that read a subdistrict's transfer items.
var itemReaders = []access.Role{access.PlatformAdmin, access.DistrictAdmin, access.ProcurementOfficer, access.FinanceOfficer}

func (s *Server) catalogRoutes(api fiber.Router) {
	api.Get("/standards", s.handleStandardList)
	api.Get("/standards/:code", s.handleStandardGet)
	api.Post("/standards/:code/metrics", allow(access.DistrictAdmin), s.handleMetricAdd)
	api.Patch("/standards/:code/metrics/:metric", allow(access.DistrictAdmin), s.handleMetricAdjust)
	api.Post("/standards/:code/metrics/:metric/retire", allow(access.DistrictAdmin), s.handleMetricRetire)

	api.Get("/districts/:id/guidance-catalog", s.handleGuidanceList)
	api.Post("/districts/:id/guidance-catalog", allow(access.DistrictAdmin), s.handleGuidanceAdd)

	api.Get("/transfer-items", allow(itemReaders...), s.handleItemList)
	api.Post("/transfer-items", allow(access.ProcurementOfficer), s.handleItemCreate)
	api.Get("/transfer-items/:id", allow(itemReaders...), s.handleItemGet)
	api.Patch("/transfer-items/:id", allow(access.ProcurementOfficer), s.handleItemUpdate)
	api.Post("/transfer-items/:id/publish", allow(access.ProcurementOfficer), s.handleItemPublish)
	api.Post("/transfer-items/:id/retire", allow(access.ProcurementOfficer), s.handleItemRetire)
	api.Get("/transfer-items/:id/versions", allow(itemReaders...), s.handleItemVersions)

	api.Get("/public/transfer-items", s.handlePublicItemList)
	api.Get("/public/transfer-items/:id", s.handlePublicItemGet)
}

// queryInt reads an optional positive integer query parameter (0 when absent).
func queryInt(c *fiber.Ctx, name string) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.InvalidField(name, "must be a positive whole number")
	}
	return n, nil
}

// standardDistrict is the district whose standards a request reads: the
// district_id query parameter, else a district-scoped caller's own, else none.
func standardDistrict(c *fiber.Ctx) (int64, error) {
	id, err := queryInt(c, "district_id")
	if err != nil || id != 0 {
		return id, err
	}
	if a := actor(c); a.Role.ScopeKind() == access.ScopeDistrict || a.Role.ScopeKind() == access.ScopeSubdistrict {
		return a.Scope.DistrictID, nil
	}
	return 0, nil
}

func (s *Server) handleStandardList(c *fiber.Ctx) error {
	districtID, err := standardDistrict(c)
	if err != nil {
		return err
	}
	list, err := s.catalog.ListStandards(c.UserContext(), districtID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) handleStandardGet(c *fiber.Ctx) error {
	districtID, err := standardDistrict(c)
	if err != nil {
		return err
	}
	st, err := s.catalog.GetStandard(c.UserContext(), c.Params("code"), districtID)
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

func (s *Server) handleMetricAdd(c *fiber.Ctx) error {
	var req metricRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	m, err := s.catalog.AddMetric(c.UserContext(), actor(c), c.Params("code"), req.input())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (s *Server) handleMetricAdjust(c *fiber.Ctx) error {
	var req metricRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	if req.Code != "" {
		return apperr.InvalidField("code", "cannot be changed")
	}
	m, err := s.catalog.AdjustMetric(c.UserContext(), actor(c), c.Params("code"), c.Params("metric"), req.input())
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (s *Server) handleMetricRetire(c *fiber.Ctx) error {
	m, err := s.catalog.RetireMetric(c.UserContext(), actor(c), c.Params("code"), c.Params("metric"))
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (s *Server) handleGuidanceList(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	list, err := s.catalog.ListGuidance(c.UserContext(), id)
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

func (s *Server) handleGuidanceAdd(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req guidanceRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	e, err := s.catalog.AddGuidance(c.UserContext(), actor(c), id, catalog.GuidanceInput{
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

func (s *Server) handleItemList(c *fiber.Ctx) error {
	list, err := s.catalog.ListItems(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) handleItemCreate(c *fiber.Ctx) error {
	var req itemRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	v, err := s.catalog.CreateItem(c.UserContext(), actor(c), req.input())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (s *Server) handleItemGet(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	version, err := queryInt(c, "version")
	if err != nil {
		return err
	}
	if version > math.MaxInt32 {
		return apperr.InvalidField("version", "is too large")
	}
	v, err := s.catalog.GetItem(c.UserContext(), actor(c), id, int(version))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) handleItemUpdate(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req itemRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	v, err := s.catalog.UpdateItem(c.UserContext(), actor(c), id, req.input())
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) handleItemPublish(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.catalog.PublishItem(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) handleItemRetire(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.catalog.RetireItem(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) handleItemVersions(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	list, err := s.catalog.Versions(c.UserContext(), actor(c), id)
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
		v, err := queryInt(c, p.name)
		fields.Check(err == nil, p.name, "must be a positive whole number")
		*p.dst = v
	}
	page, err := queryInt(c, "page")
	fields.Check(err == nil && page <= 100000, "page", "must be a whole number from 1")
	per, err := queryInt(c, "per_page")
	fields.Check(err == nil && per <= 100, "per_page", "must be a whole number from 1 to 100")
	fields.Check(len(f.Q) <= 200, "q", "must be at most 200 bytes")
	f.Page, f.PerPage = int(page), int(per)
	return f, fields.Err()
}

func (s *Server) handlePublicItemList(c *fiber.Ctx) error {
	f, err := publicFilter(c)
	if err != nil {
		return err
	}
	page, err := s.catalog.PublicItems(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (s *Server) handlePublicItemGet(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.catalog.PublicItem(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(v)
}
