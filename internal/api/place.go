package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/request"
)

type districtRequest struct {
	Code   *string `json:"code"`
	NameZh *string `json:"name_zh"`
	NameEn *string `json:"name_en"`
}

func (r districtRequest) apply(in *place.DistrictInput) {
	set(&in.Code, r.Code)
	set(&in.NameZh, r.NameZh)
	set(&in.NameEn, r.NameEn)
}

// set overwrites *dst with *src when src is given (PATCH semantics).
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (h *Handler) handleDistrictList(c *fiber.Ctx) error {
	list, err := h.Places.ListDistricts(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (h *Handler) handleDistrictGet(c *fiber.Ctx) error {
	d, err := request.ReadPublic(c, h.Places.GetDistrict)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handler) handleDistrictCreate(c *fiber.Ctx) error {
	var req districtRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	var in place.DistrictInput
	req.apply(&in)
	d, err := h.Places.CreateDistrict(c.UserContext(), request.Actor(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (h *Handler) handleDistrictUpdate(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req districtRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	d, err := h.Places.EditDistrict(c.UserContext(), request.Actor(c), id, req.apply)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

type subdistrictRequest struct {
	DistrictID *int64  `json:"district_id"`
	Code       *string `json:"code"`
	NameZh     *string `json:"name_zh"`
	NameEn     *string `json:"name_en"`
}

func (h *Handler) handleSubdistrictList(c *fiber.Ctx) error {
	var districtID int64
	if v := c.Query("district_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return apperr.InvalidField("district_id", "must be a positive whole number")
		}
		districtID = id
	}
	list, err := h.Places.ListSubdistricts(c.UserContext(), districtID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (h *Handler) handleSubdistrictGet(c *fiber.Ctx) error {
	d, err := request.ReadPublic(c, h.Places.GetSubdistrict)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handler) handleSubdistrictCreate(c *fiber.Ctx) error {
	var req subdistrictRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	var in place.SubdistrictInput
	set(&in.DistrictID, req.DistrictID)
	set(&in.Code, req.Code)
	set(&in.NameZh, req.NameZh)
	set(&in.NameEn, req.NameEn)
	d, err := h.Places.CreateSubdistrict(c.UserContext(), request.Actor(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (h *Handler) handleSubdistrictUpdate(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req subdistrictRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	if req.DistrictID != nil {
		return apperr.InvalidField("district_id", "cannot be changed")
	}
	d, err := h.Places.EditSubdistrict(c.UserContext(), request.Actor(c), id, func(in *place.SubdistrictInput) {
		set(&in.Code, req.Code)
		set(&in.NameZh, req.NameZh)
		set(&in.NameEn, req.NameEn)
	})
	if err != nil {
		return err
	}
	return c.JSON(d)
}

type communityRequest struct {
	SubdistrictID *int64  `json:"subdistrict_id"`
	Code          *string `json:"code"`
	NameZh        *string `json:"name_zh"`
	NameEn        *string `json:"name_en"`
	Households    *int    `json:"households"`
}

func (r communityRequest) apply(in *place.CommunityInput) {
	set(&in.Code, r.Code)
	set(&in.NameZh, r.NameZh)
	set(&in.NameEn, r.NameEn)
	set(&in.Households, r.Households)
}

func (h *Handler) handleCommunityList(c *fiber.Ctx) error {
	list, err := h.Places.ListCommunities(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (h *Handler) handleCommunityGet(c *fiber.Ctx) error {
	cm, err := request.Read(c, h.Places.GetCommunity)
	if err != nil {
		return err
	}
	return c.JSON(cm)
}

func (h *Handler) handleCommunityCreate(c *fiber.Ctx) error {
	var req communityRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	in := place.CommunityInput{Households: -1}
	set(&in.SubdistrictID, req.SubdistrictID)
	req.apply(&in)
	cm, err := h.Places.CreateCommunity(c.UserContext(), request.Actor(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(cm)
}

func (h *Handler) handleCommunityUpdate(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req communityRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	if req.SubdistrictID != nil {
		return apperr.InvalidField("subdistrict_id", "cannot be changed")
	}
	cm, err := h.Places.EditCommunity(c.UserContext(), request.Actor(c), id, req.apply)
	if err != nil {
		return err
	}
	return c.JSON(cm)
}
