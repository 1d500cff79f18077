package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *Server) handleLogin(c *fiber.Ctx) error {
	var req loginRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	var f apperr.Fields
	f.Check(req.Username != "", "username", "is required")
	f.Check(req.Password != "", "password", "is required")
	if err := f.Err(); err != nil {
		return err
	}
	tokens, err := s.auth.Login(c.UserContext(), req.Username, req.Password, s.client(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(tokens)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (s *Server) handleRefresh(c *fiber.Ctx) error {
	var req refreshRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	if req.RefreshToken == "" {
		return apperr.InvalidField("refresh_token", "is required")
	}
	tokens, err := s.auth.Refresh(c.UserContext(), req.RefreshToken, s.client(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(tokens)
}

func (s *Server) handleLogout(c *fiber.Ctx) error {
	if err := s.auth.Logout(c.UserContext(), actor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) handleMe(c *fiber.Ctx) error {
	p, err := s.auth.Me(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

type userCreateRequest struct {
	Username       string      `json:"username"`
	DisplayName    string      `json:"display_name"`
	Password       string      `json:"password"`
	Role           access.Role `json:"role"`
	DistrictID     *int64      `json:"district_id"`
	SubdistrictID  *int64      `json:"subdistrict_id"`
	OrganizationID *int64      `json:"organization_id"`
	Locale         string      `json:"locale"`
}

type userUpdateRequest struct {
	DisplayName    *string      `json:"display_name"`
	Password       *string      `json:"password"`
	Role           *access.Role `json:"role"`
	DistrictID     *int64       `json:"district_id"`
	SubdistrictID  *int64       `json:"subdistrict_id"`
	OrganizationID *int64       `json:"organization_id"`
	Status         *string      `json:"status"`
	Locale         *string      `json:"locale"`
}

func (s *Server) handleUserList(c *fiber.Ctx) error {
	users, err := s.auth.ListUsers(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": users})
}

func (s *Server) handleUserGet(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	u, err := s.auth.GetUser(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

func (s *Server) handleUserCreate(c *fiber.Ctx) error {
	var req userCreateRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	u, err := s.auth.CreateUser(c.UserContext(), actor(c), auth.UserInput{
		Username: req.Username, DisplayName: req.DisplayName, Password: req.Password, Role: req.Role,
		DistrictID: req.DistrictID, SubdistrictID: req.SubdistrictID, OrganizationID: req.OrganizationID, Locale: req.Locale,
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(u)
}

func (s *Server) handleUserUpdate(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req userUpdateRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	u, err := s.auth.UpdateUser(c.UserContext(), actor(c), id, auth.UserPatch{
		DisplayName: req.DisplayName, Password: req.Password, Role: req.Role, DistrictID: req.DistrictID,
		SubdistrictID: req.SubdistrictID, OrganizationID: req.OrganizationID, Status: req.Status, Locale: req.Locale,
	})
	if err != nil {
		return err
	}
	return c.JSON(u)
}
