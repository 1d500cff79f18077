package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/jiedao-market/jiedao/internal/apperr"
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

// Errors for the transport itself.
var (
	errRouteNotFound  = apperr.New(apperr.NotFound, "route_not_found", "no such resource")
	errTooLarge       = apperr.New(apperr.TooLarge, "body_too_large", "the request body is too large")
	errContentType    = apperr.New(apperr.UnsupportedMediaType, "unsupported_media_type", "send the body as application/json")
	errMalformedJSON  = apperr.New(apperr.Invalid, "malformed_json", "the body is not valid JSON")
	errInternal       = apperr.New(apperr.Internal, "internal", "internal error")
	errCSRF           = apperr.New(apperr.Forbidden, "csrf", "the form has expired; reload the page and try again")
	errMethodNotAllow = apperr.New(apperr.Invalid, "method_not_allowed", "method not allowed")
	errTooManyWrites  = apperr.New(apperr.TooManyRequests, "too_many_requests", "too many requests from your address; try again in a minute")
	errNUL            = apperr.New(apperr.Invalid, "malformed_text", "text may not contain NUL characters")
	errBadURL         = apperr.New(apperr.Invalid, "malformed_url", "the path or query holds invalid UTF-8 or NUL characters")
)

// toAppErr turns any error into an *apperr.Error fit for a client; everything
// unexpected becomes errInternal.
func toAppErr(err error) *apperr.Error {
	if e, ok := apperr.As(err); ok && e.Kind != apperr.Internal {
		return e
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return errRouteNotFound
		case fiber.StatusRequestEntityTooLarge:
			return errTooLarge
		case fiber.StatusMethodNotAllowed:
			return errMethodNotAllow
		case fiber.StatusBadRequest, fiber.StatusRequestHeaderFieldsTooLarge, fiber.StatusRequestTimeout:
			return apperr.New(apperr.Invalid, "bad_request", "the request could not be read")
		}
	}
	return errInternal
}

// handleError is the single error handler: API paths answer problem+json, pages
// answer an HTML error page. Internal errors are logged with the request id and
// answered as a bare "internal error".
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	e := toAppErr(err)
	status := e.Kind.Status()
	if e == errMethodNotAllow {
		status = fiber.StatusMethodNotAllowed
	}
	rid := requestID(c)
	if rid == "" {
		// Refused before routing (an oversized body, say): no middleware ran.
		rid = uuid.NewString()
		c.Set(fiber.HeaderXRequestID, rid)
		setSecurityHeaders(c)
	}
	if e.Kind == apperr.Internal {
		s.log.ErrorContext(c.UserContext(), "request failed", "request_id", rid, "method", c.Method(),
			"route", routePattern(c), "error", err.Error())
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
		return s.renderError(c, status, e)
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

// decodeStrict reads a JSON body into dst: the content type must be JSON, the
// body at most the configured size, unknown fields and trailing data are refused,
// and type errors name the field.
func (s *Server) decodeStrict(c *fiber.Ctx, dst any) error {
	return s.decodeStrictLimit(c, dst, s.cfg.HTTP.JSONBodyLimit)
}

// decodeStrictLimit is decodeStrict with its own size limit, for the few
// bodies that carry files (a bid's attachments).
func (s *Server) decodeStrictLimit(c *fiber.Ctx, dst any, limit int) error {
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return errContentType
	}
	body := c.Body()
	if len(body) > limit {
		return errTooLarge
	}
	// PostgreSQL text cannot hold NUL; refuse it here rather than fail later.
	if bytes.Contains(body, []byte(`\u0000`)) {
		return errNUL
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.New(apperr.Invalid, "malformed_json", "the body holds more than one JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return apperr.New(apperr.Invalid, "malformed_json", "the body must be a JSON object")
		}
		return apperr.InvalidField(field, fmt.Sprintf("must be a %s", jsonKind(typeErr.Type.Kind().String())))
	case errors.As(err, &syntaxErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errMalformedJSON
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.InvalidField(name, "is not a known field")
	}
	var fe *apperr.Error
	if errors.As(err, &fe) {
		return fe
	}
	return errMalformedJSON
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "whole number"
	case "float32", "float64":
		return "number"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "list"
	default:
		return "object"
	}
}
