package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
)

// defaultJSONLimit is the JSON body limit of a request the server set none for.
const defaultJSONLimit = 64 << 10

// SetJSONLimit sets the size limit DecodeStrict applies to the request
// (http.json_body_limit_bytes).
func SetJSONLimit(c *fiber.Ctx, limit int) { c.Locals(localJSONLimit, limit) }

// DecodeStrict reads a JSON body into dst: the content type must be JSON, the
// body at most the request's JSON limit, unknown fields and trailing data are
// refused, and type errors name the field.
func DecodeStrict(c *fiber.Ctx, dst any) error {
	limit, ok := c.Locals(localJSONLimit).(int)
	if !ok {
		limit = defaultJSONLimit
	}
	return DecodeStrictLimit(c, dst, limit)
}

// DecodeStrictLimit is DecodeStrict with its own size limit, for the few
// bodies that carry files (a bid's attachments).
func DecodeStrictLimit(c *fiber.Ctx, dst any, limit int) error {
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return ErrContentType
	}
	body := c.Body()
	if len(body) > limit {
		return ErrTooLarge
	}
	// PostgreSQL text cannot hold NUL; refuse it here rather than fail later.
	if bytes.Contains(body, []byte(`\u0000`)) {
		return ErrNUL
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
		return ErrMalformedJSON
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.InvalidField(name, "is not a known field")
	}
	var fe *apperr.Error
	if errors.As(err, &fe) {
		return fe
	}
	return ErrMalformedJSON
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
