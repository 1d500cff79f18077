package server

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/request"
)

// problem is an RFC 9457 problem details document with our stable code.
type problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Instance  string              `json:"instance,omitempty"`
	Code      string              `json:"code"`
	RequestID string              `json:"request_id,omitempty"`
	Errors    []apperr.FieldError `json:"errors,omitempty"`
}

// handleError is the single error handler: API paths answer problem+json, pages
// answer an HTML error page. Internal errors are logged with the request id and
// answered as a bare "internal error".
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	e := request.AppErr(err)
	if e.Kind == apperr.Internal && databaseAway(err) {
		e = errUnavailable
	}
	status := e.Kind.Status()
	if e == request.ErrMethodNotAllow {
		status = fiber.StatusMethodNotAllowed
	}
	rid := request.ID(c)
	if rid == "" {
		// Refused before routing (an oversized body, say): no middleware ran.
		rid = uuid.NewString()
		c.Set(fiber.HeaderXRequestID, rid)
		setSecurityHeaders(c)
	}
	if e == errUnavailable {
		s.log.WarnContext(c.UserContext(), "database unavailable", "request_id", rid, "method", c.Method(),
			"route", s.routePattern(c), "error", err.Error())
	}
	if e.Kind == apperr.Internal {
		s.log.ErrorContext(c.UserContext(), "request failed", "request_id", rid, "method", c.Method(),
			"route", s.routePattern(c), "error", err.Error())
	}
	if status == fiber.StatusUnauthorized && isAPI(c) {
		// RFC 6750: say which scheme is expected and, for a bad token, why.
		if e.Code == "unauthorized" {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="jiedao"`)
		} else {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="jiedao", error="invalid_token"`)
		}
	}
	if e.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(e.RetryAfter))
	}
	if !isAPI(c) {
		return s.ui.RenderError(c, status, e)
	}
	p := problem{
		Type:      "/problems/" + e.Code,
		Title:     e.Message,
		Status:    status,
		Instance:  string(append([]byte(nil), c.Request().URI().Path()...)),
		Code:      e.Code,
		RequestID: rid,
		Errors:    e.Fields,
	}
	body, _ := json.Marshal(p)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.Status(status).Send(body)
}

func isAPI(c *fiber.Ctx) bool {
	p := c.Path()
	return strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz"
}
