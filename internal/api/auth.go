package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/request"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (h *Handler) handleLogin(c *fiber.Ctx) error {
	var req loginRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	var f apperr.Fields
	f.Check(req.Username != "", "username", "is required")
	f.Check(req.Password != "", "password", "is required")
	if err := f.Err(); err != nil {
		return err
	}
	tokens, err := h.Auth.Login(c.UserContext(), req.Username, req.Password, request.Client(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(tokens)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (h *Handler) handleRefresh(c *fiber.Ctx) error {
	var req refreshRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	if req.RefreshToken == "" {
		return apperr.InvalidField("refresh_token", "is required")
	}
	tokens, err := h.Auth.Refresh(c.UserContext(), req.RefreshToken, request.Client(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(tokens)
}

func (h *Handler) handleLogout(c *fiber.Ctx) error {
	if err := h.Auth.Logout(c.UserContext(), request.Actor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) handleMe(c *fiber.Ctx) error {
	p, err := h.Auth.Me(c.UserContext(), request.Actor(c))
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
	Email          string      `json:"email"`
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

func (h *Handler) handleUserList(c *fiber.Ctx) error {
	users, err := h.Auth.ListUsers(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": users})
}

func (h *Handler) handleUserGet(c *fiber.Ctx) error {
	u, err := request.ReadPublic(c, h.Auth.GetUser)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

func (h *Handler) handleUserCreate(c *fiber.Ctx) error {
	var req userCreateRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	u, err := h.Auth.CreateUser(c.UserContext(), request.Actor(c), auth.UserInput{
		Username: req.Username, DisplayName: req.DisplayName, Password: req.Password, Role: req.Role,
		DistrictID: req.DistrictID, SubdistrictID: req.SubdistrictID, OrganizationID: req.OrganizationID, Locale: req.Locale,
		Email: req.Email,
	})
	if err != nil {
		return err
	}
	h.sendVerification(c, u.ID)
	return c.Status(fiber.StatusCreated).JSON(u)
}

func (h *Handler) handleUserUpdate(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req userUpdateRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	u, err := h.Auth.UpdateUser(c.UserContext(), request.Actor(c), id, auth.UserPatch{
		DisplayName: req.DisplayName, Password: req.Password, Role: req.Role, DistrictID: req.DistrictID,
		SubdistrictID: req.SubdistrictID, OrganizationID: req.OrganizationID, Status: req.Status, Locale: req.Locale,
	})
	if err != nil {
		return err
	}
	return c.JSON(u)
}

// sendVerification mails the link that verifies the address of the account
// just made. The account and its address are stored already; a failure here
// is logged, and the owner sends the link again from the settings page.
func (h *Handler) sendVerification(c *fiber.Ctx, userID int64) {
	if err := h.Auth.SendVerification(c.UserContext(), userID, request.Client(c)); err != nil {
		h.Log.ErrorContext(c.UserContext(), "send verification link", "user_id", userID, "request_id", request.ID(c), "error", err)
	}
}
