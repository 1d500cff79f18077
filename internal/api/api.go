// Package api is the JSON API under /api/v1: routes.go holds the whole route
// table, each resource has its file of handlers, and openapi.yaml describes
// every route. Handlers decode the request, call one service method and
// answer JSON; the services decide, scope and audit.
package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/request"
)

// Handler answers the API's requests with the domain services.
type Handler struct {
	request.Services
	cfg     config.Config
	openapi []byte // the description, as JSON
}

// New returns the API handler; it fails when the OpenAPI document does not load.
func New(cfg config.Config, svc request.Services) (*Handler, error) {
	spec, err := openapiJSON()
	if err != nil {
		return nil, err
	}
	return &Handler{Services: svc, cfg: cfg, openapi: spec}, nil
}

// bearer authenticates API requests that carry "Authorization: Bearer …". A
// request without the header is anonymous; a bad token answers 401 at once.
func (h *Handler) bearer(c *fiber.Ctx) error {
	v := c.Get(fiber.HeaderAuthorization)
	if v == "" {
		request.SetActor(c, access.Anonymous(request.ID(c), request.ClientIP(c)))
		return c.Next()
	}
	scheme, token, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return auth.ErrInvalidToken
	}
	a, err := h.Auth.Authenticate(c.UserContext(), token, request.Client(c))
	if err != nil {
		return err
	}
	request.SetActor(c, a)
	return c.Next()
}

func (h *Handler) handleOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(h.openapi)
}
