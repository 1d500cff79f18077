// Package apperr holds the application's error codes. Expected outcomes are
// sentinel *Error values with a Kind (which decides the HTTP status) and a stable
// machine-readable Code; everything else is an internal error.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the API: each kind maps to one HTTP status.
type Kind int

// The kinds of expected errors.
const (
	Internal Kind = iota
	Invalid
	NotFound
	Conflict
	Forbidden
	Unauthorized
	TooManyRequests
	TooLarge
	UnsupportedMediaType
	// Timeout is a request the client did not finish sending in time.
	Timeout
	// Unprocessable is a well-formed request whose content fails the rules
	// as a whole, such as an import file with bad rows (each named by line).
	Unprocessable
	// Unavailable is a request that could not be served because the
	// database is briefly away (restarting, failing over, unreachable);
	// the same request may succeed when retried a few seconds later.
	Unavailable
)

// Status returns the HTTP status code for the kind.
func (k Kind) Status() int {
	switch k {
	case Invalid:
		return 400
	case Unauthorized:
		return 401
	case Forbidden:
		return 403
	case NotFound:
		return 404
	case Conflict:
		return 409
	case TooLarge:
		return 413
	case UnsupportedMediaType:
		return 415
	case Timeout:
		return 408
	case TooManyRequests:
		return 429
	case Unprocessable:
		return 422
	case Unavailable:
		return 503
	default:
		return 500
	}
}

// FieldError names one bad input field and what is wrong with it; for a
// file's content, Line names the line (from 1) and Field the column.
type FieldError struct {
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an expected error: a kind, a stable code such as "tender.closed", a
// message safe to show to the client, and, for Invalid, the bad fields.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  []FieldError
	// RetryAfter, in seconds, is sent as Retry-After with TooManyRequests
	// and Unavailable.
	RetryAfter int
}

// New returns an expected error of the given kind and code.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Code + ": " + e.Message
	}
	return fmt.Sprintf("%s: %s (%d fields)", e.Code, e.Message, len(e.Fields))
}

// Is reports whether target is an *Error with the same code, so that a sentinel
// matches its copies carrying fields or a retry delay.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// KindOf returns the kind of err: Internal unless err wraps an *Error.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return Internal
}

// Common errors shared by every package.
var (
	ErrNotFound     = New(NotFound, "not_found", "the record does not exist")
	ErrForbidden    = New(Forbidden, "forbidden", "your role may not do this")
	ErrUnauthorized = New(Unauthorized, "unauthorized", "authentication is required")
)

// Fields collects field errors during validation. The zero value is ready to use.
type Fields struct {
	list []FieldError
}

// Add records that field is bad.
func (f *Fields) Add(field, message string) {
	f.list = append(f.list, FieldError{Field: field, Message: message})
}

// Check records message for field when ok is false.
func (f *Fields) Check(ok bool, field, message string) {
	if !ok {
		f.Add(field, message)
	}
}

// Err returns nil when no field is bad, else an Invalid error with code
// "validation" listing each bad field in the order it was checked: services
// check in the order of their input's fields, so that a form shows the
// errors in its own order without sorting them again.
func (f *Fields) Err() error {
	if len(f.list) == 0 {
		return nil
	}
	list := append([]FieldError(nil), f.list...)
	return &Error{Kind: Invalid, Code: "validation", Message: "some fields are invalid", Fields: list}
}

// InvalidField returns an Invalid error naming one bad field.
func InvalidField(field, message string) error {
	var f Fields
	f.Add(field, message)
	return f.Err()
}
