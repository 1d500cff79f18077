package server

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jiedao-market/jiedao/internal/apperr"
)

// retryAfterUnavailable is the Retry-After, in seconds, of an answer given
// while the database is away: a restart or a failover takes a few seconds.
const retryAfterUnavailable = 5

// errUnavailable answers a request the database could not serve because it is
// away: 503 with Retry-After, a page saying the service is briefly unavailable.
var errUnavailable = &apperr.Error{Kind: apperr.Unavailable, Code: "unavailable",
	Message: "the service is briefly unavailable; try again in a few seconds", RetryAfter: retryAfterUnavailable}

// databaseAway reports whether err says the database is away rather than that
// the request or the code went wrong: the server refused or dropped the
// connection, could not be connected to, is shutting down or starting up, or
// no connection could be had before the request's deadline. Every other error
// stays internal (500).
func databaseAway(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exceptions; 57P01 admin shutdown (also what
		// pg_terminate_backend sends), 57P02 crash shutdown, 57P03 cannot
		// connect now (starting up, shutting down, in recovery).
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	// A connection lost in the middle of a query: pgconn reports the end of
	// the stream it was reading, unexpected (bare: it does not wrap it), or
	// plain inside an error of its own. Request bodies are read whole before
	// a handler runs, so no client's truncated body ends here.
	var pgconnErr interface{ SafeToRetry() bool }
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &pgconnErr) && errors.Is(err, io.EOF) {
		return true
	}
	// database/sql returns the bare context error when the request's deadline
	// passes while it waits for a connection (every one busy or being
	// re-established); a statement that ran out of time is pgconn's timeout
	// error instead, and stays internal.
	return errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err)
}
