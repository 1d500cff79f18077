package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/request"
)

type ratingRequest struct {
	Code            string `json:"code"`
	Timeliness      int    `json:"timeliness"`
	Professionalism int    `json:"professionalism"`
	Attitude        int    `json:"attitude"`
	Effectiveness   int    `json:"effectiveness"`
	Overall         int    `json:"overall"`
	Comment         string `json:"comment"`
}

func (r ratingRequest) stars() rating.Stars {
	return rating.Stars{Timeliness: r.Timeliness, Professionalism: r.Professionalism, Attitude: r.Attitude,
		Effectiveness: r.Effectiveness, Overall: r.Overall, Comment: r.Comment}
}

type followUpRatingRequest struct {
	Timeliness      int    `json:"timeliness"`
	Professionalism int    `json:"professionalism"`
	Attitude        int    `json:"attitude"`
	Effectiveness   int    `json:"effectiveness"`
	Overall         int    `json:"overall"`
	Comment         string `json:"comment"`
}

// handleRatingSubmit takes a resident's rating with a one-time code; anyone
// may, signed in or not, except the provider's own staff.
func (h *Handler) handleRatingSubmit(c *fiber.Ctx) error {
	var req ratingRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Ratings.Submit(c.UserContext(), request.Actor(c), req.Code, req.stars())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (h *Handler) handlePublicProviderRatings(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	p, err := h.Ratings.Provider(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) handlePublicCommunityRatings(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	p, err := h.Ratings.Community(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) handleContractRatings(c *fiber.Ctx) error {
	v, err := request.Read(c, h.Ratings.Contract)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleRatingReply(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req struct {
		Reply string `json:"reply"`
	}
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Ratings.Reply(c.UserContext(), request.Actor(c), id, req.Reply)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleRatingHide(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Ratings.Hide(c.UserContext(), request.Actor(c), id, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleFollowUpDraw(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req struct {
		Size int `json:"size"`
	}
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	list, err := h.Ratings.DrawFollowUps(c.UserContext(), request.Actor(c), id, req.Size)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"items": list})
}

func (h *Handler) handleFollowUpList(c *fiber.Ctx) error {
	list, err := request.Read(c, h.Ratings.FollowUps)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (h *Handler) handleFollowUpRating(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req followUpRatingRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Ratings.RecordFollowUp(c.UserContext(), request.Actor(c), id, ratingRequest{Timeliness: req.Timeliness,
		Professionalism: req.Professionalism, Attitude: req.Attitude, Effectiveness: req.Effectiveness, Overall: req.Overall,
		Comment: req.Comment}.stars())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}
