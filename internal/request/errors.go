package request

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
)

// Errors of the transport itself.
var (
	ErrRouteNotFound  = apperr.New(apperr.NotFound, "route_not_found", "no such resource")
	ErrTooLarge       = apperr.New(apperr.TooLarge, "body_too_large", "the request body is too large")
	ErrContentType    = apperr.New(apperr.UnsupportedMediaType, "unsupported_media_type", "send the body as application/json")
	ErrMalformedJSON  = apperr.New(apperr.Invalid, "malformed_json", "the body is not valid JSON")
	ErrInternal       = apperr.New(apperr.Internal, "internal", "internal error")
	ErrMethodNotAllow = apperr.New(apperr.Invalid, "method_not_allowed", "method not allowed")
	ErrTooManyWrites  = apperr.New(apperr.TooManyRequests, "too_many_requests", "too many requests from your address; try again in a minute")
	ErrNUL            = apperr.New(apperr.Invalid, "malformed_text", "text may not contain NUL characters")
	ErrBadURL         = apperr.New(apperr.Invalid, "malformed_url", "the path or query holds invalid UTF-8 or NUL characters")

	// ErrContentEncoding refuses a compressed body: the body limit counts the
	// bytes received, so nothing would bound what it inflates to.
	ErrContentEncoding = apperr.New(apperr.UnsupportedMediaType, "unsupported_content_encoding", "send the body uncompressed, without Content-Encoding")
	// ErrReadTimeout answers a client that did not send its whole request
	// within http.read_timeout; the server then closes the connection.
	ErrReadTimeout = apperr.New(apperr.Timeout, "request_timeout", "the request was not received in time")
)

// AppErr turns any error into an *apperr.Error fit for a client; everything
// unexpected becomes ErrInternal.
func AppErr(err error) *apperr.Error {
	if e, ok := apperr.As(err); ok && e.Kind != apperr.Internal {
		return e
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return ErrRouteNotFound
		case fiber.StatusRequestEntityTooLarge:
			return ErrTooLarge
		case fiber.StatusMethodNotAllowed:
			return ErrMethodNotAllow
		case fiber.StatusRequestTimeout:
			return ErrReadTimeout
		case fiber.StatusBadRequest, fiber.StatusRequestHeaderFieldsTooLarge:
			return apperr.New(apperr.Invalid, "bad_request", "the request could not be read")
		}
	}
	return ErrInternal
}
