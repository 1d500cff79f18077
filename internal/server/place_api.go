package server

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/place"
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

func (s *Server) handleDistrictList(c *fiber.Ctx) error {
	list, err := s.places.ListDistricts(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) handleDistrictGet(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.places.GetDistrict(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) handleDistrictCreate(c *fiber.Ctx) error {
	var req districtRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	var in place.DistrictInput
	req.apply(&in)
	d, err := s.places.CreateDistrict(c.UserContext(), actor(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (s *Server) handleDistrictUpdate(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req districtRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	d, err := s.places.EditDistrict(c.UserContext(), actor(c), id, req.apply)
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

func (s *Server) handleSubdistrictList(c *fiber.Ctx) error {
	var districtID int64
	if v := c.Query("district_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return apperr.InvalidField("district_id", "must be a positive whole number")
		}
		districtID = id
	}
	list, err := s.places.ListSubdistricts(c.UserContext(), districtID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) handleSubdistrictGet(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.places.GetSubdistrict(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) handleSubdistrictCreate(c *fiber.Ctx) error {
	var req subdistrictRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	var in place.SubdistrictInput
	set(&in.DistrictID, req.DistrictID)
	set(&in.Code, req.Code)
	set(&in.NameZh, req.NameZh)
	set(&in.NameEn, req.NameEn)
	d, err := s.places.CreateSubdistrict(c.UserContext(), actor(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (s *Server) handleSubdistrictUpdate(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req subdistrictRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	if req.DistrictID != nil {
		return apperr.InvalidField("district_id", "cannot be changed")
	}
	d, err := s.places.EditSubdistrict(c.UserContext(), actor(c), id, func(in *place.SubdistrictInput) {
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

func (s *Server) handleCommunityList(c *fiber.Ctx) error {
	list, err := s.places.ListCommunities(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) handleCommunityGet(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	cm, err := s.places.GetCommunity(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(cm)
}

func (s *Server) handleCommunityCreate(c *fiber.Ctx) error {
	var req communityRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	in := place.CommunityInput{Households: -1}
	set(&in.SubdistrictID, req.SubdistrictID)
	req.apply(&in)
	cm, err := s.places.CreateCommunity(c.UserContext(), actor(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(cm)
}

func (s *Server) handleCommunityUpdate(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req communityRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	if req.SubdistrictID != nil {
		return apperr.InvalidField("subdistrict_id", "cannot be changed")
	}
	cm, err := s.places.EditCommunity(c.UserContext(), actor(c), id, req.apply)
	if err != nil {
		return err
	}
	return c.JSON(cm)
}
